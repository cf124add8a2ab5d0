/** What `init({ wasm })` of a manual entry accepts. */
export type WasmSource =
  | string
  | URL
  | Request
  | Response
  | PromiseLike<Response>
  | WebAssembly.Module
  | ArrayBuffer
  | ArrayBufferView;

/** Options of `init` in `hf-buckets/manual` and `hf-buckets/xet/manual`. */
export interface InitOptions {
  /**
   * The .wasm file: its URL (string or `URL`, fetched), a `Request`, a `Response` (or a promise of
   * one), a compiled `WebAssembly.Module`, or its bytes.
   * @default the file next to the generated bindings (only where the bundler rewrote `new URL(…, import.meta.url)`)
   * @example { wasm: new URL("./hf_buckets_client_bg.wasm", import.meta.url) }
   */
  wasm?: WasmSource;
}

/** The `code` of an {@link InitError}. */
export type InitErrorCode = "NOT_INITIALIZED" | "INVALID_ARGUMENT" | "INIT_FAILED";

/**
 * Thrown by the manual entries: an export was used before `init` finished
 * (`NOT_INITIALIZED`), `init` got a `wasm` it cannot use (`INVALID_ARGUMENT`), or loading
 * the wasm failed (`INIT_FAILED`, with the reason as `cause`).
 * @example try { new BucketClient(); } catch (e) { if (isInitError(e)) await init({ wasm }); }
 */
export class InitError extends Error {
  name: "InitError";
  /** What went wrong. */
  code: InitErrorCode;
  constructor(message: string, options?: { code?: InitErrorCode; cause?: unknown });
}

/**
 * Whether `value` is an {@link InitError}, also across realms and package copies (compares `name`).
 * @example if (isInitError(e) && e.code === "NOT_INITIALIZED") await init({ wasm });
 */
export function isInitError(value: unknown): value is InitError;
