// Node additions of the transfer engine: file paths (and Node Readables) as upload sources, and
// `downloadBucketFile`, which writes a bucket file to a local path. Imported by js/node/index.js.

import { open, rename, stat, unlink } from 'node:fs/promises';
import { close as fsClose, closeSync, fstatSync, openSync, read as fsRead, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { setNodeSourceOpener, PIECE } from '../../dist/client/js/transfer-sources.js';
import { openBucketFile } from '../index.js';
import { SegmentWorkers } from '../xet/segment-workers.js';
import { spawnSegmentWorker } from '../xet/spawn-node.js';

/** Files up to this size are read whole, in one synchronous read (see `openPath`). */
const SMALL_FILE = 256 << 10;

/** Size of each of the two buffers `downloadBucketFile` reads into and writes from. */
const DOWNLOAD_BUFFER = 4 << 20;
/**
 * Bytes written between two flushes to the disk by `fileWriter`, each one run while the
 * download goes on. The final `fsync` of a 256 MiB file then waits ~10 ms instead of ~100–160
 * (measured on the development VM; the writes themselves were not slower).
 */
const FLUSH_EVERY = 16 << 20;

const readAsync = promisify(fsRead);

/**
 * Bytes per segment of a large file chunked in workers (see `segmentReader`; exported for
 * tests). 4 MiB keeps two workers busier than 8 (a fresh process's re-upload of 256 MiB stored
 * data: 294 → 282 ms, median of 8; 2 MiB and 16 MiB were slower).
 */
export const SEGMENT = 4 << 20;
/** Segments read and being chunked ahead of the one the engine takes. */
const AHEAD = 3;
/** Files of at least this size are chunked in workers once the workers run. */
const SEGMENTED_FILE = 16 << 20;
/**
 * The chunking workers of uploads (shared by every upload of the process; started for the first
 * file of at least `HF_BUCKETS_CHUNK_WORKERS_FROM_MIB`; idle ones do not keep the process alive,
 * and go after WORKERS_IDLE_MS without a segment, giving their memory back).
 * @type {SegmentWorkers | undefined}
 */
let segmentWorkers;
/** Idle time after which the chunking workers stop. */
const WORKERS_IDLE_MS = 30_000;

/**
 * A whole number from the environment variable `name`, else `fallback`.
 * @param {string} name
 * @param {number} fallback
 */
function envCount(name, fallback) {
  let text;
  try {
    text = process.env[name];
  } catch {
    return fallback; // Deno without `--allow-env`: the variable cannot be set there
  }
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,6}$/.test(text.trim())) throw new TypeError(`${name} must be a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * The chunking workers for a file of `size` bytes, if it should use them. Starting them costs
 * about 100 ms and 30 MiB of memory each, which a file must be large enough to repay (by
 * default 128 MiB: from there a fresh process's re-upload of stored data, bound by chunking and
 * hashing, gains more than the start costs; new data, bound by the network, neither gains nor
 * loses); once they run, every file from SEGMENTED_FILE on uses them.
 * @param {number} size
 */
function chunkWorkersFor(size) {
  if (size < SEGMENTED_FILE) return undefined;
  const count = envCount('HF_BUCKETS_CHUNK_WORKERS', Math.min(4, availableParallelism()));
  if (count === 0) return undefined;
  const large = size >= envCount('HF_BUCKETS_CHUNK_WORKERS_FROM_MIB', 128) * 2 ** 20;
  if (!segmentWorkers && large) segmentWorkers = new SegmentWorkers(spawnSegmentWorker, count, WORKERS_IDLE_MS);
  // Running workers serve every file from SEGMENTED_FILE on; stopped ones start again for a large one.
  return segmentWorkers?.available && (large || segmentWorkers.count > 0) ? segmentWorkers : undefined;
}

/**
 * Opens a local file as an upload source. The open, the `fstat` and (for files of at most
 * SMALL_FILE bytes) the one read are synchronous: each takes microseconds on a local disk,
 * while their promise versions cost a thread-pool round trip and a FileHandle each, which for a
 * batch of many small files was most of the main thread's time. Larger files are read
 * asynchronously, a piece at a time, into one reused buffer (the engine copies each piece into
 * wasm before it asks for the next).
 */
function openPath(path) {
  const file = typeof path === 'string' ? path : fileURLToPath(path);
  const fd = openSync(file, 'r');
  let info;
  try {
    info = fstatSync(fd);
    if (!info.isFile()) throw new TypeError(`${file} is not a regular file`);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  const meta = { size: info.size, name: file, mtime: info.mtimeMs };
  if (info.size <= SMALL_FILE) {
    // One read of size + 1 bytes: a short read is the end (a file that grew since the fstat is
    // read on asynchronously below, so it is still sent whole).
    const buffer = Buffer.allocUnsafe(info.size + 1);
    let n;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    if (n <= info.size) {
      closeSync(fd);
      /** @type {Buffer | undefined} */
      let piece = buffer.subarray(0, n);
      return {
        ...meta,
        ended: false,
        read() {
          const out = piece;
          piece = undefined;
          this.ended = true;
          return out;
        },
        close() {},
      };
    }
    return pieceReader(fd, meta, buffer.subarray(0, n));
  }
  let workers;
  try {
    workers = chunkWorkersFor(info.size);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return workers ? segmentReader(fd, meta, workers) : pieceReader(fd, meta, undefined);
}

/**
 * Reads the open file `fd` in SEGMENT-sized pieces and has `workers` chunk and hash each one
 * while the next ones are read, so that one large file is hashed on several cores: each piece
 * comes as `{ bytes, chunks }` (the packed chunks the worker found, which the engine stitches in,
 * re-chunking only the bytes near the piece's edges). A worker that fails costs only its
 * segment's speed: the segment is read again and handed out without chunks. (Exported for tests.)
 * @param {number} fd
 * @param {{ size: number, name: string, mtime: number }} meta
 * @param {SegmentWorkers} workers
 */
export function segmentReader(fd, meta, workers) {
  /** Segments read or being read, in file order. @type {Promise<{ bytes: Uint8Array, chunks?: Uint8Array } | undefined>[]} */
  const queue = [];
  /** Free segment buffers. @type {ArrayBuffer[]} */
  const pool = [];
  /** The buffer of the piece handed out last (the engine copied it before asking for more). @type {ArrayBuffer | undefined} */
  let lent;
  let position = 0;
  let atEnd = false;
  const { close, isClosed } = closer(fd);
  /**
   * Reads the segment at `at` into a buffer, then has a worker chunk it.
   * @param {number} at
   */
  const segment = async (at) => {
    const buffer = pool.pop() ?? new ArrayBuffer(SEGMENT);
    const { bytesRead } = await readAsync(fd, new Uint8Array(buffer), 0, SEGMENT, at);
    if (bytesRead < SEGMENT) atEnd = true;
    if (bytesRead === 0) return undefined;
    // While the workers start (tens of ms, a good part of a fresh process's upload), segments
    // are chunked here.
    const chunked = workers.chunk(buffer, bytesRead, true);
    if (!chunked) return { bytes: new Uint8Array(buffer, 0, bytesRead) };
    try {
      return await chunked;
    } catch {
      // The worker failed (its copy of the bytes is gone): read them again, chunk them here.
      const again = new Uint8Array(bytesRead);
      const { bytesRead: n } = await readAsync(fd, again, 0, bytesRead, at);
      return { bytes: again.subarray(0, n) };
    }
  };
  const fill = () => {
    // Past the size `fstat` gave, one segment at a time: it is empty unless the file grew.
    while (!atEnd && !isClosed() && queue.length < (position < meta.size ? AHEAD : 1)) {
      const at = position;
      position += SEGMENT;
      const next = segment(at);
      // A failed read surfaces when its turn comes; until then it must not count as unhandled.
      next.catch(() => {});
      queue.push(next);
    }
  };
  return {
    ...meta,
    ended: false,
    async read() {
      if (lent && lent.byteLength === SEGMENT && pool.length < AHEAD) pool.push(lent);
      lent = undefined;
      if (isClosed()) return undefined;
      fill();
      const next = queue.shift();
      let piece;
      try {
        piece = next && (await next);
      } catch (e) {
        close();
        throw e;
      }
      fill();
      if (!piece) {
        close();
        return undefined;
      }
      lent = /** @type {ArrayBuffer} */ (piece.bytes.buffer);
      if (atEnd && queue.length === 0) {
        this.ended = true;
        close();
      }
      return piece;
    },
    close,
  };
}

/**
 * The bytes of the file at `path`, in order (for hashing): a large file as `{ bytes, chunks }`
 * segments chunked by the workers when they apply (see `chunkWorkersFor`), else pieces of at
 * most PIECE bytes. A piece's buffer is reused once the next one is asked for.
 * @param {string} path
 * @returns {AsyncGenerator<Uint8Array | { bytes: Uint8Array, chunks?: Uint8Array }>}
 */
export async function* readFilePieces(path) {
  const reader = openPath(path);
  try {
    for (;;) {
      const piece = await reader.read();
      if (piece === undefined) return;
      yield piece;
      if (reader.ended) return;
    }
  } finally {
    reader.close();
  }
}

/**
 * Closes `fd` once, in the background (later calls do nothing); `isClosed` tells whether it did.
 * @param {number} fd
 */
function closer(fd) {
  let closed = false;
  return {
    close() {
      if (!closed) {
        closed = true;
        fsClose(fd, () => {});
      }
    },
    isClosed: () => closed,
  };
}

/** Reads the open file `fd` on asynchronously, `first` (if any) being its first piece. */
function pieceReader(fd, meta, first) {
  const buffer = Buffer.allocUnsafe(Math.min(PIECE, Math.max(SMALL_FILE, meta.size + 1)));
  let ended = false;
  const { close, isClosed } = closer(fd);
  return {
    ...meta,
    ended: false,
    async read() {
      if (first) {
        const out = first;
        first = undefined;
        return out;
      }
      if (isClosed() || ended) {
        close();
        return undefined;
      }
      let bytesRead;
      try {
        ({ bytesRead } = await readAsync(fd, buffer, 0, buffer.length, null));
      } catch (e) {
        close();
        throw e;
      }
      if (bytesRead === 0) {
        close();
        return undefined;
      }
      // A short read of a regular file is its end: skip the extra read that would say so.
      if (bytesRead < buffer.length) {
        ended = true;
        this.ended = true;
        close();
      }
      return buffer.subarray(0, bytesRead);
    },
    close,
  };
}

setNodeSourceOpener((value) => {
  if (typeof value === 'string' || value instanceof URL) return openPath(value);
  // Node Readables are async iterables of Buffers, which the generic adapter reads (it refuses
  // chunks that are not bytes); refuse string-decoding streams early with a clear message.
  if (value instanceof Readable && value.readableEncoding) {
    throw new TypeError('a Readable upload source must yield bytes (it has an encoding set)');
  }
  return undefined;
});

/** fsync of a directory, so a rename in it survives a crash (a no-op where directories cannot be opened). */
export async function syncDirectory(dir) {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open a directory: its renames are durable without this.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/**
 * Writes to the open file `handle`, flushing what was written to the disk (`datasync`) every
 * FLUSH_EVERY bytes while writing goes on, one flush at a time, so that the caller's final
 * `sync` has only the last few MiB left to wait for. Used by `downloadBucketFile` and by the
 * writers of download syncs (local-fs.js).
 * @param {import('node:fs/promises').FileHandle} handle
 */
export function fileWriter(handle) {
  let flushing = Promise.resolve();
  let flushRunning = false;
  let unflushed = 0;
  return {
    /** Writes all of `bytes` at the file's position. @param {Uint8Array} bytes */
    async write(bytes) {
      if (unflushed >= FLUSH_EVERY && !flushRunning) {
        unflushed = 0;
        flushRunning = true;
        flushing = handle.datasync().finally(() => {
          flushRunning = false;
        });
        // A failed flush surfaces in `flushed()`; until then it must not count as unhandled.
        flushing.catch(() => {});
      }
      unflushed += bytes.length;
      let at = 0;
      while (at < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, at, bytes.length - at);
        at += bytesWritten;
      }
    },
    /** Resolves once the background flush (if any) is over; rejects if it failed. */
    flushed() {
      return flushing;
    },
  };
}

/**
 * Writes a stream of bytes to `handle` while the next bytes arrive. A byte stream is read in
 * BYOB mode into two reused buffers: one is written while the engine fills the other. Other
 * streams (e.g. one from the worker mode) are written piece by piece, also one write ahead.
 */
async function writeStream(stream, handle) {
  let reader;
  try {
    reader = stream.getReader({ mode: 'byob' });
  } catch {
    reader = stream.getReader();
  }
  const byob = reader instanceof ReadableStreamBYOBReader;
  const spare = byob ? [new Uint8Array(DOWNLOAD_BUFFER), new Uint8Array(DOWNLOAD_BUFFER)] : [];
  const writer = fileWriter(handle);
  let writing = Promise.resolve();
  try {
    for (;;) {
      const { done, value } = byob ? await reader.read(spare.pop()) : await reader.read();
      if (done) break;
      await writing;
      // A BYOB read hands its buffer back (transferred) with the bytes: reused once written.
      writing = writer.write(value).then(() => {
        if (byob) spare.push(new Uint8Array(value.buffer));
      });
    }
    await writing;
    await writer.flushed();
  } catch (e) {
    await writing.catch(() => {});
    await writer.flushed().catch(() => {});
    await reader.cancel(e).catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
  }
}

/**
 * Downloads a bucket file (or a byte range of it) to the local path `to`, through a temporary
 * file renamed into place only after every byte was verified. Options are those of
 * `openBucketFile` plus the client options (`accessToken`, `endpoint`, …), or `client`.
 * Resolves to `{ path: to, size, xetHash }`.
 */
export async function downloadBucketFile(bucketId, options = {}) {
  const { to, client, ...rest } = options ?? {};
  if (typeof to !== 'string' || to === '') throw new TypeError('downloadBucketFile: `to` must be a local file path');
  const stream = client ? await client.openBucketFile(bucketId, rest) : await openBucketFile(bucketId, rest);
  const temp = `${to}.${randomBytes(6).toString('hex')}.partial`;
  const handle = await open(temp, 'wx');
  let ok = false;
  try {
    await writeStream(stream, handle);
    // Durable before visible: the bytes reach the disk before the rename, and the rename
    // reaches the disk before the call resolves (a crash leaves the old file or the new one).
    await handle.sync();
    await handle.close();
    await rename(temp, to);
    await syncDirectory(dirname(to));
    ok = true;
  } finally {
    if (!ok) {
      await handle.close().catch(() => {});
      await unlink(temp).catch(() => {});
    }
  }
  const { size } = await stat(to);
  return { path: to, size, xetHash: stream.xetHash };
}
