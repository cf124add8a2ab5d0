// Browser half of directory sync planning (workflows spec §1, issue 11): `planSync` where the
// local side is a `FileSystemDirectoryHandle` (`showDirectoryPicker()`, the Origin Private File
// System, a dropped folder through `getAsFileSystemHandle()`) or, for uploads, a `File` list
// (`<input webkitdirectory>`). I/O stays here; the Rust planner decides every operation, exactly
// as for Node (js/node/sync.js feeds it the same pages). Types and docs: js/sync.d.ts.

import { SyncPlanner } from '../../dist/client/hf_buckets_client.js';
import { AbortError, ValidationError } from '../../dist/client/js/errors.js';
import { withJsonl } from '../sync-plan.js';
import { browserLocalSide, filesLocalSide } from './local-fs.js';

/** Files per page handed to the planner (4 values each). */
const PAGE_FILES = 1000;

function checkAborted(signal) {
  if (signal?.aborted) throw new AbortError('the operation was aborted', { cause: signal.reason });
}

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

/** Plans a sync between a browser folder and a bucket; see sync.d.ts. */
export async function planSync(options = {}) {
  const opts = options ?? {};
  const source = localSide(opts.source);
  const destination = localSide(opts.destination);
  if (destination?.files) {
    throw invalid('Destination must be a directory handle: a File list can only be a source');
  }
  const filterFrom = opts.filterFrom;
  if (filterFrom != null && !(typeof Blob !== 'undefined' && filterFrom instanceof Blob)) {
    throw invalid('In browsers filterFrom must be a Blob or File holding the filter rules, not a path');
  }
  const planner = new SyncPlanner({
    ...opts,
    source: source ? source.label : opts.source,
    destination: destination ? destination.label : opts.destination,
    filterFrom: undefined,
  });
  try {
    const signal = opts.signal;
    const side = planner.direction === 'upload' ? source : destination;
    if (!side) {
      const what = planner.direction === 'upload' ? 'Source' : 'Destination';
      const kinds = planner.direction === 'upload' ? 'a FileSystemDirectoryHandle or a File list' : 'a FileSystemDirectoryHandle';
      throw invalid(`${what} must be ${kinds} in browsers: ${String(planner.localPath)}`);
    }
    if (filterFrom != null) {
      let text;
      try {
        text = await filterFrom.text();
      } catch (cause) {
        throw new ValidationError(`Cannot read the filter file: ${cause instanceof Error ? cause.message : cause}`, {
          code: 'INVALID_ARGUMENT',
          cause,
        });
      }
      planner.setFilterFile(text);
    }
    checkAborted(signal);
    const { local } = side;
    const walk = () => local.walk((page) => planner.addLocal(page), signal);
    if (planner.direction === 'upload') await walk();
    while ((await planner.nextRemotePage({ signal })) !== null);
    if (planner.direction === 'download') {
      if (planner.walksLocal) {
        await walk();
      } else {
        const paths = planner.remotePaths();
        for (let i = 0; i < paths.length; i += PAGE_FILES) {
          checkAborted(signal);
          const page = await local.statMany(paths.slice(i, i + PAGE_FILES));
          if (page.length) planner.addLocal(page);
        }
      }
    }
    return withJsonl(planner.finish(Date.now()));
  } finally {
    planner.free();
  }
}
