// Executing syncs (Node) against local-hub: syncBucket / applySyncPlan / downloadBucketFiles.
// Upload and download syncs with and without delete (bucket and folder byte-identical after),
// the mtime round trip, plans from parseSyncPlan, the --apply conflict rules, bad input refused
// before any request or write, abort, progress, and interruption: a 2,000-file sync in a child
// process (tests/python/sync_node.mjs) killed with SIGKILL 5 times at random points of its
// progress, then re-run (upload, then download); SYNC_KILL_SEED=N replays a run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hf from 'hf-buckets';
import { fileHash } from 'hf-buckets/xet';
import { startLocalHub } from './helpers/local-hub.mjs';

const CHILD = fileURLToPath(new URL('../python/sync_node.mjs', import.meta.url));
const T0 = 1_771_408_800_000; // 2026-02-18T10:00:00Z in ms
const TEMP = /^\..*\.hfb-[0-9a-f]{12}\.part$/;

let local;
let hub;
let dir;
let n = 0;

before(async () => {
  local = await startLocalHub();
  hub = new hf.BucketClient({ endpoint: local.hub, accessToken: local.token });
  dir = await mkdtemp(path.join(tmpdir(), 'hf-sync-apply-'));
});

after(async () => {
  await local?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const opts = () => ({ endpoint: local.hub, accessToken: local.token });

async function newBucket() {
  const { bucketId } = await hub.createBucket(`apply-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`);
  return bucketId;
}

/** Writes `files` ({ path: content | [content, mtimeMs] }) under a fresh folder; returns its path. */
async function newFolder(files = {}) {
  const root = path.join(dir, `local-${n++}`);
  await mkdir(root, { recursive: true });
  await writeFiles(root, files);
  return root;
}

async function writeFiles(root, files) {
  for (const [rel, value] of Object.entries(files)) {
    const [content, mtime] = Array.isArray(value) ? value : [value, T0];
    const p = path.join(root, rel);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, content);
    await utimes(p, mtime / 1000, mtime / 1000);
  }
}

/** Every file under `root`: { relPath: Buffer }, temp files of the writer included. */
async function readTree(root) {
  const out = {};
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath ?? e.path, e.name);
    out[path.relative(root, full).split(path.sep).join('/')] = await readFile(full);
  }
  return out;
}

/** Every file of the bucket under `prefix`: { relPath: Buffer } (downloaded one by one with getBucketFile). */
async function bucketTree(bucketId, prefix = '') {
  const out = {};
  for await (const e of hub.listBucketTree(bucketId, { prefix, recursive: true })) {
    if (e.type !== 'file') continue;
    const rel = prefix ? e.path.slice(prefix.length + 1) : e.path;
    out[rel] = Buffer.from(await hub.getBucketFile(bucketId, { path: e.path }));
  }
  return out;
}

const asText = (tree) => Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, v.toString('latin1')]).sort());

test('upload sync: the bucket folder ends identical; delete removes only with `delete`; a second run sends nothing', async () => {
  const bucketId = await newBucket();
  const files = {
    'a.txt': 'alpha',
    'sub/b.bin': Buffer.alloc(70_000, 3),
    'sub/deep/c.txt': 'gamma',
    'empty.txt': '',
    '.hidden/h': 'h',
    'ünï/日本.txt': 'unicode',
  };
  const root = await newFolder(files);
  const dest = `hf://buckets/${bucketId}/run1`;
  const events = [];
  const first = await hf.syncBucket({ ...opts(), source: root, destination: dest, onProgress: (e) => events.push(e) });
  assert.equal(first.uploaded, 6);
  const last = events.at(-1);
  assert.deepEqual([last.phase, last.filesDone, last.filesTotal, last.bytesDone, last.bytesTotal, last.currentFiles], ['done', 6, 6, first.bytesRead, first.bytesRead, []]);
  assert.equal(last.bytesSent, first.bytesSent);
  assert.deepEqual(first.failed, []);
  assert.equal(first.bytesRead, 70_000 + 5 + 5 + 1 + 7);
  assert.deepEqual(asText(await bucketTree(bucketId, 'run1')), asText(await readTree(root)));

  // Nothing changed: everything is skipped and nothing is sent.
  const again = await hf.syncBucket({ ...opts(), source: root, destination: dest });
  assert.deepEqual([again.uploaded, again.deleted, again.skipped, again.bytesRead, again.bytesSent], [0, 0, 6, 0, 0]);

  // Change one file, remove one: without delete the bucket keeps it; with delete it goes.
  await rm(path.join(root, 'sub/deep/c.txt'));
  await writeFiles(root, { 'a.txt': ['alpha 2', T0 + 60_000] });
  const keep = await hf.syncBucket({ ...opts(), source: root, destination: dest });
  assert.deepEqual([keep.uploaded, keep.deleted], [1, 0]);
  assert.ok((await bucketTree(bucketId, 'run1'))['sub/deep/c.txt']);
  const del = await hf.syncBucket({ ...opts(), source: root, destination: dest, delete: true });
  assert.deepEqual([del.uploaded, del.deleted], [0, 1]);
  assert.deepEqual(asText(await bucketTree(bucketId, 'run1')), asText(await readTree(root)));
});

