// Types of `hf-buckets` (hand-written; checked by tsc against tests/types/client*.ts).

import type { AddFromSource, BatchUploadOptions, TransferMethods, UploadReport } from "./transfer.js";
export * from "./transfer.js";
export * from "./sync.js";

// ----------------------------------------------------------------------------- options

/** Retry settings. Idempotent requests are retried on HTTP 408/429/500/502/503/504, network errors
 * and timeouts; create and move only after a 429. Backoff is exponential with jitter; a
 * `Retry-After` from the Hub replaces it. */
export interface RetryOptions {
  /**
   * Retries after the first attempt (so `retries + 1` attempts at most). 0 to 20.
   * @default 4
   * @example { retries: 2 }
   */
  retries?: number;
  /**
   * Backoff before the first retry, in ms; doubles at each retry (a random value in the upper
   * half of the step is used).
   * @default 200
   * @example { initialDelayMs: 500 }
   */
  initialDelayMs?: number;
  /**
   * Upper bound of one backoff step, in ms.
   * @default 10000
   * @example { maxDelayMs: 30_000 }
   */
  maxDelayMs?: number;
  /**
   * The longest `Retry-After` (ms) the client waits for; a longer one fails at once with a
   * `RateLimitError` instead of stalling.
   * @default 60000
   * @example { maxRetryAfterMs: 5_000 }
   */
  maxRetryAfterMs?: number;
  /**
   * Per-attempt limit in ms until the response headers arrive (0: none). A timeout is retried,
   * then reported as `TimeoutError`.
   * @default 60000
   * @example { timeoutMs: 10_000 }
   */
  timeoutMs?: number;
}

/** How to reach the Hub. Taken by `new BucketClient(...)` and by every free function. */
export interface ClientOptions {
  /**
   * A Hugging Face access token (`hf_…`), sent as `Authorization: Bearer` to the Hub only —
   * never to the Xet CAS, never in error messages. Without it, calls are anonymous (public
   * buckets can be read).
   * @default undefined
   * @example { accessToken: process.env.HF_TOKEN }
   */
  accessToken?: string;
  /**
   * The Hub endpoint: an absolute `http(s)://` URL, or, in a page or worker, a URL relative to
   * its `location` (`"/hub"` becomes `https://my-app.example/hub`), resolved once when the client
   * is made. Where there is no `location` (Node) a relative endpoint is a `ValidationError`.
   * @default "https://huggingface.co"
   * @throws {ValidationError} when it is not http(s), or relative where there is no `location`.
   * @example { endpoint: process.env.HF_ENDPOINT ?? "https://huggingface.co" }
   * @example { endpoint: "/hub" } // in a page: your server's proxy of the Hub API
   */
  endpoint?: string;
  /**
   * The `fetch` to use (for proxies, logging, tests).
   * @default globalThis.fetch
   * @example { fetch: (url, init) => { console.log(init?.method, url); return fetch(url, init); } }
   */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /**
   * Retry settings; `false` disables retries, `true` or `undefined` uses the defaults.
   * @default true
   * @example { retry: { retries: 2, timeoutMs: 10_000 } }
   */
  retry?: boolean | RetryOptions;
  /**
   * Runs uploads and downloads (`uploadBucketFile`, `batchBucketFiles` with `add`, `getBucketFile`,
   * `openBucketFile`) in a module Web Worker with its own wasm instance, so reading, chunking,
   * hashing, compression and verification stay off the calling thread. Message passing only (no
   * `SharedArrayBuffer`, no COOP/COEP needed); `onProgress`, `tokenProvider` and `signal` work as
   * usual. Falls back to the calling thread where `Worker` is missing (Node), fails to load, or a
   * custom `fetch` is set. `url` overrides the worker script (default: the package's
   * `js/worker/worker.js`; a cross-origin URL is started through a same-origin blob module).
   * @default false
   * @example new BucketClient({ endpoint: "/hub", worker: true })
   */
  worker?: boolean | { url?: string | URL };
}

/** What every call accepts. */
export interface CallOptions {
  /**
   * Aborts the call: the in-flight request is cancelled and the promise (or the listing)
   * rejects with an `AbortError` whose `cause` is `signal.reason`.
   * @default undefined
   * @example { signal: AbortSignal.timeout(5_000) }
   */
  signal?: AbortSignal;
}

// ----------------------------------------------------------------------------- results

/** What `getFileMetadata` reads from a `HEAD` on the file (no bytes are downloaded). */
export interface FileMetadata {
  /** Size in bytes (`X-Linked-Size`, else `Content-Length`). */
  size: number;
  /** Xet content hash (64 lowercase hex digits), from `X-Xet-Hash`. */
  xetHash: string;
  /** `X-Linked-ETag`, else `ETag`, as the Hub sent it (quotes included), if any. */
  etag?: string;
  /** `Last-Modified` (second precision), if sent. */
  lastModified?: Date;
  /** `Content-Type`, if sent (local-hub sends the type given at upload, else `application/octet-stream`). */
  contentType?: string;
}

