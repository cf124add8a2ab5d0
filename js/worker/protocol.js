// Message protocol between the main thread and the transfer worker (js/worker/worker.js).
// Everything crosses by structured clone; no SharedArrayBuffer, so no cross-origin isolation needed.
//
// main → worker                                   worker → main
//   {type:'call', id, method, args}                 {type:'ready'} | {type:'failed', error}
//   {type:'abort', id}                              {type:'progress', id, event}
//   {type:'token', rid, value | error}              {type:'token', rid, request} (asks tokenProvider)
//                                                   {type:'token-abort', rid}
//   stream messages (both ways, see below)          {type:'result', id, value} | {type:'error', id, error}
//
// ReadableStreams (upload sources, download results) are not sent as transferable streams (not in
// every browser) but pumped one chunk per request, so the reading side sets the pace:
//   {type:'pull', sid} → {type:'chunk', sid, value} | {type:'done', sid} | {type:'fail', sid, error}
//   {type:'cancel', sid, reason}

/** Calls that the worker runs (the one list: the page's client and the worker both read it). */
export const WORKER_METHODS = Object.freeze(['uploadBucketFile', 'batchBucketFiles', 'getBucketFile', 'openBucketFile']);

/** Marker object standing for a ReadableStream inside cloned arguments or results. */
export const STREAM_TAG = '__hfBucketsStream';

/** Error fields kept when an error crosses the boundary. */
const ERROR_FIELDS = ['status', 'code', 'requestId', 'retryable', 'retryAfterMs', 'serverMessage'];

/**
 * An error as a cloneable plain object (name, message, the package's typed-error fields).
 * @param {unknown} error
 */
export function serializeError(error) {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const e = /** @type {Record<string, unknown>} */ (error);
    /** @type {Record<string, unknown>} */
    const out = { name: String(e.name ?? 'Error'), message: String(e.message ?? '') };
    for (const field of ERROR_FIELDS) {
      const value = e[field];
      if (value === undefined || typeof value === 'function') continue;
      try {
        structuredClone(value);
        out[field] = value;
      } catch {
        // not cloneable: leave it out rather than fail the whole message
      }
    }
    return out;
  }
  return { name: 'Error', message: String(error) };
}

/**
 * Rebuilds an error sent by `serializeError`: the package's class of the same name when there is one,
 * else an `Error` carrying the name and fields.
 * @param {Record<string, any>} data
 * @param {Record<string, any>} [classes] error classes by name (the package's errors module)
 */
export function deserializeError(data, classes = {}) {
  const { name = 'Error', message = '' } = data ?? {};
  const fields = Object.fromEntries(ERROR_FIELDS.filter((f) => data?.[f] !== undefined).map((f) => [f, data[f]]));
  const Class = classes[name];
  if (typeof Class === 'function') {
    try {
      const error = new Class(message, fields);
      Object.assign(error, fields);
      return error;
    } catch {
      // a constructor with another signature: fall through
    }
  }
  const error = new Error(message);
  error.name = name;
  return Object.assign(error, fields);
}

/** Whether `value` is a WHATWG ReadableStream. */
export function isReadableStream(value) {
  return typeof ReadableStream === 'function' && value instanceof ReadableStream;
}

/**
 * A byte chunk ready to post: its buffer is transferred when the view covers it whole, else copied
 * (never detach memory the producer may still use).
 * @param {unknown} value
 * @returns {[unknown, Transferable[]]}
 */
export function chunkForPost(value) {
  if (value instanceof ArrayBuffer) return [value, [value]];
  if (ArrayBuffer.isView(value)) {
    const view = /** @type {ArrayBufferView} */ (value);
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    if (view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) {
      return [bytes, [view.buffer]];
    }
    return [bytes.slice(), []];
  }
  return [value, []];
}

/**
 * One side of the stream pumping: exports local ReadableStreams (the other side pulls them) and
 * imports remote ones (as local ReadableStreams pulling over the port).
 */
export class StreamBridge {
  /** @param {(message: any, transfer?: Transferable[]) => void} post */
  constructor(post) {
    this.post = post;
    /** @type {Map<number, ReadableStreamDefaultReader>} */
    this.exported = new Map();
    /** @type {Map<number, {resolve: (m: any) => void, reject: (e: any) => void} | null>} */
    this.imported = new Map();
    this.nextId = 1;
    /** Prefix keeping ids of the two sides apart. */
    this.side = 0;
    // An imported stream dropped unread is cancelled on the other side once it is collected.
    this.dropped = typeof FinalizationRegistry === 'function'
      ? new FinalizationRegistry((sid) => {
        if (this.imported.delete(sid)) this.post({ type: 'cancel', sid, reason: 'dropped unread' });
      })
      : null;
  }

  /** The ids `exportStream` will hand out from now on start here (see `release`). */
  mark() {
    return this.nextId;
  }

  /** Cancels the streams exported since `mark` that the other side has not finished reading. */
  release(mark) {
    for (let n = mark; n < this.nextId; n++) {
      const sid = this.side + n * 2;
      const reader = this.exported.get(sid);
      if (!reader) continue;
      this.exported.delete(sid);
      reader.cancel('the call ended').catch(() => {});
    }
  }

