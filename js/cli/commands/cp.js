// `hf-buckets cp SRC [DST]` (§3), one file per call: local file or `-` (stdin) → bucket,
// bucket file → local path or `-` (stdout), and bucket or repo → bucket through `copyFiles`
// (server-side). An "hf side" is an `hf://` URI; anything else is a local path. With `-R` (ours),
// folders: local → bucket prefix through `syncBucket` (no deletes), bucket prefix → local
// through `downloadBucketFiles`.

import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError, UsageError } from '../errors.js';
import { createProgress } from '../progress.js';
import { bucketTarget } from '../targets.js';

const isHf = (/** @type {string | undefined} */ s) => s !== undefined && /^hf:\/\//i.test(s);
const isBucket = (/** @type {string} */ s) => s.startsWith('hf://buckets/');

/** @type {import('../args.js').Command} */
export default {
  name: 'cp',
  summary: 'Copy a file between a local path (or - for stdin/stdout), repositories and buckets.',
  usage: 'SRC [DST]',
  positionals: [1, 2],
  options: {
    recursive: {
      type: 'boolean',
      short: 'R',
      description: 'Copy a folder: a local folder to a bucket prefix (an upload sync that never deletes) or a bucket prefix to a local folder (not in hf). SRC ending in / copies its contents; without it the folder goes into DST as DST/NAME.',
    },
  },
  examples: [
    'hf-buckets cp ./model.bin hf://buckets/user/my-bucket/ckpt/',
    'hf-buckets cp hf://buckets/user/my-bucket/config.json config.json',
    'cat log.txt | hf-buckets cp - hf://buckets/user/my-bucket/logs/today.txt',
    'hf-buckets cp hf://buckets/user/my-bucket/config.json -',
    'hf-buckets cp hf://datasets/org/corpus/data/train.parquet hf://buckets/user/my-bucket/data/',
  ],
  async run(ctx) {
    const [src, dst] = ctx.positionals;
    if (!isHf(src) && !isHf(dst)) {
      throw new UsageError(
        dst === undefined
          ? 'Missing destination. Provide a bucket hf:// URI as DST.'
          : 'One of SRC or DST must be a bucket (hf://buckets/...) or, for SRC, a repo (hf://username/...) URI.',
        'cp',
      );
    }
    const remote = isHf(dst) ? /** @type {string} */ (dst) : src;
    if (!isBucket(remote)) {
      throw new UsageError('`hf-buckets cp` only works with buckets. Bucket-to-repo copy is not supported.', 'cp');
    }
    if (ctx.values.recursive && !(isHf(src) && isHf(dst))) {
      if (dst === undefined || src === '-' || dst === '-') throw new UsageError('-R copies folders: give a local folder and a bucket folder (no -).', 'cp');
      return isHf(src) ? downloadFolder(ctx, src, dst) : uploadFolder(ctx, src, /** @type {string} */ (dst));
    }
    if (isHf(src) && isHf(dst)) return copyRemote(ctx, src, /** @type {string} */ (dst));
    if (isHf(src)) return download(ctx, src, dst);
    return upload(ctx, src, /** @type {string} */ (dst));
  },
};

/**
 * Local file or stdin → bucket.
 * @param {import('../args.js').Context} ctx
 * @param {string} src
 * @param {string} dst
 */
async function upload({ out, client, signal, progress, about, io }, src, dst) {
  const target = bucketTarget(dst, 'cp', { path: true });
  about.bucketId = target.bucketId;
  /** @type {string} */
  let destination;
  /** @type {number | undefined} */
  let total;
  if (src === '-') {
    if (!target.path || target.trailingSlash) {
      throw new UsageError('Stdin upload requires a full destination path including filename.', 'cp');
    }
    destination = target.path;
  } else {
    const info = await stat(src).catch(() => undefined);
    if (!info) throw new UsageError(`Source file not found: ${src}`, 'cp');
    if (!info.isFile()) {
      throw new UsageError('Source must be a file, not a directory.', 'cp');
    }
    total = info.size;
    const base = path.basename(src);
    destination = !target.path ? base : target.trailingSlash ? `${target.path}/${base}` : target.path;
  }
  const hub = await client();
  const bar = createProgress(progress, io.stderr, `Uploading ${destination}`, total);
  try {
    await hub.uploadBucketFile(target.bucketId, {
      source: src === '-' ? /** @type {any} */ (io.stdin) : src,
      destination,
      signal,
      onProgress: (e) => bar.update(e.bytesHashed, total),
    });
  } finally {
    bar.finish(); // also on failure, so the error starts on a line of its own
  }
  out.result('Uploaded', { src: src === '-' ? 'stdin' : src, dst: `hf://buckets/${target.bucketId}/${destination}` });
}

/**
 * Bucket file → local path or stdout.
 * @param {import('../args.js').Context} ctx
 * @param {string} src
 * @param {string | undefined} dst
 */
