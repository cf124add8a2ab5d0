// Node's client for answers read whole (js/node/whole-get.js): Hub calls, the CAS's global-dedup
// queries (one per file of a batch), xorb and shard uploads and download reads go over its own
// keep-alive HTTP/1.1 client instead of `fetch` (a batch or a download sync sends no request
// with `fetch`), with the same answers; a process that routes `fetch` elsewhere (a replaced
// global `fetch`) and a client given its own `fetch` keep every request on that route; failing
// queries cost only the dedup. The client itself against scripted servers: framing (length,
// chunks, close), keep-alive, a connection the server closed and one idle too long, request
// bodies written as the connection takes them (and an answer that comes before the body is
// sent), HEAD, limits, bad answers and bad headers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BucketClient, syncBucket } from 'hf-buckets';
import { startLocalHub } from './helpers/local-hub.mjs';
import { request } from '../../js/node/whole-get.js';
import { installedWholeGet, setWholeGet } from '../../dist/client/js/transport-hooks.js';

let local;
let n = 0;

before(async () => {
  local = await startLocalHub();
});

after(async () => {
  await local?.stop();
});

const client = (extra = {}) => new BucketClient({ endpoint: local.hub, accessToken: local.token, ...extra });

async function newBucket() {
  const { bucketId } = await client().createBucket(`sg-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`);
  return bucketId;
}

/** `count` files of 4 KiB of random bytes (one chunk each). */
const smallFiles = (count) =>
  Array.from({ length: count }, (_, i) => ({ source: randomFillSync(new Uint8Array(4096)), destination: `f/${i}.bin` }));

/**
 * Counts the requests sent with `fetch` (Node's undici), and the dedup queries among them,
 * while `fn` runs; then checks that the channel counts (one `fetch` of its own).
 */
async function countFetchQueries(fn) {
  let count = 0;
  let all = 0;
  const onCreate = ({ request }) => {
    all += 1;
    if (request.path.startsWith('/v1/chunks/')) count += 1;
  };
  diagnostics.subscribe('undici:request:create', onCreate);
  try {
    const result = await fn();
    const during = all;
    await (await fetch(`${local.hub}/api/whoami-v2`)).arrayBuffer();
    assert.equal(all, during + 1, 'the channel counts fetch requests');
    return { result, count, all: during };
  } finally {
    diagnostics.unsubscribe('undici:request:create', onCreate);
  }
}

/** The URLs the installed whole-answer transport was asked for while `fn` ran (clients made inside `fn`). */
async function wholeAnswerUrls(fn) {
  const inner = installedWholeGet();
  const urls = [];
  setWholeGet((url, ...rest) => {
    urls.push(url);
    return inner(url, ...rest);
  });
  try {
    return { result: await fn(), urls };
  } finally {
    setWholeGet(inner);
  }
}

/** A `fetch` that counts the dedup queries it sends. */
function countingFetch(inner = globalThis.fetch) {
  const wrapped = (url, init) => {
    if (String(url).includes('/v1/chunks/')) wrapped.queries += 1;
    return inner(url, init);
  };
  wrapped.queries = 0;
  return wrapped;
}

test('a batch of small files asks one dedup query per file and sends no request with fetch; their answers deduplicate the same files in a new session', async () => {
  const files = smallFiles(40);
  const first = await countFetchQueries(async () => client().batchBucketFiles(await newBucket(), { add: files }));
  assert.equal(first.result.success, true);
  assert.equal(first.result.upload.dedupQueries, 40);
  assert.equal(first.all, 0, 'token, queries, xorb, shard and commit all on the whole-answer client');
  assert.equal(first.result.upload.newBytes, 40 * 4096);

  // The CAS's answers, not the local shard cache, are what this checks.
  const again = await countFetchQueries(async () => client().batchBucketFiles(await newBucket(), { add: files, shardCache: false }));
  assert.equal(again.result.success, true);
  assert.equal(again.all, 0);
  assert.ok(again.result.upload.dedupQueries >= 1);
  assert.equal(again.result.upload.newBytes, 0);
  assert.equal(again.result.upload.dedupBytes, 40 * 4096);
  assert.equal(again.result.upload.xorbs, 0);
});

