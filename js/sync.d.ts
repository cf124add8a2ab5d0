// Types of directory sync between a local folder and a bucket (issue 11; the official
// `hf buckets sync` rules). Re-exported by index.d.ts.

import type { BucketClient, BucketFile, CallOptions, ClientOptions } from "./index.js";

/** What one operation of a sync plan does. */
export type SyncAction = "upload" | "download" | "delete" | "skip";

/** One line of a sync plan: what happens to one path, and why. */
export interface SyncOperation {
  /** What happens. */
  action: SyncAction;
  /** Path relative to the local directory and to the bucket prefix, `/`-separated. */
  path: string;
  /**
   * Why: `new file`, `new file (--existing)`, `size differs`, `local newer`, `remote newer`,
   * `identical`, `same size`, `same mtime`, `exists on receiver (--ignore-existing)`,
   * `not in source (--delete)` (the official CLI's wording, flag names included).
   */
  reason: string;
  /** Size in bytes of the source file (of the receiver's file for a delete). */
  size?: number;
  /** Local modification time (UTC, Python `isoformat()`: `2026-02-17T14:29:03.512000+00:00`), when the local side has the file. */
  localMtime?: string;
  /** Bucket modification time, likewise, when the bucket has the file (`1970-01-01T00:00:00+00:00` when it has none). */
  remoteMtime?: string;
}

/** Counts of a plan. */
export interface SyncSummary {
  uploads: number;
  downloads: number;
  deletes: number;
  skips: number;
  /** Bytes transferred by the uploads and downloads. */
  totalSize: number;
}

/** A sync plan, as {@link planSync} and {@link parseSyncPlan} return it. Plain data plus `toJSONL()`. */
export interface SyncPlan {
  /** The source as given. */
  source: string;
  /** The destination as given. */
  destination: string;
  /** When the plan was made (UTC, Python `isoformat()`). */
  timestamp: string;
  /** `upload` (local → bucket) or `download` (bucket → local). */
  direction: "upload" | "download";
  /** The bucket, `namespace/name`. */
  bucketId: string;
  /** Path prefix inside the bucket (`""` for the root). */
  prefix: string;
  /** The local directory as given. */
  localPath: string;
  /** One operation per path, in code-point order of the path. Receiver-only files appear only with `delete`. */
  operations: SyncOperation[];
  /** Counts of {@link SyncPlan.operations}. */
  summary: SyncSummary;
  /**
   * The plan as the official JSON Lines plan file (`hf buckets sync --plan FILE`, and the output
   * of `--dry-run`): byte for byte what the Python client writes for the same plan.
   * @example await writeFile("plan.jsonl", plan.toJSONL());
   */
  toJSONL(): string;
}

/** Options of {@link planSync}. */
export interface PlanSyncOptions extends CallOptions {
  /**
   * Where files come from: a local directory, or `hf://buckets/namespace/name[/prefix]`.
   * Exactly one of `source` and `destination` is a bucket URI; anything not starting with
   * `hf://` (`ns/name`, web URLs included) is a local path.
   * @example "./checkpoints"
   */
  source: string;
  /**
   * Where files go: a local directory (created by the sync if missing), or a bucket URI.
   * @example "hf://buckets/me-user/ckpts/run1"
   */
  destination: string;
  /**
   * Also delete files of the receiver that the (filtered) source does not have.
   * @default false
   */
  delete?: boolean;
  /**
   * Compare sizes only (a file is sent when the sizes differ).
   * @default false
   */
  ignoreTimes?: boolean;
  /**
   * Compare modification times only (a file is sent when the source is newer by more than 1 s).
   * @default false
   */
  ignoreSizes?: boolean;
  /**
   * Never create files on the receiver; only update the ones it has.
   * @default false
   */
  existing?: boolean;
  /**
   * Never touch files the receiver has; only create new ones.
   * @default false
   */
  ignoreExisting?: boolean;
  /**
   * Only paths matching one of these globs take part (Python `fnmatchcase` on the relative path:
   * `*` also matches `/`, anchored at both ends, case-sensitive; `\` is read as `/`).
   * @default [] (every path)
   * @example ["*.safetensors", "configs/*"]
   */
  include?: string[];
  /**
   * Paths matching one of these globs are left out (neither sent nor deleted); checked before `include`.
   * @default []
   * @example ["*.tmp", ".git/*"]
   */
  exclude?: string[];
  /**
   * Compare content instead of times (not in the official client): a file both sides have with
   * the same size is hashed locally (streamed through this package's Xet chunker) and compared
   * with the bucket's `xetHash`: the same content is skipped (`identical (checksum)`) whatever the
   * mtimes, other content is sent (`content differs (checksum)`), even with the same size and
   * mtime. Files of different sizes are sent (`size differs`) without hashing. Plans made with it
   * differ from `hf buckets sync` by design. Cannot be combined with `ignoreTimes` or `ignoreSizes`.
   * @default false
   * @example { checksum: true }
   */
  checksum?: boolean;
  /**
   * A filter file: one rule per line, `+ PATTERN` (include) or `- PATTERN` (exclude), a line
   * without a sign includes, `#` lines and blank lines are ignored. Its rules are checked first,
   * in order, the first match deciding.
   * @default undefined
   * @example "./sync-filters.txt"
   */
  filterFrom?: string;
}

