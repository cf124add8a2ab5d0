// The browser local side of sync (js/browser/local-fs.js) in headless Chromium, on folders of the
// Origin Private File System: a download is never visible under its real name before it is
// complete (temp file + move), an aborted one leaves nothing, an existing file is replaced whole,
// folders are created (a file in the way fails), deletes prune empty folders up to the root.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowserPage } from './helpers/browser.mjs';

let chrome;
let page;

before(async () => {
  chrome = await openBrowserPage({ served: ['js/', 'dist/'], title: 'hf-buckets local side' });
  page = chrome.page;
  await chrome.open();
  await page.evaluate(async () => {
    const g = /** @type {any} */ (globalThis);
    g.fs = await import('/js/browser/local-fs.js');
    g.fresh = async (name) => {
      const root = await navigator.storage.getDirectory();
      await root.removeEntry(name, { recursive: true }).catch(() => {});
      return root.getDirectoryHandle(name, { create: true });
    };
    /** Every path under a handle → its text (folders end with '/'). */
    g.tree = async (dir, prefix = '') => {
      const out = {};
      for await (const [name, h] of dir.entries()) {
        if (h.kind === 'directory') {
          out[`${prefix}${name}/`] = '';
          Object.assign(out, await g.tree(h, `${prefix}${name}/`));
        } else {
          out[prefix + name] = await (await h.getFile()).text();
        }
      }
      return out;
    };
  });
});

after(async () => {
  await chrome?.close();
});

test('a download appears under its name only when complete; abort leaves nothing; a file is replaced whole', async () => {
  const r = await page.evaluate(async () => {
    const g = /** @type {any} */ (globalThis);
    const root = await g.fresh('writer');
    const local = g.fs.browserLocalSide(root);
    const enc = (s) => new TextEncoder().encode(s);
    await local.mkdirs('a/b');
    const w = await local.createWriter('a/b/file.txt');
    await w.write(enc('hello '));
    const during = await g.tree(root);
    await w.write(enc('world'));
    await w.commit(Date.UTC(2020, 0, 1));
    const after = await g.tree(root);
    // Replace: the old content stays until the new one is complete.
    const w2 = await local.createWriter('a/b/file.txt');
    await w2.write(enc('new'));
    const replacing = (await g.tree(root))['a/b/file.txt'];
    await w2.commit();
    const replaced = await g.tree(root);
    // Abort: neither the name nor the temp file remains.
    const w3 = await local.createWriter('a/gone.txt');
    await w3.write(enc('partial'));
    await w3.abort();
    const aborted = await g.tree(root);
    return { during, after, replacing, replaced, aborted, move: typeof (await root.getFileHandle('x', { create: true })).move };
  });
  assert.equal(r.move, 'function', 'Chromium has FileSystemHandle.move() in OPFS');
  const duringNames = Object.keys(r.during);
  assert.ok(!duringNames.includes('a/b/file.txt'), JSON.stringify(r.during));
  assert.equal(duringNames.filter((p) => /^a\/b\/\.file\.txt\.hfb-[0-9a-f]{12}\.part$/.test(p)).length, 1, JSON.stringify(r.during));
  assert.deepEqual(r.after, { 'a/': '', 'a/b/': '', 'a/b/file.txt': 'hello world' });
  assert.equal(r.replacing, 'hello world');
  assert.deepEqual(r.replaced, { 'a/': '', 'a/b/': '', 'a/b/file.txt': 'new' });
  assert.deepEqual(r.aborted, r.replaced);
});

