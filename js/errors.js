// Errors of `hf-buckets`. The Rust bindings import `makeHubError` from this file (a wasm-bindgen
// snippet, copied next to the generated bindings), and the entry points re-export the classes
// from that same copy, so `instanceof` holds for every error the client throws. The guards
// compare `name` as well, so they also work across realms and duplicate package copies.
// Self-contained on purpose: wasm-bindgen copies only this file.

/**
 * Base class of every error the client throws.
 * `status`, `code` (X-Error-Code), `requestId` (X-Request-Id) and `serverMessage` are set when
 * the Hub answered with an error status; `retryable` says whether trying again may succeed.
 */
export class HubError extends Error {
  /**
   * @param {string} message
   * @param {{status?: number, code?: string, requestId?: string, retryable?: boolean,
   *          retryAfterMs?: number, serverMessage?: string, cause?: unknown}} [options]
   */
  constructor(message, { status, code, requestId, retryable = false, retryAfterMs, serverMessage, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'HubError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
    this.serverMessage = serverMessage;
  }
}

/** HTTP 400: the Hub rejected the request as malformed. */
export class BadRequestError extends HubError {
  constructor(message, options) { super(message, options); this.name = 'BadRequestError'; }
}
/** HTTP 401: missing, invalid or expired token (or a private bucket seen anonymously). */
export class AuthError extends HubError {
  constructor(message, options) { super(message, options); this.name = 'AuthError'; }
}
/** HTTP 403: authenticated but not allowed. */
export class ForbiddenError extends HubError {
  constructor(message, options) { super(message, options); this.name = 'ForbiddenError'; }
}
/** HTTP 404 (bucket, repo, namespace or file), or nothing matched a client-side lookup. */
export class NotFoundError extends HubError {
  constructor(message, options) { super(message, options); this.name = 'NotFoundError'; }
}
/** HTTP 409: the target already exists. */
export class ConflictError extends HubError {
  constructor(message, options) { super(message, options); this.name = 'ConflictError'; }
}
/** HTTP 429: rate limited; `retryAfterMs` says how long the Hub asked to wait. */
export class RateLimitError extends HubError {
  constructor(message, options) { super(message, options); this.name = 'RateLimitError'; }
}
/** HTTP 5xx. */
export class ServerError extends HubError {
  constructor(message, options) { super(message, options); this.name = 'ServerError'; }
}
/** The request got no response: connection refused or reset, DNS, CORS, body cut short. */
export class NetworkError extends HubError {
  constructor(message, options) { super(message, options); this.name = 'NetworkError'; }
}
/** No response in time (per-attempt `retry.timeoutMs`, or HTTP 408). */
export class TimeoutError extends NetworkError {
  constructor(message, options) { super(message, options); this.name = 'TimeoutError'; }
}
/** Invalid input (bucket id, name, path, option), rejected before any request was sent. */
export class ValidationError extends HubError {
  constructor(message, options) { super(message, options); this.name = 'ValidationError'; }
}
/**
 * Data failed verification (hash mismatch, malformed Xet data), raised instead of the bytes it
 * caught; also a partial read that cannot be verified because the server refused the footer
 * range (unless `verify: 'structural'`). README, "Verified downloads".
 */
export class IntegrityError extends HubError {
  constructor(message, options) { super(message, options); this.name = 'IntegrityError'; }
}
/** The server answered successfully with something this client cannot understand. */
export class ProtocolError extends HubError {
  constructor(message, options) { super(message, options); this.name = 'ProtocolError'; }
}
/** The call was aborted through its `signal`; `cause` is the signal's `reason`. */
export class AbortError extends HubError {
  constructor(message, options) { super(message, options); this.name = 'AbortError'; }
}

const CLASSES = {
  BadRequest: BadRequestError,
  Auth: AuthError,
  Forbidden: ForbiddenError,
  NotFound: NotFoundError,
  Conflict: ConflictError,
  RateLimited: RateLimitError,
  Server: ServerError,
  Http: HubError,
  Network: NetworkError,
  Timeout: TimeoutError,
  Aborted: AbortError,
  Validation: ValidationError,
  Integrity: IntegrityError,
  InvalidResponse: ProtocolError,
};

const NAMES = new Set(['HubError', ...Object.values(CLASSES).map((c) => new c('').name)]);

/**
 * @param {string} name
 * @returns {(value: unknown) => boolean}
 */
function guard(name) {
  return (value) =>
    value instanceof Error && 'retryable' in value && typeof value.retryable === 'boolean' &&
    (value.name === name || (name === 'HubError' && NAMES.has(value.name)) ||
     (name === 'NetworkError' && value.name === 'TimeoutError'));
}

/** @returns {value is HubError} true for every error of this package. */
export const isHubError = guard('HubError');
export const isBadRequestError = guard('BadRequestError');
export const isAuthError = guard('AuthError');
export const isForbiddenError = guard('ForbiddenError');
export const isNotFoundError = guard('NotFoundError');
export const isConflictError = guard('ConflictError');
export const isRateLimitError = guard('RateLimitError');
export const isServerError = guard('ServerError');
export const isNetworkError = guard('NetworkError');
export const isTimeoutError = guard('TimeoutError');
export const isValidationError = guard('ValidationError');
export const isIntegrityError = guard('IntegrityError');
export const isProtocolError = guard('ProtocolError');
export const isAbortError = guard('AbortError');

/**
 * Called by the wasm bindings (src/bindings/error.rs) only.
 * @param {string} kind  an `ErrorKind::as_str()` value
 */
export function makeHubError(kind, message, status, code, requestId, retryable, retryAfterMs, serverMessage, cause) {
  const Class = CLASSES[kind] ?? HubError;
  return new Class(message, { status, code, requestId, retryable, retryAfterMs, serverMessage, cause });
}
