//! [`StatusError`]: an HTTP error status, as the transport sees it — neutral about who answered.
//!
//! The transport knows HTTP, not the Hub: it records the method, the URL (query removed), the
//! status, the few headers the layers above read, a bounded excerpt of the body and the wait the
//! server asked for (`Retry-After` as seconds or an HTTP date, or `RateLimit: …;t=N`). The Hub and
//! CAS layers turn it into their own error (`hub::HubError`, with the server's message read from
//! the body per buckets spec §4). [`status_retryable`] is the one rule for which statuses may be
//! tried again (buckets spec §4.3, xet spec §6.2); the retry loop and the public
//! `Error::retryable` both use it.
//!
//! ```
//! use hf_buckets::transport::{status_retryable, parse_retry_after};
//! assert!(status_retryable(503) && !status_retryable(501));
//! assert_eq!(parse_retry_after("2", 0), Some(2000));
//! ```

use std::fmt;

use super::{redact_url, Bytes, Headers, Method, Response, TransportError};

/// Most of an error body kept in [`StatusError::body`] (the rest is not read).
pub const MAX_BODY_EXCERPT: usize = 64 * 1024;

/// The response headers a [`StatusError`] keeps (all others are dropped).
pub const KEPT_HEADERS: [&str; 6] = [
    "content-type",
    "x-error-code",
    "x-error-message",
    "x-request-id",
    "retry-after",
    "ratelimit",
];

/// An HTTP error status: the response to a request, minus everything but what errors need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusError {
    /// The request method.
    pub method: Method,
    /// The final URL, without its query string and fragment.
    pub url: String,
    /// The HTTP status.
    pub status: u16,
    /// The headers of [`KEPT_HEADERS`] that the response had.
    pub headers: Headers,
    /// The first [`MAX_BODY_EXCERPT`] bytes of the body (empty when it could not be read).
    pub body: Bytes,
    /// How long the server asked to wait before trying again, in ms.
    pub retry_after_ms: Option<u64>,
}

impl StatusError {
    /// Reads the error parts of `resp` (at most [`MAX_BODY_EXCERPT`] bytes of its body). `now_ms`
    /// resolves a `Retry-After` date.
    pub async fn read(method: Method, mut resp: Response, now_ms: u64) -> StatusError {
        let headers = Headers::from_pairs(
            resp.headers
                .iter()
                .filter(|(k, _)| KEPT_HEADERS.iter().any(|h| k.eq_ignore_ascii_case(h)))
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let retry_after_ms = headers
            .get("retry-after")
            .and_then(|v| parse_retry_after(v, now_ms))
            .or_else(|| headers.get("ratelimit").and_then(parse_ratelimit_reset));
        let mut body: Vec<u8> = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(piece)) => {
                    let room = MAX_BODY_EXCERPT - body.len();
                    body.extend_from_slice(piece.get(..room.min(piece.len())).unwrap_or_default());
                    if body.len() == MAX_BODY_EXCERPT {
                        break;
                    }
                }
                Ok(None) => break,
                // A body that cannot be read is ignored: the status says enough.
                Err(_) => {
                    body.clear();
                    break;
                }
            }
        }
        StatusError {
            method,
            url: redact_url(&resp.url),
            status: resp.status,
            headers,
            body: Bytes::from(body),
            retry_after_ms,
        }
    }

    /// A kept header, trimmed; `None` when absent or blank.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// See [`status_retryable`].
    pub fn retryable(&self) -> bool {
        status_retryable(self.status)
    }
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HTTP {} {} ({} {})",
            self.status,
            reason_phrase(self.status),
            self.method.as_str(),
            self.url
        )
    }
}

impl std::error::Error for StatusError {}

/// Why a request sent with retries failed: no usable response, or an error status.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No response (or its body broke off).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// An error status that the caller did not accept.
    #[error(transparent)]
    Status(Box<StatusError>),
}

impl From<StatusError> for SendError {
    fn from(e: StatusError) -> SendError {
        SendError::Status(Box::new(e))
    }
}

impl SendError {
    /// Whether the same request may succeed when sent again ([`status_retryable`],
    /// [`TransportError::retryable`]).
    pub fn retryable(&self) -> bool {
        match self {
            SendError::Transport(e) => e.retryable(),
            SendError::Status(e) => e.retryable(),
        }
    }

