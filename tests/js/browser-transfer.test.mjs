// The transfer engine in headless Chromium (Debian's, through playwright-core) against
// local-hub: uploads from File, Blob, ReadableStream and Uint8Array sources, whole and ranged
// downloads as bytes and as ReadableStreams, dedup, a corrupted read, a page that only ever sees
// CAS tokens (tokenProvider), and abort. The page imports the browser entry point; local-hub is
// another origin, so CORS is exercised as well.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLocalHub } from './helpers/local-hub.mjs';
import { openBrowserPage } from './helpers/browser.mjs';

let chrome;
let page;
let local;

before(async () => {
  local = await startLocalHub();
  chrome = await openBrowserPage({ served: ['js/', 'dist/'], title: 'hf-buckets transfers' });
  page = chrome.page;
  await page.exposeFunction('hubAdmin', (method, route, body) => local.admin(method, route, body));
  // Stands for the widget's own server: hands out CAS tokens, keeps the hf_ token to itself.
  await page.exposeFunction('serverCasToken', async (bucketId, scope) => {
    const res = await fetch(`${local.hub}/api/buckets/${bucketId}/xet-${scope}-token`, { headers: { authorization: `Bearer ${local.token}` } });
    return res.json();
  });
  await chrome.open();
  await installPageHelpers(page);
});

after(async () => {
  await chrome?.close();
  await local?.stop();
});

/** Globals the page-side test code uses: seeded bytes, byte equality, SHA-256. */
async function installPageHelpers(p) {
  await p.evaluate(() => {
    // Seeded bytes (xorshift32), the same generator in every test.
    globalThis.seeded = (seed, n) => {
      const w = new Uint32Array(Math.ceil(n / 4));
      let x = (seed * 2654435761) >>> 0 || 1;
      for (let i = 0; i < w.length; i++) {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        w[i] = x;
      }
      return new Uint8Array(w.buffer, 0, n);
    };
    globalThis.same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
    globalThis.digest = async (u8) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', u8)), (b) => b.toString(16).padStart(2, '0')).join('');
  });
}

/** Runs `fn` in the page (`p`, default the shared one) with the library, a client and a fresh bucket. */
async function inPage(fn, extra = {}, p = page) {
  return p.evaluate(
    async ({ body, hub, token, extra }) => {
      const lib = await import('/js/browser/index.js');
      const client = new lib.BucketClient({ endpoint: hub, accessToken: token });
      const { bucketId } = await client.createBucket(`b-${Math.random().toString(36).slice(2, 10)}`);
      // eslint-disable-next-line no-new-func
      const f = new Function('return ' + body)();
      return f({ lib, client, bucketId, hub, extra });
    },
    { body: fn.toString(), hub: local.hub, token: local.token, extra },
  );
}

test('chromium: round trips from Uint8Array, Blob, File and ReadableStream sources', async () => {
  const r = await inPage(async ({ client, bucketId }) => {
    const out = [];
    for (const [i, size] of [0, 1, 8191, 65536, 1 << 20, 9 * (1 << 20) + 7].entries()) {
      const data = seeded(i + 1, size);
      const kinds = {
        u8: data,
        blob: new Blob([data]),
        file: new File([data], `f${i}.json`, { lastModified: 1_700_000_000_000 }),
        stream: new Blob([data]).stream(),
      };
      for (const [kind, source] of Object.entries(kinds)) {
        const up = await client.uploadBucketFile(bucketId, { source, destination: `${kind}/${size}` });
        const got = await client.getBucketFile(bucketId, { path: `${kind}/${size}` });
        out.push({ kind, size, ok: up.size === size && same(got, data) });
      }
    }
    const [info] = await client.getPathsInfo(bucketId, ['file/65536']);
    return { out, contentType: info.contentType, mtime: info.mtime.getTime() };
  });
  for (const x of r.out) assert.ok(x.ok, `${x.kind} ${x.size}`);
  assert.equal(r.out.length, 24);
  assert.equal(r.contentType, 'application/json');
  assert.equal(r.mtime, 1_700_000_000_000);
});

test('chromium: ranges and ReadableStream downloads; dedup on re-upload', async () => {
  const r = await inPage(async ({ client, bucketId }) => {
    const data = seeded(42, 12 * (1 << 20) + 5);
    const first = await client.uploadBucketFile(bucketId, { source: new Blob([data]), destination: 'big.bin' });
    const again = await client.uploadBucketFile(bucketId, { source: data, destination: 'copy.bin' });
    const ranges = [[0, 1], [65535, 65537], [5 << 20, (5 << 20) + 300_000], [data.length - 1, data.length], [data.length, data.length]];
    const rangeOk = [];
    for (const [start, end] of ranges) {
      rangeOk.push(same(await client.getBucketFile(bucketId, { path: 'big.bin', range: { start, end } }), data.subarray(start, end)));
    }
    const stream = await client.openBucketFile(bucketId, { path: 'copy.bin' });
    const parts = [];
    for await (const p of stream) parts.push(p);
    const joined = new Uint8Array(await new Blob(parts).arrayBuffer());
    const piped = new Uint8Array(await new Response(await client.openBucketFile(bucketId, { path: 'big.bin', range: { start: 100 } })).arrayBuffer());
    return {
      sentFirst: first.upload.bytesSent,
      sentAgain: again.upload.bytesSent,
      rangeOk,
      streamOk: same(joined, data),
      pipedOk: same(piped, data.subarray(100)),
      size: stream.size,
    };
  });
  assert.ok(r.sentFirst >= 12 * (1 << 20));
  assert.ok(r.sentAgain < 64 * 1024, `${r.sentAgain}`);
  assert.deepEqual(r.rangeOk, [true, true, true, true, true]);
  assert.ok(r.streamOk && r.pipedOk);
  assert.equal(r.size, 12 * (1 << 20) + 5);
});