/**
 * Plans a sync between a local directory and a bucket, exactly like
 * `hf buckets sync --dry-run`: walks the local directory (folder symlinks are not followed,
 * hidden files are included), lists the bucket under the prefix, and picks one operation per
 * path. Nothing is transferred. A file is sent when it is new on the receiver, its size differs,
 * or the source is newer by more than 1 second (see the options for the other modes).
 * @throws {ValidationError} before any request: not exactly one bucket side, conflicting options
 *   (`ignoreTimes` + `ignoreSizes`, `existing` + `ignoreExisting`, `checksum` + either `ignore*`), an upload source that is not
 *   an existing directory, a download destination that is a file, an unreadable `filterFrom`,
 *   a malformed `hf://` URI; after the listing, a bucket path that would escape the local directory
 * @throws {NotFoundError} a download from a bucket that does not exist (an upload treats it as empty)
 * @throws {AbortError} `signal` aborted
 * @example
 * const plan = await planSync({ source: "./ckpts", destination: "hf://buckets/me-user/ckpts", delete: true, accessToken });
 * console.log(plan.summary); // { uploads: 3, downloads: 0, deletes: 1, skips: 10, totalSize: 4096 }
 * await writeFile("plan.jsonl", plan.toJSONL());
 * @see {@link BrowserPlanSyncOptions} for browsers, where the local side is a folder handle or a `File` list.
 */
export function planSync(options: PlanSyncOptions & ClientOptions): Promise<SyncPlan>;

/**
 * The JSON Lines text of a plan, as the official client writes it (header with summary, then one
 * line per operation). Same as `plan.toJSONL()`.
 * @throws {ValidationError} `plan` is not a plan object
 * @example formatSyncPlan(plan).split("\n")[0] // '{"type": "header", "source": "./ckpts", …}'
 */
export function formatSyncPlan(plan: Omit<SyncPlan, "toJSONL" | "direction" | "bucketId" | "prefix" | "localPath" | "summary">): string;

/**
 * Reads a plan file (official or from {@link formatSyncPlan}) with the rules of
 * `hf buckets sync --apply`: the first line must be the header; other lines whose `type` is not
 * `operation` are skipped; each path is checked to stay inside the local directory.
 * @throws {ValidationError} an empty text, no header, a line that is not JSON, an unknown action,
 *   an unsafe path, or sides that are not one local path and one bucket
 * @example const plan = parseSyncPlan(await readFile("plan.jsonl", "utf8"));
 */
export function parseSyncPlan(text: string): SyncPlan;

// ----------------------------------------------------------------------------- executing syncs

/** One path that could not be synced. */
export interface SyncFailure {
  /** Path relative to the local directory and the bucket prefix (for `downloadBucketFiles`, the local relative path). */
  path: string;
  /** What was attempted. */
  action: "upload" | "download" | "delete";
  /** Why: the Hub's reason for a batch line (a string), or the error of a download or a local write. */
  error: string | Error;
}