/** A bucket, as `bucketInfo` and `listBuckets` return it. */
export interface BucketInfo {
  /** `namespace/name`. */
  id: string;
  /** Whether only its namespace can see it. */
  private: boolean;
  /** Total bytes of its current files. */
  size: number;
  /** Number of current files. */
  totalFiles: number;
  /** When it was created. */
  createdAt: Date;
  /** When it last changed, when the Hub says. */
  updatedAt?: Date;
  /** Its namespace, when the Hub says. */
  author?: string;
  /** Storage region, when the Hub says. */
  region?: string;
}

/** What `createBucket` returns. */
export interface CreatedBucket {
  /** `namespace/name`, with the real namespace (also when none was given). */
  bucketId: string;
  /** Web page of the bucket. */
  url: string;
  /** `hf://buckets/namespace/name`. */
  handle: string;
  /** `false` when `existOk` found the bucket already there. */
  created: boolean;
}

/** A file in a bucket. */
export interface BucketFile {
  type: "file";
  /** Full path from the bucket root. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Xet content hash (64 lowercase hex digits). */
  xetHash: string;
  /** Modification time given when the file was added, if any. */
  mtime?: Date;
  /** When the Hub recorded the file. */
  uploadedAt?: Date;
  /** MIME type given when the file was added, if any. */
  contentType?: string;
}

/** A folder (only in non-recursive listings; folders exist only as path prefixes). */
export interface BucketDirectory {
  type: "directory";
  /** Path without a trailing `/`. */
  path: string;
  /** Newest upload below it, when the Hub says. */
  uploadedAt?: Date;
}

/** An entry of `listBucketTree`. */
export type BucketTreeEntry = BucketFile | BucketDirectory;

/** The user behind the token (`GET /api/whoami-v2`). More fields may be present. */
export interface WhoAmI {
  type: string;
  name: string;
  fullname?: string;
  email?: string | null;
  avatarUrl?: string;
  orgs?: Array<{ name: string; fullname?: string; [key: string]: unknown }>;
  auth?: { type?: string; accessToken?: { displayName?: string; role?: string; [key: string]: unknown } };
  [key: string]: unknown;
}

/** One line that did not take effect. */
export interface BatchFailure {
  /** Its path. */
  path: string;
  /** Why (the Hub's reason, or why it was not sent). */
  error: string;
}

/**
 * Outcome of `batchBucketFiles` / `copyFiles`. A batch is not a transaction: lines not listed
 * in `failed` or `skipped` took effect.
 */
export interface BatchReport {
  /** `true` when every line was sent and took effect. */
  success: boolean;
  /** Lines the Hub processed. */
  processed: number;
  /** Lines that took effect. */
  succeeded: number;
  /** Lines the Hub rejected. */
  failed: BatchFailure[];
  /**
   * Lines not sent: after a request with failures the rest of the batch is not sent (deletes
   * never run after a failed add or copy); for `copyFiles` also git-stored repo files too large
   * to re-upload through memory.
   */
  skipped: BatchFailure[];
  /** What the upload of `add` items with a `source` did (absent when there were none). */
  upload?: UploadReport;
}

/** A parsed `hf://` URI. */
export interface HfUri {
  /** What it points into. */
  type: "bucket" | "model" | "dataset" | "space" | "kernel";
  /** `namespace/name`. */
  id: string;
  /** Repo revision (decoded); never set for buckets. */
  revision?: string;
  /** Path inside, without leading or trailing `/`; `""` for the root. */
  path: string;
  /** Whether the URI ended with `/` (on a copy source: "the folder's contents"). */
  trailingSlash: boolean;
}

// ----------------------------------------------------------------------------- per-call options

export interface CreateBucketOptions extends CallOptions {
  /**
   * Namespace (user or organization) to create it in. Alternatively pass `namespace/name` as
   * the name.
   * @default the token's user
   * @example { namespace: "my-org" }
   */
  namespace?: string;
  /**
   * Visibility.
   * @default the namespace's default (public for users)
   * @example { private: true }
   */
  private?: boolean;
  /**
   * Do not fail when the bucket already exists (resolves with `created: false`).
   * @default false
   * @example { existOk: true }
   */
  existOk?: boolean;
  /**
   * Storage region (`"us"`, `"eu"`; needs a plan that allows it).
   * @default the Hub's default
   * @example { region: "eu" }
   */
  region?: string;
  /**
   * Enterprise resource group to put the bucket in.
   * @default undefined
   * @example { resourceGroupId: "6512…" }
   */
  resourceGroupId?: string;
}

export interface DeleteBucketOptions extends CallOptions {
  /**
   * Resolve instead of throwing `NotFoundError` when the bucket does not exist (other errors
   * still throw).
   * @default false
   * @example { missingOk: true }
   */
  missingOk?: boolean;
}

export interface UpdateBucketSettingsOptions extends CallOptions {
  /**
   * The bucket's new visibility (required; the only setting sent).
   * @example { private: false }
   */
  private: boolean;
}

