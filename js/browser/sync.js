// Browser half of directory sync (workflows spec §1–§2, issue 11): `planSync`, `applySyncPlan`,
// `syncBucket` and `downloadBucketFiles` where the local side is a `FileSystemDirectoryHandle`
// (`showDirectoryPicker()`, the Origin Private File System, a dropped folder through
// `getAsFileSystemHandle()`) or, for uploads, a `File` list (`<input webkitdirectory>`). This file
// only turns those values into local-side adapters (./local-fs.js); planning and execution are
// the ones Node uses (js/sync-exec.js and the Rust planner). Types and docs: js/sync.d.ts.

import { ValidationError } from '../../dist/client/js/errors.js';
import { BucketClient } from '../index.js';
import { applyWith, downloadFilesWith, planWith, syncWith } from '../sync-exec.js';
import { browserLocalSide, filesLocalSide } from './local-fs.js';

function invalid(message) {
  return new ValidationError(message, { code: 'INVALID_ARGUMENT' });
}

/** Whether `value` looks like a `FileSystemDirectoryHandle` (checked by shape: works across realms). */
export function isDirectoryHandle(value) {
  return (
    value != null &&
    typeof value === 'object' &&
    value.kind === 'directory' &&
    typeof value.entries === 'function' &&
    typeof value.getFileHandle === 'function' &&
    typeof value.getDirectoryHandle === 'function'
  );
}

/** The files of a `FileList` / `File[]` (any iterable or array-like of `File`), or null. */
function fileList(value) {
  if (value == null || typeof value !== 'object' || isDirectoryHandle(value)) return null;
  let items;
  if (typeof value[Symbol.iterator] === 'function') items = Array.from(value);
  else if (typeof value.length === 'number') items = Array.from(/** @type {ArrayLike<unknown>} */ (value));
  else return null;
  return items.every((f) => typeof Blob !== 'undefined' && f instanceof Blob && typeof /** @type {any} */ (f).name === 'string') ? items : null;
}

/**
 * The relative paths of a `File` list: `webkitRelativePath` without its first segment (the picked
 * or dropped folder itself), or the file's `name` when it has no relative path. All files must
 * come from one folder. Returns `{ top, entries: [[path, file], …] }`.
 */
export function filesWithPaths(files) {
  let top = null;
  const entries = [];
  for (const file of files) {
    const rel = typeof file.webkitRelativePath === 'string' ? file.webkitRelativePath.replace(/\\/g, '/') : '';
    if (!rel) {
      entries.push([file.name, file]);
      continue;
    }
    const cut = rel.indexOf('/');
    const head = cut < 0 ? '' : rel.slice(0, cut);
    const path = cut < 0 ? rel : rel.slice(cut + 1);
    if (top !== null && head !== top) {
      throw invalid(`Source files must come from one folder: ${JSON.stringify(top)} and ${JSON.stringify(head)}`);
    }
    top = head;
    entries.push([path, file]);
  }
  return { top: top ?? '', entries };
}

/**
 * The local side of a browser sync: `{ label, local, files }` (`local`: the adapter of
 * ./local-fs.js; `files`: whether it is a File list), or null when `value` is neither a handle
 * nor a File list (a string then goes to the planner as given: a bucket URI, or an error).
 * `label` stands for the local folder in the plan (`source`/`destination`, `localPath`): the
 * folder's name, or `.` for a nameless one (the OPFS root).
 */
export function localSide(value) {
  if (isDirectoryHandle(value)) return { label: value.name || '.', local: browserLocalSide(value), files: false };
  const files = fileList(value);
  if (!files) return null;
  const { top, entries } = filesWithPaths(files);
  return { label: top || '.', local: filesLocalSide(entries), files: true };
}

/** The text of a `filterFrom` Blob (planWith reports a failure as a ValidationError). */
const readBlobText = (blob) => blob.text();

function checkFilterFrom(value) {
  if (value != null && !(typeof Blob !== 'undefined' && value instanceof Blob)) {
    throw invalid('In browsers filterFrom must be a Blob or File holding the filter rules, not a path');
  }
}

