// `hf-buckets` under the `workerd` condition (Cloudflare Workers, workerd, Wrangler): edge
// runtimes cannot fetch and compile wasm at start-up, so the wasm is imported as a module (a
// compiled `WebAssembly.Module`; Wrangler's default rules, or a `wasm` module in a workerd
// config) and instantiated synchronously. The exports are ready as soon as the import resolves.
import wasmModule from '../../dist/client/hf_buckets_client_bg.wasm';
import { initSync } from '../../dist/client/hf_buckets_client.js';

initSync({ module: wasmModule });

export * from '../index.js';
