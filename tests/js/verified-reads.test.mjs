// Verified partial reads (issue 10) against local-hub: every byte a range read hands out was
// checked against a chunk hash proven by its xorb's hash — a xorb fetched whole proves itself,
// part of one is proven by the xorb's footer, read with a suffix range on the same transfer URL
// once per xorb. A flipped byte in any fetched range (data or footer) is an IntegrityError and no
// byte of that range is handed out; a server that refuses the footer range makes a partial read
// an IntegrityError unless `verify: 'structural'`. The bytes are tampered with by a custom
// `fetch` (the client option), which also counts the footer's cost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BucketClient } from 'hf-buckets';
import { Chunker } from 'hf-buckets/xet';
import { startLocalHub } from './helpers/local-hub.mjs';
import { MiB, bytes } from './helpers/transfer-data.mjs';

let local;
let bucket;
let data;
let chunks;
const SIZE = 20 * MiB; // two xorbs (the client writes 16 MiB xorbs)

/** What the custom fetch does to transfer reads, and what it saw. */
const tamper = {
  flip: null, // 'data' | 'footer' | null
  nth: 0, // which response of that kind to corrupt ('any': the first one `at` falls inside)
  flipped: false,
  at: (len) => len >> 1, // byte index in the body
  refuse: 0, // status answered to suffix ranges (0: pass through)
  seen: { data: 0, footer: 0, dataBytes: 0, footerBytes: 0 },
};

function reset() {
  // Answers to requests of an earlier read (still completing after it failed) no longer count.
  tamper.gen = (tamper.gen ?? 0) + 1;
  Object.assign(tamper, { flip: null, nth: 0, at: (len) => len >> 1, refuse: 0, flipped: false });
  tamper.seen = { data: 0, footer: 0, dataBytes: 0, footerBytes: 0 };
}

async function tamperingFetch(url, init) {
  const range = new Headers(init?.headers).get('range');
  if (!String(url).includes('/v1/fetch_term') || !range) return fetch(url, init);
  const kind = range.startsWith('bytes=-') ? 'footer' : 'data';
  if (kind === 'footer' && tamper.refuse) return new Response('refused', { status: tamper.refuse });
  const gen = tamper.gen;
  const resp = await fetch(url, init);
  const body = new Uint8Array(await resp.arrayBuffer());
  if (gen !== tamper.gen) return new Response(body, { status: resp.status, headers: resp.headers });
  const index = tamper.seen[kind]++;
  tamper.seen[`${kind}Bytes`] += body.length;
  if (tamper.flip === kind && !tamper.flipped && (index === tamper.nth || tamper.nth === 'any')) {
    const at = tamper.at(body.length, body);
    if (at >= 0 && at < body.length) {
      body[at] ^= 0x40;
      tamper.flipped = true;
    }
  }
  return new Response(body, { status: resp.status, headers: resp.headers });
}

let hub;
/**
 * A client of its own: the xorb footers a client's reads prove are kept for its later reads,
 * so tests of footer reads use a new one each time.
 */
const newClient = () =>
  new BucketClient({ endpoint: local.hub, accessToken: local.token, fetch: tamperingFetch, retry: { retries: 2, initialDelayMs: 10, maxDelayMs: 50 } });

before(async () => {
  local = await startLocalHub();
  hub = newClient();
  ({ bucketId: bucket } = await hub.createBucket(`verified-${Math.random().toString(36).slice(2, 8)}`));
  data = bytes(77, SIZE);
  await hub.uploadBucketFile(bucket, { source: data, destination: 'a.bin' });
  const chunker = new Chunker();
  chunks = [...chunker.push(data), ...chunker.finish()];
  chunker.free();
});

after(async () => {
  await local?.stop();
});

const same = (a, b) => Buffer.from(a).equals(Buffer.from(b));

/** Reads a range as a stream; returns the bytes handed out and the error, if any. */
async function streamRange(range, extra = {}, client = hub) {
  const got = [];
  try {
    const stream = await client.openBucketFile(bucket, { path: 'a.bin', range, ...extra });
    for await (const piece of stream) got.push(piece.slice());
    return { bytes: Buffer.concat(got) };
  } catch (error) {
    return { bytes: Buffer.concat(got), error };
  }
}

