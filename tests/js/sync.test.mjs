// planSync (Node) against local-hub: validation before any request, the local walk rules, the
// decision table, prefixes and the folder boundary, filters, missing buckets and folders, abort,
// and the plan file helpers (toJSONL / formatSyncPlan / parseSyncPlan). Parity with the official
// CLI on the same Hub: tests/python/test_sync_parity.py.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as hf from 'hf-buckets';
import { startLocalHub } from './helpers/local-hub.mjs';
import { bucketWithFiles } from './helpers/sync-fixtures.mjs';

let local;
let hub;
let dir;
let n = 0;
const T0 = 1_771_408_800_000; // 2026-02-18T10:00:00Z in ms

before(async () => {
  local = await startLocalHub();
  hub = new hf.BucketClient({ endpoint: local.hub, accessToken: local.token });
  dir = await mkdtemp(path.join(tmpdir(), 'hf-sync-'));
});

after(async () => {
  await local?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const opts = () => ({ endpoint: local.hub, accessToken: local.token });

function newBucket(files = {}) {
  return bucketWithFiles(hub, `sync-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`, files);
}

/** Writes `files` ({ path: [content, mtimeMs] }) under a fresh folder; returns its path. */
async function newFolder(files = {}) {
  const root = path.join(dir, `local-${n++}`);
  await mkdir(root, { recursive: true });
  for (const [rel, [content, mtime]] of Object.entries(files)) {
    const p = path.join(root, rel);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, content);
    await utimes(p, mtime / 1000, mtime / 1000);
  }
  return root;
}

const brief = (plan) => plan.operations.map((o) => [o.action, o.path, o.reason, o.size]);

test('invalid calls are ValidationErrors before any request', async () => {
  let requests = 0;
  const fetch = (...args) => {
    requests++;
    return globalThis.fetch(...args);
  };
  const folder = await newFolder({ 'a.txt': ['a', T0] });
  const file = path.join(folder, 'a.txt');
  const base = { endpoint: local.hub, accessToken: local.token, fetch };
  const cases = [
    [{ source: folder }, /Both source and destination are required/],
    [{ source: 'hf://buckets/me/bucket', destination: 'hf://buckets/me/other' }, /Remote to remote sync is not supported/],
    [{ source: folder, destination: 'me/bucket' }, /One of source or destination must be a bucket path/],
    [{ source: folder, destination: 'https://huggingface.co/buckets/me/bucket' }, /must be a bucket path/],
    [{ source: folder, destination: 'hf://buckets/me/bucket', ignoreTimes: true, ignoreSizes: true }, /Cannot specify both ignoreTimes and ignoreSizes/],
    [{ source: folder, destination: 'hf://buckets/me/bucket', existing: true, ignoreExisting: true }, /Cannot specify both existing and ignoreExisting/],
    [{ source: file, destination: 'hf://buckets/me/bucket' }, /Source must be an existing directory/],
    [{ source: path.join(folder, 'nope'), destination: 'hf://buckets/me/bucket' }, /Source must be an existing directory/],
    [{ source: 'hf://buckets/me/bucket', destination: file }, /Destination must be a directory/],
    [{ source: folder, destination: 'hf://buckets/me/bucket//c' }, /destination/],
    [{ source: folder, destination: 'hf://buckets/me/bucket', include: '*.bin' }, /include/],
    [{ source: folder, destination: 'hf://buckets/me/bucket', delete: 'yes' }, /delete/],
    [{ source: folder, destination: 'hf://buckets/me/bucket', filterFrom: path.join(folder, 'missing.txt') }, /filter file/],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(hf.planSync({ ...base, ...options }), (e) => {
      assert.ok(hf.isValidationError(e), `${JSON.stringify(options)}: ${e}`);
      assert.match(e.message, message);
      return true;
    });
  }
  assert.equal(requests, 0);
});

test('upload plan: walk rules, the decision table, code-point order', async () => {
  const bucket = await newBucket({
    'same.bin': ['same', T0],
    'size.bin': ['short', T0],
    'newer.bin': ['0123', T0],
    'older.bin': ['0123', T0 + 5000],
    'window.bin': ['0123', T0],
    'no-mtime.bin': ['x', undefined],
    'gone.txt': ['gone', T0],
  });
  const folder = await newFolder({
    'same.bin': ['same', T0 + 500],
    'size.bin': ['longer', T0],
    'newer.bin': ['0123', T0 + 5000],
    'older.bin': ['0123', T0],
    'window.bin': ['0123', T0 + 999.9],
    'no-mtime.bin': ['x', T0],
    'new/deep/é.txt': ['new', T0],
    '.hidden/h': ['h', T0],
    'empty': ['', T0],
  });
  await mkdir(path.join(folder, 'empty-folder'));
  await symlink(path.join(folder, 'new'), path.join(folder, 'folder-link'));
  await symlink(path.join(folder, 'size.bin'), path.join(folder, 'file-link'));
  await symlink(path.join(folder, 'nothing'), path.join(folder, 'broken-link'));

  const plan = await hf.planSync({ ...opts(), source: folder, destination: `hf://buckets/${bucket}` });
  assert.deepEqual(brief(plan), [
    ['upload', '.hidden/h', 'new file', 1],
    ['upload', 'empty', 'new file', 0],
    ['upload', 'file-link', 'new file', 6],
    ['upload', 'new/deep/é.txt', 'new file', 3],
    ['upload', 'newer.bin', 'local newer', 4],
    ['upload', 'no-mtime.bin', 'local newer', 1],
    ['skip', 'older.bin', 'identical', 4],
    ['skip', 'same.bin', 'identical', 4],
    ['upload', 'size.bin', 'size differs', 6],
    ['skip', 'window.bin', 'identical', 4],
  ]);
  assert.deepEqual(plan.summary, { uploads: 7, downloads: 0, deletes: 0, skips: 3, totalSize: 21 });
  assert.equal(plan.direction, 'upload');
  assert.equal(plan.bucketId, bucket);
  const same = plan.operations.find((o) => o.path === 'same.bin');
  assert.equal(same.localMtime, '2026-02-18T10:00:00.500000+00:00');
  assert.equal(same.remoteMtime, '2026-02-18T10:00:00+00:00');
  const noMtime = plan.operations.find((o) => o.path === 'no-mtime.bin');
  assert.equal(noMtime.remoteMtime, '1970-01-01T00:00:00+00:00');

  // --delete adds the bucket-only file; the modes change the reasons.
  const del = await hf.planSync({ ...opts(), source: folder, destination: `hf://buckets/${bucket}`, delete: true });
  assert.deepEqual(brief(del).find((o) => o[1] === 'gone.txt'), ['delete', 'gone.txt', 'not in source (--delete)', 4]);
  const sizes = await hf.planSync({ ...opts(), source: folder, destination: `hf://buckets/${bucket}`, ignoreTimes: true });
  assert.deepEqual(brief(sizes).filter((o) => o[0] === 'upload').map((o) => o[1]), ['.hidden/h', 'empty', 'file-link', 'new/deep/é.txt', 'size.bin']);
  const times = await hf.planSync({ ...opts(), source: folder, destination: `hf://buckets/${bucket}`, ignoreSizes: true });
  assert.deepEqual(brief(times).find((o) => o[1] === 'older.bin'), ['skip', 'older.bin', 'remote newer', 4]);
  assert.deepEqual(brief(times).find((o) => o[1] === 'size.bin'), ['skip', 'size.bin', 'same mtime', 6]);
  const existing = await hf.planSync({ ...opts(), source: folder, destination: `hf://buckets/${bucket}`, existing: true });
  assert.deepEqual(brief(existing).find((o) => o[1] === 'empty'), ['skip', 'empty', 'new file (--existing)', 0]);
  const ignoreExisting = await hf.planSync({ ...opts(), source: folder, destination: `hf://buckets/${bucket}`, ignoreExisting: true, delete: true });
  assert.deepEqual(brief(ignoreExisting).find((o) => o[1] === 'size.bin'), ['skip', 'size.bin', 'exists on receiver (--ignore-existing)', 6]);
  assert.deepEqual(brief(ignoreExisting).find((o) => o[1] === 'gone.txt')?.[0], 'delete');
});

test('download plan: prefix folder boundary, local lookups, delete walk, missing folder', async () => {
  const bucket = await newBucket({
    'logs': ['root file', T0],
    'logs.txt': ['not under logs/', T0],
    'logs-old/x': ['not under logs/', T0],
    'logs/a.log': ['aaaa', T0 + 5000],
    'logs/sub/b.log': ['bb', T0],
  });
  const folder = await newFolder({ 'a.log': ['aaaa', T0], 'sub/b.log': ['bb', T0], 'local-only.txt': ['l', T0] });
  const src = `hf://buckets/${bucket}/logs/`;
  const plan = await hf.planSync({ ...opts(), source: src, destination: folder });
  // The file `logs` is the prefix itself: it maps to its last segment.
  assert.deepEqual(brief(plan), [
    ['download', 'a.log', 'remote newer', 4],
    ['download', 'logs', 'new file', 9],
    ['skip', 'sub/b.log', 'identical', 2],
  ]);
  assert.equal(plan.prefix, 'logs');
  assert.equal(plan.source, src);
  const del = await hf.planSync({ ...opts(), source: src, destination: folder, delete: true });
  assert.deepEqual(brief(del).map((o) => o[0] + ' ' + o[1]), ['download a.log', 'delete local-only.txt', 'download logs', 'skip sub/b.log']);
  // A prefix naming a file maps it to its last segment.
  const one = await hf.planSync({ ...opts(), source: `hf://buckets/${bucket}/logs.txt`, destination: folder });
  assert.deepEqual(brief(one), [['download', 'logs.txt', 'new file', 15]]);
  // A missing destination is fine (everything is new); nothing is created.
  const missing = path.join(dir, 'missing-dest');
  const all = await hf.planSync({ ...opts(), source: `hf://buckets/${bucket}`, destination: missing, delete: true });
  assert.deepEqual(all.operations.map((o) => o.path), ['logs', 'logs-old/x', 'logs.txt', 'logs/a.log', 'logs/sub/b.log']);
  assert.ok(all.operations.every((o) => o.action === 'download'));
  await assert.rejects(import('node:fs/promises').then((fs) => fs.stat(missing)), { code: 'ENOENT' });
});

test('filters: include, exclude, filterFrom precedence; filtered files are never deleted', async () => {
  const bucket = await newBucket({ 'old.tmp': ['t', T0], 'keep/old.bin': ['b', T0], 'x.bin': ['x', T0] });
  const folder = await newFolder({ 'a.bin': ['a', T0], 'logs/b.tmp': ['b', T0], 'keep/c.tmp': ['c', T0], 'd.txt': ['d', T0] });
  const dest = `hf://buckets/${bucket}`;
  const ex = await hf.planSync({ ...opts(), source: folder, destination: dest, delete: true, exclude: ['*.tmp'] });
  assert.deepEqual(ex.operations.map((o) => `${o.action} ${o.path}`), ['upload a.bin', 'upload d.txt', 'delete keep/old.bin', 'delete x.bin']);
  const inc = await hf.planSync({ ...opts(), source: folder, destination: dest, include: ['*.bin'], exclude: ['keep\\*'], delete: true });
  assert.deepEqual(inc.operations.map((o) => `${o.action} ${o.path}`), ['upload a.bin', 'delete x.bin']);
  const rules = path.join(dir, `rules-${n++}.txt`);
  await writeFile(rules, '# comment\n+ keep/*\n- *.tmp\n\n-x.bin\n');
  const ff = await hf.planSync({ ...opts(), source: folder, destination: dest, filterFrom: rules, exclude: ['keep/*'], delete: true });
  assert.deepEqual(ff.operations.map((o) => `${o.action} ${o.path}`), ['upload a.bin', 'upload d.txt', 'upload keep/c.tmp', 'delete keep/old.bin']);
});

test('missing bucket: an upload plans every file as new, a download is NotFoundError', async () => {
  const folder = await newFolder({ 'a.txt': ['a', T0] });
  const plan = await hf.planSync({ ...opts(), source: folder, destination: `hf://buckets/${local.user}/never-made`, delete: true });
  assert.deepEqual(brief(plan), [['upload', 'a.txt', 'new file', 1]]);
  await assert.rejects(hf.planSync({ ...opts(), source: `hf://buckets/${local.user}/never-made`, destination: folder }), (e) =>
    hf.isNotFoundError(e));
});

test('an aborted signal rejects with AbortError', async () => {
  const bucket = await newBucket({ 'a.txt': ['a', T0] });
  const folder = await newFolder({ 'a.txt': ['a', T0] });
  const reason = new Error('stop');
  const c = new AbortController();
  c.abort(reason);
  await assert.rejects(hf.planSync({ ...opts(), source: folder, destination: `hf://buckets/${bucket}`, signal: c.signal }), (e) => {
    assert.ok(hf.isAbortError(e), String(e));
    assert.equal(e.cause, reason);
    return true;
  });
});

test('plan files: toJSONL is the official format; parseSyncPlan reads it back with the --apply rules', async () => {
  const bucket = await newBucket({ 'b.txt': ['bb', T0 + 900] });
  const folder = await newFolder({ 'a "q".txt': ['a', T0 + 0.5], 'b.txt': ['bbb', T0] });
  const plan = await hf.planSync({ ...opts(), source: folder, destination: `hf://buckets/${bucket}` });
  const text = plan.toJSONL();
  assert.equal(text, hf.formatSyncPlan(plan));
  assert.equal(Object.keys(plan).includes('toJSONL'), false);
  const lines = text.split('\n');
  assert.equal(lines.length, 4);
  assert.equal(lines[3], '');
  assert.equal(
    lines[0],
    `{"type": "header", "source": ${JSON.stringify(folder)}, "dest": "hf://buckets/${bucket}", "timestamp": "${plan.timestamp}", ` +
      '"summary": {"uploads": 2, "downloads": 0, "deletes": 0, "skips": 0, "total_size": 4}}',
  );
  assert.match(plan.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
  // utimes stored T0 + 0.5 ms as …000499000 ns; Python prints that file's time as .000499 too.
  assert.equal(
    lines[1],
    '{"type": "operation", "action": "upload", "path": "a \\"q\\".txt", "reason": "new file", "size": 1, "local_mtime": "2026-02-18T10:00:00.000499+00:00"}',
  );
  assert.equal(
    lines[2],
    '{"type": "operation", "action": "upload", "path": "b.txt", "reason": "size differs", "size": 3, ' +
      '"local_mtime": "2026-02-18T10:00:00+00:00", "remote_mtime": "2026-02-18T10:00:00.900000+00:00"}',
  );
  const back = hf.parseSyncPlan(text);
  assert.deepEqual({ ...back }, { ...plan });
  assert.equal(back.toJSONL(), text);

  for (const [bad, message] of [
    ['', /Empty plan file/],
    ['{"type": "operation", "action": "skip", "path": "a"}\n', /expected header/],
    [`${lines[0]}\n{"type": "operation", "action": "download", "path": "../x"}\n`, /'\.\.'/],
    [`${lines[0]}\n{"type": "operation", "action": "move", "path": "x"}\n`, /unknown action/],
    [`${lines[0]}\nnot json\n`, /not JSON/],
    ['{"type": "header", "source": "./a", "dest": "./b", "timestamp": "t"}\n', /must be a bucket path/],
  ]) {
    assert.throws(() => hf.parseSyncPlan(bad), (e) => hf.isValidationError(e) && message.test(e.message), bad);
  }
  assert.throws(() => hf.formatSyncPlan({ source: 'a' }), (e) => hf.isValidationError(e));
});
