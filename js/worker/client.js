// Worker mode, main-thread side: runs the data-heavy calls (uploads and downloads) in a module worker
// holding its own wasm instance, so a page stays responsive while large files are chunked, hashed,
// compressed and verified. Message passing only (structured clone, transferred buffers): no
// SharedArrayBuffer, so no COOP/COEP headers are needed and the package works in third-party embeds.
//
// Used by the client's `worker` option; where workers are unavailable (Node, old browsers, a CSP that
// forbids them, a worker that fails to load) every call runs on the calling thread instead.

import * as errorClasses from '../../dist/client/js/errors.js';
import {
  StreamBridge, WORKER_METHODS, decodeValue, deserializeError, encodeValue, sendable, serializeError,
} from './protocol.js';

/** @param {unknown} error */
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/**
 * Starts a module worker from `url`. A worker script from another origin (a CDN) cannot be started
 * directly, so it is started through a same-origin blob module that imports it.
 * @param {URL} url
 * @returns {Worker}
 */
function startWorker(url) {
  const sameOrigin = typeof location === 'undefined' || url.origin === location.origin;
  if (sameOrigin || url.protocol === 'blob:' || url.protocol === 'data:') {
    return new Worker(url, { type: 'module', name: 'hf-buckets transfers' });
  }
  const shim = URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' }));
  try {
    return new Worker(shim, { type: 'module', name: 'hf-buckets transfers' });
  } finally {
    // the worker has fetched its script by the time it runs; revoking later is harmless
    setTimeout(() => URL.revokeObjectURL(shim), 60_000);
  }
}

/** Whether this realm can start a module worker at all. */
export function workersAvailable() {
  return typeof Worker === 'function' && typeof URL === 'function' && typeof Blob === 'function';
}

/**
 * The main-thread end of the transfer worker.
 *
 * `call(method, args, fallback)` runs `method` in the worker, or `fallback()` on this thread when the
 * worker is unavailable. `onProgress` and `signal` in the options argument stay here: events come back
 * as messages and an abort goes over as one. The call's `tokenProvider` is called here whenever the
 * worker needs a CAS token, so a page's token logic (cookies, its own server) is untouched.
 */
export class TransferWorker {
  /**
   * @param {Record<string, any>} clientOptions options of the client in the worker (plain data only;
   *   with a custom `fetch` every call stays on this thread).
   * @param {{ url?: string | URL } | boolean} [workerOptions]
   */
  constructor(clientOptions, workerOptions = {}) {
    const { fetch: customFetch, worker: _worker, ...plain } = clientOptions ?? {};
    /** Where calls ran, for callers and tests: `worker` and `mainThread` counts. */
    this.counts = { worker: 0, mainThread: 0 };
    /**
     * Calls in the worker, by id.
     * @type {Map<number, {resolve: (v: any) => void, reject: (e: any) => void, onProgress?: Function,
     *   tokenProvider?: Function}>}
     */
    this.pending = new Map();
    this.nextId = 1;
    /** @type {Map<number, AbortController>} tokenProvider calls in progress */
    this.tokenRequests = new Map();
    /** @type {Worker | null} */
    this.worker = null;
    /** @type {StreamBridge | undefined} */
    this.bridge = undefined;
    /** Why calls run on this thread, once they do. @type {string | undefined} */
    this.reason = undefined;
    /** @type {((inWorker: boolean) => void) | undefined} */
    this.settleReady = undefined;

    let reason = null;
    if (customFetch) reason = 'a custom `fetch` cannot be moved into a worker';
    else if (!workersAvailable()) reason = 'this environment has no Worker';
    if (reason) {
      this.reason = reason;
      this.ready = Promise.resolve(false);
      return;
    }
    let worker;
    try {
      const url = typeof workerOptions === 'object' && workerOptions?.url ? workerOptions.url : './worker.js';
      worker = startWorker(new URL(url, import.meta.url));
    } catch (error) {
      this.reason = `the worker could not start: ${messageOf(error)}`;
      this.ready = Promise.resolve(false);
      return;
    }
    this.worker = worker;
    this.bridge = new StreamBridge((message, transfer) => worker.postMessage(message, transfer ?? []));
    this.ready = new Promise((resolve) => {
      this.settleReady = resolve;
    });
    worker.onmessage = ({ data }) => this.onMessage(data);
    worker.onerror = (event) => {
      event.preventDefault?.();
      this.fail(`the transfer worker failed: ${event.message || 'script error'}`);
    };
    worker.onmessageerror = () => this.fail('the transfer worker sent a message that could not be read');
    let init;
    try {
      init = encodeValue(plain, this.bridge, 'options');
    } catch (error) {
      this.fail(`the client options cannot be sent to a worker: ${messageOf(error)}`);
      return;
    }
    worker.postMessage({ type: 'init', options: init });
  }

