// openBucketBlob (issue 13) against local-hub, in Node and (one test) in headless Chromium: a
// parquet reader from npm (hyparquet) reads the metadata and one column of a ≥ 64 MiB parquet
// file through the blob's asyncBuffer while a small fraction of the file crosses the network;
// reads at random offsets over a 100 MiB file equal the source; a flipped byte under any slice
// (in the chunk data or in the xorb's footer) is an IntegrityError. Bytes are counted and
// corrupted by a custom `fetch` (the client option).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { BucketClient, openBucketBlob } from 'hf-buckets';
import { startLocalHub } from './helpers/local-hub.mjs';
import { openBrowserPage } from './helpers/browser.mjs';
import { MiB, bytes } from './helpers/transfer-data.mjs';

let local;
let hub;
/** A client of its own: nothing its reads proved (xorb footers) is shared with `hub`'s. */
const newClient = () => new BucketClient({ endpoint: local.hub, accessToken: local.token, fetch: countingFetch });
let bucket;
let big; // 100 MiB of seeded bytes, stored as big.bin

const net = { requests: 0, bytes: 0, flip: null };

/** Counts transfer reads; `net.flip = { kind: 'data' | 'footer', at(len) }` corrupts the next data answer, or every footer answer. */
async function countingFetch(url, init) {
  const range = new Headers(init?.headers).get('range');
  if (!String(url).includes('/v1/fetch_term') || !range) return fetch(url, init);
  const resp = await fetch(url, init);
  const body = new Uint8Array(await resp.arrayBuffer());
  net.requests++;
  net.bytes += body.length;
  const kind = range.startsWith('bytes=-') ? 'footer' : 'data';
  if (net.flip?.kind === kind) {
    body[net.flip.at(body.length)] ^= 0x20;
    net.flip.done = true;
    // A footer may take two requests (the first too short): corrupt each; data only once.
    if (kind === 'data') net.flip = null;
  }
  return new Response(body, { status: resp.status, headers: resp.headers });
}

before(async () => {
  local = await startLocalHub();
  hub = newClient();
  ({ bucketId: bucket } = await hub.createBucket(`blob-${Math.random().toString(36).slice(2, 8)}`));
  big = bytes(31, 100 * MiB);
  await hub.uploadBucketFile(bucket, { source: big, destination: 'big.bin' });
});

after(async () => {
  await local?.stop();
});

const same = (a, b) => Buffer.from(a).equals(Buffer.from(b));

/** A seeded generator of integers in [0, n). */
function prng(seed) {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return Math.floor((x / 2 ** 32) * n);
  };
}

test('hyparquet reads the metadata and one column of a 69 MB parquet file, transferring < 10 % of it', async (t) => {
  const rows = 540_000;
  const columns = 16;
  const next = prng(5);
  const columnData = Array.from({ length: columns }, (_, c) => ({
    name: `c${c}`,
    data: Float64Array.from({ length: rows }, (_, i) => i * 1000 + c + next(1_000_000) / 1e6),
    type: 'DOUBLE',
    encoding: 'PLAIN',
  }));
  const file = new Uint8Array(parquetWriteBuffer({ columnData, codec: 'UNCOMPRESSED', statistics: false, rowGroupSize: 100_000 }));
  assert.ok(file.length >= 64 * MiB, `${file.length} bytes`);
  await hub.uploadBucketFile(bucket, { source: file, destination: 'data/table.parquet' });

  const before = { ...net };
  const blob = await hub.openBucketBlob(bucket, 'data/table.parquet', { type: 'application/vnd.apache.parquet' });
  assert.equal(net.requests, before.requests, 'opening fetches no data');
  assert.equal(blob.size, file.length);
  assert.equal(blob.type, 'application/vnd.apache.parquet');
  const asyncBuffer = blob.asyncBuffer();
  const metadata = await parquetMetadataAsync(asyncBuffer);
  assert.equal(Number(metadata.num_rows), rows);
  assert.equal(metadata.schema.length, columns + 1);
  const got = await parquetReadObjects({ file: asyncBuffer, metadata, columns: ['c7'] });
  assert.equal(got.length, rows);
  for (let i = 0; i < rows; i += 997) assert.equal(got[i].c7, columnData[7].data[i]);
  assert.equal(got[rows - 1].c7, columnData[7].data[rows - 1]);
  const transferred = net.bytes - before.bytes;
  const share = transferred / file.length;
  const stats = blob.stats();
  t.diagnostic(`parquet ${file.length} B; transferred ${transferred} B (${(share * 100).toFixed(2)} %) in ${net.requests - before.requests} requests; reader stats ${JSON.stringify(stats)}`);
  assert.ok(share < 0.1, `transferred ${(share * 100).toFixed(2)} % of the file`);
  assert.equal(stats.bytesFetched, transferred);
  blob.close();
});

