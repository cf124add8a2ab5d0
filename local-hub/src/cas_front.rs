//! The CAS front: the `casUrl` clients get. It checks every request's CAS token
//! (xet-protocol.md §6.1; 401 for a missing, invalid or expired token and for a read
//! token on a write route), applies faults and network shaping, and forwards only
//! an exact allowlist of method + route (the public CAS surface; no `/simulation/*`, no upload
//! grants) to the embedded official CAS server. The path it checks is the path it forwards:
//! dot segments, empty segments and encoded characters are refused, so no URL parser on the
//! way can turn an allowed path into a hidden one. `fetch_term` terms and ranges are checked
//! against the stored xorb before they reach the embedded server. It forwards with the client's `Host` header, so the fetch URLs in
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
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use xet_core_structures::merklehash::MerkleHash;

/// The CAS front's router.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let verbose = state.verbose;
    let private_network = state.allow_private_network;
    Router::new()
        .fallback(proxy)
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

/// A route of the official CAS server that the front forwards (xet-protocol.md §6). Anything
/// else (the `/simulation/*` test routes, legacy routes, dot segments, encoded separators) is
/// refused by the front before it reaches the embedded server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Health,
    Reconstruction,
    BatchReconstructions,
    Chunk,
    XorbHead,
    XorbUpload,
    Shards,
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

/// Classifies the raw request path (the one that is forwarded, byte for byte). Every segment
/// must be non-empty and made of `[A-Za-z0-9_-]` only, so no URL parser on the way to the
/// embedded server can normalise it into another route.
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
        ["v1" | "v2", "reconstructions", h] => {
            hash(h)?;
            allowed(get, Route::Reconstruction)
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
        ["v1" | "v2", "shards"] => allowed(post, Route::Shards),
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
        Route::XorbUpload | Route::Shards | Route::Grant => Some(Scope::Write),
        Route::Reconstruction
        | Route::BatchReconstructions
        | Route::Chunk
        | Route::XorbHead
        | Route::FileHead
        | Route::Telemetry => Some(Scope::Read),
    }
}

/// A `fetch_term` term: `base64url(xorb hex[":" start "-" end ("," start "-" end)*])`, ends
/// exclusive (the embedded server's URL scheme, xet-protocol.md §10).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Term {
    pub(crate) hash: String,
    pub(crate) ranges: Vec<(u64, u64)>,
}

pub(crate) fn parse_term(query: &str) -> Result<Term, &'static str> {
    // The embedded server takes the first `term=` pair, undecoded; so does the front.
    let raw = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("term="))
        .ok_or("missing 'term' query parameter")?;
    let bytes = URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| "the term is not base64url")?;
    let text = String::from_utf8(bytes).map_err(|_| "the term is not UTF-8")?;
    let (hash, ranges_text) = match text.split_once(':') {
        Some((hash, ranges)) => (hash, Some(ranges)),
        None => (text.as_str(), None),
    };
    if !is_hash(hash) {
        return Err("the term's hash must be 64 hex digits");
    }
    let mut ranges = Vec::new();
    for range in ranges_text.into_iter().flat_map(|r| r.split(',')) {
        if range.is_empty() {
            continue;
        }
        let (start, end) = range.split_once('-').ok_or("invalid term range")?;
        let start: u64 = start.parse().map_err(|_| "invalid term range start")?;
        let end: u64 = end.parse().map_err(|_| "invalid term range end")?;
        if start >= end {
            return Err("reversed or empty term range");
        }
        ranges.push((start, end));
    }
    Ok(Term {
        hash: hash.to_string(),
        ranges,
    })
}

