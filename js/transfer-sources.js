// Upload sources → pull readers for the Rust upload pipeline (src/bindings/transfer.rs imports
// this file as a wasm-bindgen snippet). Self-contained on purpose: wasm-bindgen copies only
// this file. Node-only sources (file paths, and anything the Node entry knows how to open) are
// handled by an opener that `js/node/transfer.js` registers, so browsers never load `node:fs`.
//
// A reader is `{ read(): Uint8Array | undefined | Promise<Uint8Array | undefined>, close(): void,
// size?: number, name?: string, ended?: boolean }`: `read()` gives (or resolves to) the next
// piece (at most PIECE bytes; the bytes are copied into wasm before `read()` is called again, so
// a reader may reuse its buffer) or `undefined` at the end; a reader that knows a piece is its
// last sets `ended` before handing it out, so no read is needed to learn the end (it must then
// have released what it holds). `close()` releases the source early (abort, error). Readers
// answer synchronously where they can: for many small sources, a promise per read was a
// large part of the cost.

/** Largest piece handed to wasm at once. */
export const PIECE = 1 << 20;

let nodeOpener;

/** Registers the Node opener: `(value) => reader | Promise<reader> | undefined` (undefined: not mine). */
export function setNodeSourceOpener(fn) {
  nodeOpener = fn;
}

function bad(message) {
  return new TypeError(message);
}

/** Splits `bytes` into views of at most PIECE bytes. */
function* pieces(bytes) {
  for (let i = 0; i < bytes.length; i += PIECE) yield bytes.subarray(i, Math.min(i + PIECE, bytes.length));
}

function fromBytes(bytes) {
  let offset = 0;
  return {
    size: bytes.length,
    ended: false,
    read() {
      if (offset >= bytes.length) return undefined;
      const end = Math.min(offset + PIECE, bytes.length);
      const piece = bytes.subarray(offset, end);
      offset = end;
      this.ended = end >= bytes.length;
      return piece;
    },
    close() {},
  };
}

function fromBlob(blob) {
  let offset = 0;
  let closed = false;
  return {
    size: blob.size,
    name: typeof blob.name === 'string' ? blob.name : undefined,
    mtime: typeof blob.lastModified === 'number' ? blob.lastModified : undefined,
    async read() {
      if (closed || offset >= blob.size) return undefined;
      const end = Math.min(offset + PIECE, blob.size);
      const buf = new Uint8Array(await blob.slice(offset, end).arrayBuffer());
      offset = end;
      return buf;
    },
    close() {
      closed = true;
    },
  };
}

/** Wraps a pull function of byte chunks (any size) into PIECE-sized reads. */
function rechunk(next, close, extra = {}) {
  let pending = null;
  return {
    ...extra,
    async read() {
      for (;;) {
        if (pending) {
          const v = pending.next();
          if (!v.done) return v.value;
          pending = null;
        }
        const chunk = await next();
        if (chunk === undefined) return undefined;
        if (typeof chunk === 'string') throw bad('upload source yielded a string; give bytes (Uint8Array/Buffer)');
        let bytes;
        if (chunk instanceof Uint8Array) bytes = chunk;
        else if (ArrayBuffer.isView(chunk)) bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        else if (chunk instanceof ArrayBuffer) bytes = new Uint8Array(chunk);
        else throw bad('upload source yielded something that is not bytes');
        if (bytes.length <= PIECE) return bytes;
        pending = pieces(bytes);
      }
    },
    close,
  };
}

function fromStream(stream) {
  if (stream.locked) throw bad('the ReadableStream is locked (already being read)');
  const reader = stream.getReader();
  return rechunk(
    async () => {
      const { done, value } = await reader.read();
      return done ? undefined : value;
    },
    () => {
      reader.cancel().catch(() => {});
    },
  );
}

function fromAsyncIterable(iterable) {
  const it = iterable[Symbol.asyncIterator]();
  return rechunk(
    async () => {
      const { done, value } = await it.next();
      return done ? undefined : value;
    },
    () => {
      if (typeof it.return === 'function') Promise.resolve(it.return()).catch(() => {});
    },
  );
}

/**
 * Opens an upload source. Accepts `Uint8Array` (and any typed array / DataView), `ArrayBuffer`,
 * `Blob`/`File`, a WHATWG `ReadableStream` of bytes, any async iterable of bytes (e.g. a Node
 * `Readable`), and in Node a file path (`string` or `file:` URL). Returns the reader, or a
 * promise of it when opening takes I/O; throws a TypeError for what it cannot read.
 */
export function openSource(value) {
  if (value instanceof Uint8Array) return fromBytes(value);
  if (ArrayBuffer.isView(value)) return fromBytes(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
    return fromBytes(new Uint8Array(value));
  }
  if (typeof Blob !== 'undefined' && value instanceof Blob) return fromBlob(value);
  const opened = nodeOpener?.(value);
  if (opened) return opened;
  if (typeof ReadableStream !== 'undefined' && value instanceof ReadableStream) return fromStream(value);
  if (value && typeof value.getReader === 'function') return fromStream(value);
  if (value && typeof value[Symbol.asyncIterator] === 'function') return fromAsyncIterable(value);
  if (typeof value === 'string' || value instanceof URL) {
    throw bad('a string or URL source is a file path, which only works in Node; give a Blob, Uint8Array or ReadableStream');
  }
  throw bad('unsupported upload source: give a Uint8Array, ArrayBuffer, Blob/File, ReadableStream or (in Node) a file path or Readable');
}
