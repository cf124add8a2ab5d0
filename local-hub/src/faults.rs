//! Fault injection and network shaping for client tests (issue 3 §5). Rules are added
//! through the admin API (`POST /admin/faults`) and apply to Hub requests, CAS-front
//! requests, or both. A rule matches on method + path glob, lets `after` matches pass,
//! then fires `count` times (0 = forever). Network settings add latency to every request
//! and cap the bandwidth of each request and response body.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::error_response;

/// Largest body a flip-byte or close-mid-body fault buffers.
const MAX_BUFFERED_BODY: usize = 256 << 20;

/// Which listener a rule or network setting applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Target {
    /// The Hub API listener.
    Hub,
    /// The CAS front (`casUrl`).
    Cas,
    /// Both.
    #[default]
    Any,
}

impl Target {
    fn covers(self, side: Target) -> bool {
        self == Target::Any || self == side
    }
}

/// What a firing rule does.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub(crate) enum Action {
    /// Answer at once with this status (any 4xx/5xx); 429 and 503 carry `Retry-After`.
    #[serde(rename_all = "camelCase")]
    Status {
        status: u16,
        retry_after_secs: Option<u64>,
    },
    /// Wait `ms` milliseconds, then serve the request normally.
    Hang { ms: u64 },
    /// Send the headers (with the full `Content-Length`) and `afterBytes` bytes of the body
    /// (default: half of it), then close the connection.
    #[serde(rename_all = "camelCase")]
    Close { after_bytes: Option<u64> },
    /// Serve the response with one body byte inverted: at `offset` (negative counts from
    /// the end; default: the middle byte).
    FlipByte { offset: Option<i64> },
    /// CAS front only: answer 401 as for an expired CAS token.
    ExpireToken,
    /// For streamed responses (the change feed): pass the body through as it is produced and
    /// drop the connection once `afterEvents` server-sent events (blocks with a `data:` line;
    /// default 1) were sent, without a closing event.
    #[serde(rename_all = "camelCase")]
    CutStream { after_events: Option<u64> },
}

/// A rule as posted by a client.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RuleSpec {
    /// HTTP method to match (`*` or absent = any).
    #[serde(default)]
    pub(crate) method: Option<String>,
    /// Path glob; `*` matches any run of characters, including `/`. The query is ignored.
    pub(crate) path: String,
    #[serde(default)]
    pub(crate) target: Target,
    /// How many times to fire; 0 = every time. Default 1.
    #[serde(default = "one")]
    pub(crate) count: u64,
    /// Matching requests to let through before firing. Default 0.
    #[serde(default)]
    pub(crate) after: u64,
    #[serde(flatten)]
    pub(crate) action: Action,
}

fn one() -> u64 {
    1
}

#[derive(Debug, Clone)]
struct Rule {
    id: u64,
    spec: RuleSpec,
    matched: u64,
    fired: u64,
}

impl Rule {
    fn exhausted(&self) -> bool {
        self.spec.count != 0 && self.fired >= self.spec.count
    }
}

/// Latency and bandwidth shaping.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Network {
    /// Added before every request is handled.
    #[serde(default)]
    pub(crate) latency_ms: u64,
    /// Cap for each request body and each response body; absent = unlimited.
    #[serde(default)]
    pub(crate) bandwidth_bytes_per_sec: Option<u64>,
    #[serde(default)]
    pub(crate) target: Target,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    rules: Vec<Rule>,
    network: Network,
}

/// All fault rules and the network setting, shared by both listeners.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    state: Mutex<State>,
}

