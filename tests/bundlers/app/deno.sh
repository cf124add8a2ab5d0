deno run --allow-read --allow-net src/runtime.js
