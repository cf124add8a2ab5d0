// Node's HTTP client for requests whose answer is read whole (installed into the wasm transport,
// see js/transport-hooks.js): Hub API calls, the CAS's global-dedup queries (one per file of a
// batch), xorb and shard uploads, reconstructions and a download's range reads (about 8 MiB
// each). They go over a small HTTP/1.1 client of its own (keep-alive connections from
// `node:net` / `node:tls`, one request at a time on each, a request body written a piece at a
// time as the connection takes it, the answer kept as the pieces the socket delivered), not
// through `fetch`: per request, `fetch` costs about ten times the CPU (Request, Headers,
// AbortController, WHATWG body streams) and `node:http` about three times (ClientRequest,
// IncomingMessage, their streams), which for a batch of 1,000 small files was most of the time;
// per body chunk, a `fetch` body stream costs a promise and a wasm round trip, a fifth of a
// download's CPU; and Node's first `fetch` in a process loads its HTTP client and has V8
// optimise the client's wasm HTTP parser, about 0.1 s of CPU that a short command (the CLI, a
// small upload) pays in full. Redirects are not followed (the transport's redirect rules see
// the 3xx), and TLS verifies certificates as `node:https` does. What stays on `fetch`: answers
// read as streams (the live change feed, streamed downloads of other origins) and everything
// when the caller passes its own `fetch`.
//
// When the process routes `fetch` elsewhere (a replaced `globalThis.fetch`, e.g. a mock, a
// global undici dispatcher other than a plain Agent, e.g. a ProxyAgent, or Node's own proxy
// support turned on with NODE_USE_ENV_PROXY), the request goes through `fetch` too, so it follows
// the same route as every other request. (Node installs a plain Agent as the global dispatcher
// on its first `fetch`.)

import net from 'node:net';
import tls from 'node:tls';
import { setWholeGet } from '../../dist/client/js/transport-hooks.js';

/** No byte of the answer for this long ends the request (a stuck server must not hold the process). */
const TIMEOUT_MS = 120_000;
/** Connections per origin; requests beyond wait for one to be free. */
const MAX_CONNECTIONS = 64;
/** Largest status line + headers accepted. */
const MAX_HEAD = 64 << 10;
/**
 * A connection idle for longer is closed instead of reused (the server may have closed it
 * meanwhile, and a request sent on it would fail); shorter when the server's `Keep-Alive:
 * timeout=N` says so.
 */
const IDLE_MS = 4_000;

const nodeFetch = globalThis.fetch;
const DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/** Methods whose requests carry no body (and HEAD, whose answers carry none). */
const BODILESS = new Set(['GET', 'HEAD']);

/**
 * @typedef {(at: number) => Uint8Array | undefined} Pull the request body's bytes from offset `at`, a piece at a time
 * @typedef {{ origin: string, secure: boolean, host: string, port: number }} Target
 * @typedef {{ target: Target, method: string, hostHeader: string, path: string, headers: string, max: number,
 *   size: number, pull?: Pull, sent: number,
 *   resolve: (answer: [number, string, Uint8Array | Uint8Array[]]) => void, reject: (error: unknown) => void,
 *   reused?: boolean, retried?: boolean, aborted?: boolean, conn?: Conn }} Job
 * @typedef {{ status: number, http10: boolean, length: number, chunked: boolean, close: boolean,
 *   keepAlive: boolean, keepAliveS?: number, lines: string[] }} Head
 * @typedef {{ idle: Conn[], open: number, waiting: Job[] }} Pool
 */

/** @type {Map<string, Pool>} */
const pools = new Map();

/** @param {string} origin */
function pool(origin) {
  let p = pools.get(origin);
  if (!p) pools.set(origin, (p = { idle: [], open: 0, waiting: [] }));
  return p;
}

/**
 * The header lines of a request; `content-length` is added for a body (and for any method
 * other than GET and HEAD: a POST without a body says 0).
 * @param {string[]} flat
 * @param {string} method
 * @param {number} size
 */
function headerText(flat, method, size) {
  let out = '';
  let length = false;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = String(flat[i]);
    const value = String(flat[i + 1]);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(value)) {
      throw new TypeError(`invalid request header ${JSON.stringify(name)}`);
    }
    if (name.toLowerCase() === 'content-length') length = true;
    out += `${name}: ${value}\r\n`;
  }
  if (!length && (size > 0 || !BODILESS.has(method))) out += `content-length: ${size}\r\n`;
  return out;
}

