// `watchBucket` scenarios against local-hub's change feed, run in Node (watch.test.mjs) and in
// headless Chromium (watch-browser.test.mjs). Platform-neutral: the runner passes
//   ctx = { lib, hub: {hub, token, user, readerToken, otherToken}, admin(method, route, body),
//           liveWatchers(), uniq(prefix) }
// Short reconnect timings (the `timing` option) keep each scenario to a few seconds.

const EMPTY = '0'.repeat(64);
const FAST = { healthyDelayMs: 50, backoffMs: 50, backoffMaxMs: 200, readTimeoutMs: 5000, connectTimeoutMs: 5000 };

function fail(msg) {
  throw new Error(msg);
}
function ok(cond, msg) {
  if (!cond) fail(msg);
}
function deq(actual, expected, msg) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) fail(`${msg}:\n  expected ${b}\n  got      ${a}`);
}
function timeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Pulls events from `it` until `until(events)` holds (or `ms` pass). */
async function collect(it, until, ms = 10000, events = []) {
  await timeout(
    (async () => {
      while (!until(events)) {
        const { value, done } = await it.next();
        if (done) fail(`the watch ended after ${JSON.stringify(events)}`);
        events.push(value);
      }
    })(),
    ms,
    'waiting for events',
  );
  return events;
}

const changes = (events) => events.filter((e) => e.type !== 'ready');
const ops = (events) => changes(events).map((e) => `${e.type} ${e.path}`);

async function setup(ctx, name) {
  const hub = new ctx.lib.BucketClient({ accessToken: ctx.hub.token, endpoint: ctx.hub.hub });
  const { bucketId } = await hub.createBucket(ctx.uniq(name));
  return { hub, bucketId };
}

/** Applies change events to a Map path → {size, xetHash}, as a consumer would. */
function apply(view, events) {
  for (const e of changes(events)) {
    if (e.type === 'delete') view.delete(e.path);
    else {
      const old = view.get(e.path) ?? {};
      view.set(e.path, { size: e.size ?? old.size, xetHash: e.xetHash ?? old.xetHash });
    }
  }
  return view;
}

async function listing(hub, bucketId) {
  const view = new Map();
  for await (const f of hub.listBucketTree(bucketId)) view.set(f.path, { size: f.size, xetHash: f.xetHash });
  return view;
}
const sorted = (view) => [...view.entries()].sort(([a], [b]) => (a < b ? -1 : 1));

