/// <reference lib="esnext.disposable" />
/**
 * `hf-buckets/xet`: the Xet content-defined chunker and hashes, byte-exact with the official
 * engine, running in WebAssembly (Node ≥ 20 and browsers with wasm SIMD).
 *
 * Hashes are strings in the "xet hex" form (each 8-byte group of the 32 raw bytes printed as a
 * little-endian u64 in 16 lowercase hex digits), as used in Hub and CAS URLs and JSON.
 *
 * The module is ready when the import resolves (Node loads the wasm synchronously; browsers
 * use top-level await).
 *
 * @example
 * import { Chunker, fileHashFromChunks } from 'hf-buckets/xet';
 * const chunker = new Chunker();
 * const chunks = [];
 * try {
 *   for await (const bytes of stream) chunks.push(...chunker.push(bytes));
 *   chunks.push(...chunker.finish());
 * } finally {
 *   chunker.free();
 * }
 * console.log(chunks.length, fileHashFromChunks(chunks));
 *
 * @module
 */

/** One chunk of a file. */
export interface ChunkInfo {
  /**
   * Offset of the chunk's first byte from the start of the file.
   * @example 0
   */
  offset: number;
  /**
   * Length of the chunk in bytes (at most 131072; at least 8192 except for the last chunk).
   * @example 65536
   */
  length: number;
  /**
   * Chunk hash (BLAKE3 keyed with the Xet data key) in xet hex.
   * @example "a4d4ed80fcb2fe5177fc59321d3e6f90faf23e35a48d58303114bf073f34178a"
   */
  hash: string;
}

/** What the Merkle hashes need of a chunk; a {@link ChunkInfo} is one. */
export interface ChunkRef {
  /**
   * Chunk hash in xet hex (64 hex digits, either case).
   * @example "a4d4ed80fcb2fe5177fc59321d3e6f90faf23e35a48d58303114bf073f34178a"
   */
  hash: string;
  /**
   * Chunk length in bytes: a non-negative safe integer.
   * @example 65536
   */
  length: number;
}

/** The `code` of a {@link XetError}. */
export type XetErrorCode =
  /** An argument has the wrong type or range (e.g. a string where a `Uint8Array` is expected). */
  | 'INVALID_ARGUMENT'
  /** A hash is not 64 hex digits, or raw hash bytes are not 32 bytes. */
  | 'INVALID_HASH';

/**
 * Thrown for an argument the Xet engine cannot use. Functions of this module never throw
 * anything else for bad input.
 *
 * @example
 * try { hashToBytes('nope'); } catch (e) { if (isXetError(e)) console.log(e.code); } // "INVALID_HASH"
 */
export class XetError extends Error {
  /**
   * @param message What was wrong.
   * @param options `code` (default `'INVALID_ARGUMENT'`) and an optional `cause`.
   * @throws never
   * @example new XetError('bad hash', { code: 'INVALID_HASH' })
   */
  constructor(message: string, options?: { code?: XetErrorCode; cause?: unknown });
  /**
   * Always `'ValidationError'`: bad input has the same class name from `hf-buckets` and
   * `hf-buckets/xet`, so `isValidationError` from `hf-buckets` accepts this error too.
   * @default "ValidationError"
   */
  readonly name: 'ValidationError';
  /**
   * Always `false`: the same input fails the same way again.
   * @default false
   */
  readonly retryable: false;
  /**
   * What kind of input was rejected.
   * @default "INVALID_ARGUMENT"
   * @example "INVALID_HASH"
   */
  readonly code: XetErrorCode;
}

/**
 * Whether `value` is a {@link XetError}; also true across realms and duplicate package copies
 * (it compares `name`).
 *
 * @param value Anything caught.
 * @returns `true` for a `XetError`.
 * @default false for anything that is not an `Error` named `"ValidationError"`
 * @throws never
 * @example
 * try { fileHash('text'); } catch (e) { isXetError(e); } // true
 */
export function isXetError(value: unknown): value is XetError;

/**
 * Streaming chunker for one file: push its bytes in order, in slices of any size, then call
 * {@link Chunker.finish}. The boundaries do not depend on how the file is sliced.
 *
 * Holds wasm memory: call {@link Chunker.free} when done, or declare it with `using`
 * (it is also freed when garbage-collected).
 *
 * @example
 * using chunker = new Chunker();
 * const first = chunker.push(new Uint8Array(200_000)); // [{ offset: 0, length: 131072, hash }]
 * const rest = chunker.finish();                      // [{ offset: 131072, length: 68928, hash }]
 */
