//! Native [`HttpClient`] over reqwest + tokio, for `cargo test` against local-hub (plain HTTP on
//! loopback; no TLS is compiled in). Never part of the wasm build.
//!
//! Futures must run inside a tokio runtime with the time driver (e.g.
//! `#[tokio::test(flavor = "current_thread")]`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{
    redact_url, with_cancel, BodyStream, Bytes, Cancel, Headers, HttpClient, Method, Request,
    Response, TransportError,
};

/// reqwest-backed transport.
#[derive(Debug, Clone)]
pub struct NativeClient {
    client: reqwest::Client,
}

impl Default for NativeClient {
    fn default() -> NativeClient {
        NativeClient::new()
    }
}

impl NativeClient {
    /// A client that returns redirects as they are ([`super::redirect`] follows them).
    pub fn new() -> NativeClient {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            // Only TLS set-up can fail here, and no TLS is compiled in.
            .unwrap_or_default();
        NativeClient { client }
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
        let body_len = request.body.as_ref().map(|b| b.len() as u64);
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let req = builder
            .build()
            .map_err(|e| TransportError::InvalidRequest {
                url: redact_url(&url),
                message: describe(&e),
            })?;
        let resp = with_cancel(self.client.execute(req), cancel)
            .await?
            .map_err(|e| TransportError::Connect {
                url: redact_url(&url),
                message: describe(&e),
            })?;
        // The body was sent in one piece: report it once the response is in.
        if let (Some(progress), Some(len)) = (&request.body_progress, body_len) {
            progress(len);
        }
        let status = resp.status().as_u16();
        let headers = Headers::from_pairs(resp.headers().iter().map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        }));
        let final_url = resp.url().to_string();
        let body = NativeBody {
            resp: Some(resp),
            cancel: cancel.clone(),
            url: redact_url(&final_url),
        };
        Ok(Response::new(status, headers, final_url, Box::new(body)))
    }

    async fn sleep(&self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
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
        let Some(resp) = self.resp.as_mut() else {
            return Ok(None);
        };
        let next = with_cancel(resp.chunk(), &self.cancel).await;
        match next {
            Ok(Ok(Some(chunk))) => Ok(Some(chunk)),
            Ok(Ok(None)) => {
                self.resp = None;
                Ok(None)
            }
            Ok(Err(e)) => {
                self.resp = None;
                Err(TransportError::Body {
                    url: self.url.clone(),
                    message: describe(&e),
                })
            }
            Err(aborted) => {
                self.resp = None;
                Err(aborted)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::time::Instant;

    /// Serves one connection: reads the request head, hands it to `respond`, which writes.
    fn serve_once(
        respond: impl FnOnce(String, &mut std::net::TcpStream) + Send + 'static,
    ) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            respond(head, &mut stream);
        });
        url
    }

    #[tokio::test(flavor = "current_thread")]
    async fn streams_a_chunked_body_and_sends_headers() {
        let url = serve_once(|head, s| {
            assert!(head.starts_with("GET /x?cursor=1 HTTP/1.1"), "{head}");
            assert!(
                head.to_ascii_lowercase()
                    .contains("authorization: bearer hf_t"),
                "{head}"
            );
            s.write_all(b"HTTP/1.1 200 OK\r\nLink: <http://h/n>; rel=\"next\"\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
            for part in ["hello ", "chunked ", "world"] {
                s.write_all(format!("{:x}\r\n{part}\r\n", part.len()).as_bytes())
                    .unwrap();
                s.flush().unwrap();
                std::thread::sleep(Duration::from_millis(20));
            }
            s.write_all(b"0\r\n\r\n").unwrap();
        });
        let http = NativeClient::new();
        let req = Request::new(Method::Get, format!("{url}/x?cursor=1"))
            .header("authorization", "Bearer hf_t");
        let resp = http.send(req, &Cancel::new()).await.unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("LINK"), Some("<http://h/n>; rel=\"next\""));
        assert_eq!(
            &resp.bytes_limited(1 << 20).await.unwrap()[..],
            b"hello chunked world"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn cancel_stops_a_stalled_body() {
        let url = serve_once(|_, s| {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome")
                .unwrap();
            s.flush().unwrap();
            std::thread::sleep(Duration::from_secs(5));
        });
        let http = NativeClient::new();
        let cancel = Cancel::new();
        let mut resp = http
            .send(Request::new(Method::Get, url), &cancel)
            .await
            .unwrap();
        assert_eq!(&resp.chunk().await.unwrap().unwrap()[..], b"some");
        let t0 = Instant::now();
        let trigger = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            cancel.cancel();
        };
        let (result, ()) = tokio::join!(resp.chunk(), trigger);
        let err = result.unwrap_err();
        assert!(matches!(err, TransportError::Aborted), "{err:?}");
        assert!(t0.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn connect_errors_are_retryable_and_redacted() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/p?sig=secret", listener.local_addr().unwrap());
        drop(listener);
        let err = NativeClient::new()
            .send(Request::new(Method::Get, url), &Cancel::new())
            .await
            .unwrap_err();
        assert!(
            matches!(err, TransportError::Connect { .. }) && err.retryable(),
            "{err:?}"
        );
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}
