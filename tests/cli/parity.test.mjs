// The same sequence through the official Python CLI (`hf buckets`, .venv/bin/hf) and through
// `hf-buckets`, against one local-hub: the same listings and info in json mode, the same end
// state after `cp` (issue 14).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startLocalHub } from '../js/helpers/local-hub.mjs';
import { cli, cliEnv, repoRoot } from './helpers.mjs';

const HF = path.join(repoRoot, '.venv', 'bin', 'hf');
let hub;
let env;
let work;

/** `hf buckets ...args` → stdout (throws with stderr on a non-zero exit). */
async function official(args, input) {
  const child = promisify(execFile)(HF, ['buckets', ...args], {
    env: { ...env, HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_PROGRESS_BARS: '1', NO_COLOR: '1' },
    maxBuffer: 64 << 20,
    encoding: 'buffer',
  });
  if (input !== undefined) child.child.stdin.end(input);
  const { stdout } = await child;
  return stdout;
}

/** `hf-buckets ...args` → stdout (asserts exit 0). */
async function ours(args, input) {
  const r = await cli(args, { env, input });
  assert.equal(r.code, 0, `hf-buckets ${args.join(' ')}: ${r.stderr}`);
  return r.stdoutBytes;
}

const json = (bytes) => JSON.parse(bytes.toString('utf8'));
/** A listing with the per-upload fields (times) left out: they differ between two uploads. */
const stable = (entries) => entries.map(({ mtime, uploaded_at, ...rest }) => rest);

before(async () => {
  hub = await startLocalHub();
  env = cliEnv(hub);
  work = mkdtempSync(path.join(tmpdir(), 'hf-buckets-parity-'));
});