test('a sync with only `client` given plans and runs with that client (its endpoint and token), both ways; a client that is not a BucketClient is refused', async () => {
  const bucketId = await newBucket();
  const root = await newFolder({ 'a.txt': 'alpha', 'sub/b.txt': 'beta' });
  const dest = `hf://buckets/${bucketId}/c`;
  const plan = await hf.syncBucket({ client: hub, source: root, destination: dest, dryRun: true });
  assert.deepEqual(plan.operations.map((o) => [o.action, o.path]).sort(), [['upload', 'a.txt'], ['upload', 'sub/b.txt']]);
  const up = await hf.syncBucket({ client: hub, source: root, destination: dest });
  assert.equal(up.uploaded, 2);
  const back = path.join(dir, `client-${n++}`);
  const down = await hf.syncBucket({ client: hub, source: dest, destination: back });
  assert.equal(down.downloaded, 2);
  assert.deepEqual(asText(await readTree(back)), asText(await readTree(root)));
  await assert.rejects(
    hf.planSync({ client: { endpoint: local.hub }, source: root, destination: dest }),
    (e) => e instanceof hf.ValidationError && /client must be a BucketClient/.test(e.message),
  );
});

test('download sync: files written with the bucket mtime, local deletes prune empty folders, no temp files left', async () => {
  const bucketId = await newBucket();
  const src = await newFolder({ 'x.txt': ['xx', T0], 'd/y.bin': [Buffer.alloc(40_000, 9), T0 + 1500], 'z/empty': ['', T0 + 250] });
  await hf.syncBucket({ ...opts(), source: src, destination: `hf://buckets/${bucketId}` });
  const dest = path.join(dir, `dest-${n++}`, 'nested'); // missing: created
  const events = [];
  const r = await hf.syncBucket({ ...opts(), source: `hf://buckets/${bucketId}`, destination: dest, onProgress: (e) => events.push(e) });
  assert.equal(r.downloaded, 3);
  assert.equal(r.bytesWritten, 40_002);
  assert.deepEqual(asText(await readTree(dest)), asText(await readTree(src)));
  for (const [rel, ms] of [['x.txt', T0], ['d/y.bin', T0 + 1500], ['z/empty', T0 + 250]]) {
    assert.equal((await stat(path.join(dest, rel))).mtimeMs, ms, rel);
  }
  const last = events.at(-1);
  assert.equal(last.phase, 'done');
  assert.deepEqual([last.filesDone, last.filesTotal, last.bytesDone, last.bytesTotal], [3, 3, 40_002, 40_002]);

  // Local-only files: kept without delete, removed with it (and their emptied folders, not the root).
  await writeFiles(dest, { 'local/only/file.txt': 'L', 'd/extra.txt': 'E' });
  const keep = await hf.syncBucket({ ...opts(), source: `hf://buckets/${bucketId}`, destination: dest });
  assert.deepEqual([keep.downloaded, keep.deleted, keep.skipped], [0, 0, 3]);
  const del = await hf.syncBucket({ ...opts(), source: `hf://buckets/${bucketId}`, destination: dest, delete: true });
  assert.deepEqual([del.downloaded, del.deleted], [0, 2]);
  assert.deepEqual(asText(await readTree(dest)), asText(await readTree(src)));
  assert.deepEqual((await readdir(dest)).sort(), ['d', 'x.txt', 'z']);
});

test('mtime round trip: an upload sync right after a download sync plans nothing', async () => {
  const bucketId = await newBucket();
  const src = await newFolder({ 'a.txt': ['a', T0 + 123], 'b/c.txt': ['c', T0 + 999_999] });
  await hf.syncBucket({ ...opts(), source: src, destination: `hf://buckets/${bucketId}/p` });
  const dest = path.join(dir, `rt-${n++}`);
  await hf.syncBucket({ ...opts(), source: `hf://buckets/${bucketId}/p`, destination: dest });
  // Newer local clocks must not matter: the files carry the bucket's times.
  const plan = await hf.syncBucket({ ...opts(), source: dest, destination: `hf://buckets/${bucketId}/p`, dryRun: true });
  assert.deepEqual(plan.summary, { uploads: 0, downloads: 0, deletes: 0, skips: 2, totalSize: 0 });
  const report = await hf.syncBucket({ ...opts(), source: dest, destination: `hf://buckets/${bucketId}/p` });
  assert.deepEqual([report.uploaded, report.bytesRead], [0, 0]);
});

