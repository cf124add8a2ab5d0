// One benchmark operation with `@huggingface/hub` (pinned dev-dependency), in a fresh process.
// Run by benches/js/peers-bench.mjs; same arguments and output as benches/peers/peer.py.
import { createWriteStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { downloadFile, uploadFiles } from '@huggingface/hub';

const [op, hubUrl, bucket, filesJson] = process.argv.slice(2);
// FILES_JSON, or @path of a file holding it.
const files = JSON.parse(filesJson.startsWith('@') ? readFileSync(filesJson.slice(1), 'utf8') : filesJson);
const accessToken = process.env.HF_TOKEN;
const repo = `buckets/${bucket}`;

const start = performance.now();
const cpuStart = process.cpuUsage();
if (op === 'upload') {
  await uploadFiles({
    repo,
    hubUrl,
    accessToken,
    files: files.map(([local, remote]) => ({ path: remote, content: pathToFileURL(local) })),
  });
} else if (op === 'download') {
  for (const [remote, local] of files) {
    const blob = await downloadFile({ repo, path: remote, hubUrl, accessToken });
    if (!blob) throw new Error(`${remote}: not found`);
    await pipeline(Readable.fromWeb(blob.stream()), createWriteStream(local));
  }
} else if (op === 'sync') {
  // @huggingface/hub has no sync: its closest call is `uploadFiles` with the folder as a file:
  // URL, which walks the folder and uploads every file under the prefix (nothing is compared).
  const [[dir, destination]] = files;
  const prefix = destination.replace(/^hf:\/\/buckets\/[^/]+\/[^/]+\/?/, '');
  await uploadFiles({ repo, hubUrl, accessToken, files: [{ path: prefix, content: pathToFileURL(dir) }] });
} else {
  throw new Error(`unknown operation ${op}`);
}
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpuStart); // every thread of the process
console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKiB: process.resourceUsage().maxRSS }));
