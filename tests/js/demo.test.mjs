// End to end: the upload widget in www/ on local-hub, driven in Debian's Chromium by playwright-core.
//
// Upload three files (one of 50 MiB), watch progress move, cancel one mid-way (nothing of it committed),
// list the tree (lazy folders), download one (SHA-256 compared), delete one; show that chunking ran in
// the worker and not on the main thread; measure (not assert) the longest main-thread task during the
// 50 MiB upload; save a screenshot (target/demo/widget.png; DEMO_SCREENSHOT=path to write elsewhere).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installLongTaskProbe, longTaskStats, startDemoStack } from './helpers/browser.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';
import { BucketClient } from 'hf-buckets';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MiB = 2 ** 20;
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

let stack;
let hub;
let server;
let browser;
let tmp;

before(async () => {
  stack = await startDemoStack();
  ({ hub, server, browser } = stack);
  tmp = await mkdtemp(path.join(tmpdir(), 'hf-buckets-demo-'));
});

after(async () => {
  await stack?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** The Hub as the test sees it directly (not through the page): the ground truth. */
function hubClient() {
  return new BucketClient({ endpoint: hub.hub, accessToken: hub.token });
}

async function filesIn(bucketId) {
  const out = new Map();
  for await (const entry of hubClient().listBucketTree(bucketId, { recursive: true })) {
    if (entry.type === 'file') out.set(entry.path, entry);
  }
  return out;
}

/** A page of the widget with probes installed before any script runs. */
async function openWidget(context, query = '') {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`# page error: ${error.message}`));
  await installLongTaskProbe(page);
  await page.addInitScript(() => {
    // Saving through the File System Access API, without its dialog: keep the bytes and hash them.
    globalThis.__saved = {};
    if (typeof globalThis.showSaveFilePicker === 'function') {
      globalThis.showSaveFilePicker = async ({ suggestedName }) => ({
        createWritable: async () => {
          const parts = [];
          let chunks = 0;
          return new WritableStream({
            write(chunk) {
              parts.push(chunk.slice());
              chunks++;
            },
            async close() {
              const bytes = await new Blob(parts).arrayBuffer();
              const digest = await crypto.subtle.digest('SHA-256', bytes);
              globalThis.__saved[suggestedName] = {
                size: bytes.byteLength,
                chunks,
                sha256: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join(''),
              };
            },
          });
        },
      });
    }
  });
  await page.goto(server.url + query);
  return page;
}

/** Upload row of `destination` in the widget. */
const row = (page, destination) => page.locator(`li.hfb-upload[data-path="${destination}"]`);

async function uploadState(page, destination) {
  return row(page, destination).evaluate((li) => ({
    status: li.dataset.status,
    read: Number(li.querySelector('[data-role="read"]').dataset.bytes),
    deduplicated: Number(li.querySelector('[data-role="dedup"]').dataset.bytes),
    uploaded: Number(li.querySelector('[data-role="uploaded"]').dataset.bytes),
  }));
}

/** Whether a CPU-profile frame is WebAssembly (Chromium names the module's URL, or `wasm://`). */
const isWasmFrame = ({ url, functionName }) => url.endsWith('.wasm') || url.startsWith('wasm://')
  || functionName.startsWith('wasm-function[');

/** Counts main-thread CPU-profile samples that were executing WebAssembly. */
async function profileWasmSamples(page, run) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 1000 }); // µs; finer sampling slows the page
  await cdp.send('Profiler.start');
  let result;
  try {
    result = await run();
  } finally {
    const { profile } = await cdp.send('Profiler.stop');
    await cdp.detach();
    const wasmNodes = new Set(profile.nodes.filter((n) => isWasmFrame(n.callFrame)).map((n) => n.id));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    let wasmUs = 0;
    samples.forEach((id, i) => {
      if (wasmNodes.has(id)) wasmUs += deltas[i + 1] ?? deltas[i] ?? 0;
    });
    result = {
      ...(result ?? {}),
      samples: samples.length,
      wasmSamples: samples.filter((id) => wasmNodes.has(id)).length,
      wasmMs: wasmUs / 1000,
    };
  }
  return result;
}

