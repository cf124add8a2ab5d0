// A chunking worker of `ParallelChunker` under Node (worker_threads); see parallel.js.
import { parentPort } from 'node:worker_threads';
import './node.js';
import { onSegment } from './segment-task.js';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
port.on('message', (message) => {
  const [reply, transfer] = onSegment(message);
  port.postMessage(reply, /** @type {any[]} */ (transfer));
});
port.postMessage({ ready: true });
