// Types of the transfer engine: uploads with deduplication and verified downloads.
// Re-exported by index.d.ts; the BucketClient methods are merged into the class there.

import type { BatchReport, CallOptions, ClientOptions } from "./index.js";

// ----------------------------------------------------------------------------- sources

/**
 * What can be uploaded:
 * - `Uint8Array` (or any typed array / `DataView`) and `ArrayBuffer`: read in place, in 1 MiB pieces;
 * - `Blob` / `File`: read slice by slice (a `File`'s `name` and `lastModified` give the default
 *   content type and `mtime`);
 * - a WHATWG `ReadableStream` of bytes, of unknown length;
 * - any async iterable of bytes, e.g. a Node `Readable`;
 * - **Node only**: a file path (`string` or `file:` `URL`), read with backpressure (its
 *   modification time is the default `mtime`).
 *
 * Sources are read once, in order, never entirely into memory.
 */
export type UploadSource =
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | Blob
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | string
  | URL;

/** An `add` item whose content is uploaded by the call. */
export interface AddFromSource {
  /** The content. */
  source: UploadSource;
  /** Destination path in the bucket (no leading `/`, no `..`). */
  destination: string;
  /**
   * MIME type.
   * @default guessed from the source's file name, else from `destination` (none if unknown)
   */
  contentType?: string;
  /**
   * Modification time: a valid `Date` or an integer number of ms since 1970 (an invalid `Date`, a
   * fraction or a negative number is a `ValidationError`).
   * @default the file's mtime for a path or `File` source, else none
   */
  mtime?: Date | number;
}

// ----------------------------------------------------------------------------- tokens

/** A Xet CAS access token, as the Hub's `xet-read-token` / `xet-write-token` routes return it. */
export interface CasToken {
  /** Bearer token for the CAS (not an `hf_` token). */
  accessToken: string;
  /** Expiry, Unix time in **seconds**. */
  exp: number;
  /** CAS base URL, e.g. `https://cas-server.xethub.hf.co`. */
  casUrl: string;
}

/**
 * Supplies CAS tokens, e.g. from your own server, so that a browser page never holds an `hf_`
 * token. Called when a transfer starts, again before the token expires (when less than a quarter
 * of its lifetime, at most 60 s, remains) and after the CAS rejects it (401). Concurrent needs
 * share one call. `scope` is `"write"` for uploads, `"read"` for downloads.
 */
export type TokenProvider = (request: {
  bucketId: string;
  scope: "read" | "write";
  signal?: AbortSignal;
}) => Promise<CasToken> | CasToken;

/** Options of every transfer call. */
export interface TransferOptions extends CallOptions {
  /**
   * Where CAS tokens come from.
   * @default the Hub's token routes, called with `accessToken`
   * @example { tokenProvider: async ({ bucketId, scope }) => (await fetch(`/cas-token?scope=${scope}`)).json() }
   */
  tokenProvider?: TokenProvider;
}

// ----------------------------------------------------------------------------- uploads

/** Byte counters of an upload; events are throttled (about 10 per second, plus one per finished file and one at the end). */
export interface UploadProgressEvent {
  /** The file this event is about (the one being read, or the one just finished). */
  file: {
    /** Index in the call's `add` list. */
    index: number;
    /** Its destination path. */
    path: string;
    /** Bytes read from its source so far. */
    bytesRead: number;
    /** Bytes chunked and hashed so far. */
    bytesHashed: number;
    /** Bytes found already stored (not uploaded again). */
    bytesDeduplicated: number;
    /** Bytes that are new and must be uploaded. */
    bytesNew: number;
    /** Whether the file is completely read and planned. */
    done: boolean;
  };
  /** Totals over the call: bytes read from all sources. */
  bytesRead: number;
  /** Bytes chunked and hashed. */
  bytesHashed: number;
  /** Bytes found already stored. */
  bytesDeduplicated: number;
  /** Bytes that must be uploaded. */
  bytesNew: number;
  /**
   * New bytes uploaded: each xorb's bytes count as its request body goes out (streamed bodies
   * in Node, `XMLHttpRequest` upload progress in browsers; per xorb with a custom `fetch`).
   */
  bytesUploaded: number;
  /** Bytes sent on the wire (compressed xorbs and shards). */
  bytesSent: number;
}

