// `hf-buckets/xet` as users get it: the built package, imported by its own name (package
// self-reference through the exports map), checked against every shared vector that concerns
// chunking and hashing, plus the JS contract (errors, slicing, memory handling).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as xet from 'hf-buckets/xet';
import {
  Chunker,
  XetError,
  bytesToHash,
  chunkHash,
  fileHash,
  fileHashFromChunks,
  hashToBytes,
  isGlobalDedupEligible,
  isXetError,
  verificationHash,
  xorbHash,
} from 'hf-buckets/xet';
import { fromHex, generate, loadVectors } from './helpers/vectors.mjs';

const V = loadVectors('xet-vectors.json');
const M = loadVectors('xet-merkle-vectors.json');
const S = loadVectors('xet-serialization-vectors.json');
const ZERO = '0'.repeat(64);

/** Chunks `bytes` with one Chunker fed the slice sizes of `sizes` (cycled). */
function chunkSliced(bytes, sizes) {
  const chunker = new Chunker();
  try {
    const chunks = [];
    let at = 0;
    for (let i = 0; at < bytes.length; i++) {
      const n = Math.min(sizes[i % sizes.length], bytes.length - at);
      chunks.push(...chunker.push(bytes.subarray(at, at + n)));
      at += n;
    }
    chunks.push(...chunker.finish());
    return chunks;
  } finally {
    chunker.free();
  }
}

const SLICINGS = {
  whole: [Infinity],
  'MiB-ish': [1 << 20, 3 << 20, 8 << 20, 123457],
  odd: [1, 37, 255, 8191, 65537, 131073],
};

for (const c of V.cases) {
  test(`vector ${c.name}: chunks, chunk hashes, file/xorb/verification hashes`, () => {
    const bytes = generate(c.input);
    assert.equal(bytes.length, c.size);
    const expected = c.chunks.map(({ offset, length, hash }) => ({ offset, length, hash }));
    for (const [name, sizes] of Object.entries(SLICINGS)) {
      if (name === 'odd' && c.size > (4 << 20)) continue; // 1-byte pushes: keep the run short
      assert.deepEqual(chunkSliced(bytes, sizes), expected, `slicing ${name}`);
    }
    assert.deepEqual(
      c.chunks.map((ch) => ch.offset + ch.length),
      c.chunk_boundaries,
    );
    assert.equal(fileHash(bytes), c.file_hash);
    assert.equal(fileHashFromChunks(expected), c.file_hash);
    assert.equal(xorbHash(expected), c.xorb_hash_of_all_chunks);
    if (c.verification_hash_of_all_chunks !== null) {
      assert.equal(verificationHash(expected.map((ch) => ch.hash)), c.verification_hash_of_all_chunks);
    }
    for (const ch of c.chunks) {
      assert.equal(chunkHash(bytes.subarray(ch.offset, ch.offset + ch.length)), ch.hash);
      assert.equal(isGlobalDedupEligible(ch.hash), ch.global_dedup_eligible_by_hash);
    }
    assert.equal(new Set(c.chunks.map((ch) => ch.hash)).size, c.num_distinct_chunks);
  });
}

test('chunker edge cases: matches in the 64 bytes before the minimum are ignored (128 inputs)', () => {
  const e = V.chunker_edge_cases;
  assert.equal(e.cases.length, 128);
  for (const c of e.cases) {
    const bytes = generate({ kind: 'pattern_padded_repeat', pattern_hex: e.pattern_hex, padding: c.padding, size: e.input_size });
    const ends = chunkSliced(bytes, [4096, 60000]).map((ch) => ch.offset + ch.length);
    assert.deepEqual(ends, c.chunk_boundaries, `padding ${c.padding}`);
  }
});

test('merkle vectors: xorb hash, file hash (zero salt), verification hash of every leaf list', () => {
  for (const c of M.cases) {
    const leaves = c.leaves.map(({ hash, size }) => ({ hash, length: size }));
    assert.equal(xorbHash(leaves), c.xorb_hash, `${c.num_leaves} leaves`);
    assert.equal(fileHashFromChunks(leaves), c.file_hash_zero_salt, `${c.num_leaves} leaves`);
    if (c.verification_hash_all_leaves !== null) {
      assert.equal(verificationHash(leaves.map((l) => l.hash)), c.verification_hash_all_leaves);
    }
  }
});

test('merkle vectors: chunk hash examples, global-dedup examples, hash string encoding', () => {
  for (const ex of M.chunk_hash_examples) {
    const bytes = ex.input_hex !== undefined ? fromHex(ex.input_hex) : new TextEncoder().encode(ex.input_utf8);
    assert.equal(chunkHash(bytes), ex.hash);
    assert.deepEqual(hashToBytes(ex.hash), fromHex(ex.raw_bytes_hex));
    assert.equal(bytesToHash(fromHex(ex.raw_bytes_hex)), ex.hash);
  }
  for (const ex of M.global_dedup_eligible_examples) {
    assert.equal(chunkHash(fromHex(ex.data_hex)), ex.chunk_hash);
    assert.equal(isGlobalDedupEligible(ex.chunk_hash), true);
  }
  const enc = M.hash_string_encoding;
  assert.equal(bytesToHash(fromHex(enc.raw_bytes_hex)), enc.xet_hex_string);
  assert.deepEqual(hashToBytes(enc.xet_hex_string), fromHex(enc.raw_bytes_hex));
  assert.deepEqual(hashToBytes(enc.xet_hex_string.toUpperCase()), fromHex(enc.raw_bytes_hex));
});

