// Errors of `hf-buckets/xet`. The Rust bindings import `makeXetError` from this file (as a
// wasm-bindgen snippet), and the entry points re-export the classes from that same copy, so
// `instanceof XetError` holds for every error the wasm throws.

/** An argument the Xet engine cannot use (wrong type, malformed hash). */
export class XetError extends Error {
  /**
   * @param {string} message
   * @param {{ code?: string, cause?: unknown }} [options]
   */
  constructor(message, { code = 'INVALID_ARGUMENT', cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'XetError';
    this.code = code;
  }
}

/**
 * Whether `value` is a `XetError`, also across realms and package copies (compares `name`).
 * @param {unknown} value
 * @returns {value is XetError}
 */
export function isXetError(value) {
  return value instanceof XetError || (value instanceof Error && value.name === 'XetError');
}

/** Called by the wasm bindings. @param {string} code @param {string} message */
export function makeXetError(code, message) {
  return new XetError(message, { code });
}
