// An embeddable upload widget for Storage Buckets, built on the hf-buckets package only.
//
//   mountBucketWidget(element, { endpoint, tokenUrl, worker = true, namespace })
//
// `endpoint`  the Hub API as this widget may reach it (here: the demo server's /hub proxy, which adds
//             the server's credentials; the page never holds an `hf_` token); absolute, or relative
//             to the page (`/hub`)
// `tokenUrl`  the widget server's token endpoint, absolute or relative to the page:
//             GET ?bucket=ns/name&mode=read|write → {accessToken, exp, casUrl}
// `worker`    run uploads and downloads (chunking, hashing, compression, verification) in a module worker
// `parquet`   how to load a parquet reader for previews (default `() => import('hyparquet')`: the
//             page resolves `hyparquet` with its import map or bundler; without it, a parquet
//             preview says that no reader is available)
//
// Previews (text, images, parquet) read a file through `openBucketBlob`: only the bytes shown
// are fetched, each chunk verified, and the preview says how many bytes it read.
//
// "Sync a folder" (browsers with `showDirectoryPicker`): the picked folder is planned against the
// bucket folder, either way (folder → bucket, or bucket → folder once the user allows writing),
// with the package's `planSync` (the official `hf buckets sync` rules), the plan is
// shown (counts and every operation), and "Apply" runs it with the package's `applySyncPlan`
// (the uploads, then the deletes, in batches of ≤ 1,000 lines), with progress and cancel.
//
// Every Hub and CAS call goes through the package; this file is UI only.

import { applySyncPlan, BucketClient, planSync } from 'hf-buckets';

const UPLOAD_CONCURRENCY = 2;
/** Operations a sync plan lists on screen (the counts cover all of them). */
const SYNC_ROWS_SHOWN = 500;
/** A text preview shows at most this many bytes of the file's start. */
const TEXT_PREVIEW_BYTES = 64 * 1024;
/** An image is previewed only up to this size (an image needs all its bytes). */
const IMAGE_PREVIEW_BYTES = 20 * 1024 * 1024;
/** A parquet preview shows this many rows of this many columns. */
const PARQUET_PREVIEW_ROWS = 5;
const PARQUET_PREVIEW_COLUMNS = 6;
const TEXT_EXTENSIONS = new Set(['txt', 'md', 'json', 'jsonl', 'csv', 'tsv', 'log', 'yaml', 'yml', 'toml', 'py',
  'js', 'mjs', 'ts', 'rs', 'sh', 'html', 'css', 'xml', 'ini', 'cfg']);
const IMAGE_TYPES = /** @type {Record<string, string>} */ ({ png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg',
  gif: 'image/gif', webp: 'image/webp', avif: 'image/avif', bmp: 'image/bmp' });

/**
 * What a Preview of `path` shows, by its extension (no preview for other files).
 * @param {string} path
 * @returns {'text' | 'image' | 'parquet' | null}
 */
export function previewKind(path) {
  const name = path.split('/').pop() ?? '';
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  if (TEXT_EXTENSIONS.has(ext)) return 'text';
  if (ext in IMAGE_TYPES) return 'image';
  if (ext === 'parquet') return 'parquet';
  return null;
}

/** @typedef {import('hf-buckets').BucketInfo} BucketInfo */
/** @typedef {import('hf-buckets').BucketTreeEntry} BucketTreeEntry */
/**
 * One file's upload, as its row shows it.
 * @typedef {object} Upload
 * @property {number} id
 * @property {string} bucketId
 * @property {File} file
 * @property {string} path the destination in the bucket
 * @property {number} size
 * @property {number} read bytes read
 * @property {number} deduplicated bytes found already stored
 * @property {number} uploaded new bytes the CAS accepted
 * @property {'queued' | 'running' | 'done' | 'failed' | 'cancelled'} status
 * @property {AbortController} controller
 * @property {number} startedAt `performance.now()` when it started (0: not yet)
 * @property {number} endedAt `performance.now()` when it ended (0: not yet)
 * @property {[number, number][]} samples recent `[time, bytes read]`, for the speed
 * @property {Error | null} error why it failed
 * @property {import('hf-buckets').UploadBucketFileResult} [report] the client's report once done
 */
/** @typedef {{ entries: BucketTreeEntry[], loading: boolean, error?: unknown }} Folder */

/**
 * The parquet functions a preview uses (those of `hyparquet`).
 * @typedef {{
 *   parquetMetadataAsync: (file: import('hf-buckets').AsyncBuffer) => Promise<any>,
 *   parquetSchema: (metadata: any) => { children: { element: { name: string, type?: string } }[] },
 *   parquetReadObjects: (options: { file: import('hf-buckets').AsyncBuffer, metadata: any, columns: string[],
 *     rowStart: number, rowEnd: number }) => Promise<Record<string, unknown>[]>,
 * }} ParquetReader
 */

/** @returns {Promise<ParquetReader>} */
// @ts-ignore: resolved by the page (import map or bundler); the widget works without it
const importHyparquet = () => import('hyparquet');

/**
 * @param {HTMLElement} root
 * @param {{ endpoint: string, tokenUrl: string, worker?: boolean, namespace?: string,
 *   parquet?: () => Promise<ParquetReader> }} options
 */