export class Chunker {
  /**
   * A chunker at the start of a file.
   * @throws never
   * @example const chunker = new Chunker();
   */
  constructor();
  /**
   * Consumes the next slice of the file.
   *
   * @param bytes The next bytes of the file (a `Buffer` works). Copied into wasm 1 MiB at a time.
   * @returns The chunks completed by this slice, in file order; `[]` when none was.
   * @default [] when the slice completes no chunk (the bytes stay pending until the next call)
   * @throws {XetError} `INVALID_ARGUMENT` when `bytes` is not a `Uint8Array`.
   * @example for (const chunk of chunker.push(bytes)) console.log(chunk.offset, chunk.length, chunk.hash);
   */
  push(bytes: Uint8Array): ChunkInfo[];
  /**
   * Ends the file and resets the chunker, which can then chunk another file from offset 0.
   *
   * @returns The last chunk (the bytes pending since the last boundary), or `[]` if none.
   * @default [] for an empty file or when the file ended exactly on a boundary
   * @throws never
   * @example const last = chunker.finish();
   */
  finish(): ChunkInfo[];
  /**
   * Releases the wasm memory now. The chunker must not be used afterwards.
   * @throws never
   * @example chunker.free();
   */
  free(): void;
  /**
   * Same as {@link Chunker.free}; lets `using chunker = new Chunker()` free it at scope exit.
   * @throws never
   * @example { using chunker = new Chunker(); chunker.push(bytes); }
   */
  [Symbol.dispose](): void;
}

/** Options of a {@link ParallelChunker}. */
export interface ParallelChunkerOptions {
  /**
   * Workers to chunk and hash on (started on first need, when a segment is full). `0` chunks
   * on the calling thread. Where workers are unavailable (`workerd`, `hf-buckets/xet/manual`)
   * this is ignored and everything runs on the calling thread.
   * @default 2
   * @example { workers: 2 }
   */
  workers?: number;
  /**
   * Bytes per segment handed to a worker. Memory stays near `(2 × workers + 1) × segmentBytes`
   * however large the file; inputs shorter than one segment never reach a worker.
   * @default 8388608 (8 MiB)
   * @example { segmentBytes: 4 << 20 }
   */
  segmentBytes?: number;
}

/**
 * A {@link Chunker} that chunks and hashes one file on several threads, with exactly the
 * chunks a `Chunker` gives. No `SharedArrayBuffer`, so no cross-origin isolation (COOP/COEP) is
 * needed: the input is copied into segments that move to workers (Node `worker_threads`,
 * browser module Web Workers) as transferable buffers; each worker chunks its segments on their
 * own, and the calling thread joins the results in file order, chunking itself only the bytes
 * near each segment edge until its boundaries agree with the worker's.
 *
 * Calls are queued: each `push` and `finish` runs after the previous one settled.
 *
 * @example
 * import { ParallelChunker, fileHashFromChunks } from 'hf-buckets/xet';
 * using chunker = new ParallelChunker({ workers: 2 });
 * const chunks = [];
 * for await (const bytes of stream) chunks.push(...(await chunker.push(bytes)));
 * chunks.push(...(await chunker.finish()));
 * console.log(fileHashFromChunks(chunks));
 */
export class ParallelChunker {
  /**
   * A chunker at the start of a file; no worker starts until a segment is full.
   * @param options Workers and segment size.
   * @throws {XetError} `INVALID_ARGUMENT` when `workers` is not an integer from 0 to 64 or
   *   `segmentBytes` not one from 1 to 2^30.
   * @example const chunker = new ParallelChunker({ workers: 2 });
   */
  constructor(options?: ParallelChunkerOptions);
  /**
   * Consumes the next slice of the file (copied; the caller may reuse it once the promise
   * settles).
   * @param bytes The next bytes of the file.
   * @returns The chunks completed so far, in file order.
   * @default [] while the first segments are still being chunked
   * @throws {XetError} `INVALID_ARGUMENT` (as a rejection) when `bytes` is not a `Uint8Array`,
   *   or when a worker failed or the chunker was closed. After a worker failed, the file must be
   *   chunked again with a new chunker.
   * @example for (const c of await chunker.push(bytes)) console.log(c.offset, c.hash);
   */
  push(bytes: Uint8Array): Promise<ChunkInfo[]>;
  /**
   * Ends the file: resolves to its remaining chunks and resets for a new file (the workers
   * stay up).
   * @returns The chunks not returned by `push` yet, the last chunk included.
   * @default [] for an empty file
   * @throws {XetError} (as a rejection) when a worker failed or the chunker was closed.
   * @example const rest = await chunker.finish();
   */
  finish(): Promise<ChunkInfo[]>;
  /**
   * Workers started so far (0 until a segment was full, and where workers are unavailable).
   * @default 0
   * @example chunker.workerCount // 2
   */
  readonly workerCount: number;
  /**
   * Stops the workers and frees the wasm memory; pending calls reject. Idle workers never keep
   * a Node process alive, but a page's workers live until this is called.
   * @throws never
   * @example chunker.close();
   */
  close(): void;
  /**
   * Same as {@link ParallelChunker.close}, for `using`.
   * @throws never
   * @example { using chunker = new ParallelChunker(); }
   */
  [Symbol.dispose](): void;
}

