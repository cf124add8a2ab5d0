// The demo's web server: a tiny loopback server for the upload widget in www/.
//
//   /                 www/ (the page, its module script and CSS)
//   /js/*, /dist/*    the built package, exactly as published (the page imports it through an import map)
//   /vendor/hyparquet/*  the `hyparquet` parquet reader (a dev dependency), for the widget's parquet previews
//   /hub/*            the Hub API, proxied to the Hub (local-hub by default) with the server's token added
//   /api/token        short-lived Xet CAS tokens for one bucket: ?bucket=ns/name&mode=read|write
//
// The `hf_` token stays in this process: the page only ever sees CAS tokens (through the client's
// `tokenProvider`) and talks to the Hub API through /hub. This is the pattern a real widget would use,
// minus the user's own authentication, which a real server adds in `authorize()`.
// No COOP/COEP headers are sent: the widget must work as a third-party embed, without cross-origin
// isolation (no SharedArrayBuffer needed).
//
// Static files are public (any origin may load them, so the widget can be embedded from this server).
// /hub and /api/token answer cross-origin pages only from `allowOrigins` (a real server checks the
// user's session there as well).
//
// As a module: `startDemoServer({ hubUrl, token, port?, host?, allowOrigins? })` → `{ url, user, close() }`.
// As a script: `node scripts/demo-server.mjs --hub URL [--port 0] [--allow-origin ORIGIN]…` with the
// token in $HF_TOKEN; prints one JSON line `{"url":…}` on stdout when ready.

import { createServer, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { open, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** URL prefix → directory served under it (longest prefix first). */
const STATIC_ROOTS = [
  ['/vendor/hyparquet/', resolve(REPO, 'node_modules', 'hyparquet', 'src')],
  ['/js/', resolve(REPO, 'js')],
  ['/dist/', resolve(REPO, 'dist')],
  ['/', resolve(REPO, 'www')],
];

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/** Hub routes the page may reach through /hub (bucket API and file reads; no token routes). */
const HUB_ROUTES = [
  { methods: ['GET'], re: /^\/api\/whoami-v2$/ },
  { methods: ['GET', 'POST', 'DELETE', 'PUT'], re: /^\/api\/buckets\/(?<ns>[^/]+)(?:\/[^/]+(?:\/.*)?)?$/ },
  { methods: ['GET', 'HEAD'], re: /^\/buckets\/(?<ns>[^/]+)\/[^/]+\/resolve\/.+$/ },
];
const TOKEN_ROUTE = /\/xet-(read|write)-token(?:\/|$)/;

/** Request headers forwarded to the Hub (never the page's cookies or its own Authorization). */
const FORWARD_REQUEST_HEADERS = ['accept', 'content-type', 'content-length', 'range', 'if-none-match',
  'x-request-id', 'x-amzn-trace-id', 'user-agent'];
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te',
  'trailer', 'transfer-encoding', 'upgrade']);

/** A bucket id `namespace/name` with the characters the Hub allows. */
const BUCKET_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

/** Request headers a cross-origin page may send to /hub and /api/token. */
const CORS_ALLOW_HEADERS = 'Content-Type, Range, Accept, If-None-Match, X-Request-Id, X-Amzn-Trace-Id';
const CORS_EXPOSE_HEADERS = 'Link, X-Error-Code, X-Error-Message, X-Request-Id, X-Xet-Hash, Content-Range, Accept-Ranges, ETag, Retry-After';

/**
 * Starts the demo server.
 * @param {{ hubUrl: string, token: string, port?: number, host?: string, allowOrigins?: string[],
 *   log?: (line: string) => void }} options
 * @returns {Promise<{ url: string, user: string, close: () => Promise<void> }>}
 */