/** One progress event of a sync or a many-file download; throttled (about 10 per second, plus one at each phase end). */
export interface SyncProgressEvent {
  /** What runs now (`done` in the last event). */
  phase: "upload" | "download" | "delete" | "done";
  /** Files (of uploads, downloads and deletes) finished, failed ones included. */
  filesDone: number;
  /** Files to transfer or delete in all. */
  filesTotal: number;
  /** Bytes read from local files (uploads) or written to them (downloads) so far. */
  bytesDone: number;
  /** Bytes of the files to transfer ({@link SyncSummary.totalSize}). */
  bytesTotal: number;
  /** Bytes read from local files and hashed (uploads). */
  bytesRead: number;
  /** Bytes found already stored in the bucket's storage (uploads; not sent again). */
  bytesDeduplicated: number;
  /** Bytes sent on the wire (compressed xorbs and shards; uploads). */
  bytesSent: number;
  /** Bytes of Xet data received (downloads). */
  bytesFetched: number;
  /** Some of the files in flight (at most 16). */
  currentFiles: string[];
}

/** What {@link applySyncPlan} and {@link syncBucket} did. Nothing is transactional: see `failed`. */
export interface SyncReport {
  /** The plan that was executed. */
  plan: SyncPlan;
  /** Files uploaded and committed. */
  uploaded: number;
  /** Files downloaded (each renamed into place complete, with the bucket's mtime). */
  downloaded: number;
  /** Files deleted (in the bucket for an upload sync, locally for a download sync). */
  deleted: number;
  /** Operations of the plan that were skips. */
  skipped: number;
  /**
   * Paths that failed without stopping the run: batch lines the Hub rejected (the other
   * chunks are still sent, as the official client does), downloads that failed (the local
   * deletes are then not done), upload sources gone since planning.
   */
  failed: SyncFailure[];
  /** Files of a download that the bucket no longer has (skipped, like the official client's warning). */
  missing: string[];
  /** Bytes read from local files (uploads). */
  bytesRead: number;
  /** Bytes sent on the wire (uploads). */
  bytesSent: number;
  /** Bytes not sent because the storage had them (uploads). */
  bytesDeduplicated: number;
  /** Bytes of Xet data received (downloads). */
  bytesFetched: number;
  /** Bytes written to local files (downloads). */
  bytesWritten: number;
}

/** Options of {@link applySyncPlan}: the client options, and how to run. */
export interface ApplySyncPlanOptions extends CallOptions {
  /**
   * Progress of the whole run, one event stream.
   * @default undefined
   * @example { onProgress: (e) => console.log(`${e.filesDone}/${e.filesTotal}`) }
   */
  onProgress?: (event: SyncProgressEvent) => void;
  /**
   * Files downloaded at once (1–256); files of up to 1 MiB count a quarter each (four times as
   * many of them run at once). Uploads are read and hashed by the transfer engine's own pipeline.
   * @default 8
   * @example { concurrency: 16 }
   */
  concurrency?: number;
  /**
   * A client to use instead of the client options.
   * @default a client made from the options
   */
  client?: BucketClient;
}

/**
 * **Node** (browsers: the overload with `localFolder` below). Executes a sync plan (from {@link planSync}, from {@link parseSyncPlan} — a plan
 * file written by `hf buckets sync --plan` included — or built by hand), like
 * `hf buckets sync --apply`. Upload: the `upload` operations are committed in batches of at most
 * 1,000 files (each file's `mtime` is its own modification time), then the `delete` operations in
 * batches of 1,000. Download: the destination and every needed folder are created first, then
 * `concurrency` files at a time are written each to a hidden temp file in its folder
 * (`.NAME.hfb-RANDOM.part`), flushed to disk with the bucket's `mtime` set, and renamed into
 * place, so an interrupted run (even a killed process) never leaves a partial file under a real
 * name; then the `delete` operations remove local files (and the folders they leave empty),
 * unless a download failed. The plan's paths are checked again, so a hand-made plan cannot
 * write outside the local directory.
 * @throws {ValidationError} before any request or write: a plan that is not one (bad shape,
 *   unknown action, a path with `..` segments, absolute or drive paths, not one local and one
 *   bucket side), options that a plan must not be combined with (`Cannot specify delete when
 *   using apply.`: `source`, `destination`, `delete`, `ignoreTimes`, `ignoreSizes`, `existing`,
 *   `ignoreExisting`, `include`, `exclude`, `filterFrom`, `checksum`, `dryRun`), an upload from a
 *   folder that does not exist, a download into a file; also (code `LOCAL_PATH_CONFLICT`) when a
 *   local file sits where the bucket has a folder, before any byte moves
 * @throws {AbortError} `signal` aborted: committed batches stay, nothing half-written stays under a real name
 * @throws {HubError} any other Hub error (after retries) stops the run; earlier batches stay applied
 * @example
 * const plan = parseSyncPlan(await readFile("plan.jsonl", "utf8"));
 * const report = await applySyncPlan(plan, { accessToken });
 * if (report.failed.length) console.error(report.failed);
 */