async function download({ out, client, hf, signal, progress, about, io }, src, dst) {
  const source = bucketTarget(src, 'cp', { path: true });
  about.bucketId = source.bucketId;
  if (!source.path || source.trailingSlash) {
    throw new UsageError('Source path must include a file name, not just a bucket or directory path.', 'cp');
  }
  const hub = await client();
  if (dst === '-') {
    const stream = await hub.openBucketFile(source.bucketId, { path: source.path, signal });
    // Backpressure: the next piece is read only once stdout took the previous one.
    await pipeline(stream, /** @type {Writable} */ (io.stdout), { end: false, signal });
    return;
  }
  const base = path.basename(source.path);
  const isDir = dst !== undefined && (await stat(dst).then((s) => s.isDirectory(), () => false));
  const to = dst === undefined ? base : isDir || /[\\/]$/.test(dst) ? path.join(dst, base) : dst;
  await mkdir(path.dirname(path.resolve(to)), { recursive: true });
  const bar = createProgress(progress, io.stderr, `Downloading ${source.path}`);
  const { downloadBucketFile } = await hf();
  try {
    await downloadBucketFile(source.bucketId, {
      client: hub,
      path: source.path,
      to,
      signal,
      onProgress: (e) => bar.update(e.bytesVerified, e.totalBytes),
    });
  } finally {
    bar.finish();
  }
  out.result('Downloaded', { src, dst: to });
}

/**
 * Bucket or repo → bucket, on the server (`copyFiles`).
 * @param {import('../args.js').Context} ctx
 * @param {string} src
 * @param {string} dst
 */
async function copyRemote({ out, client, signal, about }, src, dst) {
  // "Bucket '…' not found" only when one bucket is involved; otherwise the Hub's message (with
  // its URL) says which side is missing.
  const from = isBucket(src) ? bucketTarget(src, 'cp', { path: true }).bucketId : undefined;
  if (from && from === bucketTarget(dst, 'cp', { path: true }).bucketId) about.bucketId = from;
  const report = await (await client()).copyFiles({ source: src, destination: dst, signal });
  if (!report.success) {
    const first = [...report.failed, ...report.skipped][0];
    throw new CliError(`Copy incomplete: ${report.succeeded} file(s) copied; ${first ? `${first.path}: ${first.error}` : 'some were not'}.`);
  }
  out.result('Copied', { src, dst });
}

/**
 * The target folder of `cp -R`: SRC ending in `/` copies its contents into DST; without it the
 * folder itself goes into DST (DST/NAME), as `rsync` and the official remote copy's "merge" rule.
 * @param {string} src
 * @param {string} base the folder's name
 * @param {string} into DST's folder (bucket prefix or local path; '' for a bucket root)
 * @param {string} separator
 */
function folderTarget(src, base, into, separator) {
  if (/[\\/]$/.test(src) || !base) return into;
  return into ? `${into.replace(/[\\/]+$/, '')}${separator}${base}` : base;
}

/**
 * `cp -R LOCAL_DIR hf://buckets/ID[/PREFIX]`: an upload sync (new and changed files; nothing deleted).
 * @param {import('../args.js').Context} ctx
 * @param {string} src
 * @param {string} dst
 */
async function uploadFolder({ out, hf, clientOptions, signal, progress, about, io }, src, dst) {
  const target = bucketTarget(dst, 'cp', { path: true });
  about.bucketId = target.bucketId;
  const info = await stat(src).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`Source must be an existing directory with -R: ${src}`, 'cp');
  const prefix = folderTarget(src, path.basename(path.resolve(src)), target.path, '/');
  const destination = `hf://buckets/${target.bucketId}${prefix ? `/${prefix}` : ''}`;
  const { syncBucket } = await hf();
  const bar = createProgress(progress, io.stderr, `Uploading ${src}`);
  const report = /** @type {import('../../sync.js').SyncReport} */ (
    await syncBucket({ ...clientOptions(), source: src, destination, signal, onProgress: (e) => bar.update(e.bytesDone, e.bytesTotal || undefined) }).finally(() => bar.finish())
  );
  failIfAny(report.failed);
  out.result('Uploaded', { src, dst: destination, files: report.uploaded });
}

/**
 * `cp -R hf://buckets/ID/PREFIX LOCAL_DIR`: every file under the prefix, into the folder.
 * @param {import('../args.js').Context} ctx
 * @param {string} src
 * @param {string} dst
 */
async function downloadFolder({ out, hf, client, signal, progress, about, io }, src, dst) {
  const source = bucketTarget(src, 'cp', { path: true });
  about.bucketId = source.bucketId;
  const base = source.path.split('/').pop() ?? '';
  const destination = folderTarget(src, base, dst, path.sep);
  const { downloadBucketFiles } = await hf();
  const bar = createProgress(progress, io.stderr, `Downloading ${src}`);
  const hub = await client();
  const report = await downloadBucketFiles(source.bucketId, {
    client: hub,
    prefix: source.path,
    destination,
    signal,
    onProgress: (e) => bar.update(e.bytesDone, e.bytesTotal || undefined),
  }).finally(() => bar.finish());
  failIfAny(report.failed);
  if (report.downloaded === 0) throw new CliError(`No files found at '${src}' in bucket '${source.bucketId}'.`);
  out.result('Downloaded', { src, dst: destination, files: report.downloaded });
}

/** @param {{ path: string, error: unknown }[]} failed */
function failIfAny(failed) {
  if (!failed.length) return;
  const shown = failed.slice(0, 10).map((f) => `${f.path}: ${f.error instanceof Error ? f.error.message : String(f.error)}`);
  if (failed.length > 10) shown.push(`... and ${failed.length - 10} more`);
  throw new CliError(`${failed.length} file(s) failed: ${shown.join('; ')}`);
}