export interface ListBucketsOptions extends CallOptions {
  /**
   * Whose buckets.
   * @default the token's user
   * @example { namespace: "my-org" }
   */
  namespace?: string;
  /**
   * Only buckets whose name contains this text.
   * @default undefined
   * @example { search: "ckpt" }
   */
  search?: string;
  /**
   * Buckets per page requested from the Hub (pages are fetched lazily, one at a time).
   * @default the Hub's default
   * @example { limit: 100 }
   */
  limit?: number;
}

export interface ListBucketTreeOptions extends CallOptions {
  /**
   * Folder to list (`""`: the root). Matched as a folder: `logs` lists `logs/…`, not `logs.txt`.
   * @default ""
   * @example { prefix: "run1/" }
   */
  prefix?: string;
  /**
   * `true`: every file below the prefix, no folder entries. `false`: the direct children of the
   * prefix, files and folders.
   * @default true
   * @example { recursive: false }
   */
  recursive?: boolean;
  /**
   * Entries per page requested from the Hub (pages are fetched lazily, one at a time).
   * @default the Hub's default (1000)
   * @example { limit: 500 }
   */
  limit?: number;
}

/**
 * Reconnect constants of {@link BucketClient.watchBucket} (buckets-workflows §6.3). The defaults
 * are the spec's; tests shorten them.
 */
export interface WatchTiming {
  /** Wait before reconnecting after a healthy session. @default 1000 @example { healthyDelayMs: 50 } */
  healthyDelayMs?: number;
  /** First backoff step; it doubles after each failure. @default 10000 @example { backoffMs: 100 } */
  backoffMs?: number;
  /** Largest backoff step, and largest `Retry-After` honoured. @default 80000 @example { backoffMaxMs: 800 } */
  backoffMaxMs?: number;
  /** A stream silent this long is dead (the Hub pings every 30 s). @default 90000 @example { readTimeoutMs: 2000 } */
  readTimeoutMs?: number;
  /** Limit on the time until the response headers arrive. @default 10000 @example { connectTimeoutMs: 2000 } */
  connectTimeoutMs?: number;
  /** Sessions broken before `ready` in a row before giving up. @default 3 @example { maxUnhealthy: 5 } */
  maxUnhealthy?: number;
}

export interface WatchBucketOptions extends CallOptions {
  /**
   * Only changes at or below this folder (`logs` matches `logs` and `logs/…`, not `logs.txt`).
   * Paths in events stay relative to the bucket root.
   * @default "" (the whole bucket)
   * @example { prefix: "run1/" }
   */
  prefix?: string;
  /**
   * Resume strictly after the batch of this cursor (the `cursor` of an earlier event). A cursor
   * older than the Hub's replay buffer leads to a reconcile (see `watchBucket`).
   * @default undefined (live changes only)
   * @example { cursor: lastEvent.cursor }
   */
  cursor?: string;
  /**
   * Replay the changes committed after this instant (e.g. a bucket's `updatedAt`).
   * @default undefined
   * @example { since: info.updatedAt }
   */
  since?: string | Date;
  /**
   * First list the prefix and yield its files as `add` events (without `cursor`), then follow
   * the feed: a consumer can build its view from the iterator alone. The watcher then emits
   * changes relative to that listing (a replayed change the listing already shows is dropped).
   * Not combinable with `cursor` or `since`.
   * @default false
   * @example { initial: true }
   */
  initial?: boolean;
  /**
   * Reconnect constants (for tests; the defaults follow the spec).
   * @default {}
   * @example { timing: { backoffMs: 100, healthyDelayMs: 50 } }
   */
  timing?: WatchTiming;
}

/** A file change of {@link BucketClient.watchBucket}. */
export interface BucketChangeEvent {
  /** `add`: a new path (all fields); `update`: an overwrite (only the changed fields); `delete`. */
  type: "add" | "update" | "delete";
  /** Full path from the bucket root. */
  path: string;
  /** Size in bytes (absent on `delete`, and on `update` when unchanged). */
  size?: number;
  /** Xet content hash (absent when unchanged, or when the token may not read it). */
  xetHash?: string;
  /** Modification time given when the file was added. */
  mtime?: Date;
  /** When the Hub recorded the file. */
  uploadedAt?: Date;
  /**
   * Resume point after this change's batch (pass it as `cursor` to a later watch). Absent on
   * events made up from a listing (`initial`, or a reconcile after the Hub's `reset`).
   */
  cursor?: string;
}

/** The replay of a (re)connection is done; what follows is live. */
export interface BucketReadyEvent {
  type: "ready";
  /** The resume point, when one is known. */
  cursor?: string;
}

/** An event of {@link BucketClient.watchBucket}. */
export type BucketWatchEvent = BucketChangeEvent | BucketReadyEvent;

export interface MoveBucketOptions extends CallOptions {
  /**
   * The bucket to move, `namespace/name`.
   * @example { fromId: "me-user/old", toId: "my-org/new" }
   */
  fromId: string;
  /**
   * Its new id: another name, and/or another namespace you can write to.
   * @example { fromId: "me-user/old", toId: "me-user/new" }
   */
  toId: string;
}

