//! [`HubError`]: an HTTP error status from the Hub (or the Xet CAS), with what the server said.
//!
//! Implements the error conventions of buckets spec §4: the message comes from `X-Error-Message`
//! and the JSON body (`error` as a string or list, `error_description`, `errors[].message`,
//! `message`), falling back to plain text (never HTML); `X-Error-Code` and `X-Request-Id` are
//! kept; `Retry-After` (seconds or an HTTP date) and `RateLimit: …;t=N` give the wait.

use crate::transport::{redact_url, Method, Response};

/// Most of an error body we read (the rest is ignored).
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Longest server message we keep.
const MAX_MESSAGE_CHARS: usize = 1000;

/// An HTTP error status from the server.
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
            write!(f, "HTTP {} {}", self.status, reason(self.status))?;
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

fn reason(status: u16) -> &'static str {
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

impl HubError {
    /// Builds the error from a response with an error status, reading at most 64 KiB of its body
    /// (a body that cannot be read is ignored). `now_ms` resolves `Retry-After` dates.
    pub async fn from_response(method: Method, resp: Response, now_ms: u64) -> HubError {
        let status = resp.status;
        let url = redact_url(&resp.url);
        let header = |name: &str| {
            resp.header(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
        };
        let code = header("x-error-code");
        let request_id = header("x-request-id");
        let header_message = header("x-error-message");
        let retry_after_ms = header("retry-after")
            .and_then(|v| parse_retry_after(&v, now_ms))
            .or_else(|| header("ratelimit").and_then(|v| parse_ratelimit_reset(&v)));
        let content_type = header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let body = resp.bytes_limited(MAX_ERROR_BODY).await.ok();
        let body_message = body
            .as_deref()
            .and_then(|b| message_from_body(b, &content_type));
        let mut parts: Vec<String> = Vec::new();
        for m in [header_message, body_message].into_iter().flatten() {
            if !parts
                .iter()
                .any(|p| p.contains(&m) || m.contains(p.as_str()))
            {
                parts.push(m);
            }
        }
        let message = truncate(parts.join(": "), MAX_MESSAGE_CHARS);
        HubError {
            status,
            code,
            message,
            request_id,
            retry_after_ms,
            method: method.as_str(),
            url,
        }
    }
}

fn truncate(mut s: String, max_chars: usize) -> String {
    if let Some((idx, _)) = s.char_indices().nth(max_chars) {
        s.truncate(idx);
        s.push('…');
    }
    s
}

/// The human message in an error body, if any (JSON shapes of spec §4.1, else plain text).
pub(crate) fn message_from_body(body: &[u8], content_type: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        return message_from_json(&json);
    }
    if content_type.contains("html") || text.starts_with('<') {
        return None;
    }
    Some(text.to_string())
}

fn message_from_json(json: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    let obj = json.as_object()?;
    let mut parts: Vec<String> = Vec::new();
    match obj.get("error") {
        Some(Value::String(s)) => parts.push(s.clone()),
        Some(Value::Array(items)) => {
            parts.extend(items.iter().filter_map(|v| v.as_str().map(String::from)));
        }
        _ => {}
    }
    if let Some(Value::String(s)) = obj.get("error_description") {
        parts.push(s.clone());
    }
    if let Some(Value::Array(errors)) = obj.get("errors") {
        parts.extend(
            errors
                .iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str).map(String::from)),
        );
    }
    if parts.is_empty() {
        if let Some(Value::String(s)) = obj.get("message") {
            parts.push(s.clone());
        }
    }
    let parts: Vec<String> = parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("; "))
    }
}

/// `Retry-After`: delta-seconds, or an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
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
pub(crate) fn parse_ratelimit_reset(value: &str) -> Option<u64> {
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

/// IMF-fixdate → ms since the epoch.
fn parse_http_date(v: &str) -> Option<u64> {
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
    use crate::transport::{Bytes, Headers};

    async fn from(status: u16, headers: &[(&str, &str)], body: &str) -> HubError {
        let resp = Response::from_bytes(
            status,
            Headers::from_pairs(headers.iter().map(|(k, v)| (k.to_string(), v.to_string()))),
            "http://h/api/buckets/a/b?cursor=secret",
            Bytes::from(body.to_string()),
        );
        HubError::from_response(Method::Get, resp, 0).await
    }

    #[tokio::test(flavor = "current_thread")]
    async fn reads_headers_and_body_shapes() {
        let e = from(
            404,
            &[
                ("X-Error-Code", "RepoNotFound"),
                ("X-Request-Id", "r1"),
                ("X-Error-Message", "Repository not found"),
            ],
            r#"{"error":"Repository not found"}"#,
        )
        .await;
        assert_eq!(e.code.as_deref(), Some("RepoNotFound"));
        assert_eq!(e.request_id.as_deref(), Some("r1"));
        assert_eq!(e.message, "Repository not found");
        let shown = e.to_string();
        assert!(
            shown.contains("RepoNotFound") && shown.contains("r1") && !shown.contains("secret"),
            "{shown}"
        );

        assert_eq!(
            from(400, &[], r#"{"error":["a","b"]}"#).await.message,
            "a; b"
        );
        assert_eq!(
            from(401, &[], r#"{"error":"x","error_description":"y"}"#)
                .await
                .message,
            "x; y"
        );
        assert_eq!(
            from(
                400,
                &[],
                r#"{"errors":[{"message":"m1"},{"message":"m2"}]}"#
            )
            .await
            .message,
            "m1; m2"
        );
        assert_eq!(
            from(400, &[], r#"{"message":"only"}"#).await.message,
            "only"
        );
        assert_eq!(
            from(502, &[("content-type", "text/html")], "<html>bad</html>")
                .await
                .message,
            ""
        );
        assert_eq!(
            from(500, &[], "plain failure\n").await.message,
            "plain failure"
        );
        assert_eq!(from(500, &[], "[1,2]").await.message, "");
        assert_eq!(from(500, &[], "\u{0}\u{ff}").await.message, "\u{0}\u{ff}");
        assert!(from(503, &[], "")
            .await
            .to_string()
            .starts_with("HTTP 503 Service Unavailable"));
        let long = "x".repeat(5000);
        assert_eq!(
            from(500, &[], &long).await.message.chars().count(),
            MAX_MESSAGE_CHARS + 1
        );
    }

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
}
