// The chunking-worker pool (js/xet/segment-workers.js) with stand-in workers: the least busy one
// gets a segment, one more starts while all are busy (up to the limit), a failed worker rejects
// only its own segments, `readyOnly` leaves segments to the caller until a worker said it is
// ready, and with `idleMs` the workers stop once idle that long (and start again when needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SegmentWorkers } from '../../js/xet/segment-workers.js';

/** Stand-in workers: they answer each segment with one chunk record of its length, when told. */
function standIns() {
  const made = [];
  const spawn = (onMessage, onError) => {
    const w = { onMessage, onError, queue: [], terminated: false, refs: 0 };
    made.push(w);
    return {
      post: (message) => w.queue.push(message),
      ref: () => w.refs++,
      unref: () => w.refs--,
      terminate: () => (w.terminated = true),
    };
  };
  const answerAll = () => {
    for (const w of made) {
      for (const { id, buffer, length } of w.queue.splice(0)) w.onMessage({ id, buffer, length, chunks: new Uint8Array([length]).buffer });
    }
  };
  return { made, spawn, answerAll };
}

const segment = (n) => new Uint8Array(n).buffer;

test('segments go to the least busy worker, a second starts while the first is busy, up to the limit', async () => {
  const { made, spawn, answerAll } = standIns();
  const pool = new SegmentWorkers(spawn, 2);
  const results = [pool.chunk(segment(5), 5), pool.chunk(segment(6), 6), pool.chunk(segment(7), 7)];
  assert.equal(pool.count, 2);
  assert.deepEqual(made.map((w) => w.queue.length), [2, 1]);
  answerAll();
  const done = await Promise.all(results);
  assert.deepEqual(done.map((r) => [r.bytes.length, r.chunks[0]]), [[5, 5], [6, 6], [7, 7]]);
  assert.deepEqual(made.map((w) => w.refs), [0, 0], 'idle workers are unref-ed');
});

test('readyOnly leaves the segment to the caller until a worker said it is ready', () => {
  const { made, spawn } = standIns();
  const pool = new SegmentWorkers(spawn, 1);
  const buffer = segment(4);
  assert.equal(pool.chunk(buffer, 4, true), undefined);
  assert.equal(buffer.byteLength, 4, 'not transferred');
  assert.equal(pool.count, 1, 'but one was started');
  made[0].onMessage({ ready: true });
  assert.ok(pool.chunk(segment(4), 4, true) instanceof Promise);
});

test('a failed worker rejects its segments only; the others go on', async () => {
  const { made, spawn, answerAll } = standIns();
  const pool = new SegmentWorkers(spawn, 2);
  const a = pool.chunk(segment(1), 1);
  const b = pool.chunk(segment(2), 2);
  made[0].onError(new Error('crashed'));
  await assert.rejects(a, /a chunking worker failed/);
  assert.equal(made[0].terminated, true);
  answerAll();
  assert.equal((await b).bytes.length, 2);
  assert.equal(pool.count, 1);
});

test('with idleMs, idle workers stop, and the next segment starts one again', async () => {
  const { made, spawn, answerAll } = standIns();
  const pool = new SegmentWorkers(spawn, 2, 30);
  const r = pool.chunk(segment(3), 3);
  answerAll();
  await r;
  assert.equal(pool.count, 1);
  await new Promise((ok) => setTimeout(ok, 80));
  assert.equal(pool.count, 0);
  assert.equal(made[0].terminated, true);
  const again = pool.chunk(segment(3), 3);
  assert.equal(made.length, 2);
  answerAll();
  await again;
  // A segment in flight keeps them: no stop while busy.
  const busy = pool.chunk(segment(3), 3);
  await new Promise((ok) => setTimeout(ok, 80));
  assert.equal(pool.count, 1);
  answerAll();
  await busy;
});
