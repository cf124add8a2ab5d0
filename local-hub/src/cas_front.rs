//! The CAS front: the `casUrl` clients get, and the only way to the CAS. It checks every
//! request's CAS token (xet-protocol.md §6.1; 401 for a missing, invalid or expired token and
//! for a read token on a write route), applies faults and network shaping, and serves an exact
//! allowlist of method + route (the public CAS surface; no `/simulation/*`, no upload grants)
//! by calling the official CAS storage in-process (`cas_routes.rs`): there is no CAS port.
//! The path it checks is the path it routes: dot segments, empty segments and encoded
//! characters are refused. Reconstructions answer only for files the token's bucket or repo
//! references; their fetch URLs point back here, signed and expiring (`fetch_url.rs`), and
//! `fetch_term` needs no token: the signed URL is the credential, as a presigned storage URL.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware;
use axum::response::Response;
use axum::Router;
use futures_util::stream::BoxStream;
use futures_util::StreamExt as _;
use xet_core_structures::merklehash::MerkleHash;

use crate::app::AppState;
use crate::cas_routes::{self, Signing};
use crate::cas_token::{Claims, Scope, TokenError};
use crate::error::error_response;
use crate::faults::{self, Action, Target};
use crate::http_util;
use crate::time;

/// The CAS front's router.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let verbose = state.verbose;
    let private_network = state.allow_private_network;
    Router::new()
        .fallback(front)
        .with_state(state)
        .layer(middleware::from_fn_with_state(
            private_network,
            http_util::cors,
        ))
        .layer(middleware::from_fn(http_util::request_id))
        .layer(middleware::from_fn_with_state(
            ("cas", verbose),
            http_util::log,
        ))
}

/// A CAS route the front serves (xet-protocol.md §6). Anything else (the official server's
/// `/simulation/*` test routes, legacy routes, dot segments, encoded separators) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Health,
    /// `v2` = `/v2/reconstructions/{file}`.
    Reconstruction {
        v2: bool,
    },
    BatchReconstructions,
    Chunk,
    XorbHead,
    XorbUpload,
    /// `v2` = `/v2/shards` (NDJSON progress).
    Shards {
        v2: bool,
    },
    FileHead,
    FetchTerm,
    Telemetry,
    /// Upload grants: checked like a write, then answered 404 (clients use `POST /v1/xorbs`).
    Grant,
}

/// Why the front refuses a request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 400: a path that a URL parser could rewrite (dot or empty segments, `%`, `\`) or a
    /// parameter of the wrong form.
    BadPath(&'static str),
    /// 404: not a route the front serves.
    NotFound,
    /// 405: a known route with another method.
    Method,
}

fn is_hash(segment: &str) -> bool {
    segment.len() == 64 && segment.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_prefix(segment: &str) -> bool {
    (1..=64).contains(&segment.len())
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Classifies the raw request path (the one that is routed, byte for byte). Every segment
/// must be non-empty and made of `[A-Za-z0-9_-]` only, so no URL parser can normalise it into
/// another route.
pub(crate) fn route(method: &Method, path: &str) -> Result<Route, Refusal> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(Refusal::BadPath("the path must start with '/'"));
    };
    let segments: Vec<&str> = rest.split('/').collect();
    for segment in &segments {
        match *segment {
            "" => return Err(Refusal::BadPath("empty path segment")),
            "." | ".." => return Err(Refusal::BadPath("dot segment in the path")),
            s if s.contains('%') => {
                return Err(Refusal::BadPath("percent-encoded characters in the path"))
            }
            s if !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
            {
                return Err(Refusal::BadPath("unexpected character in the path"))
            }
            _ => {}
        }
    }
    let (get, head, post) = (
        method == Method::GET,
        method == Method::HEAD,
        method == Method::POST,
    );
    let allowed = |ok: bool, route: Route| if ok { Ok(route) } else { Err(Refusal::Method) };
    let hash = |s: &str| {
        if is_hash(s) {
            Ok(())
        } else {
            Err(Refusal::BadPath("a hash must be 64 hex digits"))
        }
    };
    let prefix = |s: &str| {
        if is_prefix(s) {
            Ok(())
        } else {
            Err(Refusal::BadPath("invalid prefix"))
        }
    };
    match segments.as_slice() {
        ["health"] => allowed(get || head, Route::Health),
        ["v1", "reconstructions"] => allowed(get, Route::BatchReconstructions),
        [version @ ("v1" | "v2"), "reconstructions", h] => {
            hash(h)?;
            allowed(
                get,
                Route::Reconstruction {
                    v2: *version == "v2",
                },
            )
        }
        ["v1", "chunks", p, h] => {
            prefix(p)?;
            hash(h)?;
            allowed(get, Route::Chunk)
        }
        ["v1", "xorbs", p, h] => {
            prefix(p)?;
            hash(h)?;
            match () {
                _ if head => Ok(Route::XorbHead),
                _ if post => Ok(Route::XorbUpload),
                _ => Err(Refusal::Method),
            }
        }
        [version @ ("v1" | "v2"), "shards"] => allowed(
            post,
            Route::Shards {
                v2: *version == "v2",
            },
        ),
        ["v1", "files", h] => {
            hash(h)?;
            allowed(head, Route::FileHead)
        }
        ["v1", "fetch_term"] => allowed(get, Route::FetchTerm),
        ["v1", "telemetry"] => allowed(post, Route::Telemetry),
        ["v1", "xorb-grants", _, _] | ["v1", "xorb-commits", _, _, "grant", _] => {
            allowed(post, Route::Grant)
        }
        _ => Err(Refusal::NotFound),
    }
}

