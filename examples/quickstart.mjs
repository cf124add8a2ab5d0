// hf-buckets quickstart: create a bucket, upload files, list them, download one and verify it.
//
//   HF_ENDPOINT=https://huggingface.co HF_TOKEN=hf_… node examples/quickstart.mjs [bucket-name]
//
// `npm start` runs it against local-hub; with HF_ENDPOINT/HF_TOKEN of your own it runs unchanged
// against the real Hub (it creates or reuses the bucket `<you>/hf-buckets-quickstart`, and leaves it;
// pass --delete to remove it at the end).
import { createHash, randomBytes } from 'node:crypto';
import { BucketClient } from 'hf-buckets';

const args = process.argv.slice(2);
const deleteAfter = args.includes('--delete');
const name = args.find((a) => !a.startsWith('--')) ?? 'hf-buckets-quickstart';
const endpoint = process.env.HF_ENDPOINT ?? 'https://huggingface.co';
const accessToken = process.env.HF_TOKEN;
if (!accessToken) {
  console.error('Set HF_TOKEN (a write token) and, for anything but huggingface.co, HF_ENDPOINT.');
  process.exit(2);
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const mib = (n) => `${(n / 2 ** 20).toFixed(2)} MiB`;
const client = new BucketClient({ endpoint, accessToken });

// 1. A bucket under the token's user (a bare name means "mine"); existOk makes the example re-runnable.
const { bucketId, handle } = await client.createBucket(name, { existOk: true });
console.log(`bucket     ${bucketId}  (${handle})`);

// 2. Upload three files in one batch: random bytes, text, and a copy of the random bytes under another
//    name, which the engine deduplicates (its bytes are never sent twice).
const weights = randomBytes(6 * 2 ** 20 + 12345);
const files = [
  { destination: 'checkpoints/step-1/weights.bin', source: weights },
  { destination: 'checkpoints/step-1/config.json', source: new TextEncoder().encode('{"lr": 0.001}\n') },
  { destination: 'checkpoints/latest/weights.bin', source: weights },
];
let lastLine = 0;
const report = await client.batchBucketFiles(bucketId, {
  add: files,
  onProgress: (event) => {
    const now = Date.now();
    if (now - lastLine < 500) return;
    lastLine = now;
    console.log(`  progress  read ${mib(event.bytesRead)}, deduplicated ${mib(event.bytesDeduplicated)}, uploaded ${mib(event.bytesUploaded)}`);
  },
});
const { upload } = report;
for (const file of upload.files) {
  console.log(`uploaded   ${file.path}  ${file.size} bytes  xet ${file.xetHash.slice(0, 12)}…  new ${file.newBytes}, deduplicated ${file.dedupBytes}`);
}
console.log(`totals     read ${mib(upload.bytes)}: new ${mib(upload.newBytes)}, deduplicated ${mib(upload.dedupBytes)}; sent ${mib(upload.bytesSent)} in ${upload.xorbs} xorb(s)`);

// 3. List the bucket: an async iterable, pages fetched as you go.
console.log('listing');
for await (const entry of client.listBucketTree(bucketId, { recursive: true })) {
  console.log(`  ${entry.type === 'file' ? String(entry.size).padStart(10) : '       dir'}  ${entry.path}`);
}

// 4. Download one file (every chunk is verified against its hash on the way) and compare SHA-256.
const downloaded = await client.getBucketFile(bucketId, { path: 'checkpoints/latest/weights.bin' });
const ok = sha256(downloaded) === sha256(weights);
console.log(`download   checkpoints/latest/weights.bin  ${downloaded.byteLength} bytes  sha256 ${sha256(downloaded).slice(0, 16)}…  ${ok ? 'verified' : 'MISMATCH'}`);

// 5. Bucket info.
const info = await client.bucketInfo(bucketId);
console.log(`info       ${info.totalFiles} files, ${info.size} bytes, ${info.private ? 'private' : 'public'}`);

if (deleteAfter) {
  await client.deleteBucket(bucketId);
  console.log(`deleted    ${bucketId}`);
}
if (!ok) process.exit(1);
console.log('quickstart ok');