test('a download sync of small files sends no request with fetch and asks one read token', async () => {
  const bucketId = await newBucket();
  const files = smallFiles(30);
  assert.equal((await client().batchBucketFiles(bucketId, { add: files })).success, true);
  const dest = mkdtempSync(join(tmpdir(), 'wg-down-'));
  const { result, all } = await countFetchQueries(() =>
    wholeAnswerUrls(() => syncBucket({ source: `hf://buckets/${bucketId}/f`, destination: dest, endpoint: local.hub, accessToken: local.token })),
  );
  assert.equal(result.result.downloaded, 30);
  for (const [i, f] of files.entries()) assert.ok(Buffer.from(readFileSync(join(dest, `${i}.bin`))).equals(Buffer.from(f.source)));
  assert.equal(all, 0, 'listing, token, reconstructions and ranges all on the whole-answer client');
  assert.equal(result.urls.filter((u) => u.includes('/xet-read-token')).length, 1, 'one read token for the 30 files');
  assert.ok(result.urls.some((u) => /\/v[12]\/reconstructions\//.test(u)));
  rmSync(dest, { recursive: true, force: true });
});

test('with the global fetch replaced, dedup queries go through it', async () => {
  const original = globalThis.fetch;
  const counting = countingFetch(original);
  globalThis.fetch = counting;
  try {
    const files = smallFiles(10);
    const result = await client().batchBucketFiles(await newBucket(), { add: files });
    assert.equal(result.success, true);
    assert.equal(counting.queries, 10);
    const again = await client().batchBucketFiles(await newBucket(), { add: files });
    assert.equal(again.upload.newBytes, 0);
  } finally {
    globalThis.fetch = original;
  }
});

test('with NODE_USE_ENV_PROXY set (Node routes fetch through HTTP(S)_PROXY), dedup queries go through fetch', async () => {
  const before = process.env.NODE_USE_ENV_PROXY;
  process.env.NODE_USE_ENV_PROXY = '1';
  try {
    const { result, count } = await countFetchQueries(async () => client().batchBucketFiles(await newBucket(), { add: smallFiles(6) }));
    assert.equal(result.success, true);
    assert.equal(count, 6);
  } finally {
    if (before === undefined) delete process.env.NODE_USE_ENV_PROXY;
    else process.env.NODE_USE_ENV_PROXY = before;
  }
});

test("a client given its own fetch sees every dedup query", async () => {
  const counting = countingFetch();
  const result = await client({ fetch: counting }).batchBucketFiles(await newBucket(), { add: smallFiles(10) });
  assert.equal(result.success, true);
  assert.equal(counting.queries, 10);
});

test('dedup queries that fail (503, cut connections) cost only the dedup', async () => {
  const noRetry = client({ retry: false });
  for (const fault of [
    { action: 'status', status: 503, retryAfterSecs: 0 },
    { action: 'close', afterBytes: 0 },
  ]) {
    await local.addFault({ target: 'cas', method: 'GET', path: '/v1/chunks/*', count: 0, ...fault });
    try {
      const bucket = await newBucket();
      const files = smallFiles(8);
      const r = await noRetry.batchBucketFiles(bucket, { add: files });
      assert.equal(r.success, true, JSON.stringify(r.failed));
      assert.equal(r.upload.newBytes, 8 * 4096);
      const back = await noRetry.getBucketFile(bucket, { path: 'f/3.bin' });
      assert.deepEqual(back, files[3].source);
    } finally {
      await local.clearFaults();
    }
  }
});

// ------------------------------------------------------------- the client, against scripted servers

/**
 * A TCP server answering each request (read up to its blank line) with `script(n, text)`'s
 * bytes (n counts requests over all connections); `script` may return `{ bytes, close }`.
 */
async function scripted(script) {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    server.connectionsSeen += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    socket.on('data', (d) => {
      buffer += d.toString('latin1');
      let end;
      while ((end = buffer.indexOf('\r\n\r\n')) >= 0) {
        const text = buffer.slice(0, end);
        buffer = buffer.slice(end + 4);
        server.requests.push(text);
        const out = script(server.requests.length, text);
        const { bytes, close } = typeof out === 'string' || out instanceof Buffer ? { bytes: out } : out;
        socket.write(bytes);
        if (close) socket.end();
      }
    });
    socket.on('error', () => {});
  });
  server.requests = [];
  server.connectionsSeen = 0;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const close = () => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  };
  return { server, url, close };
}

