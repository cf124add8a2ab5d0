// The upload widget's Preview (issue 13): text, image and parquet files are read through
// `openBucketBlob` in the page — only the bytes shown are fetched, each chunk verified — and the
// preview says how much it read. The parquet file is 25 MB; its preview (metadata and a few rows of
// a few columns) must read well under 10 % of it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { BucketClient } from 'hf-buckets';
import { startDemoStack } from './helpers/browser.mjs';

let stack;
let page;
let bucketId;
let parquetSize;
const text = Array.from({ length: 4000 }, (_, i) => `line ${i}: the quick brown fox\n`).join(''); // ~116 KB

/** A valid 4×4 PNG (red), built here so the test needs no binary fixture. */
function png() {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(4, 0);
  header.writeUInt32BE(4, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = Buffer.concat(Array.from({ length: 4 }, () => Buffer.from([0, 255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

before(async () => {
  stack = await startDemoStack();
  const hub = new BucketClient({ endpoint: stack.hub.hub, accessToken: stack.hub.token });
  ({ bucketId } = await hub.createBucket('previews', { existOk: true }));
  const rows = 200_000;
  const columnData = Array.from({ length: 16 }, (_, c) => ({
    name: `c${c}`,
    data: Float64Array.from({ length: rows }, (_, i) => i * 100 + c),
    type: 'DOUBLE',
    encoding: 'PLAIN',
  }));
  const parquet = new Uint8Array(parquetWriteBuffer({ columnData, codec: 'UNCOMPRESSED', statistics: false, rowGroupSize: 50_000 }));
  parquetSize = parquet.length;
  await hub.batchBucketFiles(bucketId, {
    add: [
      { source: new TextEncoder().encode(text), destination: 'notes/readme.txt' },
      { source: png(), destination: 'red.png' },
      { source: parquet, destination: 'table.parquet' },
      { source: new Uint8Array(10), destination: 'weights.bin' },
    ],
  });
  const context = await stack.browser.newContext();
  page = await context.newPage();
  page.on('pageerror', (error) => console.error(`# page error: ${error.message}`));
  await page.goto(stack.server.url);
  await page.click(`.hfb-bucket[data-bucket="${bucketId}"]`);
  await page.waitForSelector('tr.hfb-file[data-path="table.parquet"]');
});

after(async () => {
  await stack?.close();
});

/** Clicks Preview on `path` and waits for the note that says what was read. */
async function preview(path) {
  await page.click(`tr.hfb-file[data-path="${path}"] [data-action="preview"]`);
  await page.waitForFunction(
    (p) => {
      const panel = document.querySelector('[data-role="preview"]');
      const note = panel?.querySelector('[data-role="preview-note"]');
      return panel?.textContent?.includes(p) && note && note.textContent !== 'Reading…';
    },
    path,
    { timeout: 30_000 },
  );
  return page.$eval('[data-role="preview"]', (panel) => {
    const note = /** @type {HTMLElement} */ (panel.querySelector('[data-role="preview-note"]'));
    return { note: note.textContent, kind: note.dataset.kind, fetched: Number(note.dataset.bytesFetched), html: panel.innerHTML };
  });
}

test('Preview is offered for text, images and parquet only', async () => {
  for (const path of ['red.png', 'table.parquet']) {
    assert.ok(await page.$(`tr.hfb-file[data-path="${path}"] [data-action="preview"]`), path);
  }
  await page.click('button[data-path="notes"][data-action="toggle"]');
  await page.waitForSelector('tr.hfb-file[data-path="notes/readme.txt"] [data-action="preview"]');
  assert.equal(await page.$('tr.hfb-file[data-path="weights.bin"] [data-action="preview"]'), null);
});

test('a text preview reads only the first 64 KiB', async () => {
  const r = await preview('notes/readme.txt');
  assert.equal(r.kind, undefined, r.note);
  assert.match(r.note, /^1\d\d\.\d KiB file, showing the first 64\.0 KiB: fetched [\d.]+ KiB \(chunks and xorb footers\), every chunk verified\.$/);
  const shown = await page.$eval('.hfb-preview-text', (pre) => pre.textContent);
  assert.equal(shown, text.slice(0, 64 * 1024));
  assert.ok(r.fetched < text.length, `${r.fetched} bytes read of ${text.length}`);
});

test('an image preview shows the picture', async () => {
  const r = await preview('red.png');
  assert.equal(r.kind, undefined, r.note);
  const size = await page.$eval('.hfb-preview-image', async (img) => {
    const image = /** @type {HTMLImageElement} */ (img);
    await image.decode();
    return [image.naturalWidth, image.naturalHeight];
  });
  assert.deepEqual(size, [4, 4]);
});

test('a parquet preview reads the schema and five rows, under 10 % of the file', async () => {
  const r = await preview('table.parquet');
  assert.equal(r.kind, undefined, r.note);
  assert.match(r.html, /200,000 rows × 16 columns \(the first 6 shown\)/);
  const cells = await page.$$eval('.hfb-preview-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(cells, Array.from({ length: 5 }, (_, i) => Array.from({ length: 6 }, (_, c) => String(i * 100 + c))));
  console.log(`# parquet preview read ${r.fetched} of ${parquetSize} bytes (${((100 * r.fetched) / parquetSize).toFixed(2)} %)`);
  assert.ok(r.fetched > 0 && r.fetched < parquetSize / 10, `${r.fetched} of ${parquetSize}`);
  // Closing the preview empties it.
  await page.click('[data-action="close-preview"]');
  assert.equal(await page.$eval('[data-role="preview"]', (p) => p.hidden), true);
});
