//! The one public error type of the client, and its classification.
//!
//! Every layer has its own precise error — [`TransportError`] (connect, timeout, body),
//! [`HubError`] (an HTTP status answered by the Hub or the CAS, with `X-Error-Code`; the Hub
//! layer builds it from the transport's neutral `StatusError`), [`ValidationError`] (bad caller
//! input, caught before any request), [`xet::FormatError`] (malformed Xet data) — and they all
//! fold into [`Error`] through `From`, keeping the original as [`std::error::Error::source`].
//! [`Error::kind`] says what the caller should do next, and [`Error::retryable`] says whether a
//! failure may be retried, from the transport's one rule (`transport::status_retryable`,
//! buckets spec §4.3); the JS `retryable` property reads it.
//!
//! This module sits just above `transport`: it names no other module of the crate.
//!
//! ```
//! use hf_buckets::error::{Error, ErrorKind};
//! let e = Error::integrity("chunk 3 of xorb ab12… does not match its hash");
//! assert_eq!(e.kind(), ErrorKind::Integrity);
//! assert!(!e.retryable());
//! assert_eq!(e.status(), None);
//! ```

pub use crate::transport::TransportError;
use crate::transport::{reason_phrase, redact_url, status_retryable};

/// A cause kept under an [`Error`] (shown as `cause` on the JS side).
pub type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An HTTP error status from the Hub or the CAS, with what the server said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubError {
    /// HTTP status.
    pub status: u16,
    /// `X-Error-Code` (e.g. `RepoNotFound`, `EntryNotFound`).
    pub code: Option<String>,
    /// What the server said (may be empty).
    pub message: String,
    /// `X-Request-Id`.
    pub request_id: Option<String>,
    /// Server-requested wait before retrying, in ms.
    pub retry_after_ms: Option<u64>,
    /// Request method.
    pub method: &'static str,
    /// Request URL without its query string.
    pub url: String,
}

impl std::fmt::Display for HubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.is_empty() {
            write!(f, "HTTP {} {}", self.status, reason_phrase(self.status))?;
        } else {
            write!(f, "{}", self.message)?;
        }
        write!(f, " ({} {} → {}", self.method, self.url, self.status)?;
        if let Some(code) = &self.code {
            write!(f, ", X-Error-Code: {code}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, ", request id: {id}")?;
        }
        write!(f, ")")
    }
}

impl std::error::Error for HubError {}

/// Invalid caller input; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {value:?}: {reason}")]
pub struct ValidationError {
    /// What was checked (`bucket id`, `path`, `option retry.maxRetries`, …).
    pub what: String,
    /// The offending value, shortened to 200 characters.
    pub value: String,
    /// What rule it breaks.
    pub reason: String,
    /// [`ValidationError::INVALID_HASH`] for a malformed Xet hash, else
    /// [`ValidationError::INVALID_ARGUMENT`]: the same codes as `hf-buckets/xet` (its JS `code`).
    pub code: &'static str,
}

impl ValidationError {
    /// The code of most invalid input.
    pub const INVALID_ARGUMENT: &'static str = "INVALID_ARGUMENT";
    /// The code of a malformed Xet hash.
    pub const INVALID_HASH: &'static str = "INVALID_HASH";

    /// A new error (code [`ValidationError::INVALID_ARGUMENT`]).
    pub fn new(what: impl Into<String>, value: &str, reason: impl Into<String>) -> ValidationError {
        let mut value = value.to_string();
        if let Some((i, _)) = value.char_indices().nth(200) {
            value.truncate(i);
            value.push('…');
        }
        ValidationError {
            what: what.into(),
            value,
            reason: reason.into(),
            code: ValidationError::INVALID_ARGUMENT,
        }
    }

    /// Checks a Xet hash given by the caller (64 hex digits, the one rule: [`xet::Hash::from_hex`]).
    ///
    /// # Errors
    /// A [`ValidationError::INVALID_HASH`] error naming `what`.
    pub fn check_hash(what: &str, value: &str) -> Result<xet::Hash, ValidationError> {
        xet::Hash::from_hex(value).map_err(|e| ValidationError {
            code: ValidationError::INVALID_HASH,
            ..ValidationError::new(what, value, e.to_string())
        })
    }
}