test('checksum: a same-size, same-mtime content change is sent; an mtime-only change is skipped (both ways)', async () => {
  const bucketId = await newBucket();
  const root = await newFolder({ 'a.txt': ['AAAA', T0], 'b.txt': ['BBBB', T0], 'big.bin': [Buffer.alloc(3_000_000, 1), T0], 'c.txt': ['C', T0] });
  const remote = `hf://buckets/${bucketId}`;
  await hf.syncBucket({ ...opts(), source: root, destination: remote });
  const big = Buffer.alloc(3_000_000, 1);
  big[2_999_999] = 2; // last byte of a multi-chunk file
  await writeFiles(root, { 'a.txt': ['XXXX', T0], 'b.txt': ['BBBB', T0 + 60_000], 'big.bin': [big, T0], 'c.txt': ['CC', T0] });
  const reasons = (plan) => Object.fromEntries(plan.operations.map((o) => [o.path, `${o.action}: ${o.reason}`]));
  const plain = await hf.syncBucket({ ...opts(), source: root, destination: remote, dryRun: true });
  assert.deepEqual(reasons(plain), { 'a.txt': 'skip: identical', 'b.txt': 'upload: local newer', 'big.bin': 'skip: identical', 'c.txt': 'upload: size differs' });
  const sums = await hf.syncBucket({ ...opts(), source: root, destination: remote, checksum: true, dryRun: true });
  assert.deepEqual(reasons(sums), {
    'a.txt': 'upload: content differs (checksum)',
    'b.txt': 'skip: identical (checksum)',
    'big.bin': 'upload: content differs (checksum)',
    'c.txt': 'upload: size differs',
  });
  const r = await hf.syncBucket({ ...opts(), source: root, destination: remote, checksum: true });
  assert.equal(r.uploaded, 3);
  assert.deepEqual(asText(await bucketTree(bucketId)), asText(await readTree(root)));

  // Download: a local copy edited in place with the same size and mtime is restored.
  const dest = path.join(dir, `sum-${n++}`);
  await hf.syncBucket({ ...opts(), source: remote, destination: dest });
  const mtime = (await stat(path.join(dest, 'a.txt'))).mtimeMs;
  await writeFiles(dest, { 'a.txt': ['YYYY', mtime] });
  assert.equal((await hf.syncBucket({ ...opts(), source: remote, destination: dest, dryRun: true })).summary.downloads, 0);
  const d = await hf.syncBucket({ ...opts(), source: remote, destination: dest, checksum: true });
  assert.deepEqual([d.downloaded, d.skipped], [1, 3]);
  assert.equal(await readFile(path.join(dest, 'a.txt'), 'utf8'), 'XXXX');

  for (const other of ['ignoreTimes', 'ignoreSizes']) {
    await assert.rejects(hf.planSync({ ...opts(), source: root, destination: remote, checksum: true, [other]: true }), {
      name: 'ValidationError',
      message: new RegExp(`Cannot specify both checksum and ${other}`),
    });
  }
});

test('applySyncPlan runs a plan read from its JSON Lines (a source file gone since planning is listed in failed); plan options are refused with apply', async () => {
  const bucketId = await newBucket();
  const root = await newFolder({ 'one.txt': '1', 'two/2.txt': '22', 'gone.txt': 'g' });
  const plan = await hf.planSync({ ...opts(), source: root, destination: `hf://buckets/${bucketId}` });
  await rm(path.join(root, 'gone.txt')); // removed between planning and applying
  const parsed = hf.parseSyncPlan(plan.toJSONL());
  for (const [key, value] of [['delete', true], ['include', ['*']], ['source', root], ['ignoreTimes', true], ['dryRun', true], ['checksum', true]]) {
    await assert.rejects(hf.applySyncPlan(parsed, { ...opts(), [key]: value }), (e) => e.name === 'ValidationError' && e.message === `Cannot specify ${key} when using apply.`, key);
  }
  await assert.rejects(hf.syncBucket({ ...opts(), plan: parsed, delete: true }), { name: 'ValidationError' });
  // Still nothing sent.
  assert.deepEqual(await bucketTree(bucketId), {});
  const r = await hf.applySyncPlan(parsed, opts());
  assert.equal(r.uploaded, 2);
  assert.deepEqual(r.failed.map((f) => [f.path, f.action, f.error.name]), [['gone.txt', 'upload', 'NotFoundError']]);
  assert.deepEqual(asText(await bucketTree(bucketId)), asText(await readTree(root)));
  // A plan that is not one.
  await assert.rejects(hf.applySyncPlan(null, opts()), { name: 'ValidationError' });
  await assert.rejects(hf.applySyncPlan({ ...plan, operations: [{ action: 'move', path: 'a' }] }, opts()), { name: 'ValidationError' });
});

