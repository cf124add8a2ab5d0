// `hf-buckets/xet` in browsers, workers and bundlers: fetches and compiles the wasm next to the
// generated bindings (top-level await), so the exports are ready as soon as the import resolves.
import init, { Chunker } from '../../dist/xet/hf_buckets_xet.js';
import { defineParallelChunker } from './parallel.js';
import { spawnSegmentWorker } from './spawn-browser.js';

await init({ module_or_path: new URL('../../dist/xet/hf_buckets_xet_bg.wasm', import.meta.url) });

export * from './index.js';
/** Chunks one file on module Web Workers (see parallel.js). */
export const ParallelChunker = defineParallelChunker(Chunker, spawnSegmentWorker);
