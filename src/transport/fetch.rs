//! wasm32 [`HttpClient`] over the global `fetch` (or one the caller injects).
//!
//! Uses `globalThis.fetch`, never `window`, so it works in Node ≥ 18, pages and workers
//! (TOOLCHAIN.md). URLs must be absolute. Each request gets its own `AbortController`, aborted
//! when the call's [`Cancel`] fires; the same controller also aborts the body stream. Response
//! bodies are read through `ReadableStream` readers, one chunk at a time; a body dropped before
//! its end is cancelled so the connection is released.
//!
//! Upload progress: Node's fetch streams request bodies, so a body's bytes are reported as the
//! network takes them. Browsers stream request bodies only over HTTP/2, so there a request that
//! wants body progress (xorb uploads) goes through `XMLHttpRequest`, whose `upload.onprogress`
//! reports bytes as they are sent, unless the caller injected its own `fetch` (which then sees
//! every request).
//!
//! Redirects: every `fetch` is made with `redirect: "manual"`, so Node, Deno, Bun and workerd
//! hand back the 3xx itself, and [`super::redirect`] follows it (same origin only, body replayed
//! from its buffer). A browser answers `"manual"` with an opaque redirect (status 0, no
//! `Location`); then the same request is sent once more with `redirect: "follow"`, which lets the
//! browser follow it (the Fetch standard removes `Authorization` when a redirect crosses
//! origins), and [`super::redirect`] refuses the answer if it came from another origin.
//! `XMLHttpRequest` always follows redirects the browser's way, and is checked the same way. An
//! injected `fetch` gets `redirect: "manual"` too; one that follows redirects itself is
//! responsible for what it sends where.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_util::FutureExt;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, ProgressEvent, ReadableStream, ReadableStreamDefaultReader,
    RequestInit, XmlHttpRequest, XmlHttpRequestResponseType,
};

use super::{
    redact_url, with_cancel, BodyStream, Bytes, Cancel, CancelGuard, Headers, HttpClient, Request,
    Response, TransportError,
};

/// `fetch`-backed transport.
#[derive(Debug, Clone)]
pub struct FetchClient {
    fetch: Function,
    /// The caller's own `fetch`: every request goes through it, none through XHR.
    injected: bool,
    /// A platform's cheaper GET for answers read whole (see [`FetchClient::with_whole_get`]).
    whole_get: Option<Function>,
}

