//! Retries with exponential backoff and jitter, per-attempt timeouts, and error statuses.
//!
//! [`send`] is how every Hub call goes out: it sends the request through an [`HttpClient`],
//! turns a status that is neither 2xx nor accepted by the caller into a [`StatusError`] (a
//! [`SendError`]), and tries again while [`SendError::retryable`] says so (buckets spec §4.3:
//! 408/429/500/502/503/504 and network failures), up to [`RetryPolicy::max_retries`] times.
//! Loops that need more than one attempt of [`attempt`] (the CAS client: a new token after a
//! `401`, a body cut off mid-way) count their attempts with the same [`Backoff`], so a request is
//! attempted at most `max_retries + 1` times in all, whatever mix of failures it meets.
//!
//! - Only requests marked [`Request::retry_safe`] are retried on every retryable failure; a
//!   request that is not (e.g. create bucket, move) is retried only after a 429, which the server
//!   rejects before doing anything.
//! - Backoff is `initial_delay_ms · 2^retry`, capped at `max_delay_ms`, with "equal jitter"
//!   (a uniform pick in the upper half) from one jitter source. A `Retry-After` (or
//!   `RateLimit: …;t=N`) from the server replaces it; one longer than `max_retry_after_ms` ends
//!   the retries at once instead of stalling the caller.
//! - Sleeps are cancellable: an abort during backoff returns [`TransportError::Aborted`] at once.
//!
//! ```
//! use hf_buckets::transport::retry::RetryPolicy;
//! let p = RetryPolicy { max_retries: 2, ..RetryPolicy::default() };
//! assert_eq!(p.backoff_ms(0, 0.0), 100);   // lower bound of the jittered 200 ms step
//! assert_eq!(p.backoff_ms(3, 1.0), 1600);
//! ```

use std::cell::Cell;

use super::{
    race, Cancel, Either, HttpClient, Request, Response, SendError, StatusError, TransportError,
};

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

    /// The backoff before retry number `retry` (0-based), for a jitter draw `unit` in [0, 1].
    pub fn backoff_ms(&self, retry: u32, unit: f64) -> u64 {
        let exp = 2u64.saturating_pow(retry.min(63));
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

    /// How long to wait before retry number `retry` (0-based) after `error`, or `None` to give
    /// up: the budget is spent, the error is not retryable, the request is not retry-safe and
    /// the error is not a 429, or the server asked for a wait longer than `max_retry_after_ms`.
    pub fn delay_after(
        &self,
        retry: u32,
        error: &SendError,
        retry_safe: bool,
        unit: f64,
    ) -> Option<u64> {
        if retry >= self.max_retries || !error.retryable() {
            return None;
        }
        if !retry_safe && error.status() != Some(429) {
            return None;
        }
        match error.retry_after_ms() {
            Some(ms) if ms > self.max_retry_after_ms => None,
            Some(ms) => Some(ms),
            None => Some(self.backoff_ms(retry, unit)),
        }
    }
}

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// A uniform draw in [0, 1] for jitter (xorshift64*, seeded from the clock on first use; not
/// cryptographic). The only jitter source of the crate.
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

/// The retry budget of one request: every way of sending it again draws from it, so the request
/// is attempted at most [`RetryPolicy::max_retries`]` + 1` times in all.
pub struct Backoff<'a> {
    http: &'a dyn HttpClient,
    policy: &'a RetryPolicy,
    retries: u32,
}

impl std::fmt::Debug for Backoff<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backoff")
            .field("policy", self.policy)
            .field("retries", &self.retries)
            .finish_non_exhaustive()
    }
}

impl<'a> Backoff<'a> {
    /// A fresh budget; sleeps go through `http` (virtual time in tests).
    pub fn new(http: &'a dyn HttpClient, policy: &'a RetryPolicy) -> Backoff<'a> {
        Backoff {
            http,
            policy,
            retries: 0,
        }
    }

    /// Retries taken so far.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// After a failed attempt: waits the backoff (or the server's `Retry-After`) and returns
    /// `Ok(())` to try again, or gives `error` back when it may not be retried (see
    /// [`RetryPolicy::delay_after`]).
    ///
    /// # Errors
    /// `error` itself when giving up; [`TransportError::Aborted`] when `cancel` fires during
    /// the wait.
    pub async fn retry(
        &mut self,
        error: SendError,
        retry_safe: bool,
        cancel: &Cancel,
    ) -> Result<(), SendError> {
        let unit = jitter_unit(self.http.now_ms());
        let Some(delay) = self
            .policy
            .delay_after(self.retries, &error, retry_safe, unit)
        else {
            return Err(error);
        };
        self.retries += 1;
        super::sleep(self.http, delay, cancel).await?;
        Ok(())
    }

    /// Takes one retry without waiting (e.g. to send again at once with a new CAS token after a
    /// `401`); `false` when the budget is spent.
    pub fn retry_now(&mut self) -> bool {
        if self.retries >= self.policy.max_retries {
            return false;
        }
        self.retries += 1;
        true
    }
}

