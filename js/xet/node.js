// `hf-buckets/xet` under Node: instantiates the wasm synchronously from the bytes next to the
// generated bindings, so the exports are ready as soon as the import resolves.
import { readFileSync } from 'node:fs';
import { initSync } from '../../dist/xet/hf_buckets_xet.js';

initSync({ module: readFileSync(new URL('../../dist/xet/hf_buckets_xet_bg.wasm', import.meta.url)) });

export * from './index.js';
