// Starts a chunking worker of `ParallelChunker` in browsers: a module Web Worker (no
// SharedArrayBuffer, so no cross-origin isolation needed). `undefined` where there are no
// workers; parallel.js then chunks on the calling thread.

/** @type {import('./parallel.js').SpawnSegmentWorker} */
export function spawnSegmentWorker(onMessage, onError) {
  if (typeof Worker !== 'function') return undefined;
  let worker;
  try {
    worker = new Worker(new URL('./worker-browser.js', import.meta.url), { type: 'module' });
  } catch {
    return undefined;
  }
  worker.onmessage = (event) => onMessage(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    onError(new Error(event.message || 'chunking worker failed to load or run'));
  };
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    ref: () => {},
    unref: () => {},
    terminate: () => worker.terminate(),
  };
}
