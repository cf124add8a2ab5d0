// `ParallelChunker` of `hf-buckets/xet` under Node: segments chunked on worker_threads and
// stitched on the main thread give exactly the chunks of one `Chunker` on one thread, on random,
// text and constant data, with segment edges everywhere (small segments, odd slice sizes). Small
// inputs (a few MiB) keep it fast; the speed is measured by benches/js/chunk-bench.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Chunker, ParallelChunker, XetError, fileHashFromChunks } from 'hf-buckets/xet';
import { randomBytes, textBytes } from './helpers/transfer-data.mjs';

function oneThread(bytes) {
  const chunker = new Chunker();
  try {
    return [...chunker.push(bytes), ...chunker.finish()];
  } finally {
    chunker.free();
  }
}

/** Pushes `bytes` in slices of `sizes` (cycled) and finishes. */
async function parallelChunks(chunker, bytes, sizes) {
  const out = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = Math.min(sizes[i % sizes.length], bytes.length - at);
    out.push(...(await chunker.push(bytes.subarray(at, at + n))));
    at += n;
  }
  out.push(...(await chunker.finish()));
  return out;
}

const DATA = {
  random: randomBytes(3 << 20),
  text: textBytes(3 << 20),
  // No hash match at all: only maximum-size cuts, which never line up across a segment edge.
  constant: new Uint8Array(2 << 20).fill(0x61),
};

for (const [name, bytes] of Object.entries(DATA)) {
  test(`2 workers give the chunks of one thread: ${name} data, segments of 200,003 and 1 MiB`, async () => {
    const want = oneThread(bytes);
    assert.ok(want.length > 10);
    for (const segmentBytes of [200_003, 1 << 20]) {
      const chunker = new ParallelChunker({ workers: 2, segmentBytes });
      const got = await parallelChunks(chunker, bytes, [65_537, 1 << 20, 3, 700_001]);
      assert.equal(chunker.workerCount, 2);
      chunker.close();
      assert.deepEqual(got, want, `segments of ${segmentBytes}`);
      assert.equal(fileHashFromChunks(got), fileHashFromChunks(want));
    }
  });
}

test('a second file on the same chunker, and calls queued without awaiting', async (t) => {
  const chunker = new ParallelChunker({ workers: 2, segmentBytes: 300_000 });
  t.after(() => chunker.close());
  const first = await parallelChunks(chunker, DATA.text, [1 << 20]);
  assert.deepEqual(first, oneThread(DATA.text));
  const bytes = DATA.random.subarray(0, 2_000_000);
  const pending = [];
  for (let at = 0; at < bytes.length; at += 123_457) pending.push(chunker.push(bytes.subarray(at, at + 123_457)));
  pending.push(chunker.finish());
  const second = (await Promise.all(pending)).flat();
  assert.deepEqual(second, oneThread(bytes));
});

test('inputs below one segment and workers: 0 stay on this thread', async () => {
  // Never closed: a chunker that started no worker holds nothing but wasm memory.
  const small = new ParallelChunker({ workers: 2 }); // 8 MiB segments
  assert.deepEqual(await parallelChunks(small, DATA.random, [1 << 20]), oneThread(DATA.random));
  assert.equal(small.workerCount, 0);
  const none = new ParallelChunker({ workers: 0, segmentBytes: 100_000 });
  assert.deepEqual(await parallelChunks(none, DATA.text, [999_999]), oneThread(DATA.text));
  assert.equal(none.workerCount, 0);
  const empty = new ParallelChunker();
  assert.deepEqual(await empty.finish(), []);
});

test('bad arguments are XetErrors; a closed chunker rejects', async () => {
  for (const options of [{ workers: -1 }, { workers: 1.5 }, { segmentBytes: 0 }, { segmentBytes: '1' }, null]) {
    assert.throws(() => new ParallelChunker(options), (e) => e instanceof XetError && e.code === 'INVALID_ARGUMENT');
  }
  const chunker = new ParallelChunker({ workers: 1, segmentBytes: 100_000 });
  await assert.rejects(chunker.push('text'), XetError);
  await chunker.push(DATA.random.subarray(0, 500_000));
  assert.equal(chunker.workerCount, 1);
  chunker.close();
  await assert.rejects(chunker.push(new Uint8Array(10)), XetError);
  await assert.rejects(chunker.finish(), XetError);
});

test('idle workers do not keep a Node process alive', () => {
  const script = `
    import { ParallelChunker } from 'hf-buckets/xet';
    const chunker = new ParallelChunker({ workers: 2, segmentBytes: 100_000 });
    const chunks = [...await chunker.push(new Uint8Array(1_000_000).fill(7)), ...await chunker.finish()];
    console.log(chunker.workerCount, chunks.length); // and no close()
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    timeout: 30_000,
    encoding: 'utf8',
  });
  assert.equal(out.trim(), '2 8');
});

test('a worker that fails rejects with a XetError; a worker that cannot start leaves the work on this thread', async () => {
  // The class as the entry points build it, with stand-in workers.
  const { defineParallelChunker } = await import('../../js/xet/parallel.js');
  const { Chunker: WasmChunker } = await import('../../dist/xet/hf_buckets_xet.js');
  const Failing = defineParallelChunker(WasmChunker, (onMessage, onError) => ({
    post: () => setTimeout(() => onError(new Error('boom'))),
    ref() {},
    unref() {},
    terminate() {},
  }));
  const failing = new Failing({ workers: 1, segmentBytes: 100_000 });
  await assert.rejects(failing.push(DATA.random.subarray(0, 1_000_000)), (e) => e instanceof XetError && e.cause?.message === 'boom');
  failing.close();
  const NoWorkers = defineParallelChunker(WasmChunker, () => undefined);
  const local = new NoWorkers({ workers: 2, segmentBytes: 150_000 });
  assert.deepEqual(await parallelChunks(local, DATA.text, [400_000]), oneThread(DATA.text));
  assert.equal(local.workerCount, 0);
  local.close();
});