impl FetchClient {
    /// Uses `custom` when given (any function with the `fetch(url, init)` signature), else
    /// `globalThis.fetch`.
    pub fn new(custom: Option<Function>) -> Result<FetchClient, TransportError> {
        if let Some(fetch) = custom {
            return Ok(FetchClient {
                fetch,
                injected: true,
                whole_get: None,
            });
        }
        let global = js_sys::global();
        match Reflect::get(&global, &JsValue::from_str("fetch"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        {
            Some(fetch) => Ok(FetchClient {
                fetch,
                injected: false,
                whole_get: None,
            }),
            None => Err(TransportError::InvalidRequest {
                url: String::new(),
                message: "no global `fetch` in this environment; pass the `fetch` option".into(),
            }),
        }
    }
}

impl FetchClient {
    /// Sends requests marked [`Request::whole_answer`] (those whose whole answer is wanted: Hub
    /// API calls, CAS reads, xorb and shard uploads) through `whole_get(url, headers, max,
    /// method, size, pull)` instead of `fetch`, unless the caller injected its own `fetch`
    /// (which then sees every request). `headers` is a flat `[name, value, …]` array; a request
    /// with a body gives its `size` in bytes and `pull(at)`, which returns the body's bytes from
    /// offset `at` (a piece at a time, a fresh array each; `undefined` past the end; callable
    /// only until the promise settles); `size` and `pull` are `undefined` without a body. The
    /// function resolves to `[status, headers, body]` (`headers` as `name: value` lines joined
    /// by CRLF, `body` a `Uint8Array`, or an array of them in order, of at most `max` bytes in
    /// all) and rejects when no answer came (with `code: "ERR_HFB_TOO_LARGE"` for an answer
    /// over `max`); the promise may have an `abort()` method, called when the request is
    /// cancelled. Node's entry registers one with a keep-alive pool of its own: a `fetch` costs
    /// several times more per request, which for a batch of many small files (one dedup query
    /// each) was most of the time, per body chunk, which for a download's range reads was a
    /// fifth of its CPU, and once per process, where Node's first `fetch` loads its HTTP client
    /// and has its wasm parser optimised (about 0.1 s of CPU).
    #[must_use]
    pub fn with_whole_get(mut self, whole_get: Option<Function>) -> FetchClient {
        if !self.injected {
            self.whole_get = whole_get;
        }
        self
    }

    async fn send_whole(
        &self,
        whole_get: &Function,
        request: &Request,
        max: usize,
        cancel: &Cancel,
    ) -> Result<Response, TransportError> {
        // Redacted only for an error (most requests have none).
        let url = || redact_url(&request.url);
        let headers = Array::new();
        for (k, v) in &request.headers {
            headers.push(&JsValue::from_str(k));
            headers.push(&JsValue::from_str(v));
        }
        // The body is handed out a piece at a time, copied out of wasm memory when the
        // connection can take it (a 64 MiB xorb is never held whole in JS memory).
        let pull = request.body.clone().map(|body| {
            let progress = request.body_progress.clone();
            Closure::<dyn FnMut(f64) -> JsValue>::new(move |at: f64| {
                let at = if at.is_finite() && at >= 0.0 {
                    (at as usize).min(body.len())
                } else {
                    body.len()
                };
                match piece_at(&body, at) {
                    Some(piece) => {
                        if let Some(p) = &progress {
                            p((at + piece.len()) as u64);
                        }
                        Uint8Array::from(piece).into()
                    }
                    None => JsValue::UNDEFINED,
                }
            })
        });
        let args = Array::of3(
            &JsValue::from_str(&request.url),
            &headers,
            &JsValue::from_f64(max as f64),
        );
        args.push(&JsValue::from_str(request.method.as_str()));
        if let (Some(body), Some(pull)) = (&request.body, &pull) {
            args.push(&JsValue::from_f64(body.len() as f64));
            args.push(pull.as_ref());
        }
        let called = whole_get.apply(&JsValue::UNDEFINED, &args);
        let answer = match called {
            Ok(promise) => {
                // A cancel also stops the transfer (a range read is megabytes).
                let _abort = Reflect::get(&promise, &JsValue::from_str("abort"))
                    .ok()
                    .and_then(|f| f.dyn_into::<Function>().ok())
                    .map(|abort| {
                        let target = promise.clone();
                        cancel.on_cancel(move || {
                            let _ = abort.call0(&target);
                        })
                    });
                with_cancel(JsFuture::from(Promise::resolve(&promise)), cancel).await?
            }
            Err(e) => Err(e),
        };
        drop(pull);
        let answer = match answer {
            Ok(a) => a,
            Err(_) if cancel.is_cancelled() => return Err(TransportError::Aborted),
            Err(e)
                if Reflect::get(&e, &JsValue::from_str("code"))
                    .ok()
                    .and_then(|c| c.as_string())
                    .is_some_and(|c| c == "ERR_HFB_TOO_LARGE") =>
            {
                return Err(TransportError::TooLarge {
                    url: url(),
                    limit: max,
                })
            }
            Err(e) => {
                return Err(TransportError::Connect {
                    url: url(),
                    message: describe_js_error(&e),
                })
            }
        };
        if let (Some(progress), Some(body)) = (&request.body_progress, &request.body) {
            progress(body.len() as u64);
        }
        // `[status, headers, body]`; the caller checks the body's size (`bytes_limited`).
        let part = |i| Reflect::get_u32(&answer, i).unwrap_or(JsValue::UNDEFINED);
        let body = part(2);
        let (Some(status), Some(headers), true) = (
            part(0).as_f64().filter(|s| (100.0..=599.0).contains(s)),
            part(1).as_string(),
            body.is_instance_of::<Uint8Array>() || Array::is_array(&body),
        ) else {
            return Err(TransportError::Connect {
                url: url(),
                message: "the whole-answer transport resolved to no [status, headers, body]".into(),
            });
        };
        let headers = parse_xhr_headers(&headers);
        let pieces = if Array::is_array(&body) {
            body.unchecked_into::<Array>()
        } else {
            Array::of1(&body)
        };
        let body = JsPieces {
            pieces,
            next: 0,
            url: request.url.clone(),
        };
        Ok(Response::new(
            status as u16,
            headers,
            request.url.clone(),
            Box::new(body),
        ))
    }
}

/// Text of a JS error value: `message` plus the `cause` chain (Node's "fetch failed" hides the
/// real reason, e.g. ECONNREFUSED, in `cause`).
pub fn describe_js_error(value: &JsValue) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = value.clone();
    for _ in 0..4 {
        if current.is_undefined() || current.is_null() {
            break;
        }
        let text = if let Some(s) = current.as_string() {
            s
        } else {
            let get = |k: &str| {
                Reflect::get(&current, &JsValue::from_str(k))
                    .ok()
                    .and_then(|v| v.as_string())
            };
            match (get("message"), get("code")) {
                (Some(m), Some(c)) if !m.contains(&c) => format!("{m} ({c})"),
                (Some(m), _) => m,
                (None, Some(c)) => c,
                (None, None) => String::from(js_sys::JsString::from(current.clone())),
            }
        };
        if !text.is_empty() && !parts.contains(&text) {
            parts.push(text);
        }
        current = Reflect::get(&current, &JsValue::from_str("cause")).unwrap_or(JsValue::UNDEFINED);
    }
    if parts.is_empty() {
        "unknown error".into()
    } else {
        parts.join(": ")
    }
}

fn headers_object(pairs: &[(String, String)]) -> Object {
    let obj = Object::new();
    for (k, v) in pairs {
        // Reflect::set on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    obj
}

/// Bodies at least this large are streamed in Node (see [`streaming_body`]).
const STREAM_BODY_MIN: usize = 1 << 20;
/// Size of each piece of a streamed body.
const STREAM_PIECE: usize = 256 << 10;

/// The piece of a request body handed to the network from offset `at` (at most
/// [`STREAM_PIECE`] bytes), `None` at the end.
fn piece_at(body: &[u8], at: usize) -> Option<&[u8]> {
    let end = at.saturating_add(STREAM_PIECE).min(body.len());
    body.get(at..end).filter(|piece| !piece.is_empty())
}

/// Whether we run in Node (whose fetch streams request bodies over HTTP/1.1; Chromium needs
/// HTTP/2 for that, TOOLCHAIN.md, so browsers keep buffered bodies).
fn is_node() -> bool {
    let process = Reflect::get(&js_sys::global(), &JsValue::from_str("process"))
        .unwrap_or(JsValue::UNDEFINED);
    let versions =
        Reflect::get(&process, &JsValue::from_str("versions")).unwrap_or(JsValue::UNDEFINED);
    Reflect::get(&versions, &JsValue::from_str("node"))
        .ok()
        .is_some_and(|v| v.is_string())
}

/// Whether this global has `XMLHttpRequest` (pages and dedicated workers; not service workers
/// or Node).
fn has_xhr() -> bool {
    Reflect::get(&js_sys::global(), &JsValue::from_str("XMLHttpRequest"))
        .ok()
        .is_some_and(|f| f.is_function())
}

/// Parses `name: value` lines (`getAllResponseHeaders()`, and the small-answer transport's).
fn parse_xhr_headers(all: &str) -> Headers {
    let pairs = all
        .split('\n')
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty());
    Headers::from_pairs(pairs)
}

/// Sends `request` (which has `body`) with `XMLHttpRequest`, calling `progress` with the bytes of
/// the body sent so far. The answer is read whole (xorb and shard uploads get small answers).
async fn send_xhr(
    request: &Request,
    body: &Bytes,
    progress: Rc<dyn Fn(u64)>,
    cancel: &Cancel,
) -> Result<Response, TransportError> {
    let url = redact_url(&request.url);
    let js_fail = |e: JsValue| TransportError::InvalidRequest {
        url: url.clone(),
        message: describe_js_error(&e),
    };
    let xhr = XmlHttpRequest::new().map_err(js_fail)?;
    xhr.open_with_async(request.method.as_str(), &request.url, true)
        .map_err(js_fail)?;
    xhr.set_response_type(XmlHttpRequestResponseType::Arraybuffer);
    for (k, v) in &request.headers {
        // XHR computes the length itself (setting it is refused).
        if !k.eq_ignore_ascii_case("content-length") {
            xhr.set_request_header(k, v).map_err(js_fail)?;
        }
    }
    let on_progress = {
        let progress = progress.clone();
        Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
            progress(e.loaded().max(0.0) as u64)
        })
    };
    xhr.upload()
        .map_err(js_fail)?
        .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    let done = Promise::new(&mut |resolve, reject| {
        xhr.set_onload(Some(&resolve));
        xhr.set_onerror(Some(&reject));
        xhr.set_onabort(Some(&reject));
        xhr.set_ontimeout(Some(&reject));
    });
    let _abort = {
        let xhr = xhr.clone();
        cancel.on_cancel(move || {
            let _ = xhr.abort();
        })
    };
    xhr.send_with_opt_buffer_source(Some(&Uint8Array::from(&body[..])))
        .map_err(js_fail)?;
    let outcome = with_cancel(JsFuture::from(done), cancel).await?;
    drop(on_progress);
    let status = xhr.status().unwrap_or(0);
    if cancel.is_cancelled() {
        return Err(TransportError::Aborted);
    }
    if outcome.is_err() || status == 0 {
        return Err(TransportError::Connect {
            url,
            message: "XMLHttpRequest failed (connection refused or closed, or blocked by CORS)"
                .into(),
        });
    }
    progress(body.len() as u64);
    let headers = parse_xhr_headers(&xhr.get_all_response_headers().unwrap_or_default());
    let final_url = Some(xhr.response_url())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| request.url.clone());
    let answer = match xhr.response() {
        Ok(v) if v.is_instance_of::<js_sys::ArrayBuffer>() => Uint8Array::new(&v).to_vec(),
        _ => Vec::new(),
    };
    Ok(Response::from_bytes(status, headers, final_url, answer))
}

