// The browser local side of directory sync: a folder handle (`FileSystemDirectoryHandle`: the
// Origin Private File System, `showDirectoryPicker()`, a dropped folder) behind the same small
// adapter the Node folder has (walk, look up, create folders, write a download, delete), so the
// planner and the executor stay one implementation. What browsers cannot do, and what this does
// instead:
// - no nanosecond or settable mtimes: a file's time is `File.lastModified` (whole ms), and a
//   downloaded file gets the time it was written, not the bucket's `mtime`;
// - no rename: a download is written to a hidden temp file next to its destination
//   (`.name.hfb-<random>.part`) and moved into place with `FileSystemHandle.move()` once complete
//   (Chromium has it for OPFS: tests/js/sync-browser-local.test.mjs); where `move()` is missing, the complete temp
//   file is copied under the real name with one `createWritable()` (whose content appears on
//   `close()`) and removed.

import { AbortError } from '../../dist/client/js/errors.js';

/** Files per page handed to the planner (4 values each). */
const PAGE_FILES = 1000;
/** `getFile()` calls in flight at once. */
const LOOKUP_CONCURRENCY = 16;
/** Characters of a file name kept in its temp name. */
const TEMP_NAME_CHARS = 64;

function checkAborted(signal) {
  if (signal?.aborted) throw new AbortError('the operation was aborted', { cause: signal.reason });
}

/** `[size, mtimeSec, mtimeNsec]` of a `File` (browsers give whole milliseconds). */
export function fileInfo(file) {
  const ms = Number.isFinite(file.lastModified) ? Math.trunc(file.lastModified) : 0;
  const sec = Math.floor(ms / 1000);
  return [file.size, sec, (ms - sec * 1000) * 1_000_000];
}

function splitPath(rel) {
  const i = rel.lastIndexOf('/');
  return i < 0 ? ['', rel] : [rel.slice(0, i), rel.slice(i + 1)];
}

