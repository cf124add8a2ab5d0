// Batches of many small files in one `batchBucketFiles` call, against local-hub (whose CAS is
// the official Xet server): the stored hashes equal the official client's (hf_xet from the
// interop venv) for the same files, small files share xorbs, files that start alike share one
// dedup query, and sources are read concurrently (bounded), not one after another.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BucketClient } from 'hf-buckets';
import { startLocalHub } from './helpers/local-hub.mjs';
import { bytes, sha256 } from './helpers/transfer-data.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PYTHON = path.join(REPO, '.venv', 'bin', 'python');

let local;
let hub;
let dir;

before(async () => {
  local = await startLocalHub();
  hub = new BucketClient({ endpoint: local.hub, accessToken: local.token });
  dir = await mkdtemp(path.join(tmpdir(), 'hf-many-'));
});

after(async () => {
  await local?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function newBucket(prefix) {
  const { bucketId } = await hub.createBucket(`${prefix}-${Math.random().toString(36).slice(2, 9)}`);
  return bucketId;
}

async function listing(bucket) {
  const files = new Map();
  for await (const e of hub.listBucketTree(bucket, { recursive: true })) {
    if (e.type === 'file') files.set(e.path, e);
  }
  return files;
}

/** The official client's Xet hashes of local files (hf_xet.hash_files), by path. */
function officialHashes(paths) {
  const script = 'import hf_xet, json, sys\nps = json.load(sys.stdin)\nprint(json.dumps([[i.hash, i.file_size] for i in hf_xet.hash_files(ps)]))';
  const out = execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(paths), maxBuffer: 64 << 20 });
  return JSON.parse(out.toString());
}

test('1,200 small files in one call: hashes equal the official client\'s, packed into shared xorbs', { skip: !existsSync(PYTHON) && 'no .venv' }, async () => {
  const bucket = await newBucket('many');
  const tree = await mkdtemp(path.join(dir, 'tree-'));
  const n = 1200;
  const local = [];
  const contents = [];
  for (let i = 0; i < n; i++) {
    let data;
    if (i % 100 === 7) data = new Uint8Array(0); // empty
    else if (i % 50 === 3) data = bytes(424242, 4096); // identical files
    else if (i % 97 === 5) data = bytes(1000 + i, 150_000); // a few multi-chunk files
    else data = bytes(1000 + i, 1 + ((i * 37) % 8192)); // 1 B … 8 KiB
    const file = path.join(tree, `d${i % 7}`, `f${i}.bin`);
    if (i < 7) await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
    local.push(file);
    contents.push(data);
  }
  const remote = local.map((_, i) => `many/${i % 7}/ü-${String(i).padStart(5, '0')}.bin`);
  const report = await hub.batchBucketFiles(bucket, {
    add: local.map((source, i) => ({ source, destination: remote[i] })),
  });
  assert.equal(report.success, true, JSON.stringify(report.failed));
  const up = report.upload;
  const total = contents.reduce((s, c) => s + c.length, 0);
  assert.equal(up.bytes, total);
  assert.equal(up.files.length, n);
  // ~2.7 MiB of new data: one or two xorbs, not one per file.
  assert.ok(up.xorbs >= 1 && up.xorbs <= 2, `xorbs: ${up.xorbs}`);
  // One query per distinct first chunk (the identical files share theirs; empty files ask nothing).
  const distinctFirst = new Set(contents.filter((c) => c.length).map((c) => sha256(c.subarray(0, 4096)))).size;
  assert.equal(up.dedupQueries, distinctFirst, `queries for ${distinctFirst} distinct starts`);

  const official = officialHashes(local);
  const listed = await listing(bucket);
  assert.equal(listed.size, n);
  for (let i = 0; i < n; i++) {
    const entry = listed.get(remote[i]);
    assert.ok(entry, `missing ${remote[i]}`);
    assert.equal(entry.size, contents[i].length, remote[i]);
    assert.equal(entry.size, official[i][1], remote[i]);
    assert.equal(entry.xetHash, official[i][0], `${remote[i]}: xet hash differs from hf_xet's`);
  }
  // Bytes back, for a sample of each kind.
  for (const i of [0, 3, 7, 53, 5, 102, n - 1]) {
    const got = await hub.getBucketFile(bucket, { path: remote[i] });
    assert.equal(sha256(got), sha256(contents[i]), remote[i]);
  }
});

test('sources of one call are read concurrently, at most a bounded number at once', async () => {
  const bucket = await newBucket('conc');
  const n = 240;
  const delayMs = 40;
  let active = 0;
  let maxActive = 0;
  // Each source waits before its bytes arrive (a slow disk or network): read one after another
  // this batch takes at least n × delay.
  const source = (i) => ({
    async *[Symbol.asyncIterator]() {
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        await new Promise((r) => setTimeout(r, delayMs));
        yield bytes(5000 + i, 2048);
      } finally {
        active--;
      }
    },
  });
  const start = performance.now();
  const report = await hub.batchBucketFiles(bucket, {
    add: Array.from({ length: n }, (_, i) => ({ source: source(i), destination: `c/${i}.bin` })),
  });
  const ms = performance.now() - start;
  assert.equal(report.success, true);
  assert.ok(maxActive >= 8, `at most ${maxActive} sources were read at once`);
  assert.ok(maxActive <= 64, `${maxActive} sources were read at once (unbounded)`);
  assert.ok(ms < (n * delayMs) / 4, `${ms.toFixed(0)} ms for ${n} sources of ${delayMs} ms each`);
  const listed = await listing(bucket);
  assert.equal(listed.size, n);
  for (const i of [0, 1, n - 1]) {
    const got = await hub.getBucketFile(bucket, { path: `c/${i}.bin` });
    assert.equal(sha256(got), sha256(bytes(5000 + i, 2048)));
  }
});
