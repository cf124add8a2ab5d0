// Node half of directory sync (workflows spec §1, issue 11): `planSync` walks the local
// directory (I/O stays in JS) and hands it to the Rust planner in pages; the planner lists the
// bucket itself and decides every operation (src/sync/, src/bindings/sync.rs). Types and docs:
// js/index.d.ts (`planSync`).

import { opendir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SyncPlanner } from '../../dist/client/hf_buckets_client.js';
import { AbortError, ValidationError } from '../../dist/client/js/errors.js';
import { withJsonl } from '../sync-plan.js';

/** Files per page handed to the planner (4 values each). */
const PAGE_FILES = 1000;
/** Local lookups in flight at once (a download without `delete`). */
const STAT_CONCURRENCY = 16;
const NS_PER_S = 1_000_000_000n;

function checkAborted(signal) {
  if (signal?.aborted) throw new AbortError('the operation was aborted', { cause: signal.reason });
}

/** `stat` (following symlinks) as the planner wants it, or null for a folder or a failure. */
async function statFile(path) {
  let info;
  try {
    info = await stat(path, { bigint: true });
  } catch {
    return null;
  }
  if (info.isDirectory()) return null;
  let sec = info.mtimeNs / NS_PER_S;
  let nsec = info.mtimeNs % NS_PER_S;
  if (nsec < 0n) {
    nsec += NS_PER_S;
    sec -= 1n;
  }
  return [Number(info.size), Number(sec), Number(nsec)];
}

/**
 * Walks `root` like the official client (§1.4.1): recursive, hidden entries included, folder
 * symlinks neither followed nor listed, other entries stat'ed through symlinks (a broken link
 * or any failure skipped), unreadable folders skipped. Calls `onPage` with flat pages
 * `[relPath, size, mtimeSec, mtimeNsec, …]`.
 */
async function walk(root, onPage, signal) {
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
      dir = await opendir(rel ? join(root, rel) : root);
    } catch {
      continue;
    }
    for await (const entry of dir) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        stack.push(child);
        continue;
      }
      const info = await statFile(join(root, child));
      if (!info) continue;
      page.push(child, ...info);
      if (page.length >= PAGE_FILES * 4) flush();
    }
  }
  flush();
}

async function isDirectory(path) {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return null; // missing (or unreadable)
  }
}

/** Looks up each kept bucket path under `root` (a download without `delete`). */
async function statRemotePaths(planner, root, signal) {
  const paths = planner.remotePaths();
  for (let i = 0; i < paths.length; i += PAGE_FILES) {
    checkAborted(signal);
    const slice = paths.slice(i, i + PAGE_FILES);
    const page = [];
    for (let j = 0; j < slice.length; j += STAT_CONCURRENCY) {
      const group = slice.slice(j, j + STAT_CONCURRENCY);
      const infos = await Promise.all(group.map((p) => statFile(join(root, p))));
      infos.forEach((info, k) => {
        if (info) page.push(group[k], ...info);
      });
    }
    if (page.length) planner.addLocal(page);
  }
}

/** Plans a sync between a local directory and a bucket; see index.d.ts. */
export async function planSync(options = {}) {
  const planner = new SyncPlanner(options);
  try {
    const signal = options?.signal;
    const local = planner.localPath;
    const localIsDir = await isDirectory(local);
    if (planner.direction === 'upload' && !localIsDir) {
      throw new ValidationError(`Source must be an existing directory: ${local}`, { code: 'INVALID_ARGUMENT' });
    }
    if (planner.direction === 'download' && localIsDir === false) {
      throw new ValidationError(`Destination must be a directory: ${local}`, { code: 'INVALID_ARGUMENT' });
    }
    if (options.filterFrom != null) {
      let text;
      try {
        text = await readFile(options.filterFrom, 'utf8');
      } catch (cause) {
        throw new ValidationError(`Cannot read the filter file ${options.filterFrom}: ${cause instanceof Error ? cause.message : cause}`, {
          code: 'INVALID_ARGUMENT',
          cause,
        });
      }
      planner.setFilterFile(text);
    }
    checkAborted(signal);
    if (planner.direction === 'upload') await walk(local, (page) => planner.addLocal(page), signal);
    while ((await planner.nextRemotePage({ signal })) !== null);
    if (planner.direction === 'download' && localIsDir) {
      if (planner.walksLocal) await walk(local, (page) => planner.addLocal(page), signal);
      else await statRemotePaths(planner, local, signal);
    }
    return withJsonl(planner.finish(Date.now()));
  } finally {
    planner.free();
  }
}
