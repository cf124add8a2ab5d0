// A chunking worker of `ParallelChunker` in browsers (a module Web Worker); see parallel.js.
//
// The handler is set before the wasm loads: a module worker dispatches messages while its
// top-level await is pending, so a handler set after `await` (a static import of browser.js)
// would miss the first segments. Messages wait for the wasm instead, in order.

/** The worker's global scope, as far as this file uses it (lib "DOM" types `self` as a Window). */
const scope = /** @type {{ postMessage(message: any, transfer?: Transferable[]): void, onmessage: any }} */ (
  /** @type {unknown} */ (self));
const ready = import('./browser.js').then(() => import('./segment-task.js'));
scope.onmessage = (/** @type {MessageEvent} */ event) => {
  ready.then(
    ({ onSegment }) => scope.postMessage(...onSegment(event.data)),
    (error) => scope.postMessage({ id: event.data?.id, error: `the wasm did not load: ${error}` }),
  );
};