test('an upload of more than 1,000 files goes in batch calls of exactly 1,000 adds (files gone since planning left out and listed)', async () => {
  const bodies = [];
  const fetch = async (url, init) => {
    if (init?.method === 'POST' && String(url).endsWith('/batch')) {
      bodies.push(typeof init.body === 'string' ? init.body : new TextDecoder().decode(init.body));
    }
    return globalThis.fetch(url, init);
  };
  const bucketId = await newBucket();
  const files = Object.fromEntries(Array.from({ length: 1010 }, (_, i) => [`d${i % 3}/f${String(i).padStart(4, '0')}.txt`, `${i}`]));
  const root = await newFolder(files);
  const plan = await hf.planSync({ ...opts(), source: root, destination: `hf://buckets/${bucketId}/up` });
  assert.equal(plan.summary.uploads, 1010);
  // One gone from the first page of 1,000 planned paths, two from the second.
  const uploads = plan.operations.map((op) => op.path);
  const gone = [uploads[5], uploads[1000], uploads[1009]];
  for (const rel of gone) await rm(path.join(root, rel));
  const r = await hf.applySyncPlan(plan, { ...opts(), fetch });
  assert.equal(r.uploaded, 1007);
  assert.deepEqual(r.failed.map((f) => [f.path, f.action, f.error.name]), gone.map((p) => [p, 'upload', 'NotFoundError']));
  const adds = bodies.map((b) => b.split('\n').filter((l) => l.includes('"addFile"')).length);
  // Batches overlap (the next starts while the one before commits): the small one may commit first.
  assert.deepEqual(adds.sort((a, b) => b - a), [1000, 7]);
  const stored = [];
  for await (const e of hub.listBucketTree(bucketId, { prefix: 'up', recursive: true })) if (e.type === 'file') stored.push(e.path.slice(3));
  assert.deepEqual(stored.sort(), uploads.filter((p) => !gone.includes(p)).sort());
});

test('an upload sync overlaps its batch calls: the next starts while the one before commits; progress adds up; a failed commit stops the run', async () => {
  const log = [];
  let failBatch = 0;
  let batches = 0;
  const fetch = async (url, init) => {
    const u = String(url);
    if (u.includes('/xet-write-token')) log.push('token');
    if (init?.method === 'POST' && u.endsWith('/batch')) {
      batches += 1;
      log.push(`batch ${batches}`);
      if (batches === failBatch) return new Response(JSON.stringify({ error: 'no writes today' }), { status: 403, headers: { 'content-type': 'application/json' } });
    }
    return globalThis.fetch(url, init);
  };
  const files = Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [`d${i % 7}/f${String(i).padStart(4, '0')}.bin`, Buffer.alloc(2048 + (i % 64), i)]));
  const total = Object.values(files).reduce((sum, b) => sum + b.length, 0);
  const root = await newFolder(files);

  const bucketId = await newBucket();
  const events = [];
  const r = await hf.syncBucket({ ...opts(), fetch, source: root, destination: `hf://buckets/${bucketId}/up`, onProgress: (e) => events.push(e) });
  assert.equal(r.uploaded, 2500);
  assert.deepEqual(r.failed, []);
  assert.equal(r.bytesRead, total);
  // Three batch calls; the second asked for its CAS token before the first committed.
  assert.equal(log.filter((l) => l.startsWith('batch')).length, 3);
  assert.ok(log.indexOf('token', log.indexOf('token') + 1) < log.indexOf('batch 1'), log.join(', '));
  for (let i = 1; i < events.length; i++) {
    for (const k of ['filesDone', 'bytesRead', 'bytesDone']) assert.ok(events[i][k] >= events[i - 1][k], `${k} went back: ${events[i - 1][k]} → ${events[i][k]}`);
  }
  assert.deepEqual([events.at(-1).filesDone, events.at(-1).bytesRead], [2500, total]);
  assert.deepEqual(Object.keys(await bucketTree(bucketId, 'up')).length, 2500);

  // The second commit is refused: the run stops with that error, no third commit is sent, and
  // the first batch's files are stored (the one started before a failure may finish).
  log.length = 0;
  batches = 0;
  failBatch = 2;
  const other = await newBucket();
  await assert.rejects(hf.syncBucket({ ...opts(), fetch, source: root, destination: `hf://buckets/${other}/up` }), { name: 'ForbiddenError' });
  assert.equal(batches, 2, log.join(', '));
  const stored = [];
  for await (const e of hub.listBucketTree(other, { prefix: 'up', recursive: true })) if (e.type === 'file') stored.push(e.path);
  assert.equal(stored.length, 1000);
});