export async function startDemoServer({ hubUrl, token, port = 0, host = '127.0.0.1', allowOrigins = [], log = () => {} }) {
  if (!hubUrl) throw new TypeError('startDemoServer: hubUrl is required');
  if (!token) throw new TypeError('startDemoServer: token is required');
  const hub = new URL(hubUrl.replace(/\/+$/, '') + '/');
  const user = await whoami(hub, token);

  const server = createServer((req, res) => {
    handle(req, res, { hub, token, user, log, allowOrigins: new Set(allowOrigins) }).catch((error) => {
      log(`demo-server: ${req.method} ${pathOf(req)}: ${error?.message ?? error}`);
      if (!res.headersSent) sendJson(res, 502, { error: 'Bad gateway' });
      else res.destroy();
    });
  });
  // Uploads never pass through this server, but keep slow clients from holding sockets forever.
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => { server.off('error', fail); ok(); });
  });
  const address = server.address();
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/`;
  return {
    url,
    user,
    close: () => new Promise((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}

/** `GET /api/whoami-v2` with the server's token: the namespace the page may use. */
async function whoami(hub, token) {
  const response = await fetch(new URL('api/whoami-v2', hub), { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) {
    throw new Error(`the Hub at ${hub.origin} refused the server's token (HTTP ${response.status})`);
  }
  const body = await response.json();
  if (typeof body?.name !== 'string' || body.name === '') throw new Error('whoami-v2 answered without a name');
  return body.name;
}

function pathOf(req) {
  try {
    return new URL(req.url ?? '/', 'http://x').pathname;
  } catch {
    return '/';
  }
}

async function handle(req, res, ctx) {
  let url;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return sendJson(res, 400, { error: 'Bad request URL' });
  }
  const api = url.pathname === '/api/token' || url.pathname === '/hub' || url.pathname.startsWith('/hub/');
  if (api) {
    const origin = req.headers.origin;
    if (origin && ctx.allowOrigins.has(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', CORS_EXPOSE_HEADERS);
      res.setHeader('vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, HEAD, POST, PUT, DELETE',
          'access-control-allow-headers': CORS_ALLOW_HEADERS,
          'access-control-max-age': '600',
        });
        return res.end();
      }
    }
    return url.pathname === '/api/token' ? tokenEndpoint(req, res, url, ctx) : proxyHub(req, res, url, ctx);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendJson(res, 405, { error: 'Method not allowed' }, { allow: 'GET, HEAD' });
  }
  return serveStatic(req, res, url);
}

/**
 * Who may get a token for which bucket. The demo page has no login: every caller on loopback may use
 * the server user's buckets. A real widget server checks its own session here.
 */
function authorize(bucketId, ctx) {
  return bucketId.split('/')[0] === ctx.user;
}

async function tokenEndpoint(req, res, url, ctx) {
  if (req.method !== 'GET') return sendJson(res, 405, { error: 'Method not allowed' }, { allow: 'GET' });
  const bucketId = url.searchParams.get('bucket') ?? '';
  const mode = url.searchParams.get('mode') ?? 'read';
  if (!BUCKET_ID.test(bucketId) || bucketId.includes('..') || bucketId.includes('--')) {
    return sendJson(res, 400, { error: 'bucket must be a bucket id "namespace/name"' });
  }
  if (mode !== 'read' && mode !== 'write') return sendJson(res, 400, { error: 'mode must be "read" or "write"' });
  if (!authorize(bucketId, ctx)) return sendJson(res, 403, { error: `not allowed for bucket ${bucketId}` });

  const upstream = await fetch(new URL(`api/buckets/${bucketId}/xet-${mode}-token`, ctx.hub), {
    headers: { authorization: `Bearer ${ctx.token}` },
    signal: AbortSignal.timeout(30_000),
  });
  if (!upstream.ok) {
    // Pass the Hub's status and error code on (never its headers wholesale, never our token).
    const code = upstream.headers.get('x-error-code');
    await upstream.body?.cancel();
    return sendJson(res, upstream.status, { error: `the Hub answered ${upstream.status}`, code },
      code ? { 'x-error-code': code } : {});
  }
  const body = await upstream.json().catch(() => null);
  if (typeof body?.accessToken !== 'string' || typeof body?.exp !== 'number' || typeof body?.casUrl !== 'string') {
    return sendJson(res, 502, { error: 'the Hub answered a malformed token' });
  }
  ctx.log(`demo-server: ${mode} token for ${bucketId}`);
  return sendJson(res, 200, { accessToken: body.accessToken, exp: body.exp, casUrl: body.casUrl },
    { 'cache-control': 'no-store' });
}

