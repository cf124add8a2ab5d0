// `hf-buckets/xet` under the `workerd` condition: the wasm is imported as a module and
// instantiated synchronously (see ../workerd/index.js), then the one export list is re-exported.
import wasmModule from '../../dist/xet/hf_buckets_xet_bg.wasm';
import { Chunker, initSync } from '../../dist/xet/hf_buckets_xet.js';
import { defineParallelChunker } from './parallel.js';

initSync({ module: wasmModule });

export * from './index.js';
/** No workers in workerd: a `ParallelChunker` chunks on the calling thread (same results). */
export const ParallelChunker = defineParallelChunker(Chunker, undefined);
