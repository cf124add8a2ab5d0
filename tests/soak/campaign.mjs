// The randomized fault campaign (issue 10): seeded random workloads against one local-hub while
// random mixes of every fault kind are injected, each call checked for its outcome.
//
// A run creates a bucket, commits a few files without faults, then performs a handful of random
// operations — uploads (bytes, Blob, stream, async iterable, Node path), batches (adds by source
// and by hash, copies, deletes), whole and ranged downloads, streams (some cancelled), listings —
// each under its own random fault mix (status codes incl. 429 with Retry-After, hangs past the
// client timeout, connections closed mid-body, flipped bytes, CAS token expiry by rule and by
// `/admin/expire-tokens` mid-call, latency and bandwidth caps). After every call:
//   - it succeeded with the right bytes / listing / hash, or rejected with a typed `HubError`
//     whose `retryable` is a boolean;
//   - no wrong byte was returned (a stream's pieces are compared as they arrive);
//   - after every mutation, with faults cleared, the bucket lists exactly as before the call or
//     exactly as after it (a failed call may have been applied when only its answer was lost);
// and at the end of a run every file is downloaded without faults and compared. Unhandled
// rejections and peak RSS are watched for the whole campaign.
//
// Everything random comes from the campaign seed: run `i` uses `runSeed(seed, i)`, so a failing
// run is replayed alone with `--run-seed X --runs 1` (fault timing can differ: hangs, cut
// connections and mid-call token expiry race the client, so a replay is the same plan, not
// necessarily the same interleaving).
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { BucketClient } from 'hf-buckets';
import { fileHash } from 'hf-buckets/xet';
import { ByteGen } from '../js/helpers/transfer-data.mjs';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The error classes a call may reject with (js/errors.js). */
const TYPED = new Set([
  'HubError', 'BadRequestError', 'AuthError', 'ForbiddenError', 'NotFoundError', 'ConflictError',
  'RateLimitError', 'ServerError', 'NetworkError', 'TimeoutError', 'ValidationError',
  'IntegrityError', 'ProtocolError', 'AbortError',
]);

/** mulberry32: a small seeded PRNG over 32-bit state. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    /** Integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    /** Picks from `[weight, value]` pairs. */
    weighted: (pairs) => {
      let r = next() * pairs.reduce((s, [w]) => s + w, 0);
      for (const [w, v] of pairs) {
        if ((r -= w) < 0) return v;
      }
      return pairs[pairs.length - 1][1];
    },
  };
  return rng;
}

