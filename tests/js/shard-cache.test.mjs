// Node's local shard cache (js/node/shard-cache.js, src/upload/cache.rs): a session's shard is
// kept once the CAS accepted it, so uploading the same content again (another client, another
// path) answers its dedup queries locally — none is sent — and stores nothing new; the bytes in
// the bucket are the same. `shardCache: false` and HF_BUCKETS_SHARD_CACHE=0 send the queries; a
// damaged entry is a miss; past HF_BUCKETS_SHARD_CACHE_MIB the oldest shards go.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomFillSync, createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BucketClient } from 'hf-buckets';
import { startLocalHub } from './helpers/local-hub.mjs';

let local;
let cacheRoot;
const saved = { ...process.env };

before(async () => {
  local = await startLocalHub();
  cacheRoot = mkdtempSync(path.join(tmpdir(), 'hfb-shard-cache-'));
  process.env.HF_BUCKETS_CACHE = cacheRoot;
});

after(async () => {
  process.env = saved;
  await local?.stop();
  rmSync(cacheRoot, { recursive: true, force: true });
});

const newClient = () => new BucketClient({ endpoint: local.hub, accessToken: local.token });
let n = 0;
async function newBucket() {
  const { bucketId } = await newClient().createBucket(`sc-${(n++).toString(36)}-${Date.now().toString(36)}`);
  return bucketId;
}

/** `count` files of 4 KiB of fresh random bytes. */
const contents = (count) => Array.from({ length: count }, () => randomFillSync(new Uint8Array(4096)));
const add = (files, dir) => files.map((source, i) => ({ source, destination: `${dir}/${i}.bin` }));

/** The cache folder of local-hub's CAS (there is one CAS, so one folder). */
function cacheDir() {
  const shards = path.join(cacheRoot, 'shards');
  const [only] = readdirSync(shards);
  return path.join(shards, only);
}
const shardFiles = () => readdirSync(cacheDir()).filter((f) => f.endsWith('.shard'));

/**
 * An upload of `count` files whose content the CAS already holds asked the CAS, not the cache:
 * at least one query, at most one per file (an answer lists the whole xorb, so it can cover
 * the files whose queries were not sent yet), and every byte deduplicated.
 */
function askedTheCas(r, count) {
  assert.equal(r.upload.dedupCacheHits, 0);
  assert.ok(r.upload.dedupQueries >= 1 && r.upload.dedupQueries <= count, `${r.upload.dedupQueries} queries for ${count} files`);
  assert.equal(r.upload.dedupBytes, r.upload.bytes);
}

test('the same content uploaded again (another client, other paths) is found in the cache: no query, nothing stored', async () => {
  const bucketId = await newBucket();
  const files = contents(30);
  const first = await newClient().batchBucketFiles(bucketId, { add: add(files, 'first') });
  assert.equal(first.upload.dedupQueries, 30);
  assert.equal(first.upload.dedupCacheHits, 0);
  assert.equal(shardFiles().length, 1);
  const index = statSync(path.join(cacheDir(), 'index')).size;
  assert.ok(index >= 30 * 40 && index % 40 === 0, `index of ${index} bytes`);

  const again = await newClient().batchBucketFiles(bucketId, { add: add(files, 'again') });
  assert.equal(again.success, true);
  assert.equal(again.upload.dedupQueries, 0);
  // The first file's lookup brings the whole session shard: the other files are found in it.
  assert.equal(again.upload.dedupCacheHits, 1);
  assert.equal(again.upload.newBytes, 0);
  assert.equal(again.upload.xorbs, 0);
  for (const [i, f] of again.upload.files.entries()) assert.equal(f.xetHash, first.upload.files[i].xetHash);
  const back = await newClient().getBucketFile(bucketId, { path: 'again/7.bin' });
  assert.deepEqual(Buffer.from(back), Buffer.from(files[7]));
});

test('shardCache: false and HF_BUCKETS_SHARD_CACHE=0 ask the CAS instead (and keep nothing)', async () => {
  const bucketId = await newBucket();
  const files = contents(12);
  await newClient().batchBucketFiles(bucketId, { add: add(files, 'a') });
  const off = await newClient().batchBucketFiles(bucketId, { add: add(files, 'b'), shardCache: false });
  askedTheCas(off, 12);
  assert.equal(off.upload.newBytes, 0, 'the CAS answers dedup them');

  process.env.HF_BUCKETS_SHARD_CACHE = '0';
  try {
    const before = shardFiles().length;
    const fresh = contents(5);
    const r = await newClient().batchBucketFiles(bucketId, { add: add(fresh, 'c') });
    assert.equal(r.upload.dedupQueries, 5);
    const again = await newClient().batchBucketFiles(bucketId, { add: add(fresh, 'd') });
    assert.equal(again.upload.dedupCacheHits, 0);
    assert.equal(shardFiles().length, before, 'nothing kept');
  } finally {
    delete process.env.HF_BUCKETS_SHARD_CACHE;
  }
});

test('a shard kept more than a week ago is not used', async () => {
  const bucketId = await newBucket();
  const files = contents(6);
  await newClient().batchBucketFiles(bucketId, { add: add(files, 'old') });
  const dir = cacheDir();
  const weekAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
  for (const f of shardFiles()) utimesSync(path.join(dir, f), weekAgo, weekAgo);
  const again = await newClient().batchBucketFiles(bucketId, { add: add(files, 'new') });
  askedTheCas(again, 6);
  // That upload kept its own shard, and the old ones went.
  assert.equal(shardFiles().length, 1);
});

test('a damaged shard in the cache is a miss: the CAS answers, the upload is right', async () => {
  const bucketId = await newBucket();
  const files = contents(8);
  const first = await newClient().batchBucketFiles(bucketId, { add: add(files, 'x') });
  // The newest shard is this upload's: overwrite it with garbage.
  const dir = cacheDir();
  const newest = shardFiles().sort((a, b) => statSync(path.join(dir, b)).mtimeMs - statSync(path.join(dir, a)).mtimeMs)[0];
  writeFileSync(path.join(dir, newest), 'not a shard');
  const again = await newClient().batchBucketFiles(bucketId, { add: add(files, 'y') });
  askedTheCas(again, 8);
  assert.deepEqual(again.upload.files.map((f) => f.xetHash), first.upload.files.map((f) => f.xetHash));
  const back = await newClient().getBucketFile(bucketId, { path: 'y/3.bin' });
  assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(files[3]).digest('hex'));
});

test('past HF_BUCKETS_SHARD_CACHE_MIB the oldest shards go, and their index records with them', async () => {
  const bucketId = await newBucket();
  process.env.HF_BUCKETS_SHARD_CACHE_MIB = '0';
  try {
    await newClient().batchBucketFiles(bucketId, { add: add(contents(3), 'z') });
    assert.deepEqual(shardFiles(), []);
    assert.equal(readFileSync(path.join(cacheDir(), 'index')).length, 0);
  } finally {
    delete process.env.HF_BUCKETS_SHARD_CACHE_MIB;
  }
});