fn refusal_response(refusal: Refusal) -> Response {
    match refusal {
        Refusal::BadPath(why) => error_response(
            StatusCode::BAD_REQUEST,
            None,
            &format!("invalid CAS path: {why}"),
            None,
        ),
        Refusal::NotFound => error_response(StatusCode::NOT_FOUND, None, "Not found", None),
        Refusal::Method => error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            "method not allowed on this CAS route",
            None,
        ),
    }
}

/// The scope a route needs; `None` = no token (health, presigned term fetches).
fn required_scope(route: Route) -> Option<Scope> {
    match route {
        Route::Health | Route::FetchTerm => None,
        Route::XorbUpload | Route::Shards { .. } | Route::Grant => Some(Scope::Write),
        Route::Reconstruction { .. }
        | Route::BatchReconstructions
        | Route::Chunk
        | Route::XorbHead
        | Route::FileHead
        | Route::Telemetry => Some(Scope::Read),
    }
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

/// What happens before a request is served: hidden routes, faults, the token check. `Ok`
/// carries the route, the token's claims (routes that need one) and a fault to apply (a hang,
/// or one on the response body); `Err` is the answer to send instead.
#[allow(clippy::result_large_err)] // the early answer, built at most once per request
fn admit(
    app: &AppState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<(Route, Option<Claims>, Option<Action>), Response> {
    let route = route(method, path).map_err(refusal_response)?;
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

    let mut claims = None;
    if let Some(needed) = required_scope(route) {
        let Some(token) = bearer(headers) else {
            return Err(token_error(&TokenError::Missing));
        };
        match app.signer.verify(token, time::now_secs()) {
            Ok(c) if needed == Scope::Write && c.scope != Scope::Write => {
                return Err(token_error(&TokenError::WrongScope))
            }
            Ok(c) => claims = Some(c),
            Err(e) => return Err(token_error(&e)),
        }
    }

    // Upload grants would hand out /simulation URLs; answer 404 so clients use POST /v1/xorbs.
    if route == Route::Grant {
        return Err(error_response(
            StatusCode::NOT_FOUND,
            None,
            "upload grants are not offered",
            None,
        ));
    }
    Ok((route, claims, body_fault))
}

/// The `n`-th path segment from the end (`0` = the last), of a path [`route`] accepted.
fn segment_from_end(path: &str, n: usize) -> &str {
    path.rsplit('/').nth(n).unwrap_or_default()
}

/// Serves an admitted request in-process.
async fn serve(
    app: &AppState,
    route: Route,
    claims: Option<&Claims>,
    request: Request,
    upload: Option<u64>,
) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let headers = &parts.headers;
    // The request body, paced like the network setting says.
    let stream: BoxStream<'static, Result<bytes::Bytes, axum::Error>> = match upload {
        Some(rate) => faults::throttle_stream(body.into_data_stream(), rate).boxed(),
        None => body.into_data_stream().boxed(),
    };
    let signing = |claims: &Claims| Signing {
        base: format!(
            "http://{}",
            http_util::host_of(headers, &app.default_cas_host)
        ),
        repo: claims.repo.clone(),
    };
    // The hash of the routes that end with one ([`route`] checked it is 64 hex digits).
    let hash = MerkleHash::from_hex(segment_from_end(path, 0)).ok();
    match (route, claims, hash) {
        (Route::Health, _, _) => cas_routes::health(),
        (Route::FetchTerm, _, _) => cas_routes::fetch_term(app, query, headers).await,
        (Route::Telemetry, _, _) => cas_routes::telemetry(stream).await,
        (Route::Shards { v2 }, Some(c), _) => cas_routes::shards(app, v2, stream, c).await,
        (Route::Chunk, _, Some(h)) => cas_routes::chunk(app, segment_from_end(path, 1), h).await,
        (Route::XorbUpload, _, Some(h)) => {
            cas_routes::xorb_upload(app, segment_from_end(path, 1), h, stream).await
        }
        (Route::BatchReconstructions, Some(c), _) => {
            cas_routes::batch_reconstruction(app, query, c, &signing(c)).await
        }
        (Route::Reconstruction { v2 }, Some(c), Some(h)) => {
            cas_routes::reconstruction(app, v2, h, headers, c, &signing(c)).await
        }
        (Route::XorbHead, Some(c), Some(h)) => cas_routes::xorb_head(app, h, c).await,
        (Route::FileHead, Some(c), Some(h)) => cas_routes::file_head(app, h, c).await,
        // Not reached: [`admit`] answers grants and checks tokens, [`route`] checks hashes.
        (Route::Grant, _, _) => refusal_response(Refusal::NotFound),
        (_, None, _) => token_error(&TokenError::Missing),
        (_, _, None) => refusal_response(Refusal::BadPath("a hash must be 64 hex digits")),
    }
}

