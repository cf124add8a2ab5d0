// The wasm client behind each `BucketClient` (js/index.js registers it), for the package's own
// modules that must reach it with a caller's client, e.g. sync planning with `client` given
// (js/sync-exec.js). Not exported by the package.

/** @type {WeakMap<object, any>} */
export const rawClients = new WeakMap();
