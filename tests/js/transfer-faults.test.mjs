// The transfer engine under faults injected by local-hub (local-hub/README.md, "Fault rules"):
// uploads and downloads complete through 503s, cut connections, expiring tokens, 429s and expired
// transfer URLs; when retries run out nothing is committed; a corrupted xorb byte is an
// IntegrityError and no wrong byte is returned.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { BucketClient } from 'hf-buckets';
import { startLocalHub } from './helpers/local-hub.mjs';
import { MiB, ByteGen, bytes, sha256, streamSha256 } from './helpers/transfer-data.mjs';

let local;
let hub;
let n = 0;

before(async () => {
  local = await startLocalHub();
  // Fast retries so that exhausting them takes well under a second.
  hub = new BucketClient({ endpoint: local.hub, accessToken: local.token, retry: { retries: 3, initialDelayMs: 20, maxDelayMs: 100 } });
});

after(async () => {
  await local?.stop();
});

afterEach(async () => {
  await local?.clearFaults();
});

async function newBucket() {
  const { bucketId } = await hub.createBucket(`f-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`);
  return bucketId;
}

/** Adds rules and returns a function giving how often each fired. */
async function fault(...rules) {
  const { ids } = await local.addFault(rules);
  return async () => {
    const { rules: all } = await local.faults();
    return ids.map((id) => all.find((r) => r.id === id)?.fired ?? 0);
  };
}

const same = (a, b) => Buffer.from(a).equals(Buffer.from(b));

test('503 on a xorb POST, on the shard POST and on a dedup query: the upload completes', async () => {
  const bucket = await newBucket();
  const fired = await fault(
    { target: 'cas', method: 'POST', path: '/v1/xorbs/*', action: 'status', status: 503, retryAfterSecs: 0, count: 2 },
    { target: 'cas', method: 'POST', path: '/v1/shards', action: 'status', status: 503, retryAfterSecs: 0, count: 1 },
    { target: 'cas', method: 'GET', path: '/v1/chunks/*', action: 'status', status: 503, retryAfterSecs: 0, count: 1 },
  );
  const data = bytes(1, 70 * MiB);
  const r = await hub.uploadBucketFile(bucket, { source: data, destination: 'a.bin' });
  assert.deepEqual(await fired(), [2, 1, 1]);
  assert.equal(r.batch.success, true);
  assert.ok(same(await hub.getBucketFile(bucket, { path: 'a.bin' }), data));
});

test('a connection closed mid-body: on a xorb upload answer and on xorb reads', async () => {
  const bucket = await newBucket();
  let fired = await fault({ target: 'cas', method: 'POST', path: '/v1/xorbs/*', action: 'close', afterBytes: 3, count: 1 });
  const data = bytes(2, 9 * MiB);
  await hub.uploadBucketFile(bucket, { source: data, destination: 'a.bin' });
  assert.deepEqual(await fired(), [1]);
  fired = await fault({ target: 'cas', method: 'GET', path: '/v1/fetch_term', action: 'close', count: 2 });
  assert.ok(same(await hub.getBucketFile(bucket, { path: 'a.bin' }), data));
  assert.deepEqual(await fired(), [2]);
  fired = await fault({ target: 'cas', method: 'GET', path: '/v2/reconstructions/*', action: 'close', afterBytes: 10, count: 1 });
  assert.equal((await streamSha256(await hub.openBucketFile(bucket, { path: 'a.bin' }))).sha256, sha256(data));
  assert.deepEqual(await fired(), [1]);
});

test('a CAS token that expires mid-upload is replaced and the upload completes', async () => {
  const bucket = await newBucket();
  // The CAS rejects the token on the 2nd xorb POST as if it had expired...
  const fired = await fault({ target: 'cas', method: 'POST', path: '/v1/xorbs/*', action: 'expireToken', after: 1, count: 1 });
  const gen = new ByteGen(3);
  let i = 0;
  const source = new ReadableStream({
    async pull(c) {
      if (i === 100) return c.close();
      // ...and every token issued so far is revoked halfway through.
      if (i === 50) await local.expireTokens();
      i++;
      c.enqueue(gen.next(MiB).slice());
    },
  });
  const r = await hub.uploadBucketFile(bucket, { source, destination: 'a.bin', xorbConcurrency: 1 });
  assert.deepEqual(await fired(), [1]);
  assert.equal(r.size, 100 * MiB);
  assert.equal(r.batch.success, true);
  // Downloads recover from a revoked read token the same way.
  const stream = await hub.openBucketFile(bucket, { path: 'a.bin' });
  await local.expireTokens();
  await local.addFault({ target: 'cas', path: '/v2/reconstructions/*', action: 'expireToken', count: 1 });
  assert.equal((await streamSha256(stream)).length, 100 * MiB);
  assert.equal((await streamSha256(await hub.openBucketFile(bucket, { path: 'a.bin' }))).length, 100 * MiB);
});