export function applySyncPlan(plan: SyncPlan, options?: ApplySyncPlanOptions & ClientOptions): Promise<SyncReport>;

/** Options of {@link syncBucket}. */
export interface SyncBucketOptions extends PlanSyncOptions, ApplySyncPlanOptions {
  /**
   * Only plan: resolve to the plan (as {@link planSync}) and transfer nothing.
   * @default false
   */
  dryRun?: boolean;
}

/** Options of {@link syncBucket} executing a plan made before (then no planning option may be given). */
export interface SyncBucketApplyOptions extends ApplySyncPlanOptions {
  /**
   * The plan to execute, like `hf buckets sync --apply` (same as {@link applySyncPlan}).
   * @example { plan: parseSyncPlan(text) }
   */
  plan: SyncPlan;
}

/**
 * **Node** (browsers: the overload below). Syncs a local directory and a bucket (or a folder of it) in one call, like
 * `hf buckets sync`: {@link planSync} then {@link applySyncPlan}. Beyond the official client,
 * downloads set each file's modification time to the bucket's `mtime`, so an upload sync right
 * after a download sync plans nothing. A folder upload is `syncBucket` without `delete`.
 * @throws {ValidationError} as {@link planSync} and {@link applySyncPlan}, before any request or write
 * @throws {NotFoundError} a download from a bucket that does not exist, or an upload into one
 * @throws {AbortError} `signal` aborted
 * @example
 * const report = await syncBucket({ source: "./ckpts", destination: "hf://buckets/me-user/ckpts/run1", delete: true, accessToken });
 * console.log(report.uploaded, report.deleted, report.bytesSent);
 * @example
 * const plan = await syncBucket({ source: "hf://buckets/me-user/ckpts", destination: "./ckpts", dryRun: true, accessToken });
 */
export function syncBucket(options: SyncBucketOptions & ClientOptions & { dryRun: true }): Promise<SyncPlan>;
export function syncBucket(options: SyncBucketOptions & ClientOptions & { dryRun?: false }): Promise<SyncReport>;
export function syncBucket(options: SyncBucketApplyOptions & ClientOptions): Promise<SyncReport>;
export function syncBucket(options: SyncBucketOptions & ClientOptions): Promise<SyncPlan | SyncReport>;

/** A file to download: its path in the bucket, or its entry from a listing (no lookup then). */
export type DownloadFileItem = string | Pick<BucketFile, "path" | "size" | "xetHash" | "mtime">;

/** Options of {@link downloadBucketFiles}: give `files` or `prefix`. */
export interface DownloadBucketFilesOptions extends CallOptions {
  /**
   * The local folder to write into (created if missing). A file's local path is its bucket path
   * (with `files`) or its path under `prefix` (with `prefix`, the folder-boundary rule of sync).
   * @example "./ckpts"
   */
  destination: string;
  /**
   * These files (looked up with `getPathsInfo` unless entries from a listing are given; files the
   * bucket does not have are listed in `missing`).
   * @default undefined
   * @example { files: ["run1/model.bin", "run1/config.json"] }
   */
  files?: DownloadFileItem[];
  /**
   * Every file under this folder of the bucket (`""` for all): `logs` takes `logs/…` (and a file
   * named `logs`), never `logs.txt`.
   * @default undefined
   * @example { prefix: "run1" }
   */
  prefix?: string;
  /** Only paths (relative to `prefix`) matching one of these globs, as {@link PlanSyncOptions.include}. @default [] @example ["*.json"] */
  include?: string[];
  /** Paths matching one of these globs are left out, as {@link PlanSyncOptions.exclude}. @default [] @example ["*.tmp"] */
  exclude?: string[];
  /** A filter file, as {@link PlanSyncOptions.filterFrom}. @default undefined @example "./filters.txt" */
  filterFrom?: string;
  /** Files downloaded at once (1–256; files of up to 1 MiB count a quarter each). @default 8 @example { concurrency: 16 } */
  concurrency?: number;
  /** Progress of the whole call. @default undefined @example { onProgress: (e) => console.log(e.bytesDone) } */
  onProgress?: (event: SyncProgressEvent) => void;
  /** A client to use instead of the client options. @default a client made from the options */
  client?: BucketClient;
}

