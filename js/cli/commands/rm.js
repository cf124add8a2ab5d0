// `hf-buckets rm | remove ID/PATH [-R] [--include P] [--exclude P] [--dry-run] [-y]` (§4): one
// file, or with `-R` every file under a folder prefix (never `logs.txt` for `logs`), through
// `deleteBucketFiles`. Asks first unless `--yes` (a `--dry-run` asks nothing).

import { confirm } from '../confirm.js';
import { CliError, UsageError } from '../errors.js';
import { escapeControl, humanSize } from '../format.js';
import { bucketTarget } from '../targets.js';

/** @type {import('../args.js').Command} */
export default {
  name: 'rm',
  aliases: ['remove'],
  summary: 'Remove files from a bucket.',
  usage: 'ARGUMENT',
  positionals: [1, 1],
  options: {
    recursive: { type: 'boolean', short: 'R', description: 'Remove files recursively under the given prefix.' },
    yes: { type: 'boolean', short: 'y', description: 'Skip confirmation prompt.' },
    'dry-run': { type: 'boolean', description: 'Preview what would be deleted without actually deleting.' },
    include: { type: 'string', multiple: true, value: 'PATTERN', description: 'Include only files matching pattern (repeatable). Requires --recursive.' },
    exclude: { type: 'string', multiple: true, value: 'PATTERN', description: 'Exclude files matching pattern (repeatable). Requires --recursive.' },
  },
  examples: [
    'hf-buckets rm user/my-bucket/file.txt',
    'hf-buckets rm hf://buckets/user/my-bucket/file.txt',
    'hf-buckets rm user/my-bucket/logs/ --recursive',
    'hf-buckets rm user/my-bucket --recursive --include "*.tmp"',
    'hf-buckets rm user/my-bucket/data/ --recursive --dry-run',
  ],
  async run(ctx) {
    const { values, positionals } = ctx;
    const { bucketId, path } = bucketTarget(positionals[0], 'rm', { path: true });
    const recursive = Boolean(values.recursive);
    const include = /** @type {string[] | undefined} */ (values.include) ?? [];
    const exclude = /** @type {string[] | undefined} */ (values.exclude) ?? [];
    if (!path && !recursive) {
      throw new UsageError(
        `No file path specified. To remove files, provide a path (e.g. '${bucketId}/FILE') or use --recursive to remove all files. To delete the entire bucket, use \`hf-buckets delete ${bucketId}\`.`,
        'rm',
      );
    }
    if ((include.length || exclude.length) && !recursive) throw new UsageError('--include and --exclude require --recursive.', 'rm');
    ctx.about.bucketId = bucketId;
    if (recursive) return removeTree(ctx, bucketId, path, include, exclude);
    return removeFile(ctx, bucketId, path);
  },
};

/** Text for human mode only, as the official `rm` prints its lists and dry runs. */
const texter = (/** @type {import('../output.js').Output} */ out) => (/** @type {string} */ text) => {
  if (out.mode === 'human') out.line(text);
};

/**
 * `rm -R`: lists, filters, asks, deletes.
 * @param {import('../args.js').Context} ctx
 * @param {string} bucketId
 * @param {string} prefix
 * @param {string[]} include
 * @param {string[]} exclude
 */
async function removeTree({ values, out, client, signal, io }, bucketId, prefix, include, exclude) {
  const hub = await client();
  const text = texter(out);
  const dryRun = Boolean(values['dry-run']);
  const yes = Boolean(values.yes);
  let report = await hub.deleteBucketFiles(bucketId, { prefix, include, exclude, dryRun: dryRun || !yes, signal });
  if (report.deleted.length === 0) return text('No files to remove.');
  const label = (/** @type {number} */ n, /** @type {number} */ bytes) => `${n} file(s) totaling ${humanSize(bytes)}`;
  const planned = label(report.deleted.length, report.totalSize);
  if (dryRun) {
    for (const p of report.deleted) text(`delete: hf://buckets/${bucketId}/${escapeControl(p)}`);
    return text(`(dry run) ${planned} would be removed.`);
  }
  if (!yes) {
    text(report.deleted.map((p) => `  ${escapeControl(p)}`).join('\n'));
    await confirm(`Remove ${planned} from '${bucketId}'?`, { yes, mode: out.mode, stdin: io.stdin, stderr: io.stderr, signal });
    // The files listed and confirmed, no others (a file added since is not deleted).
    report = await hub.deleteBucketFiles(bucketId, { paths: report.deleted, signal });
  }
  failIfIncomplete(report, bucketId);
  out.result(`Removed ${label(report.deleted.length, report.totalSize)} from '${bucketId}'`, {
    bucket_id: bucketId,
    files_deleted: report.deleted.length,
    size: humanSize(report.totalSize),
  });
}

/**
 * `rm ID/PATH`: one file.
 * @param {import('../args.js').Context} ctx
 * @param {string} bucketId
 * @param {string} path
 */
async function removeFile({ values, out, client, signal, io }, bucketId, path) {
  const text = texter(out);
  if (values['dry-run']) {
    text(`delete: hf://buckets/${bucketId}/${escapeControl(path)}`);
    return text('(dry run) 1 file would be removed.');
  }
  await confirm(`Remove '${path}' from '${bucketId}'?`, { yes: Boolean(values.yes), mode: out.mode, stdin: io.stdin, stderr: io.stderr, signal });
  const report = await (await client()).deleteBucketFiles(bucketId, { paths: [path], signal });
  if (report.missing.length) throw new CliError(`File '${path}' not found in bucket '${bucketId}'.`);
  failIfIncomplete(report, bucketId);
  out.result('File removed', { path, bucket_id: bucketId });
}

/**
 * Per-path failures as one error (the official batch error, on one line): what was removed
 * stays removed.
 * @param {import('../../index.js').DeleteBucketFilesReport} report
 * @param {string} bucketId
 */
function failIfIncomplete(report, bucketId) {
  if (report.success) return;
  const total = report.deleted.length + report.failed.length;
  const shown = report.failed.slice(0, 10).map((f) => `${escapeControl(f.path)}: ${f.error}`);
  if (report.failed.length > 10) shown.push(`... and ${report.failed.length - 10} more`);
  throw new CliError(`Failed to apply ${report.failed.length} out of ${total} operation(s) on bucket '${bucketId}': ${shown.join('; ')}`);
}
