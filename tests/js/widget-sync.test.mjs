// The widget's "Sync a folder" (issue 11) in headless Chromium through the demo server: the OS
// folder picker cannot be clicked in a headless browser, so the test page's `showDirectoryPicker`
// is replaced (before the widget loads) by one that returns a folder of the Origin Private File
// System the test filled. Checked: the plan shown (counts and operations), the delete option,
// "Apply", the bucket's end state, a second plan that is empty, cancel during an upload, the
// other direction (bucket → folder), and that a dropped folder keeps its relative paths.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BucketClient } from 'hf-buckets';
import { startDemoStack } from './helpers/browser.mjs';

const SHOTS = fileURLToPath(new URL('../../target/screenshots/', import.meta.url));
const HOUR = 3_600_000;
let stack;

before(async () => {
  stack = await startDemoStack();
});

after(async () => {
  await stack?.close();
});

const hubClient = () => new BucketClient({ endpoint: stack.hub.hub, accessToken: stack.hub.token });

/** Bucket files under `prefix` → `{ path: size }`, and the paths outside it. */
async function bucketFiles(bucketId) {
  const out = {};
  for await (const e of hubClient().listBucketTree(bucketId, { recursive: true })) {
    if (e.type === 'file') out[e.path] = e.size;
  }
  return out;
}

/** A widget page whose folder picker returns the OPFS folder `folder`, filled with `files`. */
async function widgetPage(t, folder, files) {
  const context = await stack.browser.newContext({ viewport: { width: 1200, height: 1000 } });
  t.after(() => context.close());
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`# page error: ${error.message}`));
  await page.addInitScript((name) => {
    /** @type {any} */ (globalThis).showDirectoryPicker = async () => {
      /** @type {any} */ (globalThis).pickerCalls = (/** @type {any} */ (globalThis).pickerCalls ?? 0) + 1;
      return (await navigator.storage.getDirectory()).getDirectoryHandle(name, { create: true });
    };
  }, folder);
  await page.goto(stack.server.url);
  const mtimes = await page.evaluate(
    async ([name, files]) => {
      const top = await (await navigator.storage.getDirectory()).getDirectoryHandle(name, { create: true });
      const out = {};
      const random = (n) => {
        const a = new Uint8Array(n);
        for (let i = 0; i < n; i += 65536) crypto.getRandomValues(a.subarray(i, i + 65536));
        return a;
      };
      for (const [rel, content] of Object.entries(files)) {
        const parts = rel.split('/');
        const file = parts.pop();
        let d = top;
        for (const p of parts) d = await d.getDirectoryHandle(p, { create: true });
        const h = await d.getFileHandle(file, { create: true });
        const w = await h.createWritable();
        await w.write(typeof content === 'number' ? random(content) : content);
        await w.close();
        out[rel] = (await h.getFile()).lastModified;
      }
      return out;
    },
    [folder, files],
  );
  return { page, mtimes };
}

/** The plan the widget shows: counts and `{ path: "action reason" }`. */
async function shownPlan(page) {
  await page.waitForSelector('.hfb-sync[data-phase="planned"] [data-role="sync-summary"]');
  return page.evaluate(() => {
    const summary = /** @type {HTMLElement} */ (document.querySelector('[data-role="sync-summary"]'));
    const ops = {};
    for (const tr of document.querySelectorAll('[data-role="sync-ops"] tr')) {
      const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent);
      ops[/** @type {HTMLElement} */ (tr).dataset.path ?? ''] = `${cells[0]} ${cells[2]}`;
    }
    return {
      uploads: Number(summary.dataset.uploads),
      deletes: Number(summary.dataset.deletes),
      skips: Number(summary.dataset.skips),
      text: summary.textContent,
      ops,
      applyButton: document.querySelector('[data-action="sync-apply"]')?.textContent ?? null,
    };
  });
}

