//! From the transport's neutral [`StatusError`] to a [`HubError`], for the Hub and the Xet CAS.
//!
//! Implements the error conventions of buckets spec §4: the message comes from `X-Error-Message`
//! and the JSON body (`error` as a string or list, `error_description`, `errors[].message`,
//! `message`), falling back to plain text (never HTML); `X-Error-Code` and `X-Request-Id` are
//! kept; the wait the transport read (`Retry-After`, `RateLimit`) is carried over. Every
//! [`SendError`] becomes an [`Error`] here (`From`), for the Hub client and the CAS client alike.

use crate::error::Error;
pub use crate::error::HubError;
use crate::transport::{SendError, StatusError, TransportError};

/// Longest server message we keep.
const MAX_MESSAGE_CHARS: usize = 1000;

impl From<StatusError> for HubError {
    fn from(e: StatusError) -> HubError {
        let header = |name: &str| e.header(name).map(String::from);
        let content_type = header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let body_message = message_from_body(&e.body, &content_type);
        let mut parts: Vec<String> = Vec::new();
        for m in [header("x-error-message"), body_message]
            .into_iter()
            .flatten()
        {
            if !parts
                .iter()
                .any(|p| p.contains(&m) || m.contains(p.as_str()))
            {
                parts.push(m);
            }
        }
        HubError {
            status: e.status,
            code: header("x-error-code"),
            message: truncate(parts.join(": "), MAX_MESSAGE_CHARS),
            request_id: header("x-request-id"),
            retry_after_ms: e.retry_after_ms,
            method: e.method.as_str(),
            url: e.url,
        }
    }
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Error {
        match e {
            SendError::Transport(TransportError::Aborted) => Error::Aborted,
            SendError::Transport(t) => Error::Transport(t),
            SendError::Status(s) => Error::from(HubError::from(*s)),
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
    if let Ok(json) = xet::json::parse(text.as_bytes()) {
        return message_from_json(&json);
    }
    if content_type.contains("html") || text.starts_with('<') {
        return None;
    }
    Some(text.to_string())
}

/// The message parts of a JSON error body (anything but an object has none: `get` finds no member).
fn message_from_json(obj: &xet::json::Value) -> Option<String> {
    use xet::json::Value;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{Bytes, Headers, Method, Response};

    async fn from(status: u16, headers: &[(&str, &str)], body: &str) -> HubError {
        let resp = Response::from_bytes(
            status,
            Headers::from_pairs(headers.iter().map(|(k, v)| (k.to_string(), v.to_string()))),
            "http://h/api/buckets/a/b?cursor=secret",
            Bytes::from(body.to_string()),
        );
        HubError::from(StatusError::read(Method::Get, resp, 0).await)
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
}
