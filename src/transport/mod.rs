//! HTTP transport: the one trait every network call goes through.
//!
//! Everything above this module (Hub API, upload, download) talks to the network only through
//! [`HttpClient`], so the same logic runs in wasm (over the global `fetch`, [`fetch::FetchClient`])
//! and natively under `cargo test` ([`native::NativeClient`], reqwest + tokio), and retry logic can
//! be tested with a scripted mock. `cfg(target_arch)` appears only in this module and `bindings/`.
//!
//! # The contract
//! - [`HttpClient::send`] sends one [`Request`] (method, absolute URL, headers, optional buffered
//!   body) and resolves as soon as the status and headers are in. It does **not** follow the
//!   meaning of HTTP statuses: a 404 or 503 is an `Ok(Response)`; only failures to get a response
//!   at all are `Err(TransportError)`. A transport returns a 3xx as it is wherever the platform
//!   lets it (reqwest, `fetch` with `redirect: "manual"` outside browsers); [`redirect::send`]
//!   follows redirects on top, only to the request's origin, and every request is sent through
//!   it (by [`retry::attempt`]). Browsers follow redirects themselves (see [`redirect`]).
//! - The [`Response`] body is read afterwards, either as a stream of chunks
//!   ([`Response::chunk`], memory-bounded: use this for file bytes; [`Response::chunk_into`]
//!   copies each chunk into the caller's buffer, once from the platform's), or whole
//!   ([`Response::bytes_limited`], for JSON).
//! - Cancellation: every send takes a [`Cancel`]. Triggering it aborts the in-flight request
//!   **and** any body still being read, and the pending call returns [`TransportError::Aborted`].
//!   On wasm, `bindings` makes a `Cancel` from the caller's `AbortSignal`; natively (and for
//!   internal fan-out, e.g. abort sibling xorb uploads when one fails) use [`Cancel::new`] /
//!   [`Cancel::child`].
//! - Time: [`HttpClient::sleep`] and [`HttpClient::now_ms`] are on the trait so retries and token
//!   expiry can be driven by virtual time in tests. Use [`sleep`] (free function) to sleep
//!   cancellably.
//! - Futures are `?Send`: wasm is single-threaded and JS values are not `Send`. Natively, run them
//!   on a current-thread runtime or a `LocalSet`.
//!
//! Retries, backoff and timeouts are layered on top in [`retry`]; an error status becomes a
//! neutral [`StatusError`] there, which the Hub and CAS layers map into their own errors. This
//! module imports nothing from the rest of the crate: it is the bottom layer.
//!
//! ```
//! # use hf_buckets::transport::*;
//! # async fn demo(http: &dyn HttpClient) -> Result<(), TransportError> {
//! let cancel = Cancel::new();
//! let req = Request::new(Method::Get, "http://127.0.0.1:1/api/whoami-v2").header("accept", "application/json");
//! let mut resp = http.send(req, &cancel).await?;
//! while let Some(chunk) = resp.chunk().await? {
//!     // bounded memory: one chunk at a time
//!     # let _ = chunk;
//! }
//! # Ok(()) }
//! ```

mod cancel;
pub mod redirect;
pub mod retry;
mod status;

#[cfg(target_arch = "wasm32")]
pub mod fetch;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

pub use bytes::Bytes;
pub use cancel::{Cancel, CancelGuard, Cancelled, WeakCancel};
pub use status::{
    parse_http_date, parse_ratelimit_reset, parse_retry_after, reason_phrase, status_retryable,
    SendError, StatusError, KEPT_HEADERS, MAX_BODY_EXCERPT,
};

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// HEAD
    Head,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
}

impl Method {
    /// The method's name, upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// Whether HTTP defines the method as idempotent (all but POST).
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post)
    }
}

