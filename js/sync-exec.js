// Executing directory syncs and many-file downloads (workflows spec §1.8–§1.11, §2; issue 11),
// independent of where the local files live. Everything local goes through a `SyncLocalSide`
// adapter (js/sync.d.ts): Node's is js/node/local-fs.js; a browser one (OPFS, directory
// handles) plugs in the same way. This module imports no `node:*` module.
//
// Rules kept here, once: the order (uploads committed in chunks of ≤ 1,000 adds, then the
// deletes; downloads in parallel, then the local deletes, skipped after a failed download), which
// failures stop the run (anything but per-line batch failures and per-file download failures),
// the temp-file-then-rename writes with the remote mtime, and one throttled progress stream.
// Path rules, filters and plan checks are the Rust ones (src/sync/), reached through the wasm.

import { checkSyncPath, checkSyncPlan, relativeToPrefix, SyncFileHasher, SyncPathFilter, SyncPlanner } from '../dist/client/hf_buckets_client.js';
import { rawClients } from './raw-clients.js';
import { AbortError, AuthError, ForbiddenError, NotFoundError, ValidationError } from '../dist/client/js/errors.js';
import { withJsonl } from './sync-plan.js';

/** Lines per batch call of an upload sync (the official client's chunk size, §1.8). */
export const BATCH_LINES = 1000;
/**
 * Files of known size up to this many bytes are downloaded into one array (`getBucketFile`)
 * and written at once: a stream per small file (its reader, pulls and promises) cost more than
 * the file's bytes.
 */
const WHOLE_FILE_BYTES = 1 << 20;

/** Files downloaded at once unless `concurrency` says otherwise. */
export const DEFAULT_CONCURRENCY = 8;
/**
 * Files of at most WHOLE_FILE_BYTES downloaded at once per unit of `concurrency`: such a file
 * is two small requests and a few file-system calls, so many of them in flight keep the
 * connection and the disk busy (2,000 files of 1–16 KiB: 3.7–3.9 s at 8, 2.8–3.5 s at 32),
 * while holding at most 1 MiB each.
 */
const SMALL_FILES_PER_SLOT = 4;
/** Files per page handed to the planner. */
const PAGE_FILES = 1000;
/** Local files hashed at once by a `checksum` plan. */
const HASH_CONCURRENCY = 4;
/** Paths per `getPathsInfo` request (§2). */
const PATHS_INFO_CHUNK = 1000;
/** Progress events at most this often (plus one at each phase end). */
const PROGRESS_INTERVAL_MS = 100;
/** Options that a plan being applied must not be combined with (the CLI's `--apply` rules, §1.3). */
const NOT_WITH_APPLY = [
  'source',
  'destination',
  'delete',
  'ignoreTimes',
  'ignoreSizes',
  'existing',
  'ignoreExisting',
  'include',
  'exclude',
  'filterFrom',
  'checksum',
  'dryRun',
];

const invalid = (message) => new ValidationError(message, { code: 'INVALID_ARGUMENT' });

function checkAborted(signal) {
  if (signal?.aborted) throw new AbortError('the operation was aborted', { cause: signal.reason });
}

function isAbort(e) {
  return e?.name === 'AbortError';
}

/** Errors that make every later request fail as well: they stop the run instead of being listed per path. */
function isFatal(e) {
  return isAbort(e) || e instanceof AuthError || e instanceof ForbiddenError || e?.name === 'AuthError' || e?.name === 'ForbiddenError';
}

function concurrencyOf(value) {
  if (value === undefined || value === null) return DEFAULT_CONCURRENCY;
  if (!Number.isInteger(value) || value < 1 || value > 256) throw invalid(`concurrency must be an integer from 1 to 256, got ${String(value)}`);
  return value;
}

/** Checks the run options of a sync (`concurrency`, `onProgress`) before anything is sent. */
export function checkRunOptions(options) {
  concurrencyOf(options?.concurrency);
  const f = options?.onProgress;
  if (f !== undefined && f !== null && typeof f !== 'function') throw invalid('onProgress must be a function');
}

