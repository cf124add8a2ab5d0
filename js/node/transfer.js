// Node additions of the transfer engine: file paths (and Node Readables) as upload sources, and
// `downloadBucketFile`, which writes a bucket file to a local path. Imported by js/node/index.js.

import { open, rename, stat, unlink } from 'node:fs/promises';
import { close as fsClose, closeSync, fstatSync, openSync, read as fsRead, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setNodeSourceOpener, PIECE } from '../../dist/client/js/transfer-sources.js';
import { openBucketFile } from '../index.js';

/** Files up to this size are read whole, in one synchronous read (see `openPath`). */
const SMALL_FILE = 256 << 10;

/** Size of each of the two buffers `downloadBucketFile` reads into and writes from. */
const DOWNLOAD_BUFFER = 4 << 20;

const readAsync = promisify(fsRead);

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
  return pieceReader(fd, meta, undefined);
}

/** Reads the open file `fd` on asynchronously, `first` (if any) being its first piece. */
function pieceReader(fd, meta, first) {
  const buffer = Buffer.allocUnsafe(Math.min(PIECE, Math.max(SMALL_FILE, meta.size + 1)));
  let closed = false;
  let ended = false;
  const close = () => {
    if (!closed) {
      closed = true;
      fsClose(fd, () => {});
    }
  };
  return {
    ...meta,
    ended: false,
    async read() {
      if (first) {
        const out = first;
        first = undefined;
        return out;
      }
      if (closed || ended) {
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

async function writeAll(handle, bytes) {
  let at = 0;
  while (at < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.length - at);
    at += bytesWritten;
  }
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
  let writing = Promise.resolve();
  try {
    for (;;) {
      const { done, value } = byob ? await reader.read(spare.pop()) : await reader.read();
      if (done) break;
      await writing;
      // A BYOB read hands its buffer back (transferred) with the bytes: reused once written.
      writing = writeAll(handle, value).then(() => {
        if (byob) spare.push(new Uint8Array(value.buffer));
      });
    }
    await writing;
  } catch (e) {
    await writing.catch(() => {});
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
