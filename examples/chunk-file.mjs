#!/usr/bin/env node
// Chunks and hashes a file with `hf-buckets/xet`, streaming it (memory stays bounded by the
// read buffer plus one small record per chunk), and prints the chunk count, the dedup ratio
// within the file and the file's Xet hash.
//
//   node examples/chunk-file.mjs [FILE]
//
// Without FILE, chunks a generated 48 MiB sample that repeats some of its content, so the
// dedup ratio shows.
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Chunker, fileHashFromChunks } from 'hf-buckets/xet';

const READ_BYTES = 4 << 20;

/** A 48 MiB sample: 16 MiB of pseudo-random bytes, 16 MiB of text, then the first 16 MiB again. */
function sample() {
  const block = 1 << 20;
  let state = 0x9e3779b9;
  const random = [];
  for (let i = 0; i < 16; i++) {
    const words = new Uint32Array(block / 4);
    for (let j = 0; j < words.length; j++) {
      state ^= state << 13; state ^= state >>> 17; state ^= state << 5; // xorshift32
      words[j] = state >>> 0;
    }
    random.push(new Uint8Array(words.buffer));
  }
  const text = [];
  let line = 0;
  for (let i = 0; i < 16; i++) {
    const out = Buffer.allocUnsafe(block);
    let at = 0;
    while (at < block) {
      at += out.write(`line ${line}: the quick brown fox ${line * line}\n`, at, 'latin1'); // truncates at the block end
      line++;
    }
    text.push(new Uint8Array(out.buffer, out.byteOffset, block));
  }
  return [...random, ...text, ...random];
}

const path = process.argv[2];
let source;
let label;
if (path) {
  const size = statSync(path).size;
  source = createReadStream(path, { highWaterMark: READ_BYTES });
  label = `${path} (${size.toLocaleString('en-US')} bytes)`;
} else {
  source = Readable.from(sample()); // generated before the clock starts
  label = 'generated sample (48 MiB: 16 MiB random, 16 MiB text, the random 16 MiB again)';
}

const started = performance.now();
const chunker = new Chunker();
const chunks = []; // { hash, length } per chunk, for the file hash
const distinct = new Map(); // hash → length
let bytes = 0;
try {
  const take = (list) => {
    for (const { hash, length } of list) {
      chunks.push({ hash, length });
      distinct.set(hash, length);
    }
  };
  for await (const piece of source) {
    bytes += piece.length;
    take(chunker.push(piece));
  }
  take(chunker.finish());
} finally {
  chunker.free();
}
const fileHash = fileHashFromChunks(chunks);
const seconds = (performance.now() - started) / 1000;
let distinctBytes = 0;
for (const length of distinct.values()) distinctBytes += length;

const ratio = distinctBytes === 0 ? 1 : bytes / distinctBytes;
console.log(`file:          ${label}`);
console.log(`chunks:        ${chunks.length} (${distinct.size} distinct)`);
console.log(`dedup ratio:   ${ratio.toFixed(3)}× (${bytes.toLocaleString('en-US')} bytes, ${distinctBytes.toLocaleString('en-US')} in distinct chunks)`);
console.log(`xet file hash: ${fileHash}`);
console.log(`time:          ${seconds.toFixed(2)} s (${(bytes / 2 ** 20 / seconds).toFixed(0)} MiB/s, read + chunk + hash)`);
