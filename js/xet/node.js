// `hf-buckets/xet` under Node: instantiates the wasm synchronously from the bytes next to the
// generated bindings, so the exports are ready as soon as the import resolves.
import { readFileSync } from 'node:fs';
import { Chunker, initSync } from '../../dist/xet/hf_buckets_xet.js';
import { defineParallelChunker } from './parallel.js';
import { spawnSegmentWorker } from './spawn-node.js';

initSync({ module: readFileSync(new URL('../../dist/xet/hf_buckets_xet_bg.wasm', import.meta.url)) });

export * from './index.js';
/** Chunks one file on worker_threads workers (see parallel.js). */
export const ParallelChunker = defineParallelChunker(Chunker, spawnSegmentWorker);