/// Any failure of a client operation.
///
/// Match on [`Error::kind`] rather than on the variants when you only need to decide what to do.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Hub (or the Xet CAS) answered with an error status.
    #[error(transparent)]
    Hub(Box<HubError>),
    /// The request did not complete: connection refused or reset, timeout, body cut short.
    #[error(transparent)]
    Transport(TransportError),
    /// The caller aborted the operation (its `AbortSignal` fired, or a `Cancel` was triggered).
    #[error("the operation was aborted")]
    Aborted,
    /// A client-side lookup found nothing (e.g. a `copyFiles` source that matches no file).
    /// Server 404s are [`Error::Hub`].
    #[error("{message}")]
    NotFound {
        /// What was not found.
        message: String,
    },
    /// The caller's input is invalid; no request was sent.
    #[error(transparent)]
    Validation(Box<ValidationError>),
    /// Downloaded or computed data failed verification (a hash mismatch), raised instead of the
    /// bytes it caught; also a read of part of a xorb whose footer the server refused, so that
    /// it cannot be verified (see `download::footer`).
    #[error("integrity check failed: {message}")]
    Integrity {
        /// What did not match.
        message: String,
    },
    /// Xet data (a xorb, shard or reconstruction from the server) is malformed. Treated as
    /// corrupted data: its kind is [`ErrorKind::Integrity`].
    #[error("malformed Xet data: {0}")]
    Xet(#[from] xet::FormatError),
    /// A server answered 2xx with a body this client cannot understand (bad JSON, missing field,
    /// malformed binary data).
    #[error("invalid response from {url}: {message}")]
    InvalidResponse {
        /// The URL without its query string.
        url: String,
        /// What was wrong with it.
        message: String,
        /// The parser's error, when there is one.
        #[source]
        source: Option<Source>,
    },
    /// An invariant of this client broke: a bug, not bad input or bad data. Please report it.
    #[error("internal error (a bug in hf-buckets): {message}")]
    Internal {
        /// Which invariant.
        message: String,
        /// The error that revealed it, when there is one.
        #[source]
        source: Option<Source>,
    },
}

impl From<HubError> for Error {
    fn from(e: HubError) -> Error {
        Error::Hub(Box::new(e))
    }
}

impl From<ValidationError> for Error {
    fn from(e: ValidationError) -> Error {
        Error::Validation(Box::new(e))
    }
}

/// What kind of failure an [`Error`] is; each kind maps to one JS error class.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// HTTP 400: the server rejected the request as malformed (`BadRequestError`).
    BadRequest,
    /// HTTP 401: missing, invalid or expired token (`AuthError`).
    Auth,
    /// HTTP 403: authenticated but not allowed, or a plan/quota limit (`ForbiddenError`).
    Forbidden,
    /// HTTP 404: bucket, repo, namespace or file not found (`NotFoundError`).
    NotFound,
    /// HTTP 409: the target already exists (`ConflictError`).
    Conflict,
    /// HTTP 429: rate limited; see `Retry-After` (`RateLimitError`).
    RateLimited,
    /// HTTP 5xx (`ServerError`).
    Server,
    /// Any other HTTP error status (`HubError`).
    Http,
    /// Connection failed or broke (`NetworkError`).
    Network,
    /// The server did not answer in time (`TimeoutError`).
    Timeout,
    /// The caller aborted (`AbortError`).
    Aborted,
    /// Invalid input, rejected before any request (`ValidationError`).
    Validation,
    /// Data failed verification (`IntegrityError`).
    Integrity,
    /// A success response this client cannot parse (`ProtocolError`).
    InvalidResponse,
    /// A bug in this client (the base `HubError` class in JS).
    Internal,
}

impl ErrorKind {
    /// A stable name for the kind; the JS glue (`js/errors.js`) picks the error class by it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "BadRequest",
            ErrorKind::Auth => "Auth",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::RateLimited => "RateLimited",
            ErrorKind::Server => "Server",
            ErrorKind::Http => "Http",
            ErrorKind::Network => "Network",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::Aborted => "Aborted",
            ErrorKind::Validation => "Validation",
            ErrorKind::Integrity => "Integrity",
            ErrorKind::InvalidResponse => "InvalidResponse",
            ErrorKind::Internal => "Internal",
        }
    }

    /// The kind of an HTTP error status.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Auth,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            408 => ErrorKind::Timeout,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Http,
        }
    }
}