/** An `add` item: content already in the bucket's Xet storage, referenced by hash. */
export interface AddByHash {
  /**
   * Destination path (no leading `/`, no `.`/`..` segments, ≤ 1024 bytes).
   * @example { destination: "run1/.keep", xetHash: "0".repeat(64) }
   */
  destination: string;
  /**
   * Xet hash of content already in the bucket's storage (64 hex digits; 64 zeros for an empty file).
   * @example { destination: "copy.bin", xetHash: entry.xetHash }
   */
  xetHash: string;
  /**
   * Modification time, shown as `mtime` in listings: a valid `Date` or an integer number of ms since
   * 1970 (an invalid `Date`, a fraction or a negative number is a `ValidationError`).
   * @default none (listings show no mtime)
   * @example { mtime: new Date() }
   */
  mtime?: Date | number;
  /**
   * MIME type recorded with the file.
   * @default none
   * @example { contentType: "application/json" }
   */
  contentType?: string;
}

/** A server-side copy by hash. */
export interface CopyByHash {
  /**
   * Destination path in this bucket.
   * @example { destination: "ref/base.safetensors" }
   */
  destination: string;
  /**
   * Hash of the source file (from its listing or `getPathsInfo`).
   * @example { xetHash: entry.xetHash }
   */
  xetHash: string;
  /**
   * Where the hash lives.
   * @default "bucket"
   * @example { sourceType: "model" }
   */
  sourceType?: "bucket" | "model" | "dataset" | "space";
  /**
   * `namespace/name` of the source bucket or repo (you need read access).
   * @example { sourceId: "acme/base-model" }
   */
  sourceId: string;
  /**
   * Modification time: a valid `Date` or an integer number of ms since 1970 (an invalid `Date`, a
   * fraction or a negative number is a `ValidationError`).
   * @default none
   * @example { mtime: Date.now() }
   */
  mtime?: Date | number;
  /**
   * MIME type recorded with the file.
   * @default none
   * @example { contentType: "application/octet-stream" }
   */
  contentType?: string;
}

export interface BatchBucketFilesOptions extends CallOptions, BatchUploadOptions {
  /**
   * Files to add (sent first).
   * @default []
   * @example { add: [{ destination: "empty.txt", xetHash: "0".repeat(64) }] }
   */
  add?: (AddByHash | AddFromSource)[];
  /**
   * Server-side copies (sent after the adds).
   * @default []
   * @example { copy: [{ destination: "b.bin", xetHash, sourceId: "me/other-bucket" }] }
   */
  copy?: CopyByHash[];
  /**
   * Paths to delete (sent last; one file each, no folders).
   * @default []
   * @example { delete: ["old/a.bin", "old/b.bin"] }
   */
  delete?: string[];
}

/**
 * What `deleteBucketFiles` deletes: exactly one of `prefix` and `paths`, then `include` /
 * `exclude` (the globs of `syncBucket`, matched against the full bucket path).
 */
export interface DeleteBucketFilesOptions extends CallOptions {
  /**
   * Every file at or below this folder: `"logs"` and `"logs/"` select `logs/a.txt` (and a file
   * named `logs`), never `logs.txt` or `logs_old/…`. `""` selects every file of the bucket.
   * @default none (give `prefix` or `paths`)
   * @example { prefix: "run1/tmp" }
   */
  prefix?: string;
  /**
   * These files. They are looked up first: paths that are not files of the bucket are
   * reported in `missing` and not sent.
   * @default none (give `prefix` or `paths`)
   * @example { paths: ["a.bin", "logs/today.txt"] }
   */
  paths?: string[];
  /**
   * Only paths matching one of these globs (Python `fnmatch`: `*` also matches `/`, anchored
   * at both ends, case-sensitive; `\` reads as `/`).
   * @default [] (every selected file)
   * @example { prefix: "", include: ["*.tmp"] }
   */
  include?: string[];
  /**
   * Never paths matching one of these globs (checked before `include`).
   * @default []
   * @example { prefix: "logs", exclude: ["*.keep"] }
   */
  exclude?: string[];
  /**
   * Report what would be deleted; send no deletion.
   * @default false
   * @example { prefix: "tmp", dryRun: true }
   */
  dryRun?: boolean;
}

/** What `deleteBucketFiles` did (with `dryRun`: would do). */
export interface DeleteBucketFilesReport {
  /** Full paths deleted (dry run: that would be), in listing order (`prefix`) or as given (`paths`). */
  deleted: string[];
  /** Their total size, bytes. */
  totalSize: number;
  /** Whether this was a dry run (nothing was deleted). */
  dryRun: boolean;
  /** `paths` that are not files of the bucket (not sent). Always empty with `prefix`. */
  missing: string[];
  /**
   * Deletions that did not take effect: rejected by the Hub, or not sent after a request of
   * ≤ 1000 lines had failures. Not in `deleted`.
   */
  failed: BatchFailure[];
  /** `true` when `failed` is empty. */
  success: boolean;
}