/** A value that counts as "given" for the `--apply` conflict rule. */
function given(value) {
  if (value === undefined || value === null || value === false) return false;
  return !(Array.isArray(value) && value.length === 0);
}

/** ms since the epoch of a plan time (`…+00:00`), or undefined for none or the epoch (no mtime). */
function planTimeMs(iso) {
  if (typeof iso !== 'string') return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && ms !== 0 ? ms : undefined;
}

function timeMs(value) {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.getTime() : undefined;
  return typeof value === 'number' && Number.isFinite(value) && value !== 0 ? value : undefined;
}

function parentOf(rel) {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

function joinRemote(prefix, rel) {
  return prefix ? `${prefix}/${rel}` : rel;
}

/** The one progress stream of a call: counters, current files, throttled delivery. */
class Progress {
  constructor(onProgress, filesTotal, bytesTotal) {
    this.onProgress = typeof onProgress === 'function' ? onProgress : null;
    this.state = {
      phase: 'upload',
      filesDone: 0,
      filesTotal,
      bytesTotal,
      bytesDone: 0,
      bytesRead: 0,
      bytesDeduplicated: 0,
      bytesSent: 0,
      bytesFetched: 0,
    };
    this.current = new Set();
    this.last = 0;
  }

  emit(force = false) {
    if (!this.onProgress) return;
    const now = Date.now();
    if (!force && now - this.last < PROGRESS_INTERVAL_MS) return;
    this.last = now;
    try {
      this.onProgress({ ...this.state, currentFiles: [...this.current].slice(0, 16) });
    } catch {
      // A throwing callback must not break the transfer.
    }
  }
}

// ----------------------------------------------------------------------------- downloads

/**
 * Writes bucket files to the local side: parents created first (a file in the way stops the
 * call before any byte moves, §1.10), then `concurrency` files at a time, each through the
 * adapter's temp-file writer (renamed into place with its mtime only when complete). Per-file
 * failures are listed; a missing file (deleted since the listing) is counted in `missing`;
 * aborts and auth errors stop the call.
 * `items`: `{ rel, remote, size?, xetHash?, mtimeMs? }`.
 */
async function writeDownloads(client, bucketId, items, local, { concurrency, signal, progress, report }) {
  const folders = new Set(['']);
  for (const item of items) folders.add(parentOf(item.rel));
  for (const folder of [...folders].sort()) {
    checkAborted(signal);
    try {
      await local.mkdirs(folder);
    } catch (cause) {
      // §1.10: a file where the bucket has a folder stops the call before any byte moves.
      throw new ValidationError(`Cannot create the folder '${folder}' in the destination: ${cause instanceof Error ? cause.message : cause}`, {
        code: 'LOCAL_PATH_CONFLICT',
        cause,
      });
    }
  }
  const inner = new AbortController();
  /** @type {Set<AbortController>} */
  const active = new Set();
  inner.signal.addEventListener('abort', () => {
    for (const c of active) c.abort(inner.signal.reason);
  });
  const stop = () => inner.abort(signal?.reason);
  signal?.addEventListener('abort', stop, { once: true });
  let fatal = null;
  /** Read into one array (and counted as a small file), rather than streamed. */
  const whole = (item) => item.size !== undefined && item.size <= WHOLE_FILE_BYTES && typeof client.getBucketFile === 'function';
  const one = async (item) => {
    progress.current.add(item.rel);
    let fetched = 0;
    let writer = null;
    // One controller per file (aborted with the run), so listeners do not pile up on one signal.
    const own = new AbortController();
    active.add(own);
    try {
      writer = await local.createWriter(item.rel);
      let written = 0;
      const put = async (/** @type {Uint8Array} */ piece) => {
        await writer.write(piece);
        written += piece.length;
        progress.state.bytesDone += piece.length;
        progress.emit();
      };
      if (item.size !== 0) {
        const open = item.xetHash && item.size !== undefined ? { xetHash: item.xetHash, size: item.size } : { path: item.remote };
        const options = {
          ...open,
          signal: own.signal,
          onProgress: (/** @type {{ bytesFetched: number }} */ e) => {
            progress.state.bytesFetched += e.bytesFetched - fetched;
            fetched = e.bytesFetched;
            progress.emit();
          },
        };
        if (whole(item)) {
          await put(await client.getBucketFile(bucketId, options));
        } else {
          for await (const piece of await client.openBucketFile(bucketId, options)) await put(piece);
        }
      }
      await writer.commit(item.mtimeMs);
      writer = null;
      report.downloaded++;
      report.bytesWritten += written;
    } catch (/** @type {any} */ e) {
      if (writer) await writer.abort().catch(() => {});
      if (isFatal(e) || inner.signal.aborted) {
        fatal ??= signal?.aborted ? new AbortError('the operation was aborted', { cause: signal.reason }) : e;
        inner.abort(e);
        return;
      }
      if (e instanceof NotFoundError || e?.name === 'NotFoundError') report.missing.push(item.rel);
      else report.failed.push({ path: item.rel, action: 'download', error: e });
    } finally {
      active.delete(own);
      progress.current.delete(item.rel);
      progress.state.filesDone++;
      progress.emit();
    }
  };
  // `concurrency` streamed files at once, or SMALL_FILES_PER_SLOT times as many small ones, in
  // the order given.
  let free = concurrency * SMALL_FILES_PER_SLOT;
  /** @type {(() => void) | null} */
  let wake = null;
  const running = new Set();
  try {
    for (const item of items) {
      const cost = whole(item) || item.size === 0 ? 1 : SMALL_FILES_PER_SLOT;
      while (free < cost && !fatal && !inner.signal.aborted) {
        await new Promise((/** @type {(value?: unknown) => void} */ resolve) => (wake = () => resolve()));
      }
      if (fatal || inner.signal.aborted) break;
      free -= cost;
      const run = one(item).finally(() => {
        free += cost;
        running.delete(run);
        wake?.();
        wake = null;
      });
      running.add(run);
    }
    await Promise.all(running);
    if (!fatal && signal?.aborted) fatal = new AbortError('the operation was aborted', { cause: signal.reason });
    if (fatal) throw fatal;
    await local.flush?.();
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/**
 * Gives `items` without a hash their size and hash from `getPathsInfo` (1,000 paths a request,
 * §2), so each download starts without a lookup of its own. Returns the found items; the paths
 * the bucket does not have go to `missing`.
 */
async function resolveItems(client, bucketId, items, missing, signal) {
  const out = [];
  const pending = [];
  for (const item of items) (item.xetHash && item.size !== undefined ? out : pending).push(item);
  for (let i = 0; i < pending.length; i += PATHS_INFO_CHUNK) {
    checkAborted(signal);
    const chunk = pending.slice(i, i + PATHS_INFO_CHUNK);
    const found = new Map((await client.getPathsInfo(bucketId, chunk.map((it) => it.remote), { signal })).map((e) => [e.path, e]));
    for (const item of chunk) {
      const e = found.get(item.remote);
      if (!e) {
        missing.push(item.rel);
        continue;
      }
      item.size = e.size;
      item.xetHash = e.xetHash;
      item.mtimeMs = timeMs(e.mtime) ?? item.mtimeMs;
      out.push(item);
    }
  }
  return out;
}

// ----------------------------------------------------------------------------- planning

/** The text of a `filterFrom` file; unreadable → ValidationError. */
async function readFilterFile(path, readText) {
  try {
    return await readText(path);
  } catch (cause) {
    throw new ValidationError(`Cannot read the filter file ${path}: ${cause instanceof Error ? cause.message : cause}`, {
      code: 'INVALID_ARGUMENT',
      cause,
    });
  }
}

/**
 * Plans a sync (§1.1–§1.7) with the Rust planner, reading the local side through the adapter
 * made by `localFor(localPath)`. `readText(path)` reads the `filterFrom` file.
 */
export async function planWith(options, localFor, readText) {
  const planner = plannerFor(options);
  try {
    const signal = options?.signal;
    const local = localFor(planner.localPath);
    const kind = await local.kind('');
    if (planner.direction === 'upload' && kind !== 'directory') {
      throw invalid(`Source must be an existing directory: ${planner.localPath}`);
    }
    if (planner.direction === 'download' && kind === 'file') {
      throw invalid(`Destination must be a directory: ${planner.localPath}`);
    }
    if (options.filterFrom != null) planner.setFilterFile(await readFilterFile(options.filterFrom, readText));
    checkAborted(signal);
    const listRemote = async () => {
      while ((await planner.nextRemotePage({ signal })) !== null);
    };
    if (planner.direction === 'upload') {
      // The folder is walked while the bucket's listing pages arrive (the planner takes both
      // sides in any order): the walk's file-system calls fill the waits for the network.
      const listing = listRemote();
      try {
        await local.walk((page) => planner.addLocal(page), signal);
      } catch (e) {
        await listing.catch(() => {});
        throw e;
      }
      await listing;
    } else {
      await listRemote();
    }
    if (planner.direction === 'download' && kind === 'directory') {
      if (planner.walksLocal) {
        await local.walk((page) => planner.addLocal(page), signal);
      } else {
        const paths = planner.remotePaths();
        for (let i = 0; i < paths.length; i += PAGE_FILES) {
          checkAborted(signal);
          const page = await local.statMany(paths.slice(i, i + PAGE_FILES));
          if (page.length) planner.addLocal(page);
        }
      }
    }
    if (options.checksum === true) await hashLocalFiles(planner, local, signal);
    return withJsonl(planner.finish(Date.now()));
  } finally {
    planner.free();
  }
}

/** A planner listing the bucket with `options.client` when one is given, else with a client made from the options. */
function plannerFor(options) {
  const client = options?.client;
  if (client === undefined || client === null) return new SyncPlanner(options);
  const raw = rawClients.get(client);
  if (!raw) throw invalid('client must be a BucketClient');
  return SyncPlanner.withClient(raw, options);
}

/**
 * `checksum`: hashes the local files the planner asks about (same size on both sides), streamed
 * through the wasm chunker, and hands it each Xet file hash. A file that cannot be read stays
 * unhashed, so it is planned as different (and its upload then reports the failure).
 */
async function hashLocalFiles(planner, local, signal) {
  const paths = planner.checksumPaths();
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      checkAborted(signal);
      const path = paths[next++];
      const hasher = new SyncFileHasher();
      let hash;
      try {
        for await (const piece of local.read(path)) {
          checkAborted(signal);
          if (piece instanceof Uint8Array) hasher.push(piece);
          else if (piece.chunks) hasher.pushSegment(piece.bytes, piece.chunks);
          else hasher.push(piece.bytes);
        }
        hash = hasher.finish();
      } catch (e) {
        hasher.free();
        if (isAbort(e)) throw e;
        continue;
      }
      planner.setLocalHash(path, hash);
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, paths.length) }, worker));
}

