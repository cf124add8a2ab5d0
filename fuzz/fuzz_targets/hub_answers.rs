//! The Hub's answers the client parses by hand or by shape (`src/hub/`): the batch response
//! (JSON, a 422 with per-line failures, or nothing) and listing pages (a JSON array of tree
//! entries or buckets, with `Link: <…>; rel="next"` pagination). A scripted transport answers
//! every request with the next response cut from the input (then 404s), so the real
//! `HubClient::batch`, then `TreeListing::next_page` and then `Pager::next_page` (a bucket
//! listing) run over the answers in turn.
//!
//! Input: a sequence of responses, each `status selector (1 byte), link length (1 byte), link
//! header value, body length (u16 LE), body`. Asserts that nothing panics and that a listing
//! stops (at most as many pages as responses).
#![no_main]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use hf_buckets::hub::{Api, BatchLine, BucketId, BucketInfo, HubClient, Pager};
use hf_buckets::transport::retry::RetryPolicy;
use hf_buckets::transport::{
    Cancel, Headers, HttpClient, Method, Request, Response, TransportError,
};
use libfuzzer_sys::fuzz_target;

const STATUSES: [u16; 8] = [200, 200, 200, 422, 400, 404, 500, 204];

/// A scripted answer: status, `Link` header value, body.
type Answer = (u16, Option<String>, Vec<u8>);

struct Scripted(RefCell<VecDeque<Answer>>);

#[async_trait::async_trait(?Send)]
impl HttpClient for Scripted {
    async fn send(&self, request: Request, _cancel: &Cancel) -> Result<Response, TransportError> {
        let Some((status, link, body)) = self.0.borrow_mut().pop_front() else {
            return Ok(Response::from_bytes(
                404,
                Headers::from_pairs(Vec::<(String, String)>::new()),
                request.url,
                Vec::new(),
            ));
        };
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        if let Some(link) = link {
            headers.push(("link".to_string(), link));
        }
        Ok(Response::from_bytes(
            status,
            Headers::from_pairs(headers),
            request.url,
            body,
        ))
    }

    async fn sleep(&self, _ms: u64) {}

    fn now_ms(&self) -> u64 {
        1_700_000_000_000
    }
}

/// Polls a future whose transport never waits to completion (`None` if it ever stalls).
fn run<F: Future>(fut: F) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..10_000 {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return Some(out);
        }
    }
    None
}

fn responses(mut data: &[u8]) -> VecDeque<Answer> {
    let mut out = VecDeque::new();
    while data.len() >= 4 && out.len() < 16 {
        let status = STATUSES[(data[0] & 7) as usize];
        let link_len = (data[1] as usize).min(data.len() - 2);
        let link = String::from_utf8_lossy(&data[2..2 + link_len]).into_owned();
        data = &data[2 + link_len..];
        if data.len() < 2 {
            break;
        }
        let body_len = (u16::from_le_bytes([data[0], data[1]]) as usize).min(data.len() - 2);
        let body = data[2..2 + body_len].to_vec();
        data = &data[2 + body_len..];
        out.push_back((status, (!link.is_empty()).then_some(link), body));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let script = responses(data);
    let pages = script.len();
    let id: BucketId = "fuzz/bucket".parse().unwrap();
    let cancel = Cancel::new();

    // The batch answer.
    let lines = vec![
        BatchLine::Add {
            path: "a.bin".into(),
            xet_hash: "0".repeat(64),
            mtime: None,
            content_type: None,
        },
        BatchLine::Delete {
            path: "b.bin".into(),
        },
    ];
    let api = Api::new("http://hub.test", Some("hf_fuzz".to_string())).unwrap();
    let hub = HubClient::new(
        Rc::new(Scripted(RefCell::new(script))),
        api,
        RetryPolicy::none(),
    );
    if let Some(Ok(report)) = run(hub.batch(&id, lines, &cancel)) {
        let _ = (report.processed, report.succeeded, report.failed.len());
    }

    // A tree listing, followed through its links.
    let mut listing = hub.list_tree(&id, "a", true, None).unwrap();
    let mut fetched = 0;
    while let Some(Ok(Some(page))) = run(listing.next_page(&hub, &cancel)) {
        fetched += 1;
        assert!(fetched <= pages, "more pages than answers");
        for entry in &page {
            let _ = entry.path();
        }
    }

    // A bucket listing.
    let mut pager = Pager::new(
        hub.api()
            .request(Method::Get, "http://hub.test/api/buckets/fuzz".into()),
    );
    let mut fetched = 0;
    while let Some(Ok(Some(page))) = run(pager.next_page::<BucketInfo>(&hub, &cancel)) {
        fetched += 1;
        assert!(fetched <= pages, "more pages than answers");
        let _ = page.len();
    }
});