export interface CopyFilesOptions extends CallOptions {
  /**
   * What to copy: `hf://buckets/ns/name/path`, or a repo `hf://[datasets/|spaces/]ns/name[@rev]/path`
   * (a file or a folder). A trailing `/` on a folder copies its contents; without it the folder
   * itself is copied into a destination folder that exists.
   * @example { source: "hf://datasets/acme/corpus@main/data/", destination: "hf://buckets/me/b/corpus/" }
   */
  source: string;
  /**
   * Where to: `hf://buckets/ns/name[/path][/]`. A path that is not an existing file is a folder
   * when it exists as one or ends with `/`; otherwise it is the new file's name.
   * @example { source: "hf://buckets/me/a/x.bin", destination: "hf://buckets/me/b/" }
   */
  destination: string;
}

// ----------------------------------------------------------------------------- the client

/**
 * A client for Hugging Face Storage Buckets. Every method checks its input first (a
 * `ValidationError` means nothing was sent), takes an options object with `signal`, and throws
 * subclasses of `HubError`.
 *
 * @example
 * const hub = new BucketClient({ accessToken: process.env.HF_TOKEN, endpoint: process.env.HF_ENDPOINT });
 * const { bucketId } = await hub.createBucket("ckpts", { existOk: true });
 * for await (const entry of hub.listBucketTree(bucketId, { prefix: "run1/" })) console.log(entry.path);
 */
export interface BucketClient extends TransferMethods {}
export class BucketClient {
  /**
   * @throws {ValidationError} when an option is invalid (an endpoint that is not http(s), or
   *   relative in Node, …).
   * @example new BucketClient({ accessToken: "hf_…" })
   */
  constructor(options?: ClientOptions);

  /** The endpoint in use: absolute (a relative one resolved), without a trailing `/`. */
  readonly endpoint: string;

  /**
   * Whether transfers run in a Web Worker (the `worker` option, where a worker could start).
   * @throws never
   * @example if (!(await hub.usesWorker())) console.warn("chunking on the main thread");
   */
  usesWorker(): Promise<boolean>;

  /**
   * Creates a bucket. `name` is `"name"` (in `options.namespace`, default your user) or
   * `"namespace/name"`.
   * @throws {ConflictError} when it exists (unless `existOk`). {@link AuthError}, {@link ForbiddenError}, {@link ValidationError}.
   * @example const { bucketId, handle } = await hub.createBucket("ckpts", { private: true, existOk: true });
   */
  createBucket(name: string, options?: CreateBucketOptions): Promise<CreatedBucket>;

  /**
   * Deletes a bucket and all its files. Irreversible.
   * @throws {NotFoundError} when it does not exist (unless `missingOk`). {@link ForbiddenError}.
   * @example await hub.deleteBucket("me-user/ckpts", { missingOk: true });
   */
  deleteBucket(bucketId: string, options?: DeleteBucketOptions): Promise<void>;

  /**
   * Bucket metadata.
   * @throws {NotFoundError} when missing or not visible (401 {@link AuthError} when anonymous).
   * @example const { size, totalFiles } = await hub.bucketInfo("me-user/ckpts");
   */
  bucketInfo(bucketId: string, options?: CallOptions): Promise<BucketInfo>;

  /**
   * The buckets of a namespace, fetched page by page as you iterate.
   * @throws {NotFoundError} for an unknown namespace (from the iteration).
   * @example for await (const b of hub.listBuckets({ namespace: "my-org" })) console.log(b.id);
   */
  listBuckets(options?: ListBucketsOptions): AsyncGenerator<BucketInfo, void, undefined>;

  /**
   * Files (and, non-recursive, folders) of a bucket, fetched page by page as you iterate;
   * breaking out stops fetching.
   * @throws {NotFoundError} when the bucket is missing (from the iteration). {@link ValidationError} for a bad prefix.
   * @example for await (const e of hub.listBucketTree("me-user/ckpts", { prefix: "run1", recursive: false })) console.log(e.type, e.path);
   */
  listBucketTree(bucketId: string, options?: ListBucketTreeOptions): AsyncGenerator<BucketTreeEntry, void, undefined>;

  /**
   * Metadata of the given files (requests of ≤ 1000 paths). Missing paths and folders are left
   * out.
   * @throws {ValidationError} for an invalid path. {@link NotFoundError} when the bucket is missing.
   * @example const [info] = await hub.getPathsInfo("me-user/ckpts", ["run1/model.bin"]);
   */
  getPathsInfo(bucketId: string, paths: string[], options?: CallOptions): Promise<BucketFile[]>;

