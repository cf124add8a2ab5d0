// `hf-buckets` in browsers, workers and bundlers: fetches and compiles the wasm next to the
// generated bindings (top-level await), so the exports are ready as soon as the import resolves.
import init from '../../dist/client/hf_buckets_client.js';

await init({ module_or_path: new URL('../../dist/client/hf_buckets_client_bg.wasm', import.meta.url) });

export * from '../index.js';
export { applySyncPlan, downloadBucketFiles, planSync, syncBucket } from './sync.js';
