// One benchmark operation with hf-buckets (the built package), in a fresh process.
// Run by benches/js/peers-bench.mjs; same arguments and output as benches/peers/peer.py.
import { readFileSync } from 'node:fs';
import { BucketClient, downloadBucketFile, syncBucket } from 'hf-buckets';

const [op, endpoint, bucket, filesJson] = process.argv.slice(2);
// FILES_JSON, or @path of a file holding it.
const files = JSON.parse(filesJson.startsWith('@') ? readFileSync(filesJson.slice(1), 'utf8') : filesJson);
const accessToken = process.env.HF_TOKEN;
const client = new BucketClient({ endpoint, accessToken });

const start = performance.now();
const cpuStart = process.cpuUsage();
let uploads;
if (op === 'upload') {
  const report = await client.batchBucketFiles(bucket, {
    add: files.map(([local, remote]) => ({ source: local, destination: remote })),
  });
  if (!report.success) throw new Error(`upload failed: ${JSON.stringify(report.failed).slice(0, 500)}`);
} else if (op === 'download') {
  for (const [remote, local] of files) await downloadBucketFile(bucket, { path: remote, to: local, client });
} else if (op === 'sync') {
  // FILES_JSON: [[localDir, "hf://buckets/ns/name/prefix"]]
  const [[source, destination]] = files;
  const report = await syncBucket({ source, destination, endpoint, accessToken });
  if (report.failed.length) throw new Error(`sync failed: ${JSON.stringify(report.failed.slice(0, 5))}`);
  uploads = report.uploaded;
} else {
  throw new Error(`unknown operation ${op}`);
}
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpuStart); // every thread of the process (compilers, GC, workers)
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(JSON.stringify({ ms, cpuMs, maxRssKiB: process.resourceUsage().maxRSS, uploads }));