/** One uploaded file. */
export interface UploadedFile {
  /** Destination path. */
  path: string;
  /** Its Xet hash (what the bucket records; 64 zeros for an empty file). */
  xetHash: string;
  /** Size in bytes. */
  size: number;
  /** Bytes that were new. */
  newBytes: number;
  /** Bytes found already stored (in this call or in the bucket's storage). */
  dedupBytes: number;
  /** Hex SHA-256 of the content, when `sha256: true`. */
  sha256?: string;
}

/** What an upload did. */
export interface UploadReport {
  /** Per file, in `add` order. */
  files: UploadedFile[];
  /** Bytes read from all sources. */
  bytes: number;
  /** Bytes that were new. */
  newBytes: number;
  /** Bytes deduplicated. */
  dedupBytes: number;
  /** Bytes sent to the CAS (xorbs + shards). */
  bytesSent: number;
  /** Compressed xorb bytes sent. */
  xorbBytesSent: number;
  /** Shard bytes sent. */
  shardBytesSent: number;
  /** Xorbs uploaded. */
  xorbs: number;
  /** Xorbs the CAS already had. */
  xorbsAlreadyStored: number;
  /** Global-deduplication queries sent. */
  dedupQueries: number;
  /** Queries that found stored content. */
  dedupHits: number;
  /**
   * Queries answered by the local shard cache instead of the CAS (Node; not counted in
   * `dedupQueries`). One answer is a whole earlier session's shard, so it often serves many files.
   */
  dedupCacheHits: number;
}

/** Options shared by the upload calls. */
export interface UploadOptions extends TransferOptions {
  /**
   * Byte-level progress.
   * @default undefined
   * @example { onProgress: (e) => console.log(`${e.bytesHashed} hashed, ${e.bytesUploaded} uploaded`) }
   */
  onProgress?: (event: UploadProgressEvent) => void;
  /**
   * Commit the files to the bucket (one batch call). With `false` the content is only uploaded
   * to the CAS and the hashes are returned, for a server to commit with `batchBucketFiles`
   * (`add: [{ destination, xetHash }]`).
   * @default true
   */
  commit?: boolean;
  /**
   * Also compute each file's SHA-256 (recorded in the Xet metadata; buckets do not need it).
   * @default false
   */
  sha256?: boolean;
  /**
   * Xorb uploads (16 MiB each) in flight at once, 1 to 16. Each one adds about 16 MiB to the
   * upload's memory.
   * @default 2
   * @example { xorbConcurrency: 4 }
   */
  xorbConcurrency?: number;
  /**
   * Use the local shard cache (Node: the shards of recent uploads, kept under the user's cache
   * folder), so that content uploaded recently is found without asking the CAS. Off for all
   * uploads with the environment variable `HF_BUCKETS_SHARD_CACHE=0`. No effect elsewhere.
   * @default true
   */
  shardCache?: boolean;
}

export interface UploadBucketFileOptions extends UploadOptions, AddFromSource {}

/** What `batchBucketFiles` takes besides its lines, when some `add` items carry a `source`. */
export interface BatchUploadOptions {
  /** See {@link UploadOptions.onProgress}. @default undefined */
  onProgress?: (event: UploadProgressEvent) => void;
  /** See {@link TransferOptions.tokenProvider}. @default the Hub's token routes */
  tokenProvider?: TokenProvider;
  /** See {@link UploadOptions.sha256}. @default false */
  sha256?: boolean;
  /** See {@link UploadOptions.xorbConcurrency}. @default 2 */
  xorbConcurrency?: number;
  /** See {@link UploadOptions.shardCache}. @default true */
  shardCache?: boolean;
}

/** The result of `uploadBucketFile`. */
export interface UploadBucketFileResult extends UploadedFile {
  /** Session totals. */
  upload: UploadReport;
  /** The batch call's report (absent with `commit: false`). */
  batch?: BatchReport;
}

// ----------------------------------------------------------------------------- downloads

/** Byte counters of a download; throttled (about 10 events per second, plus a final one). */
export interface DownloadProgressEvent {
  /** Bytes of (compressed) Xet data received. */
  bytesFetched: number;
  /** Bytes verified and handed out. */
  bytesVerified: number;
  /** Bytes the download hands out in all. */
  totalBytes: number;
}