/// One HTTP request. The body is buffered (`Bytes` is cheap to clone, so a retry re-sends the
/// same buffer without copying).
#[derive(Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// Absolute `http(s)://` URL (wasm in Node has no base URL).
    pub url: String,
    /// Header name/value pairs; names are matched case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Bytes>,
    /// Whether sending this request twice is harmless. Defaults to [`Method::is_idempotent`]; the
    /// Hub API sets it for POSTs the protocol makes safe to replay (paths-info, batch). The retry
    /// loop retries a request that is not retry-safe only after 429, which the server rejects
    /// before doing any work.
    pub retry_safe: bool,
    /// Which redirects it follows ([`redirect::Redirects::SameOrigin`] unless the Hub API says
    /// otherwise).
    pub redirects: redirect::Redirects,
    /// Called with the number of body bytes handed to the network so far (monotonic within one
    /// attempt). Transports that stream request bodies call it as the body goes out; others
    /// call it once with the full length when the response arrives. Used for upload progress.
    pub body_progress: Option<Rc<dyn Fn(u64)>>,
    /// A hint that the answer is wanted whole (at most this many bytes) rather than streamed:
    /// a transport may then use a cheaper path that buffers it (the wasm transport in Node
    /// does: Hub API calls, the CAS's global-dedup queries, xorb and shard uploads, a
    /// download's range reads). The answer is the same either way, except that a failure
    /// while the answer's body arrives may then come from `send` (inside the retry budget of
    /// a retry-safe request) rather than from reading the body.
    pub whole_answer: Option<usize>,
}

impl Request {
    /// A request without headers or body.
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            retry_safe: method.is_idempotent(),
            redirects: redirect::Redirects::SameOrigin,
            body_progress: None,
            whole_answer: None,
        }
    }

    /// Sets [`Request::redirects`].
    pub fn redirects(mut self, redirects: redirect::Redirects) -> Request {
        self.redirects = redirects;
        self
    }

    /// Sets [`Request::body_progress`].
    pub fn on_body_progress(mut self, f: Rc<dyn Fn(u64)>) -> Request {
        self.body_progress = Some(f);
        self
    }

    /// Sets [`Request::whole_answer`].
    pub fn whole_answer(mut self, max: usize) -> Request {
        self.whole_answer = Some(max);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body and its `Content-Type`.
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Request {
        self.headers
            .push(("content-type".into(), content_type.into()));
        self.body = Some(body.into());
        self
    }

    /// Overrides [`Request::retry_safe`].
    pub fn retry_safe(mut self, safe: bool) -> Request {
        self.retry_safe = safe;
        self
    }

    /// The first value of a header.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Never prints credentials: `Authorization` values are redacted and the URL loses its query.
impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let secret =
                    k.eq_ignore_ascii_case("authorization") || k.eq_ignore_ascii_case("cookie");
                (k.as_str(), if secret { "<redacted>" } else { v.as_str() })
            })
            .collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &redact_url(&self.url))
            .field("headers", &headers)
            .field("body_len", &self.body.as_ref().map(|b| b.len()))
            .field("retry_safe", &self.retry_safe)
            .field("redirects", &self.redirects)
            .field("body_progress", &self.body_progress.is_some())
            .field("whole_answer", &self.whole_answer)
            .finish()
    }
}

/// Response headers: names lower-cased, order kept, repeated names allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// Builds from pairs (names are lower-cased).
    pub fn from_pairs<I, K, V>(pairs: I) -> Headers
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Headers(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into().to_ascii_lowercase(), v.into()))
                .collect(),
        )
    }

    /// The first value of `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order (a `Link` header may be repeated).
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// A response body that is read chunk by chunk. Implemented by each transport.
#[async_trait::async_trait(?Send)]
pub trait BodyStream {
    /// The next chunk, or `None` at the end. After an error the stream is finished.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError>;