/**
 * The body's piece at offset `at` of a body of `size` bytes; throws when `pull` hands out
 * anything else (nothing, an empty piece, more than `size` in all).
 * @param {Pull | undefined} pull
 * @param {number} at
 * @param {number} size
 */
function pulled(pull, at, size) {
  const piece = pull?.(at);
  if (!(piece instanceof Uint8Array) || piece.length === 0 || at + piece.length > size) {
    throw new Error('the request body did not match its size');
  }
  return piece;
}

/** @param {number} max */
function tooLarge(max) {
  return Object.assign(new Error(`the answer is larger than ${max} bytes`), { code: 'ERR_HFB_TOO_LARGE' });
}

/**
 * Parses the head (status line and headers, without the blank line).
 * @param {string} text
 * @returns {Head}
 */
function parseHead(text) {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.([01]) ([1-5]\d\d)(?: |$)/.exec(lines[0]);
  if (!status) throw new Error('the server did not answer with HTTP/1.x');
  /** @type {Head} */
  const head = { status: Number(status[2]), http10: status[1] === '0', length: -1, chunked: false, close: false, keepAlive: false, lines: [] };
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon <= 0) throw new Error('malformed response header');
    const name = lines[i].slice(0, colon).trim().toLowerCase();
    const value = lines[i].slice(colon + 1).trim();
    head.lines.push(`${name}: ${value}`);
    if (name === 'content-length') {
      if (!/^\d{1,15}$/.test(value) || (head.length >= 0 && head.length !== Number(value))) throw new Error('malformed Content-Length');
      head.length = Number(value);
    } else if (name === 'transfer-encoding') {
      head.chunked = value.toLowerCase().split(',').map((s) => s.trim()).pop() === 'chunked';
      if (!head.chunked) throw new Error(`unsupported Transfer-Encoding ${value}`);
    } else if (name === 'keep-alive') {
      const timeout = /(?:^|[,;\s])timeout=(\d+)/i.exec(value);
      if (timeout) head.keepAliveS = Number(timeout[1]);
    } else if (name === 'connection') {
      const tokens = value.toLowerCase().split(',').map((s) => s.trim());
      head.close ||= tokens.includes('close');
      head.keepAlive ||= tokens.includes('keep-alive');
    }
  }
  return head;
}

/** One connection; runs one request at a time. */
class Conn {
  /** @param {Target} target */
  constructor(target) {
    this.target = target;
    /** @type {Job | undefined} the request running */
    this.job = undefined;
    /** @type {Head | undefined} its answer's head, once in */
    this.head = undefined;
    /** @type {Buffer[]} bytes received and not consumed yet */
    this.pending = [];
    this.size = 0;
    /** @type {Buffer[]} the body decoded so far (chunked answers) */
    this.body = [];
    this.bodySize = 0;
    /** Chunked decoding: bytes left in the chunk, -1 before a size line, -2 in the trailers. */
    this.chunkLeft = -1;
    this.received = 0;
    this.retired = false;
    /** When the connection became idle, and how long it may stay so. */
    this.idleSince = 0;
    this.idleMs = IDLE_MS;
    /** @type {NodeJS.Timeout | undefined} */
    this.timer = undefined;
    const socket = target.secure
      ? tls.connect({ host: target.host, port: target.port, servername: net.isIP(target.host) ? undefined : target.host, ALPNProtocols: ['http/1.1'] })
      : net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    socket.on('data', (/** @type {Buffer} */ data) => this.onData(data));
    socket.on('error', (e) => this.end(e));
    socket.on('close', () => this.end(new Error('the connection closed before the answer was complete')));
    socket.on('end', () => this.onEnd());
    this.socket = socket;
  }

