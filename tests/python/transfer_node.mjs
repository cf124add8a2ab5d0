// Node side of tests/python/test_transfer_interop.py: uploads seeded files with hf-buckets, or
// downloads files and reports their SHA-256. Prints one JSON line.
//   node transfer_node.mjs upload   <hub> <token> <bucket> '[{"path":"a.bin","seed":1,"size":10}]'
//   node transfer_node.mjs download <hub> <token> <bucket> '["a.bin", …]'
import { createHash } from 'node:crypto';
import { BucketClient } from 'hf-buckets';
import { ByteGen } from '../js/helpers/transfer-data.mjs';

const [cmd, endpoint, accessToken, bucket, arg] = process.argv.slice(2);
const hub = new BucketClient({ endpoint, accessToken });
const items = JSON.parse(arg);
const out = {};
if (cmd === 'upload') {
  const add = items.map(({ path, seed, size }) => {
    const gen = new ByteGen(seed);
    let sent = 0;
    const h = createHash('sha256');
    out[path] = { size };
    const source = new ReadableStream({
      pull(c) {
        if (sent >= size) {
          out[path].sha256 = h.digest('hex');
          return c.close();
        }
        const piece = gen.next(Math.min(1 << 20, size - sent)).slice();
        h.update(piece);
        sent += piece.length;
        c.enqueue(piece);
      },
    });
    return { source, destination: path };
  });
  const r = await hub.batchBucketFiles(bucket, { add });
  if (!r.success) throw new Error(JSON.stringify(r));
  for (const f of r.upload.files) out[f.path].xetHash = f.xetHash;
  out.bytesSent = r.upload.bytesSent;
} else if (cmd === 'download') {
  for (const path of items) {
    const h = createHash('sha256');
    let size = 0;
    for await (const piece of await hub.openBucketFile(bucket, { path })) {
      h.update(piece);
      size += piece.length;
    }
    out[path] = { size, sha256: h.digest('hex') };
    // And one range through getBucketFile.
    if (size > 10) {
      const part = await hub.getBucketFile(bucket, { path, range: { start: 3, end: size - 3 } });
      out[path].rangeSha256 = createHash('sha256').update(part).digest('hex');
    }
  }
} else {
  throw new Error(`unknown command ${cmd}`);
}
console.log(JSON.stringify(out));