/** A byte range, `end` exclusive. */
export interface ByteRange {
  /** First byte. */
  start: number;
  /**
   * End (exclusive); clamped to the file size.
   * @default the file size
   */
  end?: number;
}

export interface GetBucketFileOptions extends TransferOptions {
  /** Path of the file in the bucket (or give `xetHash` and `size`). */
  path?: string;
  /** The file's Xet hash, instead of `path` (no Hub call; e.g. with a `tokenProvider`). */
  xetHash?: string;
  /** The file's size, with `xetHash`. */
  size?: number;
  /**
   * Only these bytes.
   * @default the whole file
   * @example { range: { start: 1024, end: 2048 } }
   */
  range?: ByteRange;
  /**
   * How bytes read from part of a xorb are verified. `'full'`: before they are handed out, the
   * xorb's footer (its chunk hashes and lengths) is read with a suffix range on the same
   * transfer URL, once per xorb and download (one request of about 10 KB, a second one for
   * xorbs of more than 256 chunks), checked against the xorb hash, and every chunk is checked
   * against it; a server that refuses that range (a 4xx answer) makes the read fail with an
   * `IntegrityError`. `'structural'`: no footer is read, and such bytes are only checked
   * structurally (valid records and lengths), so a flipped byte there can go unnoticed. Xorbs
   * fetched whole and whole files are verified the same way in both modes.
   * @default 'full'
   * @example { range: { start: 1024, end: 2048 }, verify: 'structural' }
   */
  verify?: "full" | "structural";
  /**
   * Byte-level progress.
   * @default undefined
   */
  onProgress?: (event: DownloadProgressEvent) => void;
}

/** A file's bytes as a stream (async iterable in Node ≥ 18 and current browsers), with what is known up front. */
export type BucketFileStream = ReadableStream<Uint8Array> & {
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array>;
  /** Bytes the stream yields (the range length or the file size). */
  size: number;
  /** Size of the whole file. */
  fileSize: number;
  /** The file's Xet hash. */
  xetHash: string;
};

export interface DownloadBucketFileOptions extends GetBucketFileOptions {
  /** Local path to write. */
  to: string;
  /** A client to use instead of the client options. */
  client?: TransferMethods;
}

// ----------------------------------------------------------------------------- random access

export interface OpenBucketBlobOptions extends TransferOptions {
  /** The file's Xet hash, instead of the `path` argument (pass `undefined` as `path`). */
  xetHash?: string;
  /** The file's size, with `xetHash`. */
  size?: number;
  /**
   * Bytes of decoded, verified chunks kept for later reads, shared by the blob and its slices
   * (least recently used chunks go first; 0 keeps none).
   * @default 33554432 (32 MiB)
   * @example { cacheBytes: 8 * 1024 * 1024 }
   */
  cacheBytes?: number;
  /**
   * The blob's `type`.
   * @default ""
   * @example { type: "application/vnd.apache.parquet" }
   */
  type?: string;
}

/** Options of one read of a {@link BucketBlob}. */
export interface BlobReadOptions {
  /**
   * Aborts this read (rejects with `AbortError`); the blob stays usable.
   * @default undefined
   */
  signal?: AbortSignal;
}

/** What range readers such as `hyparquet` take: a length and ranged reads. */
export interface AsyncBuffer {
  /** Size in bytes. */
  byteLength: number;
  /**
   * Bytes `[start, end)` (as `Blob.slice`: negative offsets count from the end).
   * @throws {IntegrityError} the bytes failed verification
   * @example const footer = await buf.slice(buf.byteLength - 8);
   */
  slice(start: number, end?: number): Promise<ArrayBuffer>;
}

/** What a {@link BucketBlob}'s reader has done so far (shared by the blob and its slices). */
export interface BucketBlobStats {
  /** Range requests for chunk data. */
  dataRequests: number;
  /** Xorb footers read (one or two requests each, once per xorb). */
  footerReads: number;
  /** Bytes received from the transfer URLs (chunk data and footers). */
  bytesFetched: number;
  /** Chunks served from the cache. */
  cacheHits: number;
  /** Bytes in the cache now. */
  cachedBytes: number;
}