  /**
   * Follows a bucket's live change feed (`GET /api/buckets/{id}/events`, server-sent events read
   * with `fetch`, so the token goes in `Authorization`): file changes in commit order, and a
   * `ready` event after each (re)connection's replay. The iterator never ends by itself: it
   * reconnects as the spec says (resuming after the last cursor; 1 s after a healthy session,
   * backoff 10 s × 2ⁿ up to 80 s otherwise, `Retry-After` honoured up to 80 s, a stream silent
   * for 90 s is dead). When the Hub answers `reset` (resume point too old), the watcher lists
   * the prefix again and yields the `add`/`update`/`delete` events that bring a consumer
   * applying the events to that listing (exact when it was started with `initial` or without a
   * cursor; see the README). `break` or `signal` closes the connection. Runs on the calling
   * thread, also with the `worker` option.
   * Memory: the watcher keeps a compact view of the watched files (~200 bytes plus the path
   * each).
   * @throws {AuthError} 401, {@link ForbiddenError} 403, {@link NotFoundError} 404 (bucket
   *   missing or not visible), {@link ServerError} 501 (feed not available), {@link ProtocolError}
   *   a success that is not an event stream, {@link NetworkError} (`retryable: true`) after 3
   *   connections in a row broke before `ready`, {@link BadRequestError} when the Hub refuses
   *   even a live connection, {@link ValidationError} for bad options, `AbortError` on `signal`;
   *   each ends the iteration.
   * @example
   * for await (const e of hub.watchBucket("me-user/ckpts", { prefix: "run1", initial: true, signal })) {
   *   if (e.type === "ready") continue;
   *   if (e.type === "delete") files.delete(e.path); else files.set(e.path, { ...files.get(e.path), ...e });
   * }
   */
  watchBucket(bucketId: string, options?: WatchBucketOptions): AsyncGenerator<BucketWatchEvent, void, undefined>;

  /**
   * Changes a bucket's visibility (`PUT /api/buckets/{id}/settings`).
   * @throws {ValidationError} when `private` is not a boolean (nothing sent). {@link NotFoundError} when the bucket is missing. {@link ForbiddenError} without write access.
   * @example await hub.updateBucketSettings("me-user/ckpts", { private: false });
   */
  updateBucketSettings(bucketId: string, options: UpdateBucketSettingsOptions): Promise<void>;

  /**
   * A file's size, hash, ETag, modification date and content type, from a `HEAD` on its
   * `resolve` URL (no bytes downloaded). Redirects: see the README's "Security".
   * @throws {NotFoundError} with `code: "EntryNotFound"` when the file is missing, `code: "RepoNotFound"` when the bucket is (401 {@link AuthError} when anonymous). {@link ProtocolError} when the answer lacks the size or hash. {@link ValidationError} for an invalid path.
   * @example const { size, xetHash, lastModified } = await hub.getFileMetadata("me-user/ckpts", "run1/model.bin");
   */
  getFileMetadata(bucketId: string, path: string, options?: CallOptions): Promise<FileMetadata>;

  /**
   * Whether the bucket has a file at `path` (a folder is not a file). A missing or hidden bucket
   * answers `false` too, as the Python client's `file_exists` does for a missing repo (a reader
   * without access cannot tell them apart); use `bucketInfo` to tell.
   * @throws {ValidationError} for an invalid path. {@link AuthError} for an invalid token, {@link ForbiddenError}, {@link NetworkError}, … (anything but "not found").
   * @example if (!(await hub.fileExists("me-user/ckpts", "run1/done"))) console.log("still running");
   */
  fileExists(bucketId: string, path: string, options?: CallOptions): Promise<boolean>;

  /**
   * The user behind the token. Rate-limited by the Hub: call it once and keep the result.
   * @throws {AuthError} without a valid token.
   * @example const { name, orgs } = await hub.whoami();
   */
  whoami(options?: CallOptions): Promise<WhoAmI>;

  /**
   * Renames a bucket, or moves it to another namespace. Use the new id afterwards.
   * @throws {NotFoundError} source missing. {@link ConflictError} target exists. {@link ForbiddenError}.
   * @example await hub.moveBucket({ fromId: "me-user/ckpts", toId: "my-org/ckpts" });
   */
  moveBucket(options: MoveBucketOptions): Promise<void>;

  /**
   * Adds (by hash), copies (by hash) and deletes files, in that order, in requests of ≤ 1000
   * lines. Per-line failures are reported, not thrown; after a request with failures the rest is
   * not sent (see `skipped`). A path may not be both written and deleted in one call.
   * @throws {ValidationError} for an invalid path or hash (nothing sent). {@link ForbiddenError}, {@link NotFoundError}.
   * @example const r = await hub.batchBucketFiles("me-user/ckpts", { delete: ["tmp/a", "tmp/b"] }); if (!r.success) console.error(r.failed);
   */
  batchBucketFiles(bucketId: string, options: BatchBucketFilesOptions): Promise<BatchReport>;

  /**
   * Deletes many files: every file under a folder `prefix` (listed first; the folder boundary
   * keeps `logs.txt` out of `logs`) or the given `paths` (looked up first), filtered by
   * `include` / `exclude`, in requests of ≤ 1000 `deleteFile` lines. The engine of
   * `hf-buckets rm -R`. Per-path failures are reported in `failed`, not thrown.
   * @throws {ValidationError} for neither or both of `prefix` and `paths`, or an invalid path (nothing sent).
   *   {@link NotFoundError} for a missing bucket. `AbortError` when `signal` aborts.
   * @example const { deleted, totalSize } = await hub.deleteBucketFiles("me-user/ckpts", { prefix: "run1/tmp", exclude: ["*.keep"] });
   */
  deleteBucketFiles(bucketId: string, options: DeleteBucketFilesOptions): Promise<DeleteBucketFilesReport>;

