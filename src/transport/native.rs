//! Native [`HttpClient`] over reqwest + tokio, for `cargo test` against local-hub (plain HTTP on
//! loopback; no TLS is compiled in). Never part of the wasm build.
//!
//! Futures must run inside a tokio runtime with the time driver (e.g.
//! `#[tokio::test(flavor = "current_thread")]`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{redact_url, with_cancel, BodyStream, Bytes, Cancel, Headers, HttpClient, Method, Request, Response, TransportError};

/// reqwest-backed transport.
#[derive(Debug, Clone, Default)]
pub struct NativeClient {
    client: reqwest::Client,
}

impl NativeClient {
    /// A client with reqwest's defaults (follows up to 10 redirects).
    pub fn new() -> NativeClient {
        NativeClient::default()
    }
}

fn method(m: Method) -> reqwest::Method {
    match m {
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Delete => reqwest::Method::DELETE,
    }
}

/// Describes a reqwest error without its URL (we add a redacted one) and with its causes.
fn describe(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    // reqwest prints the full URL in its messages; drop query strings it may contain.
    match e.url() {
        Some(u) if u.query().is_some() => msg.replace(u.as_str(), &redact_url(u.as_str())),
        _ => msg,
    }
}

#[async_trait::async_trait(?Send)]
impl HttpClient for NativeClient {
    async fn send(&self, request: Request, cancel: &Cancel) -> Result<Response, TransportError> {
        cancel.check()?;
        let url = request.url.clone();
        let mut builder = self.client.request(method(request.method), &request.url);
        for (k, v) in &request.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let req = builder
            .build()
            .map_err(|e| TransportError::InvalidRequest { url: redact_url(&url), message: describe(&e) })?;
        let resp = with_cancel(self.client.execute(req), cancel)
            .await?
            .map_err(|e| TransportError::Connect { url: redact_url(&url), message: describe(&e) })?;
        let status = resp.status().as_u16();
        let headers = Headers::from_pairs(
            resp.headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())),
        );
        let final_url = resp.url().to_string();
        let body = NativeBody { resp: Some(resp), cancel: cancel.clone(), url: redact_url(&final_url) };
        Ok(Response::new(status, headers, final_url, Box::new(body)))
    }

    async fn sleep(&self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    fn now_ms(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    }
}

struct NativeBody {
    resp: Option<reqwest::Response>,
    cancel: Cancel,
    url: String,
}

#[async_trait::async_trait(?Send)]
impl BodyStream for NativeBody {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        let Some(resp) = self.resp.as_mut() else { return Ok(None) };
        let next = with_cancel(resp.chunk(), &self.cancel).await;
        match next {
            Ok(Ok(Some(chunk))) => Ok(Some(chunk)),
            Ok(Ok(None)) => {
                self.resp = None;
                Ok(None)
            }
            Ok(Err(e)) => {
                self.resp = None;
                Err(TransportError::Body { url: self.url.clone(), message: describe(&e) })
            }
            Err(aborted) => {
                self.resp = None;
                Err(aborted)
            }
        }
    }
}