    /// The HTTP status, for an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            SendError::Status(e) => Some(e.status),
            SendError::Transport(_) => None,
        }
    }

    /// The server-requested wait, in ms.
    pub fn retry_after_ms(&self) -> Option<u64> {
        match self {
            SendError::Status(e) => e.retry_after_ms,
            SendError::Transport(_) => None,
        }
    }
}

/// Whether an error status may go away when the request is sent again: 408, 429, 500, 502, 503,
/// 504 (buckets spec §4.3). This is the only such rule in the crate.
pub fn status_retryable(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// The reason phrase of a status, for messages (`"error"` for unlisted ones).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        416 => "Range Not Satisfiable",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "error",
    }
}

/// `Retry-After`: delta-seconds, or an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), as ms
/// from `now_ms`.
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some((secs * 1000.0).min(u64::MAX as f64) as u64);
        }
    }
    let at_ms = parse_http_date(v)?;
    Some(at_ms.saturating_sub(now_ms))
}

/// `RateLimit: "api";r=0;t=55` → 55 s when nothing remains (`r=0`).
pub fn parse_ratelimit_reset(value: &str) -> Option<u64> {
    let mut remaining: Option<u64> = None;
    let mut reset: Option<u64> = None;
    for param in value.split(';').skip(1) {
        let (k, v) = param.split_once('=')?;
        let v = v.trim().trim_matches('"');
        match k.trim() {
            "r" => remaining = v.parse().ok(),
            "t" => reset = v.parse().ok(),
            _ => {}
        }
    }
    match (remaining, reset) {
        (Some(0), Some(t)) => Some(t.saturating_mul(1000)),
        _ => None,
    }
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, the form of `Last-Modified` and
/// `Retry-After`) → ms since the epoch.
pub fn parse_http_date(v: &str) -> Option<u64> {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let rest = v.split_once(", ")?.1;
    let mut it = rest.split(' ');
    let day: u32 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let m: u64 = hms.next()?.parse().ok()?;
    let s: u64 = hms.next()?.parse().ok()?;
    if it.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if days < 0 {
        return None;
    }
    Some(((days as u64 * 86_400) + h * 3600 + m * 60 + s) * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3", 0), Some(3000));
        assert_eq!(parse_retry_after(" 0 ", 0), Some(0));
        assert_eq!(parse_retry_after("1.5", 0), Some(1500));
        assert_eq!(parse_retry_after("-1", 0), None);
        assert_eq!(parse_retry_after("soon", 0), None);
        let at = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(at, 784_111_777_000);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at - 5000),
            Some(5000)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at + 5000),
            Some(0)
        );
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_ratelimit_reset(r#""api";r=0;t=55"#), Some(55_000));
        assert_eq!(parse_ratelimit_reset(r#""api";r=3;t=55"#), None);
        assert_eq!(parse_ratelimit_reset("garbage"), None);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn read_keeps_needed_headers_and_a_bounded_body() {
        let big = "x".repeat(MAX_BODY_EXCERPT + 10);
        let resp = Response::from_bytes(
            429,
            Headers::from_pairs([
                ("Retry-After", "2"),
                ("X-Error-Code", "RateLimited"),
                ("Set-Cookie", "secret"),
            ]),
            "http://h/api/x?sig=secret",
            Bytes::from(big),
        );
        let e = StatusError::read(Method::Get, resp, 0).await;
        assert_eq!(e.url, "http://h/api/x");
        assert_eq!(e.retry_after_ms, Some(2000));
        assert_eq!(e.header("x-error-code"), Some("RateLimited"));
        assert_eq!(e.header("set-cookie"), None);
        assert_eq!(e.body.len(), MAX_BODY_EXCERPT);
        assert!(e.retryable());
        let shown = e.to_string();
        assert_eq!(shown, "HTTP 429 Too Many Requests (GET http://h/api/x)");
        let r = Response::from_bytes(
            503,
            Headers::from_pairs([("RateLimit", r#""api";r=0;t=7"#)]),
            "http://h/",
            Bytes::new(),
        );
        assert_eq!(
            StatusError::read(Method::Get, r, 0).await.retry_after_ms,
            Some(7000)
        );
    }
}