after(async () => {
  await hub?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('human sizes: the same text as hf for boundaries and random sizes', { skip: !existsSync(HF) && 'no .venv/bin/hf' }, async () => {
  const { humanSize } = await import('../../js/cli/format.js');
  const sizes = [0, 1, 999, 1000, 1049, 1050, 1250, 1350, 99_949, 99_950, 999_949, 999_950, 999_999, 1e6, 1e9 - 1, 1e12 - 1, 1e15 - 1, 1e15, 1e18];
  for (let i = 0; i < 500; i++) sizes.push(Math.floor(Math.random() * 10 ** (1 + Math.random() * 15)));
  const python = path.join(repoRoot, '.venv', 'bin', 'python');
  const script = 'import sys, json\nfrom huggingface_hub.cli._file_listing import format_size\nprint(json.dumps([format_size(n, True) for n in json.load(sys.stdin)]))';
  const r = spawnSync(python, ['-c', script], { input: JSON.stringify(sizes), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(sizes.map(humanSize), JSON.parse(r.stdout));
});

test('hf buckets and hf-buckets: same json listings, same info, same state after cp', { skip: !existsSync(HF) && 'no .venv/bin/hf' }, async () => {
  const a = `${hub.user}/parity-py`;
  const b = `${hub.user}/parity-js`;
  assert.deepEqual(json(await official(['create', a, '--json'])), json(await ours(['create', a, '--exist-ok', '--json'])));
  await ours(['create', b]);
  await official(['create', `${hub.user}/parity-empty`]);

  // The same uploads into two buckets, one per CLI.
  const file = path.join(work, 'model.bin');
  writeFileSync(file, randomBytes(3 * 1024 * 1024 + 17));
  writeFileSync(path.join(work, 'notes.txt'), 'some notes\n');
  for (const [id, run] of [[a, official], [b, ours]]) {
    await run(['cp', file, `hf://buckets/${id}/ckpt/`]);
    await run(['cp', path.join(work, 'notes.txt'), `hf://buckets/${id}`]);
    await run(['cp', '-', `hf://buckets/${id}/logs/stdin.txt`], 'from stdin\n');
    await run(['cp', `hf://buckets/${id}/notes.txt`, `hf://buckets/${id}/copies/notes-copy.txt`]);
    await run(['cp', path.join(work, 'notes.txt'), `hf://buckets/${id}/ckpt.txt`]); // sorts before the folder ckpt/
  }
  for (const flags of [['-R'], []]) {
    const pyA = json(await official(['ls', a, ...flags, '--json']));
    // Each CLI reads the other's bucket the same way, byte for byte.
    assert.deepEqual(json(await ours(['ls', a, ...flags, '--json'])), pyA);
    assert.equal((await ours(['ls', a, ...flags, '--json'])).toString(), (await official(['ls', a, ...flags, '--json'])).toString());
    // And the two buckets hold the same files (names, sizes, hashes).
    assert.deepEqual(stable(json(await official(['ls', b, ...flags, '--json']))), stable(pyA));
  }
  assert.ok(json(await ours(['ls', a, '-R', '--json'])).length === 5);
  assert.equal((await ours(['ls', a, '-R'])).toString(), (await official(['ls', a, '-R'])).toString());
  assert.equal((await ours(['ls', a, '-R', '-h'])).toString(), (await official(['ls', a, '-R', '-h'])).toString());
  for (const flags of [['-q'], ['--tree'], ['--tree', '-R'], ['--tree', '-R', '-h'], ['--tree', '-R', '-q']]) {
    assert.equal((await ours(['ls', a, ...flags])).toString(), (await official(['ls', a, ...flags])).toString(), flags.join(' '));
  }
  assert.equal((await ours(['info', a])).toString(), (await official(['info', a])).toString());
  for (const id of [a, b]) {
    assert.equal((await ours(['info', id, '--json'])).toString(), (await official(['info', id, '--json'])).toString());
  }
  assert.deepEqual(json(await ours(['ls', '--json'])), json(await official(['ls', '--json'])));
  assert.equal((await ours(['ls'])).toString(), (await official(['ls'])).toString());
  assert.equal((await ours(['ls', '-h'])).toString(), (await official(['ls', '-h'])).toString());
  assert.equal((await ours(['ls', '-q'])).toString(), (await official(['ls', '-q'])).toString());

  // Downloads: the same bytes to a file and to stdout, from either bucket.
  for (const id of [a, b]) {
    const fromPy = path.join(work, `py-${id.replace('/', '_')}.bin`);
    const fromJs = path.join(work, `js-${id.replace('/', '_')}.bin`);
    await official(['cp', `hf://buckets/${id}/ckpt/model.bin`, fromPy]);
    await ours(['cp', `hf://buckets/${id}/ckpt/model.bin`, fromJs]);
    assert.ok(readFileSync(fromPy).equals(readFileSync(file)));
    assert.ok(readFileSync(fromJs).equals(readFileSync(file)));
    assert.ok((await ours(['cp', `hf://buckets/${id}/logs/stdin.txt`, '-'])).equals(await official(['cp', `hf://buckets/${id}/logs/stdin.txt`, '-'])));
  }

  // move and delete through one CLI are seen by the other.
  await ours(['move', b, `${b}-moved`]);
  assert.equal(json(await official(['info', `${b}-moved`, '--json'])).total_files, 5);
  await official(['delete', `${b}-moved`, '-y']);
  const r = await cli(['info', `${b}-moved`], { env });
  assert.equal(r.stderr, `Error: Bucket '${b}-moved' not found.\n`);
});

test('rm -R with --include/--exclude: the same dry run, result and end state through hf and hf-buckets', { skip: !existsSync(HF) && 'no .venv/bin/hf' }, async () => {
  const { BucketClient } = await import('hf-buckets');
  const api = new BucketClient({ endpoint: hub.hub, accessToken: hub.token });
  const tree = ['README.md', 'logs', 'logs.txt', 'logs/a.log', 'logs/sub/b.tmp', 'logs/keep.tmp', 'logs/sub/c.bin', 'logs_old/x.log', 'other/logs/d.log'];
  const [a, b] = [`${hub.user}/rm-py`, `${hub.user}/rm-js`];
  for (const id of [a, b]) {
    await api.createBucket(id.split('/')[1]);
    const add = tree.map((destination) => ({ source: new TextEncoder().encode(`${destination}\n`), destination }));
    assert.ok((await api.batchBucketFiles(id, { add })).success);
  }
  const filters = ['--include', '*.log', '--include', '*.tmp', '--exclude', '*keep*'];
  const text = (bytes, id) => bytes.toString('utf8').replaceAll(id, 'ID');
  const sortLines = (t) => t.split('\n').sort().join('\n');
  // Dry runs print the same lines (the listing order is the server's, the same for both).
  for (const target of [(id) => `${id}/logs`, (id) => `hf://buckets/${id}/logs/`, (id) => id]) {
    const py = text(await official(['rm', target(a), '-R', ...filters, '--dry-run']), a);
    const js = text(await ours(['rm', target(b), '-R', ...filters, '--dry-run']), b);
    assert.equal(sortLines(js), sortLines(py), target('ID'));
    assert.match(py, /^\(dry run\) \d file\(s\) totaling \d+ B would be removed\.$/m);
  }
  assert.equal(text(await ours(['rm', `${b}/README.md`, '--dry-run']), b), text(await official(['rm', `${a}/README.md`, '--dry-run']), a));
  // The same deletion through each CLI: the same result line and the same files left.
  const pyResult = text(await official(['rm', `${a}/logs`, '-R', ...filters, '-y', '--json']), a);
  const jsResult = text(await ours(['rm', `${b}/logs`, '-R', ...filters, '-y', '--json']), b);
  assert.equal(jsResult, pyResult);
  assert.deepEqual(JSON.parse(jsResult), { bucket_id: 'ID', files_deleted: 2, size: '26 B' });
  // (An empty bucket lists as no output at all in json mode.)
  const left = async (id) => {
    const out = await official(['ls', id, '-R', '--json']);
    return out.toString().trim() ? stable(json(out)) : [];
  };
  assert.deepEqual(await left(b), await left(a));
  assert.deepEqual((await left(b)).map((e) => e.path), ['README.md', 'logs', 'logs.txt', 'logs/keep.tmp', 'logs/sub/c.bin', 'logs_old/x.log', 'other/logs/d.log']);
  // A single file, then everything left.
  assert.equal(text(await ours(['rm', `${b}/logs`, '-y']), b), text(await official(['rm', `${a}/logs`, '-y']), a));
  assert.equal(text(await ours(['rm', b, '-R', '-y']), b), text(await official(['rm', a, '-R', '-y']), a));
  assert.deepEqual(await left(a), []);
  assert.deepEqual(await left(b), []);
});

test('sync through hf and hf-buckets: the same --dry-run plans (but the timestamp), the same end state after sync --delete', { skip: !existsSync(HF) && 'no .venv/bin/hf' }, async () => {
  const { mkdirSync, readdirSync, statSync, utimesSync } = await import('node:fs');
  const { BucketClient } = await import('hf-buckets');
  const api = new BucketClient({ endpoint: hub.hub, accessToken: hub.token });
  const [a, b] = [`${hub.user}/sync-py`, `${hub.user}/sync-js`];
  for (const id of [a, b]) await api.createBucket(id.split('/')[1]);
  const src = path.join(work, 'sync-src');
  const T = 1_771_408_800; // 2026-02-18T10:00:00Z, seconds
  const write = (rel, content, t = T) => {
    const p = path.join(src, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
    utimesSync(p, t, t);
  };
  for (const [rel, content] of Object.entries({ 'README.md': 'readme\n', 'logs.txt': 'top log\n', 'logs/a.log': 'a\n', 'logs/sub/b.tmp': 'tmp\n', 'data/ünï cødé.bin': 'unicode\n', 'empty.txt': '', '.hidden/h': 'h\n' })) write(rel, content);
  /** The plan without its timestamp, and with the bucket id made neutral. */
  const planOf = (bytes, id) => bytes.toString('utf8').replaceAll(id, 'ID').split('\n').filter(Boolean).map((l) => {
    const o = JSON.parse(l);
    delete o.timestamp;
    return o;
  });
  const flagSets = [[], ['--delete'], ['--include', '*.log', '--exclude', 'logs/sub/*'], ['--existing'], ['--ignore-existing', '--delete'], ['--ignore-times'], ['--ignore-sizes']];
  const samePlans = async (dirOf, label) => {
    for (const flags of flagSets) {
      const [py, js] = [await official(['sync', ...dirOf(a), ...flags, '--dry-run']), await ours(['sync', ...dirOf(b), ...flags, '--dry-run'])];
      assert.deepEqual(planOf(js, b), planOf(py, a), `${label} ${flags.join(' ')}`);
    }
  };
  const up = (id) => [src, `hf://buckets/${id}/tree`];
  await samePlans(up, 'upload, empty bucket');
  await official(['sync', ...up(a)]);
  await ours(['sync', ...up(b)]);
  // Changes: a size change, an mtime change, a content change with the same size, a new and a removed file.
  write('README.md', 'readme, longer\n');
  write('logs.txt', 'top log\n', T + 3600);
  write('logs/a.log', 'A\n');
  write('new/file.txt', 'new\n');
  rmSync(path.join(src, 'logs/sub/b.tmp'));
  await samePlans(up, 'upload, changed tree');
  await official(['sync', ...up(a), '--delete']);
  await ours(['sync', ...up(b), '--delete']);
  const listing = async (id) => stable(json(await official(['ls', id, '-R', '--json']))).map((e) => ({ ...e, path: e.path }));
  assert.deepEqual(await listing(b), await listing(a));
  assert.ok((await listing(a)).some((e) => e.path === 'tree/new/file.txt'));
  assert.ok(!(await listing(a)).some((e) => e.path === 'tree/logs/sub/b.tmp'));

  // Download: the same plans into folders with extras, the same files after --delete.
  const [dirPy, dirJs] = [path.join(work, 'sync-down-py'), path.join(work, 'sync-down-js')];
  for (const d of [dirPy, dirJs]) {
    mkdirSync(path.join(d, 'logs'), { recursive: true });
    writeFileSync(path.join(d, 'extra.txt'), 'extra\n');
    writeFileSync(path.join(d, 'logs', 'a.log'), 'local\n');
  }
  const down = (id) => [`hf://buckets/${id}/tree`, id === a ? dirPy : dirJs];
  for (const flags of flagSets) {
    const [py, js] = [await official(['sync', ...down(a), ...flags, '--dry-run']), await ours(['sync', ...down(b), ...flags, '--dry-run'])];
    const neutral = (plan, dir) => plan.map((o) => (o.type === 'header' ? { ...o, dest: o.dest.replace(dir, 'DIR') } : { ...o, local_mtime: o.local_mtime ? 'T' : undefined }));
    assert.deepEqual(neutral(planOf(js, b), dirJs), neutral(planOf(py, a), dirPy), `download ${flags.join(' ')}`);
  }
  await official(['sync', ...down(a), '--delete']);
  await ours(['sync', ...down(b), '--delete']);
  const tree = (root) => {
    const out = {};
    const walk = (d) => {
      for (const name of readdirSync(d)) {
        const p = path.join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else out[path.relative(root, p)] = readFileSync(p, 'utf8');
      }
    };
    walk(root);
    return out;
  };
  assert.deepEqual(tree(dirJs), tree(dirPy));
  assert.equal(tree(dirJs)['extra.txt'], undefined);
  assert.equal(tree(dirJs)['README.md'], 'readme, longer\n');
});
