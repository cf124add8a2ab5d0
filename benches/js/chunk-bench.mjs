// `npm run bench` (via scripts/bench.sh): chunk + chunk hashes + file hash throughput, in ONE
// Node process, of
//   - ours:      the built package, `hf-buckets/xet` (dist/xet), Chunker + fileHashFromChunks;
//   - ours2w:    the same with 2 workers: ParallelChunker({ workers: 2 }) (worker_threads, no
//                SharedArrayBuffer; the main thread copies segments and stitches) + fileHashFromChunks;
//   - official:  xet-data 1.8.0 `Chunker` + xet-core-structures `file_hash`, compiled to wasm
//                (benches/official-wasm, bench-only, BLAKE3 `wasm32_simd` enabled as in ours);
//   - xetchunk:  the npm package @huggingface/xetchunk-wasm (older boundary rule);
//   - native:    our core built for the host (benches/native_chunk.rs), read from --native FILE.
// over SIZE MiB of random and of compressible text data, fed in the same 1–8 MiB slices, median
// of 5 runs after a warm-up (engines interleaved run by run, so load drift hits all alike).
// Also checks the engines agree, and how xetchunk-wasm fares on the shared vectors.
// This is a report, not a test: it never fails on speed.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Chunker, ParallelChunker, fileHashFromChunks } from 'hf-buckets/xet';
import { createChunker, finalize, fileHash as xcFileHash, hashToHex, nextBlock } from '@huggingface/xetchunk-wasm';
import { generate, loadVectors } from '../../tests/js/helpers/vectors.mjs';
import { randomBytes, textBytes } from '../../tests/js/helpers/transfer-data.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const SIZE_MIB = Number(args['size-mib'] ?? 256);
const RUNS = Number(args.runs ?? 5);
const OFFICIAL = new URL(args.official ?? '../official-wasm/pkg/', import.meta.url);
/** Slice sizes fed in turn (cycled); same as benches/native_chunk.rs. */
const SLICES = [1 << 20, (3 << 20) + 17, 8 << 20, (2 << 20) - 3, 5 << 20];

const { initSync, OfficialFileHasher, WasmData, oursScan, officialScan, oursChunkHash, officialChunkHash, blake3Only, scanPrototype } =
  await import(new URL('official_xet_bench.js', OFFICIAL));
initSync({ module: readFileSync(new URL('official_xet_bench_bg.wasm', OFFICIAL)) });