  /** @param {Job} job */
  run(job) {
    this.job = job;
    job.conn = this;
    this.head = undefined;
    this.pending = [];
    this.size = 0;
    this.received = 0;
    this.socket.ref();
    this.timer = setTimeout(() => this.socket.destroy(new Error(`no answer for ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
    job.sent = 0;
    this.socket.write(`${job.method} ${job.path} HTTP/1.1\r\nhost: ${job.hostHeader}\r\n${job.headers}\r\n`, 'latin1');
    // Not from inside this call: `pull` is wasm code, and the wasm side that made the request
    // is still on the stack here.
    if (job.size > 0) queueMicrotask(() => this.pump(job));
  }

  /**
   * Writes `job`'s body while the socket takes it, then again at each `drain`; stops when the
   * request ended (an answer may come before the whole body was sent).
   * @param {Job} job
   */
  pump(job) {
    try {
      while (this.job === job && job.sent < job.size) {
        const piece = pulled(job.pull, job.sent, job.size);
        job.sent += piece.length;
        this.timer?.refresh();
        if (!this.socket.write(piece)) {
          this.socket.once('drain', () => this.pump(job));
          return;
        }
      }
    } catch (e) {
      this.socket.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  }

  buffered() {
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [all];
    return all;
  }

  /** @param {Buffer} data */
  onData(data) {
    if (!this.job) {
      this.socket.destroy(); // bytes nobody asked for: the connection cannot be trusted
      return;
    }
    this.timer?.refresh();
    this.received += data.length;
    this.pending.push(data);
    this.size += data.length;
    try {
      this.advance();
    } catch (e) {
      this.socket.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  }

  advance() {
    const job = this.job;
    if (!job) return;
    for (;;) {
      if (!this.head) {
        const all = this.buffered();
        const end = all.indexOf('\r\n\r\n');
        if (end < 0) {
          if (all.length > MAX_HEAD) throw new Error('response headers too large');
          return;
        }
        const head = parseHead(all.toString('latin1', 0, end));
        this.pending = [all.subarray(end + 4)];
        this.size = all.length - end - 4;
        if (head.status < 200) continue; // 1xx: an interim answer; the real one follows
        this.head = head;
        this.body = [];
        this.bodySize = 0;
        this.chunkLeft = -1;
        if (head.status === 204 || head.status === 304 || job.method === 'HEAD') {
          head.length = 0;
          head.chunked = false;
        }
        if (head.length > job.max) throw tooLarge(job.max);
      }
      const head = this.head;
      if (head.chunked) {
        this.chunkStep(job.max);
        return;
      } else if (head.length >= 0) {
        if (this.size < head.length) return;
        if (this.size > head.length) throw new Error('more bytes than the answer announced');
        // The pieces as received: the wasm side copies each into place (no concatenation here).
        return this.finish(this.pending);
      } else {
        // Neither length nor chunks: the body ends when the server closes (see onEnd).
        if (this.size > job.max) throw tooLarge(job.max);
        return;
      }
    }
  }

  /**
   * Decodes chunked framing as far as the bytes received allow; finishes the request at its end.
   * @param {number} max
   */
  chunkStep(max) {
    for (;;) {
      const all = this.buffered();
      if (this.chunkLeft === -1) {
        const eol = all.indexOf('\r\n');
        if (eol < 0) {
          if (all.length > 4096) throw new Error('malformed chunk size');
          return;
        }
        const size = /^([0-9a-fA-F]{1,12})(?:;.*)?$/.exec(all.toString('latin1', 0, eol));
        if (!size) throw new Error('malformed chunk size');
        const n = parseInt(size[1], 16);
        this.pending = [all.subarray(eol + 2)];
        this.size = all.length - eol - 2;
        if (n === 0) {
          this.chunkLeft = -2; // trailers follow, up to a blank line
          continue;
        }
        if (this.bodySize + n > max) throw tooLarge(max);
        this.chunkLeft = n;
      } else if (this.chunkLeft === -2) {
        const end = all.indexOf('\r\n') === 0 ? 0 : all.indexOf('\r\n\r\n');
        if (end < 0) {
          if (all.length > MAX_HEAD) throw new Error('trailers too large');
          return;
        }
        if (all.length !== end + (end === 0 ? 2 : 4)) throw new Error('bytes after the end of the answer');
        this.finish(this.body);
        return;
      } else {
        const n = this.chunkLeft;
        if (all.length < n + 2) return;
        if (all[n] !== 13 || all[n + 1] !== 10) throw new Error('malformed chunk');
        this.body.push(all.subarray(0, n));
        this.bodySize += n;
        this.pending = [all.subarray(n + 2)];
        this.size = all.length - n - 2;
        this.chunkLeft = -1;
      }
    }
  }

  onEnd() {
    // A body framed by the close of the connection ends here.
    if (this.job && this.head && !this.head.chunked && this.head.length < 0) {
      this.head.close = true;
      this.finish(this.pending);
    }
  }

  /** @param {Buffer[]} body the body's pieces, in order */
  finish(body) {
    const { job, head } = this;
    if (!job || !head) return;
    clearTimeout(this.timer);
    this.job = undefined;
    this.head = undefined;
    this.pending = [];
    // An answer that came before the whole request body was sent leaves the connection
    // mid-request: it cannot carry another one.
    const reusable = !head.close && (!head.http10 || head.keepAlive) && !this.socket.destroyed && job.sent >= job.size;
    const p = pool(this.target.origin);
    if (reusable) {
      this.socket.unref();
      this.idleSince = Date.now();
      // Leave a second's margin before the server's own limit.
      this.idleMs = head.keepAliveS === undefined ? IDLE_MS : Math.min(IDLE_MS, (head.keepAliveS - 1) * 1000);
      p.idle.push(this);
    } else {
      this.retire();
      this.socket.destroy();
    }
    job.resolve([head.status, head.lines.join('\r\n'), body.length === 1 ? body[0] : body]);
    next(p);
  }

  retire() {
    if (this.retired) return;
    this.retired = true;
    const p = pool(this.target.origin);
    p.open -= 1;
    const at = p.idle.indexOf(this);
    if (at >= 0) p.idle.splice(at, 1);
  }

  /** @param {Error} error */
  end(error) {
    clearTimeout(this.timer);
    this.retire();
    const job = this.job;
    this.job = undefined;
    if (job) {
      // A kept-alive connection the server had closed meanwhile fails before any byte of the
      // answer: send the request once more on a new connection (a GET is safe to repeat).
      if (job.reused && this.received === 0 && !job.retried && !job.aborted) {
        job.retried = true;
        start(job);
      } else {
        job.reject(error);
      }
    }
    next(pool(this.target.origin));
  }
}

/**
 * Hands the next waiting request of pool `p` to a free or new connection.
 * @param {Pool} p
 */
function next(p) {
  while (p.waiting.length > 0) {
    const job = p.waiting[0];
    let conn = p.idle.pop();
    while (conn && Date.now() - conn.idleSince > conn.idleMs) {
      conn.retire();
      conn.socket.destroy();
      conn = p.idle.pop();
    }
    if (conn) {
      p.waiting.shift();
      job.reused = true;
      conn.run(job);
    } else if (p.open < MAX_CONNECTIONS) {
      p.waiting.shift();
      p.open += 1;
      job.reused = false;
      new Conn(job.target).run(job);
    } else {
      return;
    }
  }
}

/** @param {Job} job */
function start(job) {
  const p = pool(job.target.origin);
  p.waiting.push(job);
  next(p);
}

/** @typedef {{ target: Target, hostHeader: string }} Origin */

/** Origins seen, by `scheme://authority` as written in request URLs. @type {Map<string, Origin>} */
const origins = new Map();

/** @param {URL} u @returns {Origin} */
function originOf(u) {
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${u.origin}`);
  const secure = u.protocol === 'https:';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { target: { origin: u.origin, secure, host, port: Number(u.port || (secure ? 443 : 80)) }, hostHeader: u.host };
}

/**
 * The origin and request target (path and query) of `url`. A URL whose path and query hold
 * only characters that need no encoding (the engine's URLs are percent-encoded) and no dot
 * segment is split as written, its origin parsed once; any other goes through `URL`, which
 * encodes what needs encoding.
 * @param {string} url
 * @returns {{ origin: Origin, path: string }}
 */
function parseUrl(url) {
  const m = /^(https?:\/\/[^/?#\\\s]+)([/?][\w\-.~!$&()*+,;=:@/?%]*)?$/i.exec(url);
  if (m) {
    let origin = origins.get(m[1]);
    if (!origin) {
      origin = originOf(new URL(m[1]));
      if (origins.size >= 64) origins.clear();
      origins.set(m[1], origin);
    }
    const rest = m[2] ?? '';
    if (!/(^|\/)\.\.?(\/|\?|$)|%2e/i.test(rest)) return { origin, path: rest.startsWith('/') ? rest : `/${rest}` };
  }
  const u = new URL(url);
  return { origin: originOf(u), path: `${u.pathname}${u.search}` };
}

/**
 * Sends a request (`method`, default GET) to `url` with `headers` (flat `[name, value, …]`)
 * and, when `size` > 0, the body that `pull(at)` hands out; resolves to `[status, headers,
 * body]` (`headers` as `name: value` lines joined by CRLF, names lower case; `body` the
 * answer's bytes, a Uint8Array or an array of them in order, at most `max` bytes in all) or
 * rejects when no complete answer came (`code: "ERR_HFB_TOO_LARGE"` past `max`). The promise's
 * `abort()` stops the request (it then rejects with an AbortError).
 * @param {string} url
 * @param {string[]} headers
 * @param {number} max
 * @param {string} [method]
 * @param {number} [size]
 * @param {Pull} [pull]
 * @returns {Promise<[number, string, Uint8Array | Uint8Array[]]> & { abort(): void }}
 */
export function request(url, headers, max, method = 'GET', size = 0, pull = undefined) {
  /** @type {Job | undefined} */
  let job;
  const answer = new Promise((resolve, reject) => {
    const { origin, path } = parseUrl(url);
    if (!/^[A-Z]+$/.test(method)) throw new TypeError(`invalid method ${JSON.stringify(method)}`);
    const bytes = Number.isSafeInteger(size) && size > 0 ? size : 0;
    job = {
      target: origin.target,
      method,
      hostHeader: origin.hostHeader,
      path,
      headers: headerText(headers, method, bytes),
      max,
      size: bytes,
      pull,
      sent: 0,
      resolve,
      reject,
    };
    start(job);
  });
  return Object.assign(answer, { abort: () => job && abort(job) });
}

/**
 * Stops `job`: out of the queue if it waits, its connection closed if it runs.
 * @param {Job} job
 */
function abort(job) {
  if (job.aborted) return;
  job.aborted = true;
  const error = new DOMException('The request was aborted', 'AbortError');
  const p = pool(job.target.origin);
  const at = p.waiting.indexOf(job);
  if (at >= 0) {
    p.waiting.splice(at, 1);
    job.reject(error);
  } else if (job.conn?.job === job) {
    job.conn.socket.destroy(error);
  }
}

/**
 * The same request through `fetch` (the body gathered first).
 * @param {string} url
 * @param {string[]} headers
 * @param {number} max
 * @param {string} method
 * @param {number} size
 * @param {Pull | undefined} pull
 * @returns {Promise<[number, string, Uint8Array]> & { abort(): void }}
 */
function viaFetch(url, headers, max, method, size, pull) {
  /** @type {Record<string, string>} */
  const init = {};
  for (let i = 0; i + 1 < headers.length; i += 2) init[headers[i]] = headers[i + 1];
  const controller = new AbortController();
  let body;
  if (size > 0 && pull) {
    body = new Uint8Array(size);
    for (let at = 0; at < size; ) {
      const piece = pulled(pull, at, size);
      body.set(piece, at);
      at += piece.length;
    }
  }
  const answer = (async () => {
    const response = await globalThis.fetch(url, { method, headers: init, body, redirect: 'manual', signal: controller.signal });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > max) throw tooLarge(max);
    return /** @type {[number, string, Uint8Array]} */ ([response.status, [...response.headers].map(([k, v]) => `${k}: ${v}`).join('\r\n'), bytes]);
  })();
  return Object.assign(answer, { abort: () => controller.abort() });
}

/**
 * Whether Node routes `fetch` through HTTP(S)_PROXY (NODE_USE_ENV_PROXY). Deno, which runs this
 * entry for `npm:` imports, throws on any `process.env` read without `--allow-env`: that is
 * "not set" here, not an error of every download.
 */
function envProxy() {
  try {
    const value = process.env.NODE_USE_ENV_PROXY;
    return Boolean(value) && value !== '0';
  } catch {
    return false;
  }
}

/**
 * @param {string} url
 * @param {string[]} headers
 * @param {number} max
 * @param {string} [method]
 * @param {number} [size]
 * @param {Pull} [pull]
 */
function wholeGet(url, headers, max, method = 'GET', size = 0, pull = undefined) {
  const dispatcher = globalThis[DISPATCHER];
  if (envProxy() || globalThis.fetch !== nodeFetch || (dispatcher !== undefined && dispatcher?.constructor?.name !== 'Agent')) {
    return viaFetch(url, headers, max, method, size, pull);
  }
  return request(url, headers, max, method, size, pull);
}

setWholeGet(wholeGet);
