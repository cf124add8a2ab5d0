// `hf-buckets/xet` under the `workerd` condition: the wasm is imported as a module and
// instantiated synchronously (see ../workerd/index.js).
import wasmModule from '../../dist/xet/hf_buckets_xet_bg.wasm';
import { initSync } from '../../dist/xet/hf_buckets_xet.js';

initSync({ module: wasmModule });

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
