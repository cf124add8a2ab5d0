// One retry budget per request: against a tiny server that always fails — 5xx, then bodies cut
// off mid-way, then 401s, in every mix — each request is attempted at most `retries + 1` times
// in all (the old nested loops could reach (retries + 1)²), and a 401 from the CAS is answered
// with at most two fresh tokens. Also: the Rust `source` of an error reaches JS as `cause`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { BucketClient } from 'hf-buckets';

const HASH = 'ab'.repeat(32);
const servers = [];

after(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/**
 * A server that answers every request on a path with the next step of `steps` (the last one
 * forever) and counts the requests per `METHOD path`.
 * Steps: a status number, 'cut' (a 200 whose body breaks off), or a `[status, body]` pair.
 */
async function failingServer(steps) {
  const seen = new Map();
  const server = http.createServer((req, res) => {
    const key = `${req.method} ${new URL(req.url, 'http://x').pathname}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    const step = steps[Math.min(n, steps.length - 1)];
    req.resume();
    if (step === 'cut') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"terms":[');
      setTimeout(() => res.socket?.destroy(), 5);
      return;
    }
    const [status, body] = Array.isArray(step) ? step : [step, '{"error":"injected"}'];
    res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const base = `http://127.0.0.1:${server.address().port}`;
  return { base, count: (key) => seen.get(key) ?? 0, total: () => [...seen.values()].reduce((a, b) => a + b, 0) };
}

function client(base, retries) {
  let tokens = 0;
  const c = new BucketClient({
    endpoint: base,
    accessToken: 'hf_never_sent_to_the_cas',
    retry: { retries, initialDelayMs: 1, maxDelayMs: 2, timeoutMs: 5000 },
  });
  const tokenProvider = async () => {
    tokens += 1;
    return { accessToken: `cas-${tokens}`, exp: Math.floor(Date.now() / 1000) + 3600, casUrl: base };
  };
  return { c, tokenProvider, tokens: () => tokens };
}

const RECONSTRUCTION = `GET /v2/reconstructions/${HASH}`;

// [steps, retries, attempts expected, error name]
const CAS_CASES = [
  [[503], 3, 4, 'ServerError'],
  [['cut'], 3, 4, 'NetworkError'],
  [[401], 3, 3, 'AuthError'], // 1 + two fresh tokens
  [[503, 'cut', 401], 3, 4, 'AuthError'],
  [[401, 401, 502, 'cut'], 3, 4, 'NetworkError'],
  [['cut', 503, 401, 503, 'cut', 401], 5, 6, 'AuthError'],
  [[503, 'cut', 401], 0, 1, 'ServerError'],
  [[401], 0, 1, 'AuthError'],
];

for (const [steps, retries, attempts, name] of CAS_CASES) {
  test(`CAS answering ${steps.join(', ')}… with retries: ${retries}: ${attempts} attempts, then ${name}`, async () => {
    const server = await failingServer(steps);
    const { c, tokenProvider, tokens } = client(server.base, retries);
    await assert.rejects(
      c.getBucketFile('me/b', { xetHash: HASH, size: 10, tokenProvider }),
      (e) => {
        assert.equal(e.name, name, `${e.name}: ${e.message}`);
        return true;
      },
    );
    assert.equal(server.count(RECONSTRUCTION), attempts);
    assert.ok(server.count(RECONSTRUCTION) <= retries + 1);
    assert.equal(server.total(), attempts, 'no other request');
    assert.ok(tokens() <= 3, `${tokens()} tokens`);
  });
}

test('Hub calls: a GET is attempted retries + 1 times after a 5xx or a cut body, once after a 401; a bucket creation once after a cut answer', async () => {
  // Hub answers are read whole, inside the retry budget: a GET cut off mid-answer is safe to
  // send again, a creation (not retry-safe: it may have happened) is not.
  for (const [steps, attempts, name] of [[[503], 4, 'ServerError'], [['cut'], 4, 'NetworkError'], [[401], 1, 'AuthError']]) {
    const server = await failingServer(steps);
    const { c } = client(server.base, 3);
    await assert.rejects(c.bucketInfo('me/b'), (e) => e.name === name);
    assert.equal(server.count('GET /api/buckets/me/b'), attempts, steps.join());
  }
  const server = await failingServer(['cut']);
  const { c } = client(server.base, 3);
  await assert.rejects(c.createBucket('me/b'), (e) => e.name === 'NetworkError');
  assert.equal(server.count('POST /api/buckets/me/b'), 1);
});

test('the Rust source of an error is its JS cause', async () => {
  // A reconstruction that is JSON but not a reconstruction: a ProtocolError caused by the parser.
  const server = await failingServer([[200, '{"offset_into_first_range": 0, "terms": 7}']]);
  const { c, tokenProvider } = client(server.base, 3);
  const e = await c.getBucketFile('me/b', { xetHash: HASH, size: 10, tokenProvider }).then(
    () => assert.fail('resolved'),
    (err) => err,
  );
  assert.equal(e.name, 'ProtocolError', e.message);
  assert.ok(e.cause instanceof Error, `cause: ${e.cause}`);
  assert.match(e.cause.message, /`terms`: expected an array/);
  assert.equal(server.count(RECONSTRUCTION), 1, 'a bad answer is not retried');
});