test('bad input is a ValidationError before any request or write', async () => {
  let requests = 0;
  const fetch = (...args) => {
    requests++;
    return globalThis.fetch(...args);
  };
  const base = { ...opts(), fetch };
  const root = await newFolder({ 'f.txt': 'f' });
  const file = path.join(root, 'f.txt');
  const bucketId = await newBucket();
  const dest = path.join(dir, `untouched-${n++}`);
  const ops = (p) => [{ action: 'download', path: p, reason: 'new file', size: 1, remoteMtime: '2026-02-18T10:00:00+00:00' }];
  const handMade = (p) => ({ source: `hf://buckets/${bucketId}`, destination: dest, timestamp: '2026-02-18T10:00:00+00:00', operations: ops(p) });
  const cases = [
    ['missing source folder', () => hf.syncBucket({ ...base, source: path.join(root, 'nope'), destination: `hf://buckets/${bucketId}` }), /Source must be an existing directory/],
    ['destination is a file', () => hf.syncBucket({ ...base, source: `hf://buckets/${bucketId}`, destination: file }), /Destination must be a directory/],
    ['both local', () => hf.syncBucket({ ...base, source: root, destination: dest }), /must be a bucket path/],
    ['both remote', () => hf.syncBucket({ ...base, source: `hf://buckets/${bucketId}`, destination: `hf://buckets/${bucketId}/x` }), /Remote to remote/],
    ['.. in a plan path', () => hf.applySyncPlan(handMade('../escape.txt'), base), /'\.\.' path segment/],
    ['absolute plan path', () => hf.applySyncPlan(handMade('/etc/x'), base), /absolute/],
    ['drive plan path', () => hf.applySyncPlan(handMade('C:/x'), base), /absolute, drive-relative or UNC/],
    ['backslash .. plan path', () => hf.applySyncPlan(handMade('a\\..\\..\\x'), base), /'\.\.' path segment/],
    ['apply into a file', () => hf.applySyncPlan({ ...handMade('ok.txt'), destination: file }, base), /Destination must be a directory/],
    ['negative plan size', () => hf.applySyncPlan({ ...handMade('ok.txt'), operations: [{ ...ops('ok.txt')[0], size: -1 }] }, base), /plan\.operations\[0\]\.size/],
    ['plan operations not an array', () => hf.applySyncPlan({ ...handMade('ok.txt'), operations: { 0: ops('ok.txt')[0] } }, base), /plan\.operations/],
    ['plan operation not an object', () => hf.applySyncPlan({ ...handMade('ok.txt'), operations: [...ops('ok.txt'), 'x'] }, base), /plan\.operations\[1\]/],
    ['unsafe path after 1,000 safe ones', () => hf.applySyncPlan({ ...handMade('ok.txt'), operations: [...Array.from({ length: 1000 }, (_, i) => ops(`f${i}`)[0]), ...ops('../x')] }, base), /'\.\.' path segment/],
    ['.. in downloadBucketFiles', () => hf.downloadBucketFiles(bucketId, { ...base, files: ['ok.txt', '../x'], destination: dest }), /'\.\.' path segment/],
    ['downloadBucketFiles into a file', () => hf.downloadBucketFiles(bucketId, { ...base, prefix: '', destination: file }), /Destination must be a directory/],
    ['files and prefix', () => hf.downloadBucketFiles(bucketId, { ...base, prefix: '', files: [], destination: dest }), /exactly one of/],
    ['bad sync concurrency', () => hf.syncBucket({ ...base, source: root, destination: `hf://buckets/${bucketId}`, concurrency: 1.5 }), /concurrency/],
    ['bad onProgress', () => hf.syncBucket({ ...base, source: root, destination: `hf://buckets/${bucketId}`, onProgress: 'x' }), /onProgress/],
    ['bad concurrency', () => hf.downloadBucketFiles(bucketId, { ...base, prefix: '', destination: dest, concurrency: 0 }), /concurrency/],
  ];
  for (const [name, call, message] of cases) {
    await assert.rejects(call(), (e) => e instanceof hf.ValidationError && message.test(e.message), name);
  }
  assert.equal(requests, 0);
  await assert.rejects(stat(dest), { code: 'ENOENT' });
  assert.deepEqual(await readdir(root), ['f.txt']);
});

