//! Redirects, followed by hand so that a token never leaves its origin (issue 10).
//!
//! Every request goes through [`send`], which follows at most [`MAX_REDIRECTS`] redirects
//! (301, 302, 303, 307, 308), and only to the request's own origin (scheme, host and port), or to
//! the origins its [`Redirects::Metadata`] policy adds. The request is sent again from its
//! buffered body (`Bytes`), so a `307` on a POST replays the same bytes; a `303`, or a `301`/`302`
//! on a POST, continues as a GET without a body (what `fetch` does). A redirect to any other
//! origin is never followed: with [`Redirects::SameOrigin`] it is a
//! [`TransportError::Redirect`], with [`Redirects::Metadata`] the 3xx itself is the answer (its
//! headers carry a file's metadata, workflows §5.1). Errors name URLs without query or userinfo.
//!
//! Transports do not follow redirects themselves where the platform lets them choose (reqwest;
//! `fetch` with `redirect: "manual"` in Node, Deno, Bun and workerd). Browsers do not show a
//! script where a redirect goes (an opaque answer), so there `fetch` (and `XMLHttpRequest`)
//! follows redirects itself; the Fetch standard drops `Authorization` when a redirect crosses
//! origins, and [`send`] then refuses an answer that arrived from another origin than allowed.
//!
//! ```
//! use hf_buckets::transport::redirect::resolve_location;
//! assert_eq!(resolve_location("https://h/a/b?q", "c").as_deref(), Some("https://h/a/c"));
//! assert_eq!(resolve_location("https://h/a/b", "//x/y").as_deref(), Some("https://x/y"));
//! ```

use super::{origin_of, redact_url, Cancel, HttpClient, Method, Request, Response, TransportError};

/// Most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;

/// Which redirects a request follows (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Redirects {
    /// Only to the request's origin; any other is a [`TransportError::Redirect`].
    #[default]
    SameOrigin,
    /// To the request's origin or one of these; any other answers with the 3xx itself.
    Metadata(&'static [&'static str]),
}

impl Redirects {
    fn allows(self, from_origin: &str, url: &str) -> bool {
        let Some(origin) = origin_of(url) else {
            return false;
        };
        same_origin(origin, from_origin)
            || match self {
                Redirects::SameOrigin => false,
                Redirects::Metadata(extra) => extra.iter().any(|o| same_origin(o, origin)),
            }
    }
}

/// Whether two `scheme://host[:port]` origins are the same (case-insensitive; an explicit
/// default port equals none).
pub fn same_origin(a: &str, b: &str) -> bool {
    fn normal(o: &str) -> String {
        let o = o.to_ascii_lowercase();
        o.strip_suffix(":443")
            .filter(|r| r.starts_with("https://"))
            .or_else(|| o.strip_suffix(":80").filter(|r| r.starts_with("http://")))
            .map(String::from)
            .unwrap_or(o)
    }
    normal(a) == normal(b)
}

/// `location` resolved against `base` (absolute, scheme-relative, absolute-path or relative
/// reference); `None` for anything that is not http(s).
pub fn resolve_location(base: &str, location: &str) -> Option<String> {
    let location = location.trim();
    let base_origin = origin_of(base)?;
    let scheme = &base[..base.find("://")?];
    let url = if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{base_origin}{location}")
    } else if location.contains("://") {
        location.to_string()
    } else {
        let path_end = base.find(['?', '#']).unwrap_or(base.len());
        let path = &base[base_origin.len()..path_end];
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        let dir = if dir.is_empty() { "/" } else { dir };
        format!("{base_origin}{dir}{location}")
    };
    if origin_of(&url).is_some() {
        Some(url)
    } else {
        None
    }
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

fn refused(from: &str, to: &str, reason: &'static str) -> TransportError {
    TransportError::Redirect {
        url: redact_url(from),
        detail: format!("{reason} ({})", redact_url(to)),
    }
}