    /// Copies the next chunk into the front of `dst` (at most `dst.len()` bytes; the rest of a
    /// longer chunk is dropped) and returns the chunk's full length: a result larger than
    /// `dst.len()` means the body had more than room for. `None` at the end. Transports
    /// override it to copy straight from the platform's buffer.
    async fn next_chunk_into(&mut self, dst: &mut [u8]) -> Result<Option<usize>, TransportError> {
        let Some(chunk) = self.next_chunk().await? else {
            return Ok(None);
        };
        let take = chunk.len().min(dst.len());
        if let (Some(to), Some(from)) = (dst.get_mut(..take), chunk.get(..take)) {
            to.copy_from_slice(from);
        }
        Ok(Some(chunk.len()))
    }
}

/// A whole body already in memory (mocks, empty bodies).
struct BufferedBody(Option<Bytes>);

#[async_trait::async_trait(?Send)]
impl BodyStream for BufferedBody {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        Ok(self.0.take().filter(|b| !b.is_empty()))
    }
}

/// An HTTP response: status and headers, and a body not read yet.
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Headers,
    /// The final URL (after redirects).
    pub url: String,
    body: Box<dyn BodyStream>,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("url", &redact_url(&self.url))
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl Response {
    /// A response whose body is streamed by `body`.
    pub fn new(
        status: u16,
        headers: Headers,
        url: impl Into<String>,
        body: Box<dyn BodyStream>,
    ) -> Response {
        Response {
            status,
            headers,
            url: url.into(),
            body,
        }
    }

    /// A response with an in-memory body (mock transports, tests).
    pub fn from_bytes(
        status: u16,
        headers: Headers,
        url: impl Into<String>,
        body: impl Into<Bytes>,
    ) -> Response {
        Response::new(
            status,
            headers,
            url,
            Box::new(BufferedBody(Some(body.into()))),
        )
    }

    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first value of a response header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The next chunk of the body, or `None` at its end. Memory stays bounded by one chunk.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        self.body.next_chunk().await
    }

    /// Copies the next chunk of the body into the front of `dst`; returns the chunk's full
    /// length (see [`BodyStream::next_chunk_into`]), `None` at its end.
    pub async fn chunk_into(&mut self, dst: &mut [u8]) -> Result<Option<usize>, TransportError> {
        self.body.next_chunk_into(dst).await
    }

    /// Reads the whole body, failing with [`TransportError::TooLarge`] past `max_bytes` (so a
    /// misbehaving server cannot make us buffer without bound).
    pub async fn bytes_limited(mut self, max_bytes: usize) -> Result<Bytes, TransportError> {
        let mut first: Option<Bytes> = None;
        let mut buf: Vec<u8> = Vec::new();
        while let Some(chunk) = self.body.next_chunk().await? {
            let have = first.as_ref().map_or(0, |b| b.len()) + buf.len();
            if have.saturating_add(chunk.len()) > max_bytes {
                return Err(TransportError::TooLarge {
                    url: redact_url(&self.url),
                    limit: max_bytes,
                });
            }
            match first.take() {
                None if buf.is_empty() => first = Some(chunk),
                Some(f) => {
                    buf.extend_from_slice(&f);
                    buf.extend_from_slice(&chunk);
                }
                None => buf.extend_from_slice(&chunk),
            }
        }
        Ok(first.unwrap_or_else(|| Bytes::from(buf)))
    }

    /// Takes the body stream out (e.g. to hand it to a download pipeline).
    pub fn into_body(self) -> Box<dyn BodyStream> {
        self.body
    }
}

