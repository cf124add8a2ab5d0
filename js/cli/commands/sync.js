// `hf-buckets sync [SOURCE] [DEST]` (§1.2, §1.3, §1.9): a local folder ↔ a bucket prefix through
// `planSync` / `applySyncPlan` / `parseSyncPlan` (js/node/sync.js), with the official flags,
// messages and output: `--dry-run` prints the JSONL plan (in every output mode), `--plan FILE`
// saves it, `--apply FILE` runs a saved one. `--checksum` is ours (content, not times).

import { readFile, writeFile } from 'node:fs/promises';
import { CliError } from '../errors.js';
import { escapeControl } from '../format.js';
import { createProgress } from '../progress.js';

/** The Python client's name of each option (its messages name them so). */
const PYTHON_NAMES = {
  ignoreTimes: 'ignore_times',
  ignoreSizes: 'ignore_sizes',
  ignoreExisting: 'ignore_existing',
  filterFrom: 'filter_from',
  dryRun: 'dry_run',
};

/** @type {import('../args.js').Command} */
export default {
  name: 'sync',
  summary: 'Sync files between a local directory and a bucket.',
  usage: '[SOURCE] [DEST]',
  positionals: [0, 2],
  options: {
    delete: { type: 'boolean', description: 'Delete destination files not present in source.' },
    'no-delete': { type: 'boolean', description: 'Keep destination files not present in source (the default).' },
    'ignore-times': { type: 'boolean', description: 'Skip files only based on size, ignoring modification times.' },
    'ignore-sizes': { type: 'boolean', description: 'Skip files only based on modification times, ignoring sizes.' },
    plan: { type: 'string', value: 'FILE', description: 'Save sync plan to JSONL file for review instead of executing.' },
    apply: { type: 'string', value: 'FILE', description: 'Apply a previously saved plan file.' },
    'dry-run': { type: 'boolean', description: 'Print sync plan to stdout as JSONL without executing.' },
    include: { type: 'string', multiple: true, value: 'PATTERN', description: 'Include files matching pattern (repeatable).' },
    exclude: { type: 'string', multiple: true, value: 'PATTERN', description: 'Exclude files matching pattern (repeatable).' },
    'filter-from': { type: 'string', value: 'FILE', description: 'Read include/exclude patterns from file.' },
    existing: { type: 'boolean', description: 'Skip creating new files on receiver (only update existing files).' },
    'ignore-existing': { type: 'boolean', description: 'Skip updating files that exist on receiver (only create new files).' },
    checksum: { type: 'boolean', description: 'Compare same-size files by content (Xet hash), not by time (not in hf).' },
    verbose: { type: 'boolean', short: 'v', description: 'Show detailed logging with reasoning.' },
  },
  examples: [
    'hf-buckets sync ./data hf://buckets/user/my-bucket',
    'hf-buckets sync hf://buckets/user/my-bucket ./data',
    'hf-buckets sync ./data hf://buckets/user/my-bucket --delete',
    'hf-buckets sync hf://buckets/user/my-bucket ./data --include "*.safetensors" --exclude "*.tmp"',
    'hf-buckets sync ./data hf://buckets/user/my-bucket --plan sync-plan.jsonl',
    'hf-buckets sync --apply sync-plan.jsonl',
    'hf-buckets sync ./data hf://buckets/user/my-bucket --dry-run',
  ],
  async run(ctx) {
    const { values, positionals } = ctx;
    const [source, destination] = positionals;
    const options = {
      delete: Boolean(values.delete) && !values['no-delete'],
      ignoreTimes: Boolean(values['ignore-times']),
      ignoreSizes: Boolean(values['ignore-sizes']),
      existing: Boolean(values.existing),
      ignoreExisting: Boolean(values['ignore-existing']),
      include: /** @type {string[] | undefined} */ (values.include) ?? [],
      exclude: /** @type {string[] | undefined} */ (values.exclude) ?? [],
      filterFrom: /** @type {string | undefined} */ (values['filter-from']),
      checksum: Boolean(values.checksum),
      dryRun: Boolean(values['dry-run']),
    };
    const planFile = /** @type {string | undefined} */ (values.plan);
    const applyFile = /** @type {string | undefined} */ (values.apply);
    try {
      if (applyFile !== undefined) {
        // The CLI's own arguments first (the API has no plan file option), then the API's rules.
        if (source !== undefined || destination !== undefined) throw invalidValue('Cannot specify source/dest when using apply.');
        if (planFile !== undefined) throw invalidValue('Cannot specify both plan and apply.');
        return await apply(ctx, applyFile, options);
      }
      if (source === undefined || destination === undefined) throw invalidValue('Both source and dest are required (unless using apply).');
      if (options.dryRun && planFile !== undefined) throw invalidValue('Cannot specify both dry_run and plan.');
      return await sync(ctx, source, destination, options, planFile);
    } catch (error) {
      throw officialWording(error);
    }
  },
};

/** A `ValidationError`-named error: printed as `Error: Invalid value. <message>` (§1.3). */
function invalidValue(/** @type {string} */ message) {
  const e = new Error(message);
  e.name = 'ValidationError';
  return e;
}

/**
 * The API's validation messages in the official CLI's words: the reason alone (not the
 * `invalid <what> "<value>":` the client puts first) and the Python option names.
 * @param {unknown} error
 */
