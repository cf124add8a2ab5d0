// planSync in headless Chromium against local-hub, with the local side a folder of the Origin
// Private File System (a FileSystemDirectoryHandle) or a File list as `<input webkitdirectory>`
// gives it. The plan of a browser folder must equal the plan Node makes for the same tree on disk
// (same files, same mtimes): one planner, fed by two walks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as hf from 'hf-buckets';
import { startLocalHub } from './helpers/local-hub.mjs';
import { openBrowserPage } from './helpers/browser.mjs';
import { bucketWithFiles } from './helpers/sync-fixtures.mjs';

let local;
let hub;
let chrome;
let page;
let dir;
let n = 0;
const HOUR = 3_600_000;

before(async () => {
  local = await startLocalHub();
  hub = new hf.BucketClient({ endpoint: local.hub, accessToken: local.token });
  dir = await mkdtemp(path.join(tmpdir(), 'hf-sync-browser-'));
  chrome = await openBrowserPage({ served: ['js/', 'dist/'], title: 'hf-buckets sync' });
  page = chrome.page;
  await chrome.open();
  await page.evaluate(async () => {
    const g = /** @type {any} */ (globalThis);
    g.lib = await import('/js/browser/index.js');
    /** Writes `{ path: text }` under a new OPFS folder `name`; returns `{ path: lastModified }`. */
    g.opfsTree = async (name, files) => {
      const root = await navigator.storage.getDirectory();
      const top = await root.getDirectoryHandle(name, { create: true });
      const mtimes = {};
      for (const [rel, text] of Object.entries(files)) {
        const parts = rel.split('/');
        const file = parts.pop();
        let d = top;
        for (const p of parts) d = await d.getDirectoryHandle(p, { create: true });
        const h = await d.getFileHandle(file, { create: true });
        const w = await h.createWritable();
        await w.write(text);
        await w.close();
        mtimes[rel] = (await h.getFile()).lastModified;
      }
      return mtimes;
    };
    g.opfsFolder = async (name) => (await navigator.storage.getDirectory()).getDirectoryHandle(name, { create: true });
    /** Plans in the page; `{ plan }` or `{ error: { name, message, code } }`. */
    g.plan = async (options) => {
      try {
        const plan = await g.lib.planSync(options);
        return { plan: JSON.parse(JSON.stringify(plan)), jsonl: plan.toJSONL() };
      } catch (e) {
        return { error: { name: e?.name, message: e?.message, code: e?.code, validation: g.lib.isValidationError(e) } };
      }
    };
  });
});

