// Transfer benchmark (not a test), run by `npm run bench` (scripts/bench.sh):
//  1. peak RSS of a fresh Node process uploading a generated stream of 512 MiB and of 2 GiB
//     (the kernel's high-water mark, VmHWM, read at the end of the child process);
//  2. upload MiB/s for new data and for fully deduplicated data, and download MiB/s,
//     against local-hub, with the machine's load average before and after.
// Options: --rss-sizes-mib 512,2048  --size-mib 256  --runs 3
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BucketClient } from 'hf-buckets';
import { startLocalHub } from '../../tests/js/helpers/local-hub.mjs';
import { ByteGen, MiB, byteStream } from '../../tests/js/helpers/transfer-data.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);

// ---------------------------------------------------------------- child: one upload, report RSS
if (args.child) {
  const { hub: endpoint, token, bucket } = JSON.parse(args.child);
  const size = Number(args.bytes);
  const client = new BucketClient({ endpoint, accessToken: token });
  let maxRss = 0;
  const timer = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage().rss)), 50);
  const gen = new ByteGen(Number(args.seed ?? 1));
  let sent = 0;
  const source = new ReadableStream({
    pull(c) {
      if (sent >= size) return c.close();
      const n = Math.min(MiB, size - sent);
      sent += n;
      c.enqueue(gen.next(n));
    },
  });
  const t0 = Date.now();
  const r = await client.uploadBucketFile(bucket, { source, destination: `rss-${size}.bin` });
  clearInterval(timer);
  const status = readFileSync('/proc/self/status', 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  console.log(JSON.stringify({ size, hwm, maxRss, ms: Date.now() - t0, xorbs: r.upload.xorbs, bytesSent: r.upload.bytesSent }));
  process.exit(0);
}

// ---------------------------------------------------------------- parent
const mib = (b) => (b / MiB).toFixed(0);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const local = await startLocalHub();
try {
  const hub = new BucketClient({ endpoint: local.hub, accessToken: local.token });
  const { bucketId } = await hub.createBucket(`bench-${Date.now().toString(36)}`);
  console.log(`# transfer bench — ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}`);
  console.log(`# local-hub: ${process.env.LOCAL_HUB_BIN ?? 'target/debug/local-hub'} (a debug build unless LOCAL_HUB_BIN says otherwise)`);
  console.log(`# load average at start: ${load()}`);

  // 1. Peak RSS of an upload, per size.
  const sizes = (args['rss-sizes-mib'] ?? '512,2048').split(',').map(Number);
  console.log('\n## peak RSS of a Node process uploading a generated stream\n');
  console.log('| size | peak RSS (VmHWM) | upload MiB/s | xorbs | load avg |');
  console.log('|---:|---:|---:|---:|---|');
  for (const [i, s] of sizes.entries()) {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify({ hub: local.hub, token: local.token, bucket: bucketId }), '--bytes', String(s * MiB), '--seed', String(100 + i)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise((r) => child.on('exit', r));
    if (code !== 0) throw new Error(`child for ${s} MiB exited with ${code}`);
    const r = JSON.parse(out.trim().split('\n').at(-1));
    console.log(`| ${s} MiB | ${(r.hwm / 1e6).toFixed(0)} MB (${mib(r.hwm)} MiB) | ${(s / (r.ms / 1000)).toFixed(1)} | ${r.xorbs} | ${load()} |`);
  }

  // 2. Throughput.
  const size = Number(args['size-mib'] ?? 256) * MiB;
  const runs = Number(args.runs ?? 3);
  const rows = { 'upload, new data': [], 'upload, fully deduplicated': [], 'download (stream, verified)': [] };
  for (let run = 0; run < runs; run++) {
    const seed = 1000 + run;
    let t = Date.now();
    await hub.uploadBucketFile(bucketId, { source: byteStream(seed, size), destination: `new-${run}.bin` });
    rows['upload, new data'].push(size / MiB / ((Date.now() - t) / 1000));
    t = Date.now();
    const again = await hub.uploadBucketFile(bucketId, { source: byteStream(seed, size), destination: `dup-${run}.bin` });
    rows['upload, fully deduplicated'].push(size / MiB / ((Date.now() - t) / 1000));
    if (again.upload.bytesSent > size / 100) throw new Error(`dedup run sent ${again.upload.bytesSent} bytes`);
    t = Date.now();
    let got = 0;
    for await (const piece of await hub.openBucketFile(bucketId, { path: `new-${run}.bin` })) got += piece.length;
    if (got !== size) throw new Error(`downloaded ${got} bytes`);
    rows['download (stream, verified)'].push(size / MiB / ((Date.now() - t) / 1000));
  }
  console.log(`\n## throughput against local-hub (${mib(size)} MiB of random data, median of ${runs})\n`);
  console.log('| transfer | MiB/s (median) | runs |');
  console.log('|---|---:|---|');
  for (const [name, xs] of Object.entries(rows)) {
    console.log(`| ${name} | ${median(xs).toFixed(1)} | ${xs.map((x) => x.toFixed(1)).join(', ')} |`);
  }
  console.log(`\n# load average at end: ${load()}`);
} finally {
  await local.stop();
}