function ranges() {
  const c = chunks[5].offset;
  return {
    'inside one chunk': { start: c + 10, end: c + 20 },
    'across a chunk edge': { start: c - 1, end: c + 1 },
    'exactly one chunk': { start: c, end: chunks[6].offset },
    'across the xorb edge': { start: 15 * MiB, end: 17 * MiB },
    'first byte': { start: 0, end: 1 },
    'last byte': { start: SIZE - 1, end: SIZE },
    'whole file as a range': { start: 0, end: SIZE },
  };
}

test('ranges at chunk, xorb and file edges read the stored bytes, one footer per partial xorb', async (t) => {
  const again = newClient();
  for (const [name, range] of Object.entries(ranges())) {
    reset();
    const got = await newClient().getBucketFile(bucket, { path: 'a.bin', range });
    assert.ok(same(got, data.subarray(range.start, range.end)), name);
    const { data: d, footer, dataBytes, footerBytes } = tamper.seen;
    // Every partially read xorb costs one or two footer requests; a xorb read whole costs none.
    assert.ok(footer <= 2 * d, `${name}: ${footer} footer requests for ${d} data requests`);
    t.diagnostic(`${name}: ${d} data requests (${dataBytes} B), ${footer} footer requests (${footerBytes} B)`);
    // A client reads each footer once: its later reads of the same xorbs reuse the proof.
    await again.getBucketFile(bucket, { path: 'a.bin', range });
    reset();
    assert.ok(same(await again.getBucketFile(bucket, { path: 'a.bin', range }), data.subarray(range.start, range.end)), name);
    assert.equal(tamper.seen.footer, 0, `${name}: read again by the same client`);
  }
  reset();
  assert.ok(same(await newClient().getBucketFile(bucket, { path: 'a.bin' }), data));
  // The 16 MiB xorb's term is over 12 MiB: its footer is read once to fetch it in parts cut at
  // chunk boundaries (several ranges in flight); the 4 MiB xorb is fetched whole, no footer.
  assert.equal(tamper.seen.footer, 1, 'a whole file reads one footer, for the xorb it splits');
});

test('a flipped byte in any fetched data range is an IntegrityError, and no byte of it is handed out', async () => {
  let cases = 0;
  for (const [name, range] of Object.entries(ranges())) {
    reset();
    await hub.getBucketFile(bucket, { path: 'a.bin', range });
    const units = tamper.seen.data;
    for (let nth = 0; nth < units; nth++) {
      for (const at of [(len) => 8, (len) => len >> 1, (len) => len - 1]) {
        reset();
        Object.assign(tamper, { flip: 'data', nth, at });
        await assert.rejects(hub.getBucketFile(bucket, { path: 'a.bin', range }), { name: 'IntegrityError' }, `${name} unit ${nth}`);
        assert.ok(tamper.flipped);
        reset();
        Object.assign(tamper, { flip: 'data', nth, at });
        const { bytes: handed, error } = await streamRange(range);
        assert.equal(error?.name, 'IntegrityError', `${name} unit ${nth} (stream)`);
        assert.ok(tamper.flipped);
        // What the stream handed out before the error is exactly the start of the range.
        assert.ok(same(handed, data.subarray(range.start, range.start + handed.length)), `${name} unit ${nth}: wrong bytes handed out`);
        cases++;
      }
    }
  }
  assert.ok(cases >= 24, `${cases} cases`);
});

test('a flipped byte under a Blob slice at chunk, xorb and file edges is an IntegrityError', async () => {
  let cases = 0;
  for (const [name, range] of Object.entries(ranges())) {
    // No chunk cache: every read fetches its data ranges again (the footers stay proven).
    const blob = await hub.openBucketBlob(bucket, 'a.bin', { cacheBytes: 0 });
    reset();
    assert.ok(same(await blob.slice(range.start, range.end).bytes(), data.subarray(range.start, range.end)), name);
    const units = tamper.seen.data;
    assert.ok(units >= 1, name);
    for (let nth = 0; nth < units; nth++) {
      for (const at of [(len) => 8, (len) => len >> 1, (len) => len - 1]) {
        reset();
        Object.assign(tamper, { flip: 'data', nth, at });
        await assert.rejects(blob.slice(range.start, range.end).bytes(), { name: 'IntegrityError' }, `${name} unit ${nth}`);
        assert.ok(tamper.flipped, `${name} unit ${nth}: the flip was applied`);
        cases++;
      }
    }
    // Nothing wrong stays behind: the same blob then reads the stored bytes.
    reset();
    assert.ok(same(await blob.slice(range.start, range.end).bytes(), data.subarray(range.start, range.end)), `${name} after`);
    blob.close();
  }
  assert.ok(cases >= 21, `${cases} cases`);
});