test('Sync a folder: the plan is shown, the delete option re-plans, Apply makes the bucket folder match', { timeout: 180_000 }, async (t) => {
  const name = 'widget-sync';
  const bucketId = `${stack.server.user}/${name}`;
  await hubClient().createBucket(name, { existOk: true });
  const { page, mtimes } = await widgetPage(t, 'photos', {
    'a.txt': 'alpha',
    'same.txt': 'same',
    'changed.txt': 'new content',
    'sub/deep/b.bin': 20_000,
    'é ü.txt': 'unicode',
    'empty': '',
  });
  const enc = (s) => new TextEncoder().encode(s);
  const add = [
    { source: enc('same'), destination: 'mirror/same.txt', mtime: mtimes['same.txt'] + HOUR },
    { source: enc('old'), destination: 'mirror/changed.txt', mtime: mtimes['changed.txt'] },
    { source: enc('gone'), destination: 'mirror/gone/old.txt', mtime: 1 },
    { source: enc('outside'), destination: 'mirror.txt', mtime: 1 },
  ];
  const r = await hubClient().batchBucketFiles(bucketId, { add });
  assert.ok(r.success, JSON.stringify(r));

  await page.waitForSelector(`.hfb-bucket[data-bucket="${bucketId}"]`);
  await page.click(`.hfb-bucket[data-bucket="${bucketId}"]`);
  assert.equal(await page.isVisible('[data-action="sync-folder"]'), true, 'the button shows where showDirectoryPicker exists');
  await page.fill('input[data-role="folder"]', 'mirror');
  await page.click('[data-action="sync-folder"]');

  let plan = await shownPlan(page);
  assert.equal(await page.textContent('[data-role="sync-source"]'), 'photos/');
  assert.equal(await page.textContent('[data-role="sync-target"]'), `hf://buckets/${bucketId}/mirror`);
  assert.deepEqual(plan.ops, {
    'a.txt': 'upload new file',
    'changed.txt': 'upload size differs',
    empty: 'upload new file',
    'same.txt': 'skip identical',
    'sub/deep/b.bin': 'upload new file',
    'é ü.txt': 'upload new file',
  });
  assert.deepEqual([plan.uploads, plan.deletes, plan.skips], [5, 0, 1]);

  // With delete: the bucket file the folder lacks is planned for deletion; mirror.txt is outside
  // the folder boundary and stays.
  await page.check('[data-role="sync-delete"]');
  await page.waitForSelector('[data-role="sync-summary"][data-deletes="1"]');
  plan = await shownPlan(page);
  assert.equal(plan.ops['gone/old.txt'], 'delete not in source (--delete)');
  assert.deepEqual([plan.uploads, plan.deletes, plan.skips], [5, 1, 1]);
  assert.match(plan.text, /5 to upload \(.*\), 1 to delete, 1 unchanged\./);
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}widget-sync-plan.png`, fullPage: true });

  await page.click('[data-action="sync-apply"]');
  await page.waitForSelector('.hfb-sync[data-phase="done"]', { timeout: 120_000 });
  assert.match(await page.textContent('[data-role="sync-message"]'), /Synced photos: 5 uploaded, 1 deleted, 1 unchanged\./);
  await page.screenshot({ path: `${SHOTS}widget-sync-done.png`, fullPage: true });

  assert.deepEqual(await bucketFiles(bucketId), {
    'mirror.txt': 7,
    'mirror/a.txt': 5,
    'mirror/changed.txt': 11,
    'mirror/empty': 0,
    'mirror/same.txt': 4,
    'mirror/sub/deep/b.bin': 20_000,
    'mirror/é ü.txt': 7,
  });
  const bytes = await hubClient().getBucketFile(bucketId, { path: 'mirror/changed.txt' });
  assert.equal(new TextDecoder().decode(bytes), 'new content');
  // The tree shows the synced files (refreshed after Apply).
  await page.waitForSelector('tr.hfb-dir[data-path="mirror"]');

  // The uploads recorded each file's own mtime: a second plan has nothing to do.
  await page.click('[data-action="sync-replan"]');
  plan = await shownPlan(page);
  assert.deepEqual([plan.uploads, plan.deletes, plan.skips], [0, 0, 6]);
  assert.equal(plan.applyButton, 'Nothing to sync');
  assert.ok(await page.isDisabled('[data-action="sync-apply"]'));
  assert.equal(await page.evaluate(() => /** @type {any} */ (globalThis).pickerCalls), 1);
});

test('Sync a folder: Cancel during the upload stops it; nothing is committed', { timeout: 180_000 }, async (t) => {
  const name = 'widget-sync-cancel';
  const bucketId = `${stack.server.user}/${name}`;
  await hubClient().createBucket(name, { existOk: true });
  const { page } = await widgetPage(t, 'big', { 'big.bin': 6 * (1 << 20), 'small.txt': 'small' });
  await stack.hub.setNetwork({ target: 'cas', bandwidthBytesPerSec: 1 << 20, latencyMs: 0 });
  t.after(() => stack.hub.setNetwork({ target: 'cas', bandwidthBytesPerSec: 0, latencyMs: 0 }));
  await page.waitForSelector(`.hfb-bucket[data-bucket="${bucketId}"]`);
  await page.click(`.hfb-bucket[data-bucket="${bucketId}"]`);
  await page.click('[data-action="sync-folder"]');
  const plan = await shownPlan(page);
  assert.deepEqual([plan.uploads, plan.deletes], [2, 0]);
  await page.click('[data-action="sync-apply"]');
  await page.waitForSelector('.hfb-sync[data-phase="applying"] [data-action="sync-cancel"]');
  await new Promise((r) => setTimeout(r, 300));
  await page.click('[data-action="sync-cancel"]');
  await page.waitForSelector('.hfb-sync[data-phase="cancelled"]', { timeout: 30_000 });
  assert.match(await page.textContent('[data-role="sync-message"]'), /Cancelled/);
  assert.deepEqual(await bucketFiles(bucketId), {});
});

test('Sync a folder, bucket → folder: the plan downloads and deletes locally; Apply makes the folder match', { timeout: 180_000 }, async (t) => {
  const name = 'widget-sync-down';
  const bucketId = `${stack.server.user}/${name}`;
  await hubClient().createBucket(name, { existOk: true });
  const enc = (s) => new TextEncoder().encode(s);
  const r = await hubClient().batchBucketFiles(bucketId, {
    add: [
      { source: enc('from the bucket'), destination: 'a.txt', mtime: 1_000_000 },
      { source: enc('deep'), destination: 'sub/deep/b.txt', mtime: 1_000_000 },
      { source: enc('same'), destination: 'same.txt', mtime: 1_000_000 },
    ],
  });
  assert.ok(r.success, JSON.stringify(r));
  const { page } = await widgetPage(t, 'local-copy', { 'same.txt': 'same', 'extra/only-here.txt': 'x', 'a.txt': 'old' });
  await page.waitForSelector(`.hfb-bucket[data-bucket="${bucketId}"]`);
  await page.click(`.hfb-bucket[data-bucket="${bucketId}"]`);
  await page.click('[data-action="sync-folder"]');
  await shownPlan(page);
  await page.selectOption('[data-role="sync-direction"]', 'download');
  await page.waitForSelector('[data-role="sync-summary"][data-downloads="2"]');
  assert.equal(await page.textContent('[data-role="sync-source"]'), `hf://buckets/${bucketId}`);
  assert.equal(await page.textContent('[data-role="sync-target"]'), 'local-copy/');
  await page.check('[data-role="sync-delete"]');
  await page.waitForSelector('[data-role="sync-summary"][data-deletes="1"]');
  const plan = await shownPlan(page);
  assert.deepEqual(plan.ops, {
    'a.txt': 'download size differs',
    'extra/only-here.txt': 'delete not in source (--delete)',
    'same.txt': 'skip identical',
    'sub/deep/b.txt': 'download new file',
  });
  assert.match(plan.text, /^2 to download \(19 B\), 1 to delete, 1 unchanged\.$/);
  await page.click('[data-action="sync-apply"]');
  await page.waitForSelector('.hfb-sync[data-phase="done"]', { timeout: 120_000 });
  assert.match(await page.textContent('[data-role="sync-message"]'), /Synced local-copy: 2 downloaded, 1 deleted, 1 unchanged\./);
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}widget-sync-download.png`, fullPage: true });
  const tree = await page.evaluate(async () => {
    const walk = async (dir, prefix, out) => {
      for await (const [name, h] of dir.entries()) {
        if (h.kind === 'directory') await walk(h, `${prefix}${name}/`, out);
        else out[prefix + name] = await (await h.getFile()).text();
      }
      return out;
    };
    return walk(await (await navigator.storage.getDirectory()).getDirectoryHandle('local-copy'), '', {});
  });
  assert.deepEqual(tree, { 'a.txt': 'from the bucket', 'same.txt': 'same', 'sub/deep/b.txt': 'deep' });
});

test('a dropped folder keeps its relative paths (the drop zone walks it)', { timeout: 120_000 }, async (t) => {
  const name = 'widget-drop-folder';
  const bucketId = `${stack.server.user}/${name}`;
  await hubClient().createBucket(name, { existOk: true });
  const { page } = await widgetPage(t, 'unused', {});
  await page.waitForSelector(`.hfb-bucket[data-bucket="${bucketId}"]`);
  await page.click(`.hfb-bucket[data-bucket="${bucketId}"]`);
  await page.fill('input[data-role="folder"]', 'in');
  // Playwright cannot drop real folders: the drop event gets a DataTransfer whose item is a
  // folder entry of the File and Directory Entries API shape (what Chromium hands out).
  await page.evaluate(() => {
    const fileEntry = (name, text) => ({ isFile: true, isDirectory: false, name, file: (ok) => ok(new File([text], name)) });
    const dirEntry = (name, children) => {
      let read = false;
      return {
        isFile: false,
        isDirectory: true,
        name,
        createReader: () => ({
          readEntries: (ok) => {
            ok(read ? [] : children);
            read = true;
          },
        }),
      };
    };
    const folder = dirEntry('photos', [fileEntry('a.txt', 'a'), dirEntry('2024', [fileEntry('b.txt', 'bb'), dirEntry('deep', [fileEntry('c.txt', 'ccc')])])]);
    const event = new Event('drop', { bubbles: true, cancelable: true });
    Object.defineProperty(event, 'dataTransfer', {
      value: { items: [{ kind: 'file', webkitGetAsEntry: () => folder }], files: [] },
    });
    document.querySelector('[data-role="drop"]')?.dispatchEvent(event);
  });
  for (const p of ['in/photos/a.txt', 'in/photos/2024/b.txt', 'in/photos/2024/deep/c.txt']) {
    await page.waitForSelector(`li.hfb-upload[data-path="${p}"][data-status="done"]`, { timeout: 60_000 });
  }
  assert.deepEqual(await bucketFiles(bucketId), { 'in/photos/2024/b.txt': 2, 'in/photos/2024/deep/c.txt': 3, 'in/photos/a.txt': 1 });
});
