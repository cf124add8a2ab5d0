// The transfer worker: a module worker with its own instance of the package (its own wasm), which runs
// uploads and downloads — reading, chunking, hashing, compression, verification and the CAS fetches —
// off the page's main thread. Started by js/worker/client.js; see protocol.js for the messages.
//
// The worker never sees a function from the page: `onProgress` events and `tokenProvider` requests
// go back over messages, and an abort arrives as a message too.

import { StreamBridge, WORKER_METHODS, decodeValue, encodeValue, serializeError, deserializeError } from './protocol.js';

/** The worker's global scope, as far as this file uses it (lib "DOM" types `self` as a Window). */
const scope = /** @type {{ postMessage(message: any, transfer: Transferable[]): void, onmessage: any }} */ (
  /** @type {unknown} */ (self));
/** @param {any} message @param {Transferable[]} [transfer] */
const post = (message, transfer = []) => scope.postMessage(message, transfer);
const bridge = new StreamBridge(post);
bridge.side = 1;

/** @type {Map<number, AbortController>} */
const calls = new Map();
/** @type {Map<number, {resolve: (v: any) => void, reject: (e: any) => void}>} */
const tokenRequests = new Map();
let nextTokenRequest = 1;
/** @type {Promise<any> | null} */
let clientPromise = null;
/** The package, imported once; messages wait for it (the handler is set before the import finishes). */
let pkg = null;
const loaded = import('../browser/index.js').then(
  (module) => {
    pkg = module;
    post({ type: 'ready' });
  },
  (error) => post({ type: 'failed', error: serializeError(error) }),
);

/**
 * The page's `tokenProvider`, called over messages: `{ bucketId, scope }` go across; the worker's
 * `signal` stays here and its abort is forwarded (the page's provider gets a signal of its own).
 */
function remoteTokenProvider(id, request = {}) {
  return new Promise((resolve, reject) => {
    const rid = nextTokenRequest++;
    const signal = request?.signal;
    const onAbort = () => post({ type: 'token-abort', rid });
    tokenRequests.set(rid, {
      resolve: (v) => { signal?.removeEventListener('abort', onAbort); resolve(v); },
      reject: (e) => { signal?.removeEventListener('abort', onAbort); reject(e); },
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    const plain = {};
    for (const [key, value] of Object.entries(request ?? {})) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') plain[key] = value;
    }
    post({ type: 'token', rid, id, request: plain });
  });
}

function makeClient(options) {
  return new pkg.BucketClient(options);
}

async function run({ id, method, args }) {
  const controller = new AbortController();
  calls.set(id, controller);
  try {
    if (!WORKER_METHODS.includes(method)) throw new TypeError(`the transfer worker does not run ${method}`);
    const client = await clientPromise;
    const [bucketId, options = {}] = decodeValue(args, bridge);
    const onProgress = (event) => {
      try {
        post({ type: 'progress', id, event: structuredClone(event) });
      } catch {
        // an event that cannot be cloned is dropped, never the transfer
      }
    };
    const value = await client[method](bucketId, {
      ...options,
      ...(options.onProgress ? { onProgress } : {}),
      ...(options.tokenProvider ? { tokenProvider: (request) => remoteTokenProvider(id, request) } : {}),
      signal: controller.signal,
    });
    const encoded = encodeValue(value, bridge, 'result');
    const transfer = encoded instanceof Uint8Array && encoded.byteOffset === 0
      && encoded.byteLength === encoded.buffer.byteLength ? [encoded.buffer] : [];
    post({ type: 'result', id, value: encoded }, transfer);
  } catch (error) {
    post({ type: 'error', id, error: serializeError(error) });
  } finally {
    calls.delete(id);
  }
}

scope.onmessage = (/** @type {MessageEvent} */ { data: message }) => {
  loaded.then(() => handle(message));
};

function handle(message) {
  if (bridge.handle(message, (e) => deserializeError(e, pkg ?? {}))) return;
  switch (message?.type) {
    case 'init':
      clientPromise = Promise.resolve().then(() => makeClient(message.options));
      clientPromise.catch(() => {});
      return;
    case 'call':
      run(message);
      return;
    case 'abort':
      calls.get(message.id)?.abort(new Error(message.reason ?? 'The operation was aborted.'));
      return;
    case 'token': {
      const waiter = tokenRequests.get(message.rid);
      tokenRequests.delete(message.rid);
      if (message.error) waiter?.reject(deserializeError(message.error, pkg ?? {}));
      else waiter?.resolve(message.value);
      return;
    }
    default:
  }
}