test('429 on the batch call: retried after Retry-After, committed once', async () => {
  const bucket = await newBucket();
  const fired = await fault({ target: 'hub', method: 'POST', path: '/api/buckets/*/batch', action: 'status', status: 429, retryAfterSecs: 1, count: 1 });
  const data = bytes(4, 3 * MiB);
  const r = await hub.uploadBucketFile(bucket, { source: data, destination: 'a.bin' });
  assert.deepEqual(await fired(), [1]);
  assert.equal(r.batch.success, true);
  assert.ok(same(await hub.getBucketFile(bucket, { path: 'a.bin' }), data));
});

test('503 and expired URLs (403) on xorb reads: the download completes', async () => {
  const bucket = await newBucket();
  const data = bytes(5, 5 * MiB);
  await hub.uploadBucketFile(bucket, { source: data, destination: 'a.bin' });
  const fired = await fault(
    { target: 'cas', method: 'GET', path: '/v1/fetch_term', action: 'status', status: 503, retryAfterSecs: 0, count: 2 },
    { target: 'cas', method: 'GET', path: '/v1/fetch_term', action: 'status', status: 403, count: 1 },
    { target: 'cas', method: 'GET', path: '/v2/reconstructions/*', action: 'status', status: 503, retryAfterSecs: 0, count: 1 },
  );
  assert.ok(same(await hub.getBucketFile(bucket, { path: 'a.bin' }), data));
  assert.deepEqual(await fired(), [2, 1, 1]);
});

test('when retries run out nothing is committed and the bucket is unchanged', async () => {
  const bucket = await newBucket();
  await hub.uploadBucketFile(bucket, { source: bytes(6, 1000), destination: 'keep.bin' });
  const before = [];
  for await (const e of hub.listBucketTree(bucket)) before.push(e);
  for (const rule of [
    { target: 'cas', method: 'POST', path: '/v1/xorbs/*', action: 'status', status: 503, retryAfterSecs: 0, count: 0 },
    { target: 'cas', method: 'POST', path: '/v1/shards', action: 'status', status: 500, count: 0 },
    { target: 'hub', method: 'GET', path: '/api/buckets/*/xet-write-token', action: 'status', status: 502, count: 0 },
  ]) {
    await local.addFault(rule);
    const t0 = Date.now();
    await assert.rejects(
      hub.batchBucketFiles(bucket, {
        add: [{ source: bytes(7, 2 * MiB), destination: 'new.bin' }],
        delete: ['keep.bin'],
      }),
      (e) => e.name === 'ServerError' && e.retryable === true,
      rule.path,
    );
    assert.ok(Date.now() - t0 < 10_000);
    await local.clearFaults();
    const after = [];
    for await (const e of hub.listBucketTree(bucket)) after.push(e);
    assert.deepEqual(after, before, `bucket changed after failing ${rule.path}`);
  }
});

test('a corrupted xorb byte makes the download fail with IntegrityError, never wrong bytes', async () => {
  const bucket = await newBucket();
  const data = bytes(8, 3 * MiB);
  await hub.uploadBucketFile(bucket, { source: data, destination: 'a.bin' });
  // Also a file whose xorbs are only partly read (a range), and a compressible one.
  const text = new TextEncoder().encode('hello xet '.repeat(300_000));
  await hub.uploadBucketFile(bucket, { source: text, destination: 't.txt' });
  for (const offset of [undefined, 0, 9, -1]) {
    await local.addFault({ target: 'cas', method: 'GET', path: '/v1/fetch_term', action: 'flipByte', offset, count: 0 });
    await assert.rejects(hub.getBucketFile(bucket, { path: 'a.bin' }), { name: 'IntegrityError' }, `offset ${offset}`);
    await assert.rejects(hub.getBucketFile(bucket, { path: 't.txt' }), { name: 'IntegrityError' }, `offset ${offset}`);
    // A stream errors instead of ending: a stream that ends normally carried the right bytes.
    const stream = await hub.openBucketFile(bucket, { path: 'a.bin' });
    await assert.rejects(streamSha256(stream), { name: 'IntegrityError' });
    await local.clearFaults();
  }
  assert.ok(same(await hub.getBucketFile(bucket, { path: 'a.bin' }), data));
});