/// The next hop of `request` after `status`: the same request to `target`, or a GET without a
/// body after a 303 (and after a 301/302 on a POST), as `fetch` does.
fn next_hop(mut request: Request, status: u16, target: String) -> Request {
    let to_get = status == 303 && !matches!(request.method, Method::Get | Method::Head)
        || matches!(status, 301 | 302) && request.method == Method::Post;
    if to_get {
        request.method = Method::Get;
        request.body = None;
        request.body_progress = None;
        request
            .headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
    }
    request.url = target;
    request
}

/// Sends `request` through `http`, following redirects as the module docs say.
///
/// # Errors
/// The transport's errors, and [`TransportError::Redirect`] for a redirect that may not be
/// followed (another origin, a `Location` that is not http(s), more than [`MAX_REDIRECTS`]).
pub async fn send(
    http: &dyn HttpClient,
    request: Request,
    cancel: &Cancel,
) -> Result<Response, TransportError> {
    let policy = request.redirects;
    let Some(origin) = origin_of(&request.url).map(String::from) else {
        // Not an absolute http(s) URL: the transport reports it.
        return http.send(request, cancel).await;
    };
    let mut request = request;
    for hop in 0..=MAX_REDIRECTS {
        let resp = http.send(request.clone(), cancel).await?;
        // A platform that followed redirects itself (browsers, XHR, a custom fetch): refuse an
        // answer from an origin the request may not reach.
        if !policy.allows(&origin, &resp.url) {
            return Err(refused(
                &request.url,
                &resp.url,
                "answered from another origin",
            ));
        }
        if !is_redirect(resp.status) {
            return Ok(resp);
        }
        let Some(location) = resp.header("location") else {
            return Ok(resp);
        };
        let Some(target) = resolve_location(&resp.url, location) else {
            return Err(refused(&request.url, location, "not an http(s) URL"));
        };
        if !policy.allows(&origin, &target) {
            return match policy {
                Redirects::Metadata(_) => Ok(resp),
                Redirects::SameOrigin => Err(refused(&request.url, &target, "another origin")),
            };
        }
        if hop == MAX_REDIRECTS {
            return Err(refused(&request.url, &target, "too many redirects"));
        }
        let status = resp.status;
        drop(resp);
        request = next_hop(request, status, target);
    }
    unreachable_hop(&request.url)
}