/** `localFor` of the executor: the adapter of the side that was resolved, or a ValidationError. */
function localFor(side, upload) {
  return (localPath) => {
    if (side) return side.local;
    const what = upload ? 'Source' : 'Destination';
    const kinds = upload ? 'a FileSystemDirectoryHandle or a File list' : 'a FileSystemDirectoryHandle';
    throw invalid(`${what} must be ${kinds} in browsers: ${String(localPath)}`);
  };
}

/**
 * The client the executor uses, its transfers (`batchBucketFiles` with sources, `openBucketFile`,
 * `getBucketFile`) given `tokenProvider` when there is one: in browsers CAS tokens often come
 * from the page's own server. The executor calls only these five methods.
 */
function executorClient(o) {
  const client = o.client ?? new BucketClient(o);
  const { tokenProvider } = o;
  if (tokenProvider == null) return client;
  return {
    batchBucketFiles: (bucketId, options) => client.batchBucketFiles(bucketId, { tokenProvider, ...options }),
    openBucketFile: (bucketId, options) => client.openBucketFile(bucketId, { tokenProvider, ...options }),
    getBucketFile: (bucketId, options) => client.getBucketFile(bucketId, { tokenProvider, ...options }),
    getPathsInfo: (bucketId, paths, options) => client.getPathsInfo(bucketId, paths, options),
    listBucketTree: (bucketId, options) => client.listBucketTree(bucketId, options),
  };
}

/** The planner's options with the browser's local side replaced by its label, and that side. */
function resolveSides(opts) {
  const source = localSide(opts.source);
  const destination = localSide(opts.destination);
  if (destination?.files) {
    throw invalid('Destination must be a directory handle: a File list can only be a source');
  }
  checkFilterFrom(opts.filterFrom);
  // The planner has checked that exactly one side is a bucket (a string starting with hf://)
  // by the time `localFor` runs; which one tells the direction.
  const upload = typeof opts.destination === 'string' && opts.destination.startsWith('hf://');
  return {
    options: {
      ...opts,
      source: source ? source.label : opts.source,
      destination: destination ? destination.label : opts.destination,
    },
    side: upload ? source : destination,
    upload,
  };
}

/** Plans a sync between a browser folder and a bucket; see sync.d.ts. */
export function planSync(options = {}) {
  return Promise.resolve().then(() => {
    const { options: planned, side, upload } = resolveSides(options ?? {});
    return planWith(planned, localFor(side, upload), readBlobText);
  });
}

/** Executes a plan against the folder handle (or File list) `localFolder`; see sync.d.ts. */
export function applySyncPlan(plan, options = {}) {
  return Promise.resolve().then(() => {
    const { localFolder, ...o } = /** @type {any} */ (options ?? {});
    const side = localSide(localFolder);
    if (!side) {
      throw invalid('In browsers applySyncPlan needs localFolder: the FileSystemDirectoryHandle (or, for an upload plan, the File list) the plan\'s local side stands for');
    }
    if (side.files && plan?.direction === 'download') {
      throw invalid('localFolder must be a directory handle for a download plan: a File list can only be a source');
    }
    return applyWith(plan, o, executorClient(o), () => side.local);
  });
}

/** Plans and executes a sync (or only plans, with `dryRun`); see sync.d.ts. */
export function syncBucket(options = {}) {
  return syncWith(options, {
    planSync,
    applySyncPlan,
    newClient: (o) => new BucketClient(o),
    extra: (plan) => ({ localFolder: plan.direction === 'upload' ? options?.source : options?.destination }),
  });
}

/** Downloads many bucket files into a folder handle; see sync.d.ts. */
export function downloadBucketFiles(bucketId, options = {}) {
  return Promise.resolve().then(() => {
    const o = options ?? {};
    if (!isDirectoryHandle(o.destination)) {
      throw invalid('In browsers downloadBucketFiles needs destination: a FileSystemDirectoryHandle');
    }
    checkFilterFrom(o.filterFrom);
    return downloadFilesWith(executorClient(o), bucketId, o, browserLocalSide(o.destination), readBlobText);
  });
}
