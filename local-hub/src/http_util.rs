//! Shared HTTP pieces: CORS (buckets-api.md §2.3), request ids, base URLs from the
//! `Host` header, query parsing, `Range` parsing (§10.2) and `Link` pagination (§5).

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::error::ApiError;

/// The Hub's expose list (§2.3) plus what the brief adds for browser clients.
const EXPOSE_HEADERS: &str = "X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,Link,\
Accept-Ranges,Content-Range,X-Xet-Access-Token,X-Xet-Token-Expiration,X-Xet-Refresh-Route,X-Xet-Cas-Url,X-Xet-Hash,\
Content-Length,Retry-After";

/// Request headers always allowed in preflights (requested ones are echoed as well).
const ALLOW_HEADERS: &str = "Authorization,Content-Type,Range,X-Xet-Session-Id,Accept,If-None-Match,X-Amzn-Trace-Id,X-Request-Id,User-Agent";

const ALLOW_METHODS: &str = "GET,HEAD,POST,PUT,DELETE,OPTIONS";

/// CORS for any origin, without credentials (clients authenticate with `Authorization`
/// headers, never cookies), answering preflights itself; the Private Network Access header only
/// when `allow_private_network` (`--allow-private-network`). Used on the Hub and the CAS front.
pub(crate) async fn cors(
    State(allow_private_network): State<bool>,
    request: Request,
    next: Next,
) -> Response {
    let is_preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if is_preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        let requested = request
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let allow = match requested {
            Some(extra) => format!("{ALLOW_HEADERS},{extra}"),
            None => ALLOW_HEADERS.to_string(),
        };
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_str(&allow).unwrap_or(HeaderValue::from_static(ALLOW_HEADERS)),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
        if allow_private_network
            && request
                .headers()
                .contains_key("access-control-request-private-network")
        {
            headers.insert(
                "access-control-allow-private-network",
                HeaderValue::from_static("true"),
            );
        }
        add_cors(headers);
        return response;
    }
    let mut response = next.run(request).await;
    add_cors(response.headers_mut());
    response
}

fn add_cors(headers: &mut HeaderMap) {
    // Drop whatever an upstream (the official CAS server) set, then set ours.
    let upstream: Vec<HeaderName> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for key in upstream {
        if key != header::ACCESS_CONTROL_ALLOW_HEADERS
            && key != header::ACCESS_CONTROL_ALLOW_METHODS
            && key != header::ACCESS_CONTROL_MAX_AGE
            && key.as_str() != "access-control-allow-private-network"
        {
            headers.remove(&key);
        }
    }
    // Any origin may read answers; none gets credentials (cookies), so a page cannot act with
    // a user's ambient authority.
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
}