  /** Replaces a stream by a marker and starts serving pulls for it. */
  exportStream(stream) {
    const sid = this.side + this.nextId++ * 2;
    this.exported.set(sid, stream.getReader());
    // Keep plain properties set on the stream object (e.g. a download's `size`, `xetHash`).
    const props = {};
    for (const [key, value] of Object.entries(stream)) {
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) props[key] = value;
    }
    return { [STREAM_TAG]: sid, props };
  }

  /** A local ReadableStream reading the remote stream `sid`. */
  importStream(sid) {
    this.imported.set(sid, null);
    const stream = new ReadableStream({
      pull: (controller) => new Promise((resolve, reject) => {
        this.imported.set(sid, { resolve, reject });
        this.post({ type: 'pull', sid });
      }).then((message) => {
        if (message.type === 'chunk') controller.enqueue(message.value);
        else if (message.type === 'done') {
          this.imported.delete(sid);
          controller.close();
        } else {
          this.imported.delete(sid);
          controller.error(message.error);
        }
      }),
      cancel: (reason) => {
        this.imported.delete(sid);
        this.post({ type: 'cancel', sid, reason: reason === undefined ? undefined : String(reason) });
      },
    }, { highWaterMark: 0 });
    this.dropped?.register(stream, sid);
    return stream;
  }

  /** Fails every imported stream (the other side is gone). */
  failAll(error) {
    for (const [sid, waiter] of this.imported) {
      waiter?.reject(error);
      this.imported.delete(sid);
    }
    for (const [sid, reader] of this.exported) {
      reader.cancel(error).catch(() => {});
      this.exported.delete(sid);
    }
  }

  /**
   * Handles a stream message; returns false when `message` is not one.
   * @param {any} message
   * @param {(data: any) => any} decodeError
   */
  handle(message, decodeError) {
    switch (message?.type) {
      case 'pull': {
        const reader = this.exported.get(message.sid);
        if (!reader) {
          this.post({ type: 'fail', sid: message.sid, error: { name: 'Error', message: 'unknown stream' } });
          return true;
        }
        reader.read().then(({ done, value }) => {
          if (done) {
            this.exported.delete(message.sid);
            this.post({ type: 'done', sid: message.sid });
          } else {
            const [chunk, transfer] = chunkForPost(value);
            this.post({ type: 'chunk', sid: message.sid, value: chunk }, transfer);
          }
        }, (error) => {
          this.exported.delete(message.sid);
          this.post({ type: 'fail', sid: message.sid, error: serializeError(error) });
        });
        return true;
      }
      case 'cancel': {
        const reader = this.exported.get(message.sid);
        this.exported.delete(message.sid);
        reader?.cancel(message.reason).catch(() => {});
        return true;
      }
      case 'chunk':
      case 'done':
      case 'fail': {
        const waiter = this.imported.get(message.sid);
        if (waiter) {
          this.imported.set(message.sid, null);
          waiter.resolve(message.type === 'fail' ? { ...message, error: decodeError(message.error) } : message);
        }
        return true;
      }
      default:
        return false;
    }
  }
}

/**
 * Copies `value` for posting, replacing ReadableStreams (at any depth of plain objects and arrays)
 * by stream markers. Functions are refused with a TypeError naming the path.
 * @param {unknown} value
 * @param {StreamBridge} bridge
 * @param {string} path
 * @returns {unknown}
 */
export function encodeValue(value, bridge, path = 'argument') {
  if (isReadableStream(value)) return bridge.exportStream(value);
  if (typeof value === 'function') {
    throw new TypeError(`${path}: a function cannot be sent to the transfer worker`);
  }
  if (Array.isArray(value)) return value.map((v, i) => encodeValue(v, bridge, `${path}[${i}]`));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeValue(v, bridge, `${path}.${k}`)]));
  }
  return value; // Blob, File, typed arrays, Dates, primitives: structured clone handles them
}

/**
 * Whether `encodeValue` can send `value` as it is: streams, plain objects and arrays of sendable
 * values, bytes, Blobs, Dates and primitives. Anything else (a function, an async iterable such
 * as a Node `Readable`, an instance of some class) would not survive structured clone intact, so
 * the call runs on the calling thread instead. Reads nothing and locks no stream.
 * @param {unknown} value
 * @returns {boolean}
 */
export function sendable(value) {
  if (value === null || value === undefined) return true;
  if (typeof value === 'function' || typeof value === 'symbol') return false;
  if (typeof value !== 'object') return true;
  if (isReadableStream(value)) return true;
  if (Array.isArray(value)) return value.every(sendable);
  if (Object.getPrototypeOf(value) === Object.prototype) {
    return Object.getOwnPropertySymbols(value).length === 0 && Object.values(value).every(sendable);
  }
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date
    || (typeof Blob !== 'undefined' && value instanceof Blob);
}

/**
 * Replaces stream markers by local ReadableStreams reading the remote ones.
 * @param {unknown} value
 * @param {StreamBridge} bridge
 */
export function decodeValue(value, bridge) {
  if (Array.isArray(value)) return value.map((v) => decodeValue(v, bridge));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const marker = /** @type {{ [STREAM_TAG]?: unknown, props?: object }} */ (value);
    if (typeof marker[STREAM_TAG] === 'number') {
      return Object.assign(bridge.importStream(marker[STREAM_TAG]), marker.props ?? {});
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeValue(v, bridge)]));
  }
  return value;
}
