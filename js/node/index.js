// `hf-buckets` under Node: instantiates the wasm synchronously from the bytes next to the
// generated bindings, so the exports are ready as soon as the import resolves.
import { readFileSync } from 'node:fs';
import { initSync } from '../../dist/client/hf_buckets_client.js';

initSync({ module: readFileSync(new URL('../../dist/client/hf_buckets_client_bg.wasm', import.meta.url)) });

import './whole-get.js';
import './shard-cache.js';

export * from '../index.js';
export { downloadBucketFile } from './transfer.js';
export { applySyncPlan, downloadBucketFiles, planSync, syncBucket } from './sync.js';
