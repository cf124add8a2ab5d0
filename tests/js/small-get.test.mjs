// Node's cheap path for small answers (js/node/small-get.js): the CAS's global-dedup queries, one
// per file of a batch, go over node:http with a keep-alive pool instead of `fetch`, with the same
// answers; a process that routes `fetch` elsewhere (a replaced global `fetch`) and a client given
// its own `fetch` keep every query on that route; failing queries cost only the dedup.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { BucketClient } from 'hf-buckets';
import { startLocalHub } from './helpers/local-hub.mjs';

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

/** Counts node:http requests for dedup queries while `fn` runs. */
async function countHttpQueries(fn) {
  let count = 0;
  const onStart = ({ request }) => {
    if (request.path.startsWith('/v1/chunks/')) count += 1;
  };
  diagnostics.subscribe('http.client.request.start', onStart);
  try {
    const result = await fn();
    return { result, count };
  } finally {
    diagnostics.unsubscribe('http.client.request.start', onStart);
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

test('a batch of small files asks one dedup query per file over node:http; their answers deduplicate the same files in a new session', async () => {
  const files = smallFiles(40);
  const first = await countHttpQueries(async () => client().batchBucketFiles(await newBucket(), { add: files }));
  assert.equal(first.result.success, true);
  assert.equal(first.count, 40);
  assert.equal(first.result.upload.newBytes, 40 * 4096);

  const again = await countHttpQueries(async () => client().batchBucketFiles(await newBucket(), { add: files }));
  assert.equal(again.result.success, true);
  assert.ok(again.count >= 1, `${again.count}`);
  assert.equal(again.result.upload.newBytes, 0);
  assert.equal(again.result.upload.dedupBytes, 40 * 4096);
  assert.equal(again.result.upload.xorbs, 0);
});

test('with the global fetch replaced, dedup queries go through it, not node:http', async () => {
  const original = globalThis.fetch;
  const counting = countingFetch(original);
  globalThis.fetch = counting;
  try {
    const files = smallFiles(10);
    const { result, count } = await countHttpQueries(async () => client().batchBucketFiles(await newBucket(), { add: files }));
    assert.equal(result.success, true);
    assert.equal(count, 0);
    assert.equal(counting.queries, 10);
    const again = await client().batchBucketFiles(await newBucket(), { add: files });
    assert.equal(again.upload.newBytes, 0);
  } finally {
    globalThis.fetch = original;
  }
});

test("a client given its own fetch sees every dedup query", async () => {
  const counting = countingFetch();
  const { result, count } = await countHttpQueries(async () =>
    client({ fetch: counting }).batchBucketFiles(await newBucket(), { add: smallFiles(10) }),
  );
  assert.equal(result.success, true);
  assert.equal(count, 0);
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