/// Glob match where `*` matches any sequence of bytes.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&tc) = t.get(ti) {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == tc => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds rules; returns their ids.
    pub(crate) fn add(&self, specs: Vec<RuleSpec>) -> Vec<u64> {
        let mut state = self.lock();
        specs
            .into_iter()
            .map(|spec| {
                state.next_id += 1;
                let id = state.next_id;
                state.rules.push(Rule {
                    id,
                    spec,
                    matched: 0,
                    fired: 0,
                });
                id
            })
            .collect()
    }

    /// Removes every rule and resets the network setting.
    pub(crate) fn clear(&self) {
        let mut state = self.lock();
        state.rules.clear();
        state.network = Network::default();
    }

    /// Replaces the network setting.
    pub(crate) fn set_network(&self, network: Network) {
        self.lock().network = network;
    }

    /// JSON listing for `GET /admin/faults`.
    pub(crate) fn describe(&self) -> Value {
        let state = self.lock();
        let rules: Vec<Value> = state
            .rules
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(&r.spec).unwrap_or(Value::Null);
                if let Value::Object(map) = &mut v {
                    map.insert("id".into(), json!(r.id));
                    map.insert("matched".into(), json!(r.matched));
                    map.insert("fired".into(), json!(r.fired));
                    map.insert("active".into(), json!(!r.exhausted()));
                }
                v
            })
            .collect();
        json!({ "rules": rules, "network": state.network })
    }

    /// Finds the first live rule matching this request, counts the match, and returns the
    /// action when the rule fires.
    pub(crate) fn take(&self, side: Target, method: &str, path: &str) -> Option<Action> {
        let mut state = self.lock();
        for rule in state.rules.iter_mut() {
            if rule.exhausted() || !rule.spec.target.covers(side) {
                continue;
            }
            if matches!(rule.spec.action, Action::ExpireToken) && side != Target::Cas {
                continue;
            }
            let method_ok = match rule.spec.method.as_deref() {
                None | Some("*") | Some("") => method != "OPTIONS",
                Some(m) => m.eq_ignore_ascii_case(method),
            };
            if !method_ok || !glob_match(&rule.spec.path, path) {
                continue;
            }
            rule.matched += 1;
            if rule.matched <= rule.spec.after {
                continue;
            }
            rule.fired += 1;
            return Some(rule.spec.action.clone());
        }
        None
    }

    /// `(latency, bandwidth)` for this side.
    pub(crate) fn network(&self, side: Target) -> (Duration, Option<u64>) {
        let state = self.lock();
        if state.network.target.covers(side) {
            (
                Duration::from_millis(state.network.latency_ms),
                state.network.bandwidth_bytes_per_sec.filter(|b| *b > 0),
            )
        } else {
            (Duration::ZERO, None)
        }
    }
}

/// The early response of a `status` fault.
pub(crate) fn status_response(status: u16, retry_after_secs: Option<u64>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let message = format!(
        "Injected fault: {} {}",
        code.as_u16(),
        code.canonical_reason().unwrap_or("")
    );
    let mut response = error_response(code, None, message.trim(), None);
    let retry = match (code.as_u16(), retry_after_secs) {
        (_, Some(secs)) => Some(secs),
        (429, None) | (503, None) => Some(1),
        _ => None,
    };
    if let Some(secs) = retry {
        let headers = response.headers_mut();
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        if code.as_u16() == 429 {
            if let Ok(v) = HeaderValue::from_str(&format!("\"api\";r=0;t={secs}")) {
                headers.insert("ratelimit", v);
            }
            headers.insert(
                "ratelimit-policy",
                HeaderValue::from_static("\"fixed window\";\"api\";q=500;w=300"),
            );
        }
    }
    response
}

/// Applies a body fault (`close`, `flipByte`) and bandwidth shaping to a response.
pub(crate) async fn shape_response(
    response: Response,
    action: Option<Action>,
    bandwidth: Option<u64>,
) -> Response {
    let (parts, body) = response.into_parts();
    let body = match action {
        Some(Action::FlipByte { offset }) => match axum::body::to_bytes(body, MAX_BUFFERED_BODY)
            .await
        {
            Ok(bytes) => {
                let mut data = bytes.to_vec();
                let len = data.len() as i64;
                let at = match offset {
                    Some(o) if o < 0 => len + o,
                    Some(o) => o,
                    None => len / 2,
                };
                if let Some(byte) = usize::try_from(at).ok().and_then(|i| data.get_mut(i)) {
                    *byte = !*byte;
                }
                throttle_body(Body::from(data), bandwidth)
            }
            Err(_) => Body::from_stream(futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("body too large for flipByte"))
            })),
        },
        Some(Action::Close { after_bytes }) => match axum::body::to_bytes(body, MAX_BUFFERED_BODY)
            .await
        {
            Ok(bytes) => {
                let keep = after_bytes.map_or(bytes.len() / 2, |n| {
                    usize::try_from(n).unwrap_or(usize::MAX)
                });
                let head = bytes.slice(..keep.min(bytes.len()));
                // Pause before failing so the server flushes the head and the first bytes;
                // an error straight after them would drop the buffered response unsent.
                let stream = futures_util::stream::iter(vec![Ok::<Bytes, std::io::Error>(head)])
                    .chain(futures_util::stream::once(async {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Err(std::io::Error::other(
                            "connection closed by fault injection",
                        ))
                    }));
                let mut parts = parts;
                parts
                    .headers
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
                return Response::from_parts(
                    parts,
                    throttle_body(Body::from_stream(stream), bandwidth),
                );
            }
            Err(_) => Body::empty(),
        },
        Some(Action::CutStream { after_events }) => {
            throttle_body(cut_after_events(body, after_events.unwrap_or(1)), bandwidth)
        }
        _ => throttle_body(body, bandwidth),
    };
    Response::from_parts(parts, body)
}

/// Whether a chunk of an event stream completes an event that carries data.
fn is_data_event(chunk: &[u8]) -> bool {
    chunk.starts_with(b"data:") || chunk.windows(6).any(|w| w == b"\ndata:")
}