export function mountBucketWidget(root, { endpoint, tokenUrl, worker = true, namespace, parquet = importHyparquet }) {
  const state = {
    /** @type {string | null} */
    bucketId: null,
    /** @type {BucketInfo[]} */
    buckets: [],
    /** @type {BucketInfo | null} */
    info: null,
    /** prefix ('' = root) → its listing. @type {Map<string, Folder>} */
    folders: new Map(),
    expanded: new Set(['']),
    /** @type {Upload[]} */
    uploads: [],
    nextUploadId: 1,
    /** @type {string | undefined} where chunking runs, once known */
    engine: undefined,
  };

  /**
   * CAS tokens from the widget's own server, per bucket and mode (the pattern a real widget uses).
   * @type {import('hf-buckets').TokenProvider}
   */
  async function tokenProvider(request) {
    const bucketId = request?.bucketId ?? state.bucketId ?? '';
    const mode = request?.scope === 'read' ? 'read' : 'write';
    const url = new URL(tokenUrl, location.href);
    url.searchParams.set('bucket', bucketId);
    url.searchParams.set('mode', mode);
    const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store', signal: request?.signal });
    if (!response.ok) throw new Error(`token endpoint answered HTTP ${response.status}`);
    return response.json();
  }

  // Hub API calls go to `endpoint` without a token (the widget's server adds its own); uploads and
  // downloads get CAS tokens from `tokenProvider`.
  const client = new BucketClient({ endpoint, worker });

  // ---- layout -------------------------------------------------------------------------------------
  root.classList.add('hfb');
  root.replaceChildren(
    h('aside', { class: 'hfb-buckets' },
      h('div', { class: 'hfb-section-title' }, 'Buckets',
        h('button', { class: 'hfb-icon', title: 'Refresh', 'data-action': 'refresh-buckets' }, '↻')),
      h('ul', { class: 'hfb-bucket-list', 'data-role': 'bucket-list' }),
      h('form', { class: 'hfb-create', 'data-role': 'create-form' },
        h('input', { name: 'name', placeholder: 'new-bucket', required: '', pattern: '[A-Za-z0-9][A-Za-z0-9._-]*',
          'aria-label': 'New bucket name', autocomplete: 'off' }),
        h('label', { class: 'hfb-check' }, h('input', { type: 'checkbox', name: 'private' }), 'private'),
        h('button', { type: 'submit' }, 'Create'))),
    h('section', { class: 'hfb-main' },
      h('div', { class: 'hfb-info', 'data-role': 'info' }, 'Pick or create a bucket.'),
      h('div', { class: 'hfb-drop', 'data-role': 'drop', tabindex: '0' },
        h('div', { class: 'hfb-drop-text' },
          h('strong', {}, 'Drop files or folders here'), ' or ',
          h('label', { class: 'hfb-link' }, 'choose files',
            h('input', { type: 'file', multiple: '', hidden: '', 'data-role': 'file-input' }))),
        h('label', { class: 'hfb-drop-target' }, 'into ', h('code', { 'data-role': 'target' }, '—'),
          h('input', { 'data-role': 'folder', placeholder: 'folder (optional)', 'aria-label': 'Upload into folder',
            autocomplete: 'off', spellcheck: 'false' }))),
      h('div', { class: 'hfb-sync-bar', 'data-role': 'sync-bar', hidden: '' },
        h('button', { 'data-action': 'sync-folder' }, 'Sync a folder…'),
        h('span', { class: 'hfb-hint' }, 'Shows the plan first; nothing changes until you apply it.')),
      h('section', { class: 'hfb-sync', 'data-role': 'sync', hidden: '', 'aria-live': 'polite' }),
      h('div', { class: 'hfb-uploads', 'data-role': 'uploads', hidden: '' },
        h('div', { class: 'hfb-upload hfb-total', 'data-role': 'total' }),
        h('ol', { class: 'hfb-upload-list', 'data-role': 'upload-list' })),
      h('div', { class: 'hfb-section-title' }, 'Files',
        h('button', { class: 'hfb-icon', title: 'Refresh', 'data-action': 'refresh-tree' }, '↻')),
      h('div', { class: 'hfb-tree', 'data-role': 'tree' }),
      h('section', { class: 'hfb-preview', 'data-role': 'preview', hidden: '', 'aria-live': 'polite' }),
      h('div', { class: 'hfb-status', 'data-role': 'status', role: 'status' })),
  );
  /**
   * The widget's element with this `data-role` (made above, so it exists).
   * @param {string} role
   */
  const $ = (role) => /** @type {HTMLElement} */ (root.querySelector(`[data-role="${role}"]`));
  /** @param {string} role */
  const input$ = (role) => /** @type {HTMLInputElement} */ ($(role));

  // ---- status line and engine badge ------------------------------------------------------------------
  function status(text, kind = 'info') {
    const el = $('status');
    el.textContent = text;
    el.dataset.kind = kind;
  }
  /** @param {string} what @param {unknown} error */
  function fail(what, error) {
    const e = /** @type {{ name?: string, message?: string } | null | undefined} */ (error);
    const name = e?.name && e.name !== 'Error' ? `${e.name}: ` : '';
    status(`${what}: ${name}${e?.message ?? error}`, 'error');
    console.error(what, error);
  }

  // ---- buckets -------------------------------------------------------------------------------------
  async function loadBuckets() {
    const list = [];
    try {
      for await (const bucket of client.listBuckets(namespace ? { namespace } : {})) list.push(bucket);
    } catch (error) {
      fail('Listing buckets failed', error);
      return;
    }
    list.sort((a, b) => a.id.localeCompare(b.id));
    state.buckets = list;
    renderBuckets();
    if (!state.bucketId && list.length > 0) selectBucket(list[0].id);
  }

  function renderBuckets() {
    const ul = $('bucket-list');
    ul.replaceChildren(...(state.buckets.length === 0
      ? [h('li', { class: 'hfb-empty' }, 'No bucket yet.')]
      : state.buckets.map((b) => h('li', {},
        h('button', {
          class: `hfb-bucket${b.id === state.bucketId ? ' is-selected' : ''}`,
          'data-action': 'select-bucket', 'data-bucket': b.id, title: b.id,
        }, h('span', { class: 'hfb-bucket-name' }, b.id.split('/')[1] ?? b.id),
        b.private ? h('span', { class: 'hfb-badge' }, 'private') : '')))));
  }

  async function selectBucket(bucketId) {
    state.bucketId = bucketId;
    state.folders.clear();
    state.expanded = new Set(['']);
    closePreview();
    renderBuckets();
    $('target').textContent = `${bucketId}/`;
    follow(bucketId);
    await Promise.all([loadInfo(), loadFolder('')]);
  }

  // ---- live updates: the bucket's change feed re-lists the loaded folders a change touches ---------
  /** @type {AbortController | null} */
  let watching = null;
  async function follow(bucketId) {
    watching?.abort();
    const controller = (watching = new AbortController());
    /** Loaded folders to re-list (each an ancestor of a changed path), batched over 150 ms. */
    const stale = new Set();
    let timer;
    try {
      for await (const event of client.watchBucket(bucketId, { signal: controller.signal })) {
        if (event.type === 'ready') continue;
        const parts = event.path.split('/');
        for (let i = 0; i < parts.length; i++) stale.add(parts.slice(0, i).join('/'));
        clearTimeout(timer);
        timer = setTimeout(() => {
          const folders = [...stale].filter((p) => state.folders.has(p));
          stale.clear();
          if (bucketId !== state.bucketId) return;
          Promise.all([...folders.map((p) => loadFolder(p)), loadInfo()]);
        }, 150);
      }
    } catch (error) {
      if (!controller.signal.aborted) fail('Live updates stopped', error);
    } finally {
      clearTimeout(timer);
    }
  }

  async function createBucket(form) {
    const name = form.elements.name.value.trim();
    if (!name) return;
    try {
      const created = await client.createBucket(name, { private: form.elements.private.checked, existOk: true });
      form.reset();
      status(`Created ${created.bucketId}.`);
      await loadBuckets();
      await selectBucket(created.bucketId);
    } catch (error) {
      fail(`Creating ${name} failed`, error);
    }
  }

  async function loadInfo() {
    const bucketId = state.bucketId;
    if (!bucketId) return;
    try {
      const info = await client.bucketInfo(bucketId);
      if (bucketId !== state.bucketId) return;
      state.info = info;
    } catch (error) {
      fail('Bucket info failed', error);
      state.info = null;
    }
    renderInfo();
  }

  function renderInfo() {
    const info = state.info;
    const el = $('info');
    if (!info) {
      el.textContent = state.bucketId ?? 'Pick or create a bucket.';
      return;
    }
    el.replaceChildren(
      h('div', { class: 'hfb-info-id' }, info.id ?? state.bucketId,
        h('span', { class: 'hfb-badge' }, info.private ? 'private' : 'public')),
      h('dl', {},
        h('dt', {}, 'Files'), h('dd', { 'data-role': 'info-files' }, String(info.totalFiles ?? '–')),
        h('dt', {}, 'Size'), h('dd', { 'data-role': 'info-size' }, formatBytes(info.size)),
        h('dt', {}, 'Created'), h('dd', {}, formatDate(info.createdAt))),
      h('button', { class: 'hfb-danger hfb-small', 'data-action': 'delete-bucket' }, 'Delete bucket'),
    );
  }

  async function deleteBucket() {
    const bucketId = state.bucketId;
    if (!bucketId || !confirm(`Delete the bucket ${bucketId} and every file in it? This cannot be undone.`)) return;
    try {
      watching?.abort();
      await client.deleteBucket(bucketId);
      status(`Deleted ${bucketId}.`);
      state.bucketId = null;
      state.info = null;
      state.folders.clear();
      renderInfo();
      renderTree();
      await loadBuckets();
    } catch (error) {
      fail(`Deleting ${bucketId} failed`, error);
    }
  }

  // ---- tree browser (one level per request: recursive: false) --------------------------------------
  async function loadFolder(prefix) {
    const bucketId = state.bucketId;
    if (!bucketId) return;
    state.folders.set(prefix, { entries: state.folders.get(prefix)?.entries ?? [], loading: true });
    renderTree();
    const entries = [];
    try {
      for await (const entry of client.listBucketTree(bucketId, { prefix: prefix || undefined, recursive: false })) {
        entries.push(entry);
      }
      entries.sort((a, b) => (a.type === b.type ? a.path.localeCompare(b.path) : a.type === 'directory' ? -1 : 1));
      if (bucketId !== state.bucketId) return;
      state.folders.set(prefix, { entries, loading: false });
    } catch (error) {
      if (bucketId !== state.bucketId) return;
      state.folders.set(prefix, { entries: [], loading: false, error });
      fail(`Listing ${prefix || 'the bucket'} failed`, error);
    }
    renderTree();
  }

  async function refreshTree() {
    const open = [...state.expanded].filter((p) => p === '' || state.folders.has(p));
    await Promise.all(open.map((p) => loadFolder(p)));
  }

  function toggleFolder(path) {
    if (state.expanded.has(path)) {
      state.expanded.delete(path);
      renderTree();
    } else {
      state.expanded.add(path);
      if (state.folders.has(path)) renderTree();
      else loadFolder(path);
    }
  }

  function renderTree() {
    const tree = $('tree');
    if (!state.bucketId) {
      tree.replaceChildren();
      return;
    }
    const rows = [];
    const walk = (prefix, depth) => {
      const folder = state.folders.get(prefix);
      if (!folder) return;
      if (folder.entries.length === 0 && !folder.loading) {
        rows.push(h('tr', { class: 'hfb-empty' }, h('td', { colspan: '4', style: `--depth:${depth}` },
          folder.error ? 'Could not list this folder.' : prefix ? 'Empty folder.' : 'No files yet: drop some above.')));
      }
      for (const entry of folder.entries) {
        const name = entry.path.slice(prefix ? prefix.length + 1 : 0);
        if (entry.type === 'directory') {
          const open = state.expanded.has(entry.path);
          rows.push(h('tr', { class: 'hfb-dir', 'data-path': entry.path },
            h('td', { class: 'hfb-name', style: `--depth:${depth}` },
              h('button', { class: 'hfb-folder', 'data-action': 'toggle', 'data-path': entry.path, 'aria-expanded': String(open) },
                h('span', { class: 'hfb-caret' }, open ? '▾' : '▸'), `${name}/`)),
            h('td', { class: 'hfb-size' }, '—'),
            h('td', { class: 'hfb-date' }, formatDate(entry.uploadedAt)),
            h('td', { class: 'hfb-actions' },
              h('button', { class: 'hfb-small hfb-danger', 'data-action': 'delete', 'data-path': entry.path, 'data-dir': '' }, 'Delete'))));
          if (open) walk(entry.path, depth + 1);
        } else {
          rows.push(h('tr', { class: 'hfb-file', 'data-path': entry.path },
            h('td', { class: 'hfb-name', style: `--depth:${depth}` }, h('span', { class: 'hfb-file-name', title: entry.xetHash ?? '' }, name)),
            h('td', { class: 'hfb-size', title: `${entry.size} bytes` }, formatBytes(entry.size)),
            h('td', { class: 'hfb-date', title: entry.uploadedAt ?? '' }, formatDate(entry.mtime ?? entry.uploadedAt)),
            h('td', { class: 'hfb-actions' },
              previewKind(entry.path)
                ? h('button', { class: 'hfb-small', 'data-action': 'preview', 'data-path': entry.path }, 'Preview')
                : '',
              h('a', { class: 'hfb-small hfb-button', href: '#', 'data-action': 'download', 'data-path': entry.path, download: name }, 'Download'),
              h('button', { class: 'hfb-small hfb-danger', 'data-action': 'delete', 'data-path': entry.path }, 'Delete'))));
        }
      }
      if (folder.loading) rows.push(h('tr', { class: 'hfb-loading' }, h('td', { colspan: '4', style: `--depth:${depth}` }, 'Loading…')));
    };
    walk('', 0);
    tree.replaceChildren(h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Size'), h('th', {}, 'Modified'), h('th', {}, ''))),
      h('tbody', {}, ...rows)));
  }

  // ---- delete and download -------------------------------------------------------------------------
  async function deletePath(path, isDir) {
    const bucketId = state.bucketId;
    if (!bucketId) return;
    if (!confirm(isDir ? `Delete the folder ${path}/ and everything in it?` : `Delete ${path}?`)) return;
    try {
      let paths = [path];
      if (isDir) {
        paths = [];
        for await (const entry of client.listBucketTree(bucketId, { prefix: path, recursive: true })) {
          if (entry.type === 'file' && entry.path.startsWith(`${path}/`)) paths.push(entry.path);
        }
      }
      await client.batchBucketFiles(bucketId, { delete: paths });
      status(`Deleted ${isDir ? `${paths.length} file(s) under ${path}/` : path}.`);
    } catch (error) {
      fail(`Deleting ${path} failed`, error);
    }
    await Promise.all([refreshTree(), loadInfo()]);
  }

  async function download(path) {
    const bucketId = state.bucketId;
    if (!bucketId) return;
    const name = path.split('/').pop() || 'download';
    const started = performance.now();
    try {
      if (typeof globalThis.showSaveFilePicker === 'function') {
        // Streamed to disk: the bytes never pile up in memory.
        let handle;
        try {
          handle = await globalThis.showSaveFilePicker({ suggestedName: name });
        } catch (error) {
          if (error instanceof Error && error.name === 'AbortError') return; // the user closed the dialog
          throw error;
        }
        status(`Downloading ${path}…`);
        const stream = await client.openBucketFile(bucketId, { path, tokenProvider });
        await stream.pipeTo(await handle.createWritable());
      } else {
        // No file system access: collect the verified stream into a Blob and hand it to the browser.
        status(`Downloading ${path}…`);
        const stream = await client.openBucketFile(bucketId, { path, tokenProvider });
        const blob = await new Response(stream).blob();
        const url = URL.createObjectURL(blob);
        const a = h('a', { href: url, download: name, hidden: '' });
        root.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      }
      status(`Downloaded ${path} (verified, ${((performance.now() - started) / 1000).toFixed(1)} s).`);
    } catch (error) {
      fail(`Downloading ${path} failed`, error);
    }
  }

  // ---- previews: a lazy, verified Blob of the file; only the bytes shown are fetched ---------------
  /** @type {AbortController | null} */
  let previewing = null;
  async function preview(path) {
    const bucketId = state.bucketId;
    const kind = previewKind(path);
    if (!bucketId || !kind) return;
    previewing?.abort();
    const controller = (previewing = new AbortController());
    const { signal } = controller;
    const panel = $('preview');
    const title = h('div', { class: 'hfb-section-title' }, h('span', {}, 'Preview ', h('code', {}, path)),
      h('button', { class: 'hfb-icon', title: 'Close preview', 'data-action': 'close-preview' }, '×'));
    const note = h('div', { class: 'hfb-preview-note', 'data-role': 'preview-note' }, 'Reading…');
    panel.replaceChildren(title, note);
    panel.hidden = false;
    /** @type {import('hf-buckets').BucketBlob | undefined} */
    let blob;
    try {
      const ext = path.split('.').pop()?.toLowerCase() ?? '';
      blob = await client.openBucketBlob(bucketId, path, { tokenProvider, type: IMAGE_TYPES[ext] ?? '' });
      /** @type {Node} */
      let body;
      let shown = '';
      if (kind === 'text') {
        const n = Math.min(blob.size, TEXT_PREVIEW_BYTES);
        const text = await blob.slice(0, n).text({ signal });
        body = h('pre', { class: 'hfb-preview-text' }, text);
        shown = n < blob.size ? `the first ${formatBytes(n)}` : 'all of it';
      } else if (kind === 'image') {
        if (blob.size > IMAGE_PREVIEW_BYTES) {
          throw new Error(`the image is larger than ${formatBytes(IMAGE_PREVIEW_BYTES)}: download it instead`);
        }
        const bytes = await blob.arrayBuffer({ signal });
        const url = URL.createObjectURL(new Blob([bytes], { type: blob.type }));
        body = h('img', { class: 'hfb-preview-image', src: url, alt: path });
        signal.addEventListener('abort', () => URL.revokeObjectURL(url), { once: true });
        shown = 'all of it';
      } else {
        let reader;
        try {
          reader = await parquet();
        } catch {
          throw new Error('no parquet reader: the page does not provide `hyparquet`');
        }
        const file = blob.asyncBuffer({ signal });
        const metadata = await reader.parquetMetadataAsync(file);
        const columns = reader.parquetSchema(metadata).children.map((c) => c.element.name);
        const picked = columns.slice(0, PARQUET_PREVIEW_COLUMNS);
        const rowCount = Number(metadata.num_rows);
        const rows = await reader.parquetReadObjects({
          file, metadata, columns: picked, rowStart: 0, rowEnd: Math.min(PARQUET_PREVIEW_ROWS, rowCount),
        });
        body = h('div', { class: 'hfb-preview-table' },
          h('p', {}, `${rowCount.toLocaleString()} rows × ${columns.length} columns` +
            (columns.length > picked.length ? ` (the first ${picked.length} shown)` : '')),
          h('table', {},
            h('thead', {}, h('tr', {}, ...picked.map((c) => h('th', {}, c)))),
            h('tbody', {}, ...rows.map((row) => h('tr', {}, ...picked.map((c) => h('td', {}, cell(row[c]))))))));
        shown = `the metadata and ${rows.length} row(s)`;
      }
      if (signal.aborted) return;
      const { bytesFetched } = blob.stats();
      note.textContent = `${formatBytes(blob.size)} file, showing ${shown}: fetched ${formatBytes(bytesFetched)} ` +
        '(chunks and xorb footers), every chunk verified.';
      note.dataset.bytesFetched = String(bytesFetched);
      panel.append(body);
    } catch (error) {
      if (signal.aborted) return;
      const e = /** @type {{ name?: string, message?: string }} */ (error);
      note.textContent = `Cannot preview ${path}: ${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? error}`;
      note.dataset.kind = 'error';
    } finally {
      blob?.close();
    }
  }

  function closePreview() {
    previewing?.abort();
    previewing = null;
    $('preview').hidden = true;
    $('preview').replaceChildren();
  }

  // ---- uploads -------------------------------------------------------------------------------------
  /**
   * The folder typed next to the drop zone ('' = the bucket root), without surrounding spaces and
   * slashes. Nothing else is rewritten: a path the client refuses (`a/../b`, `a//b`) makes the
   * upload fail with the client's ValidationError, shown on the upload's row and the status line.
   */
  function currentFolder() {
    return input$('folder').value.trim().replace(/^\/+|\/+$/g, '');
  }

  function enqueue(files) {
    if (!state.bucketId) {
      status('Create or pick a bucket first.', 'error');
      return;
    }
    const prefix = currentFolder();
    for (const { file, path } of files) {
      /** @type {Upload} */
      const upload = {
        id: state.nextUploadId++,
        bucketId: state.bucketId,
        file,
        path: prefix ? `${prefix}/${path}` : path,
        size: file.size,
        read: 0, deduplicated: 0, uploaded: 0,
        status: 'queued',
        controller: new AbortController(),
        startedAt: 0, endedAt: 0,
        samples: [],
        error: null,
      };
      state.uploads.push(upload);
    }
    $('uploads').hidden = false;
    renderUploads();
    pump();
  }

  function pump() {
    const running = state.uploads.filter((u) => u.status === 'running').length;
    const next = state.uploads.filter((u) => u.status === 'queued').slice(0, UPLOAD_CONCURRENCY - running);
    for (const upload of next) run(upload);
  }

  async function run(upload) {
    upload.status = 'running';
    upload.startedAt = performance.now();
    scheduleRender();
    try {
      const report = await client.uploadBucketFile(upload.bucketId, {
        source: upload.file,
        destination: upload.path,
        mtime: upload.file.lastModified || undefined,
        signal: upload.controller.signal,
        onProgress: (event) => onProgress(upload, event),
        tokenProvider,
      });
      // The final counts come from the upload's report: bytes found stored vs new bytes sent.
      upload.status = 'done';
      upload.report = report;
      upload.read = report.size;
      upload.deduplicated = report.dedupBytes;
      upload.uploaded = report.newBytes;
      status(`Uploaded ${upload.path}.`);
    } catch (error) {
      if ((error instanceof Error && error.name === 'AbortError') || upload.controller.signal.aborted) {
        upload.status = 'cancelled';
      } else {
        upload.status = 'failed';
        upload.error = error instanceof Error ? error : new Error(String(error));
        fail(`Uploading ${upload.path} failed`, error);
      }
    }
    upload.endedAt = performance.now();
    scheduleRender();
    pump();
    if (upload.status === 'done' && upload.bucketId === state.bucketId) {
      const parent = upload.path.includes('/') ? upload.path.slice(0, upload.path.lastIndexOf('/')) : '';
      await Promise.all([loadFolder(state.folders.has(parent) ? parent : ''), loadInfo()]);
    }
  }

  function onProgress(upload, event) {
    const p = readProgress(event);
    upload.read = Math.max(upload.read, p.read);
    upload.deduplicated = Math.max(upload.deduplicated, p.deduplicated);
    upload.uploaded = Math.max(upload.uploaded, p.uploaded);
    const now = performance.now();
    upload.samples.push([now, upload.read]);
    while (upload.samples.length > 2 && now - upload.samples[0][0] > 2000) upload.samples.shift();
    scheduleRender();
  }

  function cancel(id) {
    for (const upload of state.uploads) {
      if ((id === undefined || upload.id === id) && (upload.status === 'running' || upload.status === 'queued')) {
        upload.controller.abort();
        if (upload.status === 'queued') upload.status = 'cancelled';
      }
    }
    scheduleRender();
  }

  function clearFinished() {
    state.uploads = state.uploads.filter((u) => u.status === 'running' || u.status === 'queued');
    $('uploads').hidden = state.uploads.length === 0;
    renderUploads();
  }

  let renderQueued = false;
  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      renderUploads();
    });
  }

  function speedOf(upload) {
    if (upload.status !== 'running' || upload.samples.length < 2) {
      if (upload.status === 'done' && upload.endedAt > upload.startedAt) {
        return upload.size / ((upload.endedAt - upload.startedAt) / 1000);
      }
      return 0;
    }
    const [t0, b0] = upload.samples[0];
    const [t1, b1] = upload.samples[upload.samples.length - 1];
    return t1 > t0 ? (b1 - b0) / ((t1 - t0) / 1000) : 0;
  }

  function bars(size, read, deduplicated, uploaded) {
    const pct = (n) => (size > 0 ? Math.min(100, (n / size) * 100) : 100).toFixed(2);
    return h('div', { class: 'hfb-bars', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': String(size),
      'aria-valuenow': String(read) },
    h('div', { class: 'hfb-bar hfb-bar-read', style: `width:${pct(read)}%` }),
    h('div', { class: 'hfb-bar hfb-bar-dedup', style: `width:${pct(deduplicated)}%` }),
    h('div', { class: 'hfb-bar hfb-bar-uploaded', style: `left:${pct(deduplicated)}%;width:${pct(uploaded)}%` }));
  }

  function figures(read, deduplicated, uploaded, size, speed) {
    return h('div', { class: 'hfb-figures' },
      h('span', { class: 'hfb-key-read', 'data-role': 'read', 'data-bytes': String(read) }, `read ${formatBytes(read)} / ${formatBytes(size)}`),
      h('span', { class: 'hfb-key-dedup', 'data-role': 'dedup', 'data-bytes': String(deduplicated) }, `deduplicated ${formatBytes(deduplicated)}`),
      h('span', { class: 'hfb-key-uploaded', 'data-role': 'uploaded', 'data-bytes': String(uploaded) }, `uploaded ${formatBytes(uploaded)}`),
      h('span', { class: 'hfb-speed' }, speed > 0 ? `${formatBytes(speed)}/s` : ''));
  }

  function renderUploads() {
    const list = $('upload-list');
    list.replaceChildren(...state.uploads.map((u) => h('li', {
      class: `hfb-upload is-${u.status}`, 'data-upload': String(u.id), 'data-path': u.path, 'data-status': u.status,
    },
    h('div', { class: 'hfb-upload-head' },
      h('span', { class: 'hfb-upload-name', title: u.path }, u.path),
      h('span', { class: 'hfb-upload-status', title: u.status === 'failed' ? u.error?.message : undefined },
        u.status === 'failed' ? `failed: ${u.error?.name ?? 'Error'}` : u.status),
      u.status === 'running' || u.status === 'queued'
        ? h('button', { class: 'hfb-small', 'data-action': 'cancel', 'data-upload': String(u.id) }, 'Cancel')
        : ''),
    bars(u.size, u.read, u.deduplicated, u.uploaded),
    figures(u.read, u.deduplicated, u.uploaded, u.size, speedOf(u)))));

    const active = state.uploads.filter((u) => u.status !== 'cancelled' && u.status !== 'failed');
    const sum = (k) => active.reduce((n, u) => n + u[k], 0);
    const running = state.uploads.filter((u) => u.status === 'running' || u.status === 'queued').length;
    const speed = state.uploads.filter((u) => u.status === 'running').reduce((n, u) => n + speedOf(u), 0);
    const done = state.uploads.filter((u) => u.status === 'done').length;
    $('total').replaceChildren(
      h('div', { class: 'hfb-upload-head' },
        h('span', { class: 'hfb-upload-name' }, `Total · ${done} of ${state.uploads.length} done`),
        h('span', { class: 'hfb-upload-status', 'data-role': 'engine' }, state.engine ?? ''),
        running > 0
          ? h('button', { class: 'hfb-small hfb-danger', 'data-action': 'cancel-all' }, 'Cancel all')
          : h('button', { class: 'hfb-small', 'data-action': 'clear' }, 'Clear')),
      bars(sum('size'), sum('read'), sum('deduplicated'), sum('uploaded')),
      figures(sum('read'), sum('deduplicated'), sum('uploaded'), sum('size'), speed));
  }

  // ---- sync a folder: plan, show, apply -------------------------------------------------------------
  /**
   * @typedef {object} FolderSync
   * @property {any} handle the picked folder (a FileSystemDirectoryHandle)
   * @property {string} bucketId
   * @property {string} prefix the bucket folder ('' = the root)
   * @property {'upload' | 'download'} direction folder → bucket, or bucket → folder
   * @property {boolean} deleteExtra also delete the receiver's files the sender does not have
   * @property {'planning' | 'planned' | 'applying' | 'done' | 'failed' | 'cancelled'} phase
   * @property {import('hf-buckets').SyncPlan | null} plan
   * @property {AbortController} controller
   * @property {number} read bytes read (upload) or written (download) while applying
   * @property {number} deduplicated
   * @property {number} uploaded bytes sent (upload)
   * @property {string} message what happened (done, failed, cancelled)
   */
  /** @type {FolderSync | null} */
  let sync = null;

  async function pickFolder() {
    if (!state.bucketId) {
      status('Create or pick a bucket first.', 'error');
      return;
    }
    let handle;
    try {
      handle = await /** @type {any} */ (globalThis).showDirectoryPicker({ id: 'hf-buckets-sync', mode: 'read' });
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') return; // the user closed the dialog
      fail('Picking a folder failed', error);
      return;
    }
    sync?.controller.abort();
    sync = {
      handle, bucketId: state.bucketId, prefix: currentFolder(), direction: 'upload', deleteExtra: false,
      phase: 'planning', plan: null, controller: new AbortController(),
      read: 0, deduplicated: 0, uploaded: 0, message: '',
    };
    await planFolder();
  }

  async function planFolder() {
    const s = sync;
    if (!s) return;
    s.controller.abort();
    s.controller = new AbortController();
    s.phase = 'planning';
    s.plan = null;
    s.message = '';
    renderSync();
    try {
      const bucket = `hf://buckets/${s.bucketId}${s.prefix ? `/${s.prefix}` : ''}`;
      // Writing into the folder needs the user's permission (a handle picked for reading has none).
      if (s.direction === 'download' && typeof s.handle.requestPermission === 'function' &&
          (await s.handle.requestPermission({ mode: 'readwrite' })) !== 'granted') {
        throw new Error('writing into the folder was not allowed');
      }
      const upload = s.direction === 'upload';
      const plan = await planSync({
        endpoint,
        source: upload ? s.handle : bucket,
        destination: upload ? bucket : s.handle,
        delete: s.deleteExtra,
        signal: s.controller.signal,
      });
      if (sync !== s || s.controller.signal.aborted) return;
      s.plan = plan;
      s.phase = 'planned';
    } catch (error) {
      if (sync !== s || s.controller.signal.aborted) return;
      s.phase = 'failed';
      s.message = errorText(error);
      fail('Planning the sync failed', error);
    }
    renderSync();
  }

  /** Runs the shown plan with `applySyncPlan`: the uploads (read from the folder now), then the deletes. */
  async function applySync() {
    const s = sync;
    if (!s?.plan || s.phase !== 'planned') return;
    const { plan } = s;
    s.phase = 'applying';
    s.controller = new AbortController();
    renderSync();
    try {
      const report = await applySyncPlan(plan, {
        localFolder: s.handle,
        client,
        tokenProvider,
        signal: s.controller.signal,
        onProgress: (event) => {
          s.read = event.bytesDone;
          s.deduplicated = event.bytesDeduplicated;
          s.uploaded = event.bytesSent;
          scheduleSyncRender();
        },
      });
      s.read = plan.direction === 'upload' ? report.bytesRead : report.bytesWritten;
      s.deduplicated = report.bytesDeduplicated;
      s.uploaded = report.bytesSent;
      const bad = report.failed;
      s.phase = bad.length ? 'failed' : 'done';
      s.message = bad.length
        ? `${bad.length} operation(s) failed: ${bad.slice(0, 3).map((f) => `${f.action} ${f.path}: ${errorText(f.error)}`).join('; ')}`
        : plan.direction === 'upload'
          ? `Synced ${plan.localPath}: ${report.uploaded} uploaded, ${report.deleted} deleted, ${report.skipped} unchanged.`
          : `Synced ${plan.localPath}: ${report.downloaded} downloaded, ${report.deleted} deleted, ${report.skipped} unchanged.`;
      if (s.phase === 'done') status(s.message);
      else fail('Sync incomplete', new Error(s.message));
    } catch (error) {
      if (s.controller.signal.aborted || (error instanceof Error && error.name === 'AbortError')) {
        s.phase = 'cancelled';
        s.message = 'Cancelled: batches already committed stay; the rest was not sent.';
        status(s.message);
      } else {
        s.phase = 'failed';
        s.message = errorText(error);
        fail('Sync failed', error);
      }
    }
    renderSync();
    if (s.bucketId === state.bucketId) await Promise.all([refreshTree(), loadInfo()]);
  }

  function closeSync() {
    sync?.controller.abort();
    sync = null;
    renderSync();
  }

  let syncRenderQueued = false;
  function scheduleSyncRender() {
    if (syncRenderQueued) return;
    syncRenderQueued = true;
    requestAnimationFrame(() => {
      syncRenderQueued = false;
      renderSync();
    });
  }

  function renderSync() {
    const panel = $('sync');
    const s = sync;
    panel.hidden = !s;
    if (!s) {
      panel.replaceChildren();
      return;
    }
    panel.dataset.phase = s.phase;
    const bucket = `hf://buckets/${s.bucketId}${s.prefix ? `/${s.prefix}` : ''}`;
    const folder = `${s.handle.name || '.'}/`;
    const upload = s.direction === 'upload';
    const busy = s.phase === 'applying' || s.phase === 'planning';
    const head = h('div', { class: 'hfb-sync-head' },
      h('strong', {}, 'Sync '), h('code', { 'data-role': 'sync-source' }, upload ? folder : bucket),
      ' → ', h('code', { 'data-role': 'sync-target' }, upload ? bucket : folder),
      h('select', { 'data-role': 'sync-direction', 'aria-label': 'Direction', disabled: busy },
        h('option', { value: 'upload', selected: upload }, 'folder → bucket'),
        h('option', { value: 'download', selected: !upload }, 'bucket → folder')),
      h('label', { class: 'hfb-check' },
        h('input', { type: 'checkbox', 'data-role': 'sync-delete', checked: s.deleteExtra, disabled: busy }),
        upload ? 'also delete bucket files the folder does not have' : 'also delete folder files the bucket does not have'));
    const children = [head];
    const plan = s.plan;
    if (s.phase === 'planning') children.push(h('p', { class: 'hfb-note' }, 'Planning: reading the folder and listing the bucket…'));
    if (plan) {
      const { uploads, downloads, deletes, skips, totalSize } = plan.summary;
      const sends = plan.direction === 'upload' ? `${uploads} to upload` : `${downloads} to download`;
      children.push(h('p', {
        class: 'hfb-sync-summary', 'data-role': 'sync-summary',
        'data-uploads': String(uploads), 'data-downloads': String(downloads), 'data-deletes': String(deletes),
        'data-skips': String(skips),
      }, `${sends} (${formatBytes(totalSize)}), ${deletes} to delete, ${skips} unchanged.`));
      const shown = plan.operations.slice(0, SYNC_ROWS_SHOWN);
      children.push(h('div', { class: 'hfb-sync-ops' }, h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Action'), h('th', {}, 'Path'), h('th', {}, 'Why'), h('th', {}, 'Size'))),
        h('tbody', { 'data-role': 'sync-ops' }, ...shown.map((op) => h('tr', {
          class: `hfb-op is-${op.action}`, 'data-action-kind': op.action, 'data-path': op.path,
        }, h('td', {}, op.action), h('td', { class: 'hfb-op-path' }, op.path), h('td', {}, op.reason),
        h('td', { class: 'hfb-size' }, formatBytes(op.size))))))));
      if (plan.operations.length > shown.length) {
        children.push(h('p', { class: 'hfb-note' }, `… and ${plan.operations.length - shown.length} more operation(s).`));
      }
      if ((s.phase === 'applying' || s.phase === 'done') && plan.direction === 'upload') {
        children.push(bars(totalSize, Math.min(s.read, totalSize), s.deduplicated, s.uploaded),
          figures(s.read, s.deduplicated, s.uploaded, totalSize, 0));
      } else if (s.phase === 'applying' || s.phase === 'done') {
        children.push(bars(totalSize, Math.min(s.read, totalSize), 0, 0),
          h('div', { class: 'hfb-figures' }, h('span', { class: 'hfb-key-read', 'data-role': 'written', 'data-bytes': String(s.read) },
            `written ${formatBytes(s.read)} / ${formatBytes(totalSize)} (verified)`)));
      }
    }
    if (s.message) {
      children.push(h('p', { class: 'hfb-note', 'data-role': 'sync-message',
        'data-kind': s.phase === 'failed' ? 'error' : 'info' }, s.message));
    }
    const nothing = plan && plan.summary.uploads + plan.summary.downloads + plan.summary.deletes === 0;
    children.push(h('div', { class: 'hfb-sync-actions' },
      s.phase === 'planned'
        ? h('button', { 'data-action': 'sync-apply', disabled: nothing }, nothing ? 'Nothing to sync' : 'Apply')
        : '',
      s.phase === 'applying' || s.phase === 'planning'
        ? h('button', { class: 'hfb-danger', 'data-action': 'sync-cancel' }, 'Cancel')
        : '',
      s.phase === 'done' || s.phase === 'failed' || s.phase === 'cancelled'
        ? h('button', { 'data-action': 'sync-replan' }, 'Plan again')
        : '',
      s.phase !== 'applying' ? h('button', { 'data-action': 'sync-close' }, 'Close') : ''));
    panel.replaceChildren(...children);
  }

  $('sync').addEventListener('change', (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    if (!sync) return;
    if (target.dataset.role === 'sync-delete') sync.deleteExtra = target.checked;
    else if (target.dataset.role === 'sync-direction') sync.direction = target.value === 'download' ? 'download' : 'upload';
    else return;
    planFolder();
  });
  $('sync-bar').hidden = typeof (/** @type {any} */ (globalThis).showDirectoryPicker) !== 'function';

  // ---- drag and drop, file picker ------------------------------------------------------------------
  const drop = $('drop');
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('is-over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('is-over'));
  drop.addEventListener('drop', async (event) => {
    event.preventDefault();
    drop.classList.remove('is-over');
    enqueue(await droppedFiles(event.dataTransfer));
  });
  const fileInput = input$('file-input');
  fileInput.addEventListener('change', () => {
    enqueue([...(fileInput.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name })));
    fileInput.value = '';
  });

  // ---- clicks ----------------------------------------------------------------------------------------
  root.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest('[data-action]') : null;
    if (!(target instanceof HTMLElement) || !root.contains(target)) return;
    const { action, path, bucket, upload } = target.dataset;
    if (target.tagName === 'A') event.preventDefault();
    switch (action) {
      case 'refresh-buckets': loadBuckets(); break;
      case 'select-bucket': selectBucket(bucket); break;
      case 'refresh-tree': refreshTree(); loadInfo(); break;
      case 'toggle': toggleFolder(path); break;
      case 'download': download(path); break;
      case 'preview': preview(path); break;
      case 'close-preview': closePreview(); break;
      case 'delete': deletePath(path, 'dir' in target.dataset); break;
      case 'delete-bucket': deleteBucket(); break;
      case 'cancel': cancel(Number(upload)); break;
      case 'cancel-all': cancel(); break;
      case 'clear': clearFinished(); break;
      case 'sync-folder': pickFolder(); break;
      case 'sync-apply': applySync(); break;
      case 'sync-cancel': sync?.controller.abort(); if (sync?.phase === 'planning') closeSync(); break;
      case 'sync-replan': planFolder(); break;
      case 'sync-close': closeSync(); break;
      default:
    }
  });
  $('create-form').addEventListener('submit', (event) => {
    event.preventDefault();
    createBucket(event.target);
  });

  renderTree();
  loadBuckets();
  client.usesWorker?.().then((inWorker) => {
    state.engine = inWorker ? 'chunking in a Web Worker' : 'chunking on the main thread';
    root.dataset.engine = inWorker ? 'worker' : 'main-thread';
    scheduleRender();
  });

  return {
    client,
    state,
    refresh: () => Promise.all([loadBuckets(), refreshTree(), loadInfo()]),
    selectBucket,
    enqueue,
    cancel,
    /** The folder sync being shown (its phase, plan and counts), or null. */
    sync: () => sync,
    /** Resolves when no upload is queued or running, with the list already showing that. */
    idle: () => /** @type {Promise<void>} */ (new Promise((resolve) => {
      const check = () => {
        if (state.uploads.some((u) => u.status === 'running' || u.status === 'queued')) {
          setTimeout(check, 50);
          return;
        }
        renderUploads(); // the render scheduled for the last change may still be a frame away
        resolve();
      };
      check();
    })),
  };
}