  /** Whether calls currently go to the worker (resolves once it has loaded or failed). */
  async usesWorker() {
    return this.ready;
  }

  /** Stops the worker; later calls run on the calling thread. */
  terminate() {
    this.fail('the transfer worker was terminated');
  }

  /** The worker is gone: reject what was in flight, run later calls on this thread. */
  fail(reason) {
    if (!this.worker) return;
    this.reason = reason;
    this.worker.terminate();
    this.worker = null;
    this.settleReady?.(false);
    const error = new errorClasses.NetworkError(reason);
    for (const [, call] of this.pending) call.reject(error);
    this.pending.clear();
    this.bridge?.failAll(error);
  }

  decodeError(data) {
    return deserializeError(data, errorClasses);
  }

  /** @param {any} message */
  onMessage(message) {
    const bridge = this.bridge;
    if (!bridge || bridge.handle(message, (e) => this.decodeError(e))) return;
    switch (message?.type) {
      case 'ready':
        this.settleReady?.(true);
        return;
      case 'failed':
        this.fail(`the transfer worker could not load the package: ${message.error?.message}`);
        return;
      case 'progress':
        try {
          this.pending.get(message.id)?.onProgress?.(message.event);
        } catch {
          // a throwing progress callback must not break the transfer
        }
        return;
      case 'result':
      case 'error': {
        const call = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (!call) return;
        if (message.type === 'error') call.reject(this.decodeError(message.error));
        else call.resolve(decodeValue(message.value, bridge));
        return;
      }
      case 'token':
        this.provideToken(message);
        return;
      case 'token-abort':
        this.tokenRequests.get(message.rid)?.abort();
        return;
      default:
    }
  }

  async provideToken({ rid, id, request }) {
    const controller = new AbortController();
    this.tokenRequests.set(rid, controller);
    try {
      const provider = this.pending.get(id)?.tokenProvider;
      if (typeof provider !== 'function') throw new TypeError('no tokenProvider was given');
      const value = await provider({ ...request, signal: controller.signal });
      this.worker?.postMessage({ type: 'token', rid, value: structuredClone(value) });
    } catch (error) {
      this.worker?.postMessage({ type: 'token', rid, error: serializeError(error) });
    } finally {
      this.tokenRequests.delete(rid);
    }
  }

  /**
   * Runs `method(bucketId, options)` in the worker, or `fallback()` here when there is no worker.
   *
   * `check()` runs first, on this thread: the same argument reader the call uses (the wasm's), so
   * bad arguments are refused here exactly as they would be without a worker; only checked
   * options cross. Arguments that cannot be sent (an async-iterable source, say) run the call here.
   * @template T
   * @param {string} method one of WORKER_METHODS
   * @param {[string, Record<string, any>?]} args
   * @param {() => Promise<T>} fallback
   * @param {() => void} [check] throws what the call would reject with for these arguments
   * @returns {Promise<T>}
   */
  async call(method, args, fallback, check) {
    if (!WORKER_METHODS.includes(method) || !(await this.ready) || !this.worker || !this.bridge) {
      this.counts.mainThread++;
      return fallback();
    }
    check?.();
    const { worker, bridge } = this;
    const [bucketId, options] = args;
    const { signal, onProgress, tokenProvider, ...rest } = options ?? {};
    if (signal?.aborted) throw abortError(signal);
    if (!sendable([bucketId, rest])) {
      this.counts.mainThread++;
      return fallback();
    }
    const id = this.nextId++;
    const mark = bridge.mark();
    const encoded = encodeValue([bucketId, {
      ...rest,
      ...(onProgress ? { onProgress: true } : {}),
      ...(tokenProvider ? { tokenProvider: true } : {}),
    }], bridge);
    this.counts.worker++;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.worker?.postMessage({ type: 'abort', id, reason: abortMessage(signal) });
      const done = (fn) => (value) => {
        signal?.removeEventListener('abort', onAbort);
        this.bridge?.release(mark); // source streams the call did not read to the end
        fn(value);
      };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject), onProgress, tokenProvider });
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.postMessage({ type: 'call', id, method, args: encoded });
    });
  }
}

function abortMessage(signal) {
  const reason = signal?.reason;
  return reason instanceof Error ? reason.message : 'The operation was aborted.';
}

function abortError(signal) {
  return new errorClasses.AbortError(abortMessage(signal), { cause: signal?.reason });
}
