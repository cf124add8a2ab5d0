// The Node local side of directory sync (the `SyncLocalSide` adapter of js/sync.d.ts, used by
// js/sync-exec.js): a folder on disk. Walks like the official client (§1.4.1), writes each
// download to a hidden temp file in the destination folder, fsyncs it with its mtime set, and
// renames it into place, so a crash or a kill never leaves a half-written file under a real name.

import { statSync } from 'node:fs';
import { mkdir, open, opendir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AbortError } from '../../dist/client/js/errors.js';
import { fileWriter, readFilePieces, syncDirectory } from './transfer.js';

/** Files per page handed to the planner (4 values each). */
const PAGE_FILES = 1000;
const NS_PER_S = 1_000_000_000n;
/** Bytes of a file name kept in its temp name (names stay under the usual 255-byte limit). */
const TEMP_NAME_CHARS = 64;

function checkAborted(signal) {
  if (signal?.aborted) throw new AbortError('the operation was aborted', { cause: signal.reason });
}

/**
 * `stat` (following symlinks) as the planner wants it, or null for a folder or a failure.
 * Synchronous on purpose: one awaited thread-pool `stat` per file made a 10,000-file walk ~6×
 * slower; callers yield to the event loop after every page of 1,000 files instead.
 */
function statFile(path) {
  let info;
  try {
    info = statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return null;
  }
  return info ? plannerStat(info) : null;
}

/** Lets other work run between pages of synchronous stats. */
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

/** `[size, mtimeSec, mtimeNsec]` of a stat result, or null for a folder. */
function plannerStat(info) {
  if (info.isDirectory()) return null;
  let sec = info.mtimeNs / NS_PER_S;
  let nsec = info.mtimeNs % NS_PER_S;
  if (nsec < 0n) {
    nsec += NS_PER_S;
    sec -= 1n;
  }
  return [Number(info.size), Number(sec), Number(nsec)];
}

/** The local side for the folder `root` (a path as given). */
export function nodeLocalSide(root) {
  const abs = (rel) => (rel ? join(root, ...rel.split('/')) : root);
  /** Folders that got a rename since the last flush (fsync'ed once each by `flush`). */
  const renamedIn = new Set();
  return {
    root,

    async kind(rel) {
      try {
        const info = await stat(abs(rel));
        return info.isDirectory() ? 'directory' : 'file';
      } catch {
        return null;
      }
    },

    /**
     * Walks the folder like the official client (§1.4.1): recursive, hidden entries included,
     * folder symlinks neither followed nor listed, other entries stat'ed through symlinks (a
     * broken link or any failure skipped), unreadable folders skipped. Calls `onPage` with flat
     * pages `[relPath, size, mtimeSec, mtimeNsec, …]`.
     */
    async walk(onPage, signal) {
      let page = [];
      const flush = () => {
        if (page.length) onPage(page);
        page = [];
      };
      const stack = [''];
      while (stack.length) {
        checkAborted(signal);
        const rel = stack.pop();
        let dir;
        try {
          dir = await opendir(abs(rel));
        } catch {
          continue;
        }
        for await (const entry of dir) {
          const child = rel ? `${rel}/${entry.name}` : entry.name;
          if (entry.isDirectory()) {
            stack.push(child);
            continue;
          }
          const info = statFile(abs(child));
          if (!info) continue;
          page.push(child, ...info);
          if (page.length >= PAGE_FILES * 4) {
            flush();
            checkAborted(signal);
            await yieldToLoop();
          }
        }
      }
      flush();
    },

    /** Looks up these relative paths: a flat page of the ones that are files. */
    async statMany(paths) {
      const page = [];
      for (let j = 0; j < paths.length; j++) {
        if (j > 0 && j % PAGE_FILES === 0) await yieldToLoop();
        const info = statFile(abs(paths[j]));
        if (info) page.push(paths[j], ...info);
      }
      return page;
    },

    /** The file's bytes, in pieces of up to 1 MiB (one buffer, reused: use each piece before the next). */
    read(rel) {
      return readFilePieces(abs(rel));
    },

    async mkdirs(rel) {
      await mkdir(abs(rel), { recursive: true });
    },

    uploadSource(rel) {
      return abs(rel);
    },

    async createWriter(rel) {
      const to = abs(rel);
      const slash = rel.lastIndexOf('/');
      const dir = slash < 0 ? '' : rel.slice(0, slash);
      const name = rel.slice(slash + 1).slice(0, TEMP_NAME_CHARS);
      const temp = abs(`${dir ? `${dir}/` : ''}.${name}.hfb-${randomBytes(6).toString('hex')}.part`);
      const handle = await open(temp, 'wx');
      let open_ = true;
      const close = async () => {
        if (open_) {
          open_ = false;
          await handle.close();
        }
      };
      const writer = fileWriter(handle);
      return {
        write: writer.write,
        /** Durable before visible: mtime set and bytes on disk, then the rename. */
        async commit(mtimeMs) {
          await writer.flushed();
          if (mtimeMs !== undefined) {
            const t = new Date(mtimeMs);
            await handle.utimes(t, t);
          }
          await handle.sync();
          await close();
          await rename(temp, to);
          renamedIn.add(dir);
        },
        async abort() {
          await writer.flushed().catch(() => {});
          await close().catch(() => {});
          await unlink(temp).catch(() => {});
        },
      };
    },

    /** Makes the renames so far durable (one fsync per folder). */
    async flush() {
      const dirs = [...renamedIn];
      renamedIn.clear();
      for (const dir of dirs) await syncDirectory(abs(dir));
    },

    async remove(rel) {
      try {
        await unlink(abs(rel));
        return true;
      } catch (/** @type {any} */ e) {
        if (e?.code === 'ENOENT') return false;
        throw e;
      }
    },

    /** Removes the now empty folders above `rel`, upwards, never the root. */
    async pruneEmptyParents(rel) {
      let dir = rel;
      for (;;) {
        const i = dir.lastIndexOf('/');
        if (i < 0) return;
        dir = dir.slice(0, i);
        try {
          await rmdir(abs(dir));
        } catch {
          return;
        }
      }
    },
  };
}
