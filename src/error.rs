//! The one public error type of the client, and its classification.
//!
//! Every layer has its own precise error enum — [`TransportError`] (connect, timeout, body),
//! [`HubError`] (an HTTP status answered by the Hub or the CAS, with `X-Error-Code`),
//! [`ValidationError`] (bad caller input, caught before any request) — and they all fold into
//! [`Error`] through `From`. [`Error::kind`] says what the caller should do next, and
//! [`Error::retryable`] is the only place that decides whether a failure may be retried: the retry
//! loop (`transport::retry`) and the JS `retryable` property both read it (buckets spec §4.3).
//!
//! ```
//! use hf_buckets::error::{Error, ErrorKind};
//! let e = Error::integrity("chunk 3 of xorb ab12… does not match its hash");
//! assert_eq!(e.kind(), ErrorKind::Integrity);
//! assert!(!e.retryable());
//! assert_eq!(e.status(), None);
//! ```

pub use crate::hub::{HubError, ValidationError};
pub use crate::transport::TransportError;

/// Any failure of a client operation.
///
/// Match on [`Error::kind`] rather than on the variants when you only need to decide what to do.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Hub (or the Xet CAS) answered with an error status.
    #[error(transparent)]
    Hub(#[from] HubError),
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
    Validation(#[from] ValidationError),
    /// Downloaded or computed data failed verification (a hash mismatch). Wrong bytes are never
    /// returned; this error is raised instead.
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
    },
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
            url: crate::transport::redact_url(url),
            message: message.into(),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Hub(e) => ErrorKind::from_status(e.status),
            Error::Transport(e) => e.kind(),
            Error::Aborted => ErrorKind::Aborted,
            Error::Validation(_) => ErrorKind::Validation,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Integrity { .. } | Error::Xet(_) => ErrorKind::Integrity,
            Error::InvalidResponse { .. } => ErrorKind::InvalidResponse,
        }
    }

    /// The HTTP status, when the server answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Hub(e) => Some(e.status),
            _ => None,
        }
    }

    /// The server's machine-readable error class (`X-Error-Code`, e.g. `RepoNotFound`).
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Hub(e) => e.code.as_deref(),
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

    /// Whether trying the same request again may succeed. This is the only classifier: the
    /// retry loop and the JS `retryable` property use it.
    ///
    /// True for HTTP 408, 429, 500, 502, 503, 504 and for network failures and timeouts
    /// (buckets spec §4.3). False for everything else, including aborts, validation and
    /// integrity failures.
    pub fn retryable(&self) -> bool {
        match self {
            Error::Hub(e) => matches!(e.status, 408 | 429 | 500 | 502 | 503 | 504),
            Error::Transport(e) => e.retryable(),
            Error::Aborted
            | Error::Validation(_)
            | Error::NotFound { .. }
            | Error::Integrity { .. }
            | Error::Xet(_)
            | Error::InvalidResponse { .. } => false,
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
        Error::Hub(HubError {
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
        assert!(!v.retryable());
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
    }
}
