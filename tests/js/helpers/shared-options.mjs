// One table of the options that uploadBucketFile and batchBucketFiles share, and the runner that
// puts one row through one call path. Plain JS with no imports: tests/js/shared-options.test.mjs
// runs it in Node and serves it to Chromium pages (a page's client, a client in worker mode), so
// every path reads the same rows.
//
// A row's `options` are given flat, as to uploadBucketFile; the batch path moves the per-file ones
// (source, destination, mtime, contentType) into `add[0]`. `expect` is the outcome every path must
// have; the test also checks that all paths agree on the whole outcome (error messages included,
// with the option's place, `options.` or `add[0].`, written as `<file>.`, and the row's
// destination as `<destination>`).

const MTIME = Date.UTC(2023, 10, 14, 22, 13, 20); // 1700000000000

/** The rows. Built afresh per path: signals and callbacks are per call. */
export function cases() {
  const aborted = new AbortController();
  aborted.abort();
  const invalid = { ok: false, name: 'ValidationError' };
  return [
    { name: 'no options', options: {}, expect: { ok: true, committed: true, contentType: 'application/json' } },
    { name: 'mtime as ms', options: { mtime: MTIME }, expect: { ok: true, mtime: MTIME } },
    { name: 'mtime as Date', options: { mtime: new Date(MTIME) }, expect: { ok: true, mtime: MTIME } },
    { name: 'mtime null', options: { mtime: null }, expect: { ok: true, committed: true } },
    { name: 'mtime fraction', options: { mtime: 1.5 }, expect: invalid },
    { name: 'mtime invalid Date', options: { mtime: new Date(Number.NaN) }, expect: invalid },
    { name: 'mtime negative', options: { mtime: -1 }, expect: invalid },
    { name: 'mtime string', options: { mtime: '2023-11-14' }, expect: invalid },
    { name: 'contentType', options: { contentType: 'text/x-custom' }, expect: { ok: true, contentType: 'text/x-custom' } },
    { name: 'contentType number', options: { contentType: 5 }, expect: invalid },
    { name: 'signal live', options: { signal: new AbortController().signal }, expect: { ok: true, committed: true } },
    { name: 'signal aborted', options: { signal: aborted.signal }, expect: { ok: false, name: 'AbortError' } },
    { name: 'signal not a signal', options: { signal: 'stop' }, expect: invalid },
    { name: 'signal plain object', options: { signal: { aborted: false } }, expect: invalid },
    { name: 'sha256', options: { sha256: true }, expect: { ok: true, sha256: true } },
    { name: 'sha256 string', options: { sha256: 'yes' }, expect: invalid },
    { name: 'xorbConcurrency', options: { xorbConcurrency: 2 }, expect: { ok: true, committed: true } },
    { name: 'xorbConcurrency fraction', options: { xorbConcurrency: 1.5 }, expect: invalid },
    { name: 'xorbConcurrency negative', options: { xorbConcurrency: -1 }, expect: invalid },
    { name: 'commit false', options: { commit: false }, expect: { ok: true, committed: false } },
    { name: 'commit string', options: { commit: 'no' }, expect: invalid },
    { name: 'onProgress', options: { onProgress: () => {} }, expect: { ok: true, progress: true } },
    { name: 'onProgress number', options: { onProgress: 5 }, expect: invalid },
    { name: 'tokenProvider string', options: { tokenProvider: 'token' }, expect: invalid },
    { name: 'destination with ..', options: { destination: 'a/../b.json' }, expect: invalid },
    { name: 'destination number', options: { destination: 7 }, expect: invalid },
    { name: 'source number', options: { source: 42 }, expect: invalid },
    { name: 'source missing', options: { source: undefined }, expect: invalid },
  ];
}

/** The two call shapes over a client (or over the free functions, given as `api`). */
export const CALLS = {
  uploadBucketFile: (api, bucketId, options) => api.uploadBucketFile(bucketId, options),
  batchBucketFiles: (api, bucketId, options) => {
    const { source, destination, mtime, contentType, ...rest } = options;
    return api.batchBucketFiles(bucketId, { ...rest, add: [{ source, destination, mtime, contentType }] });
  },
};

/**
 * Puts row `row` through `call` and describes what happened.
 * @param {object} p
 * @param {(options: object) => Promise<any>} p.call the call path, bucket bound
 * @param {(path: string) => Promise<any[]>} p.info getPathsInfo of the bucket
 * @param {object} p.row a row of `cases()`
 * @param {string} p.destination where the row's file goes, unless the row says
 * @param {object} [p.base] options every call of this path carries (client options, tokenProvider)
 */
export async function runRow({ call, info, row, destination, base = {} }) {
  let events = 0;
  const options = { source: new TextEncoder().encode(`{"row": ${JSON.stringify(row.name)}}\n`.repeat(200)), destination, ...base, ...row.options };
  if (typeof options.onProgress === 'function') {
    const given = options.onProgress;
    options.onProgress = (event) => {
      events++;
      given(event);
    };
  }
  try {
    const report = await call(options);
    const file = report.upload ? report.upload.files[0] : report;
    const [entry] = await info(options.destination);
    const out = { ok: true, committed: Boolean(entry), sha256: typeof file?.sha256 === 'string' };
    if (entry) out.contentType = entry.contentType;
    if (row.options.mtime != null && entry) out.mtime = entry.mtime?.getTime();
    if (row.options.onProgress) out.progress = events > 0;
    return out;
  } catch (error) {
    const out = { ok: false, name: error?.name, code: error?.code };
    if (out.name !== 'AbortError') {
      let message = String(error?.message).replace(/(options|add\[0\])\./g, '<file>.');
      if (typeof options.destination === 'string') message = message.replaceAll(options.destination, '<destination>');
      out.message = message;
    }
    return out;
  }
}
