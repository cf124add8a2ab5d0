// The transfer engine in Node against local-hub (whose CAS is the official Xet server, so every
// xorb and shard we send is checked by code we did not write): round trips at the sizes the
// issue names, every source kind, ranges at chunk/xorb/file edges, deduplication, progress,
// cancellation, token handling, and Node's path helpers. Faults: transfer-faults.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as lib from 'hf-buckets';
import { BucketClient } from 'hf-buckets';
import { startLocalHub } from './helpers/local-hub.mjs';
import { MiB, ByteGen, bytes, byteStream, seededSha256, sha256, streamSha256 } from './helpers/transfer-data.mjs';

let local;
let hub;
let dir;
let n = 0;

before(async () => {
  local = await startLocalHub();
  hub = new BucketClient({ endpoint: local.hub, accessToken: local.token });
  dir = await mkdtemp(path.join(tmpdir(), 'hf-transfer-'));
});

after(async () => {
  await local?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function newBucket(prefix = 't') {
  const name = `${prefix}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const { bucketId } = await hub.createBucket(name);
  return bucketId;
}

const opts = () => ({ endpoint: local.hub, accessToken: local.token });

// -------------------------------------------------------------------------- round trips

test('round trips at 0, 1, 8191, 65536, 1 MiB and 64 MiB + 1 bytes', async () => {
  const bucket = await newBucket('rt');
  for (const [i, size] of [0, 1, 8191, 65536, MiB, 64 * MiB + 1].entries()) {
    const data = bytes(100 + i, size);
    // Alternate the class and the free functions.
    const up = i % 2
      ? await lib.uploadBucketFile(bucket, { ...opts(), source: data, destination: `sizes/${size}.bin` })
      : await hub.uploadBucketFile(bucket, { source: data, destination: `sizes/${size}.bin` });
    assert.equal(up.size, size);
    assert.equal(up.path, `sizes/${size}.bin`);
    assert.match(up.xetHash, /^[0-9a-f]{64}$/);
    if (size === 0) assert.equal(up.xetHash, '0'.repeat(64));
    assert.equal(up.batch.success, true);
    const [info] = await hub.getPathsInfo(bucket, [`sizes/${size}.bin`]);
    assert.equal(info.size, size);
    assert.equal(info.xetHash, up.xetHash);
    const got = i % 2
      ? await hub.getBucketFile(bucket, { path: `sizes/${size}.bin` })
      : await lib.getBucketFile(bucket, { ...opts(), path: `sizes/${size}.bin` });
    assert.ok(got instanceof Uint8Array);
    assert.equal(got.length, size);
    assert.ok(Buffer.from(got).equals(Buffer.from(data)), `bytes differ at size ${size}`);
  }
});

test('a 300 MiB generated ReadableStream round-trips through streams', async () => {
  const bucket = await newBucket('big');
  const size = 300 * MiB;
  const t0 = Date.now();
  const up = await hub.uploadBucketFile(bucket, { source: byteStream(7, size), destination: 'big.bin' });
  const t1 = Date.now();
  assert.equal(up.size, size);
  assert.equal(up.upload.newBytes, size);
  const stream = await hub.openBucketFile(bucket, { path: 'big.bin' });
  assert.equal(stream.size, size);
  const got = await streamSha256(stream);
  const t2 = Date.now();
  assert.equal(got.length, size);
  assert.equal(got.sha256, seededSha256(7, size));
  console.log(`# 300 MiB: upload ${((size / MiB) / ((t1 - t0) / 1000)).toFixed(1)} MiB/s, download ${((size / MiB) / ((t2 - t1) / 1000)).toFixed(1)} MiB/s`);
});

test('downloadStream is openBucketFile under the name the issue uses, as a method and a free function', async () => {
  const bucket = await newBucket('ds');
  const data = bytes(11, 2 * MiB + 5);
  await hub.uploadBucketFile(bucket, { source: data, destination: 'd.bin' });
  const viaMethod = await streamSha256(await hub.downloadStream(bucket, { path: 'd.bin', range: { start: 7 } }));
  assert.equal(viaMethod.sha256, sha256(data.subarray(7)));
  const viaFunction = await streamSha256(await lib.downloadStream(bucket, { ...opts(), path: 'd.bin' }));
  assert.equal(viaFunction.sha256, sha256(data));
  await assert.rejects(hub.downloadStream(bucket, { path: 'missing.bin' }), { name: 'NotFoundError' });
});

// -------------------------------------------------------------------------- sources

test('every source kind: Blob, File, ArrayBuffer, DataView, ReadableStream, async iterable, Node path, URL and Readable', async () => {
  const bucket = await newBucket('src');
  const data = bytes(3, 3 * MiB + 123);
  const file = path.join(dir, 'weights.safetensors');
  await writeFile(file, data);
  const mtime = new Date('2025-03-04T05:06:07.000Z');
  await utimes(file, mtime, mtime);
  async function* gen() {
    for (let i = 0; i < data.length; i += 777_777) yield data.subarray(i, i + 777_777);
  }
  const sources = {
    'blob.bin': new Blob([data]),
    'file.bin': new File([data], 'notes.txt', { lastModified: 1_700_000_000_000 }),
    'arraybuffer.bin': data.slice().buffer,
    'dataview.bin': new DataView(data.slice().buffer),
    'stream.bin': new Blob([data]).stream(),
    'generator.bin': gen(),
    'path.bin': file,
    'url.bin': new URL(`file://${file}`),
    'readable.bin': Readable.from(gen()),
  };
  const r = await hub.batchBucketFiles(bucket, {
    add: Object.entries(sources).map(([destination, source]) => ({ source, destination })),
  });
  assert.equal(r.success, true, JSON.stringify(r.failed));
  assert.equal(r.upload.files.length, 9);
  // One session: the content is stored once.
  assert.ok(r.upload.newBytes <= data.length, `${r.upload.newBytes}`);
  assert.ok(r.upload.dedupBytes >= 8 * data.length, `${r.upload.dedupBytes}`);
  const hashes = new Set(r.upload.files.map((f) => f.xetHash));
  assert.equal(hashes.size, 1);
  for (const dest of Object.keys(sources)) {
    assert.equal(sha256(await hub.getBucketFile(bucket, { path: dest })), sha256(data), dest);
  }
  const infos = Object.fromEntries((await hub.getPathsInfo(bucket, Object.keys(sources))).map((e) => [e.path, e]));
  // Content type from the source's name (File.name, path), else from the destination.
  assert.equal(infos['file.bin'].contentType, 'text/plain');
  assert.equal(infos['path.bin'].contentType, 'application/octet-stream');
  assert.equal(infos['blob.bin'].contentType, 'application/octet-stream');
  // mtime from the path's stat and the File's lastModified.
  assert.equal(infos['path.bin'].mtime.getTime(), mtime.getTime());
  assert.equal(infos['file.bin'].mtime.getTime(), 1_700_000_000_000);
});

test('Node paths at the edge of the one-read size (0, 1, 256 KiB, 256 KiB + 1 bytes, 3 pieces); a folder is refused', async () => {
  const bucket = await newBucket('paths');
  const sizes = [0, 1, 256 * 1024, 256 * 1024 + 1, 2 * MiB + 5];
  const add = [];
  const expected = {};
  for (const size of sizes) {
    const file = path.join(dir, `edge-${size}.bin`);
    const data = bytes(size + 7, size);
    await writeFile(file, data);
    add.push({ source: file, destination: `edge/${size}.bin` });
    expected[`edge/${size}.bin`] = sha256(data);
  }
  const r = await hub.batchBucketFiles(bucket, { add });
  assert.equal(r.success, true, JSON.stringify(r.failed));
  for (const [p, digest] of Object.entries(expected)) {
    assert.equal(sha256(await hub.getBucketFile(bucket, { path: p })), digest, p);
  }
  await assert.rejects(hub.uploadBucketFile(bucket, { source: dir, destination: 'dir.bin' }), /not a regular file/);
  await assert.rejects(hub.uploadBucketFile(bucket, { source: path.join(dir, 'missing.bin'), destination: 'm.bin' }), /ENOENT/);
});

test('explicit contentType and mtime win; content types are guessed from destinations', async () => {
  const bucket = await newBucket('meta');
  await hub.batchBucketFiles(bucket, {
    add: [
      { source: new TextEncoder().encode('{"a":1}'), destination: 'config.json' },
      { source: new Uint8Array(10), destination: 'x.bin', contentType: 'application/x-custom', mtime: new Date(1_600_000_000_000) },
    ],
  });
  const infos = Object.fromEntries((await hub.getPathsInfo(bucket, ['config.json', 'x.bin'])).map((e) => [e.path, e]));
  assert.equal(infos['config.json'].contentType, 'application/json');
  assert.equal(infos['x.bin'].contentType, 'application/x-custom');
  assert.equal(infos['x.bin'].mtime.getTime(), 1_600_000_000_000);
});

test('bad sources and paths are refused before anything is committed', async () => {
  const bucket = await newBucket('bad');
  await assert.rejects(hub.uploadBucketFile(bucket, { source: 42, destination: 'a.bin' }), { name: 'ValidationError' });
  await assert.rejects(hub.uploadBucketFile(bucket, { source: path.join(dir, 'missing'), destination: 'b.bin' }), { name: 'ValidationError' });
  await assert.rejects(hub.uploadBucketFile(bucket, { source: new Uint8Array(1), destination: '../x' }), { name: 'ValidationError' });
  await assert.rejects(hub.uploadBucketFile(bucket, { source: new Uint8Array(1), destination: '/abs' }), { name: 'ValidationError' });
  // A stream that yields something other than bytes.
  const strings = new ReadableStream({ start: (c) => { c.enqueue('text'); c.close(); } });
  await assert.rejects(hub.uploadBucketFile(bucket, { source: strings, destination: 'c.bin' }), { name: 'ValidationError' });
  // A source that fails midway.
  let i = 0;
  const failing = new ReadableStream({ pull: (c) => (i++ < 3 ? c.enqueue(bytes(i, MiB)) : c.error(new Error('disk on fire'))) });
  await assert.rejects(hub.uploadBucketFile(bucket, { source: failing, destination: 'd.bin' }), (e) => e.name === 'ValidationError' && /disk on fire/.test(e.message));
  const entries = [];
  for await (const e of hub.listBucketTree(bucket)) entries.push(e);
  assert.deepEqual(entries, []);
});

// -------------------------------------------------------------------------- ranges

test('ranges at chunk, xorb and file edges', async () => {
  const bucket = await newBucket('range');
  const size = 64 * MiB + 300_000; // five xorbs
  const data = bytes(11, size);
  await hub.uploadBucketFile(bucket, { source: data, destination: 'r.bin' });
  // Chunk boundaries, from the package's own chunker.
  const { Chunker } = await import('hf-buckets/xet');
  const chunker = new Chunker();
  const chunks = [...chunker.push(data), ...chunker.finish()];
  chunker.free?.();
  const c1 = chunks[1].offset;
  // First chunk of a later xorb: where the running size first exceeds the xorb payload limit
  // (16 MiB by default, see src/upload/plan.rs), counted from the previous cut.
  let at = 0;
  let start = 0;
  const cuts = [];
  for (const c of chunks) {
    if (at + c.length - start > 16 * MiB) {
      cuts.push(at);
      start = at;
    }
    at += c.length;
  }
  const x1 = cuts.at(-1);
  assert.ok(cuts.length >= 4 && x1 > 60 * MiB, `${cuts}`);
  const cases = [
    [0, 1], [0, c1], [c1 - 1, c1 + 1], [c1, c1 + 1], [c1 + 1, chunks[2].offset + 7],
    [x1 - 1, x1 + 1], [x1, x1 + 1], [x1 - 100_000, x1 + 100_000], [cuts[0] - 1, cuts[1] + 1],
    [size - 1, size], [size - 200_000, size], [0, size], [12345, size - 54321],
    [size, size], [5, 5],
  ];
  for (const [start, end] of cases) {
    const got = await hub.getBucketFile(bucket, { path: 'r.bin', range: { start, end } });
    assert.equal(got.length, end - start, `range ${start}..${end}`);
    assert.ok(Buffer.from(got).equals(Buffer.from(data.subarray(start, end))), `range ${start}..${end}`);
  }
  // Streams with a range; an open end is the end of the file; `end` past the end is clamped.
  const s = await hub.openBucketFile(bucket, { path: 'r.bin', range: { start: x1 - 10 } });
  assert.equal(s.size, size - x1 + 10);
  assert.equal((await streamSha256(s)).sha256, sha256(data.subarray(x1 - 10)));
  assert.equal((await hub.getBucketFile(bucket, { path: 'r.bin', range: { start: size - 3, end: size + 100 } })).length, 3);
  await assert.rejects(hub.getBucketFile(bucket, { path: 'r.bin', range: { start: size + 1 } }), { name: 'ValidationError' });
  await assert.rejects(hub.getBucketFile(bucket, { path: 'r.bin', range: { start: 10, end: 5 } }), { name: 'ValidationError' });
  await assert.rejects(hub.getBucketFile(bucket, { path: 'nope.bin' }), { name: 'NotFoundError' });
});

// -------------------------------------------------------------------------- dedup

test('dedup: re-uploading 100 MiB sends < 1 % of it', async () => {
  const bucket = await newBucket('dedup');
  const data = bytes(21, 100 * MiB);
  const first = await hub.uploadBucketFile(bucket, { source: data, destination: 'a.bin' });
  assert.ok(first.upload.bytesSent >= 100 * MiB);
  const again = await hub.uploadBucketFile(bucket, { source: data, destination: 'b.bin' });
  console.log(`# re-upload of 100 MiB sent ${again.upload.bytesSent} bytes (${again.upload.dedupQueries} dedup queries)`);
  assert.ok(again.upload.bytesSent < MiB, `${again.upload.bytesSent}`);
  assert.equal(again.dedupBytes, 100 * MiB);
  assert.equal(again.xetHash, first.xetHash);
  assert.equal(sha256(await hub.getBucketFile(bucket, { path: 'b.bin' })), sha256(data));
});

test('dedup: one byte changed in the middle of 64 MiB re-sends < 2 MiB of xorb bytes', async () => {
  const bucket = await newBucket('edit');
  const data = bytes(22, 64 * MiB);
  await hub.uploadBucketFile(bucket, { source: data, destination: 'v1.bin' });
  const edited = data.slice();
  edited[32 * MiB] ^= 0xff;
  const r = await hub.uploadBucketFile(bucket, { source: edited, destination: 'v2.bin' });
  console.log(`# one changed byte in 64 MiB re-sent ${r.upload.xorbBytesSent} xorb bytes`);
  assert.ok(r.upload.xorbBytesSent < 2 * MiB, `${r.upload.xorbBytesSent}`);
  assert.equal(sha256(await hub.getBucketFile(bucket, { path: 'v2.bin' })), sha256(edited));
  assert.equal(sha256(await hub.getBucketFile(bucket, { path: 'v1.bin' })), sha256(data));
});

test('dedup: two files sharing half their content in one batch share those xorbs', async () => {
  const bucket = await newBucket('share');
  const half = 16 * MiB;
  const common = bytes(23, half);
  const a = new Uint8Array(2 * half);
  a.set(common);
  a.set(bytes(24, half), half);
  const b = new Uint8Array(2 * half);
  b.set(common);
  b.set(bytes(25, half), half);
  const r = await hub.batchBucketFiles(bucket, { add: [{ source: a, destination: 'a.bin' }, { source: b, destination: 'b.bin' }] });
  assert.equal(r.success, true);
  const [fa, fb] = r.upload.files;
  assert.ok(fb.dedupBytes > half - 256 * 1024, `${fb.dedupBytes}`);
  // The shared half was sent once: about 3 halves in all, not 4.
  assert.ok(r.upload.xorbBytesSent < 3 * half + MiB, `${r.upload.xorbBytesSent}`);
  assert.equal(fa.newBytes, 2 * half);
  assert.equal(sha256(await hub.getBucketFile(bucket, { path: 'a.bin' })), sha256(a));
  assert.equal(sha256(await hub.getBucketFile(bucket, { path: 'b.bin' })), sha256(b));
});

// -------------------------------------------------------------------------- progress

test('progress: byte-level upload and download events, per file and in total', async () => {
  const bucket = await newBucket('prog');
  const sizes = [5 * MiB, 7 * MiB + 5];
  const events = [];
  const r = await hub.batchBucketFiles(bucket, {
    add: sizes.map((s, i) => ({ source: byteStream(40 + i, s, 256 * 1024), destination: `p${i}.bin` })),
    onProgress: (e) => events.push(structuredClone(e)),
  });
  assert.equal(r.success, true);
  assert.ok(events.length >= 3, `${events.length} events`);
  for (let i = 1; i < events.length; i++) {
    for (const k of ['bytesRead', 'bytesHashed', 'bytesDeduplicated', 'bytesNew', 'bytesUploaded', 'bytesSent']) {
      assert.ok(events[i][k] >= events[i - 1][k], `${k} went backwards`);
    }
  }
  const last = events.at(-1);
  const total = sizes[0] + sizes[1];
  assert.equal(last.bytesRead, total);
  assert.equal(last.bytesHashed, total);
  assert.equal(last.bytesNew + last.bytesDeduplicated, total);
  assert.equal(last.bytesUploaded, last.bytesNew);
  assert.equal(last.bytesSent, r.upload.bytesSent);
  for (const [i, s] of sizes.entries()) {
    const done = events.find((e) => e.file.index === i && e.file.done);
    assert.ok(done, `file ${i} done event`);
    assert.equal(done.file.path, `p${i}.bin`);
    assert.equal(done.file.bytesRead, s);
    assert.equal(done.file.bytesNew + done.file.bytesDeduplicated, s);
  }
  // Reads are reported as they happen, not once per file.
  assert.ok(events.some((e) => e.file.bytesRead > 0 && e.file.bytesRead < e.file.index * 0 + sizes[e.file.index]));

  const dl = [];
  const got = await hub.getBucketFile(bucket, { path: 'p1.bin', onProgress: (e) => dl.push({ ...e }) });
  assert.equal(got.length, sizes[1]);
  assert.ok(dl.length >= 1);
  assert.deepEqual({ v: dl.at(-1).bytesVerified, t: dl.at(-1).totalBytes }, { v: sizes[1], t: sizes[1] });
  assert.ok(dl.at(-1).bytesFetched > 0);
});

// -------------------------------------------------------------------------- cancellation

test('abort: an aborted upload stops promptly and commits nothing', async () => {
  const bucket = await newBucket('abort');
  const ac = new AbortController();
  let pulled = 0;
  const gen = new ByteGen(5);
  const endless = new ReadableStream({
    pull(c) {
      pulled++;
      c.enqueue(gen.next(MiB).slice());
      if (pulled === 40) ac.abort(new Error('user cancelled'));
    },
  });
  const t0 = Date.now();
  await assert.rejects(
    hub.uploadBucketFile(bucket, { source: endless, destination: 'never.bin', signal: ac.signal }),
    (e) => e.name === 'AbortError' && e.cause?.message === 'user cancelled',
  );
  assert.ok(Date.now() - t0 < 20_000);
  const pulledAtAbort = pulled;
  await new Promise((r) => setTimeout(r, 200));
  // The stream may refill its one-chunk queue before the reader is cancelled; no more.
  assert.ok(pulled <= pulledAtAbort + 2, `reading went on: ${pulledAtAbort} pulls at the abort, ${pulled} after`);
  assert.deepEqual(await hub.getPathsInfo(bucket, ['never.bin']), []);
  // An already-aborted signal sends nothing.
  await assert.rejects(hub.uploadBucketFile(bucket, { source: new Uint8Array(5), destination: 'x', signal: AbortSignal.abort() }), { name: 'AbortError' });
});

test('abort: a download stream stops when its signal fires', async () => {
  const bucket = await newBucket('abortdl');
  await hub.uploadBucketFile(bucket, { source: bytes(9, 20 * MiB), destination: 'f.bin' });
  const ac = new AbortController();
  const stream = await hub.openBucketFile(bucket, { path: 'f.bin', signal: ac.signal });
  const reader = stream.getReader();
  const first = await reader.read();
  assert.ok(first.value.length > 0);
  ac.abort();
  await assert.rejects(
    (async () => {
      for (;;) if ((await reader.read()).done) break;
    })(),
    { name: 'AbortError' },
  );
  // Cancelling a stream is fine too.
  const s2 = await hub.openBucketFile(bucket, { path: 'f.bin' });
  const r2 = s2.getReader();
  await r2.read();
  await r2.cancel();
});

// -------------------------------------------------------------------------- tokens

test('the Hub token never reaches the CAS; a tokenProvider replaces it entirely', async () => {
  const bucket = await newBucket('tok');
  const seen = [];
  const recording = (url, init) => {
    const auth = new Headers(init?.headers).get('authorization');
    seen.push({ url: String(url), auth });
    return fetch(url, init);
  };
  const client = new BucketClient({ endpoint: local.hub, accessToken: local.token, fetch: recording });
  const data = bytes(31, 2 * MiB);
  const up = await client.uploadBucketFile(bucket, { source: data, destination: 'x.bin' });
  assert.ok(Buffer.from(await client.getBucketFile(bucket, { path: 'x.bin' })).equals(Buffer.from(data)));
  const cas = seen.filter((r) => !r.url.startsWith(local.hub));
  assert.ok(cas.length >= 4, 'CAS requests went through the injected fetch');
  for (const r of cas) assert.ok(!r.auth?.includes(local.token), `hub token sent to ${r.url}`);
  assert.ok(cas.some((r) => r.url.includes('/v1/xorbs/') && r.auth?.startsWith('Bearer ')));
  // Transfer URLs get no Authorization at all.
  for (const r of cas.filter((r) => r.url.includes('fetch_term'))) assert.equal(r.auth, null);

  // A browser-style client: no Hub token, CAS tokens from "its server".
  const calls = [];
  const tokenProvider = async ({ bucketId, scope }) => {
    calls.push({ bucketId, scope });
    const res = await fetch(`${local.hub}/api/buckets/${bucketId}/xet-${scope}-token`, { headers: { authorization: `Bearer ${local.token}` } });
    return res.json();
  };
  const anon = new BucketClient({ endpoint: local.hub, fetch: recording });
  seen.length = 0;
  const got = await anon.getBucketFile(bucket, { xetHash: up.xetHash, size: up.size, tokenProvider });
  assert.ok(Buffer.from(got).equals(Buffer.from(data)));
  assert.deepEqual(calls, [{ bucketId: bucket, scope: 'read' }]);
  assert.ok(seen.every((r) => !r.url.startsWith(local.hub)), 'no Hub request at all');
  const up2 = await anon.uploadBucketFile(bucket, { source: bytes(32, 1000), destination: 'y.bin', tokenProvider, commit: false });
  assert.equal(up2.batch, undefined);
  assert.equal(calls.at(-1).scope, 'write');
  // The page's server then commits the hash.
  await hub.batchBucketFiles(bucket, { add: [{ destination: 'y.bin', xetHash: up2.xetHash }] });
  assert.ok(Buffer.from(await hub.getBucketFile(bucket, { path: 'y.bin' })).equals(Buffer.from(bytes(32, 1000))));
  // A provider that fails or returns garbage gives a clear error.
  await assert.rejects(anon.getBucketFile(bucket, { xetHash: up.xetHash, size: up.size, tokenProvider: async () => ({ nope: 1 }) }), /tokenProvider/);
  await assert.rejects(anon.getBucketFile(bucket, { xetHash: up.xetHash, size: up.size, tokenProvider: async () => { throw new Error('denied'); } }), /denied/);
});

test('CAS tokens are refreshed before they expire', async () => {
  const bucket = await newBucket('ttl');
  await local.admin('PUT', '/admin/settings', { casTokenTtlSecs: 2 });
  try {
    let pulled = 0;
    const gen = new ByteGen(12);
    // A slow source: the upload outlives several 2 s tokens.
    const slow = new ReadableStream({
      async pull(c) {
        if (pulled++ === 12) return c.close();
        await new Promise((r) => setTimeout(r, 400));
        c.enqueue(gen.next(MiB).slice());
      },
    });
    let providerCalls = 0;
    const tokenProvider = async ({ bucketId, scope }) => {
      providerCalls++;
      const res = await fetch(`${local.hub}/api/buckets/${bucketId}/xet-${scope}-token`, { headers: { authorization: `Bearer ${local.token}` } });
      return res.json();
    };
    const r = await hub.uploadBucketFile(bucket, { source: slow, destination: 'slow.bin', tokenProvider, xorbConcurrency: 1 });
    assert.equal(r.size, 12 * MiB);
    assert.ok(providerCalls >= 2, `${providerCalls} token calls`);
  } finally {
    await local.admin('PUT', '/admin/settings', { casTokenTtlSecs: 3600 });
  }
});

// -------------------------------------------------------------------------- Node helpers

test('node: downloadBucketFile of a file large enough to be flushed while it downloads; a late failure leaves nothing', async () => {
  const bucket = await newBucket('dl-large');
  const data = bytes(52, 40 * MiB + 5);
  await hub.uploadBucketFile(bucket, { source: data, destination: 'big.bin' });
  const to = path.join(dir, 'big-out.bin');
  const r = await lib.downloadBucketFile(bucket, { client: hub, path: 'big.bin', to });
  assert.equal(r.size, data.length);
  assert.ok((await readFile(to)).equals(Buffer.from(data)));
  // The last term's bytes corrupted: the failure comes after earlier bytes were written and
  // flushed; the temp file goes, and the earlier download stays as it was.
  await local.addFault({ target: 'cas', path: '/v1/fetch_term', action: 'flipByte', after: 2, count: 0 });
  try {
    await assert.rejects(lib.downloadBucketFile(bucket, { client: hub, path: 'big.bin', to }), { name: 'IntegrityError' });
    assert.ok((await readFile(to)).equals(Buffer.from(data)));
    assert.deepEqual((await readdir(dir)).filter((f) => f.includes('.partial')), []);
  } finally {
    await local.clearFaults();
  }
});


test('node: downloadBucketFile writes a verified file, and nothing on failure', async () => {
  const bucket = await newBucket('dl');
  const data = bytes(51, 6 * MiB + 3);
  await hub.uploadBucketFile(bucket, { source: data, destination: 'd.bin' });
  const to = path.join(dir, 'out.bin');
  const r = await lib.downloadBucketFile(bucket, { ...opts(), path: 'd.bin', to });
  assert.equal(r.size, data.length);
  assert.ok((await readFile(to)).equals(Buffer.from(data)));
  const part = path.join(dir, 'part.bin');
  await lib.downloadBucketFile(bucket, { client: hub, path: 'd.bin', to: part, range: { start: 100, end: 200 } });
  assert.ok((await readFile(part)).equals(Buffer.from(data.subarray(100, 200))));
  // A corrupted read: IntegrityError, no file, no leftover temp file.
  await local.addFault({ target: 'cas', path: '/v1/fetch_term', action: 'flipByte', count: 0 });
  try {
    const bad = path.join(dir, 'bad.bin');
    await assert.rejects(lib.downloadBucketFile(bucket, { ...opts(), path: 'd.bin', to: bad }), { name: 'IntegrityError' });
    await assert.rejects(stat(bad), { code: 'ENOENT' });
    assert.deepEqual((await readdir(dir)).filter((f) => f.includes('.partial')), []);
  } finally {
    await local.clearFaults();
  }
});
