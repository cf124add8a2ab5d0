//! An in-memory CAS for native tests of the upload and download pipelines (test-only).
//!
//! It implements [`HttpClient`] for the routes the engine uses — xorb and shard uploads (checked
//! with the xet parsers: the xorb hash must match its chunks, every file's terms must point at
//! stored chunks and hash to the file hash), global-dedup queries (the first chunk of every file
//! is indexed), V2 reconstructions with `Range`, and ranged transfer reads — and lets a test
//! script faults per route: an error status, a body cut off mid-way, a flipped byte, or a hook
//! run when a route is hit.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use xet::reconstruction::{
    ByteRange, ChunkRange, FetchRangeV2, ReconstructionV2, Term, XorbFetchV2,
};
use xet::shard::{FileInfo, ShardBuilder, XorbInfo};
use xet::Hash;

use crate::error::Error;
use crate::transport::{
    BodyStream, Bytes, Cancel, Headers, HttpClient, Method, Request, Response, TransportError,
};

use super::token::{CasToken, TokenSource};

/// What a fault does.
#[derive(Clone)]
pub(crate) enum Fault {
    /// Answer with this status.
    Status(u16),
    /// Serve the normal answer but break the body after this many bytes.
    Cut(usize),
    /// Serve the normal answer with this body byte inverted.
    Flip(usize),
    /// Run a hook, then serve normally.
    Hook(Rc<dyn Fn()>),
    /// Answer with this status and a body echoing the request's `Authorization` header and URL
    /// (as a careless server's error page might).
    Echo(u16),
    /// The inner fault, on the requests whose `Range` header (`""` without one) passes the
    /// test; other requests do not use up the rule.
    OnRange(Rc<dyn Fn(&str) -> bool>, Box<Fault>),
}

struct Rule {
    method: Method,
    path: &'static str,
    remaining: usize,
    fault: Fault,
}

struct StoredXorb {
    data: Vec<u8>,
    /// (hash, length, record end) per chunk.
    chunks: Vec<(Hash, u32, u32)>,
}

/// The mock. Share it as `Rc<MockCas>`.
pub(crate) struct MockCas {
    xorbs: RefCell<HashMap<Hash, StoredXorb>>,
    files: RefCell<HashMap<Hash, FileInfo>>,
    /// First chunk of a file → the xorb listings of the shard that registered it.
    dedup: RefCell<HashMap<Hash, Vec<XorbInfo>>>,
    rules: RefCell<Vec<Rule>>,
    /// Every request seen: (method, path, authorization).
    pub(crate) seen: RefCell<Vec<(Method, String, Option<String>)>>,
    /// Tokens the CAS accepts (None: any).
    pub(crate) valid_tokens: RefCell<Option<Vec<String>>>,
    /// Answer 404 to V2 reconstructions (an older CAS): clients must use V1.
    pub(crate) no_v2: Cell<bool>,
    /// Answer 416 to suffix ranges on transfer URLs (a store that refuses the footer read).
    pub(crate) refuse_suffix: Cell<bool>,
    now: Cell<u64>,
    /// Transfer bodies open now, and the most open at once (see [`StreamedBody`]).
    bodies: Rc<(Cell<usize>, Cell<usize>)>,
}

/// A transfer body served in pieces of [`STREAMED_PIECE`] bytes, yielding to the executor
/// between them as a socket would, so several bodies are read at the same time; counts itself
/// in [`MockCas::open_bodies`] while open.
struct StreamedBody {
    data: Bytes,
    open: Option<Rc<(Cell<usize>, Cell<usize>)>>,
}

/// Size of the pieces of a [`StreamedBody`].
const STREAMED_PIECE: usize = 64 << 10;

impl StreamedBody {
    fn new(data: Bytes, counts: &Rc<(Cell<usize>, Cell<usize>)>) -> StreamedBody {
        let now = counts.0.get() + 1;
        counts.0.set(now);
        counts.1.set(counts.1.get().max(now));
        StreamedBody {
            data,
            open: Some(counts.clone()),
        }
    }

    fn close(&mut self) {
        if let Some(c) = self.open.take() {
            c.0.set(c.0.get() - 1);
        }
    }
}

impl Drop for StreamedBody {
    fn drop(&mut self) {
        self.close();
    }
}

#[async_trait::async_trait(?Send)]
impl BodyStream for StreamedBody {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        tokio::task::yield_now().await;
        if self.data.is_empty() {
            self.close();
            return Ok(None);
        }
        let n = STREAMED_PIECE.min(self.data.len());
        Ok(Some(self.data.split_to(n)))
    }
}

