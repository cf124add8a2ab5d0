// `hf-buckets/xet` in headless Chromium through its `browser` entry point (js/xet/browser.js:
// top-level await, wasm fetched from next to the bindings), served from this checkout by a
// static server on an ephemeral port. Checks the chunk/hash vectors and the error contract.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowserPage } from './helpers/browser.mjs';

let chrome;
let page;

before(async () => {
  chrome = await openBrowserPage({ served: ['js/', 'dist/', 'tests/js/helpers/', 'tests/vectors/'], title: 'hf-buckets/xet' });
  ({ page } = chrome);
  await chrome.open();
});

after(async () => {
  await chrome?.close();
});

test('browser: every chunking/hash vector through the browser entry point', async () => {
  const report = await page.evaluate(async () => {
    const xet = await import('/js/xet/browser.js');
    const { generate } = await import('/tests/js/helpers/generate.mjs');
    const load = async (name) => (await fetch(`/tests/vectors/${name}`)).json();
    const v = await load('xet-vectors.json');
    const m = await load('xet-merkle-vectors.json');
    const failures = [];
    const check = (ok, what) => { if (!ok) failures.push(what); };
    let checks = 0;
    const chunkSliced = (bytes, sizes) => {
      const chunker = new xet.Chunker();
      const out = [];
      for (let at = 0, i = 0; at < bytes.length; i++) {
        const n = Math.min(sizes[i % sizes.length], bytes.length - at);
        out.push(...chunker.push(bytes.subarray(at, at + n)));
        at += n;
      }
      out.push(...chunker.finish());
      chunker.free();
      return out;
    };
    for (const c of v.cases) {
      const bytes = generate(c.input);
      const want = JSON.stringify(c.chunks.map(({ offset, length, hash }) => ({ offset, length, hash })));
      check(JSON.stringify(chunkSliced(bytes, [1 << 20, 65537, 3 << 20])) === want, `${c.name}: chunks`);
      check(xet.fileHash(bytes) === c.file_hash, `${c.name}: fileHash`);
      check(xet.fileHashFromChunks(c.chunks) === c.file_hash, `${c.name}: fileHashFromChunks`);
      check(xet.xorbHash(c.chunks) === c.xorb_hash_of_all_chunks, `${c.name}: xorbHash`);
      if (c.verification_hash_of_all_chunks !== null) {
        check(xet.verificationHash(c.chunks.map((ch) => ch.hash)) === c.verification_hash_of_all_chunks, `${c.name}: verificationHash`);
      }
      for (const ch of c.chunks) {
        check(xet.isGlobalDedupEligible(ch.hash) === ch.global_dedup_eligible_by_hash, `${c.name}: eligible`);
      }
      checks++;
    }
    const e = v.chunker_edge_cases;
    for (const c of e.cases) {
      const bytes = generate({ kind: 'pattern_padded_repeat', pattern_hex: e.pattern_hex, padding: c.padding, size: e.input_size });
      const ends = chunkSliced(bytes, [4096, 60000]).map((ch) => ch.offset + ch.length);
      check(JSON.stringify(ends) === JSON.stringify(c.chunk_boundaries), `edge padding ${c.padding}`);
      checks++;
    }
    for (const c of m.cases) {
      const leaves = c.leaves.map(({ hash, size }) => ({ hash, length: size }));
      check(xet.xorbHash(leaves) === c.xorb_hash, `merkle ${c.num_leaves}: xorb`);
      check(xet.fileHashFromChunks(leaves) === c.file_hash_zero_salt, `merkle ${c.num_leaves}: file`);
      checks++;
    }
    for (const ex of m.chunk_hash_examples) {
      const bytes = ex.input_hex !== undefined ? generate({ kind: 'hex', hex: ex.input_hex }) : new TextEncoder().encode(ex.input_utf8);
      check(xet.chunkHash(bytes) === ex.hash, `chunk hash ${ex.hash}`);
      check(xet.bytesToHash(xet.hashToBytes(ex.hash)) === ex.hash, `hex round trip ${ex.hash}`);
      checks++;
    }
    return { failures, checks };
  });
  assert.deepEqual(report.failures, []);
  assert.equal(report.checks, 18 + 128 + 13 + 5);
});

