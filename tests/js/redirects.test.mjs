// Redirects never leak the token, and listings tolerate what a newer Hub sends (issues 10, 13).
// Two tiny HTTP servers on loopback are two origins: `hub` plays the Hub (the client's endpoint)
// and `other` a foreign origin (a CDN, or an attacker) that records every request it gets. Both
// send CORS headers, so the last test runs the same client in headless Chromium, where `fetch`
// cannot follow redirects by hand (see src/transport/fetch.rs).
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import * as lib from 'hf-buckets';
import { openBrowserPage } from './helpers/browser.mjs';

const TOKEN = 'hf_redirect_secret_token';
const HASH = 'ab'.repeat(32);

/** A loopback server answering with `routes[METHOD path]` (path without query), recording requests. */
async function startServer() {
  const server = {
    seen: [],
    routes: new Map(),
    url: '',
  };
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = req.url.split('?')[0];
      const body = Buffer.concat(chunks);
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-expose-headers', 'Link,X-Error-Code,X-Xet-Hash,X-Linked-Size,X-Linked-Etag,ETag,Location');
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
        res.writeHead(204, {
          'access-control-allow-methods': 'GET,HEAD,POST,PUT,DELETE',
          'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
        });
        res.end();
        return;
      }
      server.seen.push({ method: req.method, url: req.url, path, headers: req.headers, body });
      const route = server.routes.get(`${req.method} ${path}`);
      if (!route) {
        res.writeHead(404, { 'x-error-code': 'EntryNotFound', 'content-type': 'application/json' });
        res.end(req.method === 'HEAD' ? undefined : '{"error":"not here"}');
        return;
      }
      route(req, res, body);
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  server.url = `http://127.0.0.1:${srv.address().port}`;
  server.close = () => new Promise((resolve) => srv.close(resolve));
  return server;
}

/** The requests a server got, preflights left out. */
const requests = (server) => server.seen.filter((r) => r.method !== 'OPTIONS');

/** A route answering `status` with `headers` and a JSON or text body. */
function answer(status, headers = {}, body = '') {
  return (req, res) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
}

let hub;
let other;
const client = (extra = {}) => new lib.BucketClient({ endpoint: hub.url, accessToken: TOKEN, retry: false, ...extra });
const carriesToken = (r) => JSON.stringify(r.headers).includes(TOKEN) || r.url.includes(TOKEN);

before(async () => {
  hub = await startServer();
  other = await startServer();
});

after(async () => {
  await hub?.close();
  await other?.close();
});

beforeEach(() => {
  for (const s of [hub, other]) {
    s.seen.length = 0;
    s.routes.clear();
  }
});

/** Asserts a refused redirect: a ProtocolError without the token, query or userinfo in it. */
function assertRefused(e, secrets = []) {
  assert.equal(e?.name, 'ProtocolError', `${e?.name}: ${e?.message}`);
  assert.equal(e.retryable, false);
  for (const s of [TOKEN, ...secrets]) assert.ok(!e.message.includes(s) && !String(e.stack).includes(s), `${s} in: ${e.message}`);
  return true;
}

test('a redirect to another origin is refused and nothing is sent there (GET, POST, 301–308)', async () => {
  for (const status of [301, 302, 303, 307, 308]) {
    hub.routes.set('GET /api/whoami-v2', answer(status, { location: `${other.url}/api/whoami-v2?sig=s3cr3t` }));
    hub.routes.set('POST /api/buckets/me/b/batch', answer(status, { location: `${other.url}/steal` }));
    await assert.rejects(client().whoami(), (e) => assertRefused(e, ['sig=s3cr3t']));
    await assert.rejects(client().batchBucketFiles('me/b', { delete: ['a'] }), (e) => assertRefused(e));
  }
  assert.equal(other.seen.length, 0, 'the other origin got no request');
  assert.equal(requests(hub).length, 10, 'one request per call: a refused redirect is not retried');
});

test('userinfo in a Location never appears in an error, and is another origin', async () => {
  const host = new URL(hub.url).host;
  hub.routes.set('GET /api/whoami-v2', answer(302, { location: `http://user:pa55word@${host}/api/whoami-v2` }));
  await assert.rejects(client().whoami(), (e) => assertRefused(e, ['pa55word', 'user:']));
  assert.equal(hub.seen.length, 1);
});

