// Starts a chunking worker of `ParallelChunker` in browsers: a module Web Worker (no
// SharedArrayBuffer, so no cross-origin isolation needed). `undefined` where there are no
// workers; parallel.js then chunks on the calling thread.
//
// The worker's URL is written out literally below, so that bundlers (Vite, webpack) see it and
// bundle the worker. A page that loads the package from another origin (a CDN) cannot start a
// worker from that origin directly: the worker is then started through a same-origin blob
// module that imports the script (which the CDN serves with CORS, as it does the package).

/** Where the worker script is, for the blob module (a name bundlers do not rewrite). */
const WORKER_FILE = './worker-browser.js';

/** @type {import('./parallel.js').SpawnSegmentWorker} */
export function spawnSegmentWorker(onMessage, onError) {
  if (typeof Worker !== 'function') return undefined;
  let worker;
  try {
    worker = new Worker(new URL('./worker-browser.js', import.meta.url), { type: 'module' });
  } catch (error) {
    worker = throughBlob(error);
    if (!worker) return undefined;
  }
  worker.onmessage = (event) => onMessage(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    onError(new Error(event.message || 'chunking worker failed to load or run'));
  };
  const started = worker;
  return {
    post: (message, transfer) => started.postMessage(message, transfer),
    ref: () => {},
    unref: () => {},
    terminate: () => started.terminate(),
  };
}

/**
 * After `new Worker(url)` threw: a worker started from a same-origin blob module that imports
 * the script, when the script is on another origin; else undefined.
 * @param {unknown} error why the direct start failed
 * @returns {Worker | undefined}
 */
function throughBlob(error) {
  let url;
  try {
    url = new URL(WORKER_FILE, import.meta.url);
  } catch {
    return undefined;
  }
  const crossOrigin = typeof location !== 'undefined' && url.origin !== location.origin;
  if (!crossOrigin || typeof Blob !== 'function' || !(error instanceof Error)) return undefined;
  let shim;
  try {
    shim = URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' }));
    return new Worker(shim, { type: 'module' });
  } catch {
    return undefined;
  } finally {
    // The worker has fetched its script by the time it runs; revoking later is harmless.
    if (shim) setTimeout(() => URL.revokeObjectURL(shim), 60_000);
  }
}
