// `ParallelChunker` of `hf-buckets/xet`: chunks and hashes one file on several threads without
// SharedArrayBuffer (no cross-origin isolation needed). The main thread copies the input into
// segments (`segmentBytes` each, transferable ArrayBuffers), workers chunk and hash them on
// their own (`chunkSegment`), and the main thread's `Chunker.pushSegment` stitches the results
// in file order, re-chunking only the bytes near each segment edge (the Rust core,
// `xet::segment`, keeps the result identical to one thread). Buffers come back with the results
// and are reused: at most `2 × workers + 1` segments exist at a time.
//
// The entry points pick how workers start (node.js: worker_threads; browser.js: module Web
// Workers); where there are none (workerd, `hf-buckets/xet/manual`), and for inputs shorter than
// one segment, everything runs on the calling thread with the same results.
import { XetError } from '../../dist/xet/js/xet/errors.js';
import { SegmentWorkers } from './segment-workers.js';

/** Default bytes per segment. */
const DEFAULT_SEGMENT_BYTES = 8 << 20;
/** Default number of workers. */
const DEFAULT_WORKERS = 2;

/**
 * @typedef {import('./segment-workers.js').SpawnSegmentWorker} SpawnSegmentWorker
 * @typedef {{ offset: number, length: number, hash: string }} ChunkInfo
 * @typedef {{ push(bytes: Uint8Array): ChunkInfo[], pushSegment(bytes: Uint8Array, chunks: Uint8Array): ChunkInfo[], finish(): ChunkInfo[], free(): void }} StitchingChunker
 */

/**
 * @param {unknown} value
 * @param {string} name
 * @param {number} fallback
 * @param {number} min
 * @param {number} max
 */