/** What {@link downloadBucketFiles} did. */
export interface DownloadFilesReport {
  /** Files written (each complete, renamed into place, with the bucket's `mtime`). */
  downloaded: number;
  /** Files left out by `include` / `exclude` / `filterFrom`. */
  skipped: number;
  /** Files whose download or write failed (the others were still downloaded). */
  failed: SyncFailure[];
  /** Requested `files` the bucket does not have. */
  missing: string[];
  /** Bytes of Xet data received. */
  bytesFetched: number;
  /** Bytes written to local files. */
  bytesWritten: number;
}

/**
 * **Node** (browsers: the overload below). Downloads many files of a bucket into a local folder, `concurrency` at a time
 * (the official `download_bucket_files`, with the folder chosen for you). Existing files are
 * overwritten; each file is written to a hidden temp file, flushed, given the bucket's `mtime`
 * and renamed into place. Empty files are created without a request.
 * @throws {ValidationError} before any request or write: neither or both of `files` and
 *   `prefix`, a destination that is a file, bad options; before any write, a bucket path that
 *   would escape the destination (`..` segments, absolute or drive paths)
 * @throws {NotFoundError} the bucket does not exist
 * @throws {AbortError} `signal` aborted (nothing half-written stays under a real name)
 * @example
 * const report = await downloadBucketFiles("me-user/ckpts", { prefix: "run1", destination: "./run1", accessToken });
 * console.log(report.downloaded, report.failed);
 */
export function downloadBucketFiles(bucketId: string, options: DownloadBucketFilesOptions & ClientOptions): Promise<DownloadFilesReport>;

// ----------------------------------------------------------------------------- local sides (adapters)

/**
 * The local half of a sync, for writing a new kind of local side (a browser directory handle,
 * OPFS…). Paths are relative, `/`-separated, already checked (no `..`, not absolute); `""` is the
 * root. The Node one is a folder on disk.
 */
export interface SyncLocalSide {
  /** What the root is (for messages). */
  readonly root: unknown;
  /** `file`, `directory`, or `null` when nothing is there. */
  kind(path: string): Promise<"file" | "directory" | null>;
  /** Calls `onPage` with flat pages `[path, size, mtimeSec, mtimeNsec, …]` of every file below the root. */
  walk(onPage: (page: (string | number)[]) => void, signal?: AbortSignal): Promise<void>;
  /** The files among `paths`, as one flat page like `walk`'s. */
  statMany(paths: string[]): Promise<(string | number)[]>;
  /**
   * The file's bytes in order (for `checksum`); each piece is used before the next is asked for.
   * A piece may come with the chunks a worker found in exactly its bytes (`chunks`: what
   * `hf-buckets/xet`'s workers return, packed 36-byte records); they are then stitched in rather
   * than found again (records that do not fit are ignored). The Node side does this for large files.
   */
  read(path: string): AsyncIterable<Uint8Array | { bytes: Uint8Array; chunks?: Uint8Array }>;
  /** Creates the folder and its parents (fine when it exists; throws when a file is in the way). */
  mkdirs(path: string): Promise<void>;
  /** What to give `batchBucketFiles` as the file's `source` (its mtime is recorded). */
  uploadSource(path: string): import("./transfer.js").UploadSource;
  /** Starts writing a file: nothing appears under `path` before `commit`. */
  createWriter(path: string): Promise<{
    write(bytes: Uint8Array): Promise<void>;
    /** Completes the file: sets its mtime (ms since the epoch) when given, then puts it in place. */
    commit(mtimeMs?: number): Promise<void>;
    /** Drops what was written. */
    abort(): Promise<void>;
  }>;
  /** Makes the writes committed so far durable (optional). */
  flush?(): Promise<void>;
  /** Removes a file; `false` when there was none. */
  remove(path: string): Promise<boolean>;
  /** Removes the folders above `path` that are now empty, upwards, never the root. */
  pruneEmptyParents(path: string): Promise<void>;
}