fn json(status: u16, body: String) -> Response {
    Response::from_bytes(
        status,
        Headers::from_pairs([("content-type", "application/json")]),
        "http://cas/",
        Bytes::from(body),
    )
}

/// A body that yields `data` in pieces and then fails.
struct CutBody {
    data: Option<Bytes>,
}

#[async_trait::async_trait(?Send)]
impl BodyStream for CutBody {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        match self.data.take() {
            Some(d) if !d.is_empty() => Ok(Some(d)),
            _ => Err(TransportError::Body {
                url: "http://cas/".into(),
                message: "connection reset".into(),
            }),
        }
    }
}

impl MockCas {
    pub(crate) fn new() -> Rc<MockCas> {
        Rc::new(MockCas {
            xorbs: RefCell::default(),
            files: RefCell::default(),
            dedup: RefCell::default(),
            rules: RefCell::default(),
            seen: RefCell::default(),
            valid_tokens: RefCell::new(None),
            no_v2: Cell::new(false),
            refuse_suffix: Cell::new(false),
            now: Cell::new(1_700_000_000_000),
            bodies: Rc::default(),
        })
    }

    /// Adds a fault on `method` requests whose path starts with `path`, for `times` requests.
    pub(crate) fn fault(&self, method: Method, path: &'static str, times: usize, fault: Fault) {
        self.rules.borrow_mut().push(Rule {
            method,
            path,
            remaining: times,
            fault,
        });
    }

    /// Drops every scripted fault.
    pub(crate) fn clear_faults(&self) {
        self.rules.borrow_mut().clear();
    }

    /// Number of requests seen with this method and path prefix.
    pub(crate) fn count(&self, method: Method, path: &str) -> usize {
        self.seen
            .borrow()
            .iter()
            .filter(|(m, p, _)| *m == method && p.starts_with(path))
            .count()
    }

    /// The bytes of a stored file, rebuilt from its shard terms and the stored xorbs (an oracle
    /// independent of the client's download code); `None` when the file is unknown or broken.
    pub(crate) fn file_bytes(&self, file: &Hash) -> Option<Vec<u8>> {
        if *file == Hash::ZERO {
            return Some(Vec::new());
        }
        let files = self.files.borrow();
        let xorbs = self.xorbs.borrow();
        let mut out = Vec::new();
        for t in &files.get(file)?.terms {
            let x = xorbs.get(&t.xorb_hash)?;
            let records = xet::xorb::chunk_records(&x.data)
                .collect::<Result<Vec<_>, _>>()
                .ok()?;
            for r in records.get(t.chunk_start as usize..t.chunk_end as usize)? {
                r.decompress_into(&mut out).ok()?;
            }
        }
        Some(out)
    }

    fn take_fault(&self, method: Method, path: &str, range: &str) -> Option<Fault> {
        let mut rules = self.rules.borrow_mut();
        let rule = rules.iter_mut().find(|r| {
            r.method == method
                && path.starts_with(r.path)
                && r.remaining > 0
                && match &r.fault {
                    Fault::OnRange(applies, _) => applies(range),
                    _ => true,
                }
        })?;
        rule.remaining -= 1;
        match &rule.fault {
            Fault::OnRange(_, inner) => Some((**inner).clone()),
            other => Some(other.clone()),
        }
    }

    /// Most transfer bodies that were being read at the same time so far.
    pub(crate) fn max_open_bodies(&self) -> usize {
        self.bodies.1.get()
    }

    /// Transfer bodies being read now (created and neither read to the end nor dropped).
    pub(crate) fn open_bodies(&self) -> usize {
        self.bodies.0.get()
    }

