//! Retries with exponential backoff and jitter, per-attempt timeouts, and HTTP error mapping.
//!
//! [`send`] is how every Hub (and CAS) call goes out: it sends the request through an
//! [`HttpClient`], turns an error status into [`Error::Hub`] (reading the server's message,
//! `X-Error-Code`, `X-Request-Id`, `Retry-After`), and tries again while
//! [`Error::retryable`] says so (buckets spec §4.3: 408/429/500/502/503/504 and network
//! failures), up to [`RetryPolicy::max_retries`] times.
//!
//! - Only requests marked [`Request::retry_safe`] are retried on every retryable failure; a
//!   request that is not (e.g. create bucket, move) is retried only after a 429, which the server
//!   rejects before doing anything.
//! - Backoff is `initial_delay_ms · 2^attempt`, capped at `max_delay_ms`, with "equal jitter"
//!   (a uniform pick in the upper half). A `Retry-After` (or `RateLimit: …;t=N`) from the server
//!   replaces it; one longer than `max_retry_after_ms` ends the retries at once instead of
//!   stalling the caller.
//! - Sleeps are cancellable: an abort during backoff returns [`Error::Aborted`] at once.
//!
//! ```
//! use hf_buckets::transport::retry::RetryPolicy;
//! let p = RetryPolicy { max_retries: 2, ..RetryPolicy::default() };
//! assert_eq!(p.backoff_ms(0, 0.0), 100);   // lower bound of the jittered 200 ms step
//! assert_eq!(p.backoff_ms(3, 1.0), 1600);
//! ```

use std::cell::Cell;

use super::{race, Cancel, Either, HttpClient, Request, Response, TransportError};
use crate::error::{Error, ErrorKind};
use crate::hub::HubError;

/// How failed requests are retried. `RetryPolicy::none()` disables retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` attempts in all).
    pub max_retries: u32,
    /// Backoff before the first retry, before jitter.
    pub initial_delay_ms: u64,
    /// Upper bound of one backoff step.
    pub max_delay_ms: u64,
    /// The longest server-requested wait (`Retry-After`) we honour; a longer one fails at once.
    pub max_retry_after_ms: u64,
    /// Per-attempt limit on the time until response headers arrive (`None`: no limit). Body
    /// reads are not covered.
    pub timeout_ms: Option<u64>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            initial_delay_ms: 200,
            max_delay_ms: 10_000,
            max_retry_after_ms: 60_000,
            timeout_ms: Some(60_000),
        }
    }
}

impl RetryPolicy {
    /// No retries (still maps statuses to errors and applies the default timeout).
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The backoff before retry number `attempt` (0-based), for a jitter draw `unit` in [0, 1].
    pub fn backoff_ms(&self, attempt: u32, unit: f64) -> u64 {
        let exp = 2u64.saturating_pow(attempt.min(63));
        let step = self
            .initial_delay_ms
            .saturating_mul(exp)
            .min(self.max_delay_ms);
        let half = step / 2;
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        half + ((step - half) as f64 * unit).round() as u64
    }