/** The seed of run `i` of a campaign seeded with `seed`. */
export function runSeed(seed, i) {
  const r = prng((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
  return Math.floor(r.next() * 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Workload data

/** Random content: incompressible, text-like, zeros, or a one-byte edit of an existing file. */
function content(rng, model) {
  const size = rng.weighted([[2, 0], [30, rng.int(1, 64 * KiB)], [40, rng.int(64 * KiB, 768 * KiB)], [8, rng.int(768 * KiB, 3 * MiB)]]);
  const kind = rng.weighted([[6, 'random'], [2, 'text'], [1, 'zeros'], [2, 'edit']]);
  if (kind === 'edit' && model.size > 0) {
    const base = rng.pick([...model.values()]).data;
    if (base.length > 0) {
      const data = base.slice();
      data[rng.int(0, data.length - 1)] ^= 0x5a;
      return data;
    }
  }
  if (kind === 'text') {
    const line = new TextEncoder().encode(`line ${rng.int(0, 1e9)} of the soak ${'xet '.repeat(rng.int(1, 20))}\n`);
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i += line.length) data.set(line.subarray(0, Math.min(line.length, size - i)), i);
    return data;
  }
  if (kind === 'zeros') return new Uint8Array(size);
  return new ByteGen(rng.int(1, 2 ** 31)).next(size).slice();
}

/** The same bytes as one of the source kinds an upload takes. */
async function asSource(rng, data, tmpDir) {
  const kind = rng.pick(['bytes', 'blob', 'stream', 'iterable', 'path']);
  const piece = rng.int(1, 256 * KiB);
  switch (kind) {
    case 'bytes':
      return { kind, source: data };
    case 'blob':
      return { kind, source: new Blob([data]) };
    case 'stream': {
      let at = 0;
      return {
        kind,
        source: new ReadableStream({
          pull(c) {
            if (at >= data.length) return c.close();
            c.enqueue(data.slice(at, at + piece));
            at += piece;
          },
        }),
      };
    }
    case 'iterable':
      return {
        kind,
        source: (async function* () {
          for (let at = 0; at < data.length; at += piece) yield data.slice(at, at + piece);
        })(),
      };
    default: {
      const file = path.join(tmpDir, `src-${rng.int(0, 2 ** 31)}.bin`);
      await fs.writeFile(file, data);
      return { kind, source: file };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Faults

// [weight for reads, weight for writes, method, path]: a rule mostly targets what the call uses.
const HUB_PATHS = [
  [0, 4, 'POST', '/api/buckets/*/batch'],
  [0, 2, 'GET', '/api/buckets/*/xet-write-token'],
  [2, 0, 'GET', '/api/buckets/*/xet-read-token'],
  [2, 1, 'GET', '/api/buckets/*/tree*'],
  [2, 0, 'POST', '/api/buckets/*/paths-info*'],
  [2, 2, '*', '/api/buckets/*'],
];
const CAS_PATHS = [
  [0, 3, 'POST', '/v1/xorbs/*'],
  [0, 2, 'POST', '/v1/shards'],
  [0, 2, 'GET', '/v1/chunks/*'],
  [3, 0, 'GET', '/v2/reconstructions/*'],
  [5, 0, 'GET', '/v1/fetch_term'],
  [1, 1, '*', '*'],
];

/**
 * A random fault plan for one call: 1–3 rules, maybe a network setting, maybe a mid-call
 * `/admin/expire-tokens`. `flipRanges: false` keeps flipByte off the CAS reads of ranges and
 * streams.
 */
function faultPlan(rng, { op, timeoutMs, flipRanges }) {
  const rules = [];
  const n = rng.weighted([[1, 0], [5, 1], [3, 2], [1, 3]]);
  for (let i = 0; i < n; i++) {
    const reads = ['download', 'range', 'stream', 'list'].includes(op.kind);
    const side = op.kind !== 'list' && rng.chance(0.65) ? 'cas' : 'hub';
    const [method, p] = rng.weighted((side === 'cas' ? CAS_PATHS : HUB_PATHS).map(([r, w, m, q]) => [reads ? r : w, [m, q]]));
    const kinds = [[8, 'status'], [2, 'hang'], [4, 'close'], [4, 'flipByte']];
    if (side === 'cas') kinds.push([2, 'expireToken']);
    let kind = rng.weighted(kinds);
    // Ranges and streams hand out bytes before any whole-file check: flips on their CAS reads
    // only with `flipRanges` (else the rule closes the connection instead).
    if (kind === 'flipByte' && side === 'cas' && !flipRanges && (op.kind === 'range' || op.kind === 'stream')) kind = 'close';
    const rule = { target: side, method, path: p, after: rng.weighted([[5, 0], [2, 1], [1, rng.int(2, 4)]]) };
    // Mostly transient (1–2 firings), sometimes for good (0 = every matching request).
    rule.count = rng.weighted([[6, 1], [3, 2], [2, 0]]);
    switch (kind) {
      case 'status': {
        const status = rng.weighted([[3, 503], [3, 429], [2, 500], [2, 502], [1, 504], [1, 408], [1, 403], [1, 404], [1, 400]]);
        rule.action = 'status';
        rule.status = status;
        if (status === 429 || status === 503) rule.retryAfterSecs = rng.weighted([[3, 0], [1, 1]]);
        break;
      }
      case 'hang':
        // Past the client's per-attempt timeout, or a short stall under it.
        rule.action = 'hang';
        rule.ms = rng.chance(0.6) ? timeoutMs + rng.int(200, 600) : rng.int(20, 200);
        // A long hang fires once or twice (forever would only time out every retry).
        if (rule.ms > timeoutMs) rule.count = rng.int(1, 2);
        break;
      case 'close':
        rule.action = 'close';
        if (rng.chance(0.5)) rule.afterBytes = rng.int(0, 4096);
        break;
      case 'flipByte':
        rule.action = 'flipByte';
        if (rng.chance(0.6)) rule.offset = rng.chance(0.5) ? rng.int(0, 4096) : -rng.int(1, 4096);
        break;
      default:
        rule.action = 'expireToken';
    }
    rules.push(rule);
  }
  const network = rng.chance(0.3)
    ? {
        latencyMs: rng.int(0, 30),
        bandwidthBytesPerSec: rng.chance(0.6) ? rng.int(4 * MiB, 32 * MiB) : null,
        target: rng.pick(['any', 'hub', 'cas']),
      }
    : null;
  const expireAfterMs = rng.chance(0.2) ? rng.int(0, 150) : null;
  return { rules, network, expireAfterMs };
}

// ---------------------------------------------------------------------------------------------
// State

/** `path → {size, xetHash}` of a model (`path → {data, xetHash}`). */
function expectedListing(model) {
  return new Map([...model].map(([p, f]) => [p, { size: f.data.length, xetHash: f.xetHash }]));
}

function sameListing(a, b) {
  if (a.size !== b.size) return false;
  for (const [p, f] of a) {
    const g = b.get(p);
    if (!g || g.size !== f.size || g.xetHash !== f.xetHash) return false;
  }
  return true;
}

async function listing(client, bucket) {
  const out = new Map();
  for await (const e of client.listBucketTree(bucket)) {
    if (e.type === 'file') out.set(e.path, { size: e.size, xetHash: e.xetHash });
  }
  return out;
}

function describeListing(l) {
  return JSON.stringify([...l].map(([p, f]) => `${p}:${f.size}:${f.xetHash.slice(0, 8)}`).sort());
}

function firstDiff(got, want, at = 0) {
  const n = Math.min(got.length, want.length - at);
  for (let i = 0; i < n; i++) if (got[i] !== want[at + i]) return i;
  return got.length > want.length - at ? n : -1;
}

// ---------------------------------------------------------------------------------------------
// The campaign

/**
 * Runs `runs` runs against `local` (a started local-hub, tests/js/helpers/local-hub.mjs).
 * @param {object} o
 * @param {object} o.local
 * @param {number} o.runs
 * @param {number} o.seed campaign seed (ignored for run seeds when `o.runSeeds` is given)
 * @param {number[]} [o.runSeeds] explicit run seeds (replay)
 * @param {boolean} [o.flipRanges] flipped bytes also on the CAS reads of ranges and streams, whose
 *   bytes are handed out before (or without) a whole-file check (default true)
 * @param {number} [o.maxRssMb] RSS above this is a failure (default 1536)
 * @param {(line: string) => void} [o.log]
 * @param {boolean} [o.trace] log every call with its fault plan, the faults fired and its outcome
 */
export async function campaign(o) {
  const log = o.log ?? (() => {});
  const flipRanges = o.flipRanges ?? true;
  const maxRssMb = o.maxRssMb ?? 1536;
  const timeoutMs = 1000;
  const { local } = o;
  // Fast retries and a short per-attempt timeout, so hangs time out and budgets run out quickly.
  const client = new BucketClient({
    endpoint: local.hub,
    accessToken: local.token,
    retry: { retries: 3, initialDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 1500, timeoutMs },
  });
  // Checks run with faults cleared, on a client of its own.
  const checker = new BucketClient({ endpoint: local.hub, accessToken: local.token });
  const tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hf-soak-'));

  const report = {
    seed: o.seed,
    runs: 0,
    calls: 0,
    faultsFired: {},
    networkShaped: 0,
    tokenExpiries: 0,
    outcomes: {},
    afterOnFailure: 0,
    wrongBytes: 0,
    wrongBytesBy: {},
    partialCommits: 0,
    untypedErrors: 0,
    unhandledRejections: 0,
    peakRssMb: 0,
    failures: [],
  };
  const bump = (table, key, n = 1) => {
    table[key] = (table[key] ?? 0) + n;
  };
  const onUnhandled = (reason) => {
    report.unhandledRejections += 1;
    report.failures.push({ run: report.runs, seed: current.seed, what: `unhandled rejection: ${reason?.name ?? ''} ${reason?.message ?? reason}` });
  };
  process.on('unhandledRejection', onUnhandled);
  const sampleRss = () => {
    report.peakRssMb = Math.max(report.peakRssMb, Math.round(process.memoryUsage().rss / MiB));
  };
  const rssTimer = setInterval(sampleRss, 100);
  const current = { seed: 0 };
  const seeds = o.runSeeds ?? Array.from({ length: o.runs }, (_, i) => runSeed(o.seed, i));

  try {
    for (let i = 0; i < seeds.length; i++) {
      current.seed = seeds[i];
      const failures = await oneRun(i, seeds[i]);
      report.runs += 1;
      sampleRss();
      if (report.peakRssMb > maxRssMb) failures.push(`peak RSS ${report.peakRssMb} MB > ${maxRssMb} MB`);
      for (const what of failures) report.failures.push({ run: i, seed: seeds[i], what });
      if (failures.length) log(`run ${i} (seed ${seeds[i]}) FAILED:\n  ${failures.join('\n  ')}`);
      else if ((i + 1) % 10 === 0) log(`${i + 1} runs, peak RSS ${report.peakRssMb} MB`);
    }
  } finally {
    clearInterval(rssTimer);
    // Let late rejections surface before the handler goes.
    await new Promise((r) => setTimeout(r, 50));
    process.off('unhandledRejection', onUnhandled);
    await local.clearFaults().catch(() => {});
    await fs.rm(tmpDir, { recursive: true, force: true });
  }
  return report;

  /** One run: returns its failures (strings). */
  async function oneRun(index, seed) {
    const rng = prng(seed);
    const failures = [];
    await local.clearFaults();
    const { bucketId: bucket } = await checker.createBucket(`soak-${seed.toString(36)}-${index.toString(36)}`, { existOk: true });
    /** `path → {data, xetHash}`: what the bucket holds. */
    let model = new Map();
    let nextName = 0;
    const newPath = () => `${rng.pick(['', 'a/', 'a/b/', 'c/'])}f${nextName++}.bin`;

    // Baseline, without faults.
    const baseline = [];
    for (let k = rng.int(1, 3); k > 0; k--) baseline.push({ destination: newPath(), data: content(rng, model) });
    await checker.batchBucketFiles(bucket, { add: baseline.map((f) => ({ destination: f.destination, source: f.data })) });
    for (const f of baseline) model.set(f.destination, { data: f.data, xetHash: fileHash(f.data) });

    const ops = rng.int(3, 6);
    for (let k = 0; k < ops; k++) {
      const op = pickOp(rng, model);
      const plan = faultPlan(rng, { op, timeoutMs, flipRanges });
      const label = `op ${k} ${op.kind}${op.detail ? ` (${op.detail})` : ''}`;
      const prepared = await prepare(rng, op, model, newPath);
      const { ids } = await local.addFault(plan.rules);
      if (plan.network) {
        await local.setNetwork(plan.network);
        report.networkShaped += 1;
      }
      let expiry = null;
      if (plan.expireAfterMs !== null) {
        expiry = new Promise((r) => setTimeout(r, plan.expireAfterMs)).then(() => local.expireTokens());
        report.tokenExpiries += 1;
      }
      /** What the call got wrong, recorded as it happens (a stream may fail after wrong pieces). */
      const outcome = { error: null, wrong: [], mismatch: [] };
      try {
        await runOp(op, prepared, bucket, model, outcome);
      } catch (e) {
        outcome.error = e;
      }
      if (prepared.file) await fs.rm(prepared.file, { force: true });
      await expiry;
      report.calls += 1;

      // Faults fired, then cleared.
      const { rules: live } = await local.faults();
      let hubHangMs = 0;
      for (const r of live.filter((x) => ids.includes(x.id) && x.fired > 0)) {
        bump(report.faultsFired, r.action === 'status' ? `status ${r.status}` : r.action, r.fired);
        if (r.action === 'hang' && r.target === 'hub') hubHangMs = Math.max(hubHangMs, r.ms);
      }
      await local.clearFaults();

      // The call's own result.
      if (outcome.error) {
        const e = outcome.error;
        bump(report.outcomes, `${op.kind}: ${e?.name ?? typeof e}`);
        if (!TYPED.has(e?.name) || !(e instanceof Error) || typeof e.retryable !== 'boolean') {
          report.untypedErrors += 1;
          failures.push(`${label}: untyped rejection ${e?.name}: ${e?.message ?? e} (retryable ${e?.retryable})`);
        }
      } else {
        bump(report.outcomes, `${op.kind}: ok`);
      }
      const then = outcome.error ? `, then rejected with ${outcome.error.name}` : '';
      for (const problem of outcome.wrong) {
        report.wrongBytes += 1;
        bump(report.wrongBytesBy, `${op.ranged ? 'range' : 'whole file'} ${op.kind === 'stream' ? 'stream' : 'read'}${outcome.error ? `, then ${outcome.error.name}` : ''}`);
        failures.push(`${label}: WRONG BYTES ${problem}${then}`);
      }
      for (const problem of outcome.mismatch) failures.push(`${label}: ${problem}`);
      if (o.trace) {
        const fired = live.filter((x) => ids.includes(x.id)).map((x) => `${x.action}${x.status ? ` ${x.status}` : ''} ${x.target} ${x.method ?? '*'} ${x.path} fired ${x.fired}`);
        log(`run ${index} ${label}: ${outcome.error ? `${outcome.error.name}: ${outcome.error.message}` : 'ok'}\n    rules: ${fired.join('; ') || 'none'}${plan.network ? `\n    network: ${JSON.stringify(plan.network)}` : ''}${plan.expireAfterMs !== null ? `\n    /admin/expire-tokens after ${plan.expireAfterMs} ms` : ''}`);
      }

      // A mutation: the bucket is exactly before or after.
      if (prepared.after) {
        // A Hub request held by a hang fault is still served once the hang ends, after the
        // client gave up on it: wait for it.
        if (hubHangMs) await new Promise((r) => setTimeout(r, hubHangMs + 300));
        const got = await listing(checker, bucket);
        const before = expectedListing(model);
        const after = expectedListing(prepared.after);
        if (sameListing(got, after)) {
          if (outcome.error) report.afterOnFailure += 1;
          model = prepared.after;
        } else if (sameListing(got, before) && outcome.error) {
          // Failed and not applied.
        } else {
          report.partialCommits += 1;
          failures.push(
            `${label}: bucket is neither before nor after (${outcome.error ? `rejected ${outcome.error.name}` : 'resolved'}):\n` +
              `    got    ${describeListing(got)}\n    before ${describeListing(before)}\n    after  ${describeListing(after)}`,
          );
          model = new Map(); // unknown: stop checking this run's state
          break;
        }
      }
    }

    // Every file, whole, without faults.
    if (!failures.length) {
      for (const [p, f] of model) {
        try {
          const got = await checker.getBucketFile(bucket, { path: p });
          if (firstDiff(got, f.data) !== -1 || got.length !== f.data.length) {
            report.wrongBytes += 1;
            bump(report.wrongBytesBy, 'final read without faults');
            failures.push(`final read of ${p}: WRONG BYTES (${got.length} vs ${f.data.length})`);
          }
        } catch (e) {
          failures.push(`final read of ${p} without faults: ${e?.name}: ${e?.message}`);
        }
      }
    }
    await checker.deleteBucket(bucket, { missingOk: true }).catch(() => {});
    return failures;
  }

  /** A random operation on the current model. */
  function pickOp(rng, model) {
    const files = [...model.keys()];
    const kind = rng.weighted([
      [3, 'upload'],
      [3, 'batch'],
      [files.length ? 3 : 0, 'download'],
      [files.length ? 3 : 0, 'range'],
      [files.length ? 3 : 0, 'stream'],
      [2, 'list'],
    ]);
    const op = { kind };
    if (kind === 'download' || kind === 'range' || kind === 'stream') {
      op.path = rng.pick(files);
      const size = model.get(op.path).data.length;
      if (kind === 'range' || (kind === 'stream' && rng.chance(0.4))) {
        if (size > 0) {
          const start = rng.int(0, size - 1);
          op.range = { start, end: rng.int(start + 1, size) };
          op.ranged = true;
        }
      }
      if (kind === 'stream') op.cancelAfter = rng.chance(0.2) ? rng.int(1, 3) : 0;
      op.detail = `${op.path}${op.range ? ` ${op.range.start}..${op.range.end}` : ''} of ${size}`;
    }
    return op;
  }

  /** Builds the call's arguments and, for mutations, the model after it. */
  async function prepare(rng, op, model, newPath) {
    if (op.kind === 'upload') {
      const destination = files(model).length && rng.chance(0.25) ? rng.pick(files(model)) : newPath();
      const data = content(rng, model);
      const { kind, source } = await asSource(rng, data, tmpDir);
      op.detail = `${destination} ${data.length} B from ${kind}`;
      const after = new Map(model);
      after.set(destination, { data, xetHash: fileHash(data) });
      return { destination, data, source, after, file: kind === 'path' ? source : null };
    }
    if (op.kind === 'batch') {
      const after = new Map(model);
      const add = [];
      const copy = [];
      const del = [];
      const touched = new Set();
      for (let k = rng.int(0, 3); k > 0; k--) {
        const destination = newPath();
        touched.add(destination);
        if (model.size && rng.chance(0.3)) {
          // By hash, content already stored.
          const src = model.get(rng.pick(files(model)));
          add.push({ destination, xetHash: src.xetHash });
          after.set(destination, src);
        } else {
          const data = content(rng, model);
          const { source } = await asSource(rng, data, tmpDir);
          add.push({ destination, source });
          after.set(destination, { data, xetHash: fileHash(data) });
        }
      }
      for (let k = model.size ? rng.int(0, 2) : 0; k > 0; k--) {
        const destination = rng.chance(0.5) ? newPath() : rng.pick(files(model));
        if (touched.has(destination)) continue;
        touched.add(destination);
        const src = model.get(rng.pick(files(model)));
        copy.push({ destination, xetHash: src.xetHash, sourceType: 'bucket', sourceId: null });
        after.set(destination, src);
      }
      for (let k = model.size ? rng.int(0, 2) : 0; k > 0; k--) {
        const p = rng.chance(0.85) ? rng.pick(files(model)) : `missing-${rng.int(0, 99)}.bin`;
        if (touched.has(p)) continue;
        touched.add(p);
        del.push(p);
        after.delete(p);
      }
      if (!add.length && !copy.length && !del.length) {
        const empty = new Uint8Array(0);
        const destination = newPath();
        add.push({ destination, xetHash: fileHash(empty) });
        after.set(destination, { data: empty, xetHash: fileHash(empty) });
      }
      op.detail = `${add.length} adds, ${copy.length} copies, ${del.length} deletes`;
      return { add, copy, delete: del, after };
    }
    return {};
  }

  function files(model) {
    return [...model.keys()];
  }

  /** Performs the call, recording in `out.wrong` / `out.mismatch` what it got wrong (throws its rejection). */
  async function runOp(op, prepared, bucket, model, out) {
    switch (op.kind) {
      case 'upload': {
        const r = await client.uploadBucketFile(bucket, { source: prepared.source, destination: prepared.destination });
        const want = prepared.after.get(prepared.destination);
        if (r.xetHash !== want.xetHash || r.size !== want.data.length) out.mismatch.push(`upload result ${r.xetHash}/${r.size}, expected ${want.xetHash}/${want.data.length}`);
        if (!r.batch?.success) out.mismatch.push('upload resolved with an unsuccessful batch');
        return;
      }
      case 'batch': {
        const copy = prepared.copy.map((c) => ({ ...c, sourceId: bucket }));
        const r = await client.batchBucketFiles(bucket, { add: prepared.add, copy, delete: prepared.delete });
        if (!r.success) out.mismatch.push(`batch resolved with failures: ${JSON.stringify(r.failed)}`);
        return;
      }
      case 'download':
      case 'range': {
        const want = model.get(op.path).data;
        const at = op.range?.start ?? 0;
        const length = op.range ? op.range.end - op.range.start : want.length;
        const got = await client.getBucketFile(bucket, { path: op.path, range: op.range });
        if (got.length !== length) out.wrong.push(`${got.length} bytes returned, ${length} expected`);
        const d = firstDiff(got, want, at);
        if (d !== -1) out.wrong.push(`byte ${at + d} differs${op.ranged ? ' (a range)' : ''}`);
        return;
      }
      case 'stream': {
        const want = model.get(op.path).data;
        const at = op.range?.start ?? 0;
        const length = op.range ? op.range.end - op.range.start : want.length;
        const stream = await client.openBucketFile(bucket, { path: op.path, range: op.range });
        const reader = stream.getReader();
        let got = 0;
        let pieces = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const d = firstDiff(value, want, at + got);
          if (d !== -1 && !out.wrong.length) out.wrong.push(`stream byte ${at + got + d} differs${op.ranged ? ' (a range)' : ''}`);
          got += value.length;
          pieces += 1;
          if (op.cancelAfter && pieces >= op.cancelAfter) {
            if (out.wrong.length) out.wrong[0] += `, then cancelled by the reader (before the stream's checks ended)`;
            await reader.cancel();
            return;
          }
        }
        if (got !== length) out.wrong.push(`stream ended after ${got} bytes, ${length} expected`);
        return;
      }
      default: {
        const got = await listing(client, bucket);
        const want = expectedListing(model);
        if (!sameListing(got, want)) out.mismatch.push(`listing ${describeListing(got)}, expected ${describeListing(want)}`);
      }
    }
  }
}

/** The campaign's report as text. */
export function formatReport(r, wallMs) {
  const table = (t) =>
    Object.entries(t)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `    ${k}: ${v}`)
      .join('\n');
  const lines = [
    `soak: seed ${r.seed}, ${r.runs} runs, ${r.calls} faulted calls, ${(wallMs / 1000).toFixed(1)} s, peak RSS ${r.peakRssMb} MB`,
    `  faults fired by kind (+ ${r.networkShaped} calls with latency/bandwidth caps, ${r.tokenExpiries} mid-call /admin/expire-tokens):`,
    table(r.faultsFired),
    '  outcomes:',
    table(r.outcomes),
    `  failed calls found applied ("after"): ${r.afterOnFailure}`,
    `  wrong bytes: ${r.wrongBytes}${r.wrongBytes ? ` (${Object.entries(r.wrongBytesBy).map(([k, v]) => `${k}: ${v}`).join('; ')})` : ''}, partial commits: ${r.partialCommits}, untyped errors: ${r.untypedErrors}, unhandled rejections: ${r.unhandledRejections}`,
  ];
  if (r.failures.length) {
    lines.push(`  FAILURES (${r.failures.length}); replay one with: npm run soak -- --run-seed SEED`);
    for (const f of r.failures.slice(0, 40)) lines.push(`    run ${f.run} seed ${f.seed}: ${f.what.split('\n').join('\n      ')}`);
  } else {
    lines.push('  no failure');
  }
  return lines.join('\n');
}