// ---- Browsers: the local side is a folder handle or a File list (js/browser/sync.js) ----

/** What the browser sync calls take besides the Node options: CAS tokens from the page's own server. */
export interface BrowserTransferOptions {
  /**
   * CAS tokens for the uploads and downloads of the run (see `TransferOptions.tokenProvider`).
   * @default the Hub's token routes
   * @example { tokenProvider: async ({ bucketId, scope }) => (await fetch(`/cas-token?bucket=${bucketId}&scope=${scope}`)).json() }
   */
  tokenProvider?: import("./transfer.js").TokenProvider;
}

/**
 * What the browser sync needs of a folder: a `FileSystemDirectoryHandle` from
 * `showDirectoryPicker()`, `navigator.storage.getDirectory()` (the Origin Private File System) or
 * a dropped folder (`DataTransferItem.getAsFileSystemHandle()`) fits. Typed by shape, so this
 * declaration does not need the DOM library.
 */
export interface SyncDirectoryHandle {
  readonly kind: "directory";
  /** The folder's name; it stands for the folder in the plan (`source`/`destination`, `localPath`), `.` when empty (the OPFS root). */
  readonly name: string;
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<unknown>;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<unknown>;
}

/** A `File` of a `File` list (an `<input type="file" webkitdirectory>`'s `files`). */
export type SyncSourceFile = Blob & {
  readonly name: string;
  /** Modification time in ms: browsers give whole milliseconds, where Node gives nanoseconds. */
  readonly lastModified: number;
  /** `folder/sub/name.txt`: the first segment (the picked folder) is dropped; empty or absent → the file sits at the root as `name`. */
  readonly webkitRelativePath?: string;
};

/**
 * Options of {@link planSync} in browsers (the `browser` entry of the package): as
 * {@link PlanSyncOptions}, with a folder handle or a `File` list where Node takes a path.
 * File times come from `File.lastModified`, in whole milliseconds (Node reads nanoseconds), which
 * the 1-second window of the comparison absorbs.
 */
export interface BrowserPlanSyncOptions extends Omit<PlanSyncOptions, "source" | "destination" | "filterFrom"> {
  /**
   * Where files come from: a folder handle, a `File` list whose files share one top folder
   * (`webkitRelativePath` minus that folder is the path: a picked or dropped `photos/` with
   * `photos/2024/a.jpg` syncs `2024/a.jpg`), or a bucket URI.
   * @example await showDirectoryPicker()
   */
  source: string | SyncDirectoryHandle | ArrayLike<SyncSourceFile> | Iterable<SyncSourceFile>;
  /**
   * Where files go: a folder handle, or a bucket URI (a `File` list cannot be a destination).
   * @example "hf://buckets/me-user/photos"
   */
  destination: string | SyncDirectoryHandle;
  /**
   * The filter file's content (there are no file paths in browsers); rules as {@link PlanSyncOptions.filterFrom}.
   * @default undefined
   * @example new Blob(["- *.tmp\n+ *.jpg\n"])
   */
  filterFrom?: Blob;
}

/**
 * **Browsers.** Plans a sync between a folder handle (or, for uploads, a `File` list) and a
 * bucket, with the same rules and planner as in Node: the folder is walked recursively (hidden
 * entries included, empty folders yield nothing, entries that cannot be read are skipped); a
 * download without `delete` only looks up the bucket's paths in the folder (a folder where the
 * bucket has a file counts as absent).
 * @throws {ValidationError} before any request: as in Node, plus a local side that is a string
 *   (a path) or a `File` list as destination, a `File` list from more than one folder, a
 *   `filterFrom` that is not a `Blob`
 * @throws {NotFoundError} a download from a bucket that does not exist
 * @throws {AbortError} `signal` aborted
 * @example
 * const folder = await showDirectoryPicker();
 * const plan = await planSync({ source: folder, destination: "hf://buckets/me-user/photos", delete: true, accessToken });
 * console.log(plan.source, plan.summary); // "photos" { uploads: 2, downloads: 0, deletes: 0, skips: 40, totalSize: 81920 }
 */
export function planSync(options: BrowserPlanSyncOptions & ClientOptions): Promise<SyncPlan>;

