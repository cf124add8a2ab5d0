// The bucket-client scenarios, run against local-hub both in Node (client.test.mjs) and in
// headless Chromium (client-browser.test.mjs), each through the `BucketClient` class and through
// the free functions. Platform-neutral on purpose: no Node imports; the runner passes in
//   ctx = { lib, mode: 'client'|'free', hub: {hub, token, user, readerToken, otherToken, deadEndpoint},
//           admin(method, route, body), livePagers(), uniq(prefix) }
// `lib` is the package's main entry (Node or browser build).

export const EMPTY = '0'.repeat(64);
const UNKNOWN_HASH = 'ab'.repeat(32);

// ------------------------------------------------------------------ tiny portable asserts

function fail(msg) {
  throw new Error(msg);
}
function ok(cond, msg) {
  if (!cond) fail(msg);
}
function eq(actual, expected, msg) {
  if (actual !== expected) fail(`${msg}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}
function deq(actual, expected, msg) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) fail(`${msg}:\n  expected ${b}\n  got      ${a}`);
}
async function rejects(promiseOrFn, name, msg) {
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    if (e?.name !== name) fail(`${msg}: expected ${name}, got ${e?.name}: ${e?.message}`);
    return e;
  }
  return fail(`${msg}: expected ${name}, but it resolved`);
}

// ------------------------------------------------------------------ the API under test

/** A `fetch` that records every request (method + URL) before forwarding it. */
export function countingFetch() {
  const calls = [];
  const f = (url, init) => {
    calls.push({ method: init?.method ?? 'GET', url: String(url) });
    return globalThis.fetch(url, init);
  };
  f.calls = calls;
  f.count = (pred = () => true) => calls.filter(pred).length;
  return f;
}

/**
 * The operations with one signature for both modes: `client` binds a `BucketClient`, `free`
 * merges the client options into each free function's options.
 */
export function makeApi(lib, mode, clientOptions) {
  if (mode === 'client') {
    const c = new lib.BucketClient(clientOptions);
    return {
      createBucket: (n, o) => c.createBucket(n, o),
      deleteBucket: (id, o) => c.deleteBucket(id, o),
      bucketInfo: (id, o) => c.bucketInfo(id, o),
      listBuckets: (o) => c.listBuckets(o),
      listBucketTree: (id, o) => c.listBucketTree(id, o),
      getPathsInfo: (id, p, o) => c.getPathsInfo(id, p, o),
      getFileMetadata: (id, p, o) => c.getFileMetadata(id, p, o),
      fileExists: (id, p, o) => c.fileExists(id, p, o),
      updateBucketSettings: (id, o) => c.updateBucketSettings(id, o),
      whoami: (o) => c.whoami(o),
      moveBucket: (o) => c.moveBucket(o),
      batchBucketFiles: (id, o) => c.batchBucketFiles(id, o),
      copyFiles: (o) => c.copyFiles(o),
    };
  }
  const m = (o) => ({ ...clientOptions, ...o });
  return {
    createBucket: (n, o) => lib.createBucket(n, m(o)),
    deleteBucket: (id, o) => lib.deleteBucket(id, m(o)),
    bucketInfo: (id, o) => lib.bucketInfo(id, m(o)),
    listBuckets: (o) => lib.listBuckets(m(o)),
    listBucketTree: (id, o) => lib.listBucketTree(id, m(o)),
    getPathsInfo: (id, p, o) => lib.getPathsInfo(id, p, m(o)),
    getFileMetadata: (id, p, o) => lib.getFileMetadata(id, p, m(o)),
    fileExists: (id, p, o) => lib.fileExists(id, p, m(o)),
    updateBucketSettings: (id, o) => lib.updateBucketSettings(id, m(o)),
    whoami: (o) => lib.whoami(m(o)),
    moveBucket: (o) => lib.moveBucket(m(o)),
    batchBucketFiles: (id, o) => lib.batchBucketFiles(id, m(o)),
    copyFiles: (o) => lib.copyFiles(m(o)),
  };
}

function api(ctx, extra = {}) {
  return makeApi(ctx.lib, ctx.mode, { endpoint: ctx.hub.hub, accessToken: ctx.hub.token, ...extra });
}

async function collect(iterable) {
  const out = [];
  for await (const x of iterable) out.push(x);
  return out;
}

async function newBucket(ctx, a, prefix) {
  const { bucketId } = await a.createBucket(ctx.uniq(prefix));
  return bucketId;
}

async function addEmpty(a, bucketId, paths, extra = {}) {
  const r = await a.batchBucketFiles(bucketId, { add: paths.map((destination) => ({ destination, xetHash: EMPTY, ...extra })) });
  ok(r.success, `adding ${paths.length} files: ${JSON.stringify(r.failed.slice(0, 3))}`);
  return r;
}

const isTree = (c) => c.method === 'GET' && /\/tree(\/|\?)/.test(c.url);
const isBatch = (c) => c.method === 'POST' && c.url.endsWith('/batch');
const isPathsInfo = (c) => c.method === 'POST' && c.url.endsWith('/paths-info');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fault(ctx, rule) {
  return ctx.admin('POST', '/admin/faults', { target: 'hub', ...rule });
}
function clearFaults(ctx) {
  return ctx.admin('DELETE', '/admin/faults');
}

// ------------------------------------------------------------------ scenarios

export const scenarios = [
  {
    name: 'whoami, create (me / explicit namespace / existOk / conflict), info, move, delete',
    async run(ctx) {
      const a = api(ctx);
      const me = await a.whoami();
      eq(me.name, ctx.hub.user, 'whoami name');

      const name = ctx.uniq('life');
      const made = await a.createBucket(name, { private: true });
      const id = `${ctx.hub.user}/${name}`;
      deq(made, { bucketId: id, url: `${ctx.hub.hub}/buckets/${id}`, handle: `hf://buckets/${id}`, created: true }, 'created');
      const again = await a.createBucket(name, { existOk: true });
      deq([again.bucketId, again.created], [id, false], 'existOk');
      const conflict = await rejects(a.createBucket(name), 'ConflictError', 'create twice');
      eq(conflict.status, 409, 'conflict status');

      const info = await a.bucketInfo(id);
      deq([info.id, info.private, info.size, info.totalFiles], [id, true, 0, 0], 'info');
      ok(info.createdAt instanceof Date && !Number.isNaN(info.createdAt.getTime()), 'createdAt is a Date');

      const explicit = await a.createBucket(`${ctx.hub.user}/${name}-x`, { private: false });
      eq(explicit.bucketId, `${id}-x`, 'namespace/name form');
      eq((await a.bucketInfo(explicit.bucketId)).private, false, 'public');

      const moved = `${id}-moved`;
      await a.moveBucket({ fromId: id, toId: moved });
      await rejects(a.bucketInfo(id), 'NotFoundError', 'old id after move');
      eq((await a.bucketInfo(moved)).id, moved, 'new id after move');
      const c = await rejects(a.moveBucket({ fromId: moved, toId: explicit.bucketId }), 'ConflictError', 'move onto existing');
      eq(c.status, 409, 'move conflict status');

      eq(await a.deleteBucket(moved), undefined, 'delete resolves to undefined');
      const gone = await rejects(a.deleteBucket(moved), 'NotFoundError', 'delete twice');
      eq(gone.code, 'RepoNotFound', 'X-Error-Code');
      await a.deleteBucket(moved, { missingOk: true });
      await a.deleteBucket(explicit.bucketId);
    },
  },

  {
    name: 'listBuckets follows Link pages lazily (search, limit)',
    async run(ctx) {
      const tag = ctx.uniq('lb');
      const a = api(ctx);
      for (let i = 0; i < 5; i++) await a.createBucket(`${tag}-${i}`);
      const f = countingFetch();
      const b = api(ctx, { fetch: f });
      const all = await collect(b.listBuckets({ search: tag, limit: 2 }));
      deq(all.map((x) => x.id).sort(), [0, 1, 2, 3, 4].map((i) => `${ctx.hub.user}/${tag}-${i}`), 'all buckets');
      ok(all.every((x) => x.createdAt instanceof Date && typeof x.totalFiles === 'number'), 'typed items');
      eq(f.count(), 3, 'pages fetched for 5 buckets by 2');
      const g = countingFetch();
      for await (const x of api(ctx, { fetch: g }).listBuckets({ search: tag, limit: 2 })) {
        ok(x.id.includes(tag), 'item');
        break;
      }
      eq(g.count(), 1, 'one page fetched before break');
      const ns = await collect(a.listBuckets({ namespace: ctx.hub.user, search: `${tag}-3` }));
      deq(ns.map((x) => x.id), [`${ctx.hub.user}/${tag}-3`], 'namespace + search');
      await rejects(collect(a.listBuckets({ namespace: 'no-such-namespace-zz' })), 'NotFoundError', 'unknown namespace');
    },
  },

  {
    name: 'tree pagination over 2,600+ entries in both recursive modes; batches of ≤ 1000 lines',
    async run(ctx) {
      const f = countingFetch();
      const a = api(ctx, { fetch: f });
      const id = await newBucket(ctx, a, 'tree');
      const flat = Array.from({ length: 2600 }, (_, i) => `many/f${String(i).padStart(4, '0')}`);
      const extra = ['many/sub0/x', 'many/sub1/x', 'many/sub2/deeper/y', 'many.txt', 'manyother/z'];
      const r = await addEmpty(a, id, [...flat, ...extra]);
      deq([r.processed, r.succeeded, r.failed.length, r.skipped.length], [2605, 2605, 0, 0], 'batch report');
      eq(f.count(isBatch), 3, 'batch requests for 2605 lines');

      f.calls.length = 0;
      const rec = await collect(a.listBucketTree(id, { prefix: 'many' }));
      eq(rec.length, 2603, 'recursive entries under many/');
      ok(rec.every((e) => e.type === 'file' && e.path.startsWith('many/')), 'recursive: files under the folder only');
      eq(new Set(rec.map((e) => e.path)).size, rec.length, 'no duplicates');
      const e0 = rec.find((e) => e.path === 'many/f0000');
      deq([e0.size, e0.xetHash], [0, EMPTY], 'file entry');
      ok(e0.uploadedAt instanceof Date, 'uploadedAt is a Date');
      eq(f.count(isTree), 3, 'recursive pages');

      f.calls.length = 0;
      const flatList = await collect(a.listBucketTree(id, { prefix: 'many/', recursive: false }));
      eq(flatList.length, 2603, 'non-recursive entries');
      deq(
        flatList.filter((e) => e.type === 'directory').map((e) => e.path).sort(),
        ['many/sub0', 'many/sub1', 'many/sub2'],
        'directory entries',
      );
      eq(flatList.filter((e) => e.type === 'file').length, 2600, 'non-recursive files');
      eq(f.count(isTree), 3, 'non-recursive pages');

      f.calls.length = 0;
      eq((await collect(a.listBucketTree(id, { prefix: 'many', limit: 700 }))).length, 2603, 'limit 700');
      eq(f.count(isTree), 4, 'pages of 700');
      eq((await collect(a.listBucketTree(id))).length, 2605, 'whole bucket');
      const rootDirs = await collect(a.listBucketTree(id, { recursive: false }));
      deq(rootDirs.map((e) => `${e.type}:${e.path}`).sort(), ['directory:many', 'directory:manyother', 'file:many.txt'], 'root');
      eq((await collect(a.listBucketTree(id, { prefix: 'nothing-here' }))).length, 0, 'empty prefix match');
      const info = await a.bucketInfo(id);
      eq(info.totalFiles, 2605, 'totalFiles');
    },
  },

  {
    name: 'breaking out of a listing stops fetching and frees the Rust pager',
    async run(ctx) {
      const a = api(ctx);
      const id = await newBucket(ctx, a, 'brk');
      await addEmpty(a, id, Array.from({ length: 30 }, (_, i) => `f${i}`));
      const before = ctx.livePagers();
      const f = countingFetch();
      let seen = 0;
      for await (const entry of api(ctx, { fetch: f }).listBucketTree(id, { limit: 10 })) {
        ok(entry.path, 'entry');
        if (++seen === 5) break;
      }
      eq(f.count(isTree), 1, 'only the first page was fetched');
      eq(ctx.livePagers(), before, 'pager freed after break');
      const it = a.listBucketTree(id, { limit: 10 })[Symbol.asyncIterator]();
      await it.next();
      eq(ctx.livePagers(), before + 1, 'a live listing holds one pager');
      await it.return();
      eq(ctx.livePagers(), before, 'return() frees it');
    },
  },

  {
    name: 'getPathsInfo: files only, missing left out, requests of ≤ 1000 paths',
    async run(ctx) {
      const f = countingFetch();
      const a = api(ctx, { fetch: f });
      const id = await newBucket(ctx, a, 'pi');
      await addEmpty(a, id, ['a.txt', 'dir/b.bin', 'dir/c.bin'], { contentType: 'text/plain', mtime: new Date(1_700_000_000_123) });
      const paths = ['a.txt', 'dir', 'dir/b.bin', ...Array.from({ length: 1497 }, (_, i) => `missing/${i}`), 'dir/c.bin'];
      f.calls.length = 0;
      const got = await a.getPathsInfo(id, paths);
      deq(got.map((x) => x.path).sort(), ['a.txt', 'dir/b.bin', 'dir/c.bin'], 'found files');
      eq(f.count(isPathsInfo), 2, 'two requests for 1501 paths');
      const x = got.find((g) => g.path === 'a.txt');
      deq([x.type, x.size, x.xetHash, x.contentType], ['file', 0, EMPTY, 'text/plain'], 'entry');
      eq(x.mtime.getTime(), 1_700_000_000_123, 'mtime round-trips (ms)');
      deq(await a.getPathsInfo(id, []), [], 'no paths');
    },
  },

  {
    name: 'getFileMetadata (HEAD), fileExists, updateBucketSettings',
    async run(ctx) {
      const f = countingFetch();
      const a = api(ctx, { fetch: f, retry: false });
      const id = await newBucket(ctx, a, 'meta');
      const mtime = 1_700_000_123_000;
      await addEmpty(a, id, ['dir/a b#.txt'], { contentType: 'text/plain', mtime: new Date(mtime) });
      f.calls.length = 0;
      const m = await a.getFileMetadata(id, 'dir/a b#.txt');
      deq([m.size, m.xetHash, m.etag, m.contentType], [0, EMPTY, `"${EMPTY}"`, 'text/plain'], 'metadata');
      ok(m.lastModified instanceof Date && m.lastModified.getTime() === mtime, `lastModified ${m.lastModified}`);
      deq(f.calls.map((c) => c.method), ['HEAD'], 'one HEAD');
      ok(f.calls[0].url.endsWith(`/buckets/${id}/resolve/dir/a%20b%23.txt`), f.calls[0].url);

      const noFile = await rejects(a.getFileMetadata(id, 'dir/nope'), 'NotFoundError', 'missing file');
      deq([noFile.status, noFile.code], [404, 'EntryNotFound'], 'missing file fields');
      const noBucket = await rejects(a.getFileMetadata(`${ctx.hub.user}/no-${ctx.uniq('x')}`, 'a'), 'NotFoundError', 'missing bucket');
      deq([noBucket.status, noBucket.code], [404, 'RepoNotFound'], 'missing bucket fields');
      await rejects(a.getFileMetadata(id, '../a'), 'ValidationError', 'bad path');

      eq(await a.fileExists(id, 'dir/a b#.txt'), true, 'exists');
      eq(await a.fileExists(id, 'dir'), false, 'a folder is not a file');
      eq(await a.fileExists(id, 'dir/nope'), false, 'missing file');
      eq(await a.fileExists(`${ctx.hub.user}/no-${ctx.uniq('x')}`, 'a'), false, 'missing bucket');
      const bad = api(ctx, { accessToken: 'hf_not_a_real_token_zz', retry: false });
      await rejects(bad.fileExists(id, 'dir/a b#.txt'), 'AuthError', 'a bad token throws');
      f.calls.length = 0;
      await rejects(a.fileExists(id, 'a//b'), 'ValidationError', 'bad path');
      await rejects(a.fileExists(id), 'ValidationError', 'no path');
      await rejects(a.updateBucketSettings(id, {}), 'ValidationError', 'private is required');
      await rejects(a.updateBucketSettings(id, { private: 'yes' }), 'ValidationError', 'private is a boolean');
      // Hardening (issue 10): bidi controls in paths, `.git` names, dot revisions.
      await rejects(a.fileExists(id, 'evil\u202Etxt.exe'), 'ValidationError', 'a bidi control in a path');
      await rejects(a.getFileMetadata(id, 'a\u2066b'), 'ValidationError', 'a bidi isolate in a path');
      await rejects(a.createBucket('weights.git'), 'ValidationError', 'a name ending in .git');
      await rejects(a.bucketInfo(`${ctx.hub.user}/x.GIT`), 'ValidationError', 'an id ending in .git');
      eq(f.calls.length, 0, 'invalid input sends nothing');
      for (const uri of ['hf://acme/m@../x', 'hf://datasets/acme/d@.', 'hf://acme/m@%2E%2E/x']) {
        let thrown;
        try {
          ctx.lib.parseHfUri(uri);
        } catch (e) {
          thrown = e;
        }
        eq(thrown?.name, 'ValidationError', `${uri} is refused`);
      }

      eq((await a.bucketInfo(id)).private, false, 'public at first');
      eq(await a.updateBucketSettings(id, { private: true }), undefined, 'resolves to undefined');
      eq((await a.bucketInfo(id)).private, true, 'now private');
      const anon = makeApi(ctx.lib, ctx.mode, { endpoint: ctx.hub.hub, retry: false });
      await rejects(anon.getFileMetadata(id, 'dir/a b#.txt'), 'AuthError', 'anonymous HEAD on a private bucket');
      eq(await anon.fileExists(id, 'dir/a b#.txt'), false, 'anonymous: hidden bucket → false');
      await a.updateBucketSettings(id, { private: false });
      eq((await a.bucketInfo(id)).private, false, 'public again');
      eq(await anon.fileExists(id, 'dir/a b#.txt'), true, 'anonymous sees a public file');
      const reader = api(ctx, { accessToken: ctx.hub.readerToken, retry: false });
      await rejects(reader.updateBucketSettings(id, { private: true }), 'ForbiddenError', 'no write access');
      await rejects(a.updateBucketSettings(`${ctx.hub.user}/no-${ctx.uniq('x')}`, { private: true }), 'NotFoundError', 'missing bucket');
    },
  },

  {
    name: 'batchBucketFiles: add/copy/delete by hash, order, partial failures, skipped deletes',
    async run(ctx) {
      const f = countingFetch();
      const a = api(ctx, { fetch: f });
      const src = await newBucket(ctx, a, 'bsrc');
      const dst = await newBucket(ctx, a, 'bdst');
      await addEmpty(a, src, ['s1', 's2']);
      const r = await a.batchBucketFiles(dst, {
        add: [{ destination: 'new.txt', xetHash: EMPTY, mtime: 1_700_000_000_000 }],
        copy: [{ destination: 'copied', xetHash: EMPTY, sourceId: src }],
        delete: ['never-existed'],
      });
      deq([r.success, r.processed, r.succeeded], [true, 3, 3], 'mixed batch');
      deq((await collect(a.listBucketTree(dst))).map((e) => e.path), ['copied', 'new.txt'], 'after batch');

      const partial = await a.batchBucketFiles(dst, {
        copy: [
          { destination: 'good', xetHash: EMPTY, sourceType: 'bucket', sourceId: src },
          { destination: 'bad', xetHash: UNKNOWN_HASH, sourceId: src },
        ],
      });
      eq(partial.success, false, 'partial failure');
      deq(partial.failed.map((x) => x.path), ['bad'], 'failed line');
      ok(partial.failed[0].error.length > 0, 'server reason');
      eq(partial.succeeded, 1, 'the other line took effect');

      const guarded = await a.batchBucketFiles(dst, { add: [{ destination: 'nope', xetHash: UNKNOWN_HASH }], delete: ['new.txt'] });
      deq(guarded.failed.map((x) => x.path), ['nope'], 'failed add');
      deq(guarded.skipped.map((x) => x.path), [], 'same request: the delete was processed with it');
      f.calls.length = 0;
      await rejects(a.batchBucketFiles(dst, { add: [{ destination: 'x', xetHash: EMPTY }], delete: ['x'] }), 'ValidationError', 'add+delete same path');
      const neither = await rejects(a.batchBucketFiles(dst, { add: [{ destination: 'x' }] }), 'ValidationError', 'add without xetHash or source');
      ok(neither.message.startsWith('invalid add[0] '), `the item is named: ${neither.message}`);
      const one = new Uint8Array(1);
      const named = [
        [[{ destination: 'a', xetHash: EMPTY }, { destination: 7, source: one }], 'add[1].destination'],
        [[{ destination: 'a', source: one, mtime: 'soon' }], 'add[0].mtime'],
        [[{ destination: 'a', source: one, contentType: 5 }], 'add[0].contentType'],
        [[{ destination: 'a', xetHash: 5 }], 'add[0].xetHash'],
      ];
      for (const [add, name] of named) {
        const e = await rejects(a.batchBucketFiles(dst, { add }), 'ValidationError', name);
        ok(e.message.startsWith(`invalid ${name} `), `${name} is named: ${e.message}`);
      }
      if (a.uploadBucketFile) {
        const single = await rejects(a.uploadBucketFile(dst, { destination: 'a', source: one, mtime: -1 }), 'ValidationError', 'options.mtime');
        ok(single.message.startsWith('invalid options.mtime '), `options.mtime is named: ${single.message}`);
      }
      await rejects(a.batchBucketFiles(dst, { copy: [{ destination: 'x', xetHash: EMPTY, sourceId: src, sourceType: 'bucketz' }] }), 'ValidationError', 'bad sourceType');
      eq(f.count(), 0, 'nothing sent for invalid batches');
      const empty = await a.batchBucketFiles(dst, {});
      deq([empty.success, empty.processed], [true, 0], 'empty batch');
      eq(f.count(), 0, 'empty batch sends nothing');
    },
  },

  {
    name: 'copyFiles bucket → bucket: a file and a folder, trailing-slash rules',
    async run(ctx) {
      const a = api(ctx);
      const src = await newBucket(ctx, a, 'csrc');
      const dst = await newBucket(ctx, a, 'cdst');
      await addEmpty(a, src, ['models/a.bin', 'models/sub/b.bin', 'models.txt', 'other.txt']);
      const S = `hf://buckets/${src}`;
      const D = `hf://buckets/${dst}`;
      const paths = async () => (await collect(a.listBucketTree(dst))).map((e) => e.path);

      let r = await a.copyFiles({ source: `${S}/models/a.bin`, destination: `${D}/` });
      deq([r.success, r.processed], [true, 1], 'file into root');
      r = await a.copyFiles({ source: `${S}/models/a.bin`, destination: `${D}/renamed.bin` });
      r = await a.copyFiles({ source: `${S}/other.txt`, destination: `${D}/into/` });
      deq(await paths(), ['a.bin', 'into/other.txt', 'renamed.bin'], 'file copies');

      r = await a.copyFiles({ source: `${S}/models`, destination: `${D}/backup` });
      eq(r.processed, 2, 'folder: two files (models.txt is not under models/)');
      r = await a.copyFiles({ source: `${S}/models`, destination: `${D}/backup` });
      r = await a.copyFiles({ source: `${S}/models/`, destination: `${D}/merged/` });
      deq(
        (await paths()).filter((p) => p.startsWith('backup/') || p.startsWith('merged/')),
        ['backup/a.bin', 'backup/models/a.bin', 'backup/models/sub/b.bin', 'backup/sub/b.bin', 'merged/a.bin', 'merged/sub/b.bin'],
        'folder copies: rename into a new folder, nest into an existing one, merge with a trailing slash',
      );
      const nf = await rejects(a.copyFiles({ source: `${S}/nothing`, destination: `${D}/` }), 'NotFoundError', 'nothing to copy');
      eq(nf.status, undefined, 'client-side not found has no status');
      await rejects(a.copyFiles({ source: `${S}/a`, destination: 'hf://datasets/x/y/' }), 'ValidationError', 'repo destination');
    },
  },

  {
    name: 'copyFiles dataset repo → bucket: a file, a folder, a revision, git-stored files re-uploaded',
    async run(ctx) {
      const a = api(ctx);
      const repo = `${ctx.uniq('org')}/corpus`;
      await ctx.admin('POST', '/admin/repos', {
        type: 'dataset',
        id: repo,
        files: [
          { path: 'data/train.bin', xetHash: EMPTY },
          { path: 'data/sub/val.bin', xetHash: EMPTY },
          { path: 'data/.gitattributes', content: '*.bin filter=lfs\n' },
          { path: 'README.md', content: '# corpus\n' },
        ],
      });
      await ctx.admin('POST', '/admin/repos', { type: 'dataset', id: repo, revision: 'v2', files: [{ path: 'extra.bin', xetHash: EMPTY }] });
      const dst = await newBucket(ctx, a, 'ddst');
      const D = `hf://buckets/${dst}`;

      let r = await a.copyFiles({ source: `hf://datasets/${repo}/data/train.bin`, destination: `${D}/` });
      deq([r.success, r.processed], [true, 1], 'file');
      r = await a.copyFiles({ source: `hf://datasets/${repo}/data`, destination: `${D}/ds/` });
      deq([r.success, r.processed], [true, 2], 'folder (.gitattributes left out)');
      r = await a.copyFiles({ source: `hf://datasets/${repo}@main/`, destination: `${D}/all/` });
      deq([r.success, r.processed, r.skipped.length], [true, 3, 0], 'two copies by hash + one git file re-uploaded');
      const readme = await new ctx.lib.BucketClient({ endpoint: ctx.hub.hub, accessToken: ctx.hub.token })
        .getBucketFile(dst, { path: 'all/README.md' });
      eq(new TextDecoder().decode(readme), '# corpus\n', 'the git-stored file arrived byte for byte');
      r = await a.copyFiles({ source: `hf://datasets/${repo}@v2/extra.bin`, destination: `${D}/v2.bin` });
      eq(r.success, true, 'revision');
      deq(
        (await collect(a.listBucketTree(dst))).map((e) => e.path),
        ['all/README.md', 'all/data/sub/val.bin', 'all/data/train.bin', 'ds/sub/val.bin', 'ds/train.bin', 'train.bin', 'v2.bin'],
        'bucket after repo copies',
      );
      await rejects(a.copyFiles({ source: `hf://datasets/${repo}@v2/data/train.bin`, destination: `${D}/` }), 'NotFoundError', 'not in that revision');
    },
  },

  {
    name: 'each error class from a real local-hub response',
    async run(ctx) {
      const { lib } = ctx;
      const a = api(ctx, { retry: false });
      const missing = await rejects(a.bucketInfo(`${ctx.hub.user}/missing-${ctx.uniq('m')}`), 'NotFoundError', '404');
      ok(missing instanceof lib.NotFoundError && missing instanceof lib.HubError && missing instanceof Error, 'instanceof');
      ok(lib.isNotFoundError(missing) && lib.isHubError(missing) && !lib.isAuthError(missing), 'guards');
      deq([missing.status, missing.code, missing.retryable], [404, 'RepoNotFound', false], 'fields');
      ok(typeof missing.requestId === 'string' && missing.requestId.length > 0, 'requestId');
      ok(typeof missing.serverMessage === 'string' && missing.message.includes(missing.serverMessage), 'server message');

      const bad = api(ctx, { accessToken: 'hf_not_a_real_token_zz', retry: false });
      const auth = await rejects(bad.whoami(), 'AuthError', '401');
      eq(auth.status, 401, 'auth status');
      ok(!auth.message.includes('hf_not_a_real_token_zz') && !JSON.stringify(auth).includes('hf_not_a_real'), 'token not in the error');
      const anon = makeApi(lib, ctx.mode, { endpoint: ctx.hub.hub, retry: false });
      const priv = await a.createBucket(ctx.uniq('priv'), { private: true });
      eq((await rejects(anon.bucketInfo(priv.bucketId), 'AuthError', 'anonymous private')).status, 401, 'anon 401');

      const reader = api(ctx, { accessToken: ctx.hub.readerToken, retry: false });
      eq((await rejects(reader.createBucket(ctx.uniq('ro')), 'ForbiddenError', '403')).status, 403, 'forbidden');
      const other = api(ctx, { accessToken: ctx.hub.otherToken, retry: false });
      await rejects(other.deleteBucket(priv.bucketId), 'NotFoundError', "someone else's private bucket is hidden");

      await rejects(a.createBucket(priv.bucketId), 'ConflictError', '409');

      await fault(ctx, { path: '/api/whoami-v2', action: 'status', status: 400, count: 1 });
      eq((await rejects(a.whoami(), 'BadRequestError', '400')).status, 400, 'bad request');
      await fault(ctx, { path: '/api/whoami-v2', action: 'status', status: 429, retryAfterSecs: 7, count: 1 });
      const rl = await rejects(a.whoami(), 'RateLimitError', '429');
      deq([rl.status, rl.retryable, rl.retryAfterMs], [429, true, 7000], 'rate limit fields');
      await fault(ctx, { path: '/api/whoami-v2', action: 'status', status: 503, count: 1 });
      const se = await rejects(a.whoami(), 'ServerError', '503');
      deq([se.status, se.retryable], [503, true], 'server error');
      ok(lib.isServerError(se) && se instanceof lib.ServerError, 'server guard');

      const dead = makeApi(lib, ctx.mode, { endpoint: ctx.hub.deadEndpoint, accessToken: ctx.hub.token, retry: false });
      const net = await rejects(dead.whoami(), 'NetworkError', 'connection refused');
      deq([net.status, net.retryable], [undefined, true], 'network fields');

      await fault(ctx, { path: '/api/whoami-v2', action: 'hang', ms: 3000, count: 1 });
      const t0 = Date.now();
      const slow = api(ctx, { retry: { retries: 0, timeoutMs: 300 } });
      const to = await rejects(slow.whoami(), 'TimeoutError', 'timeout');
      ok(Date.now() - t0 < 2500, `timeout fired in ${Date.now() - t0} ms`);
      ok(lib.isNetworkError(to) && lib.isTimeoutError(to) && to instanceof lib.NetworkError, 'timeout is a network error');

      await fault(ctx, { method: 'GET', path: `/api/buckets/${priv.bucketId}`, action: 'flipByte', offset: 1, count: 1 });
      const pe = await rejects(a.bucketInfo(priv.bucketId), 'ProtocolError', 'corrupted JSON');
      ok(lib.isProtocolError(pe), 'protocol guard');

      const ve = await rejects(a.bucketInfo('not-a-bucket-id'), 'ValidationError', 'validation');
      ok(lib.isValidationError(ve) && ve.retryable === false, 'validation guard');
      await clearFaults(ctx);
    },
  },

  {
    name: 'invalid ids, names and paths are rejected before any request',
    async run(ctx) {
      const f = countingFetch();
      const a = api(ctx, { fetch: f });
      const id = `${ctx.hub.user}/whatever`;
      const cases = [
        () => a.bucketInfo(''),
        () => a.bucketInfo('just-a-name'),
        () => a.bucketInfo('a/b/c'),
        () => a.bucketInfo('a/..'),
        () => a.bucketInfo('ns/bad name'),
        () => a.bucketInfo(`ns/${'x'.repeat(97)}`),
        () => a.bucketInfo(42),
        () => a.createBucket(''),
        () => a.createBucket('-leading-dash'),
        () => a.createBucket('double--dash'),
        () => a.createBucket('dots..name'),
        () => a.createBucket('ünïcode'),
        () => a.createBucket('x'.repeat(97)),
        () => a.createBucket('ok', { namespace: 'bad ns' }),
        () => a.createBucket('ok', { private: 'yes' }),
        () => a.deleteBucket('a'),
        () => a.getPathsInfo(id, ['']),
        () => a.getPathsInfo(id, ['/leading']),
        () => a.getPathsInfo(id, ['a//b']),
        () => a.getPathsInfo(id, ['a/../b']),
        () => a.getPathsInfo(id, ['..']),
        () => a.getPathsInfo(id, ['back\\slash']),
        () => a.getPathsInfo(id, ['nul\u0000']),
        () => a.getPathsInfo(id, ['p'.repeat(1025)]),
        () => a.getPathsInfo(id, 'not-an-array'),
        () => a.batchBucketFiles(id, { delete: ['a/../b'] }),
        () => a.batchBucketFiles(id, { add: [{ destination: '/x', xetHash: EMPTY }] }),
        () => a.batchBucketFiles(id, { add: [{ destination: 'x', xetHash: 'zz' }] }),
        () => a.batchBucketFiles(id, { copy: [{ destination: 'x', xetHash: EMPTY, sourceId: 'nope' }] }),
        () => collect(a.listBucketTree(id, { prefix: '/abs' })),
        () => collect(a.listBucketTree(id, { prefix: 'a/../b' })),
        () => collect(a.listBucketTree('bad', {})),
        () => collect(a.listBuckets({ namespace: 'bad ns' })),
        () => a.moveBucket({ fromId: 'a', toId: 'b/c' }),
        () => a.moveBucket({ fromId: id, toId: id }),
        () => a.copyFiles({ source: 'not-a-uri', destination: `hf://buckets/${id}/` }),
        () => a.copyFiles({ source: `hf://buckets/${id}/x`, destination: 'hf://buckets/only-ns' }),
        () => a.bucketInfo(id, { signal: 'not a signal' }),
      ];
      for (const [i, call] of cases.entries()) await rejects(call, 'ValidationError', `case ${i}`);
      eq(f.count(), 0, 'no request was sent');
      if (ctx.mode === 'client') {
        let thrown;
        try {
          // (not a bare host: in a page that is a relative URL, resolved against the location)
          new ctx.lib.BucketClient({ endpoint: 'ftp://huggingface.co' });
        } catch (e) {
          thrown = e;
        }
        eq(thrown?.name, 'ValidationError', 'bad endpoint throws at construction');
      } else {
        await rejects(ctx.lib.bucketInfo(id, { endpoint: 'ftp://x' }), 'ValidationError', 'bad endpoint');
      }
    },
  },

  {
    name: 'abort: mid-listing, in flight, during backoff, already aborted',
    async run(ctx) {
      const a = api(ctx);
      const id = await newBucket(ctx, a, 'abort');
      await addEmpty(a, id, Array.from({ length: 25 }, (_, i) => `f${String(i).padStart(2, '0')}`));
      const before = ctx.livePagers();

      // Page 2 hangs on the server; the abort must end the listing promptly.
      await fault(ctx, { method: 'GET', path: `/api/buckets/${id}/tree*`, after: 1, action: 'hang', ms: 10000, count: 1 });
      const ac = new AbortController();
      let seen = 0;
      let abortedAt = 0;
      const err = await rejects(
        (async () => {
          for await (const _ of a.listBucketTree(id, { limit: 10, signal: ac.signal })) {
            if (++seen === 10) {
              setTimeout(() => {
                abortedAt = Date.now();
                ac.abort();
              }, 100);
            }
          }
        })(),
        'AbortError',
        'listing aborted',
      );
      const lag = Date.now() - abortedAt;
      eq(seen, 10, 'first page delivered');
      ok(abortedAt > 0 && lag < 1500, `rejected ${lag} ms after abort`);
      ok(err.cause === ac.signal.reason, 'cause is signal.reason');
      ok(ctx.lib.isAbortError(err), 'abort guard');
      eq(ctx.livePagers(), before, 'pager freed after abort');

      await fault(ctx, { path: '/api/whoami-v2', action: 'hang', ms: 10000, count: 1 });
      const ac2 = new AbortController();
      setTimeout(() => ac2.abort(new Error('user gave up')), 100);
      const t0 = Date.now();
      const e2 = await rejects(a.whoami({ signal: ac2.signal }), 'AbortError', 'in flight');
      ok(Date.now() - t0 < 1500, 'prompt');
      eq(e2.cause?.message, 'user gave up', 'custom reason as cause');

      await fault(ctx, { path: '/api/whoami-v2', action: 'status', status: 503, retryAfterSecs: 5, count: 0 });
      const ac3 = new AbortController();
      setTimeout(() => ac3.abort(), 300);
      const t1 = Date.now();
      await rejects(api(ctx, { retry: { retries: 5 } }).whoami({ signal: ac3.signal }), 'AbortError', 'during backoff');
      ok(Date.now() - t1 < 2000, `abort during a 5 s Retry-After took ${Date.now() - t1} ms`);
      await clearFaults(ctx);

      const f = countingFetch();
      await rejects(api(ctx, { fetch: f }).bucketInfo(id, { signal: AbortSignal.abort() }), 'AbortError', 'already aborted');
      await rejects(collect(api(ctx, { fetch: f }).listBucketTree(id, { signal: AbortSignal.abort() })), 'AbortError', 'listing already aborted');
      eq(f.count(), 0, 'nothing sent with an aborted signal');
    },
  },

  {
    name: 'retries: 503 → 503 → 200, 429 with Retry-After, giving up after the limit, non-idempotent create',
    async run(ctx) {
      await clearFaults(ctx);
      let f = countingFetch();
      await fault(ctx, { path: '/api/whoami-v2', action: 'status', status: 503, retryAfterSecs: 0, count: 2 });
      eq((await api(ctx, { fetch: f }).whoami()).name, ctx.hub.user, 'succeeded after two 503s');
      eq(f.count(), 3, 'three attempts');

      f = countingFetch();
      await fault(ctx, { path: '/api/whoami-v2', action: 'status', status: 429, retryAfterSecs: 1, count: 1 });
      const t0 = Date.now();
      eq((await api(ctx, { fetch: f }).whoami()).name, ctx.hub.user, 'succeeded after a 429');
      ok(Date.now() - t0 >= 950, `waited Retry-After (${Date.now() - t0} ms)`);
      eq(f.count(), 2, 'two attempts');

      f = countingFetch();
      await fault(ctx, { path: '/api/whoami-v2', action: 'status', status: 503, retryAfterSecs: 0, count: 0 });
      const e = await rejects(api(ctx, { fetch: f, retry: { retries: 2, initialDelayMs: 10 } }).whoami(), 'ServerError', 'gave up');
      eq(f.count(), 3, 'retries + 1 attempts, then the last error');
      eq(e.retryable, true, 'still retryable');
      await clearFaults(ctx);

      f = countingFetch();
      await fault(ctx, { method: 'POST', path: '/api/buckets/*', action: 'status', status: 503, retryAfterSecs: 0, count: 1 });
      await rejects(api(ctx, { fetch: f }).createBucket(ctx.uniq('nr')), 'ServerError', 'create is not replayed after a 503');
      eq(f.count(), 1, 'one attempt');
      f = countingFetch();
      await fault(ctx, { method: 'POST', path: '/api/buckets/*', action: 'status', status: 429, retryAfterSecs: 0, count: 1 });
      eq((await api(ctx, { fetch: f }).createBucket(ctx.uniq('rl'))).created, true, 'create is retried after a 429');
      eq(f.count(), 2, 'two attempts');

      f = countingFetch();
      const dead = makeApi(ctx.lib, ctx.mode, { endpoint: ctx.hub.deadEndpoint, fetch: f, retry: { retries: 2, initialDelayMs: 10 } });
      await rejects(dead.whoami(), 'NetworkError', 'network errors are retried, then reported');
      eq(f.count(), 3, 'three attempts on a dead endpoint');
      await clearFaults(ctx);
    },
  },

  {
    name: 'hf:// URI helpers',
    async run(ctx) {
      const { parseHfUri, formatHfUri } = ctx.lib;
      deq(parseHfUri('hf://buckets/alice/ckpts/run1/'), { type: 'bucket', id: 'alice/ckpts', path: 'run1', trailingSlash: true }, 'bucket');
      deq(
        parseHfUri('hf://datasets/acme/corpus@refs/pr/3/data/x.parquet'),
        { type: 'dataset', id: 'acme/corpus', revision: 'refs/pr/3', path: 'data/x.parquet', trailingSlash: false },
        'dataset with a special ref',
      );
      deq(parseHfUri('hf://acme/model'), { type: 'model', id: 'acme/model', path: '', trailingSlash: false }, 'model');
      eq(parseHfUri('https://huggingface.co/buckets/alice/ckpts/tree/a%20b').path, 'a b', 'web URL');
      eq(parseHfUri(`${ctx.hub.hub}/buckets/alice/ckpts/resolve/x`, { endpoint: ctx.hub.hub }).path, 'x', 'custom endpoint URL');
      eq(formatHfUri({ id: 'alice/ckpts', path: 'run1/model.bin' }), 'hf://buckets/alice/ckpts/run1/model.bin', 'format bucket');
      eq(formatHfUri({ type: 'dataset', id: 'acme/c', revision: 'feature/x', path: 'd/' }), 'hf://datasets/acme/c@feature%2Fx/d/', 'format repo');
      for (const bad of ['buckets/a/b', 'hf://buckets/a', 'hf://buckets/a/b@v1', 'hf://bucket/a/b', 'hf://buckets/a/b//c']) {
        let name;
        try {
          parseHfUri(bad);
        } catch (e) {
          name = e.name;
        }
        eq(name, 'ValidationError', bad);
      }
      let name;
      try {
        formatHfUri({ id: 'a/b', revision: 'v1' });
      } catch (e) {
        name = e.name;
      }
      eq(name, 'ValidationError', 'bucket with revision');
    },
  },
];
