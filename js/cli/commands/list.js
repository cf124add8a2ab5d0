// `hf-buckets list | ls [NAMESPACE | ID[/PREFIX] | hf://buckets/…]` (§7.2): buckets of a
// namespace as a table, or the files of a bucket (flat lines, `--tree`, json, quiet paths).

import { escapeControl, humanSize, listingDate, pythonDate, pythonJson, ymd } from '../format.js';
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
    [{ header: 'ID' }, { header: 'PRIVATE' }, { header: 'SIZE', right: true }, { header: 'TOTAL_FILES', right: true }, { header: 'CREATED_AT' }],
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
  const listing = hub.listBucketTree(bucketId, { ...(prefix ? { prefix } : {}), recursive, signal });
  const size = (/** @type {Entry} */ e) => (e.type === 'file' ? (human ? humanSize(e.size) : String(e.size)) : '');
  const date = (/** @type {Entry} */ e) => listingDate(e.type === 'file' ? (e.mtime ?? e.uploadedAt) : e.uploadedAt, human);
  let folders = false;

  if (values.tree) {
    // A tree needs every entry (sorted per level, column widths); the other forms stream.
    /** @type {Entry[]} */
    const entries = [];
    for await (const e of listing) entries.push(e);
    folders = entries.some((e) => e.type === 'directory');
    const quiet = out.mode === 'quiet';
    const files = entries.filter((e) => e.type === 'file');
    const sizeWidth = files.reduce((w, e) => Math.max(w, size(e).length), 0);
    const dateWidth = files.reduce((w, e) => Math.max(w, date(e).length), 0);
    const lines = renderTree(
      recursive ? files : entries,
      // No size/date columns in quiet mode, nor when no file is shown (only folders).
      (e) => (quiet || !files.length ? '' : e ? `${size(e).padStart(sizeWidth)}  ${date(e).padEnd(dateWidth)}  ` : ' '.repeat(sizeWidth + dateWidth + 4)),
      false, // Node writes UTF-8 everywhere
    );
    if (lines.length === 0) out.line('(empty)');
    for (const l of lines) await out.write(`${escapeControl(l.trimEnd())}\n`);
  } else if (out.mode === 'json') {
    // Indented in json mode too, as the official CLI prints it; written entry by entry.
    let count = 0;
    for await (const e of listing) {
      const row = {
        type: e.type,
        path: e.path,
        ...(e.type === 'file' ? { size: e.size, xet_hash: e.xetHash, mtime: e.mtime && pythonDate(e.mtime, 'T') } : {}),
        uploaded_at: e.uploadedAt && pythonDate(e.uploadedAt, 'T'),
      };
      await out.write(`${count++ ? ',\n' : '[\n'}  ${pythonJson(row, 2, 1)}`);
    }
    out.line(count ? '\n]' : '[]');
    return;
  } else {
    let count = 0;
    for await (const e of listing) {
      count += 1;
      const name = escapeControl(e.type === 'directory' ? `${e.path}/` : e.path);
      folders ||= e.type === 'directory';
      await out.write(out.mode === 'quiet' ? `${name}\n` : `${size(e).padStart(12)}  ${date(e).padStart(19)}  ${name}\n`);
    }
    if (count === 0 && out.mode !== 'quiet') out.line('(empty)');
  }
  if (!recursive && folders) out.hint('Use -R to list files recursively.');
}