describe('demo server', () => {
  test('serves the page and the package with the right types and no isolation headers', async () => {
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    assert.equal(page.headers.get('cross-origin-opener-policy'), null);
    assert.equal(page.headers.get('cross-origin-embedder-policy'), null);
    assert.ok(!(await page.text()).includes(hub.token), 'the page never contains the hf_ token');

    const wasm = await fetch(new URL('dist/client/hf_buckets_client_bg.wasm', server.url));
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.ok(WebAssembly.validate(new Uint8Array(await wasm.arrayBuffer())));
    const js = await fetch(new URL('js/worker/worker.js', server.url));
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
    assert.equal((await fetch(new URL('js/../../Cargo.toml', server.url))).status, 404);
    assert.equal((await fetch(new URL('%2e%2e/Cargo.toml', server.url))).status, 404);
    assert.equal((await fetch(new URL('js/%2e%2e%2f%2e%2e%2fCargo.toml', server.url))).status, 404);
  });

  test('hands out CAS tokens for the server user\'s buckets only, never the hf_ token', async () => {
    await hubClient().createBucket('token-check', { existOk: true });
    const bucketId = `${server.user}/token-check`;
    for (const mode of ['read', 'write']) {
      const response = await fetch(new URL(`api/token?bucket=${bucketId}&mode=${mode}`, server.url));
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.deepEqual(Object.keys(body).sort(), ['accessToken', 'casUrl', 'exp']);
      assert.equal(body.casUrl, hub.cas.replace(/\/$/, ''));
      assert.ok(body.exp > Date.now() / 1000);
      assert.notEqual(body.accessToken, hub.token);
    }
    const refused = async (query, status) => {
      const response = await fetch(new URL(`api/token?${query}`, server.url));
      assert.equal(response.status, status, query);
      assert.ok(!(await response.text()).includes(hub.token));
    };
    await refused(`bucket=someone-else/x&mode=read`, 403);
    await refused(`bucket=${bucketId}&mode=admin`, 400);
    await refused(`bucket=../etc&mode=read`, 400);
    await refused(`bucket=${server.user}/no-such-bucket&mode=read`, 404);
  });

  test('proxies the Hub API with its own token, rewrites pagination links, refuses token routes', async () => {
    const base = new URL('hub/', server.url);
    const whoami = await fetch(new URL('api/whoami-v2', base));
    assert.equal(whoami.status, 200);
    assert.equal((await whoami.json()).name, server.user);
    const direct = await fetch(new URL(`hub/api/buckets/${server.user}/token-check/xet-write-token`, server.url));
    assert.equal(direct.status, 404, 'CAS tokens only come from /api/token');
    const other = await fetch(new URL('hub/api/buckets/someone-else', server.url));
    assert.equal(other.status, 403);
    const admin = await fetch(new URL('hub/admin/faults', server.url));
    assert.equal(admin.status, 404);

    // Pagination links point back at the proxy, so the page never talks to the Hub directly.
    const client = hubClient();
    const bucketId = `${server.user}/token-check`;
    await client.batchBucketFiles(bucketId, {
      add: Array.from({ length: 3 }, (_, i) => ({ destination: `p/${i}.txt`, source: new TextEncoder().encode(`${i}`) })),
    });
    const page1 = await fetch(new URL(`hub/api/buckets/${bucketId}/tree?recursive=true&limit=2`, server.url));
    assert.equal(page1.status, 200);
    const link = page1.headers.get('link');
    assert.ok(link, 'a second page exists');
    assert.ok(link.includes(new URL('hub/', server.url).href), link);
    assert.ok(!link.includes(hub.hub), link);
  });
});

describe('worker option', () => {
  test('falls back to the calling thread where there is no Worker (Node)', async () => {
    assert.equal(typeof globalThis.Worker, 'undefined');
    const client = new BucketClient({ endpoint: hub.hub, accessToken: hub.token, worker: true });
    assert.equal(await client.usesWorker(), false);
    await client.createBucket('node-fallback', { existOk: true });
    const bucketId = `${server.user}/node-fallback`;
    const bytes = randomBytes(300_000);
    let events = 0;
    const up = await client.uploadBucketFile(bucketId, { source: bytes, destination: 'x.bin', onProgress: () => events++ });
    assert.equal(up.size, bytes.length);
    assert.ok(events > 0);
    assert.equal(sha256(await client.getBucketFile(bucketId, { path: 'x.bin' })), sha256(bytes));
  });
});

