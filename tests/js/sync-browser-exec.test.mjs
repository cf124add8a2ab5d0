// Executing syncs in headless Chromium against local-hub, with folders of the Origin Private File
// System as the local side (the executor Node uses, js/sync-exec.js, with the browser adapter
// js/browser/local-fs.js): upload-sync with delete, download-sync with delete, what a second
// plan says (OPFS cannot set mtimes), a File list as source, cancel, downloadBucketFiles, misuse.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as hf from 'hf-buckets';
import { startLocalHub } from './helpers/local-hub.mjs';
import { openBrowserPage } from './helpers/browser.mjs';
import { bucketWithFiles } from './helpers/sync-fixtures.mjs';

let local;
let hub;
let chrome;
let page;
let n = 0;
const T0 = 1_771_408_800_000; // 2026-02-18T10:00:00Z

before(async () => {
  local = await startLocalHub();
  hub = new hf.BucketClient({ endpoint: local.hub, accessToken: local.token });
  chrome = await openBrowserPage({ served: ['js/', 'dist/'], title: 'hf-buckets sync exec' });
  page = chrome.page;
  await chrome.open();
  await page.evaluate(async () => {
    const g = /** @type {any} */ (globalThis);
    g.lib = await import('/js/browser/index.js');
    /** A fresh OPFS folder `name` holding `{ path: text }`. */
    g.folder = async (name, files = {}) => {
      const root = await navigator.storage.getDirectory();
      await root.removeEntry(name, { recursive: true }).catch(() => {});
      const top = await root.getDirectoryHandle(name, { create: true });
      for (const [rel, text] of Object.entries(files)) {
        const parts = rel.split('/');
        const file = parts.pop();
        let d = top;
        for (const p of parts) d = await d.getDirectoryHandle(p, { create: true });
        const w = await (await d.getFileHandle(file, { create: true })).createWritable();
        await w.write(text);
        await w.close();
      }
      return top;
    };
    g.open = async (name) => (await navigator.storage.getDirectory()).getDirectoryHandle(name);
    /** Every file under a handle → its text; empty folders as `path/` → ''. */
    g.tree = async (dir, prefix = '') => {
      const out = {};
      let empty = true;
      for await (const [name, h] of dir.entries()) {
        empty = false;
        if (h.kind === 'directory') Object.assign(out, await g.tree(h, `${prefix}${name}/`));
        else out[prefix + name] = await (await h.getFile()).text();
      }
      if (empty && prefix) out[prefix] = '';
      return out;
    };
    g.brief = (plan) => Object.fromEntries(plan.operations.map((o) => [o.path, `${o.action} ${o.reason}`]));
    g.errorOf = (e) => ({ name: e?.name, message: e?.message, validation: g.lib.isValidationError(e) });
  });
});

after(async () => {
  await chrome?.close();
  await local?.stop();
});

const uniq = (p) => `${p}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

function newBucket(files = {}) {
  return bucketWithFiles(hub, uniq('sync-exec'), files);
}

/** The bucket's files → their text. */
async function bucketTexts(bucketId) {
  const out = {};
  for await (const e of hub.listBucketTree(bucketId, { recursive: true })) {
    if (e.type === 'file') out[e.path] = new TextDecoder().decode(await hub.getBucketFile(bucketId, { path: e.path }));
  }
  return out;
}

const base = () => ({ endpoint: local.hub, accessToken: local.token });

test('upload-sync from an OPFS folder with delete: the bucket folder ends equal to it; a second plan is empty', async () => {
  const bucket = await newBucket({
    'run/same.txt': ['same', T0],
    'run/stale.txt': ['old', T0],
    'run/gone.txt': ['gone', T0],
    'run/gone/deep.txt': ['gone', T0],
    'run.txt': ['outside the folder', T0],
  });
  const files = {
    'same.txt': 'same',
    'stale.txt': 'fresh content',
    'a/b/c.txt': 'nested',
    'ünï/日本.txt': 'unicode',
    'empty': '',
    '.hidden': 'h',
  };
  const r = await page.evaluate(
    async ([files, options]) => {
      const g = /** @type {any} */ (globalThis);
      const folder = await g.folder('up', files);
      const events = [];
      const report = await g.lib.syncBucket({ ...options, source: folder, delete: true, onProgress: (e) => events.push(e) });
      const again = await g.lib.planSync({ ...options, source: folder, delete: true });
      return {
        plan: g.brief(report.plan),
        counts: [report.uploaded, report.deleted, report.skipped, report.failed.length],
        bytesRead: report.bytesRead,
        lastPhase: events.at(-1)?.phase,
        again: again.summary,
      };
    },
    [files, { ...base(), destination: `hf://buckets/${bucket}/run` }],
  );
  assert.deepEqual(r.plan, {
    '.hidden': 'upload new file',
    'a/b/c.txt': 'upload new file',
    empty: 'upload new file',
    'gone.txt': 'delete not in source (--delete)',
    'gone/deep.txt': 'delete not in source (--delete)',
    'same.txt': 'upload local newer',
    'stale.txt': 'upload size differs',
    'ünï/日本.txt': 'upload new file',
  });
  assert.deepEqual(r.counts, [6, 2, 0, 0]);
  assert.equal(r.lastPhase, 'done');
  assert.equal(r.bytesRead, Object.values(files).reduce((s, t) => s + new TextEncoder().encode(t).length, 0));
  const expected = { 'run.txt': 'outside the folder' };
  for (const [p, t] of Object.entries(files)) expected[`run/${p}`] = t;
  assert.deepEqual(await bucketTexts(bucket), expected);
  // The uploads recorded each File's lastModified: nothing left to do.
  assert.deepEqual(r.again, { uploads: 0, downloads: 0, deletes: 0, skips: 6, totalSize: 0 });
});