/// Sets `X-Request-Id` on every response. With `X-Amzn-Trace-Id` from the client it is
/// echoed as `Root=1-<time>-<random>;<trace id>` (§2.1).
pub(crate) async fn request_id(request: Request, next: Next) -> Response {
    let trace = request
        .headers()
        .get("x-amzn-trace-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut random = [0u8; 12];
    crate::random_fill(&mut random);
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let id = match trace {
        Some(trace) => format!("Root=1-{:08x}-{hex};{trace}", crate::time::now_secs()),
        None => format!("Root=1-{:08x}-{hex}", crate::time::now_secs()),
    };
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// With `--verbose`: one stderr line per request (method, path, status, time; never
/// headers, so never tokens).
pub(crate) async fn log(
    axum::extract::State((label, verbose)): axum::extract::State<(&'static str, bool)>,
    request: Request,
    next: Next,
) -> Response {
    if !verbose {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    eprintln!(
        "[{label}] {method} {path} -> {} ({} ms)",
        response.status().as_u16(),
        started.elapsed().as_millis()
    );
    response
}

/// `host[:port]` of the request, from `Host`, else `fallback`.
pub(crate) fn host_of(headers: &HeaderMap, fallback: &str) -> String {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or(fallback)
        .to_string()
}

/// Which `Host` names local-hub answers to (DNS-rebinding defence: a page on another name that
/// resolves to loopback gets 400, not the Hub). Always: loopback names and addresses and the
/// bound address; with a wildcard bind, any IP literal; plus the `--public-host` names.
#[derive(Debug, Clone)]
pub(crate) struct HostPolicy {
    names: Vec<String>,
    any_ip: bool,
}

impl HostPolicy {
    pub(crate) fn new(bind: std::net::IpAddr, extra: &[String]) -> Self {
        let mut names: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        names.push(match bind {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        });
        names.extend(extra.iter().map(|n| n.trim().to_ascii_lowercase()));
        Self {
            names,
            any_ip: bind.is_unspecified(),
        }
    }

    /// Whether a `Host` header value (`name[:port]`) names this server.
    pub(crate) fn allows(&self, host: &str) -> bool {
        let name = hostname(host).to_ascii_lowercase();
        if let Some(port) = host.get(hostname(host).len()..) {
            // Nothing, or `:` and one or more digits.
            let digits = port.strip_prefix(':');
            let valid = port.is_empty()
                || digits.is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
            if !valid {
                return false;
            }
        }
        // A `*.localhost` name must be a DNS name: `evil.example/.localhost` or
        // `evil.example#.localhost` would make `casUrl` and `Link` URLs point elsewhere.
        let dns_name = name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if self.names.contains(&name) || (name.ends_with(".localhost") && dns_name) {
            return true;
        }
        let literal = name.trim_start_matches('[').trim_end_matches(']');
        match literal.parse::<std::net::IpAddr>() {
            Ok(ip) => self.any_ip || ip.is_loopback(),
            Err(_) => false,
        }
    }
}

/// Refuses requests whose `Host` is not one of this server's names (400, before any handler).
/// A request without `Host` (HTTP/1.0) is served with the default host.
pub(crate) async fn check_host(
    axum::extract::State(policy): axum::extract::State<std::sync::Arc<HostPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(value) = request.headers().get(header::HOST) {
        let host = value.to_str().unwrap_or("");
        if !policy.allows(host) {
            return crate::error::error_response(
                StatusCode::BAD_REQUEST,
                None,
                "this Host is not a name of this local-hub (start it with --public-host NAME to \
                 allow another name)",
                None,
            );
        }
    }
    next.run(request).await
}

/// The host name without the port (IPv6 literals keep their brackets).
pub(crate) fn hostname(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').and_then(|i| host.get(..=i)).unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Parsed query: ordered `(key, value)` pairs, percent-decoded.
pub(crate) struct Query(pub(crate) Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// Last value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter: `true/false/1/0` (case-insensitive); absent → `default`.
    pub(crate) fn bool(&self, key: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(key).map(str::to_ascii_lowercase).as_deref() {
            None | Some("") => Ok(default),
            Some("true") | Some("1") => Ok(true),
            Some("false") | Some("0") => Ok(false),
            Some(other) => Err(ApiError::BadRequest(format!(
                "invalid boolean for {key}: {other}"
            ))),
        }
    }

    /// Page size: `limit`, default `default`, 1..=max.
    pub(crate) fn limit(&self, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.get("limit") {
            None | Some("") => Ok(default),
            Some(text) => match text.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(n.min(max)),
                _ => Err(ApiError::BadRequest(format!("invalid limit: {text}"))),
            },
        }
    }

    /// The decoded cursor (`base64({"path": …})`), if any.
    pub(crate) fn cursor(&self) -> Result<Option<String>, ApiError> {
        match self.get("cursor") {
            None | Some("") => Ok(None),
            Some(text) => decode_cursor(text)
                .map(Some)
                .ok_or_else(|| ApiError::BadRequest("invalid cursor".into())),
        }
    }
}

/// `base64({"path": p})` (standard alphabet with padding, as on production).
pub(crate) fn encode_cursor(path: &str) -> String {
    STANDARD.encode(serde_json::json!({ "path": path }).to_string())
}

fn decode_cursor(text: &str) -> Option<String> {
    let bytes = STANDARD
        .decode(text.trim())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(text.trim()))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text.trim()))
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("path")?.as_str().map(str::to_string)
}

/// `Link: <url>; rel="next"` where `url` = `base` + `path` + `params` + the cursor.
pub(crate) fn next_link(
    base: &str,
    path: &str,
    params: &[(&str, String)],
    cursor_path: &str,
) -> HeaderValue {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    query.append_pair("cursor", &encode_cursor(cursor_path));
    let url = format!("<{base}{path}?{}>; rel=\"next\"", query.finish());
    HeaderValue::from_str(&url).unwrap_or(HeaderValue::from_static(""))
}

/// Percent-encodes a URL path, keeping `/` and unreserved characters.
pub(crate) fn encode_path(path: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(path, SET).to_string()
}

/// Percent-decodes a whole URL path remainder (`%2F` becomes `/`; §3.3).
pub(crate) fn decode_path(raw: &str) -> Result<String, ApiError> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::BadRequest("path is not valid UTF-8 after percent-decoding".into()))
}

/// A satisfiable byte range, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteRange {
    pub(crate) start: u64,
    pub(crate) end: u64,
}

