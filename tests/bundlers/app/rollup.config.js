// rollup.config.js: resolve the package, and emit each imported .wasm file as an asset whose
// URL the import returns (for `hf-buckets/manual`).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { nodeResolve } from '@rollup/plugin-node-resolve';

const wasmUrl = {
  name: 'wasm-url',
  load(id) {
    if (!id.endsWith('.wasm')) return null;
    const ref = this.emitFile({ type: 'asset', name: basename(id), source: readFileSync(id) });
    return `export default import.meta.ROLLUP_FILE_URL_${ref};`;
  },
};

export default {
  input: 'src/manual.js',
  output: { dir: 'dist', format: 'es' },
  plugins: [nodeResolve({ browser: true }), wasmUrl],
};
