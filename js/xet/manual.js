// `hf-buckets/xet/manual`: `hf-buckets/xet` without automatic wasm loading (see
// ../manual/index.js and ../wasm-loader.js). Call `await init({ wasm })` once; until then the
// chunker and the hashes fail with an `InitError` saying so.
import load, * as xet from '../../dist/xet/hf_buckets_xet.js';
import { wasmInit } from '../wasm-loader.js';
import { defineParallelChunker } from './parallel.js';

const wasm = wasmInit('hf-buckets/xet/manual', 'hf-buckets/xet.wasm', load);

/** Loads the Xet wasm once; see ../wasm-loader.js for what `wasm` may be. */
export const init = wasm.init;
export { InitError, isInitError } from '../wasm-init.js';

export const Chunker = wasm.class(xet.Chunker);
/** Without automatic wasm loading there are no workers: chunks on the calling thread. */
export const ParallelChunker = defineParallelChunker(/** @type {any} */ (Chunker), undefined);
export const bytesToHash = wasm.sync(xet.bytesToHash);
export const chunkHash = wasm.sync(xet.chunkHash);
export const fileHash = wasm.sync(xet.fileHash);
export const fileHashFromChunks = wasm.sync(xet.fileHashFromChunks);
export const hashToBytes = wasm.sync(xet.hashToBytes);
export const isGlobalDedupEligible = wasm.sync(xet.isGlobalDedupEligible);
export const verificationHash = wasm.sync(xet.verificationHash);
export const xorbHash = wasm.sync(xet.xorbHash);
export { XetError, isXetError } from '../../dist/xet/js/xet/errors.js';