  /**
   * Server-side copy (no bytes move) of a file or folder from a bucket or a model/dataset/space
   * repo into a bucket, with the official Python client's path rules. Repo files stored in git
   * (no xetHash; small files) are downloaded and uploaded again through the transfer engine (in
   * memory: one larger than 64 MiB, or beyond 256 MiB in total, is listed in `skipped` instead);
   * `.gitattributes` files are never copied.
   * @throws {NotFoundError} when the source matches no file. {@link ValidationError} for a bad URI or a non-bucket destination.
   * @example await hub.copyFiles({ source: "hf://datasets/acme/corpus/data/", destination: "hf://buckets/me-user/ckpts/corpus/" });
   */
  copyFiles(options: CopyFilesOptions): Promise<BatchReport>;
}

// ----------------------------------------------------------------------------- free functions

/** `new BucketClient(options).createBucket(name, options)`. @throws {ConflictError} @example await createBucket("ckpts", { accessToken, existOk: true }) */
export function createBucket(name: string, options?: CreateBucketOptions & ClientOptions): Promise<CreatedBucket>;
/** See {@link BucketClient.deleteBucket}. @throws {NotFoundError} @example await deleteBucket("me-user/ckpts", { accessToken, missingOk: true }) */
export function deleteBucket(bucketId: string, options?: DeleteBucketOptions & ClientOptions): Promise<void>;
/** See {@link BucketClient.bucketInfo}. @throws {NotFoundError} @example await bucketInfo("me-user/ckpts", { accessToken }) */
export function bucketInfo(bucketId: string, options?: CallOptions & ClientOptions): Promise<BucketInfo>;
/** See {@link BucketClient.listBuckets}. @throws {NotFoundError} @example for await (const b of listBuckets({ accessToken })) console.log(b.id) */
export function listBuckets(options?: ListBucketsOptions & ClientOptions): AsyncGenerator<BucketInfo, void, undefined>;
/** See {@link BucketClient.listBucketTree}. @throws {NotFoundError} @example for await (const e of listBucketTree("me-user/ckpts", { accessToken })) console.log(e.path) */
export function listBucketTree(bucketId: string, options?: ListBucketTreeOptions & ClientOptions): AsyncGenerator<BucketTreeEntry, void, undefined>;
/** See {@link BucketClient.watchBucket}. @throws {NotFoundError} @example for await (const e of watchBucket("me-user/ckpts", { accessToken, signal })) console.log(e.type, e.path) */
export function watchBucket(bucketId: string, options?: WatchBucketOptions & ClientOptions): AsyncGenerator<BucketWatchEvent, void, undefined>;
/** See {@link BucketClient.getPathsInfo}. @throws {ValidationError} @example await getPathsInfo("me-user/ckpts", ["a.bin"], { accessToken }) */
export function getPathsInfo(bucketId: string, paths: string[], options?: CallOptions & ClientOptions): Promise<BucketFile[]>;
/** See {@link BucketClient.updateBucketSettings}. @throws {NotFoundError} @example await updateBucketSettings("me-user/ckpts", { private: true, accessToken }) */
export function updateBucketSettings(bucketId: string, options: UpdateBucketSettingsOptions & ClientOptions): Promise<void>;
/** See {@link BucketClient.getFileMetadata}. @throws {NotFoundError} @example const { size } = await getFileMetadata("me-user/ckpts", "a.bin", { accessToken }) */
export function getFileMetadata(bucketId: string, path: string, options?: CallOptions & ClientOptions): Promise<FileMetadata>;
/** See {@link BucketClient.fileExists}. @throws {ValidationError} @example if (await fileExists("me-user/ckpts", "a.bin", { accessToken })) … */
export function fileExists(bucketId: string, path: string, options?: CallOptions & ClientOptions): Promise<boolean>;
/** See {@link BucketClient.whoami}. @throws {AuthError} @example const { name } = await whoami({ accessToken }) */
export function whoami(options?: CallOptions & ClientOptions): Promise<WhoAmI>;
/** See {@link BucketClient.moveBucket}. @throws {ConflictError} @example await moveBucket({ fromId: "me-user/a", toId: "me-user/b", accessToken }) */
export function moveBucket(options: MoveBucketOptions & ClientOptions): Promise<void>;
/** See {@link BucketClient.batchBucketFiles}. @throws {ValidationError} @example await batchBucketFiles("me-user/ckpts", { delete: ["a"], accessToken }) */
export function batchBucketFiles(bucketId: string, options: BatchBucketFilesOptions & ClientOptions): Promise<BatchReport>;
/** See {@link BucketClient.deleteBucketFiles}. @throws {ValidationError} @example await deleteBucketFiles("me-user/ckpts", { prefix: "tmp", accessToken }) */
export function deleteBucketFiles(bucketId: string, options: DeleteBucketFilesOptions & ClientOptions): Promise<DeleteBucketFilesReport>;
/** See {@link BucketClient.copyFiles}. @throws {NotFoundError} @example await copyFiles({ source: "hf://buckets/me-user/a/x", destination: "hf://buckets/me-user/b/", accessToken }) */
export function copyFiles(options: CopyFilesOptions & ClientOptions): Promise<BatchReport>;