function randomHex(bytes) {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The folder handle at `rel` under `root` (`''` = root), or null when a segment is missing or a
 * file. With `create`, missing folders are made (a file in the way throws `TypeMismatchError`).
 * `cache` (a Map) keeps the lookups of one pass.
 * @param {any} root
 * @param {string} rel
 * @param {{ create?: boolean, cache?: Map<string, Promise<any>> }} [options]
 */
async function folderAt(root, rel, { create = false, cache } = {}) {
  if (!rel) return root;
  let dir = root;
  let at = '';
  for (const part of rel.split('/')) {
    at = at ? `${at}/${part}` : part;
    let next = cache?.get(at);
    if (next === undefined) {
      const parent = dir;
      const lookup = create ? parent.getDirectoryHandle(part, { create: true }) : parent.getDirectoryHandle(part).catch(() => null);
      cache?.set(at, lookup);
      next = lookup;
    }
    dir = await next;
    if (!dir) return null;
  }
  return dir;
}

/** The `File` at `rel`, or null when it is missing, a folder, or unreadable. */
async function fileAt(root, rel, cache) {
  const [parent, name] = splitPath(rel);
  const dir = await folderAt(root, parent, { cache });
  if (!dir) return null;
  try {
    return await (await dir.getFileHandle(name)).getFile();
  } catch {
    return null;
  }
}

/**
 * Walks a folder handle like the Node walk (§1.4.1): recursive, hidden entries included, empty
 * folders yield nothing, unreadable folders and files skipped. Calls `onPage` with flat pages
 * `[relPath, size, mtimeSec, mtimeNsec, …]`.
 */
export async function walkHandle(root, onPage, signal) {
  let page = [];
  const stack = [['', root]];
  while (stack.length) {
    checkAborted(signal);
    const [rel, dir] = /** @type {[string, any]} */ (stack.pop());
    const files = [];
    try {
      for await (const [name, child] of dir.entries()) {
        const path = rel ? `${rel}/${name}` : name;
        if (child.kind === 'directory') stack.push([path, child]);
        else files.push([path, child]);
      }
    } catch {
      continue;
    }
    for (let i = 0; i < files.length; i += LOOKUP_CONCURRENCY) {
      const group = files.slice(i, i + LOOKUP_CONCURRENCY);
      const got = await Promise.all(group.map(([, h]) => h.getFile().catch(() => null)));
      got.forEach((file, k) => {
        if (file) page.push(group[k][0], ...fileInfo(file));
      });
    }
    if (page.length >= PAGE_FILES * 4) {
      onPage(page);
      page = [];
    }
  }
  if (page.length) onPage(page);
}

/**
 * Looks up `paths` under `root`: a flat page of the ones that are files; `onFile(path, file)` is
 * told each `File` found.
 * @param {any} root
 * @param {string[]} paths
 * @param {Map<string, any>} [cache]
 * @param {(path: string, file: File) => void} [onFile]
 */
export async function statPaths(root, paths, cache = new Map(), onFile) {
  const page = [];
  for (let j = 0; j < paths.length; j += LOOKUP_CONCURRENCY) {
    const group = paths.slice(j, j + LOOKUP_CONCURRENCY);
    const files = await Promise.all(group.map((p) => fileAt(root, p, cache)));
    files.forEach((file, k) => {
      if (!file) return;
      onFile?.(group[k], file);
      page.push(group[k], ...fileInfo(file));
    });
  }
  return page;
}

/**
 * The local side for the folder handle `root`: the adapter of the sync executor
 * (`kind`, `walk`, `statMany`, `mkdirs`, `uploadSource`, `createWriter`, `remove`,
 * `pruneEmptyParents`), as the Node one over a folder on disk.
 */
export function browserLocalSide(root) {
  /** Files seen by `kind` or `statMany` (a snapshot each), handed out by `uploadSource`. */
  const seen = new Map();
  return {
    root,

    /** `'directory'`, `'file'` or null (missing) for `rel` (`''` = the folder itself). */
    async kind(rel) {
      if (!rel) return 'directory';
      const [parent, name] = splitPath(rel);
      const dir = await folderAt(root, parent);
      if (!dir) return null;
      try {
        const file = await (await dir.getFileHandle(name)).getFile();
        seen.set(rel, file);
        return 'file';
      } catch {
        try {
          await dir.getDirectoryHandle(name);
          return 'directory';
        } catch {
          return null;
        }
      }
    },

    walk(onPage, signal) {
      return walkHandle(root, onPage, signal);
    },

    /** Looks up `paths`; the files found are the snapshots `uploadSource` hands out. */
    statMany(paths) {
      return statPaths(root, paths, new Map(), (rel, file) => seen.set(rel, file));
    },

    /** Creates `rel` and its parents; a file in the way rejects (`TypeMismatchError`). */
    async mkdirs(rel) {
      await folderAt(root, rel, { create: true });
    },

    /** The `File` at `rel` as `kind(rel)` found it (an upload reads it at execution time). */
    uploadSource(rel) {
      const file = seen.get(rel);
      if (!file) throw new Error(`${rel}: not looked up before the upload`);
      seen.delete(rel);
      return file;
    },

    /**
     * A writer for a download to `rel` (its folder exists): bytes go to a hidden temp file next to
     * it; `commit()` moves it into place, `abort()` removes it. Browsers cannot set a file's
     * mtime, so `commit`'s `mtimeMs` is not applied.
     */
    async createWriter(rel) {
      const [parent, name] = splitPath(rel);
      const dir = await folderAt(root, parent);
      if (!dir) throw new Error(`${parent}: the folder does not exist`);
      const tempName = `.${name.slice(0, TEMP_NAME_CHARS)}.hfb-${randomHex(6)}.part`;
      const temp = await dir.getFileHandle(tempName, { create: true });
      let stream;
      try {
        stream = await temp.createWritable();
      } catch (e) {
        await dir.removeEntry(tempName).catch(() => {});
        throw e;
      }
      let open = true;
      return {
        async write(bytes) {
          await stream.write(bytes);
        },
        async commit(mtimeMs) {
          open = false;
          await stream.close();
          if (typeof temp.move === 'function') {
            await temp.move(dir, name);
            return;
          }
          // No move(): copy the complete file under the real name, its content appearing on close().
          const target = await (await dir.getFileHandle(name, { create: true })).createWritable();
          try {
            await target.write(await temp.getFile());
            await target.close();
          } catch (e) {
            await target.abort().catch(() => {});
            throw e;
          } finally {
            await dir.removeEntry(tempName).catch(() => {});
          }
        },
        async abort() {
          if (open) {
            open = false;
            await stream.abort().catch(() => {});
          }
          await dir.removeEntry(tempName).catch(() => {});
        },
      };
    },

    /** Deletes the file `rel`: true, or false when it was not there. */
    async remove(rel) {
      const [parent, name] = splitPath(rel);
      const dir = await folderAt(root, parent);
      if (!dir) return false;
      try {
        await dir.getFileHandle(name);
      } catch {
        return false;
      }
      await dir.removeEntry(name);
      return true;
    },

    /** Removes the now empty folders above `rel`, upwards, never the root. */
    async pruneEmptyParents(rel) {
      let [dir] = splitPath(rel);
      while (dir) {
        const [parent, name] = splitPath(dir);
        const handle = await folderAt(root, parent);
        if (!handle) return;
        try {
          await handle.removeEntry(name); // not recursive: fails on a folder that is not empty
        } catch {
          return;
        }
        dir = parent;
      }
    },
  };
}

/**
 * The local side for a `File` list (`[[relPath, file], …]`, see `filesWithPaths` in sync.js): a
 * read-only folder, for upload syncs. Writing to it throws.
 */
export function filesLocalSide(entries) {
  const files = new Map(entries);
  const folders = new Set(['']);
  for (const rel of files.keys()) {
    for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) folders.add(rel.slice(0, i));
  }
  const readOnly = () => {
    throw new Error('a File list is read-only: it can only be the source of a sync');
  };
  return {
    root: entries,
    async kind(rel) {
      if (files.has(rel)) return 'file';
      return folders.has(rel) ? 'directory' : null;
    },
    async walk(onPage) {
      const all = [...files];
      for (let i = 0; i < all.length; i += PAGE_FILES) {
        const page = [];
        for (const [rel, file] of all.slice(i, i + PAGE_FILES)) page.push(rel, ...fileInfo(file));
        onPage(page);
      }
    },
    async statMany(paths) {
      const page = [];
      for (const rel of paths) {
        const file = files.get(rel);
        if (file) page.push(rel, ...fileInfo(file));
      }
      return page;
    },
    uploadSource(rel) {
      const file = files.get(rel);
      if (!file) throw new Error(`${rel}: not in the File list`);
      return file;
    },
    mkdirs: readOnly,
    createWriter: readOnly,
    remove: readOnly,
    pruneEmptyParents: readOnly,
  };
}
