// The test app's round trip, the same for every bundler and runtime: create the bucket (if
// needed), upload a file, list the bucket, download the file and compare it byte for byte; the
// Xet hash computed with `hf-buckets/xet` must equal the one the Hub lists. `pkg` holds the
// imports of the entry under test ({ BucketClient, fileHash }), so each build bundles its own.

/** Deterministic pseudo-random bytes (several chunks, so chunking and reconstruction matter). */
export function testBytes(size, seed) {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/**
 * @param {{ BucketClient: any, fileHash: (bytes: Uint8Array) => string, ParallelChunker?: any, fileHashFromChunks?: any }} pkg
 * @param {{ endpoint: string, token: string, bucket: string, path: string, size?: number, seed?: number }} params
 */
export async function roundTrip({ BucketClient, fileHash, ParallelChunker, fileHashFromChunks }, { endpoint, token, bucket, path, size = 300_000, seed = 7 }) {
  const hub = new BucketClient({ accessToken: token, endpoint });
  await hub.createBucket(bucket, { existOk: true });
  const bytes = testBytes(size, seed);
  const uploaded = await hub.uploadBucketFile(bucket, { source: bytes, destination: path });
  const listed = [];
  for await (const entry of hub.listBucketTree(bucket, { recursive: true })) listed.push(entry);
  const entry = listed.find((e) => e.path === path);
  const downloaded = await hub.getBucketFile(bucket, { path });
  const same = downloaded.length === bytes.length && downloaded.every((b, i) => b === bytes[i]);
  const problems = [];
  if (ParallelChunker) {
    // The bundled chunking workers start and give the same file hash (3 segments).
    const chunker = new ParallelChunker({ workers: 2, segmentBytes: 100_000 });
    try {
      const chunks = [...(await chunker.push(bytes)), ...(await chunker.finish())];
      if (chunker.workerCount !== 2) problems.push(`ParallelChunker started ${chunker.workerCount} workers, not 2`);
      if (fileHashFromChunks(chunks) !== fileHash(bytes)) problems.push('ParallelChunker hashes differently');
    } finally {
      chunker.close();
    }
  }
  return {
    problems,
    uploadedHash: uploaded.xetHash,
    listedHash: entry?.xetHash ?? null,
    localHash: fileHash(bytes),
    listedPaths: listed.map((e) => e.path),
    size: downloaded.length,
    same,
  };
}

/** In a page: runs the round trip with the parameters in the query string, into `__result`. */
export function runInPage(pkg) {
  const q = new URLSearchParams(location.search);
  const params = Object.fromEntries(q);
  roundTrip(pkg, params).then(
    (result) => (globalThis.__result = { ok: true, ...result }),
    (error) => (globalThis.__result = { ok: false, error: `${error?.name}: ${error?.message}\n${error?.stack ?? ''}` }),
  );
}
