//! Entry points into local-hub's hand-written request parsers for the fuzz targets in `fuzz/`
//! (`hub_request`, `cas_request`, `hub_bodies`). Not an API: each wrapper calls the function
//! the server itself uses and returns plain values, so a target can check invariants on them.

use std::net::IpAddr;

use axum::http::{header, HeaderMap, HeaderValue, Method};

use crate::http_util::{self, HostPolicy, Query};

/// `Range` header `value` for a resource of `size` bytes, as the Hub and the CAS front read
/// it: `Ok(Some((start, end)))` (end exclusive) to serve a part, `Ok(None)` to serve it all,
/// `Err` for a 416.
///
/// # Errors
/// The 416 message.
pub fn range(value: &[u8], size: u64) -> Result<Option<(u64, u64)>, String> {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(value) {
        headers.insert(header::RANGE, v);
    }
    http_util::parse_range(&headers, size)
        .map(|r| r.map(|r| (r.start, r.end)))
        .map_err(|e| e.to_string())
}

/// The CAS front's route for `method` and the raw request path: the route's name, or why
/// the front refuses the request.
///
/// # Errors
/// The refusal (bad path, unknown route, wrong method).
pub fn cas_route(method: &[u8], path: &str) -> Result<String, String> {
    let method = Method::from_bytes(method).map_err(|e| e.to_string())?;
    crate::cas_front::route(&method, path)
        .map(|r| format!("{r:?}"))
        .map_err(|r| format!("{r:?}"))
}

/// The CAS front's reading of a `fetch_term` query: the xorb hash and the byte ranges of its
/// `term` (the first one). The whole query also goes through the signed-URL check
/// (`fetch_url::UrlSigner::verify`, with a fixed key), so its parameter parsing is exercised too.
///
/// # Errors
/// Why the term is malformed.
pub fn fetch_term(query: &str) -> Result<(String, Vec<(u64, u64)>), String> {
    let signer = crate::fetch_url::UrlSigner::new(&[7; 32])?;
    let _ = signer.verify(query, 0);
    let raw = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("term="))
        .ok_or("missing 'term' query parameter")?;
    crate::fetch_url::parse_term(raw)
        .map(|t| (t.hash, t.ranges))
        .map_err(|e| e.to_string())
}

/// Whether a server bound to `bind` with `--public-host` names `extra` answers to `Host: host`.
pub fn host_allowed(bind: IpAddr, extra: &[String], host: &str) -> bool {
    HostPolicy::new(bind, extra).allows(host)
}

/// The host name of a `Host` value (without the port).
pub fn hostname(host: &str) -> &str {
    http_util::hostname(host)
}

/// What a listing reads from a raw query string: page size (default 50, at most 1000), the
/// `recursive` flag and the decoded cursor.
#[derive(Debug)]
pub struct Listing {
    /// `limit`.
    pub limit: Result<usize, String>,
    /// `recursive`.
    pub recursive: Result<bool, String>,
    /// `cursor`, decoded to the path it resumes after.
    pub cursor: Result<Option<String>, String>,
}

/// Reads a listing's query string (see [`Listing`]).
pub fn listing(raw: &str) -> Listing {
    let q = Query::parse(Some(raw));
    Listing {
        limit: q.limit(50, 1000).map_err(|e| e.to_string()),
        recursive: q.bool("recursive", false).map_err(|e| e.to_string()),
        cursor: q.cursor().map_err(|e| e.to_string()),
    }
}

/// The cursor a listing page hands out to resume after `path`.
pub fn encode_cursor(path: &str) -> String {
    http_util::encode_cursor(path)
}

/// A path percent-encoded for a URL (as in `Link` headers).
pub fn encode_path(path: &str) -> String {
    http_util::encode_path(path)
}

/// A URL path remainder percent-decoded (as file routes read it).
///
/// # Errors
/// When the decoded bytes are not UTF-8.
pub fn decode_path(raw: &str) -> Result<String, String> {
    http_util::decode_path(raw).map_err(|e| e.to_string())
}

/// Whether a fault rule's path glob matches `text`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    crate::faults::glob_match(pattern, text)
}

/// The operations of a bucket batch body (NDJSON): each operation's path, in order.
///
/// # Errors
/// The 400 message.
pub fn batch(body: &[u8]) -> Result<Vec<String>, String> {
    crate::routes::files::parse_batch(body)
        .map(|ops| ops.iter().map(|op| op.path().to_string()).collect())
        .map_err(|e| e.to_string())
}

/// The operations of a repo commit body (NDJSON): the summary and the number of operations.
///
/// # Errors
/// The 400 message.
pub fn commit(body: &[u8]) -> Result<(String, usize), String> {
    crate::routes::commits::parse_commit(body)
        .map(|(summary, ops)| (summary, ops.len()))
        .map_err(|e| e.to_string())
}

/// Whether `token` passes as a CAS token signed with `key` at `now_secs` (the front's check).
///
/// # Errors
/// When `key` is not a usable HMAC key.
pub fn cas_token_valid(key: &[u8], token: &str, now_secs: u64) -> Result<bool, String> {
    let signer = crate::cas_token::Signer::new(key)?;
    Ok(signer.verify(token, now_secs).is_ok())
}