test('upload vectors: file hashes, xorb hashes and shard verification hashes', () => {
  let files = 0;
  let terms = 0;
  for (const upload of V.uploads) {
    for (const session of upload.sessions) {
      for (const f of session.files) {
        assert.equal(fileHash(generate(f.input)), f.returned_xet_file_info.hash, f.name);
        files++;
      }
      const shard = session.uploaded_shard;
      if (!shard) continue;
      const xorbs = new Map();
      for (const x of shard.xorb_info) {
        const chunks = x.chunks.map((ch) => ({ hash: ch.chunk_hash, length: ch.unpacked_segment_bytes }));
        assert.equal(xorbHash(chunks), x.xorb_hash);
        xorbs.set(x.xorb_hash, chunks);
      }
      for (const x of session.uploaded_xorbs) {
        const chunks = x.chunks.map((ch, i) => ({ hash: x.chunk_hashes[i], length: ch.uncompressed_length }));
        assert.equal(xorbHash(chunks), x.hash_from_path);
      }
      for (const fi of shard.file_info) {
        fi.entries.forEach((entry, i) => {
          const chunks = xorbs.get(entry.xorb_hash);
          if (!chunks) return; // a term in a xorb uploaded by an earlier session
          const hashes = chunks.slice(entry.chunk_index_start, entry.chunk_index_end).map((ch) => ch.hash);
          assert.equal(verificationHash(hashes), fi.verification_range_hashes[i]);
          terms++;
        });
      }
    }
  }
  assert.ok(files >= 6 && terms >= 6, `checked ${files} files, ${terms} terms`);
});

test('serialization vectors: chunk hashes of serialized chunks and the 3-chunk xorb', () => {
  for (const c of S.chunk_serialization) {
    assert.equal(chunkHash(generate(c.input)), c.chunk_hash, c.input_name);
  }
  const x = S.xorb_3_chunks;
  const bytes = generate(x.input);
  const chunks = x.chunk_hashes.map((hash, i) => {
    const piece = bytes.subarray(x.chunk_cuts[i], x.chunk_cuts[i + 1]);
    assert.equal(chunkHash(piece), hash);
    return { hash, length: piece.length };
  });
  for (const c of x.cases) assert.equal(xorbHash(chunks), c.xorb_hash);
  const one = S.one_file_upload.sessions[0];
  assert.equal(fileHash(generate(one.files[0].input)), one.files[0].returned_xet_file_info.hash);
});

test('slicing never changes the result (random data, random slice sizes, views with offsets)', () => {
  let seed = 0x2545f491;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let round = 0; round < 6; round++) {
    const size = Math.floor(rand() * (3 << 20));
    const backing = generate({ kind: 'splitmix64', seed: 1000 + round, size: size + 17 });
    const bytes = backing.subarray(17); // a view that does not start at offset 0 of its buffer
    const oneShot = chunkSliced(bytes, [Infinity]);
    const sizes = Array.from({ length: 7 }, () => 1 + Math.floor(rand() * 300_000));
    assert.deepEqual(chunkSliced(bytes, sizes), oneShot, `size ${size}, slices ${sizes}`);
    assert.equal(fileHashFromChunks(oneShot), fileHash(bytes));
    let end = 0;
    for (const ch of oneShot) {
      assert.equal(ch.offset, end);
      assert.ok(ch.length <= 131072 && (ch.length >= 8192 || ch.offset + ch.length === size));
      end += ch.length;
    }
    assert.equal(end, size);
  }
});

test('Chunker: Buffer input, reuse after finish, free and Symbol.dispose', () => {
  const bytes = generate({ kind: 'splitmix64', seed: 5, size: 65536 });
  const expected = V.cases.find((c) => c.name === 'size_65536').chunks.map(({ offset, length, hash }) => ({ offset, length, hash }));
  const chunker = new Chunker();
  const viaBuffer = [...chunker.push(Buffer.from(bytes)), ...chunker.finish()];
  assert.deepEqual(viaBuffer, expected);
  // After finish the chunker starts a new file at offset 0.
  assert.deepEqual([...chunker.push(bytes), ...chunker.finish()], expected);
  assert.deepEqual(chunker.finish(), []);
  assert.deepEqual(chunker.push(new Uint8Array(0)), []);
  assert.equal(typeof chunker[Symbol.dispose], 'function');
  chunker[Symbol.dispose]();
  // Using a freed chunker throws an Error (wasm-bindgen's null-pointer guard), not a crash.
  assert.throws(() => chunker.push(bytes), Error);
  const other = new Chunker();
  other.free();
  assert.equal(fileHash(bytes), V.cases.find((c) => c.name === 'size_65536').file_hash);
});

