//! The CAS front: the `casUrl` clients get. It checks every request's CAS token
//! (xet-protocol.md §6.1; 401 for a missing, invalid or expired token and for a read
//! token on a write route), applies faults and network shaping, hides the official
//! server's `/simulation/*` routes and upload grants, and forwards everything else to the
//! embedded official CAS server with the client's `Host` header, so the fetch URLs in
//! reconstruction answers point back here. `fetch_term` URLs stand for presigned storage
//! URLs and need no token.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::TryStreamExt as _;

use crate::app::AppState;
use crate::cas_token::{Scope, TokenError};
use crate::error::error_response;
use crate::faults::{self, Action, Target};
use crate::http_util;
use crate::time;

/// The CAS front's router.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let verbose = state.verbose;
    Router::new()
        .fallback(proxy)
        .with_state(state)
        .layer(middleware::from_fn(http_util::cors))
        .layer(middleware::from_fn(http_util::request_id))
        .layer(middleware::from_fn_with_state(
            ("cas", verbose),
            http_util::log,
        ))
}

/// The scope a route needs; `None` = no token (health, presigned term fetches).
fn required_scope(method: &Method, path: &str) -> Option<Scope> {
    if path == "/health" || path == "/v1/fetch_term" {
        return None;
    }
    let write = method == Method::POST
        && (path.starts_with("/v1/xorbs/")
            || path == "/v1/shards"
            || path == "/v2/shards"
            || path.starts_with("/v1/xorb-grants/")
            || path.starts_with("/v1/xorb-commits/"));
    Some(if write { Scope::Write } else { Scope::Read })
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
}

fn token_error(error: &TokenError) -> Response {
    error_response(StatusCode::UNAUTHORIZED, None, &error.to_string(), None)
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    )
}

/// What happens before a request is forwarded: hidden routes, faults, the token check. `Ok`
/// carries a fault to apply (a hang, or one on the response body); `Err` is the answer to send
/// instead.
#[allow(clippy::result_large_err)] // the early answer, built at most once per request
fn admit(
    app: &AppState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<Option<Action>, Response> {
    if path == "/simulation" || path.starts_with("/simulation/") {
        return Err(error_response(
            StatusCode::NOT_FOUND,
            None,
            "Not found",
            None,
        ));
    }
    let mut body_fault = None;
    match app.faults.take(Target::Cas, method.as_str(), path) {
        Some(Action::Status {
            status,
            retry_after_secs,
        }) => return Err(faults::status_response(status, retry_after_secs)),
        Some(Action::ExpireToken) => return Err(token_error(&TokenError::Expired)),
        Some(action) => body_fault = Some(action),
        None => {}
    }

    if let Some(needed) = required_scope(method, path) {
        let Some(token) = bearer(headers) else {
            return Err(token_error(&TokenError::Missing));
        };
        match app.signer.verify(token, time::now_secs()) {
            Ok(claims) if needed == Scope::Write && claims.scope != Scope::Write => {
                return Err(token_error(&TokenError::WrongScope))
            }
            Ok(_) => {}
            Err(e) => return Err(token_error(&e)),
        }
    }

    // Upload grants would hand out /simulation URLs; answer 404 so clients use POST /v1/xorbs.
    if path.starts_with("/v1/xorb-grants/") || path.starts_with("/v1/xorb-commits/") {
        return Err(error_response(
            StatusCode::NOT_FOUND,
            None,
            "upload grants are not offered",
            None,
        ));
    }
    Ok(body_fault)
}

async fn proxy(State(app): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (latency, bandwidth) = app.faults.network(Target::Cas);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let body_fault = match admit(&app, &parts.method, parts.uri.path(), &parts.headers) {
        Ok(Some(Action::Hang { ms })) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            None
        }
        Ok(body_fault) => body_fault,
        Err(response) => {
            // The real CAS sits behind a front that receives the whole request before it
            // answers; a client writing a xorb therefore sees the 401/5xx, not a reset.
            http_util::discard_body(body).await;
            return response;
        }
    };
    let path = parts.uri.path().to_string();

    let target = format!(
        "{}{}",
        app.internal_cas,
        parts
            .uri
            .path_and_query()
            .map_or(path.as_str(), |pq| pq.as_str())
    );
    let Ok(upstream_method) = reqwest::Method::from_bytes(parts.method.as_str().as_bytes()) else {
        return error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            "unsupported method",
            None,
        );
    };
    let mut builder = app.http.request(upstream_method, target);
    let host = http_util::host_of(&parts.headers, &app.default_cas_host);
    for (name, value) in parts.headers.iter() {
        if is_hop_by_hop(name) || name == header::AUTHORIZATION || name == header::HOST {
            continue;
        }
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    builder = builder.header("host", host);
    let stream = body.into_data_stream();
    let upstream_body = match bandwidth {
        Some(rate) => reqwest::Body::wrap_stream(faults::throttle_stream(stream, rate)),
        None => reqwest::Body::wrap_stream(stream),
    };
    let upstream = match builder.body(upstream_body).send().await {
        Ok(response) => response,
        Err(e) => {
            return error_response(
                StatusCode::BAD_GATEWAY,
                None,
                &format!("CAS server unreachable: {e}"),
                None,
            )
        }
    };

    let status =
        StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = Response::builder().status(status);
    for (name, value) in upstream.headers() {
        let Ok(name) = HeaderName::from_bytes(name.as_str().as_bytes()) else {
            continue;
        };
        if is_hop_by_hop(&name) {
            continue;
        }
        response = response.header(name, value.as_bytes());
    }
    let stream = upstream.bytes_stream().map_err(std::io::Error::other);
    let response = match response.body(Body::from_stream(stream)) {
        Ok(response) => response,
        Err(e) => {
            return error_response(
                StatusCode::BAD_GATEWAY,
                None,
                &format!("bad CAS response: {e}"),
                None,
            )
        }
    };
    faults::shape_response(response.into_response(), body_fault, bandwidth).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        assert_eq!(
            required_scope(&Method::POST, "/v1/xorbs/default/ab"),
            Some(Scope::Write)
        );
        assert_eq!(
            required_scope(&Method::HEAD, "/v1/xorbs/default/ab"),
            Some(Scope::Read)
        );
        assert_eq!(
            required_scope(&Method::POST, "/v1/shards"),
            Some(Scope::Write)
        );
        assert_eq!(
            required_scope(&Method::POST, "/v2/shards"),
            Some(Scope::Write)
        );
        assert_eq!(
            required_scope(&Method::GET, "/v2/reconstructions/ab"),
            Some(Scope::Read)
        );
        assert_eq!(required_scope(&Method::GET, "/v1/fetch_term"), None);
        assert_eq!(
            required_scope(&Method::POST, "/v1/telemetry"),
            Some(Scope::Read)
        );
    }
}