type PullFn = Closure<dyn FnMut(JsValue)>;

/// A `ReadableStream` that hands out `body` in pieces of [`STREAM_PIECE`] bytes, each copied out
/// of wasm memory when the network asks for it, reporting progress as it goes. Node's fetch
/// would otherwise hold the whole body twice in JS memory (our copy and its own clone), which
/// for 64 MiB xorbs dominates the memory of an upload. The returned closure must outlive the
/// request.
fn streaming_body(body: Bytes, progress: Option<Rc<dyn Fn(u64)>>) -> Option<(JsValue, PullFn)> {
    let mut offset = 0usize;
    let pull = Closure::<dyn FnMut(JsValue)>::new(move |controller: JsValue| {
        let call = |name: &str, arg: Option<&JsValue>| {
            if let Ok(f) = Reflect::get(&controller, &JsValue::from_str(name))
                .and_then(|f| f.dyn_into::<Function>())
            {
                let _ = match arg {
                    Some(a) => f.call1(&controller, a),
                    None => f.call0(&controller),
                };
            }
        };
        match piece_at(&body, offset) {
            Some(piece) => {
                call("enqueue", Some(&Uint8Array::from(piece).into()));
                offset += piece.len();
                if let Some(p) = &progress {
                    p(offset as u64);
                }
            }
            None => call("close", None),
        }
    });
    let source = Object::new();
    let strategy = Object::new();
    Reflect::set(&source, &JsValue::from_str("pull"), pull.as_ref()).ok()?;
    Reflect::set(
        &strategy,
        &JsValue::from_str("highWaterMark"),
        &JsValue::from(0),
    )
    .ok()?;
    let ctor = Reflect::get(&js_sys::global(), &JsValue::from_str("ReadableStream"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let stream = Reflect::construct(&ctor, &Array::of2(&source, &strategy)).ok()?;
    Some((stream, pull))
}

fn set_redirect(init: &RequestInit, mode: &str) {
    // Reflect::set on a RequestInit (a plain object) cannot fail.
    let _ = Reflect::set(
        init,
        &JsValue::from_str("redirect"),
        &JsValue::from_str(mode),
    );
}

/// A browser's answer to a `redirect: "manual"` fetch that was redirected.
fn is_opaque_redirect(resp: &JsValue) -> bool {
    Reflect::get(resp, &JsValue::from_str("type"))
        .ok()
        .and_then(|t| t.as_string())
        .is_some_and(|t| t == "opaqueredirect")
}

fn read_headers(resp: &JsValue) -> Headers {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let Ok(headers) = Reflect::get(resp, &JsValue::from_str("headers")) else {
        return Headers::default();
    };
    if let Ok(Some(iter)) = js_sys::try_iter(&headers) {
        for entry in iter.flatten() {
            let k = Reflect::get_u32(&entry, 0).ok().and_then(|v| v.as_string());
            let v = Reflect::get_u32(&entry, 1).ok().and_then(|v| v.as_string());
            if let (Some(k), Some(v)) = (k, v) {
                pairs.push((k, v));
            }
        }
    }
    Headers::from_pairs(pairs)
}

impl FetchClient {
    /// Calls `fetch(url, init)`; a rejection is [`TransportError::Connect`] (or `Aborted`).
    async fn fetch_once(
        &self,
        url: &str,
        init: &RequestInit,
        cancel: &Cancel,
    ) -> Result<JsValue, TransportError> {
        let promise = self
            .fetch
            .call2(&js_sys::global(), &JsValue::from_str(url), init)
            .map_err(|e| TransportError::InvalidRequest {
                url: redact_url(url),
                message: describe_js_error(&e),
            })?;
        match with_cancel(JsFuture::from(Promise::resolve(&promise)), cancel).await? {
            Ok(resp) => Ok(resp),
            Err(_) if cancel.is_cancelled() => Err(TransportError::Aborted),
            Err(e) => Err(TransportError::Connect {
                url: redact_url(url),
                message: describe_js_error(&e),
            }),
        }
    }
}

#[async_trait::async_trait(?Send)]
impl HttpClient for FetchClient {
    async fn send(&self, request: Request, cancel: &Cancel) -> Result<Response, TransportError> {
        cancel.check()?;
        if let (Some(whole_get), Some(max)) = (&self.whole_get, request.whole_answer) {
            return self.send_whole(whole_get, &request, max, cancel).await;
        }
        // Boxed: the `fetch` path's state machine is large, and the whole-answer path above
        // (every request of a many-file upload) should not be polled through it.
        self.send_fetch(request, cancel).boxed_local().await
    }

    async fn sleep(&self, ms: u64) {
        Sleep::new(ms).await
    }

    /// 1 ms where `sleep(0)` is a `setImmediate` (Node, Bun); else the default (a browser's
    /// `setTimeout(0)` may wait 4 ms).
    fn yield_every_ms(&self) -> u64 {
        if global_function("setImmediate").is_some() {
            1
        } else {
            20
        }
    }

    fn now_ms(&self) -> u64 {
        js_sys::Date::now().max(0.0) as u64
    }
}

impl FetchClient {
    /// A request through `fetch` (or, for uploads with progress in browsers, XHR).
    async fn send_fetch(
        &self,
        request: Request,
        cancel: &Cancel,
    ) -> Result<Response, TransportError> {
        let url = request.url.clone();
        let invalid = |message: String| TransportError::InvalidRequest {
            url: redact_url(&url),
            message,
        };
        let controller = AbortController::new().map_err(|e| invalid(describe_js_error(&e)))?;
        let init = RequestInit::new();
        init.set_method(request.method.as_str());
        let headers = headers_object(&request.headers);
        if let (Some(body), Some(progress)) = (&request.body, &request.body_progress) {
            if !self.injected && !is_node() && has_xhr() {
                return send_xhr(&request, body, progress.clone(), cancel).await;
            }
        }
        let mut pump: Option<PullFn> = None;
        let mut report_at_end = None;
        if let Some(body) = &request.body {
            let streamed = if body.len() >= STREAM_BODY_MIN && is_node() {
                streaming_body(body.clone(), request.body_progress.clone())
            } else {
                None
            };
            match streamed {
                Some((stream, pull)) => {
                    init.set_body(&stream);
                    // Streams need `duplex: 'half'`; the length is still sent (spec: xorb and
                    // shard uploads carry Content-Length).
                    let _ = Reflect::set(
                        &init,
                        &JsValue::from_str("duplex"),
                        &JsValue::from_str("half"),
                    );
                    let _ = Reflect::set(
                        &headers,
                        &JsValue::from_str("content-length"),
                        &JsValue::from_str(&body.len().to_string()),
                    );
                    pump = Some(pull);
                }
                None => {
                    init.set_body(&Uint8Array::from(&body[..]));
                    report_at_end = request
                        .body_progress
                        .clone()
                        .map(|p| (p, body.len() as u64));
                }
            }
        }
        init.set_headers(&headers);
        init.set_signal(Some(&controller.signal()));
        set_redirect(&init, "manual");
        let abort_guard = {
            let controller = controller.clone();
            cancel.on_cancel(move || controller.abort())
        };
        let mut attempt = self.fetch_once(&request.url, &init, cancel).await;
        if let (Err(TransportError::Connect { .. }), Some(body)) =
            (&attempt, request.body.as_ref().filter(|_| pump.is_some()))
        {
            // A server that answers before reading a streamed body (401 for an expired token,
            // 503, …) and closes the connection makes Node's fetch fail with EPIPE/ECONNRESET
            // instead of returning that answer. Send the same request once more with a buffered
            // body, which does return it, so streaming never changes what callers see.
            pump = None;
            init.set_body(&Uint8Array::from(&body[..]));
            let _ = Reflect::delete_property(&init, &JsValue::from_str("duplex"));
            let _ = Reflect::delete_property(&headers, &JsValue::from_str("content-length"));
            init.set_headers(&headers);
            report_at_end = request
                .body_progress
                .clone()
                .map(|p| (p, body.len() as u64));
            attempt = self.fetch_once(&request.url, &init, cancel).await;
        }
        let mut resp = attempt?;
        if is_opaque_redirect(&resp) {
            // A browser hides redirects from `"manual"` fetches: the server answered with a
            // redirect (so it did not act on the request); let the browser follow it.
            set_redirect(&init, "follow");
            if let Some(body) = &request.body {
                init.set_body(&Uint8Array::from(&body[..]));
            }
            resp = self.fetch_once(&request.url, &init, cancel).await?;
        }
        if let Some((progress, len)) = report_at_end {
            progress(len);
        }
        let status = Reflect::get(&resp, &JsValue::from_str("status"))
            .ok()
            .and_then(|s| s.as_f64());
        let status = match status {
            Some(s) if (100.0..=599.0).contains(&s) => s as u16,
            _ => {
                return Err(TransportError::Connect {
                    url: redact_url(&url),
                    message: "fetch resolved to something that is not a Response".into(),
                })
            }
        };
        let headers = read_headers(&resp);
        let final_url = Reflect::get(&resp, &JsValue::from_str("url"))
            .ok()
            .and_then(|u| u.as_string())
            .filter(|u| !u.is_empty())
            .unwrap_or(url);
        let stream = Reflect::get(&resp, &JsValue::from_str("body"))
            .ok()
            .and_then(|b| b.dyn_into::<ReadableStream>().ok());
        let body = FetchBody {
            state: match stream {
                Some(s) => BodyState::Unread(s),
                None => BodyState::Done,
            },
            cancel: cancel.clone(),
            _abort: abort_guard,
            _pump: pump,
            url: redact_url(&final_url),
        };
        Ok(Response::new(status, headers, final_url, Box::new(body)))
    }
}

/// The global function `name`, if there is one.
fn global_function(name: &str) -> Option<Function> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
}

/// A `setTimeout` future that clears its timer when dropped (a timeout that lost a race must
/// not keep Node's event loop alive, nor fire later). A 0 ms sleep (a yield to the event loop)
/// uses `setImmediate` where there is one (Node, Bun): it runs right after pending I/O,
/// where `setTimeout(0)` waits at least 1 ms.
struct Sleep {
    shared: Rc<RefCell<SleepState>>,
    timer: Option<JsValue>,
    /// The function that cancels `timer` (`clearTimeout` or `clearImmediate`).
    clear: &'static str,
    _closure: Option<Closure<dyn FnMut()>>,
}

#[derive(Default)]
struct SleepState {
    done: bool,
    waker: Option<Waker>,
}

impl Sleep {
    fn new(ms: u64) -> Sleep {
        let shared = Rc::new(RefCell::new(SleepState::default()));
        let global = js_sys::global();
        let (set_timeout, clear) = match (ms, global_function("setImmediate")) {
            (0, Some(set_immediate)) => (Some(set_immediate), "clearImmediate"),
            _ => (global_function("setTimeout"), "clearTimeout"),
        };
        let Some(set_timeout) = set_timeout else {
            shared.borrow_mut().done = true;
            return Sleep {
                shared,
                timer: None,
                clear,
                _closure: None,
            };
        };
        let weak = Rc::downgrade(&shared);
        let closure = Closure::<dyn FnMut()>::new(move || {
            if let Some(state) = weak.upgrade() {
                let waker = {
                    let Ok(mut s) = state.try_borrow_mut() else {
                        return;
                    };
                    s.done = true;
                    s.waker.take()
                };
                if let Some(w) = waker {
                    w.wake();
                }
            }
        });
        let delay = JsValue::from_f64(ms.min(i32::MAX as u64) as f64);
        let timer = set_timeout.call2(&global, closure.as_ref(), &delay).ok();
        if timer.is_none() {
            shared.borrow_mut().done = true;
        }
        Sleep {
            shared,
            timer,
            clear,
            _closure: Some(closure),
        }
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Ok(mut s) = self.shared.try_borrow_mut() else {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        };
        if s.done {
            return Poll::Ready(());
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        let done = self.shared.try_borrow().map(|s| s.done).unwrap_or(false);
        if let (false, Some(timer)) = (done, self.timer.take()) {
            let global = js_sys::global();
            if let Ok(clear) = Reflect::get(&global, &JsValue::from_str(self.clear))
                .and_then(|f| f.dyn_into::<Function>())
            {
                let _ = clear.call1(&global, &timer);
            }
        }
    }
}

enum BodyState {
    Unread(ReadableStream),
    Reading(ReadableStreamDefaultReader),
    Done,
}

struct FetchBody {
    state: BodyState,
    cancel: Cancel,
    _abort: CancelGuard,
    /// Keeps a streamed request body's pull callback alive as long as the exchange.
    _pump: Option<PullFn>,
    url: String,
}

impl FetchBody {
    fn fail(&mut self, e: &JsValue) -> TransportError {
        self.state = BodyState::Done;
        if self.cancel.is_cancelled() {
            TransportError::Aborted
        } else {
            TransportError::Body {
                url: self.url.clone(),
                message: describe_js_error(e),
            }
        }
    }
}

impl FetchBody {
    /// The next non-empty chunk as the JS stream hands it out (no copy), `None` at the end.
    async fn next_array(&mut self) -> Result<Option<Uint8Array>, TransportError> {
        loop {
            let reader = match &self.state {
                BodyState::Done => return Ok(None),
                BodyState::Reading(r) => r.clone(),
                BodyState::Unread(stream) => {
                    let reader = stream
                        .get_reader()
                        .unchecked_into::<ReadableStreamDefaultReader>();
                    self.state = BodyState::Reading(reader.clone());
                    reader
                }
            };
            let result = match with_cancel(JsFuture::from(reader.read()), &self.cancel).await {
                Err(aborted) => {
                    self.state = BodyState::Done;
                    settle_quietly(reader.cancel());
                    return Err(aborted);
                }
                Ok(Err(e)) => return Err(self.fail(&e)),
                Ok(Ok(r)) => r,
            };
            let done = Reflect::get(&result, &JsValue::from_str("done"))
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true);
            if done {
                self.state = BodyState::Done;
                return Ok(None);
            }
            let value =
                Reflect::get(&result, &JsValue::from_str("value")).unwrap_or(JsValue::UNDEFINED);
            match value.dyn_into::<Uint8Array>() {
                Ok(bytes) if bytes.length() == 0 => continue,
                Ok(bytes) => return Ok(Some(bytes)),
                Err(other) => {
                    return Err(self.fail(&JsValue::from_str(&format!(
                        "body chunk is not bytes: {other:?}"
                    ))))
                }
            }
        }
    }
}

#[async_trait::async_trait(?Send)]
impl BodyStream for FetchBody {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        Ok(self.next_array().await?.map(|a| Bytes::from(a.to_vec())))
    }

    async fn next_chunk_into(&mut self, dst: &mut [u8]) -> Result<Option<usize>, TransportError> {
        let Some(array) = self.next_array().await? else {
            return Ok(None);
        };
        // One copy, from the JS chunk straight into the caller's buffer.
        Ok(Some(copy_array_into(&array, dst)))
    }
}

