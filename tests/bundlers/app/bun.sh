bun run src/runtime.js
