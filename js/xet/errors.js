// Errors of `hf-buckets/xet`. The Rust bindings import `makeXetError` from this file (as a
// wasm-bindgen snippet), and the entry points re-export the classes from that same copy, so
// `instanceof XetError` holds for every error the wasm throws.
//
// One hierarchy with the client: bad input is a `ValidationError` from both entries (`name`,
// `retryable: false`), so `isValidationError` from `hf-buckets` (which compares `name`) accepts
// what this entry throws, and a bad hash is the same class with the same `code` everywhere.
// `XetError` is this entry's name for that class. Self-contained on purpose: wasm-bindgen copies
// only this file.

/** An argument the Xet engine cannot use (wrong type, malformed hash): a `ValidationError`. */
export class XetError extends Error {
  /**
   * @param {string} message
   * @param {{ code?: string, cause?: unknown }} [options]
   */
  constructor(message, { code = 'INVALID_ARGUMENT', cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ValidationError';
    this.code = code;
    this.retryable = false;
  }
}

/**
 * Whether `value` is an invalid-input error of this package (a `XetError` here, a
 * `ValidationError` from `hf-buckets`), also across realms and package copies (compares `name`).
 * @param {unknown} value
 * @returns {value is XetError}
 */
export function isXetError(value) {
  return value instanceof XetError || (value instanceof Error && value.name === 'ValidationError');
}

/** Called by the wasm bindings. @param {string} code @param {string} message */
export function makeXetError(code, message) {
  return new XetError(message, { code });
}
