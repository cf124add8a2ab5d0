// A Xet server that lies about sizes: a client's custom `fetch` rewrites the reconstruction
// answers of local-hub's CAS (forged lengths, ranges, counts, reversed ranges, garbage), then stops
// lying. Each forged download must reject with one of the package's typed errors (never hang,
// never abort the wasm instance), and the same client instance must then download the file
// correctly. Plain JS with no imports: run in Node and in Chromium pages.

const HUGE = 2 ** 40;

/** Rewrites every object of a reconstruction answer with `edit`. */
function walk(value, edit) {
  if (Array.isArray(value)) return value.map((v) => walk(v, edit));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, edit);
    return edit(out);
  }
  return value;
}

/** The forgeries, by name: what a hostile or broken CAS could answer. */
export const FORGERIES = {
  'lengths far past the body': (j) => walk(j, (o) => ('unpacked_length' in o ? { ...o, unpacked_length: HUGE } : o)),
  'chunk and byte ranges far past the body': (j) =>
    walk(j, (o) => ('start' in o && 'end' in o ? { ...o, end: typeof o.end === 'number' ? HUGE : o.end } : o)),
  'reversed ranges': (j) => walk(j, (o) => ('start' in o && 'end' in o ? { ...o, start: o.end, end: o.start } : o)),
  'offset past the file': (j) => ({ ...j, offset_into_first_range: HUGE }),
  'a term repeated 20000 times': (j) => ({ ...j, terms: Array.from({ length: 20000 }, () => j.terms?.[0]) }),
  'not an object': () => [1, 2, 3],
  'not JSON': () => undefined,
};

const TYPED = new Set(['IntegrityError', 'ProtocolError', 'NetworkError', 'ValidationError', 'HubError']);

/**
 * Runs every forgery against one client instance, then a normal download on it.
 * @param {object} lib the package (`hf-buckets`)
 * @param {{ hub: string, token: string }} hub local-hub
 * @returns {Promise<{ outcomes: Record<string, string>, after: boolean, forged: number }>}
 */
export async function runHostile(lib, hub) {
  let forge = null;
  let forged = 0;
  const lying = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const response = await fetch(input, init);
    if (!forge || !/\/v[12]\/reconstructions\//.test(url) || !response.ok) return response;
    forged++;
    const body = forge(await response.json());
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    headers.delete('content-encoding');
    const text = body === undefined ? '{"terms": [' : JSON.stringify(body);
    return new Response(text, { status: response.status, headers });
  };
  const client = new lib.BucketClient({ endpoint: hub.hub, accessToken: hub.token, fetch: lying, retry: { retries: 1, initialDelayMs: 1, maxDelayMs: 2 } });
  const { bucketId } = await client.createBucket(`hostile-${Math.random().toString(36).slice(2, 8)}`, { existOk: true });
  const bytes = new Uint8Array(300_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  await client.uploadBucketFile(bucketId, { source: bytes, destination: 'f.bin' });

  const outcomes = {};
  for (const [name, edit] of Object.entries(FORGERIES)) {
    forge = edit;
    for (const call of ['getBucketFile', 'range']) {
      const options = call === 'range' ? { path: 'f.bin', range: { start: 1000, end: 2000 } } : { path: 'f.bin' };
      try {
        const got = await client.getBucketFile(bucketId, options);
        const want = call === 'range' ? bytes.subarray(1000, 2000) : bytes;
        const same = got.length === want.length && got.every((b, i) => b === want[i]);
        outcomes[`${name} (${call})`] = same ? 'ok: the right bytes' : `WRONG BYTES (${got.length})`;
      } catch (e) {
        outcomes[`${name} (${call})`] = TYPED.has(e?.name) && typeof e.retryable === 'boolean' ? `typed: ${e.name}` : `UNTYPED: ${e?.name}: ${e?.message}`;
      }
    }
  }
  forge = null;
  const back = await client.getBucketFile(bucketId, { path: 'f.bin' });
  const after = back.length === bytes.length && back.every((b, i) => b === bytes[i]);
  await client.deleteBucket(bucketId);
  return { outcomes, after, forged };
}