after(async () => {
  await chrome?.close();
  await local?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const uniq = (p) => `${p}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

/** A bucket holding `files` ({ path: [content, mtimeMs | undefined] }). */
function newBucket(files = {}) {
  return bucketWithFiles(hub, uniq('sync-browser'), files);
}

/** The same tree on disk: `files` ({ path: text }) with `mtimes` ({ path: ms }); returns its path. */
async function diskTree(files, mtimes) {
  const root = path.join(dir, uniq('tree'));
  await mkdir(root, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(root, rel);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, text);
    await utimes(p, mtimes[rel] / 1000, mtimes[rel] / 1000);
  }
  return root;
}

/** Microseconds of a plan time (`…:SS[.ffffff]+00:00`). */
function micros(iso) {
  const m = /^(.*:\d\d)(?:\.(\d{6}))?\+00:00$/.exec(iso);
  assert.ok(m, iso);
  return Date.parse(`${m[1]}Z`) * 1000 + Number(m[2] ?? 0);
}

/**
 * Asserts two plans have the same operations and summary. Local mtimes may differ by a
 * microsecond: a whole-ms time set on disk through `utimes` (a double of seconds) reads back
 * rounded to the nanosecond.
 */
function assertSamePlan(browser, node, label) {
  assert.deepEqual(browser.summary, node.summary, label);
  assert.equal(browser.operations.length, node.operations.length, label);
  browser.operations.forEach((b, i) => {
    const o = node.operations[i];
    const { localMtime: bl, ...bRest } = b;
    const { localMtime: ol, ...oRest } = o;
    assert.deepEqual(bRest, oRest, `${label}: ${b.path}`);
    assert.equal(bl === undefined, ol === undefined, `${label}: ${b.path}`);
    if (bl !== undefined) assert.ok(Math.abs(micros(bl) - micros(ol)) <= 1, `${label}: ${b.path} ${bl} vs ${ol}`);
  });
}

const TREE = {
  'same.bin': 'same',
  'size.bin': 'longer',
  'newer.bin': '0123',
  'remote-newer.bin': '0123',
  'logs_old/x': 'a folder sharing the prefix',
  'logs.txt': 'log text',
  'logs/a.log': 'a',
  'logs/deep/b.log': 'bb',
  'new/é ü/日本.txt': 'unicode',
  '.hidden/h': 'h',
  'empty': '',
  'keep.tmp': 'tmp',
};

test('upload plans of an OPFS folder equal the Node plans of the same tree on disk', async () => {
  const name = uniq('up');
  const mtimes = await page.evaluate(([name, files]) => globalThis.opfsTree(name, files), [name, TREE]);
  const t = mtimes['same.bin'];
  const bucket = await newBucket({
    'same.bin': ['same', t],
    'size.bin': ['short', t],
    'newer.bin': ['0123', mtimes['newer.bin'] - 5000],
    'remote-newer.bin': ['0123', mtimes['remote-newer.bin'] + 5000],
    'logs.txt': ['log text', mtimes['logs.txt'] + 500],
    'gone.txt': ['gone', t],
    'gone/deep.txt': ['gone', t],
    'no-mtime.bin': ['x', undefined],
  });
  const disk = await diskTree(TREE, mtimes);
  const uri = `hf://buckets/${bucket}`;
  const base = { endpoint: local.hub, accessToken: local.token };
  const cases = [
    {},
    { delete: true },
    { delete: true, exclude: ['*.tmp'], include: ['logs*', '*.bin', 'keep.tmp'] },
    { ignoreTimes: true, delete: true },
    { ignoreSizes: true },
    { existing: true, delete: true },
    { ignoreExisting: true },
  ];
  for (const flags of cases) {
    const node = await hf.planSync({ ...base, ...flags, source: disk, destination: uri });
    const got = await page.evaluate(
      async ([name, options]) => globalThis.plan({ ...options, source: await globalThis.opfsFolder(name) }),
      [name, { ...base, ...flags, destination: uri }],
    );
    assert.ok(got.plan, JSON.stringify(got.error));
    assertSamePlan(got.plan, node, JSON.stringify(flags));
    assert.equal(got.plan.source, name);
    assert.equal(got.plan.localPath, name);
    assert.equal(got.plan.direction, 'upload');
    assert.match(got.jsonl, new RegExp(`^\\{"type": "header", "source": "${name}", "dest": "${uri}"`));
  }
  // The default plan, spelled out once, so the parity above is not parity of two empty plans.
  const plain = await page.evaluate(
    async ([name, options]) => globalThis.plan({ ...options, source: await globalThis.opfsFolder(name) }),
    [name, { ...base, destination: uri, delete: true }],
  );
  const ops = Object.fromEntries(plain.plan.operations.map((o) => [o.path, `${o.action} ${o.reason}`]));
  assert.deepEqual(ops, {
    '.hidden/h': 'upload new file',
    empty: 'upload new file',
    'gone.txt': 'delete not in source (--delete)',
    'gone/deep.txt': 'delete not in source (--delete)',
    'keep.tmp': 'upload new file',
    'logs_old/x': 'upload new file',
    'logs.txt': 'skip identical',
    'logs/a.log': 'upload new file',
    'logs/deep/b.log': 'upload new file',
    'newer.bin': 'upload local newer',
    'new/é ü/日本.txt': 'upload new file',
    'no-mtime.bin': 'delete not in source (--delete)',
    'remote-newer.bin': 'skip identical',
    'same.bin': 'skip identical',
    'size.bin': 'upload size differs',
  });
});

