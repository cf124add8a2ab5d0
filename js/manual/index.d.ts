/**
 * `hf-buckets/manual`: the same API as `hf-buckets`, without automatic wasm loading. Call
 * {@link init} once before using anything that needs the wasm; before that, those exports fail
 * with an {@link InitError} (`code: "NOT_INITIALIZED"`). Promise-returning calls made while
 * `init` is running wait for it. The error classes and guards work before `init`.
 *
 * @example
 * import { init, BucketClient } from "hf-buckets/manual";
 * import wasm from "hf-buckets/client.wasm"; // a URL, with the bundler's file/asset loader
 * await init({ wasm });
 * const hub = new BucketClient({ accessToken });
 *
 * @module
 */
export * from "../index.js";
export { InitError, isInitError, type InitOptions, type WasmSource } from "../wasm-init.js";
import type { InitOptions } from "../wasm-init.js";

/**
 * Loads the client's wasm (once; later calls return the first call's promise, or resolve at once
 * when it has finished). Where `wasm` is left out, the file next to the bindings is fetched, which
 * only works where the bundler rewrote `new URL(…, import.meta.url)`.
 * @throws {InitError} `INVALID_ARGUMENT` for a `wasm` of another type, `INIT_FAILED` when it
 *   cannot be fetched or compiled (with the reason as `cause`); a later call may try again.
 * @example await init({ wasm: new URL("./hf_buckets_client_bg.wasm", import.meta.url) });
 */
export function init(options?: InitOptions): Promise<void>;
