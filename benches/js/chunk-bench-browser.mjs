// `npm run bench` (scripts/bench.sh): chunk + chunk hashes + file hash in headless Chromium,
// in a page that is NOT cross-origin isolated (no COOP/COEP, so no SharedArrayBuffer), of
//   - ours:     `hf-buckets/xet` Chunker on the page's thread;
//   - ours2w:   ParallelChunker({ workers: 2 }) (module Web Workers, transferable buffers);
//   - official: xet-data 1.8.0 + xet-core-structures in wasm (benches/official-wasm/pkg), one thread;
// over SIZE MiB of random and of text data fed in the same 1–8 MiB slices as chunk-bench.mjs,
// median of RUNS runs after a warm-up, engines interleaved. A report, not a test.
// Usage: node benches/js/chunk-bench-browser.mjs [--size-mib 256] [--runs 5]
import { readFileSync } from 'node:fs';
import { openBrowserPage } from '../../tests/js/helpers/browser.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const SIZE_MIB = Number(args['size-mib'] ?? 256);
const RUNS = Number(args.runs ?? 5);
const load = () => readFileSync('/proc/loadavg', 'utf8').trim();

const chrome = await openBrowserPage({ served: ['js/', 'dist/', 'benches/official-wasm/pkg/'], title: 'chunk bench' });
try {
  await chrome.open();
  console.log(`# chunk + chunk hashes + file hash in headless Chromium, ${SIZE_MIB} MiB per data set, median of ${RUNS} runs after a warm-up`);
  console.log(`# load average at start: ${load()}`);
  const report = await chrome.page.evaluate(async ({ sizeMib, runs }) => {
    const xet = await import('/js/xet/browser.js');
    const official = await import('/benches/official-wasm/pkg/official_xet_bench.js');
    await official.default({ module_or_path: '/benches/official-wasm/pkg/official_xet_bench_bg.wasm' });
    const SLICES = [1 << 20, (3 << 20) + 17, 8 << 20, (2 << 20) - 3, 5 << 20];
    const size = sizeMib << 20;
    const slices = (data) => {
      const out = [];
      for (let at = 0, i = 0; at < data.length; i++) {
        const n = Math.min(SLICES[i % SLICES.length], data.length - at);
        out.push(data.subarray(at, at + n));
        at += n;
      }
      return out;
    };
    const random = new Uint8Array(size);
    for (let at = 0; at < size; at += 65536) crypto.getRandomValues(random.subarray(at, at + 65536));
    const text = new Uint8Array(size);
    const enc = new TextEncoder();
    for (let at = 0, i = 0; at < size; i++) {
      const line = enc.encode(`line ${i}: the quick brown fox ${i * i}\n`);
      text.set(line.subarray(0, size - at), at);
      at += line.length;
    }
    const parallel = new xet.ParallelChunker({ workers: 2 });
    const engines = {
      ours(parts) {
        const chunker = new xet.Chunker();
        const chunks = [];
        for (const p of parts) for (const c of chunker.push(p)) chunks.push(c);
        for (const c of chunker.finish()) chunks.push(c);
        chunker.free();
        return { chunks: chunks.length, hash: xet.fileHashFromChunks(chunks) };
      },
      async ours2w(parts) {
        const chunks = [];
        for (const p of parts) for (const c of await parallel.push(p)) chunks.push(c);
        for (const c of await parallel.finish()) chunks.push(c);
        return { chunks: chunks.length, hash: xet.fileHashFromChunks(chunks) };
      },
      official(parts) {
        const hasher = new official.OfficialFileHasher();
        for (const p of parts) hasher.push(p);
        const hash = hasher.finish();
        const chunks = hasher.chunkCount;
        hasher.free();
        return { chunks, hash };
      },
    };
    const sets = [];
    for (const [name, data] of [['random', random], ['text', text]]) {
      const parts = slices(data);
      const rates = Object.fromEntries(Object.keys(engines).map((e) => [e, []]));
      const results = {};
      for (let run = 0; run <= runs; run++) {
        for (const [engine, fn] of Object.entries(engines)) {
          const t = performance.now();
          results[engine] = await fn(parts);
          const seconds = (performance.now() - t) / 1000;
          if (run > 0) rates[engine].push(size / 2 ** 20 / seconds);
        }
      }
      sets.push({ name, rates, results });
    }
    parallel.close();
    return { sets, isolated: globalThis.crossOriginIsolated, sab: typeof SharedArrayBuffer, cores: navigator.hardwareConcurrency };
  }, { sizeMib: SIZE_MIB, runs: RUNS });

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`# crossOriginIsolated: ${report.isolated}; SharedArrayBuffer: ${report.sab}; hardwareConcurrency: ${report.cores}`);
  console.log('\n| data   | ours (page thread) | ours, 2 workers | official (page thread) | ours / official | 2 workers / official | 2 workers == one thread |');
  console.log('|--------|----------:|----------:|----------:|------:|------:|---|');
  for (const s of report.sets) {
    const m = Object.fromEntries(Object.entries(s.rates).map(([e, r]) => [e, median(r)]));
    const same = s.results.ours2w.hash === s.results.ours.hash && s.results.ours.hash === s.results.official.hash;
    console.log(`| ${s.name.padEnd(6)} | ${m.ours.toFixed(0)} MiB/s | ${m.ours2w.toFixed(0)} MiB/s | ${m.official.toFixed(0)} MiB/s ` +
      `| ${(m.ours / m.official).toFixed(2)}× | ${(m.ours2w / m.official).toFixed(2)}× | ${same ? 'yes' : 'NO'} |`);
  }
  console.log('\nall runs (MiB/s):');
  for (const s of report.sets) {
    for (const [e, r] of Object.entries(s.rates)) console.log(`  ${s.name.padEnd(6)} ${e.padEnd(8)} ${r.map((x) => x.toFixed(0)).join(' ')}`);
  }
  console.log(`\n# load average at end: ${load()}`);
} finally {
  await chrome.close();
}
