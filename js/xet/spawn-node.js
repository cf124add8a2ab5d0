// Starts a chunking worker of `ParallelChunker` under Node (worker_threads). An idle worker does
// not keep the process alive (unref); parallel.js refs it while a segment is in flight.
import { Worker } from 'node:worker_threads';

/** @type {import('./parallel.js').SpawnSegmentWorker} */
export function spawnSegmentWorker(onMessage, onError) {
  const worker = new Worker(new URL('./worker-node.js', import.meta.url), {
    // A worker inherits the process's Node flags; `--input-type` (of `node -e`) makes it fail.
    execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')),
  });
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', (code) => {
    if (code !== 0) onError(new Error(`chunking worker exited with code ${code}`));
  });
  worker.unref();
  return {
    post: (message, transfer) => worker.postMessage(message, /** @type {any} */ (transfer)),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate: () => void worker.terminate(),
  };
}
