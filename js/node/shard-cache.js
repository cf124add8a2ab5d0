// Node's local shard cache (src/upload/cache.rs; installed into the wasm engine through
// js/transport-hooks.js): the shards of recent upload sessions, so that uploading recent content
// again finds its chunks here instead of asking the CAS's global-dedup index, as the official
// client's shard cache does. One folder per CAS:
//
//   <root>/shards/<16 hex digits of the CAS URL's SHA-256>/
//     <16 hex digits of the shard's SHA-256>.shard   a session shard, as the CAS accepted it
//     index                                          40-byte records: chunk hash, shard id
//
// <root> is $HF_BUCKETS_CACHE, else <$HF_HOME or $XDG_CACHE_HOME/huggingface or
// ~/.cache/huggingface>/hf-buckets. The folder may be deleted at any time. Bounded: past
// $HF_BUCKETS_SHARD_CACHE_MIB (default 64) of shards, the oldest go, and shards older than a
// week are neither used nor kept. Off with
// HF_BUCKETS_SHARD_CACHE=0 (or an upload's `shardCache: false`). Any failure here is a miss: a
// cache never fails an upload.

import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setShardCache } from '../../dist/client/js/transport-hooks.js';

/** Bytes of an index record: a chunk hash, then the id of the shard that lists it. */
const RECORD = 32 + 8;
/**
 * Shards older than this are not used (and go at the next store): the xorbs they list could
 * have been removed from the CAS since, and a session shard that names a missing xorb is refused.
 */
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/** Loaded indexes, by folder: chunk hash (hex) → shard id (hex). @type {Map<string, Map<string, string>>} */
const indexes = new Map();

const sha256 = (/** @type {string | Uint8Array} */ data) => createHash('sha256').update(data).digest('hex');

/** On unless HF_BUCKETS_SHARD_CACHE=0; off where the environment cannot be read (Deno without `--allow-env`). */
function enabled() {
  try {
    return process.env.HF_BUCKETS_SHARD_CACHE !== '0';
  } catch {
    return false;
  }
}

/** The cache folder of the CAS at `casUrl`. @param {string} casUrl */
function folder(casUrl) {
  const env = process.env;
  const root =
    env.HF_BUCKETS_CACHE ||
    join(env.HF_HOME || (env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'huggingface') : join(homedir(), '.cache', 'huggingface')), 'hf-buckets');
  return join(root, 'shards', sha256(casUrl).slice(0, 16));
}

/** Most bytes of shards kept per folder. */
function limit() {
  const mib = Number(process.env.HF_BUCKETS_SHARD_CACHE_MIB ?? 64);
  return Number.isFinite(mib) && mib >= 0 ? mib * 2 ** 20 : 64 * 2 ** 20;
}

/** @param {string} dir */
function index(dir) {
  let map = indexes.get(dir);
  if (map) return map;
  map = new Map();
  try {
    const bytes = readFileSync(join(dir, 'index'));
    // A record cut short (a writer stopped mid-append) is left out.
    for (let at = 0; at + RECORD <= bytes.length; at += RECORD) {
      map.set(bytes.toString('hex', at, at + 32), bytes.toString('hex', at + 32, at + RECORD));
    }
  } catch {
    // no index yet
  }
  indexes.set(dir, map);
  return map;
}

/**
 * The kept shard of folder `dir` that lists the chunk `chunk` (its 32 bytes), if any.
 * @param {string} dir
 * @param {Uint8Array} chunk
 */
function lookup(dir, chunk) {
  const map = index(dir);
  const hash = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('hex');
  const id = map.get(hash);
  if (!id) return undefined;
  try {
    const file = join(dir, `${id}.shard`);
    if (Date.now() - statSync(file).mtimeMs > MAX_AGE_MS) return undefined;
    return readFileSync(file);
  } catch {
    map.delete(hash); // deleted meanwhile
    return undefined;
  }
}

/**
 * Keeps `shard` in folder `dir` under `keys` (32-byte chunk hashes, one after another), then
 * forgets the oldest shards past the size limit.
 * @param {string} dir
 * @param {Uint8Array} shard
 * @param {Uint8Array} keys
 */
function store(dir, shard, keys) {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const id = sha256(shard).slice(0, 16);
    const file = join(dir, `${id}.shard`);
    // Whole or not at all: written aside, then renamed into place.
    const aside = `${file}.${process.pid}.tmp`;
    writeFileSync(aside, shard);
    renameSync(aside, file);
    const records = Buffer.alloc((keys.length / 32) * RECORD);
    const map = index(dir);
    for (let k = 0, at = 0; k + 32 <= keys.length; k += 32, at += RECORD) {
      records.set(keys.subarray(k, k + 32), at);
      records.write(id, at + 32, 'hex');
      map.set(Buffer.from(keys.buffer, keys.byteOffset + k, 32).toString('hex'), id);
    }
    appendFileSync(join(dir, 'index'), records);
    evict(dir, map);
  } catch {
    // A cache that cannot be written is a cache that misses.
  }
}

/**
 * Deletes the oldest shards while they hold more than the limit, and rewrites the index
 * without them.
 * @param {string} dir
 * @param {Map<string, string>} map
 */
function evict(dir, map) {
  const shards = readdirSync(dir)
    .filter((name) => name.endsWith('.shard'))
    .map((name) => {
      const info = statSync(join(dir, name));
      return { id: name.slice(0, -'.shard'.length), size: info.size, mtime: info.mtimeMs };
    })
    .sort((a, b) => a.mtime - b.mtime);
  let total = shards.reduce((sum, s) => sum + s.size, 0);
  const gone = new Set();
  const now = Date.now();
  for (const s of shards) {
    if (total <= limit() && now - s.mtime <= MAX_AGE_MS) break;
    unlinkSync(join(dir, `${s.id}.shard`));
    gone.add(s.id);
    total -= s.size;
  }
  if (gone.size === 0) return;
  for (const [hash, id] of map) if (gone.has(id)) map.delete(hash);
  const records = Buffer.alloc(map.size * RECORD);
  let at = 0;
  for (const [hash, id] of map) {
    records.write(hash, at, 'hex');
    records.write(id, at + 32, 'hex');
    at += RECORD;
  }
  const aside = join(dir, `index.${process.pid}.tmp`);
  writeFileSync(aside, records);
  renameSync(aside, join(dir, 'index'));
}

/**
 * The cache of the CAS at `casUrl` for one upload (its folder and the environment are read
 * once, not at each of its dedup queries), or `undefined` when the cache is off.
 * @param {string} casUrl
 */
function open(casUrl) {
  if (!enabled()) return undefined;
  const dir = folder(casUrl);
  return {
    /** @param {Uint8Array} chunk */
    lookup: (chunk) => lookup(dir, chunk),
    /** @param {Uint8Array} shard @param {Uint8Array} keys */
    store: (shard, keys) => store(dir, shard, keys),
  };
}

setShardCache({ open });