test('kind, lookups, mkdirs over a file, remove and pruning of empty folders', async () => {
  const r = await page.evaluate(async () => {
    const g = /** @type {any} */ (globalThis);
    const root = await g.fresh('kinds');
    const local = g.fs.browserLocalSide(root);
    const write = async (rel, text) => {
      const w = await local.createWriter(rel);
      await w.write(new TextEncoder().encode(text));
      await w.commit();
    };
    await local.mkdirs('x/y/z');
    await local.mkdirs('keep');
    await write('x/y/z/deep.txt', 'deep');
    await write('x/sibling.txt', 's');
    await write('top.txt', 'top');
    const kinds = {};
    for (const p of ['', 'x', 'x/y/z/deep.txt', 'nope', 'x/nope/deeper', 'top.txt/child']) kinds[p] = await local.kind(p);
    const source = await local.uploadSource('x/y/z/deep.txt').text();
    let notLooked = null;
    try {
      local.uploadSource('top.txt');
    } catch (e) {
      notLooked = e.message;
    }
    let mkdirOverFile = null;
    try {
      await local.mkdirs('top.txt/sub');
    } catch (e) {
      mkdirOverFile = e.name;
    }
    const page = await local.statMany(['top.txt', 'x', 'nope', 'x/y/z/deep.txt']);
    const removed = [await local.remove('x/y/z/deep.txt'), await local.remove('x/y/z/deep.txt'), await local.remove('x/nope/a')];
    await local.pruneEmptyParents('x/y/z/deep.txt');
    const afterPrune = await g.tree(root);
    await local.remove('x/sibling.txt');
    await local.pruneEmptyParents('x/sibling.txt');
    const afterAll = await g.tree(root);
    return { kinds, source, notLooked, mkdirOverFile, page, removed, afterPrune, afterAll };
  });
  assert.deepEqual(r.kinds, { '': 'directory', x: 'directory', 'x/y/z/deep.txt': 'file', nope: null, 'x/nope/deeper': null, 'top.txt/child': null });
  assert.equal(r.source, 'deep');
  assert.match(r.notLooked, /not looked up/);
  assert.equal(r.mkdirOverFile, 'TypeMismatchError');
  assert.deepEqual(r.page.filter((_, i) => i % 4 < 2), ['top.txt', 3, 'x/y/z/deep.txt', 4]);
  assert.ok(r.page.every((v, i) => i % 4 !== 3 || (Number.isInteger(v) && v % 1_000_000 === 0)), 'whole ms');
  assert.deepEqual(r.removed, [true, false, false]);
  // x/y/z and x/y were emptied and removed; x still holds sibling.txt.
  assert.deepEqual(r.afterPrune, { 'keep/': '', 'top.txt': 'top', 'x/': '', 'x/sibling.txt': 's' });
  // The root itself is never removed, nor an unrelated empty folder.
  assert.deepEqual(r.afterAll, { 'keep/': '', 'top.txt': 'top' });
});

test('without FileSystemHandle.move(): the complete temp file is copied under the real name, then removed', async () => {
  const r = await page.evaluate(async () => {
    const g = /** @type {any} */ (globalThis);
    let proto = FileSystemFileHandle.prototype;
    while (proto && !Object.prototype.hasOwnProperty.call(proto, 'move')) proto = Object.getPrototypeOf(proto);
    const move = proto && Object.getOwnPropertyDescriptor(proto, 'move');
    // @ts-ignore: removed for this test, as in a browser without it
    delete proto.move;
    try {
      const root = await g.fresh('nomove');
      const local = g.fs.browserLocalSide(root);
      const old = await local.createWriter('f.txt');
      await old.write(new TextEncoder().encode('old content'));
      await old.commit();
      const w = await local.createWriter('f.txt');
      await w.write(new TextEncoder().encode('new'));
      const during = await g.tree(root);
      await w.commit();
      return { hadMove: !!move, during, after: await g.tree(root) };
    } finally {
      if (move) Object.defineProperty(proto, 'move', move);
    }
  });
  assert.ok(r.hadMove);
  assert.equal(r.during['f.txt'], 'old content');
  // Besides it, only the hidden temp file (and Chromium's own swap file of the open writable).
  assert.ok(Object.keys(r.during).every((p) => p === 'f.txt' || p.startsWith('.f.txt.hfb-')), JSON.stringify(r.during));
  assert.deepEqual(r.after, { 'f.txt': 'new' });
});
