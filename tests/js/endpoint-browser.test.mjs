// A relative `endpoint` ('/hub') in Chromium, where the page and its workers have a location:
// the demo server (scripts/demo-server.mjs) serves the widget page, the package and a /hub proxy
// of local-hub on one origin. The widget page passes '/hub' as given (www/index.html, www/app.js);
// a client in the page resolves it against the page's location and its transfer worker
// (`worker: true`) gets the absolute URL; a client made inside a worker resolves it against the
// worker's location. Also the widget's path rule: it rejects what the client rejects.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BucketClient } from 'hf-buckets';
import { startDemoStack } from './helpers/browser.mjs';


let stack;
let hub;
let server;
let browser;
let tmp;

before(async () => {
  stack = await startDemoStack();
  ({ hub, server, browser } = stack);
  tmp = await mkdtemp(path.join(tmpdir(), 'hf-buckets-endpoint-'));
});

after(async () => {
  await stack?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** The Hub as the test sees it directly (absolute endpoint, the server's token). */
const direct = () => new BucketClient({ endpoint: hub.hub, accessToken: hub.token });

async function filesIn(bucketId) {
  const out = [];
  for await (const e of direct().listBucketTree(bucketId, { recursive: true })) out.push(e.path);
  return out.sort();
}

/** A new page of the demo server; records the URLs of the page's and its workers' requests. */
async function openPage(t, pathAndQuery = '') {
  const context = await browser.newContext();
  t.after(() => context.close());
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(new URL(pathAndQuery, server.url).href);
  return { context, page, requests, errors };
}

describe('endpoint "/hub" in Chromium', () => {
  test('the widget page: listing, upload in the worker, and the client\'s path rule', { timeout: 180_000 }, async (t) => {
    const name = 'relative-widget';
    const bucketId = `${server.user}/${name}`;
    await direct().createBucket(name, { existOk: true });
    const { page, requests, errors } = await openPage(t);
    await page.waitForSelector('.hfb[data-engine]');
    assert.equal(await page.getAttribute('.hfb', 'data-engine'), 'worker');

    // The page passes the relative endpoint; the client resolved it against the page's location.
    const seen = await page.evaluate(() => ({
      given: document.getElementById('widget')?.dataset.endpoint,
      endpoint: globalThis.bucketWidget.client.endpoint,
      hooks: Object.keys(globalThis.bucketWidget.state).filter((k) => /longest|since/i.test(k)),
    }));
    assert.deepEqual(seen, { given: '/hub', endpoint: new URL('hub', server.url).href, hooks: [] });

    // The listing went through /hub (the page holds no token; local-hub is another origin).
    await page.waitForSelector(`.hfb-bucket[data-bucket="${bucketId}"]`);
    assert.ok(requests.some((u) => u.startsWith(new URL('hub/api/buckets', server.url).href)), requests.join('\n'));
    assert.ok(!requests.some((u) => u.startsWith(hub.hub)), 'no Hub API request bypassed the proxy');
    await page.click(`.hfb-bucket[data-bucket="${bucketId}"]`);

    // A folder the client refuses: the upload fails with the client's ValidationError, on the
    // row and on the status line, and nothing is committed (the widget does not rewrite it).
    const bytes = randomBytes(300_000);
    await writeFile(path.join(tmp, 'x.bin'), bytes);
    for (const folder of ['a/../b', 'a//b', './a']) {
      await page.fill('input[data-role="folder"]', folder);
      await page.setInputFiles('input[data-role="file-input"]', path.join(tmp, 'x.bin'));
      const destination = `${folder}/x.bin`;
      await page.waitForSelector(`li.hfb-upload[data-path="${destination}"][data-status="failed"]`, { timeout: 60_000 });
      const status = page.locator(`li.hfb-upload[data-path="${destination}"] .hfb-upload-status`);
      assert.equal(await status.textContent(), 'failed: ValidationError');
      const message = `invalid path ${JSON.stringify(destination)}: must not contain`;
      assert.ok((await status.getAttribute('title'))?.startsWith(message), await status.getAttribute('title'));
      const shown = await page.textContent('[data-role="status"]');
      assert.ok(shown?.startsWith(`Uploading ${destination} failed: ValidationError: ${message}`), shown);
    }
    assert.deepEqual(await filesIn(bucketId), []);

    // Surrounding spaces and slashes of the folder are dropped; the upload runs in the worker.
    await page.fill('input[data-role="folder"]', ' /in/ ');
    await page.setInputFiles('input[data-role="file-input"]', path.join(tmp, 'x.bin'));
    await page.waitForSelector('li.hfb-upload[data-path="in/x.bin"][data-status="done"]', { timeout: 120_000 });
    assert.deepEqual(await filesIn(bucketId), ['in/x.bin']);
    // The status line moves on from the earlier failures.
    assert.equal(await page.textContent('[data-role="status"]'), 'Uploaded in/x.bin.');
    assert.equal(Buffer.compare(await direct().getBucketFile(bucketId, { path: 'in/x.bin' }), bytes), 0);
    assert.ok(requests.some((u) => u.startsWith(new URL('hub/api/buckets', server.url).href) && u.includes('/batch')),
      'the worker committed through /hub');
    assert.deepEqual(errors, []);
  });

  test('new BucketClient({ endpoint: "/hub", worker: true }) in a page: calls here and in the worker', { timeout: 180_000 }, async (t) => {
    const { page, errors } = await openPage(t, 'index.html?worker=off');
    const result = await page.evaluate(async () => {
      const { BucketClient } = await import('hf-buckets');
      const tokenProvider = async ({ bucketId, scope, signal }) =>
        (await fetch(`/api/token?bucket=${encodeURIComponent(bucketId)}&mode=${scope}`, { signal })).json();
      const out = {};
      for (const [mode, options] of [['worker', { endpoint: '/hub', worker: true }], ['here', { endpoint: 'hub' }]]) {
        const client = new BucketClient(options);
        const me = await client.whoami();
        const { bucketId } = await client.createBucket(`relative-${mode}`, { existOk: true });
        const bytes = new TextEncoder().encode(`${mode.padEnd(6, '.')} client bytes\n`.repeat(5000)); // 100,000
        const up = await client.uploadBucketFile(bucketId, { source: new Blob([bytes]), destination: 'f.txt', tokenProvider });
        const back = await client.getBucketFile(bucketId, { path: 'f.txt', tokenProvider });
        const batch = await client.batchBucketFiles(bucketId, {
          add: [{ source: bytes.subarray(0, 1000), destination: 'g.txt' }], tokenProvider,
        });
        const listed = [];
        for await (const e of client.listBucketTree(bucketId)) listed.push(e.path);
        out[mode] = {
          endpoint: client.endpoint, user: me.name, usesWorker: await client.usesWorker(), size: up.size,
          same: back.length === bytes.length && back.every((b, i) => b === bytes[i]), batch: batch.success,
          listed: listed.sort(),
        };
      }
      return { out, origin: location.origin };
    });
    const endpoint = `${result.origin}/hub`;
    assert.deepEqual(result.out.worker, {
      endpoint, user: server.user, usesWorker: true, size: 100000, same: true, batch: true, listed: ['f.txt', 'g.txt'],
    });
    assert.deepEqual(result.out.here, {
      endpoint, user: server.user, usesWorker: false, size: 100000, same: true, batch: true, listed: ['f.txt', 'g.txt'],
    });
    assert.deepEqual(await filesIn(`${server.user}/relative-worker`), ['f.txt', 'g.txt']);
    assert.deepEqual(errors, []);
  });

  test('a client made inside a worker resolves "/hub" against the worker\'s location', { timeout: 120_000 }, async (t) => {
    const { context, page } = await openPage(t, 'index.html?worker=off');
    // A module worker of the page's origin (served by the test), using the package directly.
    await context.route('**/own-worker.js', (route) => route.fulfill({
      contentType: 'text/javascript',
      body: `import('/js/browser/index.js').then(async ({ BucketClient }) => {
        const client = new BucketClient({ endpoint: '/hub' });
        const me = await client.whoami();
        postMessage({ endpoint: client.endpoint, user: me.name, location: self.location.href });
      }).catch((e) => postMessage({ error: e.name + ': ' + e.message }));`,
    }));
    const inWorker = await page.evaluate(() => new Promise((resolve) => {
      const w = new Worker('/own-worker.js', { type: 'module' });
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => resolve({ error: `worker failed: ${e.message}` });
    }));
    assert.deepEqual(inWorker, {
      endpoint: new URL('hub', server.url).href, user: server.user, location: new URL('own-worker.js', server.url).href,
    });

    // A worker started from a blob: URL has no location a path can be resolved against.
    const inBlob = await page.evaluate(() => new Promise((resolve) => {
      const src = `import(${JSON.stringify(new URL('/js/browser/index.js', location.href).href)}).then(({ BucketClient }) => {
        try { new BucketClient({ endpoint: '/hub' }); postMessage('made'); }
        catch (e) { postMessage({ name: e.name, message: e.message }); }
      });`;
      const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => resolve({ error: `worker failed: ${e.message}` });
    }));
    assert.equal(inBlob.name, 'ValidationError', JSON.stringify(inBlob));
    assert.match(inBlob.message, /"\/hub": is relative and cannot be resolved against the location blob:/);
  });
});