/// Sends `request`, retrying per `policy`. Returns the response when its status is 2xx or listed
/// in `accept` (statuses the caller handles itself, e.g. 409 on create, 422 on batch); every other
/// status becomes [`SendError::Status`].
///
/// # Errors
/// The last failure when no retry is left.
pub async fn send(
    http: &dyn HttpClient,
    policy: &RetryPolicy,
    request: Request,
    cancel: &Cancel,
    accept: &[u16],
) -> Result<Response, SendError> {
    let mut backoff = Backoff::new(http, policy);
    loop {
        match attempt(http, policy, request.clone(), cancel, accept).await {
            Ok(resp) => return Ok(resp),
            Err(e) => backoff.retry(e, request.retry_safe, cancel).await?,
        }
    }
}

/// One attempt: send with the per-attempt timeout, then turn an unaccepted status into
/// [`SendError::Status`].
///
/// # Errors
/// [`TransportError`] (timeout, network, aborted) or the error status.
pub async fn attempt(
    http: &dyn HttpClient,
    policy: &RetryPolicy,
    request: Request,
    cancel: &Cancel,
    accept: &[u16],
) -> Result<Response, SendError> {
    cancel.check()?;
    let method = request.method;
    let url = request.url.clone();
    let resp = match policy.timeout_ms {
        None => super::redirect::send(http, request, cancel).await?,
        Some(ms) => {
            let attempt_cancel = cancel.child();
            let sent = super::redirect::send(http, request, &attempt_cancel);
            match race(sent, http.sleep(ms)).await {
                Either::Left(r) => r?,
                Either::Right(()) => {
                    attempt_cancel.cancel();
                    return Err(if cancel.is_cancelled() {
                        TransportError::Aborted
                    } else {
                        TransportError::Timeout {
                            url: super::redact_url(&url),
                            ms,
                        }
                    }
                    .into());
                }
            }
        }
    };
    if resp.is_success() || accept.contains(&resp.status) {
        return Ok(resp);
    }
    Err(StatusError::read(method, resp, http.now_ms()).await.into())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::transport::{Bytes, Headers, Method};
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    /// One scripted answer: (status, headers, body), or a transport failure.
    pub(crate) type Outcome = Result<(u16, Vec<(&'static str, String)>, String), TransportError>;

    /// A scripted transport: answers each request with the next scripted outcome, records every
    /// request, and keeps virtual time (sleep advances the clock instantly).
    #[derive(Default)]
    pub(crate) struct Scripted {
        pub(crate) script: RefCell<VecDeque<Outcome>>,
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
        assert_eq!(err.status(), Some(429));
        let SendError::Status(st) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(st.header("x-error-code"), Some("RateLimited"));
        assert_eq!(&st.body[..], br#"{"error":"slow down"}"#);
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
        assert_eq!(err.status(), Some(503));
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
        assert_eq!(err.status(), Some(404));
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
        assert!(
            matches!(err, SendError::Transport(TransportError::Aborted)),
            "{err:?}"
        );
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
        assert!(
            matches!(
                err,
                SendError::Transport(TransportError::Timeout { ms: 5, .. })
            ),
            "{err:?}"
        );
        assert!(err.retryable());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn one_budget_for_waits_and_immediate_retries() {
        let t = Scripted::new();
        let policy = RetryPolicy {
            max_retries: 3,
            ..RetryPolicy::default()
        };
        let mut backoff = Backoff::new(&*t, &policy);
        let busy = || {
            SendError::from(StatusError {
                method: Method::Get,
                url: "http://h/x".into(),
                status: 503,
                headers: Headers::default(),
                body: Bytes::new(),
                retry_after_ms: None,
            })
        };
        let cancel = Cancel::new();
        assert!(backoff.retry(busy(), true, &cancel).await.is_ok());
        assert!(backoff.retry_now());
        assert!(backoff.retry(busy(), true, &cancel).await.is_ok());
        assert_eq!(backoff.retries(), 3);
        // Spent: neither kind of retry is allowed any more, and the error comes back.
        assert!(!backoff.retry_now());
        let back = backoff.retry(busy(), true, &cancel).await.unwrap_err();
        assert_eq!(back.status(), Some(503));
        assert_eq!(t.slept.borrow().len(), 2);
        // A failure that is not retryable is given back at once, without using the budget.
        let mut fresh = Backoff::new(&*t, &policy);
        let gone = SendError::from(TransportError::Aborted);
        assert!(fresh.retry(gone, true, &cancel).await.is_err());
        assert_eq!(fresh.retries(), 0);
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
