// deleteBucketFiles (workflows spec §4, issue 11) against local-hub: the folder boundary of a
// prefix (`logs` / `logs/` never take `logs.txt` or `logs_old/`), include/exclude on the full
// path, dry runs, explicit paths (missing ones reported), more than 1,000 files, validation
// before any request, a missing bucket, abort; the class method and the free functions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as hf from 'hf-buckets';
import * as manual from 'hf-buckets/manual';
import { startLocalHub } from './helpers/local-hub.mjs';

let local;
let hub;
let n = 0;

before(async () => {
  local = await startLocalHub();
  hub = new hf.BucketClient({ endpoint: local.hub, accessToken: local.token });
});

after(async () => {
  await local?.stop();
});

const opts = () => ({ endpoint: local.hub, accessToken: local.token });

const TREE = ['README.md', 'logs', 'logs.txt', 'logs/a.log', 'logs/sub/b.tmp', 'logs/keep.tmp', 'logs_old/x.log', 'other/logs/c.tmp'];

/** A bucket holding `paths`, each file `size(path)` bytes (its path repeated). */
async function newBucket(paths = TREE) {
  const { bucketId } = await hub.createBucket(`del-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`);
  const add = paths.map((destination) => ({ source: new TextEncoder().encode(`${destination}\n`), destination }));
  const r = await hub.batchBucketFiles(bucketId, { add });
  assert.ok(r.success, JSON.stringify(r));
  return bucketId;
}

const size = (p) => p.length + 1;

async function listing(bucketId) {
  const paths = [];
  for await (const e of hub.listBucketTree(bucketId)) if (e.type === 'file') paths.push(e.path);
  return paths.sort();
}

test('a prefix deletes its folder and a file of that name, never logs.txt or logs_old/', async () => {
  for (const prefix of ['logs', 'logs/']) {
    const id = await newBucket();
    const report = await hub.deleteBucketFiles(id, { prefix });
    const gone = ['logs', 'logs/a.log', 'logs/keep.tmp', 'logs/sub/b.tmp'];
    assert.deepEqual([...report.deleted].sort(), gone, prefix);
    assert.equal(report.totalSize, gone.reduce((s, p) => s + size(p), 0));
    assert.equal(report.dryRun, false);
    assert.deepEqual(report.missing, []);
    assert.deepEqual(report.failed, []);
    assert.equal(report.success, true);
    assert.deepEqual(await listing(id), ['README.md', 'logs.txt', 'logs_old/x.log', 'other/logs/c.tmp']);
  }
});

test('include / exclude match the full bucket path, with the sync globs', async () => {
  const id = await newBucket();
  // `*` crosses `/`; exclude wins over include.
  let report = await hub.deleteBucketFiles(id, { prefix: '', include: ['*.tmp'], exclude: ['*keep*'] });
  assert.deepEqual([...report.deleted].sort(), ['logs/sub/b.tmp', 'other/logs/c.tmp']);
  // A glob without `*` is anchored: `logs` is only the root file.
  report = await hub.deleteBucketFiles(id, { prefix: '', include: ['logs'] });
  assert.deepEqual(report.deleted, ['logs']);
  // Globs see the full path, not the part under the prefix.
  report = await hub.deleteBucketFiles(id, { prefix: 'logs', include: ['a.log'] });
  assert.deepEqual(report.deleted, []);
  report = await hub.deleteBucketFiles(id, { prefix: 'logs', include: ['logs/*.log'] });
  assert.deepEqual(report.deleted, ['logs/a.log']);
  assert.deepEqual(await listing(id), ['README.md', 'logs.txt', 'logs/keep.tmp', 'logs_old/x.log']);
});

test('dryRun reports and deletes nothing; an empty selection sends nothing', async () => {
  const id = await newBucket();
  const report = await hub.deleteBucketFiles(id, { prefix: 'logs', dryRun: true });
  assert.equal(report.dryRun, true);
  assert.equal(report.deleted.length, 4);
  assert.deepEqual(await listing(id), [...TREE].sort());
  const none = await hub.deleteBucketFiles(id, { prefix: 'nothing-here' });
  assert.deepEqual([none.deleted, none.totalSize, none.success], [[], 0, true]);
});