function slices(data) {
  const out = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.min(SLICES[i % SLICES.length], data.length - at);
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** Workers of the `ours2w` engine, started once (their start-up is not part of a run). */
const parallel = new ParallelChunker({ workers: 2 });

/** Each engine: bytes slices → { chunks, hash } (chunk count, file hash in xet hex), or a promise of it. */
const ENGINES = {
  ours(parts) {
    const chunker = new Chunker();
    const chunks = [];
    try {
      for (const p of parts) for (const c of chunker.push(p)) chunks.push(c);
      for (const c of chunker.finish()) chunks.push(c);
    } finally {
      chunker.free();
    }
    return { chunks: chunks.length, hash: fileHashFromChunks(chunks) };
  },
  async ours2w(parts) {
    const chunks = [];
    for (const p of parts) for (const c of await parallel.push(p)) chunks.push(c);
    for (const c of await parallel.finish()) chunks.push(c);
    return { chunks: chunks.length, hash: fileHashFromChunks(chunks) };
  },
  official(parts) {
    const hasher = new OfficialFileHasher();
    try {
      for (const p of parts) hasher.push(p);
      const hash = hasher.finish();
      return { chunks: hasher.chunkCount, hash };
    } finally {
      hasher.free();
    }
  },
  xetchunk(parts) {
    const chunker = createChunker();
    const chunks = [];
    for (const p of parts) for (const c of nextBlock(chunker, p)) chunks.push(c);
    const last = finalize(chunker);
    if (last) chunks.push(last);
    return { chunks: chunks.length, hash: hashToHex(xcFileHash(chunks)) };
  },
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => (x === undefined ? '—' : x.toFixed(0).padStart(6));

async function bench(name, data) {
  const parts = slices(data);
  const rates = Object.fromEntries(Object.keys(ENGINES).map((e) => [e, []]));
  const results = {};
  for (let run = 0; run <= RUNS; run++) {
    for (const [engine, fn] of Object.entries(ENGINES)) {
      const t = process.hrtime.bigint();
      const r = await fn(parts);
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      if (run > 0) rates[engine].push(data.length / 2 ** 20 / seconds); // run 0 is the warm-up
      results[engine] = r;
    }
  }
  return { name, rates, results, profile: profile(data) };
}

/** Where the time goes, inside wasm with the data already in wasm memory (no JS objects). */
function profile(data) {
  const wasmData = new WasmData(data);
  const steps = {
    'scan ours': () => oursScan(wasmData),
    'scan official': () => officialScan(wasmData),
    'scan proto 1': () => scanPrototype(wasmData, 1),
    'scan proto 8': () => scanPrototype(wasmData, 8),
    'BLAKE3 alone': () => blake3Only(wasmData),
    'chunk+hash ours': () => oursChunkHash(wasmData, 4 << 20),
    'chunk+hash official': () => officialChunkHash(wasmData, 4 << 20),
  };
  const rates = Object.fromEntries(Object.keys(steps).map((k) => [k, []]));
  const counts = {};
  try {
    for (let run = 0; run <= RUNS; run++) {
      for (const [k, fn] of Object.entries(steps)) {
        const t = process.hrtime.bigint();
        counts[k] = fn();
        const seconds = Number(process.hrtime.bigint() - t) / 1e9;
        if (run > 0) rates[k].push(data.length / 2 ** 20 / seconds);
      }
    }
  } finally {
    wasmData.free();
  }
  const scans = ['scan ours', 'scan official', 'scan proto 1', 'scan proto 8'].map((k) => counts[k]);
  if (new Set(scans).size !== 1) console.log(`!! scan chunk counts differ: ${scans.join(' / ')}`);
  return Object.fromEntries(Object.entries(rates).map(([k, r]) => [k, median(r)]));
}

/** How xetchunk-wasm does on the shared vectors (boundaries, chunk hashes, file hashes). */
function xetchunkOnVectors() {
  const v = loadVectors('xet-vectors.json');
  let boundaries = 0;
  let chunkHashes = 0;
  let fileHashes = 0;
  let edge = 0;
  const differing = [];
  for (const c of v.cases) {
    const bytes = generate(c.input);
    const chunker = createChunker();
    const chunks = [...nextBlock(chunker, bytes)];
    const last = finalize(chunker);
    if (last) chunks.push(last);
    let end = 0;
    const ends = chunks.map((ch) => (end += ch.length));
    const sameBoundaries = JSON.stringify(ends) === JSON.stringify(c.chunk_boundaries);
    boundaries += sameBoundaries;
    chunkHashes += sameBoundaries && chunks.every((ch, i) => hashToHex(ch.hash) === c.chunks[i].hash);
    const same = hashToHex(xcFileHash(chunks)) === c.file_hash;
    fileHashes += same;
    if (!same) differing.push(c.name);
  }
  const e = v.chunker_edge_cases;
  for (const c of e.cases) {
    const bytes = generate({ kind: 'pattern_padded_repeat', pattern_hex: e.pattern_hex, padding: c.padding, size: e.input_size });
    const chunker = createChunker();
    const chunks = [...nextBlock(chunker, bytes)];
    const last = finalize(chunker);
    if (last) chunks.push(last);
    let end = 0;
    edge += JSON.stringify(chunks.map((ch) => (end += ch.length))) === JSON.stringify(c.chunk_boundaries);
  }
  return { cases: v.cases.length, boundaries, chunkHashes, fileHashes, differing, edge, edgeCases: e.cases.length,
    oldRuleDiffers: e.num_paddings_where_old_rule_differs };
}

const cpu = (() => {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpus()[0]?.model;
  } catch {
    return cpus()[0]?.model ?? 'unknown CPU';
  }
})();
const load = () => {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim();
  } catch {
    return loadavg().map((x) => x.toFixed(2)).join(' ');
  }
};
console.log(`# chunk + chunk hashes + file hash, ${SIZE_MIB} MiB per data set, median of ${RUNS} runs after a warm-up`);
console.log(`# ${cpu} × ${cpus().length}; Node ${process.version}; load average at start: ${load()}`);
console.log(`# slices pushed: ${SLICES.map((s) => (s / 2 ** 20).toFixed(2)).join(', ')} MiB (cycled)`);