function integerOption(value, name, fallback, min, max) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new XetError(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * The `ParallelChunker` class for one platform.
 * @param {new () => StitchingChunker} Chunker the wasm chunker (stitches on the calling thread)
 * @param {SpawnSegmentWorker | undefined} spawn starts a worker running worker-*.js, or
 *   `undefined` where workers are unavailable
 */
export function defineParallelChunker(Chunker, spawn) {
  return class ParallelChunker {
    /** @type {StitchingChunker | undefined} */
    #chunker;
    #workers;
    #maxWorkers;
    #segmentBytes;
    /** @type {Uint8Array | undefined} the segment being filled */
    #fill;
    #filled = 0;
    /** @type {{ done: boolean, result: Promise<{ bytes: Uint8Array, chunks: Uint8Array }> }[]} segments in file order */
    #queue = [];
    /** @type {ArrayBuffer[]} */
    #pool = [];
    /** @type {Promise<unknown>} serialises push/finish calls */
    #tail = Promise.resolve();
    #closed = false;

    /**
     * @param {{ workers?: number, segmentBytes?: number }} [options]
     */
    constructor(options = {}) {
      if (options === null || typeof options !== 'object') throw new XetError('options must be an object');
      this.#maxWorkers = spawn ? integerOption(options.workers, 'workers', DEFAULT_WORKERS, 0, 64) : 0;
      this.#segmentBytes = integerOption(options.segmentBytes, 'segmentBytes', DEFAULT_SEGMENT_BYTES, 1, 1 << 30);
      this.#workers = new SegmentWorkers(spawn, this.#maxWorkers);
    }

    /**
     * Consumes the next slice of the file; resolves to the chunks completed so far.
     * @param {Uint8Array} bytes
     * @returns {Promise<ChunkInfo[]>}
     */
    push(bytes) {
      if (!(bytes instanceof Uint8Array)) return Promise.reject(new XetError('bytes must be a Uint8Array'));
      return this.#serial(() => this.#push(bytes));
    }

    /**
     * Ends the file: resolves to its remaining chunks; the chunker can then take another file.
     * @returns {Promise<ChunkInfo[]>}
     */
    finish() {
      return this.#serial(() => this.#finish());
    }

    /** Workers started so far. */
    get workerCount() {
      return this.#workers.count;
    }

    /** Stops the workers and frees the wasm memory; the chunker must not be used afterwards. */
    close() {
      this.#closed = true;
      this.#workers.close(new XetError('the ParallelChunker was closed'));
      this.#chunker?.free();
      this.#chunker = undefined;
    }

    [Symbol.dispose]() {
      this.close();
    }

    /**
     * @template T
     * @param {() => Promise<T>} step
     * @returns {Promise<T>}
     */
    #serial(step) {
      const run = this.#tail.then(() => {
        if (this.#closed) throw new XetError('the ParallelChunker was closed');
        return step();
      });
      this.#tail = run.catch(() => {});
      return run;
    }

    #stitcher() {
      return (this.#chunker ??= new Chunker());
    }

    /** @param {Uint8Array} bytes */
    async #push(bytes) {
      /** @type {ChunkInfo[]} */
      const out = [];
      if (this.#maxWorkers === 0) {
        // No workers at all (none on this platform, or `workers: 0`): one thread.
        for (const c of this.#stitcher().push(bytes)) out.push(c);
        return out;
      }
      const size = this.#segmentBytes;
      for (let at = 0; at < bytes.length; ) {
        this.#fill ??= new Uint8Array(this.#pool.pop() ?? new ArrayBuffer(size));
        const n = Math.min(bytes.length - at, size - this.#filled);
        this.#fill.set(bytes.subarray(at, at + n), this.#filled);
        this.#filled += n;
        at += n;
        if (this.#filled === size) {
          this.#dispatch();
          await this.#stitch(out, 2 * this.#maxWorkers);
        }
      }
      await this.#stitch(out, Infinity);
      return out;
    }

    async #finish() {
      /** @type {ChunkInfo[]} */
      const out = [];
      const stitcher = this.#stitcher();
      if (this.#fill && this.#filled > 0) {
        if (this.#workers.count === 0) {
          // Shorter than one segment: not worth a worker.
          for (const c of stitcher.push(this.#fill.subarray(0, this.#filled))) out.push(c);
          this.#recycle(this.#fill);
        } else {
          this.#dispatch();
        }
      }
      await this.#stitch(out, 0);
      for (const c of stitcher.finish()) out.push(c);
      return out;
    }

    /** Sends the filled segment to the least busy worker (starting one if allowed). */
    #dispatch() {
      const fill = /** @type {Uint8Array} */ (this.#fill);
      const length = this.#filled;
      this.#fill = undefined;
      this.#filled = 0;
      const result = this.#workers.chunk(/** @type {ArrayBuffer} */ (fill.buffer), length);
      // No worker could start: chunk on this thread (an empty segment list re-chunks it all).
      const entry = { done: !result, result: result ?? Promise.resolve({ bytes: fill.subarray(0, length), chunks: new Uint8Array(0) }) };
      entry.result.then(() => (entry.done = true), () => (entry.done = true));
      this.#queue.push(entry);
    }

    /**
     * Stitches finished segments in file order: every one already done, then waits for the
     * oldest until at most `keep` are in flight.
     * @param {ChunkInfo[]} out
     * @param {number} keep
     */
    async #stitch(out, keep) {
      while (this.#queue.length > 0) {
        const head = this.#queue[0];
        if (!head.done && this.#queue.length <= keep) break;
        const { bytes, chunks } = await head.result;
        this.#queue.shift();
        for (const c of this.#stitcher().pushSegment(bytes, chunks)) out.push(c);
        this.#recycle(bytes);
      }
    }

    /** @param {Uint8Array} bytes */
    #recycle(bytes) {
      // Enough for every segment in flight: fresh buffers cost page faults on this thread.
      if (bytes.buffer.byteLength === this.#segmentBytes && this.#pool.length <= 2 * this.#maxWorkers) {
        this.#pool.push(/** @type {ArrayBuffer} */ (bytes.buffer));
      }
    }
  };
}