// ----------------------------------------------------------------------------- applying a plan

/**
 * A plan object checked by the Rust plan rules (the `--apply` reading: shape, actions, path
 * safety, one local side and one bucket side), without a copy of its operations: its sides and
 * summary, plus what the run does, taken from the operations in the same synchronous step (so
 * a plan changed later cannot slip an unchecked path in). Per-file state is one path (and, for
 * downloads, one plan time) per operation that does something.
 */
export function checkedPlan(plan, options) {
  for (const key of NOT_WITH_APPLY) {
    if (given(options?.[key])) throw invalid(`Cannot specify ${key} when using apply.`);
  }
  if (plan === null || typeof plan !== 'object') throw invalid('plan must be a sync plan object (from planSync or parseSyncPlan)');
  const checked = checkSyncPlan(plan);
  /** @type {string[]} */
  const uploads = [];
  /** @type {string[]} */
  const deletes = [];
  /** @type {{ path: string, remoteMtime?: string }[]} */
  const downloads = [];
  for (const op of plan.operations ?? []) {
    if (op.action === 'upload') uploads.push(op.path);
    else if (op.action === 'delete') deletes.push(op.path);
    else if (op.action === 'download') downloads.push({ path: op.path, remoteMtime: op.remoteMtime ?? undefined });
  }
  return { ...checked, uploads, deletes, downloads };
}