test('a flipped byte in a footer is an IntegrityError', async () => {
  const range = ranges()['inside one chunk'];
  // Offsets inside the footer, from the end of the answer: info_length, the xorb hash, a chunk
  // hash, an uncompressed offset.
  const footerStart = (len, body) => len - 4 - new DataView(body.buffer).getUint32(len - 4, true);
  const spots = {
    info_length: (len) => len - 1,
    'xorb hash': (len, body) => footerStart(len, body) + 8 + 3,
    'chunk hash 5': (len, body) => footerStart(len, body) + 52 + 32 * 5 + 7,
    'uncompressed offset 5': (len, body) => {
      const start = footerStart(len, body);
      const n = new DataView(body.buffer).getUint32(start + 48, true);
      return start + 52 + 32 * n + 12 + 4 * n + 4 * 5;
    },
  };
  for (const [name, at] of Object.entries(spots)) {
    reset();
    Object.assign(tamper, { flip: 'footer', nth: 'any', at });
    await assert.rejects(newClient().getBucketFile(bucket, { path: 'a.bin', range }), { name: 'IntegrityError' }, name);
    assert.ok(tamper.flipped, name);
  }
});

test("a server that refuses the footer range: IntegrityError, unless verify: 'structural'", async () => {
  const range = ranges()['across the xorb edge'];
  for (const status of [416, 403, 400]) {
    reset();
    tamper.refuse = status;
    await assert.rejects(
      newClient().getBucketFile(bucket, { path: 'a.bin', range }),
      (e) => e.name === 'IntegrityError' && e.message.includes('refused the footer range') && e.message.includes(`HTTP ${status}`),
      `status ${status}`,
    );
    const { error } = await streamRange(range, {}, newClient());
    assert.equal(error?.name, 'IntegrityError');
  }
  reset();
  tamper.refuse = 416;
  const got = await hub.getBucketFile(bucket, { path: 'a.bin', range, verify: 'structural' });
  assert.ok(same(got, data.subarray(range.start, range.end)));
  assert.equal(tamper.seen.footer, 0);
  // A whole file needs no footer.
  assert.ok(same(await hub.getBucketFile(bucket, { path: 'a.bin' }), data));
  // 'structural' is what it says: a flipped byte in a partially read xorb of random data (stored
  // uncompressed) goes through.
  reset();
  Object.assign(tamper, { flip: 'data', nth: 0, at: (len) => len >> 1 });
  const wrong = await hub.getBucketFile(bucket, { path: 'a.bin', range, verify: 'structural' });
  assert.equal(wrong.length, range.end - range.start);
  assert.ok(!same(wrong, data.subarray(range.start, range.end)));
  await assert.rejects(hub.getBucketFile(bucket, { path: 'a.bin', range, verify: 'fast' }), { name: 'ValidationError' });
});

test('the reads of one client share its read token for the bucket; another client asks for its own', async () => {
  let tokenRequests = 0;
  const counting = (url, init) => {
    if (String(url).includes('/xet-read-token')) tokenRequests++;
    return tamperingFetch(url, init);
  };
  const options = { endpoint: local.hub, accessToken: local.token, fetch: counting };
  const client = new BucketClient(options);
  const range = ranges()['inside one chunk'];
  reset();
  for (let i = 0; i < 3; i++) assert.ok(same(await client.getBucketFile(bucket, { path: 'a.bin', range }), data.subarray(range.start, range.end)));
  const blob = await client.openBucketBlob(bucket, 'a.bin');
  assert.equal((await blob.slice(0, 5).bytes()).length, 5);
  blob.close();
  assert.equal(tokenRequests, 1, 'one token for 3 reads and a blob of one client');
  await new BucketClient(options).getBucketFile(bucket, { path: 'a.bin', range });
  assert.equal(tokenRequests, 2);
});

test('a default reader gets pieces no larger than their bytes (no 4 MiB buffer per read of a small range)', async () => {
  const range = ranges()['across a chunk edge'];
  const stream = await hub.openBucketFile(bucket, { path: 'a.bin', range });
  const pieces = [];
  for await (const piece of stream) pieces.push(piece);
  assert.ok(same(Buffer.concat(pieces), data.subarray(range.start, range.end)));
  for (const piece of pieces) assert.ok(piece.buffer.byteLength <= Math.max(piece.length, 64 << 10), `${piece.buffer.byteLength} B buffer for ${piece.length} B`);
});
