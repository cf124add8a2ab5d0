// The error of explicit wasm initialisation, shared by the manual entries (`hf-buckets/manual`,
// `hf-buckets/xet/manual`): for builds that cannot resolve `new URL('…wasm', import.meta.url)`
// (esbuild, Rollup without an asset plugin, a CDN, a page that serves the wasm from elsewhere).
// The loader itself is ./wasm-loader.js (internal; this file's types are public: wasm-init.d.ts).
//
// `init({ wasm })` loads the wasm once; `wasm` is a URL (string or `URL`), a `Request`, a
// `Response` (or a promise of one, e.g. `fetch(url)`), a compiled `WebAssembly.Module`, or the
// bytes (`ArrayBuffer` or a typed array). Until it has finished, every export that needs the
// wasm fails with an `InitError` (code `NOT_INITIALIZED`) that says what to call; promise-returning
// calls made while `init` is running wait for it instead. No `eval` and no `new Function` here or
// in the generated bindings, so a CSP with `script-src 'self' 'wasm-unsafe-eval'` is enough.

/** Thrown by the manual entries: the wasm is not initialised, or `init` failed. */
export class InitError extends Error {
  /**
   * @param {string} message
   * @param {{ code?: 'NOT_INITIALIZED' | 'INVALID_ARGUMENT' | 'INIT_FAILED', cause?: unknown }} [options]
   */
  constructor(message, { code = 'NOT_INITIALIZED', cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'InitError';
    this.code = code;
  }
}

/**
 * Whether `value` is an `InitError`, also across realms and package copies (compares `name`).
 * @param {unknown} value
 * @returns {value is InitError}
 */
export function isInitError(value) {
  return value instanceof InitError || (value instanceof Error && value.name === 'InitError');
}