test('download-sync into an OPFS folder with delete: the folder ends equal to the bucket folder; what later plans say', async () => {
  const bucket = await newBucket({
    'data/a.txt': ['alpha', T0],
    'data/sub/deep/b.txt': ['bravo', T0],
    'data/ünï/日本.txt': ['unicode', T0],
    'data/empty': ['', T0],
    'data/changed.txt': ['new size', T0],
    'data.txt': ['outside', T0],
  });
  const r = await page.evaluate(
    async (options) => {
      const g = /** @type {any} */ (globalThis);
      const folder = await g.folder('down', {
        'changed.txt': 'old',
        'extra.txt': 'only here',
        'old/deeper/x.txt': 'only here',
        'sub/keep-not.txt': 'only here',
      });
      const report = await g.lib.syncBucket({ ...options, destination: folder, delete: true });
      const tree = await g.tree(folder);
      const again = await g.lib.planSync({ ...options, destination: folder, delete: true });
      const back = await g.lib.planSync({ ...options, source: folder, destination: options.source });
      delete back.source;
      const backIgnoringTimes = await g.lib.planSync({ ...options, source: folder, destination: options.source, ignoreTimes: true });
      return {
        plan: g.brief(report.plan),
        counts: [report.downloaded, report.deleted, report.failed.length, report.missing.length],
        bytesWritten: report.bytesWritten,
        tree,
        again: again.summary,
        back: back.summary,
        backReasons: [...new Set(back.operations.map((o) => o.reason))],
        backIgnoringTimes: backIgnoringTimes.summary,
      };
    },
    { ...base(), source: `hf://buckets/${bucket}/data` },
  );
  assert.deepEqual(r.plan, {
    'a.txt': 'download new file',
    'changed.txt': 'download size differs',
    empty: 'download new file',
    'extra.txt': 'delete not in source (--delete)',
    'old/deeper/x.txt': 'delete not in source (--delete)',
    'sub/deep/b.txt': 'download new file',
    'sub/keep-not.txt': 'delete not in source (--delete)',
    'ünï/日本.txt': 'download new file',
  });
  assert.deepEqual(r.counts, [5, 3, 0, 0]);
  assert.equal(r.bytesWritten, 5 + 8 + 0 + 5 + 7);
  // Equal to the bucket folder: no temp file left, emptied folders pruned (old/, old/deeper/).
  assert.deepEqual(r.tree, {
    'a.txt': 'alpha',
    'changed.txt': 'new size',
    empty: '',
    'sub/deep/b.txt': 'bravo',
    'ünï/日本.txt': 'unicode',
  });
  // A second download-sync has nothing to do: the files were written after the bucket's mtimes.
  assert.deepEqual(r.again, { uploads: 0, downloads: 0, deletes: 0, skips: 5, totalSize: 0 });
  // OPFS cannot set mtimes, so an upload-sync back sees every file as newer (documented);
  // with ignoreTimes it has nothing to do.
  assert.equal(r.back.uploads, 5);
  assert.deepEqual(r.backReasons, ['local newer']);
  assert.deepEqual(r.backIgnoringTimes, { uploads: 0, downloads: 0, deletes: 0, skips: 5, totalSize: 0 });
});