/**
 * A lazy view of a bucket file (or of a slice of it) with the reading methods of a `Blob`.
 * Nothing is fetched until a method reads; every byte read is verified (each chunk against its
 * hash from the xorb's footer, which must aggregate to the xorb hash; README, "Random access").
 * Not a `Blob` subclass: native consumers (`fetch` bodies, `FormData`, `URL.createObjectURL`)
 * read a Blob's bytes through internal slots, which cannot be filled lazily.
 */
export interface BucketBlob {
  /** Bytes in this view. */
  readonly size: number;
  /** Content type given to `openBucketBlob` or `slice`. @default "" */
  readonly type: string;
  /** The file's Xet hash. */
  readonly xetHash: string;
  /**
   * Another lazy view, with the rules of `Blob.prototype.slice` (offsets relative to this view,
   * negative ones from its end); shares the reader and its cache.
   * @example const tail = blob.slice(-8);
   */
  slice(start?: number, end?: number, contentType?: string): BucketBlob;
  /**
   * Reads the view.
   * @throws {IntegrityError} the bytes failed verification, or the server refused the footer range
   * @throws {AbortError} `signal` fired
   * @throws {ValidationError} the blob was closed
   * @example const bytes = await blob.slice(0, 4).bytes();
   */
  bytes(options?: BlobReadOptions): Promise<Uint8Array>;
  /** As {@link BucketBlob.bytes}, as an `ArrayBuffer`. @throws {IntegrityError} @example await blob.arrayBuffer() */
  arrayBuffer(options?: BlobReadOptions): Promise<ArrayBuffer>;
  /** As {@link BucketBlob.bytes}, decoded as UTF-8. @throws {IntegrityError} @example await blob.slice(0, 100).text() */
  text(options?: BlobReadOptions): Promise<string>;
  /**
   * A `ReadableStream` of the view, read 1 MiB at a time as the consumer pulls.
   * @throws {IntegrityError} (errors the stream)
   * @example for await (const piece of blob.stream()) console.log(piece.length);
   */
  stream(options?: BlobReadOptions): ReadableStream<Uint8Array>;
  /**
   * The view as an {@link AsyncBuffer} for range readers.
   * @example const metadata = await parquetMetadataAsync(blob.asyncBuffer());
   */
  asyncBuffer(options?: BlobReadOptions): AsyncBuffer;
  /** Counters of the shared reader. @example blob.stats().bytesFetched */
  stats(): BucketBlobStats;
  /**
   * Frees the reader (shared with every slice) now; later reads reject with `ValidationError`.
   * Without it the reader is freed once no view of it is reachable.
   * @example blob.close();
   */
  close(): void;
  /** Same as {@link BucketBlob.close}. @example { using blob = await hub.openBucketBlob(b, "x"); } */
  [Symbol.dispose](): void;
}

// ----------------------------------------------------------------------------- calls