/// Checks a `fetch_term` request before the embedded server sees it: a well-formed term whose
/// ranges lie inside the stored xorb, and a `Range` header that is either satisfiable (then it
/// is forwarded in canonical form) or dropped (as storage ignores an invalid one). `Ok` is the
/// `Range` header to forward.
async fn check_fetch_term(
    app: &AppState,
    query: &str,
    headers: &HeaderMap,
) -> Result<Option<String>, Response> {
    let bad = |why: &str| {
        error_response(
            StatusCode::BAD_REQUEST,
            None,
            &format!("invalid fetch term: {why}"),
            None,
        )
    };
    let term = parse_term(query).map_err(bad)?;
    let hash = MerkleHash::from_hex(&term.hash).map_err(|_| bad("invalid hash"))?;
    let Ok(length) = app.cas.xorb_raw_length(&hash).await else {
        return Err(error_response(
            StatusCode::NOT_FOUND,
            None,
            "no such xorb",
            None,
        ));
    };
    if term.ranges.iter().any(|&(_, end)| end > length) {
        return Err(bad("range past the end of the xorb"));
    }
    match http_util::parse_range(headers, length) {
        Ok(Some(range)) => Ok(Some(format!("bytes={}-{}", range.start, range.end - 1))),
        Ok(None) => Ok(None),
        Err(e) => Err(e.into_response()),
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
) -> Result<(Route, Option<Action>), Response> {
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

    if let Some(needed) = required_scope(route) {
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
    if route == Route::Grant {
        return Err(error_response(
            StatusCode::NOT_FOUND,
            None,
            "upload grants are not offered",
            None,
        ));
    }
    Ok((route, body_fault))
}

async fn proxy(State(app): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (latency, bandwidth) = app.faults.network(Target::Cas);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (route, body_fault) = match admit(&app, &parts.method, parts.uri.path(), &parts.headers) {
        Ok((route, Some(Action::Hang { ms }))) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            (route, None)
        }
        Ok(admitted) => admitted,
        Err(response) => {
            // The real CAS sits behind a front that receives the whole request before it
            // answers; a client writing a xorb therefore sees the 401/5xx, not a reset.
            http_util::discard_body(body).await;
            return response;
        }
    };
    let path = parts.uri.path().to_string();
    // `fetch_term` ranges are checked here (a reversed one would crash the embedded server's
    // handler); the `Range` header is forwarded only in canonical, satisfiable form.
    let mut forward_range = None;
    if route == Route::FetchTerm {
        match check_fetch_term(&app, parts.uri.query().unwrap_or(""), &parts.headers).await {
            Ok(range) => forward_range = range,
            Err(response) => return response,
        }
    }

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
        if is_hop_by_hop(name)
            || name == header::AUTHORIZATION
            || name == header::HOST
            || (route == Route::FetchTerm && name == header::RANGE)
        {
            continue;
        }
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    if let Some(range) = forward_range {
        builder = builder.header("range", range);
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
            Ok(Route::Reconstruction)
        );
        assert_eq!(
            route(&Method::HEAD, &format!("/v1/files/{h}")),
            Ok(Route::FileHead)
        );
    }

    fn term(payload: &str) -> String {
        format!("term={}", URL_SAFE_NO_PAD.encode(payload))
    }

    #[test]
    fn terms() {
        let h = "0f".repeat(32);
        assert_eq!(
            parse_term(&term(&h)),
            Ok(Term {
                hash: h.clone(),
                ranges: vec![]
            })
        );
        assert_eq!(
            parse_term(&format!("x=1&{}", term(&format!("{h}:0-10,20-30")))),
            Ok(Term {
                hash: h.clone(),
                ranges: vec![(0, 10), (20, 30)]
            })
        );
        assert!(parse_term(&term(&format!("{h}:10-5"))).is_err());
        assert!(parse_term(&term(&format!("{h}:5-5"))).is_err());
        assert!(parse_term(&term(&format!("{h}:a-5"))).is_err());
        assert!(parse_term(&term(&format!("{h}:5"))).is_err());
        assert!(parse_term(&term("zz")).is_err());
        assert!(parse_term("term=***").is_err());
        assert!(parse_term("").is_err());
    }
}
