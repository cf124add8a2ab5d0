// Large files uploaded from a path in Node are chunked and hashed in worker threads, a segment
// each (js/node/transfer.js, js/xet/segment-workers.js), and stitched by the engine: the stored
// file, its hash and its dedup are exactly those of the same bytes uploaded on one thread. The
// workers start for files from HF_BUCKETS_CHUNK_WORKERS_FROM_MIB (128 by default; 16 here, so
// that a 40 MiB file starts them). `checksum` syncs hash large local files the same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BucketClient, planSync } from 'hf-buckets';
import { startLocalHub } from './helpers/local-hub.mjs';
import { SEGMENT, segmentReader } from '../../js/node/transfer.js';

let local;
let dir;
/** Whether a test started the chunking workers (they serve the process's later large files). */
let startedBefore = false;
before(async () => {
  local = await startLocalHub();
  dir = mkdtempSync(path.join(tmpdir(), 'hfb-segments-'));
});
after(async () => {
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `fn` with the workers starting for files from 16 MiB; resolves to its result and the
 * number of threads started meanwhile.
 * @template T
 * @param {() => Promise<T>} fn
 * @returns {Promise<[T, number]>}
 */
async function withWorkersFrom16MiB(fn) {
  let workers = 0;
  const counting = () => workers++;
  process.on('worker', counting);
  process.env.HF_BUCKETS_CHUNK_WORKERS_FROM_MIB = '16';
  try {
    return [await fn(), workers];
  } finally {
    process.off('worker', counting);
    delete process.env.HF_BUCKETS_CHUNK_WORKERS_FROM_MIB;
  }
}

/** 40 MiB + 12,345 bytes: random, a constant stretch (only maximum-size cuts), text-like. */
function mixedBytes() {
  const random = randomFillSync(new Uint8Array(24 << 20));
  const constant = new Uint8Array(6 << 20).fill(7);
  const text = new Uint8Array((10 << 20) + 12_345);
  const words = new TextEncoder().encode('the quick brown fox jumps over the lazy dog ');
  for (let i = 0; i < text.length; i++) text[i] = words[i % words.length] ^ ((i >> 14) & 3);
  const all = new Uint8Array(random.length + constant.length + text.length);
  all.set(random);
  all.set(constant, random.length);
  all.set(text, random.length + constant.length);
  return all;
}

test('a checksum sync hashes large local files in workers, with the hashes of one thread', async () => {
  const client = new BucketClient({ endpoint: local.hub, accessToken: local.token });
  const { bucketId } = await client.createBucket(`segments-sum-${Date.now().toString(36)}`);
  const data = mixedBytes();
  const changed = data.slice();
  changed[30 << 20] ^= 1; // same size, one byte different
  await client.batchBucketFiles(bucketId, {
    add: [
      { source: data, destination: 'same.bin' },
      { source: data, destination: 'edited.bin' },
    ],
  });
  const root = path.join(dir, 'sum');
  mkdirSync(root);
  writeFileSync(path.join(root, 'same.bin'), data);
  writeFileSync(path.join(root, 'edited.bin'), changed);
  // Both local files look older than the bucket's: by times, neither would be sent.
  for (const name of ['same.bin', 'edited.bin']) utimesSync(path.join(root, name), new Date(2001, 0, 1), new Date(2001, 0, 1));
  const [plan, workers] = await withWorkersFrom16MiB(() =>
    planSync({ client, source: root, destination: `hf://buckets/${bucketId}`, checksum: true }),
  );
  assert.ok(workers >= 1, 'chunking workers started');
  startedBefore = true;
  const reasons = Object.fromEntries(plan.operations.map((o) => [o.path, `${o.action}: ${o.reason}`]));
  assert.deepEqual(reasons, { 'edited.bin': 'upload: content differs (checksum)', 'same.bin': 'skip: identical (checksum)' });
});

test('a large file from a path is chunked in workers, with the hash, bytes and dedup of one thread', async () => {
  const client = new BucketClient({ endpoint: local.hub, accessToken: local.token });
  const { bucketId } = await client.createBucket(`segments-${Date.now().toString(36)}`);
  const data = mixedBytes();
  const file = path.join(dir, 'big.bin');
  writeFileSync(file, data);
  const [fromPath, workers] = await withWorkersFrom16MiB(() =>
    client.batchBucketFiles(bucketId, { add: [{ source: file, destination: 'path.bin' }] }),
  );
  // Started here, or by the checksum test before (they stay for the process's later files).
  assert.ok(workers >= 1 || startedBefore, 'chunking workers run');
  assert.equal(fromPath.success, true);
  // The same bytes from memory (one thread) in another bucket: same hash, same new bytes.
  const other = await client.createBucket(`segments-b-${Date.now().toString(36)}`);
  const fromBytes = await client.batchBucketFiles(other.bucketId, { add: [{ source: data, destination: 'bytes.bin' }] });
  assert.equal(fromPath.upload.files[0].xetHash, fromBytes.upload.files[0].xetHash);
  assert.equal(fromPath.upload.files[0].size, data.length);
  const back = await client.getBucketFile(bucketId, { path: 'path.bin' });
  assert.equal(back.length, data.length);
  assert.ok(Buffer.from(back).equals(Buffer.from(data)), 'the stored bytes are the file');
  // Uploaded again from the path: everything is found stored.
  const again = await client.batchBucketFiles(bucketId, { add: [{ source: file, destination: 'again.bin' }] });
  assert.equal(again.upload.files[0].xetHash, fromBytes.upload.files[0].xetHash);
  assert.equal(again.upload.newBytes, 0);
  assert.equal(again.upload.dedupBytes, data.length);
});

test('HF_BUCKETS_CHUNK_WORKERS must be a whole number: the upload says so before sending anything', async () => {
  const client = new BucketClient({ endpoint: local.hub, accessToken: local.token });
  const { bucketId } = await client.createBucket(`segments-env-${Date.now().toString(36)}`);
  const file = path.join(dir, 'twenty.bin');
  writeFileSync(file, new Uint8Array(20 << 20));
  process.env.HF_BUCKETS_CHUNK_WORKERS = 'two';
  try {
    await assert.rejects(
      client.batchBucketFiles(bucketId, { add: [{ source: file, destination: 'x.bin' }] }),
      (e) => e.name === 'ValidationError' && /HF_BUCKETS_CHUNK_WORKERS must be a whole number/.test(e.message),
    );
  } finally {
    delete process.env.HF_BUCKETS_CHUNK_WORKERS;
  }
  const listed = [];
  for await (const entry of client.listBucketTree(bucketId)) listed.push(entry.path);
  assert.deepEqual(listed, []);
});

test('the segment reader hands out every byte in order, with chunks where a worker gave them; a failed worker costs only its chunks', async () => {
  const size = 5 * SEGMENT + 777; // five whole segments and a short one
  const data = randomFillSync(new Uint8Array(size));
  const file = path.join(dir, 'segments.bin');
  writeFileSync(file, data);
  // Which segment a buffer holds (reads may finish out of order): by its first 16 bytes.
  const key = (bytes) => Buffer.from(bytes.subarray(0, 16)).toString('hex');
  const index = new Map(Array.from({ length: 6 }, (_, i) => [key(data.subarray(i * SEGMENT)), i]));
  // Stand-in workers: the 2nd segment's worker fails (its buffer is gone), the 4th finds no
  // worker ready, the others answer with a marker.
  const workers = {
    chunk(buffer, length) {
      const n = index.get(key(new Uint8Array(buffer, 0, length)));
      if (n === 3) return undefined;
      const taken = structuredClone(buffer, { transfer: [buffer] }); // detached here, as by postMessage
      if (n === 1) return Promise.reject(new Error('worker died'));
      return Promise.resolve({ bytes: new Uint8Array(taken, 0, length), chunks: new Uint8Array([n]) });
    },
  };
  const reader = segmentReader(openSync(file, 'r'), { size, name: file, mtime: 0 }, /** @type {any} */ (workers));
  const got = [];
  const marks = [];
  for (;;) {
    const piece = await reader.read();
    if (piece === undefined) break;
    got.push(Buffer.from(piece.bytes)); // used before the next read, as the engine does
    marks.push(piece.chunks ? piece.chunks[0] : null);
    if (reader.ended) break;
  }
  assert.equal(reader.ended, true);
  assert.ok(Buffer.concat(got).equals(Buffer.from(data)), 'every byte, in order');
  assert.deepEqual(marks, [0, null, 2, null, 4, 5]);
});