    fn post_xorb(&self, hash: &str, body: &[u8]) -> Response {
        let Ok(hash) = Hash::from_hex(hash) else {
            return json(400, "{}".into());
        };
        let Ok(parsed) = xet::xorb::parse_xorb(body) else {
            return json(400, r#"{"error":"bad xorb"}"#.into());
        };
        if parsed.hash != hash {
            return json(400, r#"{"error":"xorb hash mismatch"}"#.into());
        }
        let chunks = parsed
            .chunks
            .iter()
            .map(|c| (c.hash, c.len, c.record_end))
            .collect();
        // Stored as a CAS stores it: the records, then a footer (§4.5).
        let stored = xet::xorb::SerializedXorb {
            hash,
            data: body.get(..parsed.records_len).unwrap_or_default().to_vec(),
            chunks: parsed.chunks.clone(),
        };
        let inserted = self
            .xorbs
            .borrow_mut()
            .insert(
                hash,
                StoredXorb {
                    data: stored.to_bytes_with_footer(),
                    chunks,
                },
            )
            .is_none();
        json(200, format!(r#"{{"was_inserted":{inserted}}}"#))
    }

    fn post_shard(&self, body: &[u8]) -> Response {
        let Ok(shard) = xet::shard::parse_shard(body) else {
            return json(400, r#"{"error":"bad shard"}"#.into());
        };
        let xorbs = self.xorbs.borrow();
        for f in &shard.files {
            let mut leaves = Vec::new();
            for t in &f.terms {
                let Some(x) = xorbs.get(&t.xorb_hash) else {
                    return json(400, r#"{"error":"missing xorb"}"#.into());
                };
                let Some(run) = x.chunks.get(t.chunk_start as usize..t.chunk_end as usize) else {
                    return json(400, r#"{"error":"bad range"}"#.into());
                };
                leaves.extend(run.iter().map(|&(h, l, _)| (h, u64::from(l))));
            }
            if xet::file_hash(&leaves) != f.file_hash {
                return json(
                    400,
                    r#"{"error":"file reconstruction does not produce this hash"}"#.into(),
                );
            }
        }
        for f in &shard.files {
            if let Some(first) = f.terms.first().and_then(|t| {
                xorbs
                    .get(&t.xorb_hash)
                    .and_then(|x| x.chunks.get(t.chunk_start as usize))
            }) {
                self.dedup.borrow_mut().insert(first.0, shard.xorbs.clone());
            }
            self.files.borrow_mut().insert(f.file_hash, f.clone());
        }
        json(200, r#"{"result":1}"#.into())
    }

    fn query_chunk(&self, hash: &str) -> Response {
        let Ok(hash) = Hash::from_hex(hash) else {
            return json(400, "{}".into());
        };
        let Some(listings) = self.dedup.borrow().get(&hash).cloned() else {
            return json(404, "{}".into());
        };
        let mut b = ShardBuilder::new();
        for x in listings {
            b.add_xorb(x);
        }
        let opts = xet::shard::FooterOptions {
            hmac_key: Some([7; 32]),
            creation_timestamp: 1,
            key_expiry: u64::MAX,
        };
        match b.to_bytes_with_footer(&opts) {
            Ok(bytes) => {
                Response::from_bytes(200, Headers::default(), "http://cas/", Bytes::from(bytes))
            }
            Err(_) => json(500, "{}".into()),
        }
    }

    fn reconstruction(&self, hash: &str, range: Option<&str>) -> Response {
        let Ok(hash) = Hash::from_hex(hash) else {
            return json(400, "{}".into());
        };
        let Some(file) = self.files.borrow().get(&hash).cloned() else {
            return json(404, "{}".into());
        };
        let size = file.size();
        let (start, end) = match range
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.split_once('-'))
        {
            Some((a, b)) => (
                a.parse::<u64>().unwrap_or(0),
                b.parse::<u64>().map(|e| e + 1).unwrap_or(size),
            ),
            None => (0, size),
        };
        if start >= size && size > 0 {
            return json(416, "{}".into());
        }
        let xorbs = self.xorbs.borrow();
        let mut terms = Vec::new();
        let mut fetch: BTreeMap<Hash, Vec<XorbFetchV2>> = BTreeMap::new();
        let mut offset = 0u64;
        let mut skip = 0;
        for t in &file.terms {
            let Some(x) = xorbs.get(&t.xorb_hash) else {
                return json(500, "{}".into());
            };
            let mut first = None;
            let mut last = 0;
            let mut bytes = 0;
            for i in t.chunk_start..t.chunk_end {
                let Some(&(_, len, _)) = x.chunks.get(i as usize) else {
                    return json(500, "{}".into());
                };
                let (lo, hi) = (offset, offset + u64::from(len));
                offset = hi;
                if hi > start && lo < end {
                    if first.is_none() && terms.is_empty() {
                        skip = start - lo;
                    }
                    first.get_or_insert(i);
                    last = i + 1;
                    bytes += u64::from(len);
                }
            }
            if let Some(first) = first {
                let rec_start = if first == 0 {
                    0
                } else {
                    u64::from(x.chunks[first as usize - 1].2)
                };
                let rec_end = u64::from(x.chunks[last as usize - 1].2) - 1;
                let chunks = ChunkRange {
                    start: first,
                    end: last,
                };
                terms.push(Term {
                    hash: t.xorb_hash,
                    unpacked_length: bytes,
                    range: chunks,
                });
                fetch.entry(t.xorb_hash).or_default().push(XorbFetchV2 {
                    url: format!("http://cas/fetch/{}", t.xorb_hash),
                    ranges: vec![FetchRangeV2 {
                        chunks,
                        bytes: ByteRange {
                            start: rec_start,
                            end: rec_end,
                        },
                    }],
                });
            }
        }
        let answer = ReconstructionV2 {
            offset_into_first_range: skip,
            terms,
            xorbs: fetch,
        };
        json(200, serde_json::to_string(&answer).unwrap_or_default())
    }

    /// The V1 form of the same answer (§6.3).
    fn reconstruction_v1(&self, hash: &str, range: Option<&str>) -> Response {
        let v2 = self.reconstruction(hash, range);
        if v2.status != 200 {
            return v2;
        }
        let body = futures_util::FutureExt::now_or_never(v2.bytes_limited(usize::MAX))
            .and_then(Result::ok)
            .unwrap_or_default();
        let Ok(v2) = xet::reconstruction::parse_v2(&body) else {
            return json(500, "{}".into());
        };
        json(200, serde_json::to_string(&v1_of(&v2)).unwrap_or_default())
    }

    fn fetch(&self, hash: &str, range: Option<&str>) -> Response {
        let Ok(hash) = Hash::from_hex(hash) else {
            return json(400, "{}".into());
        };
        let xorbs = self.xorbs.borrow();
        let Some(x) = xorbs.get(&hash) else {
            return json(404, "{}".into());
        };
        let Some((a, b)) = range
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.split_once('-'))
        else {
            return json(416, "{}".into());
        };
        if a.is_empty() {
            // A suffix range (the footer read): refused when the test says so.
            let Ok(n) = b.parse::<usize>() else {
                return json(416, "{}".into());
            };
            if self.refuse_suffix.get() || n == 0 {
                return json(416, "{}".into());
            }
            let from = x.data.len().saturating_sub(n);
            return Response::from_bytes(
                206,
                Headers::default(),
                "http://cas/",
                Bytes::copy_from_slice(&x.data[from..]),
            );
        }
        let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) else {
            return json(416, "{}".into());
        };
        match x.data.get(a..=b) {
            Some(bytes) => Response::from_bytes(
                206,
                Headers::default(),
                "http://cas/",
                Bytes::copy_from_slice(bytes),
            ),
            None => json(416, "{}".into()),
        }
    }
}

#[async_trait::async_trait(?Send)]
impl HttpClient for MockCas {
    async fn send(&self, request: Request, cancel: &Cancel) -> Result<Response, TransportError> {
        cancel.check()?;
        // Seen when first polled, as a real transport writes its request then; answered a turn
        // later.
        let path = request
            .url
            .strip_prefix("http://cas")
            .unwrap_or(&request.url)
            .to_string();
        let auth = request.header_value("authorization").map(String::from);
        self.seen
            .borrow_mut()
            .push((request.method, path.clone(), auth.clone()));
        tokio::task::yield_now().await;
        cancel.check()?;
        let fault = self.take_fault(
            request.method,
            &path,
            request.header_value("range").unwrap_or(""),
        );
        if let Some(Fault::Status(status)) = fault {
            return Ok(json(status, r#"{"error":"injected"}"#.into()));
        }
        if let Some(Fault::Echo(status)) = fault {
            let echoed = serde_json::json!({
                "error": format!("denied {} with {}", request.url, auth.as_deref().unwrap_or("")),
            });
            return Ok(json(status, echoed.to_string()));
        }
        if let Some(Fault::Hook(hook)) = &fault {
            hook();
        }
        let transfer = path.starts_with("/fetch/");
        if !transfer {
            let allowed = self.valid_tokens.borrow().as_ref().is_none_or(|v| {
                v.iter()
                    .any(|t| auth.as_deref() == Some(&format!("Bearer {t}")))
            });
            if !allowed {
                return Ok(json(401, r#"{"error":"expired"}"#.into()));
            }
        } else if auth.is_some() {
            return Ok(json(
                400,
                r#"{"error":"transfer URLs take no Authorization"}"#.into(),
            ));
        }
        if let Some(p) = &request.body_progress {
            p(request.body.as_ref().map_or(0, |b| b.len() as u64));
        }
        let body = request.body.clone().unwrap_or_default();
        let range = request.header_value("range");
        let mut resp = match (
            request.method,
            path.split('/').collect::<Vec<_>>().as_slice(),
        ) {
            (Method::Post, ["", "v1", "xorbs", "default", hash]) => self.post_xorb(hash, &body),
            (Method::Post, ["", "v1", "shards"]) => self.post_shard(&body),
            (Method::Get, ["", "v1", "chunks", "default", hash]) => self.query_chunk(hash),
            (Method::Get, ["", "v2", "reconstructions", _]) if self.no_v2.get() => {
                json(404, "{}".into())
            }
            (Method::Get, ["", "v2", "reconstructions", hash]) => self.reconstruction(hash, range),
            (Method::Get, ["", "v1", "reconstructions", hash]) => {
                self.reconstruction_v1(hash, range)
            }
            (Method::Get, ["", "fetch", hash]) => self.fetch(hash, range),
            _ => json(404, "{}".into()),
        };
        match fault {
            Some(Fault::Cut(at)) => {
                let full = resp.bytes_limited(usize::MAX).await?;
                let part = full.slice(..at.min(full.len()));
                resp = Response::new(
                    200,
                    Headers::default(),
                    "http://cas/",
                    Box::new(CutBody { data: Some(part) }),
                );
                // Keep the original status for transfer reads.
                if transfer {
                    resp.status = 206;
                }
            }
            Some(Fault::Flip(at)) => {
                let status = resp.status;
                let mut full = resp.bytes_limited(usize::MAX).await?.to_vec();
                if let Some(b) = full.get_mut(at) {
                    *b = !*b;
                }
                resp = Response::from_bytes(
                    status,
                    Headers::default(),
                    "http://cas/",
                    Bytes::from(full),
                );
            }
            _ => {}
        }
        if transfer && resp.is_success() && !matches!(fault, Some(Fault::Cut(_))) {
            let status = resp.status;
            let full = resp.bytes_limited(usize::MAX).await?;
            resp = Response::new(
                status,
                Headers::default(),
                "http://cas/",
                Box::new(StreamedBody::new(full, &self.bodies)),
            );
        }
        Ok(resp)
    }

    async fn sleep(&self, ms: u64) {
        self.now.set(self.now.get() + ms);
        tokio::task::yield_now().await;
    }

    fn now_ms(&self) -> u64 {
        self.now.get()
    }
}

/// The V1 form of a V2 reconstruction answer: the same terms, and one fetch entry per byte range.
pub(crate) fn v1_of(
    v2: &xet::reconstruction::ReconstructionV2,
) -> xet::reconstruction::ReconstructionV1 {
    let fetch_info: BTreeMap<Hash, Vec<xet::reconstruction::FetchInfoV1>> = v2
        .xorbs
        .iter()
        .map(|(h, es)| {
            let infos = es
                .iter()
                .flat_map(|e| {
                    e.ranges.iter().map(|r| xet::reconstruction::FetchInfoV1 {
                        range: r.chunks,
                        url: e.url.clone(),
                        url_range: r.bytes,
                    })
                })
                .collect();
            (*h, infos)
        })
        .collect();
    xet::reconstruction::ReconstructionV1 {
        offset_into_first_range: v2.offset_into_first_range,
        terms: v2.terms.clone(),
        fetch_info,
    }
}

/// Deterministic pseudo-random bytes (xorshift64*), the test data of the pipelines' tests.
pub(crate) fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Tokens `tok1`, `tok2`, … for the mock, each valid for an hour; counts the fetches.
pub(crate) struct CountingTokens {
    pub(crate) fetched: Cell<u32>,
    pub(crate) cas: Rc<MockCas>,
}

#[async_trait::async_trait(?Send)]
impl TokenSource for CountingTokens {
    async fn fetch(&self, _cancel: &Cancel) -> Result<CasToken, Error> {
        self.fetched.set(self.fetched.get() + 1);
        let token = format!("tok{}", self.fetched.get());
        if let Some(valid) = self.cas.valid_tokens.borrow_mut().as_mut() {
            valid.push(token.clone());
        }
        Ok(CasToken {
            access_token: token,
            exp_s: self.cas.now_ms() / 1000 + 3600,
            cas_url: "http://cas".into(),
        })
    }
}

/// A CAS client over `mock` with fast retries, and its token source.
pub(crate) fn client(mock: &Rc<MockCas>) -> (Rc<super::CasClient>, Rc<CountingTokens>) {
    let tokens = Rc::new(CountingTokens {
        fetched: Cell::new(0),
        cas: mock.clone(),
    });
    // No per-attempt timeout: the mock's clock jumps on every sleep.
    let policy = crate::transport::retry::RetryPolicy {
        max_retries: 3,
        initial_delay_ms: 1,
        max_delay_ms: 4,
        timeout_ms: None,
        ..Default::default()
    };
    let http: Rc<dyn HttpClient> = mock.clone();
    let cas = super::CasClient::new(
        http,
        policy,
        super::token::TokenCache::new(tokens.clone()),
        "test".into(),
    );
    (Rc::new(cas), tokens)
}
