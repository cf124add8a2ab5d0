// `openBucketBlob`: a lazy, verified, Blob-like view of one bucket file. The work (the plan, the
// footers, the LRU of verified chunks, serving any [start, end)) is Rust's
// (src/download/reader.rs, bound as `BlobReader` in src/bindings/transfer.rs); this file only
// keeps offsets and shapes the answers. Types and docs: transfer.d.ts.
//
// Not a `Blob` subclass, on purpose: `Blob`'s own methods and every native consumer (`fetch`
// bodies, `FormData`, `URL.createObjectURL`, `Response`) read the bytes a Blob was constructed
// with through internal slots, so a subclass cannot supply them lazily; it would be an empty
// Blob to them.

import { ValidationError } from '../dist/client/js/errors.js';

/** Bytes per piece of `stream()`. */
const STREAM_PIECE = 1 << 20;

// Frees a reader once no blob, slice or view uses it any more.
const registry = new FinalizationRegistry((reader) => {
  try {
    reader.free();
  } catch {
    // already freed by close()
  }
});

/** The reader shared by a blob and its slices. */
class Shared {
  constructor(reader) {
    this.reader = reader;
    this.closed = false;
    registry.register(this, reader, this);
  }

  read(start, end, options) {
    if (this.closed) return Promise.reject(new ValidationError('the bucket blob was closed'));
    return this.reader.read(start, end, options ?? {});
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    registry.unregister(this);
    this.reader.free();
  }
}

/** A lazy, verified view of bytes [start, end) of a bucket file. */
export class BucketBlob {
  #shared;
  #start;
  #end;
  #type;

  /** @internal Use `openBucketBlob`. */
  constructor(shared, start, end, type) {
    this.#shared = shared;
    this.#start = start;
    this.#end = end;
    this.#type = type;
  }

  get size() {
    return this.#end - this.#start;
  }

  get type() {
    return this.#type;
  }

  get xetHash() {
    return this.#shared.reader.xetHash;
  }

  /** Same rules as `Blob.prototype.slice` (negative offsets count from the end). */
  slice(start, end, contentType) {
    const size = this.size;
    const at = (v, fallback) => {
      if (v === undefined) return fallback;
      const n = Math.trunc(Number(v)) || 0;
      return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
    };
    const s = at(start, 0);
    const e = Math.max(at(end, size), s);
    const type = contentType === undefined ? '' : String(contentType);
    return new BucketBlob(this.#shared, this.#start + s, this.#start + e, type);
  }

  bytes(options) {
    return this.#shared.read(this.#start, this.#end, options);
  }

  async arrayBuffer(options) {
    const b = await this.bytes(options);
    return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.slice().buffer;
  }

  async text(options) {
    return new TextDecoder().decode(await this.bytes(options));
  }

  stream(options) {
    const shared = this.#shared;
    const end = this.#end;
    let at = this.#start;
    return new ReadableStream(
      {
        async pull(controller) {
          if (at >= end) {
            controller.close();
            return;
          }
          const next = Math.min(at + STREAM_PIECE, end);
          const piece = await shared.read(at, next, options);
          at = next;
          controller.enqueue(piece);
          if (at >= end) controller.close();
        },
      },
      { highWaterMark: 0 },
    );
  }

  asyncBuffer(options) {
    return {
      byteLength: this.size,
      slice: (start, end) => this.slice(start, end).arrayBuffer(options),
    };
  }

  stats() {
    return this.#shared.reader.stats();
  }

  close() {
    this.#shared.close();
  }

  [Symbol.dispose]() {
    this.close();
  }

  get [Symbol.toStringTag]() {
    return 'BucketBlob';
  }
}

/** Wraps a Rust `BlobReader` as a whole-file `BucketBlob`. */
export function blobOf(reader, type) {
  return new BucketBlob(new Shared(reader), 0, reader.size, type);
}