/// Why a request produced no response (or its body could not be read to the end).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Could not connect, or the connection failed before a response arrived (DNS, refused,
    /// reset, TLS, CORS in a browser). Retryable.
    #[error("network error on {url}: {message}")]
    Connect {
        /// URL without its query string.
        url: String,
        /// The platform's description.
        message: String,
    },
    /// No response within the time limit. Retryable.
    #[error("no response from {url} within {ms} ms")]
    Timeout {
        /// URL without its query string.
        url: String,
        /// The limit that passed.
        ms: u64,
    },
    /// The response body broke off before its end. Retryable (for idempotent requests).
    #[error("reading the response from {url} failed: {message}")]
    Body {
        /// URL without its query string.
        url: String,
        /// The platform's description.
        message: String,
    },
    /// A body read with [`Response::bytes_limited`] was larger than allowed. Not retryable.
    #[error("the response from {url} is larger than {limit} bytes")]
    TooLarge {
        /// URL without its query string.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// The platform refused to build the request (bad URL or header value). Not retryable.
    #[error("invalid request to {url}: {message}")]
    InvalidRequest {
        /// URL without its query string.
        url: String,
        /// The platform's description.
        message: String,
    },
    /// A redirect that may not be followed ([`redirect`]): to another origin, to a `Location`
    /// that is not http(s), or one too many. Nothing was sent to its target. Not retryable.
    #[error("redirect from {url} not followed: {detail}")]
    Redirect {
        /// The URL that redirected, without query or userinfo.
        url: String,
        /// The target (without query or userinfo) and why it was not followed.
        detail: String,
    },
    /// The [`Cancel`] fired (the public error calls it `Aborted`).
    #[error("the request was aborted")]
    Aborted,
}

impl TransportError {
    /// Connect, timeout and broken bodies may succeed when tried again.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            TransportError::Connect { .. }
                | TransportError::Timeout { .. }
                | TransportError::Body { .. }
        )
    }
}

/// The HTTP client every network call goes through. See the module docs for the contract.
///
/// Implementations: [`fetch::FetchClient`] (wasm32: global or injected `fetch`),
/// [`native::NativeClient`] (native: reqwest + tokio), and test mocks.
#[async_trait::async_trait(?Send)]
pub trait HttpClient {
    /// Sends `request`; resolves when the status line and headers have arrived. Any HTTP status
    /// is `Ok`. Triggering `cancel` aborts the request and any later read of its body.
    async fn send(&self, request: Request, cancel: &Cancel) -> Result<Response, TransportError>;

    /// Waits `ms` milliseconds. Not cancellable by itself: use the free function [`sleep`].
    async fn sleep(&self, ms: u64);

    /// Wall-clock time in milliseconds since the Unix epoch (for `Retry-After` dates and token
    /// expiry; mocks may return virtual time).
    fn now_ms(&self) -> u64;

    /// How long CPU-bound work (hashing files) may run before it gives the event loop a turn
    /// with `sleep(0)`, in ms: short where that turn is cheap, so that the answers of requests
    /// in flight are read soon; longer where `sleep(0)` waits for a clamped timer.
    fn yield_every_ms(&self) -> u64 {
        20
    }
}

/// Sleeps `ms` milliseconds, or returns [`TransportError::Aborted`] as soon as `cancel` fires.
pub async fn sleep(http: &dyn HttpClient, ms: u64, cancel: &Cancel) -> Result<(), TransportError> {
    with_cancel(http.sleep(ms), cancel).await
}

/// Runs `fut` until it completes or `cancel` fires (then returns [`TransportError::Aborted`] and
/// drops `fut`).
pub async fn with_cancel<F: Future>(fut: F, cancel: &Cancel) -> Result<F::Output, TransportError> {
    let mut fut = std::pin::pin!(fut);
    let mut cancelled = std::pin::pin!(cancel.cancelled());
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        if cancelled.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(TransportError::Aborted));
        }
        fut.as_mut().poll(cx).map(Ok)
    })
    .await
}

/// Polls two futures together; returns the output of whichever finishes first (`a` wins ties).
pub async fn race<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = std::pin::pin!(a);
    let mut b: Pin<&mut B> = std::pin::pin!(b);
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        if let Poll::Ready(x) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(x));
        }
        b.as_mut().poll(cx).map(Either::Right)
    })
    .await
}

/// Output of [`race`].
#[derive(Debug)]
pub enum Either<L, R> {
    /// The first future finished first.
    Left(L),
    /// The second future finished first.
    Right(R),
}

