// `hf-buckets` end to end (issue 14): every command and flag of this first part, spawned as a
// child process against one local-hub: human, json and quiet output, exit codes (1 errors,
// 2 usage, 130 Ctrl-C), stdin/stdout `cp`, `-y` prompts, credentials, the progress bar in a
// pseudo-terminal, SIGINT during a 200 MiB upload, and `hf-buckets local-hub`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync, createWriteStream, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startLocalHub } from '../js/helpers/local-hub.mjs';
import { BIN, cli, cliEnv, cliLine, inTerminal, lines } from './helpers.mjs';

let hub;
let env;
let work;
const uniq = (p) => `${p}-${Math.random().toString(36).slice(2, 8)}`;

/** One `Error: …` line, nothing else (no stack trace). */
function assertOneLineError(r, code, pattern) {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  const errLines = lines(r.stderr);
  assert.equal(errLines.length, 1, r.stderr);
  assert.match(errLines[0], /^Error: /);
  if (pattern) assert.match(errLines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

before(async () => {
  hub = await startLocalHub({ tokens: ['reader:hf_reader_token_xyz:read'] });
  env = cliEnv(hub);
  work = mkdtempSync(path.join(tmpdir(), 'hf-buckets-cli-'));
});

after(async () => {
  await hub?.stop();
  if (work) rmSync(work, { recursive: true, force: true }); // the 200 MiB file among others
});

test('help lists the commands of this part, and never the token', async () => {
  const r = await cli(['--help'], { env });
  assert.equal(r.code, 0);
  for (const c of ['cp', 'create', 'delete', 'info', 'list', 'move', 'rm', 'settings', 'sync', 'local-hub']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
  const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  assert.equal((await cli(['--version'], { env })).stdout, `${version}\n`);
  for (const c of ['ls', 'cp', 'create', 'delete', 'info', 'move', 'rm', 'remove', 'settings', 'sync', 'local-hub']) {
    const h = await cli([c, '--help'], { env });
    assert.equal(h.code, 0);
    assert.match(h.stdout, /^Usage: hf-buckets /);
    assert.ok(!h.stdout.includes(hub.token) && !h.stderr.includes(hub.token));
  }
});

test('bad input: a one-line error, exit 2 for usage, never a stack trace', async () => {
  assertOneLineError(await cli(['bogus'], { env }), 2, /No such command 'bogus'/);
  assertOneLineError(await cli(['rsync', 'a', 'b'], { env }), 2, /No such command 'rsync'/);
  assertOneLineError(await cli(['rm', 'a/b'], { env }), 2, /No file path specified\. .*use --recursive to remove all files\. To delete the entire bucket, use `hf-buckets delete a\/b`\./);
  assertOneLineError(await cli(['rm', 'a/b/c', '--include', '*.tmp'], { env }), 2, /--include and --exclude require --recursive\./);
  assertOneLineError(await cli(['rm', 'onlyns'], { env }), 2, /not a bucket id/);
  assertOneLineError(await cli(['rm', 'a/b/c', '--include'], { env }), 2, /--include/);
  assertOneLineError(await cli(['settings', 'a/b'], { env }), 2, /Specify exactly one of --private or --public\./);
  assertOneLineError(await cli(['settings', 'a/b', '--private', '--public'], { env }), 2, /Specify exactly one/);
  assertOneLineError(await cli(['settings', 'a/b/c', '--private'], { env }), 2, /without a path/);
  assertOneLineError(await cli(['ls', '--bogus'], { env }), 2, /No such option '--bogus'/);
  assertOneLineError(await cli(['info'], { env }), 2, /Missing argument/);
  assertOneLineError(await cli(['info', 'a/b', 'c'], { env }), 2, /unexpected extra argument/);
  assertOneLineError(await cli(['ls', '--format', 'xml'], { env }), 2, /--format/);
  assertOneLineError(await cli(['info', 'hf://buckets/onlyns'], { env }), 2, /not a bucket id/);
  assertOneLineError(await cli(['info', 'hf://datasets/a/b'], { env }), 2, /not a bucket/);
  assertOneLineError(await cli(['info', 'a/b/c'], { env }), 2, /without a path/);
  assertOneLineError(await cli(['ls', '--search', 'x', 'a/b'], { env }), 2, /--search/);
  assertOneLineError(await cli(['ls', '-R'], { env }), 2, /only for listing files/);
  assertOneLineError(await cli(['cp', path.join(work, 'no-such-file'), 'hf://buckets/a/b/x'], { env }), 2, /Source file not found/);
  assertOneLineError(await cli(['cp', work, 'hf://buckets/a/b/'], { env }), 2, /not a directory/);
  assertOneLineError(await cli(['cp', 'a.txt', 'b.txt'], { env }), 2, /must be a bucket/);
  assertOneLineError(await cli(['cp', 'a.txt'], { env }), 2, /Missing destination/);
  assertOneLineError(await cli(['cp', 'a.txt', 'hf://datasets/a/b/x'], { env }), 2, /only works with buckets/);
  assertOneLineError(await cli(['cp', '-', 'hf://buckets/a/b/'], { env, input: 'x' }), 2, /full destination path/);
  assertOneLineError(await cli(['cp', 'hf://buckets/a/b/dir/', 'x'], { env }), 2, /must include a file name/);
  assertOneLineError(await cli(['create', 'a/b/c'], { env }), 2, /not a path/);
  assertOneLineError(await cli(['create', 'x', '--region', 'mars'], { env }), 2, /--region/);
  // A name the client refuses (before anything is sent) is an invalid value: exit 1.
  assertOneLineError(await cli(['info', 'bad name/x'], { env }), 1, /^Error: Invalid value\. /);
});

test('create, info and ls of buckets in human, json and quiet output', async () => {
  const name = uniq('cli-create');
  const id = `${hub.user}/${name}`;
  let r = await cli(['create', name, '--private'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), ['✓ Bucket created', `  uri: hf://buckets/${id}`, `  url: ${hub.hub}/buckets/${id}`]);
  r = await cli(['create', name], { env });
  assertOneLineError(r, 1, /already/);
  r = await cli(['create', id, '--exist-ok', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { uri: `hf://buckets/${id}`, url: `${hub.hub}/buckets/${id}` });
  r = await cli(['create', uniq('cli-q'), '-q', '--region', 'eu'], { env });
  assert.match(r.stdout, /^hf:\/\/buckets\/demo\/cli-q-\w+\n$/);

  r = await cli(['info', id], { env });
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(info), ['id', 'private', 'created_at', 'size', 'total_files']);
  assert.equal(info.id, id);
  assert.equal(info.private, true);
  assert.match(info.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
  assert.match(r.stdout, /^\{\n  "id": /); // indented in human mode
  r = await cli(['info', `hf://buckets/${id}`, '--json'], { env });
  assert.deepEqual(JSON.parse(r.stdout), info);
  assert.equal(lines(r.stdout).length, 1);
  assert.equal((await cli(['info', id, '-q'], { env })).stdout, `${id}\n`);
  assert.equal((await cli(['info', id, '--format', 'quiet'], { env })).stdout, `${id}\n`);

  r = await cli(['ls', '--search', name], { env });
  assert.equal(r.code, 0, r.stderr);
  const table = lines(r.stdout);
  assert.match(table[0], /^ID +PRIVATE SIZE TOTAL_FILES CREATED_AT$/);
  assert.match(table[1], /^-+ -+ -+ -+ -+$/);
  assert.equal(table.length, 3);
  assert.match(table[2], new RegExp(`^${id} ✔ +0 +0 \\d{4}-\\d\\d-\\d\\d$`));
  r = await cli(['list', hub.user, '--search', name, '--json'], { env });
  const [row] = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(row), ['id', 'private', 'size', 'total_files', 'created_at']);
  assert.equal(row.created_at, info.created_at.replace('T', ' '));
  assert.equal((await cli(['ls', '--search', name, '-q'], { env })).stdout, `${id}\n`);
  assert.equal((await cli(['ls', '--search', 'no-such-bucket-xyz'], { env })).stdout, 'No results found.\n');
  assert.equal((await cli(['ls', '--search', 'no-such-bucket-xyz', '--json'], { env })).stdout, '[]\n');
});

test('human output on a terminal: colours unless NO_COLOR, tables cut to its width unless --no-truncate', async () => {
  const name = uniq('cli-a-rather-long-bucket-name-for-tables');
  const id = `${hub.user}/${name}`;
  let r = await inTerminal(cliLine(['create', name]), { env });
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /\x1b\[32m✓\x1b\[39m Bucket created/);
  r = await inTerminal(cliLine(['info', id, '--json']), { env });
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colours outside human mode');
  r = await inTerminal(cliLine(['ls', '--search', name]), { env: { ...env, NO_COLOR: '1' }, cols: 50 });
  const shown = r.stdout.replace(/\r/g, '').split('\n').filter(Boolean);
  assert.doesNotMatch(r.stdout, /\x1b\[/);
  assert.ok(shown.slice(0, 3).every((l) => l.length <= 50), JSON.stringify(shown));
  assert.match(shown[2], /^demo\/[\w-]+\.\.\. +0 +0 \d{4}-/);
  assert.match(r.stdout, /Hint: Use --no-truncate to show full values\./);
  r = await inTerminal(cliLine(['ls', '--search', name, '--no-truncate']), { env: { ...env, NO_COLOR: '1' }, cols: 50 });
  assert.match(r.stdout, new RegExp(`^${id} +0 +0 \\d{4}-`, 'm'));
  assert.doesNotMatch(r.stdout, /no-truncate/);
  // Piped: never cut, never coloured.
  r = await cli(['ls', '--search', name], { env });
  assert.match(r.stdout, new RegExp(`^${id} +0 +0 \\d{4}-`, 'm'));
  assert.doesNotMatch(r.stdout, /\x1b\[/);
});

test('a missing bucket: the official message, exit 1', async () => {
  for (const args of [['info', 'demo/no-such-bucket'], ['ls', 'demo/no-such-bucket'], ['delete', 'demo/no-such-bucket', '-y'], ['cp', 'hf://buckets/demo/no-such-bucket/a', work + '/x'], ['rm', 'demo/no-such-bucket/logs', '-R', '-y'], ['rm', 'demo/no-such-bucket/a', '-y']]) {
    assertOneLineError(await cli(args, { env }), 1, /^Error: Bucket 'demo\/no-such-bucket' not found\.$/);
  }
  const r = await cli(['delete', 'demo/no-such-bucket', '-y', '--missing-ok', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { bucket_id: 'demo/no-such-bucket' });
});

test('cp: local → bucket, stdin → bucket, bucket → local and stdout, bucket and repo → bucket; ls of files', async () => {
  const id = `${hub.user}/${uniq('cli-cp')}`;
  const other = `${hub.user}/${uniq('cli-cp2')}`;
  await cli(['create', id], { env });
  await cli(['create', other], { env });
  const local = path.join(work, 'hello.txt');
  const content = randomBytes(300_000);
  writeFileSync(local, content);

  let r = await cli(['cp', local, `hf://buckets/${id}`], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), ['✓ Uploaded', `  src: ${local}`, `  dst: hf://buckets/${id}/hello.txt`]);
  r = await cli(['cp', local, `hf://buckets/${id}/logs/`, '--json'], { env });
  assert.deepEqual(JSON.parse(r.stdout), { src: local, dst: `hf://buckets/${id}/logs/hello.txt` });
  r = await cli(['cp', local, `hf://buckets/${id}/logs/renamed.bin`, '-q'], { env });
  assert.equal(r.stdout, `${local}\n`); // quiet: the first field, as the official CLI prints
  r = await cli(['cp', '-', `hf://buckets/${id}/logs/stdin.txt`], { env, input: 'from stdin\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^✓ Uploaded\n  src: stdin\n/);

  // bucket → stdout: exactly the bytes, nothing else.
  r = await cli(['cp', `hf://buckets/${id}/logs/stdin.txt`, '-'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'from stdin\n');
  r = await cli(['cp', `hf://buckets/${id}/hello.txt`, '-'], { env });
  assert.ok(r.stdoutBytes.equals(content));
  assert.equal(r.stderr, '');

  // bucket → local: ./basename, an existing folder, a new path with missing parents.
  const cwd = mkdtempSync(path.join(work, 'dl-'));
  r = await cli(['cp', `hf://buckets/${id}/logs/renamed.bin`], { env, cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), ['✓ Downloaded', `  src: hf://buckets/${id}/logs/renamed.bin`, '  dst: renamed.bin']);
  assert.ok(readFileSync(path.join(cwd, 'renamed.bin')).equals(content));
  mkdirSync(path.join(cwd, 'into'));
  r = await cli(['cp', `hf://buckets/${id}/hello.txt`, 'into', '--json'], { env, cwd });
  assert.deepEqual(JSON.parse(r.stdout), { src: `hf://buckets/${id}/hello.txt`, dst: path.join('into', 'hello.txt') });
  r = await cli(['cp', `hf://buckets/${id}/logs/stdin.txt`, 'new/deep/s.txt', '-q'], { env, cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(path.join(cwd, 'new/deep/s.txt'), 'utf8'), 'from stdin\n');
  assertOneLineError(await cli(['cp', `hf://buckets/${id}/nope.txt`, 'x'], { env, cwd }), 1, /nope\.txt/);
  assert.ok(!existsSync(path.join(cwd, 'x')));

  // Hub web URLs work wherever an hf:// URI does (on HF_ENDPOINT here).
  r = await cli(['cp', `${hub.hub}/buckets/${id}/resolve/logs/stdin.txt`, '-'], { env });
  assert.equal(r.stdout, 'from stdin\n', r.stderr);
  r = await cli(['ls', `${hub.hub}/buckets/${id}/tree/logs`, '-q'], { env });
  assert.equal(r.stdout, 'logs/hello.txt\nlogs/renamed.bin\nlogs/stdin.txt\n', r.stderr);
  r = await cli(['cp', local, `${hub.hub}/buckets/${other}/tree/web/`, '--json'], { env });
  assert.equal(JSON.parse(r.stdout).dst, `hf://buckets/${other}/web/hello.txt`, r.stderr);
  assertOneLineError(await cli(['info', 'https://example.com/buckets/a/b'], { env }), 2, /example\.com/);

  // bucket → bucket and repo → bucket (server-side copies).
  r = await cli(['cp', `hf://buckets/${id}/hello.txt`, `hf://buckets/${other}/copy.txt`], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), ['✓ Copied', `  src: hf://buckets/${id}/hello.txt`, `  dst: hf://buckets/${other}/copy.txt`]);
  await hub.seedRepo({ type: 'dataset', id: 'acme/cli-docs', files: [{ path: 'README.md', content: '# docs\n' }] });
  r = await cli(['cp', 'hf://datasets/acme/cli-docs/README.md', `hf://buckets/${other}/docs/`, '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { src: 'hf://datasets/acme/cli-docs/README.md', dst: `hf://buckets/${other}/docs/` });
  assert.equal((await cli(['cp', `hf://buckets/${other}/docs/README.md`, '-'], { env })).stdout, '# docs\n');
  assertOneLineError(await cli(['cp', `hf://buckets/${id}/nope.txt`, `hf://buckets/${other}/x`], { env }), 1);

  // ls of files: flat (server order, folders with /), -R, -h, quiet, json, tree.
  r = await cli(['ls', id], { env });
  assert.equal(r.code, 0, r.stderr);
  const flat = lines(r.stdout);
  assert.equal(flat.length, 2);
  assert.match(flat[0], /^ {6}300000  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d  hello\.txt$/);
  assert.match(flat[1], /^ {12}  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d  logs\/$/);
  assert.equal(r.stderr, 'Hint: Use -R to list files recursively.\n');
  r = await cli(['ls', `hf://buckets/${id}/logs`, '-R', '-h'], { env });
  assert.deepEqual(lines(r.stdout).map((l) => [l.slice(0, 12), l.slice(14, 33), l.slice(35)]), [
    ['    300.0 KB', lines(r.stdout)[0].slice(14, 33), 'logs/hello.txt'],
    ['    300.0 KB', lines(r.stdout)[1].slice(14, 33), 'logs/renamed.bin'],
    ['        11 B', lines(r.stdout)[2].slice(14, 33), 'logs/stdin.txt'],
  ]);
  assert.match(lines(r.stdout)[0].slice(14, 33), /^ {7}[A-Z][a-z]{2} \d\d \d\d:\d\d$/);
  assert.equal(r.stderr, '');
  r = await cli(['ls', id, '-q'], { env });
  assert.equal(r.stdout, 'hello.txt\nlogs/\n');
  assert.equal(r.stderr, '', 'no hints in quiet mode');
  r = await cli(['ls', id, '-R', '--json'], { env });
  const entries = JSON.parse(r.stdout);
  assert.deepEqual(entries.map((e) => e.path), ['hello.txt', 'logs/hello.txt', 'logs/renamed.bin', 'logs/stdin.txt']);
  assert.deepEqual(Object.keys(entries[0]), ['type', 'path', 'size', 'xet_hash', 'mtime', 'uploaded_at']);
  assert.equal(entries[0].size, 300000);
  assert.match(entries[0].xet_hash, /^[0-9a-f]{64}$/);
  r = await cli(['ls', id, '--json'], { env });
  assert.deepEqual(JSON.parse(r.stdout)[1], { type: 'directory', path: 'logs', uploaded_at: JSON.parse(r.stdout)[1].uploaded_at });
  r = await cli(['ls', id, '--tree', '-R'], { env });
  const tree = lines(r.stdout);
  assert.deepEqual(tree.map((l) => l.slice('300000  2026-01-01 00:00:00  '.length)), ['├── hello.txt', '└── logs/', '    ├── hello.txt', '    ├── renamed.bin', '    └── stdin.txt']);
  assert.match(tree[0], /^300000  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d  ├── hello\.txt$/);
  assert.match(tree[4], /^    11  \d{4}/);
  r = await cli(['ls', id, '--tree', '-R', '-q'], { env });
  assert.equal(r.stdout, '├── hello.txt\n└── logs/\n    ├── hello.txt\n    ├── renamed.bin\n    └── stdin.txt\n');
  assertOneLineError(await cli(['ls', id, '--tree', '--json'], { env }), 2, /--tree/);
  r = await cli(['ls', `${id}/no-such-folder`], { env });
  assert.equal(r.stdout, '(empty)\n');
});

test('delete asks first: refused unattended without -y, answered in a terminal', async () => {
  const id = `${hub.user}/${uniq('cli-del')}`;
  await cli(['create', id], { env });
  let r = await cli(['delete', id], { env });
  assertOneLineError(r, 1, new RegExp(`^Error: Are you sure you want to delete bucket '${id}'\\? Use --yes to skip confirmation\\.$`));
  r = await inTerminal(cliLine(['delete', id, '--json']), { env });
  assert.equal(r.code, 1, 'json mode refuses even on a terminal');
  assert.equal((await cli(['info', id, '-q'], { env })).code, 0, 'still there');
  r = await inTerminal(cliLine(['delete', id]), { env, input: 'n\n' });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /\[y\/N\]/);
  assert.equal((await cli(['info', id, '-q'], { env })).code, 0, 'still there after "n"');
  r = await inTerminal(cliLine(['delete', id]), { env, input: 'y\n' });
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /Bucket deleted/);
  assertOneLineError(await cli(['info', id], { env }), 1, /not found/);
  const id2 = `${hub.user}/${uniq('cli-del')}`;
  await cli(['create', id2], { env });
  r = await cli(['delete', `hf://buckets/${id2}`, '-y'], { env });
  assert.deepEqual(lines(r.stdout), ['✓ Bucket deleted', `  bucket_id: ${id2}`]);
});

test('rm: one file or a folder prefix (never logs.txt for logs), filters, dry runs, prompts; human, json, quiet', async () => {
  const { BucketClient } = await import('hf-buckets');
  const api = new BucketClient({ endpoint: hub.hub, accessToken: hub.token });
  const tree = ['README.md', 'logs', 'logs.txt', 'logs/a.log', 'logs/sub/b.tmp', 'logs/keep.tmp', 'logs_old/x.log'];
  const seed = async () => {
    const id = `${hub.user}/${uniq('cli-rm')}`;
    await api.createBucket(id.split('/')[1]);
    const add = tree.map((destination) => ({ source: new TextEncoder().encode(`${destination}\n`), destination }));
    assert.ok((await api.batchBucketFiles(id, { add })).success);
    return id;
  };
  const files = async (id) => {
    const out = [];
    for await (const e of api.listBucketTree(id)) out.push(e.path);
    return out.sort();
  };
  const id = await seed();
  const under = ['logs', 'logs/a.log', 'logs/keep.tmp', 'logs/sub/b.tmp'];
  const bytes = under.reduce((n, p) => n + p.length + 1, 0);

  // Dry run: the official lines (human only), nothing deleted.
  let r = await cli(['rm', `${id}/logs`, '-R', '--dry-run'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout).sort(), [...under.map((p) => `delete: hf://buckets/${id}/${p}`), `(dry run) 4 file(s) totaling ${bytes} B would be removed.`].sort());
  assert.match(lines(r.stdout).at(-1), /^\(dry run\)/);
  r = await cli(['rm', `hf://buckets/${id}/logs/`, '-R', '--dry-run', '--json'], { env });
  assert.deepEqual([r.code, r.stdout], [0, ''], 'json: the official CLI prints nothing for a dry run');
  r = await cli(['rm', `${id}/README.md`, '--dry-run'], { env });
  assert.deepEqual(lines(r.stdout), [`delete: hf://buckets/${id}/README.md`, '(dry run) 1 file would be removed.']);
  assert.deepEqual(await files(id), [...tree].sort());

  // Unattended without -y: the files listed, then refused.
  r = await cli(['rm', `${id}/logs`, '-R'], { env });
  assertOneLineError(r, 1, new RegExp(`^Error: Remove 4 file\\(s\\) totaling ${bytes} B from '${id}'\\? Use --yes to skip confirmation\\.$`));
  assert.deepEqual(lines(r.stdout).sort(), under.map((p) => `  ${p}`).sort());
  r = await cli(['rm', `${id}/README.md`], { env });
  assertOneLineError(r, 1, new RegExp(`^Error: Remove 'README.md' from '${id}'\\? Use --yes`));
  r = await inTerminal(cliLine(['rm', `${id}/logs`, '-R']), { env, input: 'n\n' });
  assert.notEqual(r.code, 0);
  assert.deepEqual(await files(id), [...tree].sort(), 'nothing deleted after "n" or without -y');

  // Answered in a terminal: deletes the folder and the file named like it, nothing else.
  r = await inTerminal(cliLine(['rm', `${id}/logs`, '-R']), { env: { ...env, NO_COLOR: '1' }, input: 'y\n' });
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, new RegExp(`Remove 4 file\\(s\\) totaling ${bytes} B from '${id}'\\? \\[y/N\\]`));
  assert.match(r.stdout, new RegExp(`✓ Removed 4 file\\(s\\) totaling ${bytes} B from '${id}'\\s+bucket_id: ${id}\\s+files_deleted: 4\\s+size: ${bytes} B`));
  assert.deepEqual(await files(id), ['README.md', 'logs.txt', 'logs_old/x.log']);

  // Filters on the full path, json and quiet results, single files.
  const id2 = await seed();
  r = await cli(['rm', id2, '-R', '--include', '*.tmp', '--include', '*.log', '--exclude', 'logs_old/*', '--exclude', '*keep*', '-y', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { bucket_id: id2, files_deleted: 2, size: '26 B' });
  assert.deepEqual(await files(id2), ['README.md', 'logs', 'logs.txt', 'logs/keep.tmp', 'logs_old/x.log']);
  r = await cli(['remove', `hf://buckets/${id2}/logs.txt`, '-y', '-q'], { env });
  assert.deepEqual([r.code, r.stdout], [0, 'logs.txt\n']);
  r = await cli(['rm', `${id2}/README.md`, '-y'], { env });
  assert.deepEqual(lines(r.stdout), ['✓ File removed', '  path: README.md', `  bucket_id: ${id2}`]);
  assertOneLineError(await cli(['rm', `${id2}/README.md`, '-y'], { env }), 1, new RegExp(`^Error: File 'README.md' not found in bucket '${id2}'\\.$`));
  r = await cli(['rm', `${id2}/nothing`, '-R', '-y'], { env });
  assert.deepEqual([r.code, r.stdout], [0, 'No files to remove.\n']);
  r = await cli(['rm', `${id2}/nothing`, '-R', '-y', '-q'], { env });
  assert.deepEqual([r.code, r.stdout], [0, '']);
  assert.deepEqual(await files(id2), ['logs', 'logs/keep.tmp', 'logs_old/x.log']);
});

test('sync: the official validation messages, output of plans, dry runs, --plan/--apply, -v, quiet; both directions', async () => {
  const { BucketClient } = await import('hf-buckets');
  const api = new BucketClient({ endpoint: hub.hub, accessToken: hub.token });
  const id = `${hub.user}/${uniq('cli-sync')}`;
  await api.createBucket(id.split('/')[1]);
  const uri = `hf://buckets/${id}/data`;
  const src = path.join(work, uniq('sync-src'));
  const files = { 'a.txt': 'alpha\n', 'logs/b.log': 'bravo\n', 'logs.txt': 'charlie\n', 'deep/er/c.bin': 'delta\n' };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    writeFileSync(path.join(src, rel), content);
  }
  const invalid = (msg) => new RegExp(`^Error: Invalid value\\. ${msg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const planFile = path.join(work, uniq('plan') + '.jsonl');
  for (const [args, msg] of [
    [[], 'Both source and dest are required (unless using apply).'],
    [[src], 'Both source and dest are required (unless using apply).'],
    [[src, path.join(work, 'other')], 'One of source or dest must be a bucket path (hf://buckets/...).'],
    [[`hf://buckets/${id}`, `hf://buckets/${id}/x`], 'Remote to remote sync is not supported. One path must be local.'],
    [[src, uri, '--ignore-times', '--ignore-sizes'], 'Cannot specify both ignore_times and ignore_sizes.'],
    [[src, uri, '--existing', '--ignore-existing'], 'Cannot specify both existing and ignore_existing.'],
    [[src, uri, '--dry-run', '--plan', planFile], 'Cannot specify both dry_run and plan.'],
    [[path.join(work, 'no-such-dir'), uri], `Source must be an existing directory: ${path.join(work, 'no-such-dir')}`],
    [[`hf://buckets/${id}`, path.join(src, 'a.txt')], `Destination must be a directory: ${path.join(src, 'a.txt')}`],
    [['--apply', planFile, src, uri], 'Cannot specify source/dest when using apply.'],
    [['--apply', planFile, '--plan', planFile], 'Cannot specify both plan and apply.'],
  ]) {
    assertOneLineError(await cli(['sync', ...args], { env }), 1, invalid(msg));
  }

  // A dry run prints the JSONL plan, in every output mode, and changes nothing.
  let r = await cli(['sync', src, uri, '--dry-run', '-q'], { env });
  assert.equal(r.code, 0, r.stderr);
  const planLines = lines(r.stdout).map((l) => JSON.parse(l));
  assert.deepEqual(planLines[0].summary, { uploads: 4, downloads: 0, deletes: 0, skips: 0, total_size: 26 });
  assert.deepEqual(planLines.slice(1).map((o) => [o.action, o.path, o.reason]), [
    ['upload', 'a.txt', 'new file'], ['upload', 'deep/er/c.bin', 'new file'], ['upload', 'logs.txt', 'new file'], ['upload', 'logs/b.log', 'new file'],
  ]);
  assert.match(r.stdout, /^\{"type": "header", "source": /);

  // --plan saves it (summary, hint), --apply runs it; flags beside --apply are refused.
  r = await cli(['sync', src, uri, '--plan', planFile], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), [`Sync plan: ${src} -> ${uri}`, '  Uploads: 4', '  Downloads: 0', '  Deletes: 0', '  Skips: 0', `Plan saved to: ${planFile}`]);
  assert.equal(r.stderr, `Hint: Run \`hf-buckets sync --apply ${planFile}\` to execute this plan.\n`);
  assert.deepEqual(JSON.parse(readFileSync(planFile, 'utf8').split('\n')[1]), planLines[1]);
  for (const [flag, name] of [['--delete', 'delete'], ['--ignore-times', 'ignore_times'], ['--include=*.txt', 'include'], ['--dry-run', 'dry_run'], ['--checksum', 'checksum']]) {
    assertOneLineError(await cli(['sync', '--apply', planFile, flag], { env }), 1, invalid(`Cannot specify ${name} when using apply.`));
  }
  r = await cli(['sync', '--apply', planFile, '-v'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), [
    `Sync plan: ${src} -> ${uri}`, '  Uploads: 4', '  Downloads: 0', '  Deletes: 0', '  Skips: 0', 'Executing plan...',
    '  Uploading: a.txt (new file)', '  Uploading: deep/er/c.bin (new file)', '  Uploading: logs.txt (new file)', '  Uploading: logs/b.log (new file)',
    'Sync completed.',
  ]);
  r = await cli(['sync', src, uri, '--json'], { env });
  assert.deepEqual(lines(r.stdout), [`Sync plan: ${src} -> ${uri}`, '  Uploads: 0', '  Downloads: 0', '  Deletes: 0', '  Skips: 4', 'Nothing to sync.']);

  // Upload with --delete and filters; quiet prints nothing.
  rmSync(path.join(src, 'a.txt'));
  writeFileSync(path.join(src, 'new.txt'), 'echo\n');
  r = await cli(['sync', src, uri, '--delete', '--exclude', 'deep/*', '-q'], { env });
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
  const remote = [];
  for await (const e of api.listBucketTree(id)) remote.push(e.path);
  assert.deepEqual(remote.sort(), ['data/deep/er/c.bin', 'data/logs.txt', 'data/logs/b.log', 'data/new.txt']);

  // --filter-from: rules in order, first match wins ('- logs/*' drops logs/b.log); '+' rules alone
  // exclude nothing (the official rule, workflows §1.5); a missing filter file is one line.
  const filterFile = path.join(work, uniq('filters') + '.txt');
  writeFileSync(filterFile, '# comment\n- logs/*\n+ *.txt\n');
  r = await cli(['sync', uri, path.join(work, uniq('filtered')), '--filter-from', filterFile, '--dry-run', '-q'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout).slice(1).map((l) => JSON.parse(l)).map((o) => [o.action, o.path]), [['download', 'deep/er/c.bin'], ['download', 'logs.txt'], ['download', 'new.txt']]);
  assertOneLineError(await cli(['sync', uri, path.join(work, uniq('filtered')), '--filter-from', path.join(work, 'no-such-filter.txt')], { env }), 1, /^Error: .*filter.*no-such-filter\.txt/i);

  // Download into a fresh folder, then --delete removes a local extra; --checksum finds nothing to do.
  const dst = path.join(work, uniq('sync-dst'));
  r = await cli(['sync', uri, dst], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), [`Sync plan: ${uri} -> ${dst}`, '  Uploads: 0', '  Downloads: 4', '  Deletes: 0', '  Skips: 0', 'Syncing...', 'Sync completed.']);
  for (const rel of ['deep/er/c.bin', 'logs.txt', 'logs/b.log', 'new.txt']) assert.equal(readFileSync(path.join(dst, rel), 'utf8'), readFileSync(path.join(src, rel), 'utf8'));
  writeFileSync(path.join(dst, 'extra.txt'), 'x');
  r = await cli(['sync', uri, dst, '--delete', '-v'], { env });
  assert.match(r.stdout, /^  Deleting: extra\.txt \(not in source \(--delete\)\)$/m);
  assert.equal(existsSync(path.join(dst, 'extra.txt')), false);
  r = await cli(['sync', dst, uri, '--checksum', '--dry-run'], { env });
  assert.equal(JSON.parse(lines(r.stdout)[0]).summary.uploads, 0, 'download then upload: nothing to send');
  assertOneLineError(await cli(['sync', `hf://buckets/${hub.user}/no-such-bucket`, dst], { env }), 1, new RegExp(`^Error: Bucket '${hub.user}/no-such-bucket' not found\\.$`));
});

test('cp -R: a local folder to a bucket prefix (no deletes) and back; SRC/ copies the contents', async () => {
  const id = `${hub.user}/${uniq('cli-cpr')}`;
  await cli(['create', id], { env });
  const dir = path.join(work, uniq('cpr'), 'run1');
  for (const [rel, content] of Object.entries({ 'a.txt': 'a\n', 'sub/b.txt': 'bb\n', 'sub/deeper/c.txt': 'ccc\n' })) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  let r = await cli(['cp', '-R', dir, `hf://buckets/${id}/ckpt`, '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { src: dir, dst: `hf://buckets/${id}/ckpt/run1`, files: 3 });
  r = await cli(['cp', '-R', `${dir}/`, `hf://buckets/${id}/flat/`], { env });
  assert.deepEqual(lines(r.stdout), ['✓ Uploaded', `  src: ${dir}/`, `  dst: hf://buckets/${id}/flat`, '  files: 3']);
  // An upload never deletes: a bucket file absent locally stays.
  await cli(['cp', '-', `hf://buckets/${id}/flat/remote-only.txt`], { env, input: 'r\n' });
  r = await cli(['cp', '-R', `${dir}/`, `hf://buckets/${id}/flat`, '-q'], { env });
  assert.deepEqual([r.code, r.stdout], [0, `${dir}/\n`]);
  r = await cli(['ls', id, '-R', '-q'], { env });
  assert.deepEqual(lines(r.stdout).sort(), ['ckpt/run1/a.txt', 'ckpt/run1/sub/b.txt', 'ckpt/run1/sub/deeper/c.txt', 'flat/a.txt', 'flat/remote-only.txt', 'flat/sub/b.txt', 'flat/sub/deeper/c.txt']);

  const down = path.join(work, uniq('cpr-down'));
  r = await cli(['cp', '-R', `hf://buckets/${id}/ckpt/run1`, down, '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { src: `hf://buckets/${id}/ckpt/run1`, dst: path.join(down, 'run1'), files: 3 });
  assert.equal(readFileSync(path.join(down, 'run1', 'sub', 'deeper', 'c.txt'), 'utf8'), 'ccc\n');
  r = await cli(['cp', '-R', `hf://buckets/${id}/flat/`, down], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(path.join(down, 'remote-only.txt'), 'utf8'), 'r\n');
  assert.equal(readFileSync(path.join(down, 'sub', 'b.txt'), 'utf8'), 'bb\n');

  assertOneLineError(await cli(['cp', '-R', `hf://buckets/${id}/nothing`, down], { env }), 1, new RegExp(`^Error: No files found at 'hf://buckets/${id}/nothing' in bucket '${id}'\\.$`));
  assertOneLineError(await cli(['cp', '-R', path.join(dir, 'a.txt'), `hf://buckets/${id}/x/`], { env }), 2, /Source must be an existing directory with -R/);
  assertOneLineError(await cli(['cp', '-R', '-', `hf://buckets/${id}/x`], { env, input: '' }), 2, /-R copies folders/);
});

test('settings: --private / --public change the visibility (human, json, quiet); a missing bucket', async () => {
  const id = `${hub.user}/${uniq('cli-settings')}`;
  await cli(['create', id], { env });
  const isPrivate = async () => JSON.parse((await cli(['info', id, '--json'], { env })).stdout).private;
  let r = await cli(['settings', id, '--private'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `✓ Bucket settings updated\n  bucket_id: ${id}\n  private: true\n`);
  assert.equal(r.stderr, `Hint: Run \`hf-buckets info ${id}\` to view bucket details.\n`);
  assert.equal(await isPrivate(), true);
  r = await cli(['settings', `hf://buckets/${id}`, '--public', '--json'], { env });
  assert.deepEqual(JSON.parse(r.stdout), { bucket_id: id, private: false });
  assert.equal(await isPrivate(), false);
  r = await cli(['settings', id, '--private', '-q'], { env });
  assert.equal(r.stdout, `${id}\n`);
  assert.equal(r.stderr, '');
  assert.equal(await isPrivate(), true);
  assertOneLineError(await cli(['settings', `${hub.user}/${uniq('nope')}`, '--public'], { env }), 1, /^Error: Bucket '.*' not found\.$/);
});

test('move renames a bucket', async () => {
  const from = `${hub.user}/${uniq('cli-mv')}`;
  const to = `${hub.user}/${uniq('cli-mv')}`;
  await cli(['create', from], { env });
  let r = await cli(['move', from, to], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), ['✓ Bucket moved', `  from_id: ${from}`, `  to_id: ${to}`]);
  assertOneLineError(await cli(['info', from], { env }), 1, /not found/);
  r = await cli(['move', to, from, '--json'], { env });
  assert.deepEqual(JSON.parse(r.stdout), { from_id: to, to_id: from });
  assertOneLineError(await cli(['move', to, from], { env }), 1, new RegExp(`Bucket '${to}' not found`));
});

test('credentials: --token, HF_TOKEN, then HF_TOKEN_PATH or $HF_HOME/token; never printed', async () => {
  const name = uniq('cli-cred');
  const base = cliEnv(hub, { HF_TOKEN: undefined });
  // Anonymous: the Hub refuses, and the error says so.
  assertOneLineError(await cli(['create', name], { env: base }), 1);
  // A token file in $HF_HOME, then one named by HF_TOKEN_PATH (which wins).
  const home = mkdtempSync(path.join(work, 'hf-home-'));
  writeFileSync(path.join(home, 'token'), `${hub.token}\n`);
  let r = await cli(['create', name, '-q'], { env: { ...base, HF_HOME: home } });
  assert.equal(r.code, 0, r.stderr);
  const bad = path.join(work, 'bad-token');
  writeFileSync(bad, 'hf_not_a_valid_token_123\n');
  r = await cli(['create', uniq('cli-cred'), '-q'], { env: { ...base, HF_HOME: home, HF_TOKEN_PATH: bad } });
  assert.equal(r.code, 1);
  assert.ok(!r.stderr.includes('hf_not_a_valid_token_123'), r.stderr);
  // HF_TOKEN beats the file; --token beats HF_TOKEN (a read token cannot create).
  r = await cli(['create', uniq('cli-cred'), '-q'], { env: { ...base, HF_TOKEN_PATH: bad, HF_TOKEN: hub.token } });
  assert.equal(r.code, 0, r.stderr);
  r = await cli(['create', uniq('cli-cred'), '-q', '--token', 'hf_reader_token_xyz'], { env: { ...base, HF_TOKEN: hub.token } });
  assert.equal(r.code, 1);
  assert.ok(!r.stderr.includes('hf_reader_token_xyz') && !r.stderr.includes(hub.token), r.stderr);
  // Default path: ~/.cache/huggingface/token under HOME.
  mkdirSync(path.join(base.HOME, '.cache', 'huggingface'), { recursive: true });
  writeFileSync(path.join(base.HOME, '.cache', 'huggingface', 'token'), hub.token);
  r = await cli(['info', `${hub.user}/${name}`, '-q'], { env: base });
  assert.equal(r.code, 0, r.stderr);
});

test('progress: a bar redrawn in place on a terminal, ending at 100 %; absent when piped', async () => {
  const id = `${hub.user}/${uniq('cli-prog')}`;
  await cli(['create', id], { env });
  const file = path.join(work, 'prog.bin');
  writeFileSync(file, randomBytes(24 * 1024 * 1024));
  let r = await inTerminal(cliLine(['cp', file, `hf://buckets/${id}/prog.bin`]), { env });
  assert.equal(r.code, 0, r.stdout);
  const draws = r.stdout.split('\x1b[1G').slice(1); // each redraw returns to column 1
  assert.ok(draws.length >= 3, `redrawn in place (${draws.length} draws): ${JSON.stringify(r.stdout.slice(0, 300))}`);
  assert.match(draws.at(-1), /100% \|█{20}\| 25\.2 MB\/25\.2 MB/);
  assert.doesNotMatch(draws.at(-1), /ETA/);
  assert.match(r.stdout, /✓(\x1b\[39m)? Uploaded/);
  r = await inTerminal(cliLine(['cp', `hf://buckets/${id}/prog.bin`, path.join(work, 'prog-back.bin')]), { env });
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout.split('\x1b[1G').at(-1), /Downloading prog\.bin 100% \|█{20}\|/);
  // A failure after the bar started: the error gets a line of its own.
  await hub.setNetwork({ latencyMs: 0, bandwidthBytesPerSec: 4 * 1024 * 1024, target: 'any' });
  try {
    r = await inTerminal(`${cliLine(['cp', `hf://buckets/${id}/prog.bin`, path.join(work, 'prog-int.bin')])} & pid=$!; sleep 2; kill -INT $pid; wait $pid`, { env });
  } finally {
    await hub.clearFaults();
  }
  assert.equal(r.code, 130, r.stdout);
  assert.match(r.stdout, /\|[^\n]*\r?\nError: Interrupted\.\r?\n$/);
  // A failure before anything moved: no bar at all.
  r = await inTerminal(cliLine(['cp', `hf://buckets/${id}/no-such-file.bin`, path.join(work, 'never.bin')]), { env });
  assert.equal(r.code, 1);
  assert.match(r.stdout.replace(/\r/g, ''), /^Error: [^\n]*no-such-file\.bin[^\n]*\n$/);
  // Piped: results only.
  r = await cli(['cp', file, `hf://buckets/${id}/prog2.bin`], { env });
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.doesNotMatch(r.stdout, /%|\x1b/);
  // Not in json mode, even on a terminal.
  r = await inTerminal(cliLine(['cp', file, `hf://buckets/${id}/prog3.bin`, '--json']), { env });
  assert.doesNotMatch(r.stdout, /%/);
});

test('sync on a terminal: one bar for the whole sync, redrawn in place, ending at 100 %; Ctrl-C exits 130', async () => {
  const id = `${hub.user}/${uniq('cli-sync-prog')}`;
  await cli(['create', id], { env });
  const dir = path.join(work, uniq('sync-prog'));
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 4; i++) writeFileSync(path.join(dir, `part-${i}.bin`), randomBytes(6 * 1024 * 1024));
  let r = await inTerminal(cliLine(['sync', dir, `hf://buckets/${id}`]), { env });
  assert.equal(r.code, 0, r.stdout);
  const draws = r.stdout.split('\x1b[1G').slice(1);
  assert.ok(draws.length >= 2, `redrawn in place (${draws.length} draws)`);
  assert.match(draws.at(-1), /^Uploading 4 files 100% \|█{20}\| 25\.2 MB\/25\.2 MB/);
  assert.match(r.stdout, /Sync completed\./);
  r = await cli(['sync', dir, `hf://buckets/${id}/again`], { env });
  assert.doesNotMatch(r.stdout + r.stderr, /%|\x1b/, 'piped: no bar');
  // Ctrl-C during a download sync: exit 130, no file half-written under its name.
  const down = path.join(work, uniq('sync-int'));
  await hub.setNetwork({ latencyMs: 0, bandwidthBytesPerSec: 2 * 1024 * 1024, target: 'any' });
  try {
    r = await inTerminal(`${cliLine(['sync', `hf://buckets/${id}`, down])} & pid=$!; sleep 3; kill -INT $pid; wait $pid`, { env });
  } finally {
    await hub.clearFaults();
  }
  assert.equal(r.code, 130, r.stdout);
  assert.match(r.stdout, /Error: Interrupted\.\r?\n$/);
  for (const name of existsSync(down) ? readdirSync(down) : []) {
    if (name.startsWith('part-')) assert.equal(readFileSync(path.join(down, name)).length, 6 * 1024 * 1024, `${name} is whole`);
  }
});

test('Ctrl-C during a 200 MiB cp exits 130 within 2 s and leaves the bucket unchanged', async () => {
  const id = `${hub.user}/${uniq('cli-int')}`;
  await cli(['create', id], { env });
  const file = path.join(work, 'big.bin');
  await new Promise((resolve, reject) => {
    const w = createWriteStream(file);
    for (let i = 0; i < 200; i++) w.write(randomBytes(1024 * 1024));
    w.end(resolve);
    w.on('error', reject);
  });
  let interruptedAt = 0;
  // Paced xorb uploads (8 MiB/s per request), so the upload is surely still running after 2 s
  // however fast the machine is.
  await hub.setNetwork({ latencyMs: 0, bandwidthBytesPerSec: 8 * 1024 * 1024, target: 'cas' });
  let r;
  try {
    r = await cli(['cp', file, `hf://buckets/${id}/big.bin`], {
      env,
      onSpawn: (child) => {
        setTimeout(() => {
          interruptedAt = Date.now();
          child.kill('SIGINT');
        }, 2000);
      },
    });
  } finally {
    await hub.clearFaults();
  }
  const afterSignal = Date.now() - interruptedAt;
  assert.ok(interruptedAt > 0, 'the upload was still running when interrupted');
  assert.equal(r.code, 130, r.stderr);
  assert.ok(afterSignal < 2000, `exited ${afterSignal} ms after SIGINT`);
  assert.equal(r.stderr, 'Error: Interrupted.\n');
  const ls = await cli(['ls', id, '-R', '--json'], { env });
  assert.deepEqual(JSON.parse(ls.stdout), []);
});

test('Ctrl-C during a download (cp to a file, cp to stdout) exits 130 and leaves no file behind', async () => {
  const id = `${hub.user}/${uniq('cli-int-dl')}`;
  await cli(['create', id], { env });
  const file = path.join(work, 'dl-src.bin');
  writeFileSync(file, randomBytes(16 * 1024 * 1024));
  const up = await cli(['cp', file, `hf://buckets/${id}/f.bin`], { env });
  assert.equal(up.code, 0, up.stderr);
  await hub.setNetwork({ latencyMs: 0, bandwidthBytesPerSec: 2 * 1024 * 1024, target: 'any' });
  try {
    const dir = mkdtempSync(path.join(work, 'int-dl-'));
    for (const dst of [path.join(dir, 'f.bin'), '-']) {
      let interruptedAt = 0;
      const r = await cli(['cp', `hf://buckets/${id}/f.bin`, dst], {
        env,
        onSpawn: (child) => setTimeout(() => ((interruptedAt = Date.now()), child.kill('SIGINT')), 1500),
      });
      assert.ok(interruptedAt > 0);
      assert.equal(r.code, 130, r.stderr);
      assert.ok(Date.now() - interruptedAt < 2000);
      assert.equal(r.stderr, 'Error: Interrupted.\n');
      assert.ok(r.stdoutBytes.length < 16 * 1024 * 1024);
    }
    assert.deepEqual(readdirSync(dir), [], 'no file and no partial file');
  } finally {
    await hub.clearFaults();
  }
});

test('local-hub: starts the emulator from the build, prints how to use it, stops on Ctrl-C', async () => {
  const bin = process.env.LOCAL_HUB_BIN;
  const missing = await cli(['local-hub'], { env: { ...env, LOCAL_HUB_BIN: path.join(work, 'no-local-hub') } });
  assertOneLineError(missing, 1, /cargo build -p local-hub/);
  const start = (args) => {
    const child = spawn(process.execPath, [BIN, 'local-hub', ...args], {
      env: { ...env, ...(bin ? { LOCAL_HUB_BIN: bin } : {}) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, exited, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() };
  };
  // json: the ready line of local-hub itself.
  let hubRun = start(['--format', 'json']);
  const ready = JSON.parse((await hubRun.lines.next()).value);
  assert.match(ready.hub, /^http:\/\/127\.0\.0\.1:\d+$/);
  hubRun.child.kill('SIGINT');
  assert.equal(await hubRun.exited, 0);
  // human: where it runs, its data dir, and the two exports to paste; then every command works.
  const dataDir = path.join(work, 'local-hub-data');
  hubRun = start(['--data-dir', dataDir]);
  const shown = [];
  for (let i = 0; i < 5; i++) shown.push((await hubRun.lines.next()).value);
  assert.match(shown[0], new RegExp(`^local-hub is running at http://127\\.0\\.0\\.1:\\d+ \\(user '\\w+', data in ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)\\.$`));
  const exported = /^  export HF_ENDPOINT=(\S+) HF_TOKEN=(hf_\S+)$/.exec(shown[2]);
  assert.ok(exported, shown.join('\n'));
  assert.match(shown[4], /Ctrl-C/);
  const r = await cli(['create', 'tryme', '-q'], { env: cliEnv({ hub: exported[1], token: exported[2] }) });
  assert.match(r.stdout, /^hf:\/\/buckets\/\w+\/tryme\n$/, r.stderr);
  hubRun.child.kill('SIGINT');
  assert.equal(await hubRun.exited, 0);
  assert.ok(existsSync(dataDir), 'the data dir is kept');
});