/** Options of {@link applySyncPlan} in browsers: the folder the plan's local side stands for. */
export interface BrowserApplySyncPlanOptions extends ApplySyncPlanOptions, BrowserTransferOptions {
  /**
   * The folder handle the plan was made with (a plan names its folder only by its name), or, for
   * an upload plan, the `File` list.
   * @example { localFolder: await navigator.storage.getDirectory() }
   */
  localFolder: SyncDirectoryHandle | ArrayLike<SyncSourceFile> | Iterable<SyncSourceFile>;
}

/**
 * **Browsers.** Executes a sync plan with the executor Node uses, against `localFolder`.
 * Differences from Node: an upload records each file's `File.lastModified` as its `mtime`; a
 * download is written to a hidden temp file next to its destination (`.NAME.hfb-RANDOM.part`)
 * and moved into place with `FileSystemHandle.move()` once complete, so a closed tab or a cancel
 * never leaves a partial file under a real name (a temp file may stay behind; a later sync with
 * `delete` removes it). Browsers cannot set a file's modification time: a downloaded file's time
 * is when it was written, so a second download sync plans nothing (the folder is newer), but an
 * upload sync right after a download sync plans every file as `local newer` (the bytes are
 * deduplicated, so little is sent) unless it uses `ignoreTimes`.
 * @throws {ValidationError} as in Node, plus a missing `localFolder`, or a `File` list for a download plan
 * @throws {AbortError} `signal` aborted
 * @example
 * const folder = await navigator.storage.getDirectory();
 * const plan = await planSync({ source: "hf://buckets/me-user/photos", destination: folder, delete: true });
 * const report = await applySyncPlan(plan, { localFolder: folder });
 */
export function applySyncPlan(plan: SyncPlan, options: BrowserApplySyncPlanOptions & ClientOptions): Promise<SyncReport>;

/** Options of {@link syncBucket} in browsers. */
export interface BrowserSyncBucketOptions extends BrowserPlanSyncOptions, ApplySyncPlanOptions, BrowserTransferOptions {
  /**
   * Only plan: resolve to the plan and transfer nothing.
   * @default false
   */
  dryRun?: boolean;
}

/**
 * **Browsers.** {@link planSync} then {@link applySyncPlan} with a folder handle (or, for an
 * upload, a `File` list) as the local side; see {@link BrowserApplySyncPlanOptions} for what
 * differs from Node.
 * @throws {ValidationError} as {@link planSync} and {@link applySyncPlan} in browsers
 * @throws {NotFoundError} a download from a bucket that does not exist
 * @throws {AbortError} `signal` aborted
 * @example
 * const report = await syncBucket({ source: await showDirectoryPicker(), destination: "hf://buckets/me-user/photos", delete: true });
 * console.log(report.uploaded, report.deleted);
 */
export function syncBucket(options: BrowserSyncBucketOptions & ClientOptions & { dryRun: true }): Promise<SyncPlan>;
export function syncBucket(options: BrowserSyncBucketOptions & ClientOptions & { dryRun?: false }): Promise<SyncReport>;
export function syncBucket(options: BrowserApplySyncPlanOptions & ClientOptions & { plan: SyncPlan }): Promise<SyncReport>;

/** Options of {@link downloadBucketFiles} in browsers. */
export interface BrowserDownloadBucketFilesOptions extends Omit<DownloadBucketFilesOptions, "destination" | "filterFrom">, BrowserTransferOptions {
  /**
   * The folder to write into.
   * @example await navigator.storage.getDirectory()
   */
  destination: SyncDirectoryHandle;
  /**
   * The filter file's content.
   * @default undefined
   */
  filterFrom?: Blob;
}

/**
 * **Browsers.** Downloads many bucket files into a folder handle, each through a temp file moved
 * into place when complete (see {@link applySyncPlan} in browsers).
 * @throws {ValidationError} as in Node, plus a `destination` that is not a folder handle
 * @throws {AbortError} `signal` aborted
 * @example const report = await downloadBucketFiles("me-user/photos", { prefix: "2024", destination: await navigator.storage.getDirectory() });
 */
export function downloadBucketFiles(bucketId: string, options: BrowserDownloadBucketFilesOptions & ClientOptions): Promise<DownloadFilesReport>;
