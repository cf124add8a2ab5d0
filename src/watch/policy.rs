//! The reconnect policy of the change-feed follower (buckets-workflows §6.3), without I/O.
//!
//! [`Policy`] holds the resume point and the counters; the follower reports how each session
//! ended ([`SessionEnd`]) and gets back what to do next ([`Next`]): wait some milliseconds and
//! reconnect, or stop with an error. The timing constants live in [`Timing`] (one home; tests
//! shorten them through the `timing` option of `watchBucket`).
//!
//! - A session that reached `ready`, or that `reset`/`reconnect` ended, is healthy: the backoff
//!   and the unhealthy count reset, and the next connection comes after
//!   [`Timing::healthy_delay_ms`] (1 s).
//! - EOF, a read timeout or a broken connection before `ready` is unhealthy: wait the backoff;
//!   the third in a row stops with a retryable `NetworkError` (the official client gives up
//!   silently; a JS caller deserves to know).
//! - HTTP 400 steps the resume point back one notch (cursor → a fresh `since=updatedAt`, no
//!   reconcile; since → live; live → stop with the 400), then waits the backoff.
//! - Another HTTP error or a connect failure: wait `Retry-After` (capped at
//!   [`Timing::retry_after_max_ms`]) or the backoff, and retry without limit.
//! - Not followable (401, 403, 404, 501, a 2xx that is not `text/event-stream`): stop with
//!   that error.
//!
//! Backoff: `backoff_initial_ms × 2ⁿ` capped at `backoff_max_ms` (10, 20, 40, 80, 80 … s).
//!
//! ```
//! use hf_buckets::watch::{Next, Policy, Resume, SessionEnd, Timing};
//! let mut p = Policy::new(Timing::default(), Resume::Live);
//! let broken = || SessionEnd::Failed { error: hf_buckets::error::Error::internal("x"), retry_after_ms: None };
//! assert!(matches!(p.end(broken()), Next::Wait(10_000)));
//! assert!(matches!(p.end(broken()), Next::Wait(20_000)));
//! assert!(matches!(p.end(SessionEnd::Healthy), Next::Wait(1_000)));
//! ```

use crate::error::Error;
use crate::transport::TransportError;

/// The follower's timing constants (defaults from the spec, §6.1 and §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Wait before reconnecting after a healthy session (1 s).
    pub healthy_delay_ms: u64,
    /// First backoff step (10 s).
    pub backoff_initial_ms: u64,
    /// Largest backoff step, and largest `Retry-After` honoured (80 s).
    pub backoff_max_ms: u64,
    /// A stream that sends no byte for this long is dead (90 s; the server pings every 30 s).
    pub read_timeout_ms: u64,
    /// Limit on the time until the response headers arrive (10 s).
    pub connect_timeout_ms: u64,
    /// Unhealthy sessions in a row before giving up (3).
    pub max_unhealthy: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            healthy_delay_ms: 1_000,
            backoff_initial_ms: 10_000,
            backoff_max_ms: 80_000,
            read_timeout_ms: 90_000,
            connect_timeout_ms: 10_000,
            max_unhealthy: 3,
        }
    }
}

impl Timing {
    /// The largest `Retry-After` honoured (the backoff cap).
    pub fn retry_after_max_ms(&self) -> u64 {
        self.backoff_max_ms
    }
}

/// Where the next connection resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// No resume point: read the bucket's `updatedAt`, re-list and reconcile, then `since`.
    Reconcile,
    /// Read `updatedAt` again and resume `since` it, without reconciling (after a 400 on a cursor).
    Probe,
    /// `since=<ISO-8601>`.
    Since(String),
    /// `cursor=<opaque>`.
    Cursor(String),
    /// Neither: live changes only.
    Live,
}

/// How a session ended.
#[derive(Debug)]
pub enum SessionEnd {
    /// Reached `ready`, or ended by `reset` / `reconnect`.
    Healthy,
    /// EOF, read timeout or broken stream before `ready`.
    Unhealthy(Error),
    /// HTTP 400.
    BadRequest(Error),
    /// Another HTTP error, or no response.
    Failed {
        /// What went wrong.
        error: Error,
        /// The server's `Retry-After`, if any.
        retry_after_ms: Option<u64>,
    },
    /// 401, 403, 404, 501 or not an event stream.
    NotFollowable(Error),
}

/// What the follower does next.
#[derive(Debug)]
pub enum Next {
    /// Wait this long, then connect from [`Policy::resume`].
    Wait(u64),
    /// End the watch with this error.
    Stop(Error),
}

/// See the module docs.
#[derive(Debug)]
pub struct Policy {
    timing: Timing,
    resume: Resume,
    unhealthy: u32,
    backoff_step: u32,
}

impl Policy {
    /// A policy starting at `resume`.
    pub fn new(timing: Timing, resume: Resume) -> Policy {
        Policy {
            timing,
            resume,
            unhealthy: 0,
            backoff_step: 0,
        }
    }

    /// The timing constants.
    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    /// Where the next connection resumes.
    pub fn resume(&self) -> &Resume {
        &self.resume
    }

