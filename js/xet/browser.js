// `hf-buckets/xet` in browsers, workers and bundlers: fetches and compiles the wasm next to the
// generated bindings (top-level await), so the exports are ready as soon as the import resolves.
import init from '../../dist/xet/hf_buckets_xet.js';

await init({ module_or_path: new URL('../../dist/xet/hf_buckets_xet_bg.wasm', import.meta.url) });

export * from './index.js';