test('a same-origin 307 on a POST replays the same body once, with the token', async () => {
  const report = { processed: 1, succeeded: 1, failed: [] };
  hub.routes.set('POST /api/buckets/me/b/batch', answer(307, { location: '/api/buckets/me/b/batch-moved' }));
  hub.routes.set('POST /api/buckets/me/b/batch-moved', answer(200, {}, report));
  const r = await client({ retry: true }).batchBucketFiles('me/b', { delete: ['a', 'b/c'] });
  assert.equal(r.success, true);
  assert.deepEqual(hub.seen.map((s) => `${s.method} ${s.path}`), ['POST /api/buckets/me/b/batch', 'POST /api/buckets/me/b/batch-moved']);
  assert.equal(hub.seen[1].body.toString(), hub.seen[0].body.toString());
  assert.match(hub.seen[1].body.toString(), /"path":"b\/c"/);
  assert.equal(hub.seen[1].headers.authorization, `Bearer ${TOKEN}`);
  assert.equal(hub.seen[1].headers['content-type'], 'application/x-ndjson');
});

test('a body of 1 MiB and more (streamed in Node) is replayed on a 308 too', async () => {
  const report = { processed: 1000, succeeded: 1000, failed: [] };
  hub.routes.set('POST /api/buckets/me/b/batch', answer(308, { location: `${hub.url}/api/buckets/me/b/batch2` }));
  hub.routes.set('POST /api/buckets/me/b/batch2', answer(200, {}, report));
  const paths = Array.from({ length: 1000 }, (_, i) => `${'d'.repeat(1018)}/${String(i).padStart(4, '0')}`);
  assert.equal((await client().batchBucketFiles('me/b', { delete: paths })).success, true);
  assert.equal(hub.seen.length, 2);
  assert.ok(hub.seen[1].body.length > 1 << 20, `${hub.seen[1].body.length} bytes`);
  assert.deepEqual(hub.seen[1].body, hub.seen[0].body);
});

test('a 303 continues as a GET; redirects are bounded', async () => {
  hub.routes.set('POST /api/repos/move', answer(303, { location: '/api/whoami-v2' }));
  hub.routes.set('GET /api/whoami-v2', answer(200, {}, { name: 'me' }));
  await client().moveBucket({ fromId: 'me/a', toId: 'me/b' });
  assert.deepEqual(hub.seen.map((s) => `${s.method} ${s.path} ${s.body.length > 0}`), ["POST /api/repos/move true", "GET /api/whoami-v2 false"]);

  hub.seen.length = 0;
  hub.routes.set('GET /api/buckets/me/loop', answer(302, { location: '/api/buckets/me/loop' }));
  await assert.rejects(client().bucketInfo('me/loop'), (e) => assertRefused(e) && /too many redirects/.test(e.message));
  assert.equal(hub.seen.length, 6, 'the first request and 5 redirects');
});

test('a fetch that follows redirects itself: the token does not reach the other origin and its answer is refused', async () => {
  hub.routes.set('GET /api/whoami-v2', answer(307, { location: `${other.url}/api/whoami-v2` }));
  other.routes.set('GET /api/whoami-v2', answer(200, {}, { name: 'mallory' }));
  const following = (url, init) => globalThis.fetch(url, { ...init, redirect: 'follow' });
  await assert.rejects(client({ fetch: following }).whoami(), (e) => assertRefused(e));
  assert.equal(other.seen.length, 1, 'the platform followed');
  assert.ok(!carriesToken(other.seen[0]), 'without the token (the Fetch standard drops Authorization across origins)');
});

test('getFileMetadata: a same-origin redirect is followed, a CDN redirect answers with its own headers', async () => {
  const file = '/buckets/me/b/resolve/dir/a.bin';
  hub.routes.set(`HEAD ${file}`, answer(307, { location: '/buckets/me/b/resolve/dir/moved.bin' }));
  hub.routes.set('HEAD /buckets/me/b/resolve/dir/moved.bin', answer(302, {
    location: `${other.url}/cdn/blob?X-Amz-Signature=abc`,
    'x-linked-size': '1234',
    'x-xet-hash': HASH,
    'x-linked-etag': '"e1"',
    'last-modified': 'Mon, 07 Dec 2026 01:02:03 GMT',
    'content-type': 'application/octet-stream',
  }));
  const m = await client().getFileMetadata('me/b', 'dir/a.bin');
  assert.deepEqual(
    { ...m, lastModified: m.lastModified.toISOString() },
    { size: 1234, xetHash: HASH, etag: '"e1"', lastModified: '2026-12-07T01:02:03.000Z', contentType: 'application/octet-stream' },
  );
  assert.equal(other.seen.length, 0, 'the CDN got nothing');
  assert.equal(hub.seen[0].headers['accept-encoding'], 'identity');
  assert.equal(hub.seen[1].headers.authorization, `Bearer ${TOKEN}`);

  hub.routes.set(`HEAD ${file}`, answer(404, { 'x-error-code': 'RepoNotFound' }));
  const e = await client().getFileMetadata('me/b', 'dir/a.bin').catch((x) => x);
  assert.deepEqual([e.name, e.status, e.code], ['NotFoundError', 404, 'RepoNotFound']);
  hub.routes.set(`HEAD ${file}`, answer(200, { 'content-length': '7' }));
  assert.equal((await client().getFileMetadata('me/b', 'dir/a.bin').catch((x) => x)).name, 'ProtocolError', 'no X-Xet-Hash');
});