impl Error {
    /// The same error with every occurrence of `secret` (a token) in the text it carries from a
    /// server replaced by `<redacted>`: what a server echoes never leaks a token into a message.
    #[must_use]
    #[inline(never)] // one copy: error paths only
    pub fn redact(self, secret: &str) -> Error {
        if secret.is_empty() {
            return self;
        }
        let clean = |text: &mut String| {
            if text.contains(secret) {
                *text = text.replace(secret, "<redacted>");
            }
        };
        let mut e = self;
        match &mut e {
            Error::Hub(h) => {
                clean(&mut h.message);
                clean(&mut h.url);
            }
            Error::NotFound { message }
            | Error::Integrity { message }
            | Error::InvalidResponse { message, .. }
            | Error::Internal { message, .. } => clean(message),
            _ => {}
        }
        e
    }

    /// A verification failure (see [`Error::Integrity`]).
    pub fn integrity(message: impl Into<String>) -> Error {
        Error::Integrity {
            message: message.into(),
        }
    }

    /// A success response that could not be understood (see [`Error::InvalidResponse`]).
    /// `url` is stripped of its query string, which may hold signed parameters.
    pub fn invalid_response(url: &str, message: impl Into<String>) -> Error {
        Error::InvalidResponse {
            url: redact_url(url),
            message: message.into(),
            source: None,
        }
    }

    /// [`Error::invalid_response`] that keeps the parser's error as its source.
    pub fn invalid_response_from(
        url: &str,
        message: impl Into<String>,
        source: impl Into<Source>,
    ) -> Error {
        Error::InvalidResponse {
            url: redact_url(url),
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A broken invariant of this client (see [`Error::Internal`]).
    pub fn internal(message: impl Into<String>) -> Error {
        Error::Internal {
            message: message.into(),
            source: None,
        }
    }

    /// [`Error::internal`], keeping the error that revealed it.
    pub fn internal_from(message: impl Into<String>, source: impl Into<Source>) -> Error {
        Error::Internal {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Hub(e) => ErrorKind::from_status(e.status),
            Error::Transport(e) => match e {
                TransportError::Connect { .. } | TransportError::Body { .. } => ErrorKind::Network,
                TransportError::Timeout { .. } => ErrorKind::Timeout,
                TransportError::TooLarge { .. } | TransportError::Redirect { .. } => {
                    ErrorKind::InvalidResponse
                }
                TransportError::InvalidRequest { .. } => ErrorKind::Validation,
                TransportError::Aborted => ErrorKind::Aborted,
            },
            Error::Aborted => ErrorKind::Aborted,
            Error::Validation(_) => ErrorKind::Validation,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Integrity { .. } | Error::Xet(_) => ErrorKind::Integrity,
            Error::InvalidResponse { .. } => ErrorKind::InvalidResponse,
            Error::Internal { .. } => ErrorKind::Internal,
        }
    }

    /// The HTTP status, when the server answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Hub(e) => Some(e.status),
            _ => None,
        }
    }