test('paths: looked up first, missing ones reported and not sent; duplicates once', async () => {
  const id = await newBucket();
  const report = await hf.deleteBucketFiles(id, { ...opts(), paths: ['README.md', 'nope.bin', 'logs', 'README.md', 'logs/sub'] });
  assert.deepEqual(report.deleted, ['README.md', 'logs']);
  assert.deepEqual(report.missing, ['nope.bin', 'logs/sub'], 'a folder is not a file');
  assert.equal(report.totalSize, size('README.md') + size('logs'));
  assert.deepEqual(await listing(id), ['logs.txt', 'logs/a.log', 'logs/keep.tmp', 'logs/sub/b.tmp', 'logs_old/x.log', 'other/logs/c.tmp']);
  await manual.init({ wasm: await readFile(new URL('../../dist/client/hf_buckets_client_bg.wasm', import.meta.url)) });
  const filtered = await manual.deleteBucketFiles(id, { ...opts(), paths: ['logs.txt', 'logs/a.log'], exclude: ['*.txt'], dryRun: true });
  assert.deepEqual(filtered.deleted, ['logs/a.log']);
});

test('more than 1,000 files are deleted in requests of at most 1,000 lines', async () => {
  const { bucketId: id } = await hub.createBucket(`del-many-${Math.random().toString(36).slice(2, 7)}`);
  const seed = await hub.uploadBucketFile(id, { source: new TextEncoder().encode('same bytes'), destination: 'seed' });
  const add = Array.from({ length: 2_345 }, (_, i) => ({ destination: `many/f${String(i).padStart(4, '0')}`, xetHash: seed.xetHash }));
  for (let i = 0; i < add.length; i += 1000) assert.ok((await hub.batchBucketFiles(id, { add: add.slice(i, i + 1000) })).success);
  const report = await hub.deleteBucketFiles(id, { prefix: 'many' });
  assert.equal(report.success, true, JSON.stringify(report.failed.slice(0, 3)));
  assert.equal(report.deleted.length, 2_345);
  assert.equal(report.totalSize, 2_345 * 10);
  assert.deepEqual(await listing(id), ['seed']);
});

test('bad input is a ValidationError before any request', async () => {
  // Nothing listens on port 9: a request would be a NetworkError.
  const offline = new hf.BucketClient({ endpoint: 'http://127.0.0.1:9', accessToken: 'hf_x', retry: { maxRetries: 0 } });
  const cases = [
    [{}, /prefix/],
    [{ prefix: 'a', paths: ['b'] }, /not both/],
    [{ prefix: '../x' }, /prefix/],
    [{ paths: ['/abs'] }, /path/],
    [{ paths: 'a.bin' }, /paths/],
    [{ prefix: '', include: '*.tmp' }, /include/],
    [{ prefix: '', dryRun: 'yes' }, /dryRun/],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(offline.deleteBucketFiles('me/b', options), (e) => e.name === 'ValidationError' && message.test(e.message), JSON.stringify(options));
  }
  await assert.rejects(offline.deleteBucketFiles('not a bucket', { prefix: '' }), { name: 'ValidationError' });
  await assert.rejects(offline.deleteBucketFiles('me/b'), { name: 'ValidationError' });
});

test('a missing bucket is a NotFoundError; an aborted call an AbortError', async () => {
  await assert.rejects(hub.deleteBucketFiles(`${local.user}/no-such-bucket`, { prefix: '' }), (e) => e.name === 'NotFoundError' && hf.isHubError(e));
  await assert.rejects(hub.deleteBucketFiles(`${local.user}/no-such-bucket`, { paths: ['a'] }), { name: 'NotFoundError' });
  const id = await newBucket();
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(hub.deleteBucketFiles(id, { prefix: '', signal: controller.signal }), { name: 'AbortError' });
  assert.deepEqual(await listing(id), [...TREE].sort(), 'nothing deleted');
});
