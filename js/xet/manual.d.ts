/**
 * `hf-buckets/xet/manual`: the same API as `hf-buckets/xet`, without automatic wasm loading.
 * Call {@link init} once; before that, the chunker and the hashes throw an {@link InitError}
 * (`code: "NOT_INITIALIZED"`). `XetError` and the guards work before `init`.
 *
 * @example
 * import { init, fileHash } from "hf-buckets/xet/manual";
 * import wasm from "hf-buckets/xet.wasm"; // a URL, with the bundler's file/asset loader
 * await init({ wasm });
 * console.log(fileHash(new Uint8Array([1, 2, 3])));
 *
 * @module
 */
export * from "./index.js";
export { InitError, isInitError, type InitOptions, type WasmSource } from "../wasm-init.js";
import type { InitOptions } from "../wasm-init.js";

/**
 * Loads the Xet wasm (once; later calls share the first call's promise).
 * @throws {InitError} `INVALID_ARGUMENT` for a `wasm` of another type, `INIT_FAILED` when it
 *   cannot be fetched or compiled (with the reason as `cause`); a later call may try again.
 * @example await init({ wasm: await fetch("/assets/hf_buckets_xet_bg.wasm") });
 */
export function init(options?: InitOptions): Promise<void>;