    /// The server's machine-readable error class (`X-Error-Code`, e.g. `RepoNotFound`), or
    /// the code of invalid input ([`ValidationError::code`]).
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Hub(e) => e.code.as_deref(),
            Error::Validation(e) => Some(e.code),
            _ => None,
        }
    }

    /// The server's correlation id (`X-Request-Id`), to quote in bug reports.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Hub(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// How long the server asked us to wait (`Retry-After`, or `RateLimit: …;t=N`), in ms.
    pub fn retry_after_ms(&self) -> Option<u64> {
        match self {
            Error::Hub(e) => e.retry_after_ms,
            _ => None,
        }
    }

    /// Whether trying the same request again may succeed: the transport's rule, which the
    /// retry loop applies too (`transport::status_retryable`, `TransportError::retryable`).
    ///
    /// True for HTTP 408, 429, 500, 502, 503, 504 and for network failures and timeouts
    /// (buckets spec §4.3). False for everything else, including aborts, validation and
    /// integrity failures.
    pub fn retryable(&self) -> bool {
        match self {
            Error::Hub(e) => status_retryable(e.status),
            Error::Transport(e) => e.retryable(),
            Error::Aborted
            | Error::Validation(_)
            | Error::NotFound { .. }
            | Error::Integrity { .. }
            | Error::Xet(_)
            | Error::InvalidResponse { .. }
            | Error::Internal { .. } => false,
        }
    }

    /// The server's own error message, when it sent one.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            Error::Hub(e) => Some(e.message.as_str()).filter(|m| !m.is_empty()),
            _ => None,
        }
    }
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Aborted => Error::Aborted,
            other => Error::Transport(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(status: u16) -> Error {
        Error::from(HubError {
            status,
            code: Some("RepoNotFound".into()),
            message: "Repository not found".into(),
            request_id: Some("Root=1-abc".into()),
            retry_after_ms: None,
            method: "GET",
            url: "http://h/api/buckets/a/b".into(),
        })
    }

    #[test]
    fn statuses_map_to_kinds() {
        let table = [
            (400, ErrorKind::BadRequest, false),
            (401, ErrorKind::Auth, false),
            (403, ErrorKind::Forbidden, false),
            (404, ErrorKind::NotFound, false),
            (408, ErrorKind::Timeout, true),
            (409, ErrorKind::Conflict, false),
            (416, ErrorKind::Http, false),
            (422, ErrorKind::Http, false),
            (429, ErrorKind::RateLimited, true),
            (500, ErrorKind::Server, true),
            (501, ErrorKind::Server, false),
            (502, ErrorKind::Server, true),
            (503, ErrorKind::Server, true),
            (504, ErrorKind::Server, true),
            (507, ErrorKind::Server, false),
        ];
        for (status, kind, retryable) in table {
            let e = hub(status);
            assert_eq!(e.kind(), kind, "{status}");
            assert_eq!(e.retryable(), retryable, "{status}");
            assert_eq!(e.status(), Some(status));
            assert_eq!(e.code(), Some("RepoNotFound"));
            assert_eq!(e.request_id(), Some("Root=1-abc"));
        }
    }

    #[test]
    fn non_http_kinds() {
        assert_eq!(
            Error::from(TransportError::Aborted).kind(),
            ErrorKind::Aborted
        );
        let net = Error::from(TransportError::Connect {
            url: "http://h/x".into(),
            message: "refused".into(),
        });
        assert_eq!(net.kind(), ErrorKind::Network);
        assert!(net.retryable());
        assert_eq!(net.status(), None);
        let v = Error::from(ValidationError::new(
            "bucket id",
            "a/..",
            "must not contain `..`",
        ));
        assert_eq!(v.kind(), ErrorKind::Validation);
        assert_eq!(v.code(), Some("INVALID_ARGUMENT"));
        assert!(!v.retryable());
        let h = Error::from(ValidationError::check_hash("xetHash", "zz").unwrap_err());
        assert_eq!(
            (h.kind(), h.code()),
            (ErrorKind::Validation, Some("INVALID_HASH"))
        );
        let ok = "ab".repeat(32);
        assert_eq!(ValidationError::check_hash("h", &ok).unwrap().to_hex(), ok);
        assert!(!Error::Aborted.retryable());
        let x = Error::from(xet::FormatError::Truncated {
            offset: 8,
            needed: 8,
            available: 3,
        });
        assert_eq!(x.kind(), ErrorKind::Integrity);
        assert!(!x.retryable());
        let bad = Error::invalid_response("http://h/x?sig=secret", "not JSON");
        assert!(!bad.to_string().contains("secret"), "{bad}");
        let bug = Error::internal("chunk outside a file");
        assert_eq!(bug.kind(), ErrorKind::Internal);
        assert!(!bug.retryable());
    }

    #[test]
    fn causes_are_kept() {
        use std::error::Error as _;
        let json = serde_json::from_str::<u32>("nope").unwrap_err();
        let e = Error::invalid_response_from("http://h/x", "bad answer", json);
        assert!(e
            .source()
            .is_some_and(|s| s.to_string().contains("expected")));
        let x = Error::from(xet::FormatError::Truncated {
            offset: 8,
            needed: 8,
            available: 3,
        });
        assert!(x.source().is_some());
    }

    #[test]
    fn error_stays_small() {
        // Every `Result<_, Error>` carries it: keep large payloads boxed.
        assert!(
            std::mem::size_of::<Error>() <= 64,
            "{}",
            std::mem::size_of::<Error>()
        );
    }
}