/**
 * Parses an `hf://` URI (`hf://[<type>s/]<namespace>/<name>[@<revision>][/<path>]`) or a Hub web
 * URL (`https://huggingface.co/buckets/ns/name/tree/dir`).
 * @param options.endpoint a custom Hub whose web URLs are recognised too.
 * @throws {ValidationError} when malformed.
 * @example parseHfUri("hf://datasets/acme/corpus@v1/data/") // { type: "dataset", id: "acme/corpus", revision: "v1", path: "data", trailingSlash: true }
 */
export function parseHfUri(uri: string, options?: { endpoint?: string }): HfUri;

/**
 * Formats an `hf://` URI (the type prefix is always written; `type` defaults to `"bucket"`).
 * @throws {ValidationError} when the parts do not make a valid URI.
 * @example formatHfUri({ id: "me-user/ckpts", path: "run1/model.bin" }) // "hf://buckets/me-user/ckpts/run1/model.bin"
 */
export function formatHfUri(parts: { type?: HfUri["type"]; id: string; revision?: string; path?: string; trailingSlash?: boolean }): string;

// ----------------------------------------------------------------------------- errors

/** Options of the error constructors. */
export interface HubErrorOptions {
  status?: number;
  code?: string;
  requestId?: string;
  retryable?: boolean;
  retryAfterMs?: number;
  serverMessage?: string;
  cause?: unknown;
}

/** Base class of every error of this package. */
export class HubError extends Error {
  constructor(message: string, options?: HubErrorOptions);
  /** A literal per class (`"NotFoundError"`, …); the `is…Error` guards compare it. */
  name: string;
  /** HTTP status, when the Hub answered with an error status. */
  status?: number;
  /** `X-Error-Code` from the Hub (e.g. `"RepoNotFound"`, `"EntryNotFound"`). */
  code?: string;
  /** `X-Request-Id` from the Hub, to quote in bug reports. */
  requestId?: string;
  /** Whether trying again may succeed (the client already retried per `retry`). */
  retryable: boolean;
  /** How long the Hub asked to wait (`Retry-After`), in ms. */
  retryAfterMs?: number;
  /** The Hub's own message, when it sent one. */
  serverMessage?: string;
}
/** HTTP 400. */ export class BadRequestError extends HubError { name: "BadRequestError"; }
/** HTTP 401: missing/invalid token, or a private bucket seen anonymously. */ export class AuthError extends HubError { name: "AuthError"; }
/** HTTP 403. */ export class ForbiddenError extends HubError { name: "ForbiddenError"; }
/** HTTP 404, or nothing matched (copyFiles). */ export class NotFoundError extends HubError { name: "NotFoundError"; }
/** HTTP 409. */ export class ConflictError extends HubError { name: "ConflictError"; }
/** HTTP 429. */ export class RateLimitError extends HubError { name: "RateLimitError"; }
/** HTTP 5xx. */ export class ServerError extends HubError { name: "ServerError"; }
/** No response (connection refused/reset, DNS, CORS) or a broken body. */ export class NetworkError extends HubError { name: "NetworkError" | "TimeoutError"; }
/** No response in time. */ export class TimeoutError extends NetworkError { name: "TimeoutError"; }
/** Invalid input; nothing was sent. */ export class ValidationError extends HubError { name: "ValidationError"; }
/** Data failed verification, or a partial read could not be verified (the server refused the xorb footer's range; see `verify`). */ export class IntegrityError extends HubError { name: "IntegrityError"; }
/** A success response this client cannot understand. */ export class ProtocolError extends HubError { name: "ProtocolError"; }
/** The call was aborted via its `signal` (`cause` is `signal.reason`). */ export class AbortError extends HubError { name: "AbortError"; }

/** Guards comparing `name` (work across realms and package copies). @example if (isNotFoundError(e)) … */
export function isHubError(value: unknown): value is HubError;
export function isBadRequestError(value: unknown): value is BadRequestError;
export function isAuthError(value: unknown): value is AuthError;
export function isForbiddenError(value: unknown): value is ForbiddenError;
export function isNotFoundError(value: unknown): value is NotFoundError;
export function isConflictError(value: unknown): value is ConflictError;
export function isRateLimitError(value: unknown): value is RateLimitError;
export function isServerError(value: unknown): value is ServerError;
export function isNetworkError(value: unknown): value is NetworkError;
export function isTimeoutError(value: unknown): value is TimeoutError;
export function isValidationError(value: unknown): value is ValidationError;
export function isIntegrityError(value: unknown): value is IntegrityError;
export function isProtocolError(value: unknown): value is ProtocolError;
export function isAbortError(value: unknown): value is AbortError;
