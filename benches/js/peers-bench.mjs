// Side-by-side benchmark (not a test), run by `npm run bench` (scripts/bench.sh): hf-buckets
// against the official Python client (huggingface_hub + hf_xet, native, from .venv) and
// `@huggingface/hub` (pinned dev-dependency), on the same machine, against local-hub.
//
// Every operation runs in a fresh process (benches/peers/{ours.mjs,peer.py,hubjs.mjs}) that
// times only the operation and reports its peak RSS. Rounds interleave the clients (the order
// rotates each round). Uploads of new data get a fresh local-hub per client and round, since the
// CAS deduplicates across buckets; the downloads share one hub where each object was stored once
// by the Python client (its 64 MiB xorbs) and once by hf-buckets.
//
// local-hub is $LOCAL_HUB_BIN, else the release build under $CARGO_TARGET_DIR (or target/):
// `cargo build --release -p local-hub` first (scripts/bench.sh does).
//
// Workloads (--workloads, comma-separated; default all but sync-rss):
//   upload-new     one file of --size-mib MiB of new random data
//   reupload       the same file again, to another path (already stored: dedup only)
//   small          --small files of 4 KiB in one call (one workload per count, e.g. 1000,10000:
//                  "1,000 × 4 KiB in one call", "10,000 × 4 KiB in one call")
//   small-again    those files again, to other paths, in a new process with the same HF_HOME (what
//                  the clients' local shard caches save; implies small)
//   download       the --size-mib file to a local file, stored by Python and by hf-buckets
//   sync-up        a generated tree of --sync-files files (default 10,000; nested folders, 1–16 KiB
//                  each) uploaded to an empty bucket prefix by `syncBucket` / `HfApi.sync_bucket`
//                  (@huggingface/hub has no sync: its `uploadFiles` of the folder URL is timed, and
//                  the section title says so), then the same sync again with nothing to do (planning
//                  cost: a walk, a listing and a comparison; hub.js has no such case)
//   sync-down      a tree of --sync-down-files files (default 2,000; 1–16 KiB each) uploaded once by
//                  hf-buckets, then synced down into an empty folder by `syncBucket` /
//                  `HfApi.sync_bucket` (@huggingface/hub has no sync or folder download: not run)
//   sync-rss       a tree of --rss-files files (default 100,000; 64 B–1 KiB each, generated once and
//                  removed at the end) synced by hf-buckets and Python: time and peak RSS. Takes
//                  minutes, so scripts/bench.sh runs it only with PEERS_BENCH_SYNC_RSS=1.
// Options: --rounds 3  --size-mib 256  --small 1000  --peers ours,python,hubjs  --workloads …
//          --sync-files 10000  --sync-down-files 2000  --rss-files 100000
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BucketClient } from 'hf-buckets';
import { startLocalHub } from '../../tests/js/helpers/local-hub.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MiB = 1024 * 1024;
const opts = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1]]] : [])),
);
const rounds = Number(opts.rounds ?? 3);
const sizeMiB = Number(opts['size-mib'] ?? 256);
const smallCounts = String(opts.small ?? '1000').split(',').map(Number);
const workloads = new Set(String(opts.workloads ?? 'upload-new,reupload,small,small-again,download,sync-up').split(','));
// `small-again` needs `small`'s files.
if (workloads.has('small-again')) workloads.add('small');
const peers = String(opts.peers ?? 'ours,python,hubjs').split(',');
const syncFiles = Number(opts['sync-files'] ?? 10000);
const rssFiles = Number(opts['rss-files'] ?? 100000);
const syncDownFiles = Number(opts['sync-down-files'] ?? 2000);
/** Bucket prefix the sync workloads write under. */
const SYNC_PREFIX = 'tree';

// A release local-hub: a debug one is slow enough to be what the many-file workloads measure.
process.env.LOCAL_HUB_BIN ??= path.join(process.env.CARGO_TARGET_DIR ?? path.join(REPO, 'target'), 'release', 'local-hub');
const hubBuild = /[\\/]debug[\\/]/.test(process.env.LOCAL_HUB_BIN) ? 'DEBUG build: slow server, numbers not comparable' : 'release build';

const PEER_CMD = {
  ours: [process.execPath, path.join(REPO, 'benches/peers/ours.mjs')],
  python: [path.join(REPO, '.venv/bin/python'), path.join(REPO, 'benches/peers/peer.py')],
  hubjs: [process.execPath, path.join(REPO, 'benches/peers/hubjs.mjs')],
};
const PEER_NAME = { ours: 'hf-buckets', python: 'Python (hf_xet)', hubjs: '@huggingface/hub' };

const load = () => loadavg()[0].toFixed(2);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const work = mkdtempSync(path.join(tmpdir(), 'hfb-peers-'));

