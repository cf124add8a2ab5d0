// A chunking worker of `ParallelChunker` in browsers (a module Web Worker); see parallel.js.
//
// No top-level await and no dynamic import: bundlers build workers as one script (Vite's default
// worker format is IIFE). The handler is set at once and messages wait for the wasm, in order
// (a handler set after an `await` would miss the first segments).
import init from '../../dist/xet/hf_buckets_xet.js';
import { onSegment } from './segment-task.js';

/** The worker's global scope, as far as this file uses it (lib "DOM" types `self` as a Window). */
const scope = /** @type {{ postMessage(message: any, transfer?: Transferable[]): void, onmessage: any }} */ (
  /** @type {unknown} */ (self));
const ready = init({ module_or_path: new URL('../../dist/xet/hf_buckets_xet_bg.wasm', import.meta.url) });
scope.onmessage = (/** @type {MessageEvent} */ event) => {
  ready.then(
    () => scope.postMessage(...onSegment(event.data)),
    (error) => scope.postMessage({ id: event.data?.id, error: `the wasm did not load: ${error}` }),
  );
};
ready.then(() => scope.postMessage({ ready: true }), () => {});