/** A body as text: one Uint8Array, or the pieces it came in. */
const text = (body) => new TextDecoder().decode(Array.isArray(body) ? Buffer.concat(body) : body);

test('whole-answer GET client: lengths, chunks, close-delimited and empty bodies, interim answers, one kept-alive connection', async (t) => {
  const s = await scripted((n) => {
    switch (n) {
      case 1: return 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Thing: a\r\n\r\nhello';
      case 2: return 'HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n';
      case 3: return 'HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nTrailer: t\r\n\r\n';
      case 4: return 'HTTP/1.1 204 No Content\r\n\r\n';
      default: return { bytes: 'HTTP/1.0 200 OK\r\n\r\nuntil the end', close: true };
    }
  });
  t.after(s.close);
  const [status, headers, body] = await request(`${s.url}/a?b=c`, ['authorization', 'Bearer x'], 100);
  assert.equal(status, 200);
  assert.equal(text(body), 'hello');
  assert.match(headers, /^content-length: 5\r\nx-thing: a$/);
  assert.match(s.server.requests[0], /^GET \/a\?b=c HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\nauthorization: Bearer x$/);
  assert.equal((await request(`${s.url}/b`, [], 100))[0], 404);
  const chunked = await request(`${s.url}/c`, [], 100);
  assert.deepEqual([chunked[0], text(chunked[2])], [200, 'abcdefg']);
  const empty = await request(`${s.url}/d`, [], 100);
  assert.deepEqual([empty[0], empty[2].length], [204, 0]);
  assert.equal(s.server.connectionsSeen, 1, 'one connection, kept alive');
  assert.equal(text((await request(`${s.url}/e`, [], 100))[2]), 'until the end');
});