/// `scheme://host[:port]` of an absolute http(s) URL (userinfo, if any, stays part of it, so a
/// URL with userinfo never has the origin of one without).
pub fn origin_of(url: &str) -> Option<&str> {
    let scheme_end = scheme_end(url)?;
    let scheme = &url[..scheme_end];
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let rest = &url[scheme_end + 3..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if end == 0 {
        return None;
    }
    Some(&url[..scheme_end + 3 + end])
}

/// Where `://` ends the scheme of `url` (a scheme is letters, digits, `+`, `-` and `.`, so the
/// first `:` is the one; found by bytes, not a substring search, as this runs per request).
fn scheme_end(url: &str) -> Option<usize> {
    let colon = url.find(':')?;
    url[colon..].starts_with("://").then_some(colon)
}

/// The URL without its query string and fragment (they may hold signed parameters) and without
/// `user:password@` in its authority. Used in every error message and `Debug` output.
#[inline(never)] // called on every error path: one copy
pub fn redact_url(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let url = url.get(..end).unwrap_or(url);
    let authority_at = scheme_end(url).map_or(0, |i| i + 3);
    let rest = &url[authority_at..];
    let authority_len = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_len].rfind('@') {
        Some(at) => format!("{}{}", &url[..authority_at], &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_debug_redacts() {
        let r = Request::new(Method::Get, "https://h/x?token=abc")
            .header("Authorization", "Bearer hf_secret")
            .body("application/json", b"{}".to_vec());
        let s = format!("{r:?}");
        assert!(!s.contains("hf_secret") && !s.contains("token=abc"), "{s}");
        assert!(s.contains("<redacted>"));
        assert!(!Request::new(Method::Post, "x").retry_safe);
        assert!(Request::new(Method::Delete, "x").retry_safe);
    }

    #[test]
    fn redact_url_drops_query_fragment_and_userinfo() {
        for (url, shown) in [
            ("https://h/x?token=abc#f", "https://h/x"),
            ("https://user:pw@h:8080/a/b?x", "https://h:8080/a/b"),
            ("http://tok@h", "http://h"),
            ("https://h/a@b", "https://h/a@b"),
            ("https://a:b@c@h/p", "https://h/p"),
            ("h/x", "h/x"),
            ("", ""),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn headers_case_insensitive() {
        let h = Headers::from_pairs([("Link", "a"), ("link", "b"), ("X-Request-Id", "r")]);
        assert_eq!(h.get("LINK"), Some("a"));
        assert_eq!(h.get_all("link").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(h.get("x-request-id"), Some("r"));
        assert_eq!(h.get("nope"), None);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn bytes_limited_concatenates_and_bounds() {
        struct Chunks(Vec<&'static [u8]>);
        #[async_trait::async_trait(?Send)]
        impl BodyStream for Chunks {
            async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
                Ok(if self.0.is_empty() {
                    None
                } else {
                    Some(Bytes::from_static(self.0.remove(0)))
                })
            }
        }
        let mk = || {
            Response::new(
                200,
                Headers::default(),
                "http://h/x",
                Box::new(Chunks(vec![b"ab", b"", b"cde"])),
            )
        };
        assert_eq!(&mk().bytes_limited(5).await.unwrap()[..], b"abcde");
        assert!(matches!(
            mk().bytes_limited(4).await,
            Err(TransportError::TooLarge { limit: 4, .. })
        ));
        let empty = Response::from_bytes(204, Headers::default(), "http://h/x", Bytes::new());
        assert!(empty.bytes_limited(0).await.unwrap().is_empty());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn with_cancel_stops_pending_work() {
        let cancel = Cancel::new();
        let c2 = cancel.clone();
        let pending = std::future::pending::<()>();
        let trigger = async move {
            tokio::task::yield_now().await;
            c2.cancel();
        };
        let (r, ()) = tokio::join!(with_cancel(pending, &cancel), trigger);
        assert!(matches!(r, Err(TransportError::Aborted)));
        // Already cancelled: returns at once.
        assert!(matches!(
            with_cancel(async { 1 }, &cancel).await,
            Err(TransportError::Aborted)
        ));
        assert_eq!(with_cancel(async { 1 }, &Cancel::new()).await.unwrap(), 1);
    }
}