function officialWording(error) {
  const e = /** @type {Error} */ (error);
  if (e?.name !== 'ValidationError' || typeof e.message !== 'string') return error;
  const message = e.message
    .replace(/^invalid [^"]*"(?:[^"\\]|\\.)*": /, '')
    .replace('One of source or destination must', 'One of source or dest must')
    .replace(/\b(ignoreTimes|ignoreSizes|ignoreExisting|filterFrom|dryRun)\b/g, (k) => PYTHON_NAMES[/** @type {keyof typeof PYTHON_NAMES} */ (k)]);
  const out = invalidValue(message);
  out.cause = error;
  return out;
}

/**
 * @param {import('../output.js').Output} out
 * @param {import('../../sync.js').SyncPlan} plan
 */
function printSummary(out, plan) {
  const s = plan.summary;
  out.line(`Sync plan: ${escapeControl(plan.source)} -> ${escapeControl(plan.destination)}`);
  for (const [label, n] of [['Uploads', s.uploads], ['Downloads', s.downloads], ['Deletes', s.deletes], ['Skips', s.skips]]) out.line(`  ${label}: ${n}`);
}

/**
 * Plans, then (unless `--dry-run` or `--plan`) executes.
 * @param {import('../args.js').Context} ctx
 * @param {string} source
 * @param {string} destination
 * @param {Record<string, unknown>} options
 * @param {string | undefined} planFile
 */
async function sync(ctx, source, destination, options, planFile) {
  const { out, hf, client, clientOptions, signal, about } = ctx;
  const bucketSide = [source, destination].find((s) => s.startsWith('hf://buckets/'));
  if (bucketSide) about.bucketId = bucketSide.slice('hf://buckets/'.length).split('/').slice(0, 2).join('/');
  const { planSync } = await hf();
  const { dryRun, ...planOptions } = options;
  const plan = await planSync({ ...planOptions, ...clientOptions(), source, destination, signal });
  if (dryRun) return out.write(plan.toJSONL());
  const quiet = out.mode === 'quiet';
  if (planFile !== undefined) {
    await writeFile(planFile, plan.toJSONL());
    if (!quiet) {
      printSummary(out, plan);
      out.line(`Plan saved to: ${planFile}`);
      out.hint(`Run \`hf-buckets sync --apply ${planFile}\` to execute this plan.`);
    }
    return;
  }
  if (!quiet) printSummary(out, plan);
  const { uploads, downloads, deletes } = plan.summary;
  if (uploads + downloads + deletes === 0) {
    if (!quiet) out.line('Nothing to sync.');
    return;
  }
  if (!quiet) out.line('Syncing...');
  await execute(ctx, plan, await client());
}

/**
 * `--apply FILE`: reads the plan (the official reading rules), runs it.
 * @param {import('../args.js').Context} ctx
 * @param {string} file
 * @param {Record<string, unknown>} options the other flags (none may be set with a plan)
 */
async function apply(ctx, file, options) {
  const { out, hf, client, signal } = ctx;
  const { parseSyncPlan, applySyncPlan } = await hf();
  const text = await readFile(file, 'utf8').catch((/** @type {NodeJS.ErrnoException} */ e) => {
    throw new CliError(`Cannot read plan file ${file}: ${e.code ?? e.message}`);
  });
  const plan = parseSyncPlan(text);
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== false && v !== undefined && !(Array.isArray(v) && v.length === 0)));
  const hub = await client();
  // The API refuses every planning option beside a plan (`Cannot specify X when using apply.`),
  // before any request: a flag given here ends in that error, as in the official CLI.
  if (Object.keys(given).length) await applySyncPlan(plan, { ...given, client: hub, signal });
  if (out.mode !== 'quiet') {
    printSummary(out, plan);
    out.line('Executing plan...');
  }
  await execute(ctx, plan, hub);
}

/**
 * Runs a plan: `-v` lines, one progress bar on a terminal, per-path failures as one error.
 * @param {import('../args.js').Context} ctx
 * @param {import('../../sync.js').SyncPlan} plan
 * @param {import('../../index.js').BucketClient} hub
 */
async function execute({ out, hf, signal, progress, io, values }, plan, hub) {
  const quiet = out.mode === 'quiet';
  if (values.verbose && !quiet) {
    const verb = { upload: 'Uploading', download: 'Downloading', delete: 'Deleting', skip: 'Skipping' };
    for (const op of plan.operations) out.line(`  ${verb[op.action]}: ${escapeControl(op.path)} (${op.reason})`);
  }
  const { applySyncPlan } = await hf();
  const { uploads, downloads, deletes, totalSize } = plan.summary;
  const label = plan.direction === 'upload' ? `Uploading ${uploads} files` : `Downloading ${downloads} files`;
  const bar = createProgress(progress && uploads + downloads > 0, io.stderr, label, totalSize || undefined);
  /** @type {import('../../sync.js').SyncReport} */
  let report;
  try {
    report = await applySyncPlan(plan, {
      client: hub,
      signal,
      onProgress: (e) => bar.update(e.bytesDone, e.bytesTotal || undefined),
    });
  } finally {
    bar.finish();
  }
  if (report.failed.length) {
    const total = uploads + downloads + deletes;
    const shown = report.failed.slice(0, 10).map((f) => `${escapeControl(f.path)}: ${f.error instanceof Error ? f.error.message : f.error}`);
    if (report.failed.length > 10) shown.push(`... and ${report.failed.length - 10} more`);
    throw new CliError(`Failed to apply ${report.failed.length} out of ${total} operation(s): ${shown.join('; ')}`);
  }
  if (!quiet) out.line('Sync completed.');
}
