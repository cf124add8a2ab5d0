npx esbuild src/manual.js --bundle --splitting --format=esm --loader:.wasm=file --outdir=dist
