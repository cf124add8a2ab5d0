// A chunking worker of `ParallelChunker` in browsers (a module Web Worker); see parallel.js.
import './browser.js';
import { onSegment } from './segment-task.js';

/** The worker's global scope, as far as this file uses it (lib "DOM" types `self` as a Window). */
const scope = /** @type {{ postMessage(message: any, transfer: Transferable[]): void, onmessage: any }} */ (
  /** @type {unknown} */ (self));
scope.onmessage = (/** @type {MessageEvent} */ event) => scope.postMessage(...onSegment(event.data));