test('a local file where the bucket has a folder stops the download before any byte moves', async () => {
  const bucketId = await newBucket();
  const src = await newFolder({ 'a.txt': 'a', 'clash/b.txt': 'b' });
  await hf.syncBucket({ ...opts(), source: src, destination: `hf://buckets/${bucketId}` });
  const dest = await newFolder({ clash: 'a file' });
  await assert.rejects(
    hf.syncBucket({ ...opts(), source: `hf://buckets/${bucketId}`, destination: dest }),
    (e) => e instanceof hf.ValidationError && e.code === 'LOCAL_PATH_CONFLICT',
  );
  assert.deepEqual(asText(await readTree(dest)), { clash: 'a file' });
});

test('downloadBucketFiles: by prefix (folder boundary) with filters, by paths (missing listed), by entries', async () => {
  const bucketId = await newBucket();
  const src = await newFolder({
    'logs/a.log': ['A', T0],
    'logs/sub/b.log': ['BB', T0 + 5000],
    'logs/skip.tmp': ['T', T0],
    'logs.txt': ['not me', T0],
    'other/c.bin': ['C', T0],
  });
  await hf.syncBucket({ ...opts(), source: src, destination: `hf://buckets/${bucketId}` });
  const out = path.join(dir, `dl-${n++}`);
  const events = [];
  const r = await hf.downloadBucketFiles(bucketId, { ...opts(), prefix: 'logs/', destination: out, exclude: ['*.tmp'], onProgress: (e) => events.push(e) });
  assert.deepEqual([r.downloaded, r.skipped, r.missing, r.failed], [2, 1, [], []]);
  assert.deepEqual(asText(await readTree(out)), { 'a.log': 'A', 'sub/b.log': 'BB' });
  assert.equal((await stat(path.join(out, 'sub/b.log'))).mtimeMs, T0 + 5000);
  assert.equal(events.at(-1).filesDone, 2);

  const out2 = path.join(dir, `dl-${n++}`);
  const r2 = await hf.downloadBucketFiles(bucketId, { ...opts(), files: ['other/c.bin', 'logs.txt', 'nope/missing.bin'], destination: out2, concurrency: 1 });
  assert.deepEqual([r2.downloaded, r2.missing], [2, ['nope/missing.bin']]);
  assert.deepEqual(asText(await readTree(out2)), { 'logs.txt': 'not me', 'other/c.bin': 'C' });

  // Listing entries need no lookup; existing files are overwritten.
  await writeFile(path.join(out2, 'logs.txt'), 'stale and longer');
  const entries = [];
  for await (const e of hub.listBucketTree(bucketId, { recursive: true })) if (e.type === 'file' && e.path === 'logs.txt') entries.push(e);
  const r3 = await hf.downloadBucketFiles(bucketId, { ...opts(), files: entries, destination: out2 });
  assert.equal(r3.downloaded, 1);
  assert.equal(await readFile(path.join(out2, 'logs.txt'), 'utf8'), 'not me');
});

test('downloads run `concurrency` files at once, and four times as many files of up to 1 MiB', async () => {
  const bucketId = await newBucket();
  const files = {};
  for (let i = 0; i < 40; i++) files[`small/s${String(i).padStart(2, '0')}.bin`] = Buffer.alloc(1024 + i, i);
  for (let i = 0; i < 6; i++) files[`large/l${i}.bin`] = Buffer.alloc((3 << 19) + i, 100 + i); // 1.5 MiB
  await hf.syncBucket({ ...opts(), source: await newFolder(files), destination: `hf://buckets/${bucketId}` });
  const client = new hf.BucketClient(opts());
  const seen = { small: 0, large: 0, maxSmall: 0, maxLarge: 0, together: 0 };
  const track = (kind, call) => async (...args) => {
    seen[kind] += 1;
    seen[`max${kind === 'small' ? 'Small' : 'Large'}`] = Math.max(seen[`max${kind === 'small' ? 'Small' : 'Large'}`], seen[kind]);
    if (seen.small > 0 && seen.large > 0) seen.together = Math.max(seen.together, seen.small + 4 * seen.large);
    try {
      return await call(...args);
    } finally {
      seen[kind] -= 1;
    }
  };
  client.getBucketFile = track('small', client.getBucketFile.bind(client));
  client.openBucketFile = track('large', client.openBucketFile.bind(client));
  const dest = path.join(dir, `conc-${n++}`);
  const r = await hf.downloadBucketFiles(bucketId, { client, prefix: '', destination: dest, concurrency: 2 });
  assert.equal(r.downloaded, 46);
  assert.ok(seen.maxSmall > 2 && seen.maxSmall <= 8, `${seen.maxSmall} small files at once`);
  assert.ok(seen.maxLarge >= 1 && seen.maxLarge <= 2, `${seen.maxLarge} large files at once`);
  assert.ok(seen.together <= 8, `weight in flight ${seen.together}`);
  assert.deepEqual(asText(await readTree(dest)), asText(files));
});