describe('upload widget in Chromium', () => {
  // Main-thread time in WebAssembly per MiB uploaded with the worker off (set by the first test).
  let mainThreadWasmMsPerMiB = null;

  test('the CPU-profile probe sees main-thread chunking when the worker is off', { timeout: 300_000 }, async (t) => {
    // Control for the worker assertion below: the same probe, with `?worker=off`, must see wasm.
    const context = await browser.newContext();
    t.after(() => context.close());
    await hubClient().createBucket('main-thread', { existOk: true });
    const page = await openWidget(context, '?worker=off');
    await page.waitForSelector('.hfb[data-engine]');
    assert.equal(await page.getAttribute('.hfb', 'data-engine'), 'main-thread');
    await page.click(`.hfb-bucket[data-bucket="${server.user}/main-thread"]`);
    await writeFile(path.join(tmp, 'main.bin'), randomBytes(16 * MiB));
    const { wasmSamples, samples, wasmMs } = await profileWasmSamples(page, async () => {
      await page.setInputFiles('input[data-role="file-input"]', path.join(tmp, 'main.bin'));
      await page.waitForSelector('li.hfb-upload[data-path="main.bin"][data-status="done"]', { timeout: 240_000 });
    });
    console.log(`# worker off, 16 MiB upload: main thread ran WebAssembly for ${wasmMs.toFixed(1)} ms`
      + ` (${wasmSamples} of ${samples} profile samples)`);
    assert.ok(wasmSamples > 0, 'the probe detects WebAssembly on the main thread');
    mainThreadWasmMsPerMiB = wasmMs / 16;
  });
  test('upload, progress, cancel, tree, download, delete — chunking in the worker', { timeout: 600_000 }, async (t) => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 860 } });
    t.after(() => context.close());
    const page = await openWidget(context);
    await page.waitForSelector('.hfb[data-engine]');
    assert.equal(await page.getAttribute('.hfb', 'data-engine'), 'worker', 'uploads run in a Web Worker');
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), false, 'no COOP/COEP needed');

    // A bucket with a folder in it, written from Node with the same package: folders load lazily.
    const name = `widget-${Date.now().toString(36)}`;
    const bucketId = `${server.user}/${name}`;
    await page.fill('form[data-role="create-form"] input[name="name"]', name);
    await page.click('form[data-role="create-form"] button[type="submit"]');
    await page.waitForSelector(`.hfb-bucket.is-selected[data-bucket="${bucketId}"]`);
    const readme = new TextEncoder().encode('# Notes\nUploaded from Node, listed in the browser.\n');
    await hubClient().uploadBucketFile(bucketId, { source: readme, destination: 'notes/README.md' });

    // Three files: 50 MiB and 24 MiB from the file picker, a small one dropped on the page.
    const big = randomBytes(50 * MiB);
    const doomed = randomBytes(24 * MiB);
    await writeFile(path.join(tmp, 'big.bin'), big);
    await writeFile(path.join(tmp, 'cancel-me.bin'), doomed);
    const small = 'hello from a drop\n'.repeat(1000);

    // Slow the CAS down so a cancel can land mid-way, whatever the machine's speed.
    await hub.setNetwork({ target: 'cas', bandwidthBytesPerSec: 24 * MiB, latencyMs: 0 });
    t.after(() => hub.clearFaults());

    // Every value the page shows for big.bin's bytes read (recorded in the page, as rendered).
    await page.evaluate(() => {
      globalThis.__bigRead = [];
      new MutationObserver(() => {
        const span = document.querySelector('li.hfb-upload[data-path="big.bin"] [data-role="read"]');
        if (span) globalThis.__bigRead.push(Number(span.dataset.bytes));
      }).observe(document.querySelector('[data-role="upload-list"]'), { childList: true, subtree: true });
    });
    const { wasmSamples, samples, wasmMs, window } = await profileWasmSamples(page, async () => {
      const start = await page.evaluate(() => performance.now());
      await page.setInputFiles('input[data-role="file-input"]', [path.join(tmp, 'big.bin'), path.join(tmp, 'cancel-me.bin')]);
      await page.evaluate((text) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], 'dropped.txt', { type: 'text/plain' }));
        document.querySelector('[data-role="drop"]').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, small);

      // Watch the progress move, and cancel cancel-me.bin once it is under way.
      let cancelled = false;
      for (;;) {
        const [b, d] = await Promise.all([uploadState(page, 'big.bin'), uploadState(page, 'cancel-me.bin')]);
        if (!cancelled && d.status === 'running' && d.read > 0) {
          await row(page, 'cancel-me.bin').locator('[data-action="cancel"]').click();
          cancelled = true;
        }
        if (b.status !== 'running' && b.status !== 'queued') break;
        await page.waitForTimeout(40);
      }
      const end = await page.evaluate(() => performance.now());
      return { window: [start, end] };
    });

    await page.evaluate(() => globalThis.bucketWidget.idle());
    assert.equal((await uploadState(page, 'big.bin')).status, 'done');
    assert.equal((await uploadState(page, 'dropped.txt')).status, 'done');
    const doomedState = await uploadState(page, 'cancel-me.bin');
    assert.equal(doomedState.status, 'cancelled');
    assert.ok(doomedState.read < doomed.length || doomedState.uploaded < doomed.length, 'cancelled mid-way');

    const shown = await page.evaluate(() => globalThis.__bigRead);
    const moving = [...new Set(shown)].filter((n) => n > 0 && n < big.length);
    assert.ok(moving.length >= 3, `progress of big.bin moved through intermediate values: ${moving.join(', ')}`);
    assert.deepEqual(moving, [...moving].sort((a, b) => a - b), 'and only forward');
    const bigFinal = await uploadState(page, 'big.bin');
    assert.equal(bigFinal.read, big.length);
    assert.equal(bigFinal.deduplicated + bigFinal.uploaded >= big.length, true);

    // Chunking ran in the worker: while 50 MiB (and part of 24 MiB) were chunked, hashed and uploaded,
    // the main thread ran WebAssembly only for the page's listing calls — a small fraction of what
    // the same data costs on the main thread with the worker off (measured by the control test).
    const processedMiB = (big.length + doomedState.read) / MiB;
    assert.ok(mainThreadWasmMsPerMiB !== null, 'the control test (worker off) ran first');
    const mainThreadEquivalentMs = mainThreadWasmMsPerMiB * processedMiB;
    console.log(`# worker on, ${processedMiB.toFixed(1)} MiB uploaded: main thread ran WebAssembly for ${wasmMs.toFixed(1)} ms`
      + ` (${wasmSamples} of ${samples} samples); on the main thread this data would cost ~${mainThreadEquivalentMs.toFixed(0)} ms`);
    assert.ok(samples > 0, 'the profiler sampled the main thread');
    assert.ok(wasmMs < mainThreadEquivalentMs / 10,
      `main-thread wasm ${wasmMs.toFixed(1)} ms must be < 10 % of ${mainThreadEquivalentMs.toFixed(0)} ms: chunking ran in the worker`);

    // The longest main-thread task during the 50 MiB upload: a measurement, printed, not asserted.
    const { longest, longTasks, maxGap } = await longTaskStats(page, window[0], window[1]);
    console.log(`# longest main-thread task during the 50 MiB upload: ${longTasks ? `${longest.toFixed(0)} ms` : 'none ≥ 50 ms'}`
      + ` (${longTasks} long tasks; largest timer gap ${maxGap.toFixed(0)} ms; upload window ${((window[1] - window[0]) / 1000).toFixed(1)} s;`
      + ` machine load ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores)`);

    // Nothing of the cancelled file was committed; the others were, byte-exact in size.
    await hub.clearFaults();
    const files = await filesIn(bucketId);
    assert.ok(!files.has('cancel-me.bin'), 'the cancelled upload committed nothing');
    assert.equal(files.get('big.bin')?.size, big.length);
    assert.equal(files.get('dropped.txt')?.size, small.length);

    // The same 50 MiB again under another name: the page shows it deduplicated, not uploaded.
    await writeFile(path.join(tmp, 'big-copy.bin'), big);
    await page.setInputFiles('input[data-role="file-input"]', path.join(tmp, 'big-copy.bin'));
    await page.waitForSelector('li.hfb-upload[data-path="big-copy.bin"][data-status="done"]', { timeout: 120_000 });
    const copy = await uploadState(page, 'big-copy.bin');
    console.log(`# big-copy.bin: deduplicated ${copy.deduplicated} of ${big.length} bytes, uploaded ${copy.uploaded}`);
    assert.ok(copy.deduplicated >= big.length * 0.99, `deduplicated ${copy.deduplicated}`);
    assert.ok(copy.uploaded <= big.length * 0.01, `uploaded ${copy.uploaded}`);

    // The tree: root entries listed one level deep; the folder is loaded when opened.
    await page.click('[data-action="refresh-tree"]');
    await page.waitForSelector('tr.hfb-file[data-path="big.bin"]');
    await page.waitForSelector('tr.hfb-file[data-path="dropped.txt"]');
    assert.equal(await page.locator('tr[data-path="cancel-me.bin"]').count(), 0);
    assert.equal(await page.locator('tr.hfb-file[data-path="notes/README.md"]').count(), 0, 'folder not loaded yet');
    const treeRequests = [];
    page.on('request', (r) => {
      if (r.url().includes('/tree')) treeRequests.push(r.url());
    });
    await page.click('button[data-action="toggle"][data-path="notes"]');
    await page.waitForSelector('tr.hfb-file[data-path="notes/README.md"]');
    assert.ok(treeRequests.some((u) => u.includes('/tree/notes') && u.includes('recursive=false')), treeRequests.join('\n'));
    assert.match(await page.textContent('tr.hfb-file[data-path="big.bin"] .hfb-size'), /50\.0 MiB/);
    await page.waitForSelector('tr.hfb-file[data-path="big-copy.bin"]');
    assert.equal(await page.textContent('[data-role="info-files"]'), '4');

    const shot = process.env.DEMO_SCREENSHOT ?? path.join(REPO, 'target', 'demo', 'widget.png');
    await mkdir(path.dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`# screenshot: ${path.relative(REPO, shot)}`);

    // Download big.bin streamed to "disk" (the File System Access path) and compare SHA-256.
    await page.click('tr.hfb-file[data-path="big.bin"] [data-action="download"]');
    await page.waitForFunction(() => globalThis.__saved['big.bin'], null, { timeout: 120_000 });
    const saved = await page.evaluate(() => globalThis.__saved['big.bin']);
    assert.equal(saved.size, big.length);
    assert.equal(saved.sha256, sha256(big));
    console.log(`# download of big.bin: ${saved.chunks} write(s) to the file`);

    // Delete one file from the tree.
    page.once('dialog', (dialog) => dialog.accept());
    await page.click('tr.hfb-file[data-path="dropped.txt"] [data-action="delete"]');
    await page.waitForSelector('tr.hfb-file[data-path="dropped.txt"]', { state: 'detached' });
    const after = await filesIn(bucketId);
    assert.ok(!after.has('dropped.txt'));
    assert.ok(after.has('big.bin'));
  });

  test('download through a Blob where the File System Access API is missing', { timeout: 120_000 }, async (t) => {
    const context = await browser.newContext({ acceptDownloads: true });
    t.after(() => context.close());
    const bucketId = `${server.user}/blob-download`;
    const bytes = randomBytes(3 * MiB + 7);
    await hubClient().createBucket('blob-download', { existOk: true });
    await hubClient().uploadBucketFile(bucketId, { source: bytes, destination: 'data/sample.bin' });

    await context.addInitScript(() => {
      delete globalThis.showSaveFilePicker;
      delete Window.prototype.showSaveFilePicker;
    });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.click(`.hfb-bucket[data-bucket="${bucketId}"]`);
    await page.click('button[data-action="toggle"][data-path="data"]');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('tr.hfb-file[data-path="data/sample.bin"] [data-action="download"]'),
    ]);
    assert.equal(download.suggestedFilename(), 'sample.bin');
    const file = path.join(tmp, 'sample.bin');
    await download.saveAs(file);
    assert.equal(sha256(await readFile(file)), sha256(bytes));
  });

  test('worker mode: typed errors, abort, stream sources and results, batches, cancel all', { timeout: 300_000 }, async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const name = 'worker-mode';
    const bucketId = `${server.user}/${name}`;
    await hubClient().createBucket(name, { existOk: true });
    const page = await openWidget(context);
    await page.waitForSelector('.hfb[data-engine="worker"]');

    const result = await page.evaluate(async (bucketId) => {
      const { AbortError, NotFoundError, isNotFoundError } = await import('hf-buckets');
      const client = globalThis.bucketWidget.client;
      const tokenProvider = async ({ bucketId: id, scope, signal }) =>
        (await fetch(`/api/token?bucket=${encodeURIComponent(id)}&mode=${scope}`, { signal })).json();
      const out = {};
      const random = (n) => {
        const bytes = new Uint8Array(n);
        for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65536)));
        return bytes;
      };
      const hex = async (bytes) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
        .map((b) => b.toString(16).padStart(2, '0')).join('');

      // An error thrown in the worker arrives as the package's own class, with its fields.
      try {
        await client.getBucketFile(bucketId, { path: 'no/such/file.bin', tokenProvider });
        out.missing = 'resolved';
      } catch (e) {
        out.missing = { name: e.name, status: e.status, isClass: e instanceof NotFoundError, guard: isNotFoundError(e) };
      }

      // An abort from the page stops the upload in the worker and rejects with AbortError.
      const controller = new AbortController();
      let events = 0;
      try {
        await client.uploadBucketFile(bucketId, {
          source: new Blob([random(12 << 20)]),
          destination: 'aborted.bin',
          tokenProvider,
          signal: controller.signal,
          onProgress: () => {
            events++;
            controller.abort(new Error('stop'));
          },
        });
        out.aborted = 'resolved';
      } catch (e) {
        out.aborted = { name: e.name, isClass: e instanceof AbortError, events };
      }

      // An endless ReadableStream source: the abort stops the pumping and cancels the source.
      let sourceCancelled = false;
      const endless = new ReadableStream({
        pull: (c) => c.enqueue(random(256 << 10)),
        cancel: () => { sourceCancelled = true; },
      });
      const stop = new AbortController();
      try {
        await client.uploadBucketFile(bucketId, {
          source: endless, destination: 'endless.bin', tokenProvider, signal: stop.signal,
          onProgress: (e) => { if (e.bytesRead >= 4 << 20) stop.abort(); },
        });
        out.endless = 'resolved';
      } catch (e) {
        await new Promise((ok) => setTimeout(ok, 50));
        out.endless = { name: e.name, sourceCancelled };
      }

      // A ReadableStream source is pumped to the worker; the download comes back as a stream.
      const bytes = random((3 << 20) + 5);
      const up = await client.uploadBucketFile(bucketId, {
        source: new Blob([bytes]).stream(), destination: 'streamed.bin', tokenProvider,
      });
      const stream = await client.openBucketFile(bucketId, { path: 'streamed.bin', tokenProvider });
      const back = await new Response(stream).arrayBuffer();
      out.stream = {
        uploadedSize: up.size, isStream: stream instanceof ReadableStream, size: stream.size,
        xetHash: stream.xetHash === up.xetHash, same: (await hex(back)) === (await hex(bytes)),
      };
      const whole = await client.getBucketFile(bucketId, { path: 'streamed.bin', tokenProvider, range: { start: 10, end: 1010 } });
      out.range = { isBytes: whole instanceof Uint8Array, length: whole.length, same: whole.every((b, i) => b === bytes[10 + i]) };

      // A batch with several sources runs in the worker as one call.
      const progress = [];
      const batch = await client.batchBucketFiles(bucketId, {
        add: [
          { source: random(1 << 20), destination: 'batch/a.bin' },
          { source: new Blob(['hello batch']), destination: 'batch/b.txt' },
        ],
        tokenProvider,
        onProgress: (e) => progress.push(e.bytesRead),
      });
      out.batch = { files: batch.upload.files.map((f) => f.path), progress: progress.length > 0 };
      out.usesWorker = await client.usesWorker();
      return out;
    }, bucketId);

    assert.deepEqual(result.missing, { name: 'NotFoundError', status: 404, isClass: true, guard: true });
    assert.equal(result.aborted.name, 'AbortError');
    assert.equal(result.aborted.isClass, true);
    assert.deepEqual(result.endless, { name: 'AbortError', sourceCancelled: true });
    assert.equal(result.stream.uploadedSize, (3 << 20) + 5);
    assert.deepEqual(result.stream, { uploadedSize: (3 << 20) + 5, isStream: true, size: (3 << 20) + 5, xetHash: true, same: true });
    assert.deepEqual(result.range, { isBytes: true, length: 1000, same: true });
    assert.deepEqual(result.batch, { files: ['batch/a.bin', 'batch/b.txt'], progress: true });
    assert.equal(result.usesWorker, true);

    // "Cancel all" in the widget stops every running and queued upload; nothing is committed.
    await page.click(`.hfb-bucket[data-bucket="${bucketId}"]`);
    await writeFile(path.join(tmp, 'all-1.bin'), randomBytes(16 * MiB));
    await writeFile(path.join(tmp, 'all-2.bin'), randomBytes(16 * MiB));
    await writeFile(path.join(tmp, 'all-3.bin'), randomBytes(1 * MiB));
    await hub.setNetwork({ target: 'cas', bandwidthBytesPerSec: 4 * MiB, latencyMs: 0 });
    t.after(() => hub.clearFaults());
    await page.setInputFiles('input[data-role="file-input"]', ['all-1.bin', 'all-2.bin', 'all-3.bin'].map((f) => path.join(tmp, f)));
    await page.waitForFunction(() => document.querySelectorAll('li.hfb-upload[data-status="running"]').length === 2);
    await page.click('[data-action="cancel-all"]');
    await page.evaluate(() => globalThis.bucketWidget.idle());
    for (const f of ['all-1.bin', 'all-2.bin', 'all-3.bin']) assert.equal((await uploadState(page, f)).status, 'cancelled', f);
    await hub.clearFaults();

    const files = await filesIn(bucketId);
    assert.deepEqual([...files.keys()].sort(), ['batch/a.bin', 'batch/b.txt', 'streamed.bin']);
  });

  test('embeds in a page of another origin: package from there, worker via a blob module', { timeout: 180_000 }, async (t) => {
    // A "third-party" page on http://localhost:… loads the widget and the package from the demo
    // server (http://127.0.0.1:…): no COOP/COEP anywhere, the worker script is cross-origin.
    const host = createServer((req, res) => {
      const demo = embedded.url.replace(/\/$/, '');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><meta charset="utf-8"><title>host</title>
<link rel="stylesheet" href="${demo}/style.css">
<script type="importmap">{ "imports": { "hf-buckets": "${demo}/js/browser/index.js" } }</script>
<h1>Somebody else's page</h1><div id="w"></div>
<script type="module">
  import { mountBucketWidget } from '${demo}/widget.js';
  globalThis.bucketWidget = mountBucketWidget(document.getElementById('w'),
    { endpoint: '${demo}/hub', tokenUrl: '${demo}/api/token', worker: true });
</script>`);
    });
    await new Promise((ok) => host.listen(0, '127.0.0.1', ok));
    t.after(() => new Promise((ok) => host.close(ok)));
    const hostOrigin = `http://localhost:${host.address().port}`;
    const embedded = await startDemoServer({ hubUrl: hub.hub, token: hub.token, allowOrigins: [hostOrigin] });
    t.after(() => embedded.close());

    const name = 'embedded';
    const bucketId = `${server.user}/${name}`;
    await hubClient().createBucket(name, { existOk: true });
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const response = await page.goto(`${hostOrigin}/`);
    assert.equal(response.headers()['cross-origin-embedder-policy'], undefined);
    await page.waitForSelector('.hfb[data-engine]');
    assert.equal(await page.getAttribute('.hfb', 'data-engine'), 'worker');
    assert.ok(page.workers().some((w) => w.url().startsWith(`blob:${hostOrigin}/`)), page.workers().map((w) => w.url()).join());

    await page.click(`.hfb-bucket[data-bucket="${bucketId}"]`);
    const bytes = randomBytes(2 * MiB + 3);
    await writeFile(path.join(tmp, 'embedded.bin'), bytes);
    await page.setInputFiles('input[data-role="file-input"]', path.join(tmp, 'embedded.bin'));
    await page.waitForSelector('li.hfb-upload[data-path="embedded.bin"][data-status="done"]', { timeout: 120_000 });
    await page.waitForSelector('tr.hfb-file[data-path="embedded.bin"]');
    const back = await hubClient().getBucketFile(bucketId, { path: 'embedded.bin' });
    assert.equal(sha256(back), sha256(bytes));
    assert.deepEqual(errors, []);

    // Without the origin on the allow list, the same page gets no token and no Hub answers.
    const refused = await page.evaluate(async (demo) => {
      try {
        await fetch(`${demo}api/token?bucket=x/y&mode=read`);
        return 'answered';
      } catch {
        return 'blocked';
      }
    }, server.url);
    assert.equal(refused, 'blocked', 'the main demo server has no CORS allow list for this origin');
  });
});