test('download plans into an OPFS folder equal the Node plans (lookups without delete, a walk with it)', async () => {
  const name = uniq('down');
  const localTree = {
    'same.bin': 'same',
    'size.bin': 'longer',
    'remote-newer.bin': '0123',
    'only-local.txt': 'mine',
    'sub/only-local.txt': 'mine',
    'sub/x.bin': 'xx',
    'dir-at-file': 'file where the bucket has a folder',
  };
  const mtimes = await page.evaluate(([name, files]) => globalThis.opfsTree(name, files), [name, localTree]);
  // A folder where the bucket has a file: counts as absent when looked up.
  const inner = await page.evaluate(async (name) => {
    const d = await globalThis.opfsFolder(name);
    const sub = await d.getDirectoryHandle('folder-at-file', { create: true });
    const h = await sub.getFileHandle('inner', { create: true });
    const w = await h.createWritable();
    await w.write('in');
    await w.close();
    return (await h.getFile()).lastModified;
  }, name);
  const t = mtimes['same.bin'];
  const bucket = await newBucket({
    'data/same.bin': ['same', t],
    'data/size.bin': ['short', t],
    'data/remote-newer.bin': ['0123', t + HOUR],
    'data/new/é.txt': ['new', t],
    'data/sub/x.bin': ['xx', t - HOUR],
    'data/folder-at-file': ['f', t],
    'data/dir-at-file/inner': ['i', t],
    'data.txt': ['outside the prefix', t],
  });
  const disk = await diskTree({ ...localTree, 'folder-at-file/inner': 'in' }, { ...mtimes, 'folder-at-file/inner': inner });
  const uri = `hf://buckets/${bucket}/data`;
  const base = { endpoint: local.hub, accessToken: local.token };
  for (const flags of [{}, { delete: true }, { ignoreTimes: true }, { existing: true, delete: true }, { ignoreSizes: true, delete: true }]) {
    const node = await hf.planSync({ ...base, ...flags, source: uri, destination: disk });
    const got = await page.evaluate(
      async ([name, options]) => globalThis.plan({ ...options, destination: await globalThis.opfsFolder(name) }),
      [name, { ...base, ...flags, source: uri }],
    );
    assert.ok(got.plan, JSON.stringify(got.error));
    assertSamePlan(got.plan, node, JSON.stringify(flags));
    assert.equal(got.plan.destination, name);
    assert.equal(got.plan.direction, 'download');
  }
  const plain = await page.evaluate(
    async ([name, options]) => globalThis.plan({ ...options, destination: await globalThis.opfsFolder(name) }),
    [name, { ...base, source: uri }],
  );
  const ops = Object.fromEntries(plain.plan.operations.map((o) => [o.path, `${o.action} ${o.reason}`]));
  assert.deepEqual(ops, {
    'dir-at-file/inner': 'download new file',
    'folder-at-file': 'download new file',
    'new/é.txt': 'download new file',
    'remote-newer.bin': 'download remote newer',
    'same.bin': 'skip identical',
    'size.bin': 'download size differs',
    'sub/x.bin': 'skip identical',
  });
});

test('a File list (webkitdirectory) plans like the same tree on disk; its top folder is stripped', async () => {
  const T0 = 1_771_408_800_000;
  const files = { 'a.txt': ['a', T0], 'sub/b.txt': ['bb', T0 + 1000], 'sub/deep/c.txt': ['', T0 + 2000], 'x.bin': ['changed', T0] };
  const bucket = await newBucket({ 'a.txt': ['a', T0], 'x.bin': ['old', T0], 'gone.txt': ['g', T0] });
  const disk = await diskTree(
    Object.fromEntries(Object.entries(files).map(([p, [text]]) => [p, text])),
    Object.fromEntries(Object.entries(files).map(([p, [, ms]]) => [p, ms])),
  );
  const uri = `hf://buckets/${bucket}`;
  const base = { endpoint: local.hub, accessToken: local.token, delete: true };
  const node = await hf.planSync({ ...base, source: disk, destination: uri });
  const got = await page.evaluate(
    async ([files, options]) => {
      const list = Object.entries(files).map(([p, [text, ms]]) => {
        const f = new File([text], p.split('/').pop(), { lastModified: ms });
        Object.defineProperty(f, 'webkitRelativePath', { value: `picked/${p}` });
        return f;
      });
      return globalThis.plan({ ...options, source: list });
    },
    [files, { ...base, destination: uri }],
  );
  assert.ok(got.plan, JSON.stringify(got.error));
  assertSamePlan(got.plan, node, 'file list');
  assert.equal(got.plan.source, 'picked');
  assert.deepEqual(
    got.plan.operations.map((o) => [o.action, o.path]),
    [['skip', 'a.txt'], ['delete', 'gone.txt'], ['upload', 'sub/b.txt'], ['upload', 'sub/deep/c.txt'], ['upload', 'x.bin']],
  );
});

