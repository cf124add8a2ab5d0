// The exports of `hf-buckets/xet`, listed once. The entry points (node.js, browser.js) initialise
// the wasm and re-export this module; the package's `exports` map offers only them, so nothing
// reaches these functions before the wasm is ready. Types and docs: index.d.ts.
export {
  Chunker,
  bytesToHash,
  chunkHash,
  fileHash,
  fileHashFromChunks,
  hashToBytes,
  isGlobalDedupEligible,
  verificationHash,
  xorbHash,
} from '../../dist/xet/hf_buckets_xet.js';
export { XetError, isXetError } from '../../dist/xet/js/xet/errors.js';