test('abort: AbortError, and no partial file under a real name', async () => {
  const bucketId = await newBucket();
  const files = {};
  // Enough files that the run is still going when its first progress event shows a transfer
  // (events come at most every 100 ms).
  for (let i = 0; i < 200; i++) files[`f${i}.bin`] = Buffer.alloc(50_000 + i, i);
  const src = await newFolder(files);
  await hf.syncBucket({ ...opts(), source: src, destination: `hf://buckets/${bucketId}` });
  const dest = path.join(dir, `abort-${n++}`);
  const controller = new AbortController();
  let seen = 0;
  await assert.rejects(
    hf.syncBucket({
      ...opts(),
      source: `hf://buckets/${bucketId}`,
      destination: dest,
      concurrency: 4,
      signal: controller.signal,
      onProgress: (e) => {
        if ((e.bytesFetched > 0 || e.bytesDone > 0) && seen++ === 0) controller.abort();
      },
    }),
    { name: 'AbortError' },
  );
  const tree = await readTree(dest);
  assert.ok(Object.keys(tree).length < 200, 'stopped early');
  for (const [rel, bytes] of Object.entries(tree)) {
    assert.ok(!TEMP.test(path.basename(rel)), `temp file left: ${rel}`);
    assert.ok(bytes.equals(files[rel]), rel);
  }
  // An already aborted signal sends nothing.
  await assert.rejects(hf.syncBucket({ ...opts(), source: src, destination: `hf://buckets/${bucketId}/x`, signal: AbortSignal.abort() }), { name: 'AbortError' });
});

// ----------------------------------------------------------------------------- interruption

/** A deterministic PRNG (mulberry32), so a failing run can be replayed. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs the sync in a child process. With `killAt` ({ fraction, delayMs }), kills it with SIGKILL
 * `delayMs` after its progress reports `fraction` of the bytes done (so the kill points spread
 * over the work whatever the machine's speed), unless it ends first.
 */
function childSync(options, killAt) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, 'sync', local.hub, local.token, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SYNC_PROGRESS: '1' },
    });
    let out = '';
    let timer = null;
    let report = null;
    let at = null;
    child.stdout.on('data', (d) => {
      out += d;
      const lines = out.split('\n');
      out = lines.pop();
      for (const line of lines) {
        const msg = JSON.parse(line);
        if (!msg.progress) {
          report = msg;
          continue;
        }
        const e = msg.progress;
        if (killAt && !timer && e.bytesTotal > 0 && e.bytesDone >= killAt.fraction * e.bytesTotal) {
          at = `${e.phase} ${e.filesDone}/${e.filesTotal} files ${e.bytesDone}/${e.bytesTotal} B +${killAt.delayMs}ms`;
          timer = setTimeout(() => child.kill('SIGKILL'), killAt.delayMs);
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, report, at });
    });
  });
}