// ---- helpers -----------------------------------------------------------------------------------------

/**
 * Byte counts of an upload progress event. Each file is its own upload call (so each can be
 * cancelled alone), so the event's totals are the file's: bytes read, found already stored
 * (deduplicated), and new bytes the CAS has accepted (uploaded).
 */
function readProgress(event) {
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    read: num(event?.bytesRead),
    deduplicated: num(event?.bytesDeduplicated),
    uploaded: num(event?.bytesUploaded),
  };
}

/** An error as one line: `Name: message`. @param {unknown} error */
function errorText(error) {
  const e = /** @type {{ name?: string, message?: string } | null | undefined} */ (error);
  return `${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? error}`;
}

/** Files from a drop, walking dropped folders (their files keep their relative paths). */
async function droppedFiles(dataTransfer) {
  const entries = [...(dataTransfer?.items ?? [])]
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.())
    .filter(Boolean);
  if (entries.length === 0) return [...(dataTransfer?.files ?? [])].map((file) => ({ file, path: file.name }));
  const out = [];
  const walk = async (entry, base) => {
    if (entry.isFile) {
      const file = await new Promise((ok, fail) => entry.file(ok, fail));
      out.push({ file, path: base + file.name });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${base}${entry.name}/`);
      }
    }
  };
  for (const entry of entries) await walk(entry, '');
  return out;
}

/** Builds an element: h('div', {class: 'x'}, 'text', child…). */
function h(tag, attributes = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === '' || child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** One parquet value as table text (bigints, dates, nested values). @param {unknown} value */
function cell(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return String(value);
}

function formatBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

function formatDate(value) {
  if (!value) return '–';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '–';
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