test('reads at random offsets over a 100 MiB file equal the source bytes (property test)', async (t) => {
  const blob = await openBucketBlob(bucket, 'big.bin', { endpoint: local.hub, accessToken: local.token, cacheBytes: 4 * MiB });
  assert.equal(blob.size, big.length);
  const next = prng(11);
  const size = big.length;
  let n = 0;
  for (let i = 0; i < 120; i++) {
    const start = next(size);
    const len = [() => next(64), () => next(300_000), () => next(3 * MiB)][next(3)]();
    const end = Math.min(start + len, size);
    const view = blob.slice(start, end);
    assert.equal(view.size, end - start);
    const got = i % 3 === 0 ? new Uint8Array(await view.arrayBuffer()) : i % 3 === 1 ? await view.bytes() : new Uint8Array(await blob.asyncBuffer().slice(start, end));
    assert.ok(same(got, big.subarray(start, end)), `read ${start}..${end}`);
    n++;
  }
  // Edges, negative offsets, slices of slices, empty views, a stream of a slice.
  const edges = [[0, 1], [size - 1, size], [0, 0], [size, size], [-10, undefined], [5, 3]];
  for (const [s, e] of edges) {
    const view = blob.slice(s, e);
    const from = s < 0 ? size + s : s;
    const to = e === undefined ? size : Math.max(e, from);
    assert.ok(same(await view.bytes(), big.subarray(from, to)), `slice(${s}, ${e})`);
  }
  const inner = blob.slice(50 * MiB, 60 * MiB).slice(-1000, -10);
  assert.ok(same(await inner.bytes(), big.subarray(60 * MiB - 1000, 60 * MiB - 10)));
  const pieces = [];
  for await (const piece of blob.slice(7 * MiB + 3, 10 * MiB).stream()) pieces.push(piece);
  assert.ok(pieces.length >= 3);
  assert.ok(same(Buffer.concat(pieces), big.subarray(7 * MiB + 3, 10 * MiB)));
  assert.equal(await blob.slice(0, 0).text(), '');
  const stats = blob.stats();
  assert.ok(stats.cachedBytes <= 4 * MiB, JSON.stringify(stats));
  assert.ok(stats.footerReads <= 7, JSON.stringify(stats)); // one per xorb at most
  t.diagnostic(`${n} random reads + ${edges.length + 2} edge reads; stats ${JSON.stringify(stats)}`);
  blob.close();
  await assert.rejects(blob.slice(0, 10).bytes(), { name: 'ValidationError' });
});

