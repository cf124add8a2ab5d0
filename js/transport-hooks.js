// What a platform's entry installs into the wasm transport (src/transport/fetch.rs, read by
// src/bindings/client.rs when a client is made). Node's entry (js/node/whole-get.js) installs a
// request function for answers read whole over its own HTTP/1.1 client; elsewhere nothing is
// installed and `fetch` does all.

let wholeGet;

/**
 * Installs `fn(url, headers, max, method, size, pull)`: sends a request (`headers` a flat
 * `[name, value, …]` array; with a body of `size` bytes that `pull(at)` hands out a piece at a
 * time from offset `at`, `undefined` past its end) and resolves to `[status, headers, body]`
 * (`headers` as `name: value` lines joined by CRLF, `body` a Uint8Array or an array of them in
 * order, at most `max` bytes in all), or rejects when no answer came (`code:
 * "ERR_HFB_TOO_LARGE"` past `max`); the promise may have an `abort()` method. Clients made
 * afterwards use it for requests whose answer is wanted whole (Hub API calls, dedup queries,
 * xorb and shard uploads, a download's range reads), unless they were given their own `fetch`.
 */
export function setWholeGet(fn) {
  wholeGet = fn;
}

/** The installed function, if any. */
export function installedWholeGet() {
  return wholeGet;
}

let shardCache;

/**
 * Installs the platform's local shard cache (Node's entry: js/node/shard-cache.js): an object
 * `{ open(casUrl) }` that an upload calls once per CAS URL; it returns `undefined` when the
 * cache is off, else `{ lookup(chunkHash) → Uint8Array | undefined, store(shard, keys) }`
 * (`chunkHash`: the hash's 32 bytes; `keys`: the 32-byte chunk hashes the shard is kept under,
 * one after another). Uploads made afterwards use it unless called with `shardCache: false`.
 */
export function setShardCache(cache) {
  shardCache = cache;
}

/** The installed shard cache, if any. */
export function installedShardCache() {
  return shardCache;
}