function proxyHub(req, res, url, ctx) {
  const path = url.pathname.slice('/hub'.length) || '/';
  const route = HUB_ROUTES.find((r) => r.re.test(path));
  if (!route || TOKEN_ROUTE.test(path)) return sendJson(res, 404, { error: 'Not proxied by the demo server' });
  if (!route.methods.includes(req.method ?? '')) {
    return sendJson(res, 405, { error: 'Method not allowed' }, { allow: route.methods.join(', ') });
  }
  const ns = route.re.exec(path)?.groups?.ns;
  if (ns !== undefined && ns !== ctx.user && ns !== 'me') {
    return sendJson(res, 403, { error: `the demo server only serves the namespace ${ctx.user}` });
  }

  const target = new URL(path.slice(1) + url.search, ctx.hub);
  const headers = { authorization: `Bearer ${ctx.token}` };
  for (const name of FORWARD_REQUEST_HEADERS) {
    if (req.headers[name] !== undefined) headers[name] = req.headers[name];
  }
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((ok, fail) => {
    const upstream = send(target, { method: req.method, headers }, (answer) => {
      const out = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (HOP_BY_HOP.has(name) || name.startsWith('access-control-') || value === undefined) continue;
        out[name] = name === 'link' || name === 'location' || name === 'x-xet-refresh-route'
          ? rewriteHubUrls(String(value), ctx.hub, req) : value;
      }
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
      answer.on('end', ok);
      answer.on('error', fail);
    });
    upstream.on('error', fail);
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
}

/** Rewrites absolute Hub URLs (pagination and xet-auth `Link`s, redirects) to this server's /hub. */
function rewriteHubUrls(value, hub, req) {
  const self = `http://${req.headers.host ?? 'localhost'}/hub/`;
  return value.split(hub.href).join(self);
}

async function serveStatic(req, res, url) {
  let pathname;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return sendJson(res, 400, { error: 'Bad path' });
  }
  if (pathname.includes('\0')) return sendJson(res, 400, { error: 'Bad path' });
  const [prefix, root] = STATIC_ROOTS.find(([p]) => pathname.startsWith(p)) ?? [];
  if (!root) return sendJson(res, 404, { error: 'Not found' });
  let file = resolve(root, '.' + sep + pathname.slice(prefix.length));
  if (file !== root && !file.startsWith(root + sep)) return sendJson(res, 404, { error: 'Not found' });
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    file = resolve(file, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (!info?.isFile()) return sendJson(res, 404, { error: 'Not found' });
  const type = MIME_TYPES[extname(file)] ?? 'application/octet-stream';
  res.writeHead(200, {
    'content-type': type,
    'content-length': info.size,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'access-control-allow-origin': '*',
  });
  if (req.method === 'HEAD') return res.end();
  const handle = await open(file);
  const stream = handle.createReadStream();
  await new Promise((ok, fail) => {
    stream.on('error', fail);
    res.on('close', ok);
    stream.pipe(res);
  }).finally(() => stream.destroy());
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function parseArgs(argv) {
  const args = { port: 0, host: '127.0.0.1', hubUrl: process.env.HF_ENDPOINT, allowOrigins: [] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--hub') args.hubUrl = value();
    else if (flag === '--port') args.port = Number(value());
    else if (flag === '--host') args.host = value();
    else if (flag === '--allow-origin') args.allowOrigins.push(value());
    else throw new Error(`unknown flag ${flag} (--hub URL, --port N, --host ADDR, --allow-origin ORIGIN; token in $HF_TOKEN)`);
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error('--port must be 0..65535');
  return args;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const args = parseArgs(process.argv.slice(2));
    const server = await startDemoServer({ ...args, token: process.env.HF_TOKEN, log: (l) => console.error(l) });
    console.log(JSON.stringify({ url: server.url, user: server.user }));
    const stop = () => server.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    console.error(`demo-server: ${error.message}`);
    process.exit(1);
  }
}