/// A body the whole-answer transport read: JS byte arrays, handed out in order.
struct JsPieces {
    pieces: Array,
    next: u32,
    /// The request URL (redacted when an error names it).
    url: String,
}

impl JsPieces {
    /// The next non-empty piece, `None` at the end.
    fn next_array(&mut self) -> Result<Option<Uint8Array>, TransportError> {
        while self.next < self.pieces.length() {
            let piece = self.pieces.get(self.next);
            self.next += 1;
            match piece.dyn_into::<Uint8Array>() {
                Ok(bytes) if bytes.length() == 0 => continue,
                Ok(bytes) => return Ok(Some(bytes)),
                Err(_) => {
                    return Err(TransportError::Body {
                        url: redact_url(&self.url),
                        message: "body piece is not bytes".into(),
                    })
                }
            }
        }
        Ok(None)
    }
}

#[async_trait::async_trait(?Send)]
impl BodyStream for JsPieces {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        Ok(self.next_array()?.map(|a| Bytes::from(a.to_vec())))
    }

    async fn next_chunk_into(&mut self, dst: &mut [u8]) -> Result<Option<usize>, TransportError> {
        let Some(array) = self.next_array()? else {
            return Ok(None);
        };
        Ok(Some(copy_array_into(&array, dst)))
    }
}