test('interruption: a 2,000-file upload sync (and a 500-file download sync) killed 5 times, then re-run, ends identical and sends only what was missing', { timeout: 240_000 }, async () => {
  const seed = Number(process.env.SYNC_KILL_SEED ?? Date.now() % 100_000);
  const random = prng(seed);
  const files = {};
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.alloc(64 + Math.floor(random() * 2000));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
    files[`${i < 500 ? 'part' : 'rest'}/d${i % 10}/f${i}.bin`] = bytes;
  }
  const src = await newFolder(files);
  const bucketId = await newBucket();
  const remote = `hf://buckets/${bucketId}`;
  const kills = [];
  const started = Date.now();
  const lap = (what) => kills.push(`${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // Upload: kill at random points, then see what the bucket has. A run that ends before its kill
  // point found little to do: 1,500 new files are added (a run of a few hundred small files ends
  // within the kill delay), so each of the 5 kills interrupts real work.
  let uploadKills = 0;
  let extra = 0;
  for (let attempt = 0; uploadKills < 5 && attempt < 15; attempt++) {
    const r = await childSync({ source: src, destination: remote }, { fraction: 0.1 + random() * 0.8, delayMs: Math.floor(random() * 150) });
    kills.push(`upload at ${r.at}: ${r.signal ?? 'done'}`);
    if (r.signal === 'SIGKILL') {
      uploadKills++;
      continue;
    }
    const added = {};
    for (let i = 0; i < 1500; i++, extra++) added[`more/m${extra}.bin`] = Buffer.from(`extra file ${extra} of seed ${seed}\n`.repeat(1 + (i % 7)));
    await writeFiles(src, added);
    Object.assign(files, added);
  }
  assert.equal(uploadKills, 5, `5 upload runs killed mid-way (${kills})`);
  const present = new Map();
  for await (const e of hub.listBucketTree(bucketId, { recursive: true })) if (e.type === 'file') present.set(e.path, e.size);
  for (const [p, size] of present) assert.equal(size, files[p].length, `${p} (seed ${seed})`);
  const missing = Object.keys(files).filter((p) => !present.has(p));
  lap('upload kills done');
  const final = await childSync({ source: src, destination: remote });
  assert.equal(final.code, 0, JSON.stringify(final.report));
  const report = final.report;
  assert.deepEqual(report.failed, []);
  assert.equal(report.uploaded, missing.length, `seed ${seed}, ${kills}`);
  assert.equal(report.skipped, present.size);
  assert.equal(report.bytesRead, missing.reduce((s, p) => s + files[p].length, 0));
  lap('upload re-run done');
  // Byte-identical: every bucket file's Xet hash (a hash of its content) is the source file's.
  const hashes = new Map();
  for await (const e of hub.listBucketTree(bucketId, { recursive: true })) if (e.type === 'file') hashes.set(e.path, e.xetHash);
  assert.equal(hashes.size, Object.keys(files).length);
  for (const [p, bytes] of Object.entries(files)) assert.equal(hashes.get(p), fileHash(bytes), p);
  lap('bucket checked');
  // Download (the 500 files of part/, to keep the wall time modest): kill at random points;
  // every file under a real name is complete at every point.
  const dest = path.join(dir, `killed-${n++}`);
  const part = Object.fromEntries(Object.entries(files).filter(([p]) => p.startsWith('part/')).map(([p, b]) => [p.slice(5), b]));
  let downloadKills = 0;
  for (let attempt = 0; downloadKills < 5 && attempt < 15; attempt++) {
    const r = await childSync({ source: `${remote}/part`, destination: dest, concurrency: 8 }, { fraction: random() * 0.9, delayMs: Math.floor(random() * 150) });
    kills.push(`download at ${r.at}: ${r.signal ?? 'done'}`);
    if (r.signal === 'SIGKILL') downloadKills++;
    const got = await readTree(dest).catch(() => ({}));
    for (const [rel, bytes] of Object.entries(got)) {
      if (TEMP.test(path.basename(rel))) continue;
      assert.ok(bytes.equals(part[rel]), `half-written ${rel} (seed ${seed}, ${kills})`);
    }
    if (!r.signal) {
      // Finished before its kill point: remove some files so the next run has work again.
      const real = Object.keys(got).filter((p) => !TEMP.test(path.basename(p)));
      for (const rel of real.filter(() => random() < 0.5)) await rm(path.join(dest, rel));
    }
  }
  assert.equal(downloadKills, 5, `5 download runs killed mid-way (${kills})`);
  lap('download kills done');
  const before = await readTree(dest).catch(() => ({}));
  const temps = Object.keys(before).filter((p) => TEMP.test(path.basename(p)));
  const have = Object.keys(before).length - temps.length;
  const rerun = await childSync({ source: `${remote}/part`, destination: dest, delete: true });
  assert.equal(rerun.code, 0);
  assert.equal(rerun.report.downloaded, 500 - have, `seed ${seed}, ${kills}`);
  assert.equal(rerun.report.deleted, temps.length, 'leftover temp files are deleted by a sync with delete');
  lap('download re-run done');
  const after = await readTree(dest);
  assert.equal(Object.keys(after).length, 500);
  for (const [p, bytes] of Object.entries(part)) assert.ok(after[p]?.equals(bytes), p);
  console.log(`interruption: seed ${seed}; ${kills.join('; ')}; upload re-run sent ${report.uploaded} files (${report.bytesRead} bytes read, ${report.bytesSent} sent); download re-run fetched ${rerun.report.downloaded}, removed ${temps.length} temp files`);
});
