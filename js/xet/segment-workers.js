// Chunking workers: the threads that run `chunkSegment` (segment-task.js) for `ParallelChunker`
// (parallel.js) and for uploads of large files in Node (js/node/transfer.js). A segment's buffer
// is transferred to a worker and comes back with its packed chunks; the least busy worker gets
// the next segment, and a new one is started (up to the limit) while all are busy. An idle
// worker does not keep the process alive; with `idleMs`, workers idle that long are stopped (and
// started again for the next segment).
import { XetError } from '../../dist/xet/js/xet/errors.js';

/**
 * @typedef {{ post(message: any, transfer: Transferable[]): void, ref(): void, unref(): void, terminate(): void }} SegmentPort
 * @typedef {(onMessage: (message: any) => void, onError: (error: unknown) => void) => SegmentPort | undefined} SpawnSegmentWorker
 * @typedef {{ port: SegmentPort, inFlight: number, ready: boolean }} Worker
 * @typedef {{ bytes: Uint8Array, chunks: Uint8Array }} ChunkedSegment
 */

export class SegmentWorkers {
  /** @type {SpawnSegmentWorker | undefined} */
  #spawn;
  #max;
  /** @type {Worker[]} */
  #workers = [];
  /** @type {Map<number, { resolve: (s: ChunkedSegment) => void, reject: (e: unknown) => void, worker: Worker }>} */
  #pending = new Map();
  #nextId = 0;
  /** Set when a worker could not start: no further tries. */
  #spawnFailed = false;
  #idleMs;
  /** @type {ReturnType<typeof setTimeout> | undefined} stops the workers when it fires */
  #idleTimer;

  /**
   * @param {SpawnSegmentWorker | undefined} spawn starts a worker (undefined: none on this platform)
   * @param {number} max most workers
   * @param {number} [idleMs] stop the workers once none had a segment for this long (default: never)
   */
  constructor(spawn, max, idleMs = Infinity) {
    this.#spawn = spawn;
    this.#max = spawn ? max : 0;
    this.#idleMs = idleMs;
  }

  /** Workers started so far. */
  get count() {
    return this.#workers.length;
  }

  /** Whether segments may go to workers at all (false: none on this platform, or none could start). */
  get available() {
    return this.#max > 0 && (this.#workers.length > 0 || !this.#spawnFailed);
  }

  /**
   * Chunks the first `length` bytes of `buffer` in a worker. `buffer` is transferred (detached
   * here) and comes back in the result. Returns undefined, with `buffer` untouched, when no
   * worker can run (with `readyOnly`, also while every worker is still starting: the caller then
   * does this segment itself instead of waiting tens of milliseconds); rejects with a XetError
   * when the worker fails (then `buffer` is lost).
   * @param {ArrayBuffer} buffer
   * @param {number} length
   * @param {boolean} [readyOnly]
   * @returns {Promise<ChunkedSegment> | undefined}
   */
  chunk(buffer, length, readyOnly = false) {
    const candidates = readyOnly ? this.#workers.filter((w) => w.ready) : this.#workers;
    let worker = candidates.reduce((a, b) => (b.inFlight < a.inFlight ? b : a), candidates[0]);
    if (!worker || worker.inFlight > 0) {
      const started = this.#start();
      if (!readyOnly) worker = started ?? worker;
    }
    if (!worker) return undefined;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const w = worker;
    const id = this.#nextId++;
    const result = new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, worker: w });
    });
    if (w.inFlight++ === 0) w.port.ref();
    w.port.post({ id, buffer, length }, [buffer]);
    return /** @type {Promise<ChunkedSegment>} */ (result);
  }

  /**
   * Stops the workers; what is in flight rejects with `error`.
   * @param {unknown} error
   */
  close(error) {
    for (const w of this.#workers) w.port.terminate();
    this.#workers = [];
    this.#max = 0;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  /** @returns {Worker | undefined} */
  #start() {
    if (this.#spawnFailed || this.#workers.length >= this.#max) return undefined;
    /** @type {Worker} */
    const worker = { port: /** @type {any} */ (undefined), inFlight: 0, ready: false };
    const port = this.#spawn?.(
      (message) => this.#onMessage(message, worker),
      (error) => this.#onWorkerError(worker, error),
    );
    if (!port) {
      this.#spawnFailed = true;
      return undefined;
    }
    worker.port = port;
    this.#workers.push(worker);
    return worker;
  }

  /**
   * @param {any} message
   * @param {Worker} worker
   */
  #onMessage(message, worker) {
    // Sent once, when its wasm is loaded.
    if (message?.ready === true) {
      worker.ready = true;
      return;
    }
    const pending = this.#pending.get(message?.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (--pending.worker.inFlight === 0) {
      pending.worker.port.unref();
      this.#whenIdle();
    }
    if (message.error !== undefined) {
      pending.reject(new XetError(`a chunking worker failed: ${message.error}`));
    } else {
      pending.resolve({ bytes: new Uint8Array(message.buffer, 0, message.length), chunks: new Uint8Array(message.chunks) });
    }
  }

  /** Once no worker has a segment: stops them all after `idleMs` without one. */
  #whenIdle() {
    if (!Number.isFinite(this.#idleMs) || this.#pending.size > 0) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#pending.size > 0) return;
      for (const w of this.#workers) w.port.terminate();
      this.#workers = [];
    }, this.#idleMs);
    // The timer must not keep a Node process alive (browsers' timers have no unref).
    /** @type {any} */ (this.#idleTimer)?.unref?.();
  }

  /**
   * @param {Worker} worker
   * @param {unknown} error
   */
  #onWorkerError(worker, error) {
    const failure = new XetError('a chunking worker failed', { cause: error });
    for (const [id, p] of this.#pending) {
      if (p.worker === worker) {
        this.#pending.delete(id);
        p.reject(failure);
      }
    }
    worker.port.terminate();
    this.#workers = this.#workers.filter((w) => w !== worker);
  }
}
