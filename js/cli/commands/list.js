// `hf-buckets list | ls [NAMESPACE | ID[/PREFIX] | hf://buckets/…]` (§7.2): buckets of a
// namespace as a table, or the files of a bucket (flat lines, `--tree`, json, quiet paths).

import { humanSize, listingDate, pythonDate, pythonJson, ymd } from '../format.js';
import { renderTree } from '../table.js';
import { UsageError } from '../errors.js';
import { bucketTarget } from '../targets.js';

/** @typedef {import('../../index.js').BucketTreeEntry} Entry */

/** @type {import('../args.js').Command} */
export default {
  name: 'list',
  aliases: ['ls'],
  summary: 'List buckets or files in a bucket.',
  usage: '[ARGUMENT]',
  positionals: [0, 1],
  options: {
    'human-readable': { type: 'boolean', short: 'h', description: 'Show sizes in human readable format.' },
    tree: { type: 'boolean', description: 'List files in tree format (only for listing files).' },
    recursive: { type: 'boolean', short: 'R', description: 'List files recursively (only for listing files).' },
    search: { type: 'string', description: 'Only buckets whose name contains TEXT (only for listing buckets).' },
  },
  examples: ['hf-buckets ls', 'hf-buckets ls my-org --search ckpt', 'hf-buckets ls user/my-bucket/logs -R -h', 'hf-buckets ls hf://buckets/user/my-bucket --tree'],
  async run(ctx) {
    const arg = ctx.positionals[0];
    const files = arg !== undefined && (arg.includes('/') || /^hf:\/\//i.test(arg));
    if (files) {
      if (ctx.values.search !== undefined) throw new UsageError('--search is only for listing buckets.', 'list');
      return listFiles(ctx, arg);
    }
    if (ctx.values.tree || ctx.values.recursive) throw new UsageError('--tree and --recursive are only for listing files.', 'list');
    return listBuckets(ctx, arg);
  },
};

/**
 * @param {import('../args.js').Context} ctx
 * @param {string | undefined} namespace
 */
async function listBuckets({ values, out, client, signal }, namespace) {
  const human = Boolean(values['human-readable']);
  const search = /** @type {string | undefined} */ (values.search);
  const hub = await client();
  const buckets = [];
  for await (const b of hub.listBuckets({ ...(namespace ? { namespace } : {}), ...(search ? { search } : {}), signal })) buckets.push(b);
  out.table(
    [{ header: 'ID' }, { header: 'PRIVATE' }, { header: 'SIZE', right: !human }, { header: 'TOTAL_FILES', right: true }, { header: 'CREATED_AT' }],
    buckets.map((b) => [b.id, b.private ? '✔' : '', human ? humanSize(b.size) : String(b.size), String(b.totalFiles), ymd(b.createdAt)]),
    buckets.map((b) => ({ id: b.id, private: b.private, size: b.size, total_files: b.totalFiles, created_at: pythonDate(b.createdAt, ' ') })),
  );
}

/**
 * @param {import('../args.js').Context} ctx
 * @param {string} arg
 */
async function listFiles({ values, out, client, signal, about }, arg) {
  const { bucketId, path: prefix } = bucketTarget(arg, 'list', { path: true });
  about.bucketId = bucketId;
  const recursive = Boolean(values.recursive);
  const human = Boolean(values['human-readable']);
  if (values.tree && out.mode === 'json') throw new UsageError('--tree cannot be used with --format json.', 'list');
  const hub = await client();
  /** @type {Entry[]} */
  const entries = [];
  for await (const e of hub.listBucketTree(bucketId, { ...(prefix ? { prefix } : {}), recursive, signal })) entries.push(e);

  if (out.mode === 'json') {
    const rows = entries.map((e) => ({
      type: e.type,
      path: e.path,
      ...(e.type === 'file' ? { size: e.size, xet_hash: e.xetHash, mtime: e.mtime && pythonDate(e.mtime, 'T') } : {}),
      uploaded_at: e.uploadedAt && pythonDate(e.uploadedAt, 'T'),
    }));
    out.line(pythonJson(rows, 2)); // indented in json mode too, as the official CLI prints it
    return;
  }
  const size = (/** @type {Entry} */ e) => (e.type === 'file' ? (human ? humanSize(e.size) : String(e.size)) : '');
  const date = (/** @type {Entry} */ e) => listingDate(e.type === 'file' ? (e.mtime ?? e.uploadedAt) : e.uploadedAt, human);
  if (values.tree) {
    const quiet = out.mode === 'quiet';
    const files = entries.filter((e) => e.type === 'file');
    const sizeWidth = Math.max(0, ...files.map((e) => size(e).length));
    const dateWidth = Math.max(0, ...files.map((e) => date(e).length));
    const lines = renderTree(
      recursive ? files : entries,
      (e) => (quiet ? '' : e ? `${size(e).padStart(sizeWidth)}  ${date(e).padEnd(dateWidth)}  ` : ' '.repeat(sizeWidth + dateWidth + 4)),
      false, // Node writes UTF-8 everywhere
    );
    if (lines.length === 0) out.line('(empty)');
    lines.forEach((l) => out.line(l.trimEnd()));
  } else if (out.mode === 'quiet') {
    entries.forEach((e) => out.line(e.type === 'directory' ? `${e.path}/` : e.path));
  } else if (entries.length === 0) {
    out.line('(empty)');
  } else {
    for (const e of entries) out.line(`${size(e).padStart(12)}  ${date(e).padStart(19)}  ${e.type === 'directory' ? `${e.path}/` : e.path}`);
  }
  if (!recursive && entries.some((e) => e.type === 'directory')) out.hint('Use -R to list files recursively.');
}
