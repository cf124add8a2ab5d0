// Types of directory sync between a local folder and a bucket (issue 11; the official
// `hf buckets sync` rules). Re-exported by index.d.ts.

import type { CallOptions, ClientOptions } from "./index.js";

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
 *   (`ignoreTimes` + `ignoreSizes`, `existing` + `ignoreExisting`), an upload source that is not
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

// ---- Browsers: the local side is a folder handle or a File list (js/browser/sync.js) ----

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
