// Type tests for `hf-buckets/xet`: every export is assigned to a const of the type users rely
// on, so a drifting index.d.ts fails `tsc`. The second half checks that the wasm-bindgen output
// (dist/xet) still matches the hand-written declarations the entry points re-export.
import * as xet from 'hf-buckets/xet';
import {
  Chunker,
  ParallelChunker,
  XetError,
  bytesToHash,
  chunkHash,
  fileHash,
  fileHashFromChunks,
  hashToBytes,
  isGlobalDedupEligible,
  isXetError,
  verificationHash,
  xorbHash,
  type ChunkInfo,
  type ChunkRef,
  type ParallelChunkerOptions,
  type XetErrorCode,
} from 'hf-buckets/xet';
import * as generated from '../../dist/xet/hf_buckets_xet.js';

const bytes = new Uint8Array(8);

// Chunker: a class with push/finish/free/dispose.
const ChunkerCtor: new () => Chunker = Chunker;
const chunker: Chunker = new ChunkerCtor();
const pushed: ChunkInfo[] = chunker.push(bytes);
const finished: ChunkInfo[] = chunker.finish();
const offset: number = pushed[0]!.offset;
const length: number = finished[0]!.length;
const hash: string = pushed[0]!.hash;
const free: () => void = chunker.free;
const dispose: () => void = chunker[Symbol.dispose];
const disposable: Disposable = chunker;
// @ts-expect-error push takes bytes, not a string
chunker.push('text');

// ParallelChunker: the same chunks, as promises; options are optional and checked.
const ParallelCtor: new (options?: ParallelChunkerOptions) => ParallelChunker = ParallelChunker;
const parallel = new ParallelCtor({ workers: 2, segmentBytes: 4 << 20 });
const parallelPushed: Promise<ChunkInfo[]> = parallel.push(bytes);
const parallelFinished: Promise<ChunkInfo[]> = parallel.finish();
const workerCount: number = parallel.workerCount;
const parallelDisposable: Disposable = parallel;
parallel.close();
// @ts-expect-error workers is a number
new ParallelChunker({ workers: '2' });
// @ts-expect-error workerCount is read-only
parallel.workerCount = 3;

// Functions.
const fileHashFn: (bytes: Uint8Array) => string = fileHash;
const fromChunks: (chunks: readonly ChunkRef[]) => string = fileHashFromChunks;
const xorbFn: (chunks: readonly ChunkRef[]) => string = xorbHash;
const chunkFn: (bytes: Uint8Array) => string = chunkHash;
const verifyFn: (hashes: readonly string[]) => string = verificationHash;
const toBytes: (hash: string) => Uint8Array = hashToBytes;
const toHash: (bytes: Uint8Array) => string = bytesToHash;
const eligible: (hash: string) => boolean = isGlobalDedupEligible;
// A chunker's output is accepted where chunk refs are expected.
const chained: string = fileHashFromChunks([...pushed, ...finished]);
// @ts-expect-error a chunk ref needs a length
xorbHash([{ hash }]);
// @ts-expect-error hashes are strings
verificationHash([bytes]);

// Errors: a class with a literal name and a closed set of codes, plus a guard.
const err: XetError = new XetError('bad', { code: 'INVALID_HASH' });
const errorBase: Error = err;
const errName: 'ValidationError' = err.name;
const errRetryable: false = err.retryable;
const errCode: XetErrorCode = err.code;
const codes: XetErrorCode[] = ['INVALID_ARGUMENT', 'INVALID_HASH'];
// @ts-expect-error unknown code
new XetError('bad', { code: 'NOPE' });
const caught: unknown = err;
if (isXetError(caught)) {
  const narrowed: XetErrorCode = caught.code;
}

// The namespace has exactly these runtime exports (types aside).
type RuntimeExports = keyof typeof xet;
const runtimeExports: Record<RuntimeExports, true> = {
  Chunker: true,
  ParallelChunker: true,
  XetError: true,
  bytesToHash: true,
  chunkHash: true,
  fileHash: true,
  fileHashFromChunks: true,
  hashToBytes: true,
  isGlobalDedupEligible: true,
  isXetError: true,
  verificationHash: true,
  xorbHash: true,
};

// The wasm-bindgen declarations the entry points re-export agree with the public ones.
const genChunker: typeof xet.Chunker = generated.Chunker;
const genFileHash: typeof xet.fileHash = generated.fileHash;
const genFromChunks: typeof xet.fileHashFromChunks = generated.fileHashFromChunks;
const genXorb: typeof xet.xorbHash = generated.xorbHash;
const genChunk: typeof xet.chunkHash = generated.chunkHash;
const genVerify: typeof xet.verificationHash = generated.verificationHash;
const genToBytes: typeof xet.hashToBytes = generated.hashToBytes;
const genToHash: typeof xet.bytesToHash = generated.bytesToHash;
const genEligible: typeof xet.isGlobalDedupEligible = generated.isGlobalDedupEligible;
const genInfo: ChunkInfo = {} as generated.ChunkInfo;
const pubInfo: generated.ChunkInfo = {} as ChunkInfo;
const genRef: ChunkRef = {} as generated.ChunkRef;