test('a corrupted byte under any slice is an IntegrityError', async () => {
  const next = prng(23);
  let cases = 0;
  for (let i = 0; i < 12; i++) {
    // A fresh blob of a fresh client each time: nothing cached (no chunk, no proven footer),
    // so the corrupted answer is the one read.
    const blob = await newClient().openBucketBlob(bucket, 'big.bin');
    const start = next(big.length - 1);
    const end = Math.min(big.length, start + 1 + next(i % 2 ? 2 * MiB : 100));
    const kind = i % 3 === 2 ? 'footer' : 'data';
    // In the data: the first payload byte, the middle or the last byte of the answer; in the
    // footer: one of the chunk hashes or uncompressed offsets near the end of the answer.
    const at = kind === 'data' ? [() => 8, (len) => len >> 1, (len) => len - 1][i % 3] : (len) => len - 40 - next(200);
    net.flip = { kind, at };
    const flip = net.flip;
    await assert.rejects(blob.slice(start, end).bytes(), { name: 'IntegrityError' }, `${kind} ${start}..${end}`);
    assert.ok(flip.done, 'the corruption was applied');
    net.flip = null;
    // Nothing wrong was cached: the same read now returns the stored bytes.
    assert.ok(same(await blob.slice(start, end).bytes(), big.subarray(start, end)));
    blob.close();
    cases++;
  }
  assert.equal(cases, 12);
});

test('signal per read, typed errors, lazy open', async () => {
  const blob = await hub.openBucketBlob(bucket, 'big.bin', { cacheBytes: 0 });
  const controller = new AbortController();
  controller.abort(new Error('stop'));
  await assert.rejects(blob.slice(0, 10).bytes({ signal: controller.signal }), { name: 'AbortError' });
  assert.ok(same(await blob.slice(0, 10).bytes(), big.subarray(0, 10)), 'the blob is still usable');
  assert.equal(blob.stats().cachedBytes, 0);
  await assert.rejects(hub.openBucketBlob(bucket, 'nope.bin'), { name: 'NotFoundError' });
  await assert.rejects(hub.openBucketBlob(bucket, 'big.bin', { range: { start: 0 } }), { name: 'ValidationError' });
  await assert.rejects(hub.openBucketBlob(bucket, 'big.bin', { cacheBytes: -1 }), { name: 'ValidationError' });
  assert.equal(String(blob), '[object BucketBlob]');
  blob.close();
  blob.close(); // twice is fine
});

test('chromium: a blob of a bucket file reads slices lazily and verified', async () => {
  const chrome = await openBrowserPage({ served: ['js/', 'dist/'], title: 'hf-buckets blob' });
  try {
    await chrome.open();
    const r = await chrome.page.evaluate(
      async ({ hub: endpoint, token, bucketId }) => {
        const lib = await import('/js/browser/index.js');
        let fetched = 0;
        const client = new lib.BucketClient({
          endpoint,
          accessToken: token,
          fetch: async (url, init) => {
            const resp = await fetch(url, init);
            if (!String(url).includes('/v1/fetch_term')) return resp;
            const body = new Uint8Array(await resp.arrayBuffer());
            fetched += body.length;
            return new Response(body, { status: resp.status, headers: resp.headers });
          },
        });
        const blob = await client.openBucketBlob(bucketId, 'big.bin');
        const a = await blob.slice(40 << 20, (40 << 20) + 100).bytes();
        const b = new Uint8Array(await blob.slice(-5).arrayBuffer());
        const pieces = [];
        for await (const p of blob.slice(1 << 20, 3 << 20).stream()) pieces.push(p.length);
        const stats = blob.stats();
        blob.close();
        return { a: Array.from(a), b: Array.from(b), pieces, fetched, size: blob.size, stats };
      },
      { hub: local.hub, token: local.token, bucketId: bucket },
    );
    assert.equal(r.size, big.length);
    assert.deepEqual(r.a, Array.from(big.subarray(40 * MiB, 40 * MiB + 100)));
    assert.deepEqual(r.b, Array.from(big.subarray(big.length - 5)));
    assert.deepEqual(r.pieces, [MiB, MiB]);
    assert.ok(r.fetched < 4 * MiB, `${r.fetched} bytes fetched`);
  } finally {
    await chrome.close();
  }
});