/// The body up to and including its `n`-th data event, then a transport error (the server
/// drops the connection). Each chunk of the feed is one whole event. A body that ends sooner
/// ends normally.
fn cut_after_events(body: Body, n: u64) -> Body {
    let stream = body.into_data_stream();
    // State: the inner stream while running, with the events seen; `None` once cut.
    let cut = futures_util::stream::unfold(Some((stream, 0u64)), move |state| async move {
        let (mut stream, seen) = state?;
        match stream.next().await {
            Some(Ok(chunk)) => {
                let seen = seen + u64::from(is_data_event(&chunk));
                if seen >= n {
                    // The chunk goes out with the cut signalled right behind it.
                    let tail = futures_util::stream::once(async {
                        // Pause so the server flushes the chunk before the error drops it.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Err::<Bytes, std::io::Error>(std::io::Error::other(
                            "stream cut by fault injection",
                        ))
                    });
                    let items = futures_util::stream::once(async move { Ok(chunk) }).chain(tail);
                    Some((items.boxed(), None))
                } else {
                    let items = futures_util::stream::once(async move { Ok(chunk) });
                    Some((items.boxed(), Some((stream, seen))))
                }
            }
            Some(Err(e)) => {
                let error = std::io::Error::other(e.to_string());
                Some((
                    futures_util::stream::once(async move { Err(error) }).boxed(),
                    None,
                ))
            }
            None => None,
        }
    })
    .flatten();
    Body::from_stream(cut)
}

/// Wraps a body so it flows at no more than `bandwidth` bytes per second.
pub(crate) fn throttle_body(body: Body, bandwidth: Option<u64>) -> Body {
    match bandwidth {
        None => body,
        Some(rate) => Body::from_stream(throttle_stream(body.into_data_stream(), rate)),
    }
}

/// Splits the stream into slices of about 1/20 s of traffic and sleeps after each.
pub(crate) fn throttle_stream<S, E>(
    stream: S,
    rate: u64,
) -> impl Stream<Item = Result<Bytes, E>> + Send
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: Send + 'static,
{
    let slice = usize::try_from((rate / 20).max(512)).unwrap_or(usize::MAX);
    stream.flat_map(move |item| {
        let pieces: Vec<Result<Bytes, E>> = match item {
            Ok(bytes) => {
                let mut out = Vec::new();
                let mut offset = 0;
                while offset < bytes.len() {
                    let end = (offset + slice).min(bytes.len());
                    out.push(Ok(bytes.slice(offset..end)));
                    offset = end;
                }
                out
            }
            Err(e) => vec![Err(e)],
        };
        futures_util::stream::iter(pieces).then(move |piece| async move {
            if let Ok(bytes) = &piece {
                let secs = bytes.len() as f64 / rate as f64;
                tokio::time::sleep(Duration::from_secs_f64(secs)).await;
            }
            piece
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("/v1/fetch_term", "/v1/fetch_term"));
        assert!(glob_match("/v1/xorbs/*", "/v1/xorbs/default/abc"));
        assert!(glob_match("*", "/anything/at/all"));
        assert!(glob_match("/api/buckets/*/batch", "/api/buckets/a/b/batch"));
        assert!(!glob_match("/api/buckets/*/batch", "/api/buckets/a/b/tree"));
        assert!(glob_match("*/resolve/*", "/buckets/a/b/resolve/x.bin"));
        assert!(!glob_match("/v1", "/v1/x"));
        assert!(glob_match("/a*b*c", "/aXXbYYc"));
    }

    #[test]
    fn after_and_count() {
        let faults = Faults::default();
        let spec: RuleSpec = serde_json::from_value(json!({
            "path": "/x", "after": 1, "count": 2, "action": "status", "status": 503
        }))
        .unwrap();
        faults.add(vec![spec]);
        assert!(
            faults.take(Target::Hub, "GET", "/x").is_none(),
            "first match passes"
        );
        assert!(faults.take(Target::Hub, "GET", "/x").is_some());
        assert!(faults.take(Target::Cas, "POST", "/x").is_some());
        assert!(faults.take(Target::Hub, "GET", "/x").is_none(), "exhausted");
        assert!(faults.take(Target::Hub, "OPTIONS", "/x").is_none());
    }

    #[test]
    fn target_and_method_filters() {
        let faults = Faults::default();
        let spec: RuleSpec = serde_json::from_value(json!({
            "path": "*", "method": "post", "target": "cas", "count": 0, "action": "hang", "ms": 5
        }))
        .unwrap();
        faults.add(vec![spec]);
        assert!(faults.take(Target::Hub, "POST", "/a").is_none());
        assert!(faults.take(Target::Cas, "GET", "/a").is_none());
        for _ in 0..3 {
            assert!(matches!(
                faults.take(Target::Cas, "POST", "/a"),
                Some(Action::Hang { ms: 5 })
            ));
        }
        faults.clear();
        assert!(faults.take(Target::Cas, "POST", "/a").is_none());
    }
}