/** The transfer methods of `BucketClient`. */
export interface TransferMethods {
  /**
   * Uploads one file (deduplicating against the bucket's storage) and commits it.
   * @throws {ValidationError} bad bucket id, path or source (nothing sent)
   * @throws {AbortError} `signal` fired: nothing is committed if it fired before the batch request was sent (one already sent may still be applied)
   * @throws {HubError} the Hub or the CAS refused (after retries): nothing is committed
   * @example
   * const r = await hub.uploadBucketFile("me-user/ckpts", { source: file, destination: "run1/model.bin", onProgress: console.log });
   * console.log(r.xetHash, r.size, r.upload.bytesSent);
   */
  uploadBucketFile(bucketId: string, options: UploadBucketFileOptions): Promise<UploadBucketFileResult>;
  /**
   * Downloads a file (or a range) into one `Uint8Array`. Every chunk is decoded and checked
   * against a chunk hash proven by its xorb's hash (for part of a xorb, through the xorb's
   * footer; see {@link GetBucketFileOptions.verify}); a whole file is only returned after its Xet
   * hash was recomputed and matched (README, "Verified downloads").
   * @throws {NotFoundError} no such file
   * @throws {IntegrityError} the data failed verification, or (with `verify: 'full'`) the server
   * refused the footer range of a partially read xorb; no bytes are returned
   * @throws {AbortError} `signal` fired
   * @example const bytes = await hub.getBucketFile("me-user/ckpts", { path: "run1/model.bin", range: { start: 0, end: 1024 } });
   */
  getBucketFile(bucketId: string, options: GetBucketFileOptions): Promise<Uint8Array>;
  /**
   * Opens a file (or a range) as a `ReadableStream`, fetched as the stream is read (bounded
   * memory). Resolves once the file is found. Each fetched range is held until every chunk in
   * it was checked against a chunk hash proven by its xorb's hash (for part of a xorb, through
   * the xorb's footer; see {@link GetBucketFileOptions.verify}), so no piece carries an
   * unchecked byte; a failure errors the stream with an `IntegrityError`. For a whole file the
   * Xet hash is also checked before the stream closes (README, "Verified downloads").
   * @throws {NotFoundError} no such file
   * @example
   * const stream = await hub.openBucketFile("me-user/ckpts", { path: "big.bin" });
   * for await (const piece of stream) process(piece);
   */
  openBucketFile(bucketId: string, options: GetBucketFileOptions): Promise<BucketFileStream>;
  /** Another name for {@link TransferMethods.openBucketFile}. @example const stream = await hub.downloadStream("me-user/ckpts", { path: "big.bin" }); */
  downloadStream(bucketId: string, options: GetBucketFileOptions): Promise<BucketFileStream>;
  /**
   * Opens a file for random access as a lazy {@link BucketBlob}: resolves once the file is
   * found and its reconstruction planned, and fetches nothing else until a read. Reads fetch only
   * the chunks they need (plus, once per xorb, its footer), verify every chunk, and keep
   * verified chunks in an LRU of `cacheBytes`. Runs on the calling thread also with `worker`.
   * @throws {NotFoundError} no such file
   * @throws {ValidationError} bad bucket id, path or option
   * @example
   * const blob = await hub.openBucketBlob("me-user/data", "train.parquet");
   * const metadata = await parquetMetadataAsync(blob.asyncBuffer()); // hyparquet
   */
  openBucketBlob(bucketId: string, path: string | undefined, options?: OpenBucketBlobOptions): Promise<BucketBlob>;
}

/** See {@link TransferMethods.uploadBucketFile}. @throws {HubError} @example await uploadBucketFile("me-user/b", { source: bytes, destination: "a.bin", accessToken }) */
export function uploadBucketFile(bucketId: string, options: UploadBucketFileOptions & ClientOptions): Promise<UploadBucketFileResult>;
/** See {@link TransferMethods.getBucketFile}. @throws {HubError} @example await getBucketFile("me-user/b", { path: "a.bin", accessToken }) */
export function getBucketFile(bucketId: string, options: GetBucketFileOptions & ClientOptions): Promise<Uint8Array>;
/** See {@link TransferMethods.openBucketFile}. @throws {HubError} @example await openBucketFile("me-user/b", { path: "a.bin" }) */
export function openBucketFile(bucketId: string, options: GetBucketFileOptions & ClientOptions): Promise<BucketFileStream>;
/** Another name for {@link openBucketFile}. @throws {HubError} @example await downloadStream("me-user/b", { path: "a.bin" }) */
export function downloadStream(bucketId: string, options: GetBucketFileOptions & ClientOptions): Promise<BucketFileStream>;
/** See {@link TransferMethods.openBucketBlob}. @throws {HubError} @example await openBucketBlob("me-user/b", "a.parquet", { accessToken }) */
export function openBucketBlob(bucketId: string, path: string | undefined, options?: OpenBucketBlobOptions & ClientOptions): Promise<BucketBlob>;
/**
 * **Node only.** Downloads a file (or a range) to the local path `to`, through a temporary file
 * renamed into place once the download passed its checks (for a whole file, its Xet hash; a range
 * as described for {@link TransferMethods.openBucketFile}); nothing is left behind on failure.
 * @throws {IntegrityError} the data failed verification (no file is written)
 * @example await downloadBucketFile("me-user/ckpts", { path: "run1/model.bin", to: "./model.bin", accessToken });
 */
export function downloadBucketFile(bucketId: string, options: DownloadBucketFileOptions & ClientOptions): Promise<{ path: string; size: number; xetHash: string }>;
