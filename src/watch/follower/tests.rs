//! The follower against a scripted transport whose bodies stream piece by piece (virtual time:
//! sleeps return at once and are recorded).

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use super::*;
use crate::hub::Api;
use crate::transport::retry::RetryPolicy;
use crate::transport::{BodyStream, Bytes, Headers, HttpClient, Request};
use crate::watch::Op;

#[derive(Clone)]
enum Piece {
    Data(String),
    /// Never answers (a silent stream: the read timeout ends it).
    Hang,
    /// The connection breaks.
    Break,
}

type Answer = Result<(u16, Vec<(&'static str, String)>, Vec<Piece>), TransportError>;

#[derive(Default)]
struct Mock {
    script: RefCell<VecDeque<Answer>>,
    urls: RefCell<Vec<String>>,
    slept: RefCell<Vec<u64>>,
}

struct Pieces(VecDeque<Piece>);

#[async_trait::async_trait(?Send)]
impl BodyStream for Pieces {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        match self.0.pop_front() {
            None => Ok(None),
            Some(Piece::Data(s)) => Ok(Some(Bytes::from(s))),
            Some(Piece::Hang) => std::future::pending().await,
            Some(Piece::Break) => Err(TransportError::Body {
                url: "u".into(),
                message: "reset".into(),
            }),
        }
    }
}

#[async_trait::async_trait(?Send)]
impl HttpClient for Mock {
    async fn send(&self, request: Request, cancel: &Cancel) -> Result<Response, TransportError> {
        cancel.check()?;
        self.urls.borrow_mut().push(request.url.clone());
        let next = self.script.borrow_mut().pop_front();
        match next {
            Some(Ok((status, headers, pieces))) => Ok(Response::new(
                status,
                Headers::from_pairs(headers),
                request.url,
                Box::new(Pieces(pieces.into())),
            )),
            Some(Err(e)) => Err(e),
            None => Err(TransportError::Connect {
                url: request.url,
                message: "script exhausted".into(),
            }),
        }
    }
    async fn sleep(&self, ms: u64) {
        self.slept.borrow_mut().push(ms);
    }
    fn now_ms(&self) -> u64 {
        1_700_000_000_000
    }
}

impl Mock {
    fn sse(&self, pieces: &[&str]) {
        let pieces = pieces
            .iter()
            .map(|p| match *p {
                "HANG" => Piece::Hang,
                "BREAK" => Piece::Break,
                s => Piece::Data(s.to_string()),
            })
            .collect();
        self.script.borrow_mut().push_back(Ok((
            200,
            vec![("content-type", "text/event-stream; charset=utf-8".into())],
            pieces,
        )));
    }
    fn json(&self, status: u16, headers: &[(&'static str, &str)], body: &str) {
        let mut h: Vec<(&'static str, String)> =
            headers.iter().map(|(k, v)| (*k, v.to_string())).collect();
        h.push(("content-type", "application/json".into()));
        self.script
            .borrow_mut()
            .push_back(Ok((status, h, vec![Piece::Data(body.to_string())])));
    }
    /// The query of each events request (`-` for other requests).
    fn event_queries(&self) -> Vec<String> {
        self.urls
            .borrow()
            .iter()
            .map(|u| match u.split_once("/events") {
                Some((_, q)) => q.trim_start_matches('?').to_string(),
                None if u.contains("/tree") => "LIST".into(),
                None => "INFO".into(),
            })
            .collect()
    }
    /// Sleeps other than read timeouts (the mock answers at once, so connect timeouts never
    /// start their sleep).
    fn waits(&self, timing: &Timing) -> Vec<u64> {
        self.slept
            .borrow()
            .iter()
            .copied()
            .filter(|ms| *ms != timing.read_timeout_ms)
            .collect()
    }
}

fn watcher(mock: &Rc<Mock>, options: WatchOptions) -> Watcher {
    let api = Api::new("http://hub", Some("hf_secret".into())).unwrap();
    let hub = HubClient::new(mock.clone(), api, RetryPolicy::none());
    Watcher::new(
        Rc::new(hub),
        "me/b".parse().unwrap(),
        options,
        Cancel::new(),
    )
    .unwrap()
}

fn changes(cursor: &str, list: &[(&str, &str)]) -> String {
    let items: Vec<String> = list
        .iter()
        .map(|(op, path)| {
            let extra = if *op == "delete" {
                String::new()
            } else {
                format!(r#","size":{},"xetHash":"h{}""#, path.len(), path.len())
            };
            format!(r#"{{"path":"{path}","op":"{op}"{extra}}}"#)
        })
        .collect();
    format!(
        "event: changes\ndata: {{\"cursor\":\"{cursor}\",\"changes\":[{}]}}\n\n",
        items.join(",")
    )
}

fn ready(cursor: &str) -> String {
    format!("event: ready\ndata: {{\"cursor\":\"{cursor}\"}}\n\n")
}

/// (type, path, cursor) of each event.
fn summary(batch: &[WatchEvent]) -> Vec<(String, String, String)> {
    batch
        .iter()
        .map(|e| match e {
            WatchEvent::Change { change, cursor } => (
                change.op.as_str().to_string(),
                change.path.clone(),
                cursor.clone().unwrap_or_default(),
            ),
            WatchEvent::Ready { cursor } => (
                "ready".into(),
                String::new(),
                cursor.clone().unwrap_or_default(),
            ),
        })
        .collect()
}

fn s(t: &str, p: &str, c: &str) -> (String, String, String) {
    (t.into(), p.into(), c.into())
}

async fn next(w: &mut Watcher) -> Vec<(String, String, String)> {
    summary(&w.next_batch().await.unwrap().unwrap())
}

#[tokio::test(flavor = "current_thread")]
async fn streams_in_order_filters_the_prefix_and_resumes_after_the_last_cursor() {
    let m = Rc::new(Mock::default());
    // The first stream arrives in awkward pieces, then ends after `ready` (healthy).
    let batch = changes(
        "c2",
        &[("add", "logs/a"), ("add", "logs_old/x"), ("update", "logs")],
    );
    let (head, tail) = batch.split_at(17);
    m.sse(&[": ping\n\n", &ready("c1"), head, tail]);
    m.sse(&[
        &changes("c3", &[("delete", "logs/a"), ("add", "other")]),
        "HANG",
    ]);
    m.sse(&[&ready("c3")]);
    let timing = Timing::default();
    let mut w = watcher(
        &m,
        WatchOptions {
            prefix: "logs/".into(),
            ..Default::default()
        },
    );
    assert_eq!(next(&mut w).await, [s("ready", "", "c1")]);
    assert_eq!(
        next(&mut w).await,
        [s("add", "logs/a", "c2"), s("update", "logs", "c2")]
    );
    // EOF after ready: healthy, 1 s, resume from c2; the batch of c3 has one change in the
    // prefix; a silent stream before `ready` is unhealthy (10 s), then resume from c3.
    assert_eq!(next(&mut w).await, [s("delete", "logs/a", "c3")]);
    assert_eq!(next(&mut w).await, [s("ready", "", "c3")]);
    assert_eq!(m.event_queries(), ["", "cursor=c2", "cursor=c3"]);
    assert_eq!(m.waits(&timing), [1_000, 10_000]);
    assert!(m.slept.borrow().contains(&timing.read_timeout_ms));
    // The request asks for an event stream with the token.
}

#[tokio::test(flavor = "current_thread")]
async fn three_broken_sessions_end_with_a_retryable_network_error() {
    let m = Rc::new(Mock::default());
    m.sse(&[]);
    m.sse(&["BREAK"]);
    m.sse(&[": ping\n", "HANG"]);
    let mut w = watcher(&m, WatchOptions::default());
    let e = w.next_batch().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    assert!(e.retryable());
    assert!(e.to_string().contains("3 times"), "{e}");
    assert_eq!(m.waits(&Timing::default()), [10_000, 20_000]);
    assert!(w.next_batch().await.unwrap().is_none(), "the watch is over");
}

#[tokio::test(flavor = "current_thread")]
async fn not_followable_statuses_end_the_watch_with_their_kind() {
    for (status, kind) in [
        (401, ErrorKind::Auth),
        (403, ErrorKind::Forbidden),
        (404, ErrorKind::NotFound),
        (501, ErrorKind::Server),
    ] {
        let m = Rc::new(Mock::default());
        m.json(status, &[], r#"{"error":"no hf_secret here"}"#);
        let e = watcher(&m, WatchOptions::default())
            .next_batch()
            .await
            .unwrap_err();
        assert_eq!((e.kind(), e.status()), (kind, Some(status)));
        assert!(!e.to_string().contains("hf_secret"), "{e}");
        assert!(!e.retryable() || status == 501);
    }
    // A 2xx that is not an event stream.
    let m = Rc::new(Mock::default());
    m.json(200, &[], "{}");
    let e = watcher(&m, WatchOptions::default())
        .next_batch()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
}

#[tokio::test(flavor = "current_thread")]
async fn other_errors_retry_with_retry_after_capped_and_400_steps_back() {
    let m = Rc::new(Mock::default());
    m.json(503, &[("retry-after", "500")], "{}");
    m.script
        .borrow_mut()
        .push_back(Err(TransportError::Connect {
            url: "u".into(),
            message: "refused".into(),
        }));
    m.json(400, &[], r#"{"error":"bad cursor"}"#);
    m.json(200, &[], r#"{"updatedAt":"2026-03-01T09:00:00.000Z"}"#);
    m.json(400, &[], r#"{"error":"bad since"}"#);
    m.sse(&[&ready("c9")]);
    let mut w = watcher(
        &m,
        WatchOptions {
            cursor: Some("old".into()),
            ..Default::default()
        },
    );
    assert_eq!(next(&mut w).await, [s("ready", "", "c9")]);
    assert_eq!(
        m.event_queries(),
        [
            "cursor=old",
            "cursor=old",
            "cursor=old",
            "INFO",
            "since=2026-03-01T09%3A00%3A00.000Z",
            ""
        ]
    );
    // Retry-After 500 s capped at 80 s; then the backoff (10 s, 20 s, 40 s).
    assert_eq!(
        m.waits(&Timing::default()),
        [80_000, 10_000, 20_000, 40_000]
    );

    // 400 when live: nothing left to step back to.
    let m = Rc::new(Mock::default());
    m.json(400, &[], "{}");
    let e = watcher(&m, WatchOptions::default())
        .next_batch()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest);
}

#[tokio::test(flavor = "current_thread")]
async fn initial_listing_then_reset_brings_the_view_to_a_fresh_listing() {
    let m = Rc::new(Mock::default());
    let file = |p: &str, size: u64, h: char| {
        format!(
            r#"{{"type":"file","path":"{p}","size":{size},"xetHash":"{}","uploadedAt":"2026-01-01T00:00:00.000Z"}}"#,
            h.to_string().repeat(64)
        )
    };
    // initial: info, listing, then since=updatedAt; the replay repeats a batch the listing
    // already shows (dropped), then a real change.
    m.json(200, &[], r#"{"updatedAt":"2026-03-01T09:00:00.000Z"}"#);
    m.json(
        200,
        &[],
        &format!("[{},{}]", file("a", 1, 'a'), file("b", 2, 'b')),
    );
    let replayed = format!(
        "event: changes\ndata: {{\"cursor\":\"c1\",\"changes\":[{{\"path\":\"b\",\"op\":\"add\",\"size\":2,\"xetHash\":\"{}\",\"uploadedAt\":\"2026-01-01T00:00:00.000Z\"}}]}}\n\n",
        "b".repeat(64)
    );
    m.sse(&[
        &replayed,
        &ready("c1"),
        &changes("c2", &[("add", "c")]),
        "event: reset\ndata: {}\n\n",
    ]);
    // After the reset: info, a listing that differs, and a stream.
    m.json(200, &[], r#"{"updatedAt":"2026-03-02T09:00:00.000Z"}"#);
    m.json(
        200,
        &[],
        &format!("[{},{}]", file("b", 7, 'c'), file("d", 4, 'd')),
    );
    m.sse(&[&ready("c7")]);

    let mut w = watcher(
        &m,
        WatchOptions {
            initial: true,
            ..Default::default()
        },
    );
    let mut consumer: BTreeMap<String, (Option<u64>, Option<String>)> = BTreeMap::new();
    let mut apply = |batch: Vec<WatchEvent>| {
        for e in batch {
            if let WatchEvent::Change { change, .. } = e {
                match change.op {
                    Op::Delete => {
                        consumer.remove(&change.path);
                    }
                    Op::Add | Op::Update => {
                        let entry = consumer.entry(change.path).or_default();
                        if change.size.is_some() {
                            entry.0 = change.size;
                        }
                        if change.xet_hash.is_some() {
                            entry.1 = change.xet_hash;
                        }
                    }
                }
            }
        }
    };
    let first = w.next_batch().await.unwrap().unwrap();
    assert_eq!(summary(&first), [s("add", "a", ""), s("add", "b", "")]);
    apply(first);
    assert_eq!(
        next(&mut w).await,
        [s("ready", "", "c1")],
        "the replayed add is dropped"
    );
    let third = w.next_batch().await.unwrap().unwrap();
    assert_eq!(summary(&third), [s("add", "c", "c2")]);
    apply(third);
    let reconcile = w.next_batch().await.unwrap().unwrap();
    assert_eq!(
        summary(&reconcile),
        [
            s("delete", "a", ""),
            s("delete", "c", ""),
            s("update", "b", ""),
            s("add", "d", "")
        ]
    );
    apply(reconcile);
    let want: BTreeMap<String, (Option<u64>, Option<String>)> = [
        ("b".to_string(), (Some(7), Some("c".repeat(64)))),
        ("d".to_string(), (Some(4), Some("d".repeat(64)))),
    ]
    .into();
    assert_eq!(consumer, want, "same view as the fresh listing");
    assert_eq!(next(&mut w).await, [s("ready", "", "c7")]);
    assert_eq!(
        m.event_queries(),
        [
            "INFO",
            "LIST",
            "since=2026-03-01T09%3A00%3A00.000Z",
            "INFO",
            "LIST",
            "since=2026-03-02T09%3A00%3A00.000Z"
        ]
    );
    assert_eq!(
        m.waits(&Timing::default()),
        [1_000],
        "reset is a healthy end"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn oversized_events_break_the_session_and_options_are_checked() {
    let m = Rc::new(Mock::default());
    let huge = format!("data: {}", "x".repeat(crate::watch::MAX_LINE_BYTES));
    for _ in 0..3 {
        m.sse(&[&huge]);
    }
    let e = watcher(&m, WatchOptions::default())
        .next_batch()
        .await
        .unwrap_err();
    assert!(e.retryable(), "{e}");
    assert!(e.to_string().contains("longer than"), "{e}");

    let api = Api::new("http://hub", None).unwrap();
    let hub = Rc::new(HubClient::new(m.clone(), api, RetryPolicy::none()));
    let bad = |o: WatchOptions| {
        Watcher::new(hub.clone(), "me/b".parse().unwrap(), o, Cancel::new())
            .unwrap_err()
            .kind()
    };
    for o in [
        WatchOptions {
            cursor: Some("c".into()),
            since: Some("2026-01-01T00:00:00Z".into()),
            ..Default::default()
        },
        WatchOptions {
            cursor: Some("c".into()),
            initial: true,
            ..Default::default()
        },
        WatchOptions {
            since: Some("yesterday".into()),
            ..Default::default()
        },
        WatchOptions {
            prefix: "../x".into(),
            ..Default::default()
        },
    ] {
        assert_eq!(bad(o), ErrorKind::Validation);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn cancel_ends_a_pending_read_with_aborted() {
    let m = Rc::new(Mock::default());
    m.sse(&[&ready("c1"), "HANG"]);
    let api = Api::new("http://hub", None).unwrap();
    let hub = Rc::new(HubClient::new(m.clone(), api, RetryPolicy::none()));
    let cancel = Cancel::new();
    let timing = Timing {
        read_timeout_ms: u64::MAX,
        ..Timing::default()
    };
    // A transport whose sleep never ends would be needed to keep the read pending; instead
    // cancel first: the next call returns Aborted at once.
    let mut w = Watcher::new(
        hub,
        "me/b".parse().unwrap(),
        WatchOptions {
            timing,
            ..Default::default()
        },
        cancel.clone(),
    )
    .unwrap();
    assert_eq!(next(&mut w).await, [s("ready", "", "c1")]);
    cancel.cancel();
    assert_eq!(w.next_batch().await.unwrap_err().kind(), ErrorKind::Aborted);
}