test('a File list as the source of syncBucket; applySyncPlan needs localFolder', async () => {
  const bucket = await newBucket({ 'old.txt': ['old', T0] });
  const uri = `hf://buckets/${bucket}`;
  const r = await page.evaluate(
    async ([uri, options]) => {
      const g = /** @type {any} */ (globalThis);
      const list = [['top/a.txt', 'a', T0()], ['top/sub/b.txt', 'bb', T0()]].map(([p, text, ms]) => {
        const f = new File([text], p.split('/').pop(), { lastModified: ms });
        Object.defineProperty(f, 'webkitRelativePath', { value: p });
        return f;
      });
      function T0() {
        return 1_771_408_800_000;
      }
      const report = await g.lib.syncBucket({ ...options, source: list, destination: uri, delete: true });
      const plan = await g.lib.planSync({ ...options, source: list, destination: uri });
      const errors = {};
      for (const [k, call] of Object.entries({
        noFolder: () => g.lib.applySyncPlan(plan, options),
        stringFolder: () => g.lib.applySyncPlan(plan, { ...options, localFolder: './top' }),
        conflicting: () => g.lib.applySyncPlan(plan, { ...options, localFolder: list, delete: true }),
        downloadIntoList: async () => {
          const down = await g.lib.planSync({ ...options, source: uri, destination: await g.folder('dl-list') });
          return g.lib.applySyncPlan(down, { ...options, localFolder: list });
        },
        downloadFilesNoHandle: () => g.lib.downloadBucketFiles('x/y', { ...options, prefix: '', destination: './x' }),
      })) {
        try {
          await call();
          errors[k] = null;
        } catch (e) {
          errors[k] = g.errorOf(e);
        }
      }
      return { counts: [report.uploaded, report.deleted], source: report.plan.source, again: plan.summary, errors };
    },
    [uri, base()],
  );
  assert.deepEqual(r.counts, [2, 1]);
  assert.equal(r.source, 'top');
  assert.deepEqual(r.again, { uploads: 0, downloads: 0, deletes: 0, skips: 2, totalSize: 0 });
  assert.deepEqual(await bucketTexts(bucket), { 'a.txt': 'a', 'sub/b.txt': 'bb' });
  const expect = {
    noFolder: /needs localFolder/,
    stringFolder: /needs localFolder/,
    conflicting: /Cannot specify delete when using apply/,
    downloadIntoList: /a File list can only be a source/,
    downloadFilesNoHandle: /needs destination: a FileSystemDirectoryHandle/,
  };
  for (const [k, re] of Object.entries(expect)) {
    assert.equal(r.errors[k]?.validation, true, `${k}: ${JSON.stringify(r.errors[k])}`);
    assert.match(r.errors[k].message, re, k);
  }
});

test('cancel during a download-sync into OPFS: AbortError, no partial file under a real name, no temp file left', async () => {
  const big = 'x'.repeat(3 << 20);
  const bucket = await newBucket({ 'big1.bin': [big, T0], 'big2.bin': [big.replace(/x/g, 'y'), T0], 'small.txt': ['small', T0] });
  await local.setNetwork({ target: 'cas', bandwidthBytesPerSec: 1 << 20, latencyMs: 0 });
  try {
    const r = await page.evaluate(
      async (options) => {
        const g = /** @type {any} */ (globalThis);
        const folder = await g.folder('cancel');
        const controller = new AbortController();
        let error = null;
        const run = g.lib.syncBucket({
          ...options,
          destination: folder,
          signal: controller.signal,
          onProgress: (e) => {
            if (e.bytesDone > 0) controller.abort();
          },
        });
        try {
          await run;
        } catch (e) {
          error = g.errorOf(e);
        }
        const tree = await g.tree(folder);
        return { error, tree: Object.fromEntries(Object.entries(tree).map(([p, t]) => [p, t.length])) };
      },
      { ...base(), source: `hf://buckets/${bucket}`, concurrency: 2 },
    );
    assert.equal(r.error?.name, 'AbortError', JSON.stringify(r.error));
    for (const [p, size] of Object.entries(r.tree)) {
      assert.ok(!/\.part$/.test(p), `temp file left: ${p}`);
      assert.equal(size, p === 'small.txt' ? 5 : 3 << 20, `${p} is partial`);
    }
  } finally {
    await local.setNetwork({ target: 'cas', bandwidthBytesPerSec: 0, latencyMs: 0 });
  }
});

test('downloadBucketFiles into an OPFS folder (prefix, filters)', async () => {
  const bucket = await newBucket({ 'logs/a.log': ['a', T0], 'logs/b.tmp': ['b', T0], 'logs/sub/c.log': ['c', T0], 'logs.txt': ['x', T0] });
  const r = await page.evaluate(
    async ([bucket, options]) => {
      const g = /** @type {any} */ (globalThis);
      const folder = await g.folder('dbf');
      const report = await g.lib.downloadBucketFiles(bucket, { ...options, prefix: 'logs', destination: folder, exclude: ['*.tmp'] });
      return { counts: [report.downloaded, report.skipped, report.failed.length], tree: await g.tree(folder) };
    },
    [bucket, base()],
  );
  assert.deepEqual(r.counts, [2, 1, 0]);
  assert.deepEqual(r.tree, { 'a.log': 'a', 'sub/c.log': 'c' });
});