test('filterFrom is a Blob in browsers; include/exclude apply to handle walks', async () => {
  const name = uniq('filter');
  await page.evaluate(([name, files]) => globalThis.opfsTree(name, files), [name, { 'a.bin': 'a', 'b.tmp': 'b', 'c/d.bin': 'd' }]);
  const bucket = await newBucket({});
  const got = await page.evaluate(
    async ([name, options]) =>
      globalThis.plan({ ...options, source: await globalThis.opfsFolder(name), filterFrom: new Blob(['# rules\n- c/*\n']), exclude: ['*.tmp'] }),
    [name, { endpoint: local.hub, accessToken: local.token, destination: `hf://buckets/${bucket}` }],
  );
  assert.ok(got.plan, JSON.stringify(got.error));
  assert.deepEqual(got.plan.operations.map((o) => o.path), ['a.bin']);
});

test('browser-only misuse is a ValidationError before any request; abort is an AbortError', async () => {
  const bucket = await newBucket({ 'a.txt': ['a', 1] });
  const uri = `hf://buckets/${bucket}`;
  const results = await page.evaluate(
    async ([uri, hubUrl, token]) => {
      let requests = 0;
      const fetch = (...args) => {
        requests++;
        return globalThis.fetch(...args);
      };
      const base = { endpoint: hubUrl, accessToken: token, fetch };
      const folder = await globalThis.opfsFolder('misuse');
      const f = (path) => {
        const file = new File(['x'], path.split('/').pop());
        Object.defineProperty(file, 'webkitRelativePath', { value: path });
        return file;
      };
      const cases = {
        stringSource: { source: './folder', destination: uri },
        stringDestination: { source: uri, destination: './folder' },
        fileListDestination: { source: uri, destination: [f('top/a.txt')] },
        twoFolders: { source: [f('one/a.txt'), f('two/b.txt')], destination: uri },
        filterPath: { source: folder, destination: uri, filterFrom: './filters.txt' },
        bothLocal: { source: folder, destination: folder },
        conflicting: { source: folder, destination: uri, existing: true, ignoreExisting: true },
      };
      const out = {};
      for (const [k, options] of Object.entries(cases)) {
        const r = await globalThis.plan({ ...base, ...options });
        out[k] = r.error ?? { unexpected: r.plan };
      }
      const ctl = new AbortController();
      ctl.abort();
      out.aborted = (await globalThis.plan({ ...base, source: folder, destination: uri, signal: ctl.signal })).error;
      out.requests = requests;
      return out;
    },
    [uri, local.hub, local.token],
  );
  const expect = {
    stringSource: /Source must be a FileSystemDirectoryHandle or a File list in browsers: \.\/folder/,
    stringDestination: /Destination must be a FileSystemDirectoryHandle in browsers/,
    fileListDestination: /a File list can only be a source/,
    twoFolders: /one folder: "one" and "two"/,
    filterPath: /filterFrom must be a Blob/,
    bothLocal: /must be a bucket path/,
    conflicting: /Cannot specify both existing and ignoreExisting/,
  };
  for (const [k, re] of Object.entries(expect)) {
    assert.equal(results[k].validation, true, `${k}: ${JSON.stringify(results[k])}`);
    assert.match(results[k].message, re, k);
  }
  assert.equal(results.aborted.name, 'AbortError');
  assert.equal(results.requests, 0);
});
