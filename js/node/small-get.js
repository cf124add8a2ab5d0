// Node's GET for small answers (installed into the wasm transport, see js/transport-hooks.js):
// the CAS's global-dedup queries, one per file of a batch, go through node:http with a
// keep-alive pool instead of `fetch`, which costs several times more CPU per request (Request,
// Headers, AbortController and a WHATWG body stream each). The answer is read whole, at most
// `max` bytes. Redirects are not followed here: the transport's redirect rules see the 3xx.
//
// When the process routes `fetch` elsewhere (a replaced `globalThis.fetch`, e.g. a mock, or a
// global undici dispatcher other than a plain Agent, e.g. a ProxyAgent), the request goes
// through `fetch` too, so it follows the same route as every other request. (Node installs a
// plain Agent as the global dispatcher on its first `fetch`.)

import http from 'node:http';
import https from 'node:https';
import { setSmallGet } from '../../dist/client/js/transport-hooks.js';

/** No answer within this long ends the request (a stuck server must not hold the process). */
const TIMEOUT_MS = 120_000;

const nodeFetch = globalThis.fetch;
const DISPATCHER = Symbol.for('undici.globalDispatcher.1');
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64, scheduling: 'lifo' }),
};

function headerObject(flat) {
  const out = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

async function viaFetch(url, headers, max) {
  const response = await globalThis.fetch(url, { headers: headerObject(headers), redirect: 'manual' });
  const body = new Uint8Array(await response.arrayBuffer());
  if (body.length > max) throw new Error(`the answer is larger than ${max} bytes`);
  return [response.status, [...response.headers].map(([k, v]) => `${k}: ${v}`).join('\r\n'), body];
}

function smallGet(url, headers, max) {
  const dispatcher = globalThis[DISPATCHER];
  if (globalThis.fetch !== nodeFetch || (dispatcher !== undefined && dispatcher?.constructor?.name !== 'Agent')) {
    return viaFetch(url, headers, max);
  }
  const agent = url.startsWith('https:') ? agents['https:'] : url.startsWith('http:') ? agents['http:'] : undefined;
  if (!agent) return Promise.reject(new TypeError(`not an http(s) URL: ${url.split('?')[0]}`));
  return new Promise((resolve, reject) => {
    const request = (agent === agents['https:'] ? https : http).request(
      url,
      { agent, headers: headerObject(headers) },
      (response) => {
        const parts = [];
        let size = 0;
        response.on('data', (part) => {
          size += part.length;
          if (size > max) {
            request.destroy(new Error(`the answer is larger than ${max} bytes`));
          } else {
            parts.push(part);
          }
        });
        response.on('end', () => {
          const body = parts.length === 1 ? parts[0] : Buffer.concat(parts);
          const raw = response.rawHeaders;
          const lines = [];
          for (let i = 0; i + 1 < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
          resolve([response.statusCode, lines.join('\r\n'), new Uint8Array(body.buffer, body.byteOffset, body.length)]);
        });
        response.on('error', reject);
      },
    );
    request.setTimeout(TIMEOUT_MS, () => request.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    request.on('error', reject);
    request.end();
  });
}

setSmallGet(smallGet);