/**
 * File hash of `bytes` taken as one whole file: chunks it, hashes the chunks and aggregates
 * them. For large files prefer a {@link Chunker} and {@link fileHashFromChunks}.
 *
 * @param bytes The whole file.
 * @returns The file hash in xet hex.
 * @default "0000000000000000000000000000000000000000000000000000000000000000" for an empty file
 * @throws {XetError} `INVALID_ARGUMENT` when `bytes` is not a `Uint8Array`.
 * @example fileHash(new TextEncoder().encode('hello world'));
 * // "f15edd43b7e85cfd25e2758ffe13b99fdd09dfa817e8d9f6548722a7a126db7f"
 */
export function fileHash(bytes: Uint8Array): string;

/**
 * File hash of a file made of `chunks`, in file order (the output of a {@link Chunker}).
 *
 * @param chunks `{ hash, length }` of every chunk of the file.
 * @returns The file hash in xet hex.
 * @default "0000000000000000000000000000000000000000000000000000000000000000" for `[]`
 * @throws {XetError} `INVALID_ARGUMENT` when `chunks` is not an array of `{ hash, length }`
 *   with non-negative integer lengths; `INVALID_HASH` when a hash is not 64 hex digits.
 * @example fileHashFromChunks([...chunker.push(bytes), ...chunker.finish()]);
 */
export function fileHashFromChunks(chunks: readonly ChunkRef[]): string;

/**
 * Xorb hash of a xorb holding `chunks`, in xorb order (the Merkle aggregation, without the
 * file hash's final keyed re-hash).
 *
 * @param chunks `{ hash, length }` of every chunk of the xorb.
 * @returns The xorb hash in xet hex.
 * @default "0000000000000000000000000000000000000000000000000000000000000000" for `[]`
 * @throws {XetError} `INVALID_ARGUMENT` for a malformed list; `INVALID_HASH` for a bad hash.
 * @example xorbHash(chunks.slice(0, 3));
 */
export function xorbHash(chunks: readonly ChunkRef[]): string;

/**
 * Chunk hash of `bytes` (BLAKE3 keyed with the Xet data key).
 *
 * @param bytes One chunk's content.
 * @returns The chunk hash in xet hex.
 * @default "e0f2cf784e7e5f10c34f84af150e9a5ff9664216debad915364d741049870f67" for empty bytes
 * @throws {XetError} `INVALID_ARGUMENT` when `bytes` is not a `Uint8Array`.
 * @example chunkHash(new TextEncoder().encode('a'));
 * // "a4d4ed80fcb2fe5177fc59321d3e6f90faf23e35a48d58303114bf073f34178a"
 */
export function chunkHash(bytes: Uint8Array): string;

/**
 * Verification ("range") hash of a term: BLAKE3 keyed with the verification key over the raw
 * chunk hashes of the term, in order. Shards carry one per term.
 *
 * @param hashes The term's chunk hashes in xet hex.
 * @returns The verification hash in xet hex.
 * @default the keyed hash of no bytes for `[]`
 * @throws {XetError} `INVALID_ARGUMENT` when `hashes` is not an array of strings;
 *   `INVALID_HASH` when one is not 64 hex digits.
 * @example verificationHash(chunks.map((c) => c.hash));
 */
export function verificationHash(hashes: readonly string[]): string;

/**
 * The 32 raw bytes of a hash (the order used inside xorbs and shards).
 *
 * @param hash A hash in xet hex (64 hex digits, either case).
 * @returns A new 32-byte array.
 * @default no default: the argument is required
 * @throws {XetError} `INVALID_HASH` when `hash` is not 64 hex digits; `INVALID_ARGUMENT` when it
 *   is not a string.
 * @example hashToBytes('07060504030201000f0e0d0c0b0a090817161514131211101f1e1d1c1b1a1918');
 * // Uint8Array [0, 1, 2, …, 31]
 */
export function hashToBytes(hash: string): Uint8Array;

/**
 * The xet hex form of 32 raw hash bytes (inverse of {@link hashToBytes}).
 *
 * @param bytes Exactly 32 bytes.
 * @returns The hash in lowercase xet hex.
 * @default no default: the argument is required
 * @throws {XetError} `INVALID_HASH` when `bytes` is not 32 bytes long; `INVALID_ARGUMENT` when it
 *   is not a `Uint8Array`.
 * @example bytesToHash(Uint8Array.from({ length: 32 }, (_, i) => i));
 * // "07060504030201000f0e0d0c0b0a090817161514131211101f1e1d1c1b1a1918"
 */
export function bytesToHash(bytes: Uint8Array): string;

/**
 * Whether a chunk hash is eligible for the global-dedup index (its last 8 bytes, as a
 * little-endian u64, are a multiple of 1024). The first chunk of a file is always queried
 * regardless; that rule is the caller's.
 *
 * @param hash A chunk hash in xet hex.
 * @returns `true` when eligible.
 * @default false for about 1023 in 1024 hashes
 * @throws {XetError} `INVALID_HASH` when `hash` is not 64 hex digits; `INVALID_ARGUMENT` when it
 *   is not a string.
 * @example isGlobalDedupEligible('36774cbf5b98a86285146e0d5a47c036371234b44671b0635ddc37af0a956400'); // true
 */
export function isGlobalDedupEligible(hash: string): boolean;
