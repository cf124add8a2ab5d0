//! Hub error responses (buckets-api.md §4): a JSON body `{"error": …}`, the
//! `X-Error-Message` header on every error and `X-Error-Code` where clients act on it.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The exact text Python compares against for a bad token (buckets-api.md §4.2).
pub(crate) const INVALID_CREDENTIALS: &str = "Invalid credentials in Authorization header";

/// Every way a Hub request can fail. The variant decides status, code and message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// 400: bad JSON / NDJSON, bad name, bad option.
    #[error("{0}")]
    BadRequest(String),
    /// 401 for a token that is unknown (never carries `RepoNotFound`).
    #[error("{INVALID_CREDENTIALS}")]
    InvalidCredentials,
    /// 401 for an anonymous caller on a route that needs a user.
    #[error("{0}")]
    Unauthenticated(String),
    /// 401 + `RepoNotFound` for an anonymous caller on a missing or private repo/bucket.
    #[error("Repository not found")]
    AnonymousRepoNotFound,
    /// 403: authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404 + `RepoNotFound`.
    #[error("Repository not found")]
    RepoNotFound,
    /// 404 + `EntryNotFound`.
    #[error("Entry not found")]
    EntryNotFound,
    /// 404 + `RevisionNotFound`.
    #[error("Invalid rev id: {0}")]
    RevisionNotFound(String),
    /// 404 without a code (unknown namespace, unknown route).
    #[error("{0}")]
    NotFound(String),
    /// 409; `url` is added to the body when set (create, buckets-api.md §4.1).
    #[error("{message}")]
    Conflict {
        message: String,
        url: Option<String>,
    },
    /// 422: a well-formed request whose content cannot be applied.
    #[error("{0}")]
    Unprocessable(String),
    /// 416 with `Content-Range: bytes */size`.
    #[error("Requested range not satisfiable")]
    RangeNotSatisfiable { size: u64 },
    /// 500.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// Missing or hidden repo/bucket: 401 for anonymous callers, 404 otherwise (spec §4.3).
    pub(crate) fn not_found_for(anonymous: bool) -> Self {
        if anonymous {
            Self::AnonymousRepoNotFound
        } else {
            Self::RepoNotFound
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::InvalidCredentials | Self::Unauthenticated(_) | Self::AnonymousRepoNotFound => {
                StatusCode::UNAUTHORIZED
            }
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::RepoNotFound
            | Self::EntryNotFound
            | Self::RevisionNotFound(_)
            | Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> Option<&'static str> {
        match self {
            Self::AnonymousRepoNotFound | Self::RepoNotFound => Some("RepoNotFound"),
            Self::EntryNotFound => Some("EntryNotFound"),
            Self::RevisionNotFound(_) => Some("RevisionNotFound"),
            _ => None,
        }
    }
}

/// Builds an error response with the Hub's headers and body shape.
pub(crate) fn error_response(
    status: StatusCode,
    code: Option<&str>,
    message: &str,
    extra: Option<(&str, String)>,
) -> Response {
    let mut body = serde_json::Map::new();
    body.insert(
        "error".into(),
        serde_json::Value::String(message.to_string()),
    );
    if let Some((key, value)) = extra {
        body.insert(key.to_string(), serde_json::Value::String(value));
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(code) = code {
        headers.insert(
            "x-error-code",
            HeaderValue::from_str(code).unwrap_or(HeaderValue::from_static("Error")),
        );
    }
    headers.insert("x-error-message", header_safe(message));
    (status, headers, serde_json::Value::Object(body).to_string()).into_response()
}

/// A header value made of the visible ASCII of `text` (other bytes become `?`).
pub(crate) fn header_safe(text: &str) -> HeaderValue {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect();
    HeaderValue::from_str(&cleaned).unwrap_or(HeaderValue::from_static("error"))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let mut response = match &self {
            Self::Conflict { url: Some(url), .. } => error_response(
                self.status(),
                self.code(),
                &message,
                Some(("url", url.clone())),
            ),
            _ => error_response(self.status(), self.code(), &message, None),
        };
        if let Self::RangeNotSatisfiable { size } = self {
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_safe_replaces_non_ascii() {
        assert_eq!(header_safe("bad\npath é").to_str().ok(), Some("bad?path ?"));
    }

    #[test]
    fn anonymous_not_found_is_401_with_code() {
        let response = ApiError::not_found_for(true).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response
                .headers()
                .get("x-error-code")
                .and_then(|v| v.to_str().ok()),
            Some("RepoNotFound")
        );
        let response = ApiError::not_found_for(false).into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
