// Explicit wasm initialisation, shared by the manual entries (`hf-buckets/manual`,
// `hf-buckets/xet/manual`): for builds that cannot resolve `new URL('…wasm', import.meta.url)`
// (esbuild, Rollup without an asset plugin, a CDN, a page that serves the wasm from elsewhere).
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

const isWasmSource = (wasm) =>
  typeof wasm === 'string' ||
  (typeof URL === 'function' && wasm instanceof URL) ||
  (typeof Request === 'function' && wasm instanceof Request) ||
  (typeof Response === 'function' && wasm instanceof Response) ||
  wasm instanceof WebAssembly.Module ||
  wasm instanceof ArrayBuffer ||
  ArrayBuffer.isView(wasm) ||
  typeof wasm?.then === 'function';

/**
 * The initialisation state of one wasm flavour.
 * @param {string} entry the entry's specifier, for messages (e.g. `hf-buckets/manual`)
 * @param {string} wasmFile the specifier of its .wasm file (e.g. `hf-buckets/client.wasm`)
 * @param {(options: { module_or_path: unknown }) => Promise<unknown>} load the generated bindings' `init`
 */
export function wasmInit(entry, wasmFile, load) {
  /** @type {'idle' | 'pending' | 'ready'} */
  let state = 'idle';
  /** @type {Promise<void> | null} */
  let pending = null;

  const notReady = () =>
    new InitError(
      state === 'pending'
        ? `${entry}: init() has not finished yet; await it before using this export`
        : `${entry}: the wasm is not initialised yet; call \`await init({ wasm })\` first, where wasm is ` +
            `the URL of '${wasmFile}' (e.g. from \`import wasm from '${wasmFile}'\` with a file/asset ` +
            `loader), a Response, a WebAssembly.Module or its bytes`,
    );

  /** @param {{ wasm?: unknown }} [options] */
  function init(options = {}) {
    if (state === 'ready') return Promise.resolve();
    if (pending) return pending;
    const wasm = options?.wasm;
    if (options === null || typeof options !== 'object' || (wasm !== undefined && !isWasmSource(wasm))) {
      return Promise.reject(
        new InitError(
          `${entry}: init() takes { wasm }, with wasm a URL, a Request, a Response, a WebAssembly.Module or bytes`,
          { code: 'INVALID_ARGUMENT' },
        ),
      );
    }
    state = 'pending';
    pending = Promise.resolve()
      .then(() => load(wasm === undefined ? undefined : { module_or_path: wasm }))
      .then(
        () => {
          state = 'ready';
        },
        (cause) => {
          state = 'idle';
          pending = null;
          throw new InitError(`${entry}: the wasm could not be loaded: ${cause?.message ?? cause}`, {
            code: 'INIT_FAILED',
            cause,
          });
        },
      );
    return pending;
  }

  /** Throws unless initialised. */
  function assertReady() {
    if (state !== 'ready') throw notReady();
  }

  /** Resolves when initialised (waiting for a running `init`); rejects when `init` was not called. */
  function whenReady() {
    if (state === 'ready') return Promise.resolve();
    if (pending) return pending;
    return Promise.reject(notReady());
  }

  return {
    init,
    /** Whether `init` has finished. */
    ready: () => state === 'ready',
    /** `fn` (returning a value), failing with an `InitError` before `init`. */
    sync: (fn) =>
      function (...args) {
        assertReady();
        return fn.apply(this, args);
      },
    /** `fn` (returning a promise), waiting for a running `init`, rejecting before `init`. */
    async: (fn) =>
      function (...args) {
        return whenReady().then(() => fn.apply(this, args));
      },
    /** `fn` (returning an async iterable), waiting for a running `init` at the first `next()`. */
    iterable: (fn) =>
      async function* (...args) {
        await whenReady();
        yield* fn.apply(this, args);
      },
    /** A subclass of `Base` whose constructor fails with an `InitError` before `init`. */
    class: (Base) => {
      const Guarded = class extends Base {
        constructor(...args) {
          assertReady();
          super(...args);
        }
      };
      Object.defineProperty(Guarded, 'name', { value: Base.name });
      return Guarded;
    },
  };
}