test('empty inputs: no chunks, all-zero file and xorb hashes', () => {
  const chunker = new Chunker();
  assert.deepEqual(chunker.push(new Uint8Array(0)), []);
  assert.deepEqual(chunker.finish(), []);
  chunker.free();
  assert.equal(fileHash(new Uint8Array(0)), ZERO);
  assert.equal(fileHashFromChunks([]), ZERO);
  assert.equal(xorbHash([]), ZERO);
});

/** Asserts that `fn` throws a XetError with `code`. */
function assertXetError(fn, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof XetError, `not a XetError: ${e}`);
    assert.ok(e instanceof Error);
    assert.ok(isXetError(e));
    assert.equal(e.name, 'ValidationError');
    assert.equal(e.retryable, false);
    assert.equal(e.code, code);
    assert.equal(typeof e.message, 'string');
    assert.ok(e.message.length > 0);
    return true;
  });
}

test('invalid input: a XetError with a code, never a panic or a thrown string', () => {
  const h = '36774cbf5b98a86285146e0d5a47c036371234b44671b0635ddc37af0a956400';
  const fakes = [Object.create(Uint8Array.prototype), new Proxy(new Uint8Array(4), {})];
  for (const bad of ['text', 42, null, undefined, {}, [1, 2, 3], new ArrayBuffer(4), new Uint16Array(2), ...fakes]) {
    assertXetError(() => fileHash(bad), 'INVALID_ARGUMENT');
    assertXetError(() => chunkHash(bad), 'INVALID_ARGUMENT');
    assertXetError(() => bytesToHash(bad), 'INVALID_ARGUMENT');
    const chunker = new Chunker();
    assertXetError(() => chunker.push(bad), 'INVALID_ARGUMENT');
    chunker.free();
  }
  for (const bad of ['x', 1, null, undefined, { length: 1 }]) {
    assertXetError(() => fileHashFromChunks(bad), 'INVALID_ARGUMENT');
    assertXetError(() => xorbHash(bad), 'INVALID_ARGUMENT');
    assertXetError(() => verificationHash(bad), 'INVALID_ARGUMENT');
  }
  for (const bad of [null, 3, h, { hash: h }, { length: 3 }, { hash: 7, length: 3 }, { hash: h, length: -1 },
    { hash: h, length: 1.5 }, { hash: h, length: '3' }, { hash: h, length: 2 ** 53 }, { hash: h, length: NaN }]) {
    assertXetError(() => fileHashFromChunks([{ hash: h, length: 1 }, bad]), 'INVALID_ARGUMENT');
  }
  for (const bad of ['', 'zz', h.slice(1), `${h}0`, `${h.slice(0, 63)}g`, `${h.slice(0, 62)}é`]) {
    assertXetError(() => hashToBytes(bad), 'INVALID_HASH');
    assertXetError(() => isGlobalDedupEligible(bad), 'INVALID_HASH');
    assertXetError(() => verificationHash([h, bad]), 'INVALID_HASH');
    assertXetError(() => xorbHash([{ hash: bad, length: 1 }]), 'INVALID_HASH');
  }
  for (const bad of [1, null, {}, new Uint8Array(32)]) {
    assertXetError(() => hashToBytes(bad), 'INVALID_ARGUMENT');
    assertXetError(() => verificationHash([bad]), 'INVALID_ARGUMENT');
  }
  for (const n of [0, 31, 33]) assertXetError(() => bytesToHash(new Uint8Array(n)), 'INVALID_HASH');
  // The message names the offending element.
  assert.throws(() => xorbHash([{ hash: h, length: 1 }, { hash: 'nope', length: 1 }]), /chunks\[1\]/);
  // The engine still works after every rejected call.
  assert.equal(chunkHash(new Uint8Array(0)), M.chunk_hash_examples[0].hash);
});

test('XetError and isXetError are usable on their own', () => {
  const e = new XetError('bad', { code: 'INVALID_HASH', cause: 1 });
  assert.equal(e.name, 'ValidationError');
  assert.equal(e.code, 'INVALID_HASH');
  assert.equal(e.cause, 1);
  assert.equal(new XetError('x').code, 'INVALID_ARGUMENT');
  assert.equal(isXetError(e), true);
  assert.equal(isXetError(new Error('x')), false);
  assert.equal(isXetError('ValidationError'), false);
  const foreign = Object.assign(new Error('from another copy'), { name: 'ValidationError' });
  assert.equal(isXetError(foreign), true);
});

test('the runtime exports are exactly those declared in js/xet/index.d.ts', () => {
  const dts = readFileSync(new URL('../../js/xet/index.d.ts', import.meta.url), 'utf8');
  const declared = [...dts.matchAll(/^export (?:declare )?(?:class|function|const) (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(Object.keys(xet).sort(), [...new Set(declared)].sort());
});

test('the package resolves "hf-buckets/xet" to the node entry point', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(pkg.name, 'hf-buckets');
  const resolved = import.meta.resolve('hf-buckets/xet');
  assert.ok(resolved.endsWith('/js/xet/node.js'), resolved);
  assert.equal(await import(resolved), xet);
});

