// The shipped wasm stays small (issue 12): the gzip -9 size of each wasm the package exports
// (`hf-buckets/client.wasm`, `hf-buckets/xet.wasm`, resolved through the exports map, so the files
// users download) against its limit. What the bytes are and how to cut them: docs/wasm-size.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * Limits in bytes, gzipped at level 9 by Node's zlib (about 0.8 % more than `gzip -9`, which
 * scripts/build.sh prints). The client's is what it measured after the sync, delete and browser
 * sync calls landed (376,975 here, 374,088 by `gzip -9`, on 2026-12-07) + 1 %, then the pipelined
 * download (split ranges, read-ahead, `nextInto`), the small-answer transport, the streamed plan
 * checks, `SyncPlanner.withClient` and the segment stitcher behind `Chunker` landed together
 * (390,008 on 2026-12-07, + 1 %), then chunks from worker threads stitched into uploads and
 * checksums, the local shard cache and synchronous source reads (395,549 on 2026-12-07, + 1 %),
 * then binaryen stopped inlining functions of one caller above 60 bytes (384,382 on 2026-12-07,
 * + 1 %), then the client's own JSON reader and writer (`xet::json`) replaced serde and
 * serde_json (350,239 on 2026-12-08, + 1 %), then one promise adapter for every exported call,
 * no f64 printing, and `xet` built for size with its per-byte loops in `xet-kernels` (322,066 on
 * 2026-12-08, + 1 %): issue 12 asks for 150 KB, which is NOT met yet (docs/wasm-size.md). Lower
 * it as cuts land.
 */
const LIMITS = {
  'hf-buckets/client.wasm': 325_300,
  'hf-buckets/xet.wasm': 30_000,
};

for (const [specifier, limit] of Object.entries(LIMITS)) {
  test(`${specifier} is at most ${limit.toLocaleString('en')} bytes gzipped`, () => {
    const wasm = readFileSync(fileURLToPath(import.meta.resolve(specifier)));
    assert.ok(WebAssembly.validate(wasm), `${specifier} is a valid wasm module`);
    const gzipped = gzipSync(wasm, { level: 9 }).length;
    assert.ok(gzipped <= limit, `${gzipped} bytes gzipped (${wasm.length} raw), limit ${limit}`);
  });
}