const native = args.native ? JSON.parse(readFileSync(args.native, 'utf8')) : undefined;
const sets = [];
{
  const random = randomBytes(SIZE_MIB << 20);
  sets.push(await bench('random', random));
}
{
  const text = textBytes(SIZE_MIB << 20);
  sets.push(await bench('text', text));
}

parallel.close();

console.log('\n| data   | ours wasm | ours wasm, 2 workers | official wasm | xetchunk-wasm | ours native | ours / official | 2 workers / official | ours / xetchunk | chunks (ours/official/xetchunk) |');
console.log('|--------|----------:|---------------------:|--------------:|--------------:|------------:|----------------:|---------------------:|----------------:|----|');
for (const s of sets) {
  const m = Object.fromEntries(Object.entries(s.rates).map(([e, r]) => [e, median(r)]));
  const nat = native?.[s.name]?.mib_s;
  console.log(
    `| ${s.name.padEnd(6)} | ${fmt(m.ours)} MiB/s | ${fmt(m.ours2w)} MiB/s | ${fmt(m.official)} MiB/s | ${fmt(m.xetchunk)} MiB/s | ${fmt(nat)} MiB/s ` +
      `| ${(m.ours / m.official).toFixed(2)}× | ${(m.ours2w / m.official).toFixed(2)}× | ${(m.ours / m.xetchunk).toFixed(2)}× ` +
      `| ${s.results.ours.chunks}/${s.results.official.chunks}/${s.results.xetchunk.chunks} |`,
  );
}
console.log('\nall runs (MiB/s):');
for (const s of sets) {
  for (const [e, r] of Object.entries(s.rates)) console.log(`  ${s.name.padEnd(6)} ${e.padEnd(8)} ${r.map((x) => x.toFixed(0)).join(' ')}`);
  if (native?.[s.name]) console.log(`  ${s.name.padEnd(6)} native   ${native[s.name].runs.map((x) => x.toFixed(0)).join(' ')}`);
}

console.log('\nprofile inside wasm (data already in wasm memory, 4 MiB pieces, no JS objects), median MiB/s:');
console.log('(scan proto N: a one-lane loop testing N bytes at once, in benches/official-wasm; N = 1 is the official loop shape)');
console.log('| data   | scan ours | scan official | scan proto 1 | scan proto 8 | BLAKE3 alone (64 KiB pieces) | chunk+hash+file hash ours | official | ours via JS API | official via JS API |');
console.log('|--------|----------:|--------------:|------:|------:|-----------:|----------:|---------:|---------:|---------:|');
for (const s of sets) {
  const p = s.profile;
  console.log(`| ${s.name.padEnd(6)} | ${fmt(p['scan ours'])} | ${fmt(p['scan official'])} | ${fmt(p['scan proto 1'])} | ${fmt(p['scan proto 8'])} | ${fmt(p['BLAKE3 alone'])} ` +
    `| ${fmt(p['chunk+hash ours'])} | ${fmt(p['chunk+hash official'])} | ${fmt(median(s.rates.ours))} | ${fmt(median(s.rates.official))} |`);
}

console.log('\nagreement on the bench data:');
for (const s of sets) {
  const { ours, official, xetchunk } = s.results;
  const same2w = s.results.ours2w.hash === ours.hash && s.results.ours2w.chunks === ours.chunks;
  console.log(`  ${s.name}: ours with 2 workers ${same2w ? '==' : '!='} ours on one thread`);
  console.log(`  ${s.name}: ours ${ours.hash === official.hash && ours.chunks === official.chunks ? '==' : '!='} official` +
    ` (file hash ${ours.hash.slice(0, 16)}…, ${ours.chunks} chunks);` +
    ` xetchunk-wasm ${xetchunk.hash === official.hash ? 'matches' : 'differs'} (${xetchunk.chunks} chunks)`);
}
const xc = xetchunkOnVectors();
console.log(`\n@huggingface/xetchunk-wasm on the shared vectors: boundaries match in ${xc.boundaries}/${xc.cases} cases, ` +
  `chunk hashes in ${xc.chunkHashes}/${xc.cases}, file hashes in ${xc.fileHashes}/${xc.cases}` +
  `${xc.differing.length ? ` (differ: ${xc.differing.join(', ')})` : ''}; ` +
  `edge cases ${xc.edge}/${xc.edgeCases} (the old rule differs in ${xc.oldRuleDiffers})`);
console.log(`\n# load average at end: ${load()}`);