    /// Moves the resume point (a cursor seen, a reset, a probe's result).
    pub fn set_resume(&mut self, resume: Resume) {
        self.resume = resume;
    }

    /// The next backoff delay; each call doubles the following one up to the cap.
    fn backoff(&mut self) -> u64 {
        let exp = 2u64.saturating_pow(self.backoff_step.min(32));
        self.backoff_step = self.backoff_step.saturating_add(1);
        self.timing
            .backoff_initial_ms
            .saturating_mul(exp)
            .min(self.timing.backoff_max_ms)
    }

    /// What to do after a session ended as `end`.
    pub fn end(&mut self, end: SessionEnd) -> Next {
        match end {
            SessionEnd::Healthy => {
                self.unhealthy = 0;
                self.backoff_step = 0;
                Next::Wait(self.timing.healthy_delay_ms)
            }
            SessionEnd::Unhealthy(error) => {
                self.unhealthy += 1;
                if self.unhealthy >= self.timing.max_unhealthy {
                    return Next::Stop(give_up(self.unhealthy, &error));
                }
                Next::Wait(self.backoff())
            }
            SessionEnd::BadRequest(error) => {
                self.resume = match &self.resume {
                    Resume::Cursor(_) => Resume::Probe,
                    Resume::Since(_) => Resume::Live,
                    Resume::Live | Resume::Probe | Resume::Reconcile => return Next::Stop(error),
                };
                Next::Wait(self.backoff())
            }
            SessionEnd::Failed { retry_after_ms, .. } => match retry_after_ms {
                Some(ms) => Next::Wait(ms.min(self.timing.retry_after_max_ms())),
                None => Next::Wait(self.backoff()),
            },
            SessionEnd::NotFollowable(error) => Next::Stop(error),
        }
    }
}

/// The error that ends a watch after `n` unhealthy sessions in a row: a `NetworkError`
/// (retryable), naming the last failure.
fn give_up(n: u32, last: &Error) -> Error {
    Error::Transport(TransportError::Body {
        url: String::new(),
        message: format!(
            "the change feed broke off before `ready` {n} times in a row; last: {last}"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn failed() -> SessionEnd {
        SessionEnd::Failed {
            error: Error::internal("x"),
            retry_after_ms: None,
        }
    }

    fn waits(p: &mut Policy, ends: Vec<SessionEnd>) -> Vec<u64> {
        ends.into_iter()
            .map(|e| match p.end(e) {
                Next::Wait(ms) => ms,
                Next::Stop(e) => panic!("stopped: {e}"),
            })
            .collect()
    }

    #[test]
    fn backoff_doubles_to_the_cap_and_healthy_resets_it() {
        let mut p = Policy::new(Timing::default(), Resume::Live);
        let w = waits(&mut p, (0..6).map(|_| failed()).collect());
        assert_eq!(w, [10_000, 20_000, 40_000, 80_000, 80_000, 80_000]);
        assert_eq!(
            waits(&mut p, vec![SessionEnd::Healthy, failed()]),
            [1_000, 10_000]
        );
        // Retry-After wins, capped at 80 s, and does not advance the backoff.
        let ra = |ms| SessionEnd::Failed {
            error: Error::internal("x"),
            retry_after_ms: Some(ms),
        };
        assert_eq!(
            waits(&mut p, vec![ra(3_000), ra(500_000), failed()]),
            [3_000, 80_000, 20_000]
        );
    }

    #[test]
    fn three_unhealthy_in_a_row_give_up_with_a_retryable_error() {
        let mut p = Policy::new(Timing::default(), Resume::Live);
        let eof = || SessionEnd::Unhealthy(Error::internal("eof"));
        assert_eq!(waits(&mut p, vec![eof(), eof()]), [10_000, 20_000]);
        // A healthy session in between resets the count.
        assert_eq!(
            waits(&mut p, vec![SessionEnd::Healthy, eof(), eof()]),
            [1_000, 10_000, 20_000]
        );
        let Next::Stop(e) = p.end(eof()) else {
            panic!("did not give up")
        };
        assert_eq!(e.kind(), ErrorKind::Network);
        assert!(e.retryable());
        assert!(e.to_string().contains("3 times"), "{e}");
    }

    #[test]
    fn bad_request_steps_back_one_notch() {
        let bad = || SessionEnd::BadRequest(Error::internal("400"));
        let mut p = Policy::new(Timing::default(), Resume::Cursor("c".into()));
        assert_eq!(waits(&mut p, vec![bad()]), [10_000]);
        assert_eq!(p.resume(), &Resume::Probe);
        p.set_resume(Resume::Since("t".into()));
        assert_eq!(waits(&mut p, vec![bad()]), [20_000]);
        assert_eq!(p.resume(), &Resume::Live);
        assert!(matches!(p.end(bad()), Next::Stop(_)));
        assert!(matches!(
            Policy::new(Timing::default(), Resume::Live)
                .end(SessionEnd::NotFollowable(Error::internal("404"))),
            Next::Stop(_)
        ));
    }
}