/** Runs one operation of one peer in a fresh process; resolves to {ms, maxRssKiB}. */
function runPeer(peer, op, hub, bucket, files, env) {
  const [cmd, script] = PEER_CMD[peer];
  // The file list goes through a file: 10,000 paths exceed what one argument may hold.
  const list = path.join(work, `files-${process.hrtime.bigint()}.json`);
  writeFileSync(list, JSON.stringify(files));
  const child = spawn(cmd, [script, op, hub.hub, bucket, `@${list}`], {
    env: { ...process.env, HF_TOKEN: hub.token, HF_HUB_DISABLE_PROGRESS_BARS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      rmSync(list, { force: true });
      if (code !== 0) return reject(new Error(`${peer} ${op} exited with ${code}:\n${err}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)));
    }),
  );
}

/** Writes `bytes` of fresh random data to `file`, 8 MiB at a time. */
function randomFile(file, bytes) {
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(Math.min(8 * MiB, Math.max(bytes, 1)));
  for (let left = bytes; left > 0; left -= buf.length) writeSync(fd, randomFillSync(buf), 0, Math.min(buf.length, left));
  closeSync(fd);
}

function smallTree(dir, count) {
  mkdirSync(dir, { recursive: true });
  const files = [];
  for (let i = 0; i < count; i++) {
    const local = path.join(dir, `f${i}.bin`);
    writeFileSync(local, randomFillSync(Buffer.alloc(4096)));
    files.push([local, `small/${String(i).padStart(6, '0')}.bin`]);
  }
  return files;
}

/** A small deterministic generator (mulberry32), so every run draws the same file sizes. */
function sizes(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Writes `count` files of fresh random bytes, `minBytes`–`maxBytes` each, in nested folders
 * (`p3/q7/f123.bin`, every 7th file one level deeper): returns the total size in bytes.
 */
function syncTree(dir, count, minBytes, maxBytes) {
  const next = sizes(count);
  const made = new Set();
  let total = 0;
  for (let i = 0; i < count; i++) {
    let folder = path.join(dir, `p${i % 10}`, `q${Math.floor(i / 10) % 10}`);
    if (i % 7 === 0) folder = path.join(folder, `r${i % 3}`);
    if (!made.has(folder)) {
      mkdirSync(folder, { recursive: true });
      made.add(folder);
    }
    const size = minBytes + Math.floor(next() * (maxBytes - minBytes + 1));
    writeFileSync(path.join(folder, `f${i}.bin`), randomFillSync(Buffer.allocUnsafe(size)));
    total += size;
  }
  return total;
}

/** Files under `prefix/` in the bucket (a check that a sync stored the whole tree). */
async function countFiles(hub, bucket, prefix) {
  const client = new BucketClient({ endpoint: hub.hub, accessToken: hub.token });
  let n = 0;
  for await (const e of client.listBucketTree(bucket, { prefix, recursive: true })) if (e.type === 'file') n++;
  return n;
}

const results = new Map(); // workload → peer → [{ms, maxRssKiB, bytes}]
function record(workload, peer, r, bytes) {
  if (!results.has(workload)) results.set(workload, new Map());
  const byPeer = results.get(workload);
  if (!byPeer.has(peer)) byPeer.set(peer, []);
  byPeer.get(peer).push({ ...r, bytes, load: load() });
  const rate = bytes ? ` ${(bytes / MiB / (r.ms / 1000)).toFixed(1)} MiB/s` : '';
  console.error(`[peers] ${workload.slice(0, 40).padEnd(40)} ${peer.padEnd(6)} ${(r.ms / 1000).toFixed(2)} s${rate}${r.cpuMs === undefined ? '' : `  cpu ${(r.cpuMs / 1000).toFixed(2)} s`}  rss ${(r.maxRssKiB / 1024).toFixed(0)} MiB  load ${load()}`);
}

async function newBucket(hub, name) {
  const client = new BucketClient({ endpoint: hub.hub, accessToken: hub.token });
  const { bucketId } = await client.createBucket(`${name}-${Date.now().toString(36)}`);
  return bucketId;
}

console.log(`# peers bench — ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}`);
console.log(`# python: ${execFileSync(PEER_CMD.python[0], ['-c', 'from importlib.metadata import version as v; print("huggingface_hub", v("huggingface_hub"), "+ hf_xet", v("hf_xet"))']).toString().trim()}`);
console.log(`# local-hub: ${process.env.LOCAL_HUB_BIN} (${hubBuild}); ${rounds} rounds, ${sizeMiB} MiB, load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

try {
  const big = path.join(work, 'big.bin');
  for (let round = 0; round < rounds; round++) {
    const order = peers.map((_, i) => peers[(i + round) % peers.length]);
    // Uploads: a fresh local-hub per client and round (and a fresh Python cache dir).
    if (workloads.has('upload-new') || workloads.has('reupload') || workloads.has('small')) {
      randomFile(big, sizeMiB * MiB);
      const trees = workloads.has('small') ? smallCounts.map((n) => [n, smallTree(path.join(work, `small-${round}-${n}`), n)]) : [];
      for (const peer of order) {
        const hub = await startLocalHub();
        const env = { HF_HOME: mkdtempSync(path.join(work, 'hf-home-')) };
        try {
          const bucket = await newBucket(hub, 'peers');
          if (workloads.has('upload-new') || workloads.has('reupload')) {
            const r = await runPeer(peer, 'upload', hub, bucket, [[big, 'big.bin']], env);
            if (workloads.has('upload-new')) record(`upload ${sizeMiB} MiB new`, peer, r, sizeMiB * MiB);
            if (workloads.has('reupload')) {
              const again = await runPeer(peer, 'upload', hub, bucket, [[big, 'big-again.bin']], env);
              record(`re-upload ${sizeMiB} MiB stored`, peer, again, sizeMiB * MiB);
            }
          }
          for (const [n, files] of trees) {
            const r = await runPeer(peer, 'upload', hub, bucket, files, env);
            record(`${n.toLocaleString('en-US')} × 4 KiB in one call`, peer, r, 0);
            if (workloads.has('small-again')) {
              // The same files to other paths, in a new process of the same machine (the same
              // HF_HOME: the clients' local shard caches may answer the dedup queries).
              const again = await runPeer(peer, 'upload', hub, bucket, files.map(([local, remote]) => [local, `again/${remote}`]), env);
              record(`${n.toLocaleString('en-US')} × 4 KiB stored, uploaded again`, peer, again, 0);
            }
          }
        } finally {
          await hub.stop();
        }
      }
      for (const [n] of trees) rmSync(path.join(work, `small-${round}-${n}`), { recursive: true, force: true });
    }
  }
  if (workloads.has('sync-up')) {
    const tree = path.join(work, 'sync-tree');
    const bytes = syncTree(tree, syncFiles, 1024, 16 * 1024);
    const n = syncFiles.toLocaleString('en-US');
    const title = `sync-up: ${n} files (1–16 KiB, ${(bytes / MiB).toFixed(0)} MiB) to an empty prefix (hub.js: uploadFiles of the folder, no sync)`;
    const noop = `sync-up: ${n} files again, nothing to do (planning only)`;
    for (let round = 0; round < rounds; round++) {
      const order = peers.map((_, i) => peers[(i + round) % peers.length]);
      for (const peer of order) {
        const hub = await startLocalHub();
        const env = { HF_HOME: mkdtempSync(path.join(work, 'hf-home-')) };
        try {
          const bucket = await newBucket(hub, 'sync');
          const target = [[tree, `hf://buckets/${bucket}/${SYNC_PREFIX}`]];
          const r = await runPeer(peer, 'sync', hub, bucket, target, env);
          const stored = await countFiles(hub, bucket, SYNC_PREFIX);
          if (stored !== syncFiles) throw new Error(`${peer} sync stored ${stored} of ${syncFiles} files`);
          record(title, peer, r, 0);
          if (peer === 'hubjs') continue;
          const again = await runPeer(peer, 'sync', hub, bucket, target, env);
          if (again.uploads !== 0) throw new Error(`${peer}: the second sync uploaded ${again.uploads} files`);
          record(noop, peer, again, 0);
        } finally {
          await hub.stop();
        }
      }
    }
    rmSync(tree, { recursive: true, force: true });
  }
  if (workloads.has('sync-down')) {
    const hub = await startLocalHub();
    const tree = path.join(work, 'sync-down-tree');
    try {
      const bytes = syncTree(tree, syncDownFiles, 1024, 16 * 1024);
      const bucket = await newBucket(hub, 'sync-down');
      const remote = `hf://buckets/${bucket}/${SYNC_PREFIX}`;
      await runPeer('ours', 'sync', hub, bucket, [[tree, remote]], {});
      rmSync(tree, { recursive: true, force: true });
      const title = `sync-down: ${syncDownFiles.toLocaleString('en-US')} files (1–16 KiB, ${(bytes / MiB).toFixed(0)} MiB) into an empty folder (hub.js: no sync)`;
      const downPeers = peers.filter((p) => p !== 'hubjs');
      for (let round = 0; round < rounds; round++) {
        for (const peer of downPeers.map((_, i) => downPeers[(i + round) % downPeers.length])) {
          const local = mkdtempSync(path.join(work, `down-${peer}-`));
          const r = await runPeer(peer, 'sync', hub, bucket, [[remote, local]], { HF_HOME: mkdtempSync(path.join(work, 'hf-home-')) });
          const got = execFileSync('find', [local, '-type', 'f'], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
          if (got !== syncDownFiles) throw new Error(`${peer} synced down ${got} of ${syncDownFiles} files`);
          rmSync(local, { recursive: true, force: true });
          record(title, peer, r, 0);
        }
      }
    } finally {
      rmSync(tree, { recursive: true, force: true });
      await hub.stop();
    }
  }
  if (workloads.has('sync-rss')) {
    const tree = path.join(work, 'rss-tree');
    const started = performance.now();
    const bytes = syncTree(tree, rssFiles, 64, 1024);
    console.error(`[peers] sync-rss: ${rssFiles} files, ${(bytes / MiB).toFixed(1)} MiB generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const title = `sync-rss: ${rssFiles.toLocaleString('en-US')} files (64 B–1 KiB, ${(bytes / MiB).toFixed(0)} MiB) to an empty prefix`;
    const rssPeers = peers.filter((p) => p !== 'hubjs');
    try {
      for (let round = 0; round < rounds; round++) {
        const order = rssPeers.map((_, i) => rssPeers[(i + round) % rssPeers.length]);
        for (const peer of order) {
          const hub = await startLocalHub();
          try {
            const bucket = await newBucket(hub, 'rss');
            const target = [[tree, `hf://buckets/${bucket}/${SYNC_PREFIX}`]];
            const r = await runPeer(peer, 'sync', hub, bucket, target, { HF_HOME: mkdtempSync(path.join(work, 'hf-home-')) });
            if (r.uploads !== rssFiles) throw new Error(`${peer} sync uploaded ${r.uploads} of ${rssFiles} files`);
            record(title, peer, r, 0);
          } finally {
            await hub.stop();
          }
        }
      }
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  }
  if (workloads.has('download')) {
    const hub = await startLocalHub();
    try {
      const bucket = await newBucket(hub, 'peers-dl');
      randomFile(big, sizeMiB * MiB);
      await runPeer('python', 'upload', hub, bucket, [[big, 'by-python.bin']], {});
      randomFile(big, sizeMiB * MiB);
      await runPeer('ours', 'upload', hub, bucket, [[big, 'by-ours.bin']], {});
      rmSync(big);
      for (let round = 0; round < rounds; round++) {
        const order = peers.map((_, i) => peers[(i + round) % peers.length]);
        for (const [remote, label] of [['by-python.bin', 'stored by Python (hf_xet xorbs)'], ['by-ours.bin', 'stored by hf-buckets']]) {
          for (const peer of order) {
            const local = path.join(work, `dl-${peer}.bin`);
            const r = await runPeer(peer, 'download', hub, bucket, [[remote, local]], { HF_HOME: mkdtempSync(path.join(work, 'hf-home-')) });
            if (statSync(local).size !== sizeMiB * MiB) throw new Error(`${peer} downloaded ${statSync(local).size} bytes`);
            rmSync(local);
            record(`download ${sizeMiB} MiB ${label}`, peer, r, sizeMiB * MiB);
          }
        }
      }
    } finally {
      await hub.stop();
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(`\n| workload | ${peers.map((p) => PEER_NAME[p]).join(' | ')} | ours ÷ Python | ours ÷ hub.js |`);
console.log(`|---|${peers.map(() => '---:').join('|')}|---:|---:|`);
for (const [workload, byPeer] of results) {
  const cell = (peer) => {
    const xs = byPeer.get(peer);
    if (!xs) return { text: '—' };
    const ms = median(xs.map((x) => x.ms));
    const rss = Math.max(...xs.map((x) => x.maxRssKiB)) / 1024;
    const bytes = xs[0].bytes;
    const text = bytes ? `${(bytes / MiB / (ms / 1000)).toFixed(1)} MiB/s` : `${(ms / 1000).toFixed(2)} s`;
    return { ms, text: `${text} (${rss.toFixed(0)} MiB RSS)` };
  };
  const cells = Object.fromEntries(peers.map((p) => [p, cell(p)]));
  const ratio = (other) => (cells.ours?.ms && cells[other]?.ms ? `${(cells[other].ms / cells.ours.ms).toFixed(2)}×` : '—');
  console.log(`| ${workload} | ${peers.map((p) => cells[p].text).join(' | ')} | ${ratio('python')} | ${ratio('hubjs')} |`);
}
console.log(`\nmedian of ${rounds} rounds; ratios are speed ratios (time of the peer ÷ time of hf-buckets; > 1 means hf-buckets is faster); peak RSS is the largest of the rounds; load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