/// Parses `Range` for a resource of `size` bytes. `Ok(None)`: serve everything (no header,
/// a header that is not `bytes=`, or several ranges). 416 when not satisfiable.
pub(crate) fn parse_range(headers: &HeaderMap, size: u64) -> Result<Option<ByteRange>, ApiError> {
    let Some(value) = headers.get(header::RANGE) else {
        return Ok(None);
    };
    let Ok(text) = value.to_str() else {
        return Ok(None);
    };
    let Some(spec) = text.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let unsatisfiable = ApiError::RangeNotSatisfiable { size };
    if a.is_empty() {
        let Ok(suffix) = b.parse::<u64>() else {
            return Ok(None);
        };
        if suffix == 0 || size == 0 {
            return Err(unsatisfiable);
        }
        return Ok(Some(ByteRange {
            start: size.saturating_sub(suffix),
            end: size,
        }));
    }
    let Ok(start) = a.parse::<u64>() else {
        return Ok(None);
    };
    let end = if b.is_empty() {
        size
    } else {
        let Ok(last) = b.parse::<u64>() else {
            return Ok(None);
        };
        if last < start {
            return Ok(None);
        }
        last.saturating_add(1).min(size)
    };
    if start >= size {
        return Err(unsatisfiable);
    }
    Ok(Some(ByteRange { start, end }))
}

/// The most request body [`discard_body`] reads: a full xorb (64 MiB) plus its footer.
const DISCARD_LIMIT: usize = 65 << 20;

/// Reads and drops a request body (up to [`DISCARD_LIMIT`]) before an early answer, as a
/// buffering front proxy would: the client then reads the answer instead of failing to write
/// its body into a connection the server already closed.
pub(crate) async fn discard_body(body: axum::body::Body) {
    use futures_util::StreamExt as _;
    let mut stream = body.into_data_stream();
    let mut seen = 0usize;
    while let Some(Ok(chunk)) = stream.next().await {
        seen += chunk.len();
        if seen > DISCARD_LIMIT {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(h: &str, size: u64) -> Result<Option<ByteRange>, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(h).unwrap());
        parse_range(&headers, size)
    }

    #[test]
    fn ranges() {
        assert_eq!(
            range("bytes=0-0", 10).unwrap(),
            Some(ByteRange { start: 0, end: 1 })
        );
        assert_eq!(
            range("bytes=2-", 10).unwrap(),
            Some(ByteRange { start: 2, end: 10 })
        );
        assert_eq!(
            range("bytes=-3", 10).unwrap(),
            Some(ByteRange { start: 7, end: 10 })
        );
        assert_eq!(
            range("bytes=5-100", 10).unwrap(),
            Some(ByteRange { start: 5, end: 10 })
        );
        assert!(range("bytes=10-", 10).is_err());
        assert!(range("bytes=0-0", 0).is_err());
        assert!(range("bytes=-5", 0).is_err());
        assert_eq!(range("bytes=0-1,3-4", 10).unwrap(), None);
        assert_eq!(range("items=0-1", 10).unwrap(), None);
        assert_eq!(range("bytes=x-1", 10).unwrap(), None);
    }

    #[test]
    fn cursor_round_trip() {
        let c = encode_cursor("oiio/optimized/lossless_msa.bc");
        assert_eq!(
            c,
            "eyJwYXRoIjoib2lpby9vcHRpbWl6ZWQvbG9zc2xlc3NfbXNhLmJjIn0="
        );
        let q = Query::parse(Some(&format!("cursor={}", c.replace('=', "%3D"))));
        assert_eq!(
            q.cursor().unwrap().as_deref(),
            Some("oiio/optimized/lossless_msa.bc")
        );
        assert!(Query::parse(Some("cursor=!!")).cursor().is_err());
    }

    #[test]
    fn link_format() {
        let link = next_link(
            "http://h:1",
            "/api/x",
            &[("limit", "2".into()), ("recursive", "true".into())],
            "a/b",
        );
        assert_eq!(
            link.to_str().unwrap(),
            "<http://h:1/api/x?limit=2&recursive=true&cursor=eyJwYXRoIjoiYS9iIn0%3D>; rel=\"next\""
        );
    }

    #[test]
    fn hostnames() {
        assert_eq!(hostname("127.0.0.1:80"), "127.0.0.1");
        assert_eq!(hostname("[::1]:80"), "[::1]");
        assert_eq!(hostname("localhost"), "localhost");
    }

    #[test]
    fn host_policy() {
        let loopback = HostPolicy::new("127.0.0.1".parse().unwrap(), &["hub.lan".into()]);
        for ok in [
            "127.0.0.1:8080",
            "localhost:1",
            "LOCALHOST",
            "[::1]:9",
            "127.0.0.2:5",
            "hub.lan:80",
            "app.localhost:3000",
        ] {
            assert!(loopback.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "evil.example",
            "127.0.0.1.nip.io:80",
            "10.0.0.1:80",
            "localhost:80:80",
            "localhost:",
            "",
            "localhost@evil",
            // URL delimiters before `.localhost` (the fuzz/hub_request invariant).
            "evil.example/.localhost:80",
            "evil.example#.localhost",
            "evil.example?.localhost",
            "user@evil.example/.localhost",
        ] {
            assert!(!loopback.allows(bad), "{bad}");
        }
        let wildcard = HostPolicy::new("0.0.0.0".parse().unwrap(), &[]);
        assert!(wildcard.allows("10.0.0.1:80"));
        assert!(!wildcard.allows("evil.example"));
    }
}