test('whole-answer client: the request target is the URL\'s path and query as written when they need no encoding, else as URL makes them', async (t) => {
  const s = await scripted(() => 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
  t.after(s.close);
  const targets = [
    [`${s.url}/v1/chunks/default/ab12?x=1&y=%2F`, '/v1/chunks/default/ab12?x=1&y=%2F'],
    [s.url, '/'],
    [`${s.url}?q=1`, '/?q=1'],
    [`${s.url}/a/../b/./c`, '/b/c'],
    [`${s.url}/a/%2e%2e/b`, '/b'],
    [`${s.url}/a b\\c"d`, '/a%20b/c%22d'],
    [`${s.url}/é?k=<v>`, '/%C3%A9?k=%3Cv%3E'],
    [`${s.url}/x#fragment`, '/x'],
    [`${s.url.replace('http', 'HTTP')}/y`, '/y'],
  ];
  for (const [url] of targets) assert.equal((await request(url, [], 10))[0], 200);
  const got = s.server.requests.map((r) => r.split(' ')[1]);
  assert.deepEqual(got, targets.map(([, target]) => target));
  assert.ok(s.server.requests.every((r) => /\r\nhost: 127\.0\.0\.1:\d+(\r\n|$)/.test(r)), 'the Host header is the authority');
  await assert.rejects(request('ftp://127.0.0.1/x', [], 10), /not an http\(s\) URL/);
});

test('whole-answer GET client: a kept-alive connection the server closed is replaced; limits and bad answers reject', async (t) => {
  const s = await scripted((n, req) => {
    if (req.startsWith('GET /close-after')) return { bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', close: true };
    if (req.startsWith('GET /big-len')) return 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n';
    if (req.startsWith('GET /big-chunks')) return 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n' + 'x'.repeat(64) + '\r\n0\r\n\r\n';
    if (req.startsWith('GET /garbage')) return 'SSH-2.0-OpenSSH\r\n\r\n';
    if (req.startsWith('GET /cut')) return { bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', close: true };
    if (req.startsWith('GET /bad-chunk')) return 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n';
    return 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  });
  t.after(s.close);
  assert.equal(text((await request(`${s.url}/first`, [], 100))[2]), 'ok');
  // The server silently drops the idle connection: the next request still gets its answer.
  await request(`${s.url}/close-after`, [], 100);
  assert.equal(text((await request(`${s.url}/again`, [], 100))[2]), 'ok');
  await assert.rejects(request(`${s.url}/big-len`, [], 100), /larger than 100 bytes/);
  await assert.rejects(request(`${s.url}/big-chunks`, [], 32), /larger than 32 bytes/);
  await assert.rejects(request(`${s.url}/garbage`, [], 100), /did not answer with HTTP/);
  await assert.rejects(request(`${s.url}/cut`, [], 100), /closed before the answer was complete/);
  await assert.rejects(request(`${s.url}/bad-chunk`, [], 100), /malformed chunk size/);
  const before = s.server.requests.length;
  await assert.rejects(request(`${s.url}/x`, ['x-evil', 'a\r\nhost: other'], 100), /invalid request header/);
  await assert.rejects(request(`${s.url}/x`, ['bad name', 'v'], 100), /invalid request header/);
  assert.equal(s.server.requests.length, before, 'nothing was sent');
  await assert.rejects(request('ftp://127.0.0.1/x', [], 100), /not an http\(s\) URL/);
});

test('whole-answer GET client: a refused connection and a server that never answers the head in full reject', async (t) => {
  const s = await scripted(() => 'HTTP/1.1 200 OK\r\n' + 'x-pad: ' + 'y'.repeat(70_000) + '\r\n');
  t.after(s.close);
  await assert.rejects(request(`${s.url}/h`, [], 100), /response headers too large/);
  const closed = net.createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = closed.address().port;
  await new Promise((resolve) => closed.close(resolve));
  await assert.rejects(request(`http://127.0.0.1:${port}/`, [], 100), /ECONNREFUSED/);
});

test('whole-answer GET client: a large body comes as the pieces the socket delivered, in order; abort() stops a running request', async (t) => {
  const big = randomFillSync(Buffer.alloc(3 << 20));
  const s = await scripted((n, req) => {
    if (req.startsWith('GET /stall')) return 'HTTP/1.1 206 Partial Content\r\nContent-Length: 1000\r\n\r\nabc';
    return Buffer.concat([Buffer.from(`HTTP/1.1 206 Partial Content\r\nContent-Length: ${big.length}\r\n\r\n`), big]);
  });
  t.after(s.close);
  // One kept-alive connection serves both requests below.
  const closed = new Promise((resolve) => s.server.once('connection', (socket) => socket.on('close', resolve)));
  const [status, , body] = await request(`${s.url}/big`, ['range', 'bytes=0-3145727'], big.length);
  assert.equal(status, 206);
  assert.ok(Array.isArray(body) && body.length > 1, 'several pieces, not concatenated');
  assert.ok(Buffer.concat(body).equals(big));
  const stalled = request(`${s.url}/stall`, [], 1000);
  await new Promise((resolve) => setTimeout(resolve, 50));
  stalled.abort();
  await assert.rejects(stalled, { name: 'AbortError' });
  await closed; // the connection is gone, not left reading
  // The pool still works, on a new connection.
  assert.equal((await request(`${s.url}/big`, [], big.length))[0], 206);
  assert.equal(s.server.connectionsSeen, 2);
});


/** A node:http server that records each request (method, headers, body digest) and answers with `answer(req, body)`. */
async function recording(answer) {
  const seen = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    const hash = createHash('sha256');
    let size = 0;
    const early = answer.early?.(req);
    if (early) {
      // Answer at once, without reading the body.
      res.writeHead(early, { 'content-length': '2', connection: 'close' });
      res.end('no');
      seen.push({ method: req.method, url: req.url, headers: req.headers, early: true });
      return;
    }
    req.on('data', (d) => {
      hash.update(d);
      size += d.length;
    });
    req.on('end', () => {
      const entry = { method: req.method, url: req.url, headers: req.headers, size, sha256: hash.digest('hex') };
      seen.push(entry);
      const [status, headers, body] = answer(req, entry);
      res.writeHead(status, headers);
      res.end(body);
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A `pull(at)` over `bytes` in pieces of `piece` bytes, recording the offsets asked for. */
function puller(bytes, piece = 256 << 10) {
  const asked = [];
  const pull = (at) => {
    asked.push(at);
    return at < bytes.length ? bytes.slice(at, Math.min(at + piece, bytes.length)) : undefined;
  };
  return { pull, asked };
}

test('whole-answer client: a request body is written as the connection takes it, with its length; a POST without one says 0; HEAD answers have no body', async (t) => {
  const s = await recording((req, entry) => {
    if (req.method === 'HEAD') return [200, { 'content-length': '1000', 'x-linked-size': '7' }, undefined];
    return [200, { 'content-type': 'application/json' }, JSON.stringify({ got: entry.size, sha256: entry.sha256 })];
  });
  t.after(s.close);
  const body = randomFillSync(Buffer.alloc((5 << 20) + 123));
  const { pull, asked } = puller(body);
  const [status, , answer] = await request(`${s.url}/v1/xorbs/default/abc`, ['content-type', 'application/octet-stream'], 1000, 'POST', body.length, pull);
  assert.equal(status, 200);
  const parsed = JSON.parse(text(answer));
  assert.deepEqual(parsed, { got: body.length, sha256: createHash('sha256').update(body).digest('hex') });
  assert.equal(s.seen[0].headers['content-length'], String(body.length));
  assert.equal(s.seen[0].method, 'POST');
  assert.deepEqual(asked, Array.from({ length: asked.length }, (_, i) => i * (256 << 10)), 'offsets in order, each piece once');
  assert.equal(asked.length, Math.ceil(body.length / (256 << 10)));

  const [empty] = await request(`${s.url}/api/x`, [], 1000, 'POST');
  assert.equal(empty, 200);
  assert.equal(s.seen[1].headers['content-length'], '0');
  const [headStatus, headHeaders, headBody] = await request(`${s.url}/r`, [], 1000, 'HEAD');
  assert.equal(headStatus, 200);
  assert.match(headHeaders, /x-linked-size: 7/);
  assert.equal(Buffer.concat([headBody].flat()).length, 0);
  // Then the same kept-alive connection still works.
  assert.equal((await request(`${s.url}/api/y`, [], 1000))[0], 200);
  assert.equal(s.connections(), 1);
});

test('whole-answer client: an answer before the body was sent (401) is the answer, and its connection is not reused; a body shorter than its size fails', async (t) => {
  const answer = (req, entry) => [200, {}, String(entry.size)];
  answer.early = (req) => (req.url === '/early' ? 401 : 0);
  const s = await recording(answer);
  t.after(s.close);
  const body = randomFillSync(Buffer.alloc(32 << 20));
  const [status, , b] = await request(`${s.url}/early`, [], 1000, 'POST', body.length, puller(body).pull);
  assert.equal(status, 401);
  assert.equal(text(b), 'no');
  const [ok, , size] = await request(`${s.url}/after`, [], 1000, 'POST', 10, puller(Buffer.alloc(10, 1)).pull);
  assert.deepEqual([ok, text(size)], [200, '10']);
  assert.equal(s.connections(), 2, 'a new connection after the early answer');
  // A pull that runs dry before `size` bytes: the request fails instead of hanging.
  await assert.rejects(request(`${s.url}/short`, [], 1000, 'POST', 100, puller(Buffer.alloc(10)).pull), /did not match its size/);
});

test('whole-answer client: an answer over the limit rejects with ERR_HFB_TOO_LARGE; a connection idle past the server\'s keep-alive timeout is not reused', async (t) => {
  const s = await recording((req) => (req.url === '/big' ? [200, {}, 'x'.repeat(2000)] : [200, { 'keep-alive': 'timeout=2' }, 'ok']));
  t.after(s.close);
  await assert.rejects(request(`${s.url}/big`, [], 1000), { code: 'ERR_HFB_TOO_LARGE' });
  const before = s.connections();
  assert.equal((await request(`${s.url}/a`, [], 100))[0], 200);
  assert.equal((await request(`${s.url}/b`, [], 100))[0], 200);
  assert.equal(s.connections(), before + 1, 'kept alive while fresh');
  // timeout=2 leaves a second: after 1.2 s idle the connection is replaced, not reused.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  assert.equal((await request(`${s.url}/c`, [], 100))[0], 200);
  assert.equal(s.connections(), before + 2);
});