test('chromium: a corrupted xorb read is an IntegrityError', async () => {
  const r = await inPage(async ({ client, bucketId }) => {
    await client.uploadBucketFile(bucketId, { source: seeded(7, 2 << 20), destination: 'a.bin' });
    await globalThis.hubAdmin('POST', '/admin/faults', { target: 'cas', path: '/v1/fetch_term', action: 'flipByte', count: 0 });
    try {
      await client.getBucketFile(bucketId, { path: 'a.bin' });
      return 'no error';
    } catch (e) {
      return `${e.name}:${e instanceof (await import('/js/browser/index.js')).IntegrityError}`;
    } finally {
      await globalThis.hubAdmin('DELETE', '/admin/faults');
    }
  });
  assert.equal(r, 'IntegrityError:true');
});

test('chromium: a page with CAS tokens only (tokenProvider, no hf_ token) uploads and downloads', async () => {
  const r = await inPage(async ({ lib, bucketId, hub }) => {
    const seen = [];
    const anon = new lib.BucketClient({ endpoint: hub, fetch: (url, init) => { seen.push(String(url)); return fetch(url, init); } });
    const tokenProvider = ({ bucketId: b, scope }) => globalThis.serverCasToken(b, scope);
    const data = seeded(9, 3 << 20);
    const up = await anon.uploadBucketFile(bucketId, { source: new Blob([data]), destination: 'w.bin', tokenProvider, commit: false });
    const got = await anon.getBucketFile(bucketId, { xetHash: up.xetHash, size: up.size, tokenProvider });
    return { ok: same(got, data), hubCalls: seen.filter((u) => u.startsWith(hub)).length, casCalls: seen.length };
  });
  assert.ok(r.ok);
  assert.equal(r.hubCalls, 0);
  assert.ok(r.casCalls >= 3);
});

test('chromium: abort stops an upload and a download', async () => {
  const r = await inPage(async ({ client, bucketId }) => {
    const ac = new AbortController();
    let pulls = 0;
    const endless = new ReadableStream({
      pull(c) {
        if (++pulls === 20) ac.abort();
        c.enqueue(seeded(pulls, 1 << 20));
      },
    });
    let upErr;
    try {
      await client.uploadBucketFile(bucketId, { source: endless, destination: 'x', signal: ac.signal });
    } catch (e) {
      upErr = e.name;
    }
    await client.uploadBucketFile(bucketId, { source: seeded(3, 8 << 20), destination: 'd' });
    const ac2 = new AbortController();
    const s = await client.openBucketFile(bucketId, { path: 'd', signal: ac2.signal });
    const reader = s.getReader();
    await reader.read();
    ac2.abort();
    let dlErr;
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch (e) {
      dlErr = e.name;
    }
    const left = await client.getPathsInfo(bucketId, ['x']);
    return { upErr, dlErr, committed: left.length };
  });
  assert.deepEqual(r, { upErr: 'AbortError', dlErr: 'AbortError', committed: 0 });
});

test('chromium: upload progress moves byte by byte inside a xorb, in the page and in a worker', async () => {
  // One 12 MiB xorb through a CAS limited to 2 MiB/s: a few seconds of sending (less what the socket
  // buffers absorb at once), during which `bytesUploaded` must take a value between 0 and the total
  // (XMLHttpRequest upload progress); progress per request or per xorb would jump from 0 to the total.
  // Each mode gets a fresh browser context, so fresh connections: a connection that already carried
  // large uploads has kernel buffers grown big enough to take the whole xorb at once on loopback.
  await local.setNetwork({ target: 'cas', bandwidthBytesPerSec: 2 * (1 << 20), latencyMs: 0 });
  try {
    for (const worker of [false, true]) {
      const context = await chrome.browser.newContext();
      const fresh = await context.newPage();
      await fresh.goto(chrome.base);
      await installPageHelpers(fresh);
      const r = await inPage(async ({ lib, hub, extra }) => {
        const client = new lib.BucketClient({ endpoint: hub, accessToken: extra.token, worker: extra.worker });
        const { bucketId } = await client.createBucket(`p-${Math.random().toString(36).slice(2, 10)}`);
        const data = seeded(extra.worker ? 78 : 77, 12 << 20); // new bytes each time
        const seen = [];
        const up = await client.uploadBucketFile(bucketId, {
          source: data,
          destination: 'p.bin',
          onProgress: (e) => seen.push([e.bytesUploaded, e.bytesSent]),
        });
        return { seen, newBytes: up.upload.newBytes, ok: same(await client.getBucketFile(bucketId, { path: 'p.bin' }), data) };
      }, { token: local.token, worker }, fresh).finally(() => context.close());
      const total = r.newBytes;
      assert.equal(total, 12 << 20, `worker ${worker}`);
      const inside = new Set(r.seen.map(([u]) => u).filter((u) => u > 0 && u < total));
      assert.ok(r.ok, `worker ${worker}`);
      assert.equal(r.seen.at(-1)[0], total, `worker ${worker}`);
      assert.ok(inside.size >= 1, `worker ${worker}: bytesUploaded values strictly inside (0, ${total}): ${[...inside]}`);
      for (let i = 1; i < r.seen.length; i++) assert.ok(r.seen[i][0] >= r.seen[i - 1][0], 'monotonic');
    }
  } finally {
    await local.clearFaults();
  }
});