function emptyReport(plan) {
  return {
    plan,
    uploaded: 0,
    downloaded: 0,
    deleted: 0,
    skipped: plan.summary.skips,
    failed: [],
    missing: [],
    bytesRead: 0,
    bytesSent: 0,
    bytesDeduplicated: 0,
    bytesFetched: 0,
    bytesWritten: 0,
  };
}

/** Sends delete lines in batch calls of up to BATCH_LINES; per-line failures are listed, other errors stop. */
async function sendDeletes(client, bucketId, lines, { signal, progress, report, relOf }) {
  for (let i = 0; i < lines.length; i += BATCH_LINES) {
    checkAborted(signal);
    const chunk = lines.slice(i, i + BATCH_LINES);
    const r = await client.batchBucketFiles(bucketId, { delete: chunk, signal });
    const failed = [...r.failed, ...r.skipped];
    for (const f of failed) report.failed.push({ path: relOf(f.path), action: 'delete', error: f.error });
    report.deleted += chunk.length - failed.length;
    progress.state.filesDone += chunk.length;
    progress.emit(true);
  }
}

/**
 * Commits add lines in batch calls of up to BATCH_LINES, each overlapping the one before: a
 * batch starts once the one before has planned all its files (read, hashed, every dedup query
 * answered), so that one's last xorb, shard and commit run while the next batch's files are
 * read. At most two calls run at once; results are counted in batch order. A batch that fails
 * (other than per line: those are listed, as always) stops the run and the batch started after
 * it; the one started before it may finish, as it would have in a run one batch at a time.
 */
