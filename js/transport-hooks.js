// What a platform's entry installs into the wasm transport (src/transport/fetch.rs, read by
// src/bindings/client.rs when a client is made). Node's entry (js/node/small-get.js) installs a
// GET for small answers over node:http; elsewhere nothing is installed and `fetch` does all.

let smallGet;

/**
 * Installs `fn(url, headers, max)`: sends a bodiless GET (`headers` a flat `[name, value, …]`
 * array) and resolves to `[status, headers, body]` (`headers` as `name: value` lines joined by
 * CRLF, `body` a Uint8Array of at most `max` bytes), or rejects when no answer came. Clients made afterwards use it for requests marked as
 * having small answers, unless they were given their own `fetch`.
 */
export function setSmallGet(fn) {
  smallGet = fn;
}

/** The installed function, if any. */
export function installedSmallGet() {
  return smallGet;
}

let shardCache;

/**
 * Installs the platform's local shard cache (Node's entry: js/node/shard-cache.js): an object
 * `{ lookup(casUrl, chunkHash) → Uint8Array | undefined, store(casUrl, shard, keys) }`
 * (`chunkHash`: the hash's 32 bytes)
 * (`keys`: the 32-byte chunk hashes the shard is kept under, one after another). Uploads made
 * afterwards use it unless called with `shardCache: false`.
 */
export function setShardCache(cache) {
  shardCache = cache;
}

/** The installed shard cache, if any. */
export function installedShardCache() {
  return shardCache;
}