test('a listing skips unknown entry types and follows a canonical-host Link to the end', async () => {
  const entry = (path) => ({ type: 'file', path, size: 1, xetHash: HASH, uploadedAt: '2026-01-01T00:00:00.000Z' });
  const tree = '/api/buckets/me/b/tree';
  hub.routes.set(`GET ${tree}`, (req, res) => {
    const cursor = new URL(req.url, hub.url).searchParams.get('cursor');
    const pages = {
      null: [[entry('a'), { type: 'symlink', path: 'l', target: { path: 'a' } }], 'https://huggingface.co/api/buckets/me/b/tree?recursive=true&cursor=2'],
      2: [[{ type: 'submodule', path: 's', url: 'x' }, entry('b')], 'https://hub-ci.huggingface.co/api/buckets/me/b/tree?cursor=3'],
      3: [[entry('c')], null],
    };
    const [items, next] = pages[cursor];
    res.writeHead(200, { 'content-type': 'application/json', ...(next ? { link: `<${next}>; rel="next"` } : {}) });
    res.end(JSON.stringify(items));
  });
  const paths = [];
  for await (const e of client().listBucketTree('me/b')) paths.push(e.path);
  assert.deepEqual(paths, ['a', 'b', 'c']);
  assert.deepEqual(hub.seen.map((s) => s.url), [`${tree}?recursive=true`, `${tree}?recursive=true&cursor=2`, `${tree}?cursor=3`]);
  assert.ok(hub.seen.every((s) => s.headers.authorization === `Bearer ${TOKEN}`));

  hub.seen.length = 0;
  hub.routes.set(`GET ${tree}`, answer(200, { link: `<${other.url}${tree}?cursor=2>; rel="next"` }, [entry('a')]));
  const got = [];
  await assert.rejects(
    (async () => {
      for await (const e of client().listBucketTree('me/b')) got.push(e.path);
    })(),
    (e) => assertRefused(e, ['cursor=2']),
  );
  assert.deepEqual(got, ['a']);
  assert.equal(other.seen.length, 0, 'a next link to another origin is never fetched');
});

test('in Chromium: a same-origin 307 on a POST succeeds; a cross-origin redirect is refused and never carries the token', { timeout: 120_000 }, async () => {
  const chrome = await openBrowserPage({ served: ['js/', 'dist/'], title: 'hf-buckets redirects' });
  try {
    await chrome.open();
    const report = { processed: 2, succeeded: 2, failed: [] };
    hub.routes.set('POST /api/buckets/me/b/batch', answer(307, { location: '/api/buckets/me/b/batch-moved' }));
    hub.routes.set('POST /api/buckets/me/b/batch-moved', answer(200, {}, report));
    hub.routes.set('GET /api/whoami-v2', answer(307, { location: `${other.url}/api/whoami-v2` }));
    other.routes.set('GET /api/whoami-v2', answer(200, {}, { name: 'mallory' }));
    const out = await chrome.page.evaluate(
      async ({ endpoint, token }) => {
        const lib = await import('/js/browser/index.js');
        const hub = new lib.BucketClient({ endpoint, accessToken: token, retry: false });
        const batch = await hub.batchBucketFiles('me/b', { delete: ['a', 'b'] }).then((r) => r.success, (e) => `${e.name}: ${e.message}`);
        const whoami = await hub.whoami().then((r) => r.name, (e) => ({ name: e.name, message: e.message }));
        return { batch, whoami };
      },
      { endpoint: hub.url, token: TOKEN },
    );
    assert.equal(out.batch, true);
    const posts = requests(hub).filter((r) => r.method === 'POST');
    // "manual" gives an opaque redirect; the request is sent again with "follow".
    assert.deepEqual(posts.map((r) => r.path), ['/api/buckets/me/b/batch', '/api/buckets/me/b/batch', '/api/buckets/me/b/batch-moved']);
    assert.ok(posts.every((r) => r.body.toString() === posts[0].body.toString() && r.body.length > 0), 'the body is replayed');
    assert.equal(posts.at(-1).headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(out.whoami.name, 'ProtocolError', JSON.stringify(out.whoami));
    assert.ok(!out.whoami.message.includes(TOKEN));
    assert.equal(requests(other).length, 1, 'Chromium followed the cross-origin redirect itself');
    assert.ok(requests(other).every((r) => !carriesToken(r)), 'the browser dropped Authorization on the cross-origin hop');
  } finally {
    await chrome.close();
  }
});
