// The loader of the manual entries (`hf-buckets/manual`, `hf-buckets/xet/manual`), internal: the
// rules of `init({ wasm })` (see ./wasm-init.js for the error they throw) and the guards that keep
// every export from reaching the wasm before it is loaded.
import { InitError } from './wasm-init.js';

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
 * @param {(options?: { module_or_path: unknown }) => Promise<unknown>} load the generated bindings' `init`
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
      /** @this {unknown} */
      function (...args) {
        assertReady();
        return fn.apply(this, args);
      },
    /** `fn` (returning a promise), waiting for a running `init`, rejecting before `init`. */
    async: (fn) =>
      /** @this {unknown} */
      function (...args) {
        return whenReady().then(() => fn.apply(this, args));
      },
    /** `fn` (returning an async iterable), waiting for a running `init` at the first `next()`. */
    iterable: (fn) =>
      /** @this {unknown} */
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