    /// How long to wait before retry number `attempt` after `error`, or `None` to give up.
    pub fn delay_after(
        &self,
        attempt: u32,
        error: &Error,
        retry_safe: bool,
        unit: f64,
    ) -> Option<u64> {
        if attempt >= self.max_retries || !error.retryable() {
            return None;
        }
        if !retry_safe && error.kind() != ErrorKind::RateLimited {
            return None;
        }
        match error.retry_after_ms() {
            Some(ms) if ms > self.max_retry_after_ms => None,
            Some(ms) => Some(ms),
            None => Some(self.backoff_ms(attempt, unit)),
        }
    }
}

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// A uniform draw in [0, 1] for jitter (xorshift64*, seeded from the clock; not cryptographic).
fn jitter_unit(seed_ms: u64) -> f64 {
    RNG.with(|cell| {
        let mut x = cell.get();
        if x == 0 {
            x = seed_ms ^ 0x9E37_79B9_7F4A_7C15;
            if x == 0 {
                x = 1;
            }
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        cell.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// Sends `request`, retrying per `policy`. Returns the response when its status is 2xx or listed
/// in `accept` (statuses the caller handles itself, e.g. 409 on create, 422 on batch); every other
/// status becomes [`Error::Hub`].
pub async fn send(
    http: &dyn HttpClient,
    policy: &RetryPolicy,
    request: Request,
    cancel: &Cancel,
    accept: &[u16],
) -> Result<Response, Error> {
    let mut attempt = 0u32;
    loop {
        if cancel.is_cancelled() {
            return Err(Error::Aborted);
        }
        let error = match send_once(http, policy, request.clone(), cancel, accept).await {
            Ok(resp) => return Ok(resp),
            Err(e) => e,
        };
        let Some(delay) = policy.delay_after(
            attempt,
            &error,
            request.retry_safe,
            jitter_unit(http.now_ms()),
        ) else {
            return Err(error);
        };
        super::sleep(http, delay, cancel).await?;
        attempt += 1;
    }
}

/// One attempt: send with the per-attempt timeout, then map an unaccepted status to an error.
async fn send_once(
    http: &dyn HttpClient,
    policy: &RetryPolicy,
    request: Request,
    cancel: &Cancel,
    accept: &[u16],
) -> Result<Response, Error> {
    let method = request.method;
    let url = request.url.clone();
    let resp = match policy.timeout_ms {
        None => http.send(request, cancel).await?,
        Some(ms) => {
            let attempt_cancel = cancel.child();
            match race(http.send(request, &attempt_cancel), http.sleep(ms)).await {
                Either::Left(r) => r?,
                Either::Right(()) => {
                    attempt_cancel.cancel();
                    return Err(if cancel.is_cancelled() {
                        Error::Aborted
                    } else {
                        TransportError::Timeout {
                            url: super::redact_url(&url),
                            ms,
                        }
                        .into()
                    });
                }
            }
        }
    };
    if resp.is_success() || accept.contains(&resp.status) {
        return Ok(resp);
    }
    Err(HubError::from_response(method, resp, http.now_ms())
        .await
        .into())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::transport::{Bytes, Headers, Method};
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    /// A scripted transport: answers each request with the next scripted outcome, records every
    /// request, and keeps virtual time (sleep advances the clock instantly).
    #[derive(Default)]
    pub(crate) struct Scripted {
        pub(crate) script:
            RefCell<VecDeque<Result<(u16, Vec<(&'static str, String)>, String), TransportError>>>,
        pub(crate) seen: RefCell<Vec<Request>>,
        pub(crate) slept: RefCell<Vec<u64>>,
        pub(crate) now: Cell<u64>,
    }

    impl Scripted {
        pub(crate) fn new() -> Rc<Scripted> {
            Rc::new(Scripted {
                now: Cell::new(1_700_000_000_000),
                ..Default::default()
            })
        }
        pub(crate) fn push(&self, status: u16, headers: &[(&'static str, &str)], body: &str) {
            let h = headers.iter().map(|(k, v)| (*k, v.to_string())).collect();
            self.script
                .borrow_mut()
                .push_back(Ok((status, h, body.to_string())));
        }
        pub(crate) fn push_err(&self, e: TransportError) {
            self.script.borrow_mut().push_back(Err(e));
        }
    }

    #[async_trait::async_trait(?Send)]
    impl HttpClient for Scripted {
        async fn send(
            &self,
            request: Request,
            cancel: &Cancel,
        ) -> Result<Response, TransportError> {
            cancel.check()?;
            let url = request.url.clone();
            self.seen.borrow_mut().push(request);
            let next = self.script.borrow_mut().pop_front();
            match next {
                Some(Ok((status, headers, body))) => Ok(Response::from_bytes(
                    status,
                    Headers::from_pairs(headers),
                    url,
                    Bytes::from(body),
                )),
                Some(Err(e)) => Err(e),
                None => Err(TransportError::Connect {
                    url,
                    message: "script exhausted".into(),
                }),
            }
        }
        async fn sleep(&self, ms: u64) {
            self.slept.borrow_mut().push(ms);
            self.now.set(self.now.get() + ms);
        }
        fn now_ms(&self) -> u64 {
            self.now.get()
        }
    }

    fn get() -> Request {
        Request::new(Method::Get, "http://hub/api/buckets/a/b")
    }

    #[tokio::test(flavor = "current_thread")]
    async fn retries_503_503_then_200() {
        let t = Scripted::new();
        t.push(503, &[], "");
        t.push(503, &[], "busy");
        t.push(200, &[], "ok");
        let resp = send(&*t, &RetryPolicy::default(), get(), &Cancel::new(), &[])
            .await
            .unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(t.seen.borrow().len(), 3);
        let slept = t.slept.borrow();
        assert_eq!(slept.len(), 2);
        assert!((100..=200).contains(&slept[0]), "{slept:?}");
        assert!((200..=400).contains(&slept[1]), "{slept:?}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn honours_retry_after_seconds_and_gives_up_after_limit() {
        let t = Scripted::new();
        for _ in 0..3 {
            t.push(
                429,
                &[("retry-after", "2"), ("x-error-code", "RateLimited")],
                r#"{"error":"slow down"}"#,
            );
        }
        let policy = RetryPolicy {
            max_retries: 2,
            ..RetryPolicy::default()
        };
        let err = send(&*t, &policy, get(), &Cancel::new(), &[])
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert_eq!(err.status(), Some(429));
        assert_eq!(err.code(), Some("RateLimited"));
        assert!(err.to_string().contains("slow down"), "{err}");
        assert_eq!(*t.slept.borrow(), [2000, 2000]);
        assert_eq!(t.seen.borrow().len(), 3);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn too_long_retry_after_fails_at_once() {
        let t = Scripted::new();
        t.push(429, &[("retry-after", "3600")], "");
        let err = send(&*t, &RetryPolicy::default(), get(), &Cancel::new(), &[])
            .await
            .unwrap_err();
        assert_eq!(err.retry_after_ms(), Some(3_600_000));
        assert!(t.slept.borrow().is_empty());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn non_retry_safe_only_after_429() {
        let t = Scripted::new();
        t.push(503, &[], "");
        let post = Request::new(Method::Post, "http://hub/api/repos/move");
        let err = send(
            &*t,
            &RetryPolicy::default(),
            post.clone(),
            &Cancel::new(),
            &[],
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server);
        assert_eq!(t.seen.borrow().len(), 1);

        t.push(429, &[("retry-after", "0")], "");
        t.push(200, &[], "");
        assert_eq!(
            send(&*t, &RetryPolicy::default(), post, &Cancel::new(), &[])
                .await
                .unwrap()
                .status,
            200
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn network_errors_retry_and_4xx_do_not() {
        let t = Scripted::new();
        t.push_err(TransportError::Connect {
            url: "u".into(),
            message: "reset".into(),
        });
        t.push(
            404,
            &[("x-error-code", "RepoNotFound")],
            r#"{"error":"Repository not found"}"#,
        );
        let err = send(&*t, &RetryPolicy::default(), get(), &Cancel::new(), &[])
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(t.seen.borrow().len(), 2);
        // An accepted status comes back as a response.
        t.push(409, &[], r#"{"url":"x"}"#);
        assert_eq!(
            send(&*t, &RetryPolicy::default(), get(), &Cancel::new(), &[409])
                .await
                .unwrap()
                .status,
            409
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn abort_during_backoff() {
        let t = Scripted::new();
        t.push(503, &[], "");
        let cancel = Cancel::new();
        struct CancelOnSleep(Rc<Scripted>, Cancel);
        #[async_trait::async_trait(?Send)]
        impl HttpClient for CancelOnSleep {
            async fn send(&self, r: Request, c: &Cancel) -> Result<Response, TransportError> {
                self.0.send(r, c).await
            }
            async fn sleep(&self, _ms: u64) {
                self.1.cancel();
                std::future::pending::<()>().await
            }
            fn now_ms(&self) -> u64 {
                0
            }
        }
        let http = CancelOnSleep(t.clone(), cancel.clone());
        let policy = RetryPolicy {
            timeout_ms: None,
            ..RetryPolicy::default()
        };
        let err = send(&http, &policy, get(), &cancel, &[]).await.unwrap_err();
        assert!(matches!(err, Error::Aborted), "{err:?}");
        assert_eq!(t.seen.borrow().len(), 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn timeout_is_retryable_then_reported() {
        struct Hang;
        #[async_trait::async_trait(?Send)]
        impl HttpClient for Hang {
            async fn send(&self, _r: Request, c: &Cancel) -> Result<Response, TransportError> {
                c.cancelled().await;
                Err(TransportError::Aborted)
            }
            async fn sleep(&self, _ms: u64) {}
            fn now_ms(&self) -> u64 {
                0
            }
        }
        let policy = RetryPolicy {
            max_retries: 1,
            timeout_ms: Some(5),
            ..RetryPolicy::default()
        };
        let err = send(&Hang, &policy, get(), &Cancel::new(), &[])
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
        assert!(err.retryable());
    }

    #[test]
    fn backoff_is_bounded_and_jittered() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_ms(0, 0.0), 100);
        assert_eq!(p.backoff_ms(0, 1.0), 200);
        assert_eq!(p.backoff_ms(10, 1.0), 10_000);
        assert_eq!(p.backoff_ms(u32::MAX, 1.0), 10_000);
        assert_eq!(p.backoff_ms(1, f64::NAN), 200);
        for i in 0..1000 {
            let u = jitter_unit(i);
            assert!((0.0..=1.0).contains(&u));
        }
    }
}