async fn front(State(app): State<Arc<AppState>>, request: Request) -> Response {
    let (latency, bandwidth) = app.faults.network(Target::Cas);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let admitted = admit(
        &app,
        request.method(),
        request.uri().path(),
        request.headers(),
    );
    let (route, claims, body_fault) = match admitted {
        Ok((route, claims, Some(Action::Hang { ms }))) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            (route, claims, None)
        }
        Ok(admitted) => admitted,
        Err(response) => {
            // The real CAS sits behind a front that receives the whole request before it
            // answers; a client writing a xorb therefore sees the 401/5xx, not a reset.
            http_util::discard_body(request.into_body()).await;
            return response;
        }
    };
    let response = serve(&app, route, claims.as_ref(), request, bandwidth).await;
    faults::shape_response(response, body_fault, bandwidth).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_of(method: Method, path: &str) -> Option<Scope> {
        required_scope(route(&method, path).unwrap())
    }

    #[test]
    fn scopes() {
        let h = "ab".repeat(32);
        assert_eq!(
            scope_of(Method::POST, &format!("/v1/xorbs/default/{h}")),
            Some(Scope::Write)
        );
        assert_eq!(
            scope_of(Method::HEAD, &format!("/v1/xorbs/default/{h}")),
            Some(Scope::Read)
        );
        assert_eq!(scope_of(Method::POST, "/v1/shards"), Some(Scope::Write));
        assert_eq!(scope_of(Method::POST, "/v2/shards"), Some(Scope::Write));
        assert_eq!(
            scope_of(Method::GET, &format!("/v2/reconstructions/{h}")),
            Some(Scope::Read)
        );
        assert_eq!(scope_of(Method::GET, "/v1/fetch_term"), None);
        assert_eq!(scope_of(Method::POST, "/v1/telemetry"), Some(Scope::Read));
        assert_eq!(
            scope_of(Method::POST, &format!("/v1/xorb-grants/default/{h}")),
            Some(Scope::Write)
        );
    }

    #[test]
    fn paths_a_url_parser_could_rewrite_are_refused() {
        let h = "ab".repeat(32);
        for path in [
            "/v1/./fetch_term".to_string(),
            "/v1/reconstructions/../../simulation/xorbs".to_string(),
            format!("/v1/xorbs/default/{h}/.."),
            "/v1//fetch_term".to_string(),
            "/v1/fetch_term/".to_string(),
            "/v1%2Ffetch_term".to_string(),
            "/v1/%2e%2e/simulation/xorbs".to_string(),
            "/v1\\..\\simulation".to_string(),
            "v1/fetch_term".to_string(),
            "/v1/reconstructions/xyz".to_string(),
            format!("/v1/xorbs/de.fault/{h}"),
        ] {
            assert!(
                matches!(route(&Method::GET, &path), Err(Refusal::BadPath(_))),
                "{path}"
            );
        }
    }

    #[test]
    fn only_the_public_surface_is_routed() {
        let h = "ab".repeat(32);
        for path in [
            "/simulation/xorbs",
            "/simulation",
            "/v1/simulation/xorbs",
            &format!("/v1/get_xorb/default/{h}"),
            "/v3/shards",
        ] {
            assert_eq!(route(&Method::GET, path), Err(Refusal::NotFound), "{path}");
        }
        assert_eq!(
            route(&Method::DELETE, &format!("/v1/xorbs/default/{h}")),
            Err(Refusal::Method)
        );
        assert_eq!(route(&Method::GET, "/v1/shards"), Err(Refusal::Method));
        assert_eq!(
            route(&Method::GET, &format!("/v1/reconstructions/{h}")),
            Ok(Route::Reconstruction { v2: false })
        );
        assert_eq!(
            route(&Method::GET, &format!("/v2/reconstructions/{h}")),
            Ok(Route::Reconstruction { v2: true })
        );
        assert_eq!(
            route(&Method::POST, "/v2/shards"),
            Ok(Route::Shards { v2: true })
        );
        assert_eq!(
            route(&Method::HEAD, &format!("/v1/files/{h}")),
            Ok(Route::FileHead)
        );
    }
}
