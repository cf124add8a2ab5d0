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
// Workloads (--workloads, comma-separated; default all):
//   upload-new     one file of --size-mib MiB of new random data
//   reupload       the same file again, to another path (already stored: dedup only)
//   small          --small files of 4 KiB in one call (one workload per count, e.g. 1000,10000:
//                  "1,000 × 4 KiB in one call", "10,000 × 4 KiB in one call")
//   download       the --size-mib file to a local file, stored by Python and by hf-buckets
// Options: --rounds 3  --size-mib 256  --small 1000  --peers ours,python,hubjs
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
const workloads = new Set(String(opts.workloads ?? 'upload-new,reupload,small,download').split(','));
const peers = String(opts.peers ?? 'ours,python,hubjs').split(',');

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

const results = new Map(); // workload → peer → [{ms, maxRssKiB, bytes}]
function record(workload, peer, r, bytes) {
  if (!results.has(workload)) results.set(workload, new Map());
  const byPeer = results.get(workload);
  if (!byPeer.has(peer)) byPeer.set(peer, []);
  byPeer.get(peer).push({ ...r, bytes, load: load() });
  const rate = bytes ? ` ${(bytes / MiB / (r.ms / 1000)).toFixed(1)} MiB/s` : '';
  console.error(`[peers] ${workload.padEnd(22)} ${peer.padEnd(6)} ${(r.ms / 1000).toFixed(2)} s${rate}  rss ${(r.maxRssKiB / 1024).toFixed(0)} MiB  load ${load()}`);
}

async function newBucket(hub, name) {
  const client = new BucketClient({ endpoint: hub.hub, accessToken: hub.token });
  const { bucketId } = await client.createBucket(`${name}-${Date.now().toString(36)}`);
  return bucketId;
}

console.log(`# peers bench — ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}`);
console.log(`# python: ${execFileSync(PEER_CMD.python[0], ['-c', 'from importlib.metadata import version as v; print("huggingface_hub", v("huggingface_hub"), "+ hf_xet", v("hf_xet"))']).toString().trim()}`);
console.log(`# local-hub: ${process.env.LOCAL_HUB_BIN ?? 'target/debug/local-hub'}; ${rounds} rounds, ${sizeMiB} MiB, load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

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
          }
        } finally {
          await hub.stop();
        }
      }
      for (const [n] of trees) rmSync(path.join(work, `small-${round}-${n}`), { recursive: true, force: true });
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