function addBatches(client, bucketId, { signal, progress, report, relOf }) {
  /** The batch calls running: `{ index, controller, stopped }`. */
  const running = new Set();
  const onAbort = () => {
    for (const b of running) b.controller.abort(signal.reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  /** The batch before, counted once it is done (its failure rejects this). */
  let previous = Promise.resolve();
  let failure = null;
  let next = 0;
  const state = progress.state;

  const start = (lines) => {
    const batch = { index: next++, controller: new AbortController(), stopped: false };
    running.add(batch);
    /** What this batch has added to the progress counters so far. */
    const mine = { bytesRead: 0, bytesDeduplicated: 0, bytesSent: 0 };
    const move = (read, deduplicated, sent) => {
      state.bytesRead += read - mine.bytesRead;
      state.bytesDone += read - mine.bytesRead;
      state.bytesDeduplicated += deduplicated - mine.bytesDeduplicated;
      state.bytesSent += sent - mine.bytesSent;
      Object.assign(mine, { bytesRead: read, bytesDeduplicated: deduplicated, bytesSent: sent });
    };
    const planned = new Set();
    let allPlanned;
    const planning = new Promise((resolve) => (allPlanned = resolve));
    const onProgress = (e) => {
      move(e.bytesRead, e.bytesDeduplicated, e.bytesSent);
      if (e.file) {
        if (e.file.done) {
          progress.current.delete(relOf(e.file.path));
          planned.add(e.file.path);
          if (planned.size >= lines.length) allPlanned();
        } else {
          progress.current.add(relOf(e.file.path));
        }
      }
      progress.emit();
    };
    const done = client.batchBucketFiles(bucketId, { add: lines, signal: batch.controller.signal, onProgress });
    done.then(
      () => {
        running.delete(batch);
        allPlanned();
      },
      (e) => {
        running.delete(batch);
        if (!batch.stopped) failure ??= e;
        for (const later of running) {
          if (later.index > batch.index) {
            later.stopped = true;
            later.controller.abort(e);
          }
        }
        allPlanned();
      },
    );
    const counted = Promise.all([previous, done]).then(([, r]) => {
      const failed = [...r.failed, ...r.skipped];
      for (const f of failed) report.failed.push({ path: relOf(f.path), action: 'upload', error: f.error });
      report.uploaded += lines.length - failed.length;
      if (r.upload) {
        report.bytesRead += r.upload.bytes;
        report.bytesSent += r.upload.bytesSent;
        report.bytesDeduplicated += r.upload.dedupBytes;
        move(r.upload.bytes, r.upload.dedupBytes, r.upload.bytesSent);
      }
      for (const line of lines) progress.current.delete(relOf(line.destination));
      state.filesDone += lines.length;
      progress.emit(true);
    });
    counted.catch(() => {}); // surfaced by the next `send` or by `finish`
    return { planning, counted };
  };

  return {
    /** Starts a batch of add lines; returns once the batch before it is done and this one is planned. */
    async send(lines) {
      if (failure) throw failure;
      checkAborted(signal);
      const { planning, counted } = start(lines);
      const before = previous;
      previous = counted;
      try {
        await Promise.all([planning, before]);
      } catch (e) {
        throw failure ?? e;
      }
      if (failure) throw failure;
    },
    /** Stops the batches running (after a failure of the caller's own). */
    abort(reason) {
      failure ??= reason;
      for (const b of running) {
        b.stopped = true;
        b.controller.abort(reason);
      }
    },
    /** Waits for the last batch. */
    async finish() {
      try {
        await previous;
      } catch (e) {
        throw failure ?? e;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}

/**
 * Uploads the plan's files in batch calls of up to 1,000 adds, built page by page (a file gone
 * since planning is listed, not fatal: files are read at execution time, §1.8), then its deletes.
 * At most two batches of add lines exist at a time (see `addBatches`).
 */
async function applyUpload(client, plan, local, { signal, progress, report }) {
  const relOf = (remote) => (plan.prefix && remote.startsWith(`${plan.prefix}/`) ? remote.slice(plan.prefix.length + 1) : remote);
  const run = { signal, progress, report, relOf };
  progress.state.phase = 'upload';
  const batches = addBatches(client, plan.bucketId, run);
  try {
    let adds = [];
    for (let i = 0; i < plan.uploads.length; i += PAGE_FILES) {
      checkAborted(signal);
      const page = plan.uploads.slice(i, i + PAGE_FILES);
      const found = new Set((await local.statMany(page)).filter((_, k) => k % 4 === 0));
      for (const rel of page) {
        if (found.has(rel)) {
          adds.push({ source: local.uploadSource(rel), destination: joinRemote(plan.prefix, rel) });
        } else {
          report.failed.push({ path: rel, action: 'upload', error: new NotFoundError(`${rel} is no longer a file in ${plan.localPath}`) });
          progress.state.filesDone++;
        }
      }
      while (adds.length >= BATCH_LINES) {
        await batches.send(adds.slice(0, BATCH_LINES));
        adds = adds.slice(BATCH_LINES);
      }
    }
    if (adds.length > 0) await batches.send(adds);
  } catch (e) {
    batches.abort(e);
    await batches.finish().catch(() => {});
    throw e;
  }
  await batches.finish();
  progress.state.phase = 'delete';
  const deletes = plan.deletes.map((rel) => joinRemote(plan.prefix, rel));
  await sendDeletes(client, plan.bucketId, deletes, run);
}

async function applyDownload(client, plan, local, { signal, progress, report, concurrency }) {
  const items = plan.downloads.map((op) => ({ rel: op.path, remote: joinRemote(plan.prefix, op.path), mtimeMs: planTimeMs(op.remoteMtime) }));
  // Nothing to do: the destination is not even created (the official client stops before).
  if (!items.length && !plan.deletes.length) return;
  progress.state.phase = 'download';
  // Sizes and hashes come from the bucket now (a plan can be old), in requests of 1,000 paths;
  // files gone since planning are skipped and listed in `missing`, as the official client does.
  const found = await resolveItems(client, plan.bucketId, items, report.missing, signal);
  progress.state.filesDone += items.length - found.length;
  await writeDownloads(client, plan.bucketId, found, local, { concurrency, signal, progress, report });
  progress.emit(true);
  // §1.11: a failed download leaves the written files and skips the local deletes.
  if (report.failed.length) return;
  progress.state.phase = 'delete';
  for (const rel of plan.deletes) {
    checkAborted(signal);
    if (await local.remove(rel)) {
      report.deleted++;
      await local.pruneEmptyParents(rel);
    }
    progress.state.filesDone++;
    progress.emit();
  }
  progress.emit(true);
}

/**
 * Executes a plan (from `planWith`, `parseSyncPlan`, or one the caller built) with `client` (a
 * `BucketClient`) and the local side made by `localFor(plan.localPath)`.
 */
export async function applyWith(plan, options, client, localFor) {
  const checked = checkedPlan(plan, options);
  checkRunOptions(options);
  const concurrency = concurrencyOf(options?.concurrency);
  const signal = options?.signal;
  const local = localFor(checked.localPath);
  const kind = await local.kind('');
  if (checked.direction === 'upload' && kind !== 'directory') throw invalid(`Source must be an existing directory: ${checked.localPath}`);
  if (checked.direction === 'download' && kind === 'file') throw invalid(`Destination must be a directory: ${checked.localPath}`);
  checkAborted(signal);
  const report = emptyReport(plan);
  const { uploads, downloads, deletes, totalSize } = checked.summary;
  const progress = new Progress(options?.onProgress, uploads + downloads + deletes, totalSize);
  const run = { signal, progress, report, concurrency };
  if (checked.direction === 'upload') await applyUpload(client, checked, local, run);
  else await applyDownload(client, checked, local, run);
  report.bytesFetched = progress.state.bytesFetched;
  progress.current.clear();
  progress.state.phase = 'done';
  progress.emit(true);
  return report;
}

/**
 * `syncBucket` over one environment's `planSync` and `applySyncPlan`: with `plan`, applies it;
 * otherwise checks the run options, plans, and (unless `dryRun`) applies the plan with the run
 * options, a client made by `newClient(options)` unless one is given, and what `extra(plan)` adds
 * (browsers: the folder handle).
 * @param {any} options
 * @param {{ planSync: (o: any) => Promise<any>, applySyncPlan: (plan: any, o: any) => Promise<any>, newClient: (o: any) => any, extra?: (plan: any) => object }} env
 */
export async function syncWith(options, { planSync, applySyncPlan, newClient, extra = () => ({}) }) {
  const o = options ?? {};
  if (o.plan !== undefined && o.plan !== null) {
    const { plan, ...rest } = o;
    return applySyncPlan(plan, rest);
  }
  if (o.dryRun !== undefined && typeof o.dryRun !== 'boolean') throw invalid(`dryRun must be a boolean, got ${typeof o.dryRun}`);
  checkRunOptions(o);
  const plan = await planSync(o);
  if (o.dryRun) return plan;
  const { client, signal, onProgress, concurrency, accessToken, endpoint, fetch, tokenProvider, retry, worker } = o;
  return applySyncPlan(plan, {
    client: client ?? newClient(o),
    signal,
    onProgress,
    concurrency,
    accessToken,
    endpoint,
    fetch,
    tokenProvider,
    retry,
    worker,
    ...extra(plan),
  });
}

// ----------------------------------------------------------------------------- downloadBucketFiles

/** Downloads many bucket files into a local folder (§2); see sync.d.ts `downloadBucketFiles`. */
export async function downloadFilesWith(client, bucketId, options, local, readText) {
  const o = options ?? {};
  const hasFiles = o.files !== undefined && o.files !== null;
  const hasPrefix = o.prefix !== undefined && o.prefix !== null;
  if (hasFiles === hasPrefix) throw invalid('downloadBucketFiles: give exactly one of `files` and `prefix`');
  if (hasFiles && !Array.isArray(o.files)) throw invalid('downloadBucketFiles: `files` must be an array of paths or file entries');
  if (hasPrefix && typeof o.prefix !== 'string') throw invalid('downloadBucketFiles: `prefix` must be a string');
  checkRunOptions(o);
  const concurrency = concurrencyOf(o.concurrency);
  const signal = o.signal;
  const rules = o.filterFrom != null ? await readFilterFile(o.filterFrom, readText) : undefined;
  const filter = new SyncPathFilter({ include: o.include, exclude: o.exclude }, rules);
  const kind = await local.kind('');
  if (kind === 'file') throw invalid(`Destination must be a directory: ${o.destination}`);
  const report = {
    downloaded: 0,
    skipped: 0,
    /** @type {{ path: string, action: string, error: unknown }[]} */
    failed: [],
    /** @type {string[]} */
    missing: [],
    bytesFetched: 0,
    bytesWritten: 0,
  };
  /** @type {{ rel: string, remote: string, size?: number, xetHash?: string, mtimeMs?: number }[]} */
  const items = [];
  try {
    if (hasFiles) {
      const named = [];
      for (const f of o.files) {
        const entry = typeof f === 'string' ? { path: f } : f;
        if (entry === null || typeof entry !== 'object' || typeof entry.path !== 'string') {
          throw invalid('downloadBucketFiles: each of `files` must be a path or a file entry ({ path, size, xetHash })');
        }
        checkSyncPath(entry.path);
        if (!filter.matches(entry.path)) {
          report.skipped++;
          continue;
        }
        const known = typeof entry.xetHash === 'string' && typeof entry.size === 'number';
        named.push({ rel: entry.path, remote: entry.path, ...(known ? { size: entry.size, xetHash: entry.xetHash } : {}), mtimeMs: timeMs(entry.mtime) });
      }
      items.push(...(await resolveItems(client, bucketId, named, report.missing, signal)));
    } else {
      const prefix = o.prefix.replace(/^\/+|\/+$/g, '');
      for await (const e of client.listBucketTree(bucketId, { prefix, recursive: true, signal })) {
        if (e.type !== 'file') continue;
        const rel = relativeToPrefix(prefix, e.path);
        if (rel === undefined) continue;
        checkSyncPath(rel);
        if (!filter.matches(rel)) {
          report.skipped++;
          continue;
        }
        items.push({ rel, remote: e.path, size: e.size, xetHash: e.xetHash, mtimeMs: timeMs(e.mtime) });
      }
    }
  } finally {
    filter.free();
  }
  const bytesTotal = items.reduce((n, it) => n + (it.size ?? 0), 0);
  const progress = new Progress(o.onProgress, items.length, bytesTotal);
  progress.state.phase = 'download';
  const sink = { ...report, downloaded: 0 };
  await writeDownloads(client, bucketId, items, local, { concurrency, signal, progress, report: sink });
  Object.assign(report, {
    downloaded: sink.downloaded,
    failed: sink.failed,
    missing: sink.missing,
    bytesWritten: sink.bytesWritten,
    bytesFetched: progress.state.bytesFetched,
  });
  progress.state.phase = 'done';
  progress.emit(true);
  return report;
}

export { writeDownloads };