test('browser: invalid input throws the exported XetError, and the instance keeps working', async () => {
  const report = await page.evaluate(async () => {
    const xet = await import('/js/xet/browser.js');
    const errors = [];
    for (const call of [() => xet.fileHash('text'), () => xet.hashToBytes('zz'), () => new xet.Chunker().push(7),
      () => xet.xorbHash([{ hash: 'a'.repeat(64), length: -1 }])]) {
      try {
        call();
        errors.push(null);
      } catch (e) {
        errors.push({ isClass: e instanceof xet.XetError, guard: xet.isXetError(e), name: e.name, code: e.code });
      }
    }
    return { errors, after: xet.chunkHash(new Uint8Array(0)) };
  });
  assert.deepEqual(report.errors, [
    { isClass: true, guard: true, name: 'ValidationError', code: 'INVALID_ARGUMENT' },
    { isClass: true, guard: true, name: 'ValidationError', code: 'INVALID_HASH' },
    { isClass: true, guard: true, name: 'ValidationError', code: 'INVALID_ARGUMENT' },
    { isClass: true, guard: true, name: 'ValidationError', code: 'INVALID_ARGUMENT' },
  ]);
  assert.equal(report.after, 'e0f2cf784e7e5f10c34f84af150e9a5ff9664216debad915364d741049870f67');
});

test('browser: ParallelChunker on 2 module Web Workers without cross-origin isolation gives the chunks of one thread', async () => {
  const report = await page.evaluate(async () => {
    const xet = await import('/js/xet/browser.js');
    const size = 3 << 20;
    const random = new Uint8Array(size);
    for (let at = 0; at < size; at += 65536) crypto.getRandomValues(random.subarray(at, at + 65536));
    const text = new TextEncoder().encode(Array.from({ length: 90_000 }, (_, i) => `line ${i}: the quick brown fox ${i * i}\n`).join('')).subarray(0, size);
    const results = [];
    for (const bytes of [random, text, new Uint8Array(1 << 20).fill(0x61)]) {
      const one = new xet.Chunker();
      const want = [...one.push(bytes), ...one.finish()];
      one.free();
      const chunker = new xet.ParallelChunker({ workers: 2, segmentBytes: 250_001 });
      const got = [];
      for (let at = 0; at < bytes.length; at += 700_001) got.push(...(await chunker.push(bytes.subarray(at, at + 700_001))));
      got.push(...(await chunker.finish()));
      results.push({ same: JSON.stringify(got) === JSON.stringify(want), chunks: want.length, workers: chunker.workerCount });
      chunker.close();
    }
    return { isolated: globalThis.crossOriginIsolated, sab: typeof SharedArrayBuffer, results };
  });
  assert.equal(report.isolated, false);
  assert.equal(report.sab, 'undefined');
  for (const r of report.results) {
    assert.ok(r.same, JSON.stringify(r));
    assert.equal(r.workers, 2);
    assert.ok(r.chunks >= 8);
  }
});

test('browser: a page that loads hf-buckets/xet from another origin (a CDN) still chunks on workers, started through a blob module', async () => {
  const other = await chrome.browser.newPage();
  /** @type {string[]} */
  const workerUrls = [];
  other.on('worker', (w) => workerUrls.push(w.url()));
  try {
    // The page is on `localhost`, the package on `127.0.0.1`: the worker script is cross-origin.
    await other.goto(chrome.otherOrigin);
    const report = await other.evaluate(async (cdn) => {
      const xet = await import(`${cdn}js/xet/browser.js`);
      const bytes = new Uint8Array(3 << 20);
      for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
      const one = new xet.Chunker();
      const want = [...one.push(bytes), ...one.finish()];
      one.free();
      const chunker = new xet.ParallelChunker({ workers: 2, segmentBytes: 500_001 });
      const got = [...(await chunker.push(bytes)), ...(await chunker.finish())];
      const workers = chunker.workerCount;
      chunker.close();
      return { origin: location.origin, same: JSON.stringify(got) === JSON.stringify(want), chunks: want.length, workers };
    }, chrome.base);
    assert.notEqual(report.origin, new URL(chrome.base).origin);
    assert.ok(report.same, JSON.stringify(report));
    assert.ok(report.chunks >= 8);
    assert.equal(report.workers, 2);
    assert.ok(workerUrls.length === 2 && workerUrls.every((u) => u.startsWith(`blob:${report.origin}/`)), workerUrls.join());
  } finally {
    await other.close();
  }
});
