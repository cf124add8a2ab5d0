npx esbuild src/worker.js --bundle --format=esm --conditions=workerd --loader:.wasm=copy --asset-names=[name] --outdir=dist