/// Copies the front of `array` into `dst` (as much as fits); returns `array`'s length.
fn copy_array_into(array: &Uint8Array, dst: &mut [u8]) -> usize {
    let len = array.length() as usize;
    let take = len.min(dst.len());
    if let Some(to) = dst.get_mut(..take) {
        if take == len {
            array.copy_to(to);
        } else {
            array.subarray(0, take as u32).copy_to(to);
        }
    }
    len
}

/// Lets `promise` settle with its outcome ignored. `cancel()` on a body that the abort already
/// errored rejects with that error ("This operation was aborted"); left alone, that rejection
/// is unhandled, which Node reports as a process-level error.
fn settle_quietly(promise: Promise) {
    wasm_bindgen_futures::spawn_local(async move {
        let _ = JsFuture::from(promise).await;
    });
}

impl Drop for FetchBody {
    fn drop(&mut self) {
        // Release the connection when the body was not read to its end.
        match std::mem::replace(&mut self.state, BodyState::Done) {
            BodyState::Unread(stream) => settle_quietly(stream.cancel()),
            BodyState::Reading(reader) => settle_quietly(reader.cancel()),
            BodyState::Done => {}
        }
    }
}

/// Removes the `abort` listener from the signal when the token is dropped.
struct SignalListener {
    signal: AbortSignal,
    closure: Closure<dyn FnMut()>,
}

impl Drop for SignalListener {
    fn drop(&mut self) {
        let _ = self
            .signal
            .remove_event_listener_with_callback("abort", self.closure.as_ref().unchecked_ref());
    }
}

/// A [`Cancel`] triggered by `signal` (already cancelled when the signal already fired). The
/// listener is removed when the last clone of the token is dropped.
pub fn cancel_from_signal(signal: Option<&AbortSignal>) -> Cancel {
    let cancel = Cancel::new();
    let Some(signal) = signal else { return cancel };
    if signal.aborted() {
        cancel.cancel();
        return cancel;
    }
    let weak = cancel.downgrade();
    let closure = Closure::<dyn FnMut()>::new(move || {
        if let Some(c) = weak.upgrade() {
            c.cancel();
        }
    });
    if signal
        .add_event_listener_with_callback("abort", closure.as_ref().unchecked_ref())
        .is_ok()
    {
        cancel.attach(SignalListener {
            signal: signal.clone(),
            closure,
        });
    }
    cancel
}