export const scenarios = [
  {
    name: 'add, overwrite, delete, copy and move arrive in commit order, typed and filtered',
    async run(ctx) {
      const { hub, bucketId } = await setup(ctx, 'w-order');
      const it = hub.watchBucket(bucketId, { prefix: 'd', timing: FAST });
      const [ready] = await collect(it, (e) => e.length === 1);
      deq(ready, { type: 'ready' }, 'a bucket without history: ready without cursor');

      const enc = new TextEncoder();
      await hub.batchBucketFiles(bucketId, { add: [{ destination: 'd/a.txt', xetHash: EMPTY }, { destination: 'd.txt', xetHash: EMPTY }] });
      const one = await hub.uploadBucketFile(bucketId, { source: enc.encode('hello'), destination: 'd/x.bin', mtime: new Date('2026-01-01T00:00:00.123Z') });
      const two = await hub.uploadBucketFile(bucketId, { source: enc.encode('world!'), destination: 'd/x.bin' });
      await hub.batchBucketFiles(bucketId, { delete: ['d/a.txt'] });
      await hub.batchBucketFiles(bucketId, { copy: [{ destination: 'd/y.bin', xetHash: two.xetHash, sourceId: bucketId }] });
      // A move: copy then delete, in one batch.
      await hub.batchBucketFiles(bucketId, { copy: [{ destination: 'd/z.bin', xetHash: two.xetHash, sourceId: bucketId }], delete: ['d/y.bin'] });

      const events = await collect(it, (e) => changes(e).length >= 7);
      deq(ops(events), ['add d/a.txt', 'add d/x.bin', 'update d/x.bin', 'delete d/a.txt', 'add d/y.bin', 'add d/z.bin', 'delete d/y.bin'], 'commit order, d.txt filtered out');
      const [a, x, upd, del] = changes(events);
      ok(a.size === 0 && a.xetHash === EMPTY && a.uploadedAt instanceof Date, `add fields: ${JSON.stringify(a)}`);
      ok(x.size === 5 && x.xetHash === one.xetHash, 'add of x.bin');
      ok(x.mtime instanceof Date && x.mtime.toISOString() === '2026-01-01T00:00:00.123Z', `mtime as a Date: ${x.mtime}`);
      ok(upd.size === 6 && upd.xetHash === two.xetHash, `update carries the changed fields: ${JSON.stringify(upd)}`);
      deq(Object.keys(del).sort(), ['cursor', 'path', 'type'], 'a delete has path and cursor only');
      const cursors = changes(events).map((e) => e.cursor);
      ok(cursors.every((c) => typeof c === 'string' && c.length > 0), 'every change has a cursor');
      deq(new Set(cursors).size, 6, 'one cursor per batch (the move shares one)');
      await it.return();
      ok(ctx.liveWatchers() === 0, `return() freed the watcher (${ctx.liveWatchers()} alive)`);
    },
  },
  {
    name: 'a stream cut by a fault resumes from the last cursor: nothing lost, nothing repeated',
    async run(ctx) {
      const { hub, bucketId } = await setup(ctx, 'w-cut');
      await ctx.admin('POST', '/admin/faults', { path: `/api/buckets/${bucketId}/events`, action: 'cutStream', afterEvents: 2 });
      const it = hub.watchBucket(bucketId, { timing: FAST });
      const events = await collect(it, (e) => e.length === 1);
      await hub.batchBucketFiles(bucketId, { add: [{ destination: 'f1', xetHash: EMPTY }] });
      await collect(it, (e) => changes(e).length === 1, 10000, events);
      // The stream is cut right after that event; these land while reconnecting or after.
      await hub.batchBucketFiles(bucketId, { add: [{ destination: 'f2', xetHash: EMPTY }] });
      await hub.batchBucketFiles(bucketId, { delete: ['f1'] });
      await hub.batchBucketFiles(bucketId, { add: [{ destination: 'f3', xetHash: EMPTY }] });
      await collect(it, (e) => changes(e).length >= 4, 10000, events);
      const { rules } = await ctx.admin('GET', '/admin/faults');
      const rule = rules.find((r) => r.path === `/api/buckets/${bucketId}/events`);
      ok(rule?.fired === 1, `the cut fired once: ${JSON.stringify(rule)}`);
      // Nothing more is pending: a last change arrives next, alone.
      await hub.batchBucketFiles(bucketId, { add: [{ destination: 'f4', xetHash: EMPTY }] });
      await collect(it, (e) => changes(e).length >= 5, 10000, events);
      deq(ops(events), ['add f1', 'add f2', 'delete f1', 'add f3', 'add f4'], 'each change exactly once, in order');
      ok(events.filter((e) => e.type === 'ready').length === 2, `a ready per connection: ${JSON.stringify(events.map((e) => e.type))}`);
      await it.return();
    },
  },
  {
    name: 'a reset (cursor older than the buffer) ends with the view of a fresh listing',
    async run(ctx) {
      const { hub, bucketId } = await setup(ctx, 'w-reset');
      await hub.batchBucketFiles(bucketId, { add: ['a', 'b', 'c'].map((destination) => ({ destination, xetHash: EMPTY })) });
      const two = await hub.uploadBucketFile(bucketId, { source: new TextEncoder().encode('two'), destination: 'k' });
      await ctx.admin('PUT', '/admin/settings', { eventsBufferSize: 2 });
      try {
        // The first stream is cut right after `ready`; the watcher waits 1.5 s, and meanwhile
        // more batches than the buffer holds are committed: its cursor is then too old.
        await ctx.admin('POST', '/admin/faults', { path: `/api/buckets/${bucketId}/events`, action: 'cutStream', afterEvents: 1 });
        const it = hub.watchBucket(bucketId, { initial: true, timing: { ...FAST, healthyDelayMs: 1500 } });
        const events = await collect(it, (e) => e.some((x) => x.type === 'ready'));
        deq(ops(events), ['add a', 'add b', 'add c', 'add k'], 'initial: the listing as adds, then ready');
        ok(changes(events).every((e) => e.cursor === undefined), 'listing events have no cursor');
        const view = apply(new Map(), events);
        await hub.batchBucketFiles(bucketId, { delete: ['a'] });
        await hub.batchBucketFiles(bucketId, { add: [{ destination: 'b', xetHash: two.xetHash }] });
        await hub.batchBucketFiles(bucketId, { add: [{ destination: 'n', xetHash: EMPTY }] });
        await hub.batchBucketFiles(bucketId, { delete: ['c'] });
        const after = await collect(it, (e) => e.some((x) => x.type === 'ready'), 10000, []);
        apply(view, after);
        deq(sorted(view), sorted(await listing(hub, bucketId)), 'same view as a fresh listing');
        deq(ops(after), ['delete a', 'delete c', 'update b', 'add n'], 'the differences, deletes first');
        await it.return();
      } finally {
        await ctx.admin('PUT', '/admin/settings', { eventsBufferSize: 1000 });
      }
    },
  },
  {
    name: '401, 403, 404 and 501 end the iteration with typed errors; bad options are ValidationErrors',
    async run(ctx) {
      const { hub, bucketId } = await setup(ctx, 'w-errors');
      const errorOf = async (it) => {
        try {
          await timeout(it.next(), 10000, 'an error');
        } catch (e) {
          const after = await it.next();
          ok(after.done, 'the iterator is over after its error');
          return e;
        }
        return fail('no error');
      };
      const missing = await errorOf(hub.watchBucket(`${ctx.hub.user}/missing-${ctx.uniq('m')}`));
      ok(missing.name === 'NotFoundError' && missing.status === 404 && missing instanceof ctx.lib.NotFoundError, `404: ${missing.name}`);
      const priv = await hub.createBucket(ctx.uniq('w-private'), { private: true });
      const anon = new ctx.lib.BucketClient({ endpoint: ctx.hub.hub });
      const auth = await errorOf(anon.watchBucket(priv.bucketId));
      ok(auth.name === 'AuthError' && auth.status === 401, `401: ${auth.name}`);
      const path = `/api/buckets/${bucketId}/events`;
      await ctx.admin('POST', '/admin/faults', { path, action: 'status', status: 403 });
      const forbidden = await errorOf(hub.watchBucket(bucketId));
      ok(forbidden.name === 'ForbiddenError' && forbidden.status === 403 && !forbidden.retryable, `403: ${forbidden.name}`);
      await ctx.admin('POST', '/admin/faults', { path, action: 'status', status: 501 });
      const off = await errorOf(hub.watchBucket(bucketId));
      ok(off.name === 'ServerError' && off.status === 501 && !off.retryable, `501: ${off.name} ${off.retryable}`);
      for (const [options, what] of [
        [{ cursor: 'c', since: '2026-01-01T00:00:00Z' }, 'cursor + since'],
        [{ initial: true, cursor: 'c' }, 'initial + cursor'],
        [{ since: 'yesterday' }, 'since not ISO'],
        [{ since: new Date(NaN) }, 'invalid Date'],
        [{ prefix: '../x' }, 'bad prefix'],
        [{ timing: { backoffMs: -1 } }, 'bad timing'],
      ]) {
        const e = await errorOf(hub.watchBucket(bucketId, options));
        ok(e.name === 'ValidationError', `${what}: ${e.name}`);
      }
      ok(ctx.liveWatchers() === 0, `every ended watch was freed (${ctx.liveWatchers()} alive)`);
    },
  },
  {
    name: 'three broken sessions before ready end with a retryable NetworkError',
    async run(ctx) {
      const { hub, bucketId } = await setup(ctx, 'w-unhealthy');
      for (const f of ['u1', 'u2', 'u3']) await hub.batchBucketFiles(bucketId, { add: [{ destination: f, xetHash: EMPTY }] });
      // Every stream is cut after its first event: a replayed batch, before `ready`.
      await ctx.admin('POST', '/admin/faults', { path: `/api/buckets/${bucketId}/events`, action: 'cutStream', afterEvents: 1, count: 0 });
      const events = [];
      let error;
      try {
        for await (const e of hub.watchBucket(bucketId, { since: '2000-01-01T00:00:00.000Z', timing: FAST })) events.push(e);
      } catch (e) {
        error = e;
      }
      deq(ops(events), ['add u1', 'add u2', 'add u3'], 'each session resumed after the last batch');
      ok(error?.name === 'NetworkError' && error.retryable === true, `gave up: ${error?.name} ${error?.retryable} ${error?.message}`);
      ok(/3 times/.test(error.message), error.message);
    },
  },
  {
    name: 'signal aborts a pending next with AbortError and break frees the watcher; free function',
    async run(ctx) {
      const { hub, bucketId } = await setup(ctx, 'w-abort');
      const controller = new AbortController();
      const it = hub.watchBucket(bucketId, { signal: controller.signal });
      await collect(it, (e) => e.length === 1);
      ok(ctx.liveWatchers() === 1, `one watcher alive (${ctx.liveWatchers()})`);
      const pending = it.next();
      setTimeout(() => controller.abort(new Error('enough')), 50);
      let aborted;
      try {
        await timeout(pending, 5000, 'abort');
      } catch (e) {
        aborted = e;
      }
      ok(aborted?.name === 'AbortError', `abort: ${aborted?.name}`);
      ok(ctx.liveWatchers() === 0, 'abort freed the watcher');

      // The free function, and `break` in for-await.
      const seen = [];
      for await (const e of ctx.lib.watchBucket(bucketId, { accessToken: ctx.hub.token, endpoint: ctx.hub.hub, initial: true })) {
        seen.push(e.type);
        if (e.type === 'ready') break;
      }
      deq(seen, ['ready'], 'an empty bucket: ready only');
      ok(ctx.liveWatchers() === 0, 'break freed the watcher');
    },
  },
];