/// The loop above always returns; this keeps the function total without a panic.
fn unreachable_hop(url: &str) -> Result<Response, TransportError> {
    Err(refused(url, url, "too many redirects"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{Bytes, Headers};
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    /// One scripted answer: status and headers.
    type Answer = (u16, Vec<(String, String)>);

    /// Answers each request with the next scripted (status, headers), recording the requests.
    #[derive(Default)]
    struct Scripted {
        script: RefCell<VecDeque<Answer>>,
        seen: RefCell<Vec<Request>>,
    }

    impl Scripted {
        fn new() -> Rc<Scripted> {
            Rc::new(Scripted::default())
        }
        fn push(&self, status: u16, headers: &[(&str, &str)], _body: &str) {
            let headers = headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            self.script.borrow_mut().push_back((status, headers));
        }
    }

    #[async_trait::async_trait(?Send)]
    impl HttpClient for Scripted {
        async fn send(&self, request: Request, _: &Cancel) -> Result<Response, TransportError> {
            let url = request.url.clone();
            self.seen.borrow_mut().push(request);
            let (status, headers) = self.script.borrow_mut().pop_front().unwrap_or_default();
            Ok(Response::from_bytes(
                status,
                Headers::from_pairs(headers),
                url,
                Bytes::new(),
            ))
        }
        async fn sleep(&self, _: u64) {}
        fn now_ms(&self) -> u64 {
            0
        }
    }

    #[test]
    fn locations_and_origins() {
        for (base, loc, want) in [
            ("https://h/a/b?q", "c", Some("https://h/a/c")),
            ("https://h", "c", Some("https://h/c")),
            ("https://h:8/a", "/x?y", Some("https://h:8/x?y")),
            ("http://h/a", "//o:1/p", Some("http://o:1/p")),
            ("http://h/a", "https://o/p", Some("https://o/p")),
            ("http://h/a", "ftp://o/p", None),
            ("http://h/a", "javascript://x", None),
        ] {
            assert_eq!(resolve_location(base, loc).as_deref(), want, "{base} {loc}");
        }
        assert!(same_origin("https://H:443", "https://h"));
        assert!(same_origin("http://h:80", "http://h"));
        assert!(!same_origin("http://h:443", "https://h"));
        assert!(!same_origin("http://h:1", "http://h:2"));
    }

    fn post() -> Request {
        Request::new(Method::Post, "http://hub/api/buckets/a/b/batch")
            .header("authorization", "Bearer hf_tok")
            .body("application/x-ndjson", b"{}\n".to_vec())
            .retry_safe(true)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn same_origin_307_replays_the_body() {
        let t = Scripted::new();
        t.push(307, &[("location", "/api/buckets/a/c/batch")], "");
        t.push(200, &[], "ok");
        let resp = send(&*t, post(), &Cancel::new()).await.unwrap();
        assert_eq!(resp.status, 200);
        let seen = t.seen.borrow();
        assert_eq!(seen[1].url, "http://hub/api/buckets/a/c/batch");
        assert_eq!(seen[1].method, Method::Post);
        assert_eq!(seen[1].body.as_deref(), Some(&b"{}\n"[..]));
        assert_eq!(seen[1].header_value("authorization"), Some("Bearer hf_tok"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn see_other_becomes_a_get() {
        let t = Scripted::new();
        t.push(303, &[("location", "http://hub/done")], "");
        t.push(200, &[], "");
        send(&*t, post(), &Cancel::new()).await.unwrap();
        let seen = t.seen.borrow();
        assert_eq!(
            (seen[1].method, seen[1].body.is_none()),
            (Method::Get, true)
        );
        assert_eq!(seen[1].header_value("content-type"), None);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn other_origins_are_never_sent_to() {
        for location in [
            "http://evil/x?sig=1",
            "https://hub/x",
            "http://hub:81/x",
            "http://user:pw@hub/x",
            "//evil/x",
        ] {
            let t = Scripted::new();
            t.push(302, &[("location", location)], "");
            let e = send(&*t, post(), &Cancel::new()).await.unwrap_err();
            assert!(matches!(e, TransportError::Redirect { .. }), "{e}");
            let text = e.to_string();
            assert!(!text.contains("pw") && !text.contains("sig=1"), "{text}");
            assert_eq!(t.seen.borrow().len(), 1, "{location}");
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn metadata_stops_at_a_foreign_redirect_and_bounds_hops() {
        let t = Scripted::new();
        t.push(302, &[("location", "https://huggingface.co/x")], "");
        t.push(
            302,
            &[("location", "https://cdn/x"), ("x-linked-size", "3")],
            "",
        );
        let mut head = Request::new(Method::Head, "http://hub/r");
        head.redirects = Redirects::Metadata(&["https://huggingface.co"]);
        let resp = send(&*t, head.clone(), &Cancel::new()).await.unwrap();
        assert_eq!(
            (resp.status, resp.header("x-linked-size")),
            (302, Some("3"))
        );
        assert_eq!(t.seen.borrow()[1].url, "https://huggingface.co/x");

        let t = Scripted::new();
        for _ in 0..=MAX_REDIRECTS {
            t.push(307, &[("location", "/again")], "");
        }
        let e = send(&*t, head, &Cancel::new()).await.unwrap_err();
        assert!(e.to_string().contains("too many redirects"), "{e}");
        assert_eq!(t.seen.borrow().len(), MAX_REDIRECTS + 1);
    }
}
