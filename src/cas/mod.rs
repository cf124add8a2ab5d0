//! The Xet CAS HTTP API as the transfer engine uses it (xet spec §6, buckets spec §11): global
//! dedup queries, xorb and shard uploads, reconstructions (V2, falling back to V1) and ranged
//! reads of xorb bytes.
//!
//! Every CAS call carries the CAS token from [`token::TokenCache`] (refreshed before expiry; after
//! a `401` the token is dropped and the call is tried again with a new one, at most twice) and never the
//! Hub token. Transfer URLs (presigned) get no `Authorization` at all (§6.5). Idempotent calls
//! (xorb and shard POSTs are content-addressed, reads are GETs) are retried per
//! [`RetryPolicy`] on 408/429/5xx and network errors (§6.2); a body cut off mid-read is read
//! again from the start. All of these draw from one [`Backoff`] per call, so a call is attempted
//! at most `max_retries + 1` times in all, whatever mix of failures it meets.

pub mod footers;
pub mod token;

#[cfg(test)]
pub(crate) mod mock;

use std::cell::Cell;
use std::rc::Rc;

use bytes::Bytes;
use futures_util::future::{FutureExt, LocalBoxFuture};
use xet::json::ShapeError;
use xet::reconstruction::ByteRange;
use xet::shard::Shard;
use xet::Hash;

use crate::error::Error;
use crate::transport::retry::{self, Backoff, RetryPolicy};
use crate::transport::{Cancel, HttpClient, Method, Request, Response, SendError, TransportError};
use token::{CasToken, TokenCache};

/// Largest global-dedup shard or reconstruction JSON we read into memory.
const MAX_METADATA_BODY: usize = 64 << 20;
/// Largest stored xorb object a `200` answer to a suffix range may carry: 64 MiB of records
/// plus a footer.
pub(crate) const MAX_STORED_XORB: u64 = 66 << 20;
/// Most bytes a range read's answer is buffered up to by a transport that reads it whole (a
/// `200` may carry the whole stored object).
const WHOLE_RANGE_MAX: usize = MAX_STORED_XORB as usize;
/// Largest small JSON answer (xorb/shard upload results).
const MAX_SMALL_BODY: usize = 64 << 10;

/// A CAS client for one transfer session.
pub struct CasClient {
    http: Rc<dyn HttpClient>,
    policy: RetryPolicy,
    tokens: TokenCache,
    session_id: String,
    /// The CAS answered 404/501 to a V2 reconstruction and 200 to V1: use V1 from now on.
    v1_only: Cell<bool>,
    /// Where proven xorb footers are kept for later reads, if anywhere (see
    /// [`CasClient::with_footers`]).
    footers: Option<footers::FooterCache>,
}

impl std::fmt::Debug for CasClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CasClient")
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

/// A reconstruction answer, with the version that produced it.
#[derive(Debug)]
pub enum Reconstruction {
    /// `GET /v2/reconstructions/…`.
    V2(xet::reconstruction::ReconstructionV2),
    /// `GET /v1/reconstructions/…`.
    V1(xet::reconstruction::ReconstructionV1),
}

/// Returns `Err(Aborted)` when the error is an abort, so that optional calls can ignore other
/// failures but never swallow a cancellation.
fn keep_abort(e: Error) -> Result<(), Error> {
    match e {
        Error::Aborted => Err(Error::Aborted),
        _ => Ok(()),
    }
}

/// How many fresh tokens one CAS request may try after `401`s.
pub const MAX_TOKEN_REFRESHES: u32 = 2;

impl CasClient {
    /// A client sending through `http` with tokens from `tokens`. `session_id` is sent as
    /// `X-Xet-Session-Id` on every CAS request.
    pub fn new(
        http: Rc<dyn HttpClient>,
        policy: RetryPolicy,
        tokens: TokenCache,
        session_id: String,
    ) -> CasClient {
        CasClient {
            http,
            policy,
            tokens,
            session_id,
            v1_only: Cell::new(false),
            footers: None,
        }
    }

    /// Keeps the xorb footers its reads prove in `footers` and reuses those kept there (by
    /// other clients sharing it too). Without one, every read fetches the footers it needs.
    #[must_use]
    pub fn with_footers(mut self, footers: footers::FooterCache) -> CasClient {
        self.footers = Some(footers);
        self
    }

    /// Where proven xorb footers are kept, if anywhere.
    pub fn footers(&self) -> Option<&footers::FooterCache> {
        self.footers.as_ref()
    }

    /// The transport.
    pub fn http(&self) -> &Rc<dyn HttpClient> {
        &self.http
    }

    /// The retry policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// A current token (refreshing it if needed); e.g. to learn the CAS URL.
    ///
    /// # Errors
    /// The token source's error.
    pub async fn token(&self, cancel: &Cancel) -> Result<CasToken, Error> {
        self.tokens.get(&*self.http, cancel).await
    }

    /// Sends a request built by `build` and reads its answer with `read`, within one retry
    /// budget ([`Backoff`]): a retryable status or network error, a body cut off mid-read
    /// ([`ReadError::Transport`]) and a `401` (answered at once with a fresh token, at most
    /// [`MAX_TOKEN_REFRESHES`] times) each take one retry, so the request is attempted at most
    /// `max_retries + 1` times.
    async fn exchange<'r>(
        &self,
        target: Target<'_>,
        cancel: &Cancel,
        accept: &[u16],
        read: &dyn Fn(Response) -> LocalBoxFuture<'r, Result<Answer, ReadError>>,
    ) -> Result<Answer, Error> {
        let mut backoff = Backoff::new(&*self.http, &self.policy);
        let mut refreshes = 0;
        loop {
            let (req, token) = match target {
                Target::Cas(build) => {
                    let token = self.tokens.get(&*self.http, cancel).await?;
                    let req = build(&token)
                        .header("authorization", format!("Bearer {}", token.access_token))
                        .header("x-xet-session-id", self.session_id.clone());
                    (req, Some(token.access_token))
                }
                Target::Presigned(build) => (build(), None),
            };
            let retry_safe = req.retry_safe;
            let failure = match retry::attempt(&*self.http, &self.policy, req, cancel, accept).await
            {
                Ok(resp) => match read(resp).await {
                    Ok(answer) => return Ok(answer),
                    Err(ReadError::Invalid(e)) => {
                        return Err(match &token {
                            Some(t) => e.redact(t),
                            None => e,
                        })
                    }
                    Err(ReadError::Transport(e)) => SendError::Transport(e),
                },
                Err(e) => e,
            };
            // What a CAS echoes of the request never carries its token into a message.
            let redact = |e: Error| match &token {
                Some(t) => e.redact(t),
                None => e,
            };
            if let (Some(401), Some(t)) = (failure.status(), &token) {
                if refreshes < MAX_TOKEN_REFRESHES && backoff.retry_now() {
                    self.tokens.invalidate(t);
                    refreshes += 1;
                    continue;
                }
                return Err(redact(failure.into()));
            }
            backoff
                .retry(failure, retry_safe, cancel)
                .await
                .map_err(|e| redact(e.into()))?;
        }
    }

    /// [`CasClient::exchange`] with the CAS token, reading the whole body (at most `max`
    /// bytes): `(status, final URL, body)`.
    async fn send_read(
        &self,
        build: &dyn Fn(&CasToken) -> Request,
        cancel: &Cancel,
        accept: &[u16],
        max: usize,
    ) -> Result<(u16, String, Bytes), Error> {
        let read = |resp: Response| {
            async move {
                let (status, url) = (resp.status, resp.url.clone());
                let body = resp.bytes_limited(max).await?;
                Ok(Answer { status, url, body })
            }
            .boxed_local()
        };
        // The answer is read whole (reconstructions, dedup queries, xorb and shard uploads): say
        // so to the transport, which then may take a cheaper path.
        let whole = |t: &CasToken| build(t).whole_answer(max);
        let a = self
            .exchange(Target::Cas(&whole), cancel, accept, &read)
            .await?;
        Ok((a.status, a.url, a.body))
    }

    /// Asks the global-dedup index about a chunk (§6.10). `Ok(None)` when the chunk is unknown
    /// or the query failed (dedup is an optimisation; only an abort is an error).
    ///
    /// # Errors
    /// [`Error::Aborted`].
    pub async fn query_chunk(&self, chunk: &Hash, cancel: &Cancel) -> Result<Option<Shard>, Error> {
        let hex = chunk.to_hex();
        let build = |t: &CasToken| {
            Request::new(
                Method::Get,
                format!("{}/v1/chunks/default/{hex}", t.cas_url),
            )
        };
        match self
            .send_read(&build, cancel, &[404], MAX_METADATA_BODY)
            .await
        {
            Ok((404, _, _)) => Ok(None),
            Ok((_, _, body)) => Ok(xet::shard::parse_shard(&body).ok()),
            Err(e) => keep_abort(e).map(|()| None),
        }
    }

    /// Uploads a xorb (chunk records, no footer, §6.6). Returns whether the CAS stored it anew
    /// (`false`: it already had it). `progress` gets the body bytes sent so far (see
    /// [`Request::body_progress`]).
    ///
    /// # Errors
    /// The CAS's error after retries.
    pub async fn upload_xorb(
        &self,
        hash: &Hash,
        body: Bytes,
        progress: Option<Rc<dyn Fn(u64)>>,
        cancel: &Cancel,
    ) -> Result<bool, Error> {
        let hex = hash.to_hex();
        let build = |t: &CasToken| {
            let r = Request::new(
                Method::Post,
                format!("{}/v1/xorbs/default/{hex}", t.cas_url),
            )
            .body("application/octet-stream", body.clone())
            .retry_safe(true);
            match &progress {
                Some(p) => r.on_body_progress(p.clone()),
                None => r,
            }
        };
        let (_, url, answer) = self.send_read(&build, cancel, &[], MAX_SMALL_BODY).await?;
        // `{"was_inserted": bool}`; other members are ignored, a missing one means inserted.
        let read = |body: &[u8]| -> Result<Option<bool>, ShapeError> {
            let v = xet::json::parse(body)?;
            v.opt_field("was_inserted")?
                .map(|b| b.to_bool("was_inserted"))
                .transpose()
        };
        let inserted = read(&answer)
            .map_err(|e| Error::invalid_response_from(&url, "bad xorb upload answer", e))?;
        Ok(inserted.unwrap_or(true))
    }

    /// Uploads a shard (§6.8).
    ///
    /// # Errors
    /// The CAS's error after retries.
    pub async fn upload_shard(&self, body: Bytes, cancel: &Cancel) -> Result<(), Error> {
        let build = |t: &CasToken| {
            Request::new(Method::Post, format!("{}/v1/shards", t.cas_url))
                .body("application/octet-stream", body.clone())
                .retry_safe(true)
        };
        // Read the small JSON answer to its end: a shard counts as accepted only then.
        self.send_read(&build, cancel, &[], MAX_SMALL_BODY).await?;
        Ok(())
    }

    /// The reconstruction of `file` (§6.3, §6.4), for bytes `[start, end)` when `range` is given.
    /// V2 first; after a 404 or 501 from V2, V1 (remembered for later calls).
    ///
    /// # Errors
    /// [`Error::Hub`] (e.g. 404 unknown file, 416 range past the end),
    /// [`Error::InvalidResponse`] for an unparsable answer.
    pub async fn reconstruction(
        &self,
        file: &Hash,
        range: Option<(u64, u64)>,
        cancel: &Cancel,
    ) -> Result<Reconstruction, Error> {
        let hex = file.to_hex();
        let with_range = |r: Request| match range {
            Some((start, end)) if end > start => {
                r.header("range", format!("bytes={start}-{}", end - 1))
            }
            _ => r,
        };
        if !self.v1_only.get() {
            let build = |t: &CasToken| {
                with_range(Request::new(
                    Method::Get,
                    format!("{}/v2/reconstructions/{hex}", t.cas_url),
                ))
            };
            match self
                .send_read(&build, cancel, &[404, 501], MAX_METADATA_BODY)
                .await?
            {
                (404 | 501, _, _) => {}
                (_, url, body) => {
                    let r = xet::reconstruction::parse_v2(&body).map_err(|e| {
                        Error::invalid_response_from(&url, "bad V2 reconstruction", e)
                    })?;
                    return Ok(Reconstruction::V2(r));
                }
            }
        }
        let build = |t: &CasToken| {
            with_range(Request::new(
                Method::Get,
                format!("{}/v1/reconstructions/{hex}", t.cas_url),
            ))
        };
        let (_, url, body) = self
            .send_read(&build, cancel, &[], MAX_METADATA_BODY)
            .await?;
        let r = xet::reconstruction::parse_v1(&body)
            .map_err(|e| Error::invalid_response_from(&url, "bad V1 reconstruction", e))?;
        self.v1_only.set(true);
        Ok(Reconstruction::V1(r))
    }

    /// Reads the bytes `bytes` of a stored xorb from its transfer URL `url` (§6.5): no
    /// `Authorization`, a single `Range`, `206` (or a `200` holding exactly those bytes or the
    /// whole object). Calls `on_bytes` with every piece received. A body cut off mid-way is read
    /// again, within the same retry budget as the statuses.
    ///
    /// # Errors
    /// [`Error::Hub`] with status 403 when the URL expired (re-plan and retry), other statuses
    /// after retries, [`Error::InvalidResponse`] for a body longer than asked for.
    pub async fn fetch_range(
        &self,
        url: &str,
        bytes: ByteRange,
        cancel: &Cancel,
        on_bytes: &dyn Fn(u64),
    ) -> Result<Bytes, Error> {
        let want = usize::try_from(bytes.len())
            .map_err(|_| Error::invalid_response(url, "range too large"))?;
        // Read whole (a 200 may carry the whole object): cheaper than streamed in Node, and
        // `read_range` buffers it all anyway.
        let build = || {
            Request::new(Method::Get, url.to_string())
                .header("range", bytes.http_range())
                .whole_answer(WHOLE_RANGE_MAX)
        };
        let read = |resp: Response| {
            async move {
                let (status, url) = (resp.status, resp.url.clone());
                let body = read_range(resp, &url, bytes, want, on_bytes).await?;
                Ok(Answer { status, url, body })
            }
            .boxed_local()
        };
        let answer = self
            .exchange(Target::Presigned(&build), cancel, &[], &read)
            .await?;
        Ok(answer.body)
    }
}

impl CasClient {
    /// Reads the last `n` bytes of a stored xorb from its transfer URL (`Range: bytes=-n`, the
    /// footer read of xet spec §4.4): a `206` of at most `n` bytes (fewer when the object is
    /// shorter), or a `200` with the whole object, of which only the last `n` bytes are kept.
    ///
    /// # Errors
    /// As [`CasClient::fetch_range`]; [`Error::InvalidResponse`] for a `206` longer than `n`.
    pub async fn fetch_tail(
        &self,
        url: &str,
        n: u64,
        cancel: &Cancel,
        on_bytes: &dyn Fn(u64),
    ) -> Result<Bytes, Error> {
        let keep =
            usize::try_from(n).map_err(|_| Error::invalid_response(url, "range too large"))?;
        let build = || {
            Request::new(Method::Get, url.to_string())
                .header("range", format!("bytes=-{n}"))
                .whole_answer(WHOLE_RANGE_MAX)
        };
        let read = |resp: Response| {
            async move {
                let (status, url) = (resp.status, resp.url.clone());
                let body = read_tail(resp, &url, keep, on_bytes).await?;
                Ok(Answer { status, url, body })
            }
            .boxed_local()
        };
        let answer = self
            .exchange(Target::Presigned(&build), cancel, &[], &read)
            .await?;
        Ok(answer.body)
    }
}

/// Reads a suffix-range answer: at most `keep` bytes for a `206`; for a `200` (the whole object)
/// the last `keep` bytes, holding at most twice that in memory.
async fn read_tail(
    mut resp: Response,
    url: &str,
    keep: usize,
    on_bytes: &dyn Fn(u64),
) -> Result<Bytes, ReadError> {
    let whole_object = resp.status == 200;
    let mut buf: Vec<u8> = Vec::with_capacity(keep.min(1 << 20));
    let mut seen = 0u64;
    while let Some(piece) = resp.chunk().await? {
        on_bytes(piece.len() as u64);
        seen = seen.saturating_add(piece.len() as u64);
        if seen > MAX_STORED_XORB {
            return Err(ReadError::Invalid(Error::invalid_response(
                url,
                "answer to a suffix range is longer than any stored xorb",
            )));
        }
        if !whole_object && buf.len() + piece.len() > keep {
            return Err(ReadError::Invalid(Error::invalid_response(
                url,
                format!("suffix range answer longer than the {keep} bytes asked for"),
            )));
        }
        buf.extend_from_slice(&piece);
        if buf.len() > keep.saturating_mul(2) {
            buf.drain(..buf.len() - keep);
        }
    }
    if buf.len() > keep {
        buf.drain(..buf.len() - keep);
    }
    Ok(Bytes::from(buf))
}

/// Where a request goes.
#[derive(Clone, Copy)]
enum Target<'b> {
    /// A CAS route: built for the current token, sent with it and the session id.
    Cas(&'b dyn Fn(&CasToken) -> Request),
    /// A presigned transfer URL: no `Authorization` at all (§6.5).
    Presigned(&'b dyn Fn() -> Request),
}

/// An answer read to its end: status, final URL, body.
struct Answer {
    status: u16,
    url: String,
    body: Bytes,
}

/// Why reading an answer failed.
enum ReadError {
    /// The body broke off or was too short: send the request again (within the budget).
    Transport(TransportError),
    /// The answer is wrong in a way sending again will not fix.
    Invalid(Error),
}

impl From<TransportError> for ReadError {
    fn from(e: TransportError) -> ReadError {
        ReadError::Transport(e)
    }
}

/// Largest range read into a buffer allocated whole before its bytes arrive (a split
/// download's ranges are about 8 MiB).
const EXACT_RESERVE: usize = 16 << 20;

/// Reads a ranged response into one buffer of exactly `want` bytes.
async fn read_range(
    mut resp: Response,
    url: &str,
    bytes: ByteRange,
    want: usize,
    on_bytes: &dyn Fn(u64),
) -> Result<Bytes, ReadError> {
    let whole_object = resp.status == 200;
    // A 200 may carry the whole object: read up to its end and slice.
    let limit = if whole_object {
        usize::try_from(bytes.end)
            .ok()
            .and_then(|e| e.checked_add(1))
            .unwrap_or(usize::MAX)
    } else {
        want
    };
    if !whole_object && want <= EXACT_RESERVE {
        // The usual case (a split download's ranges are about 8 MiB): one zeroed buffer of
        // exactly the range's size, each chunk copied into place once. `want` comes from the
        // reconstruction or a proven footer, held to the protocol's limits when planned.
        let mut buf = vec![0u8; want];
        let mut filled = 0;
        while let Some(len) = resp
            .chunk_into(buf.get_mut(filled..).unwrap_or_default())
            .await?
        {
            let appended = len.min(want - filled);
            filled += appended;
            on_bytes(appended as u64);
            if len > appended {
                return Err(ReadError::Invalid(Error::invalid_response(
                    url,
                    format!("range answer longer than the {want} bytes asked for"),
                )));
            }
        }
        if filled != want {
            return Err(ReadError::Transport(TransportError::Body {
                url: crate::transport::redact_url(url),
                message: format!("range answer has {filled} bytes, expected {want}"),
            }));
        }
        return Ok(Bytes::from(buf));
    }
    // A larger range, or a 200 with the whole object: a buffer that grows with the bytes
    // received (at most a megabyte reserved up front).
    let mut buf: Vec<u8> = Vec::with_capacity(limit.min(want).min(1 << 20));
    while let Some(piece) = resp.chunk().await? {
        if buf.len() + piece.len() > limit {
            // More than asked for: for a 206 that is a protocol error; for a 200 we only need the
            // prefix that ends at our range.
            if !whole_object {
                return Err(ReadError::Invalid(Error::invalid_response(
                    url,
                    format!("range answer longer than the {want} bytes asked for"),
                )));
            }
            let keep = limit - buf.len();
            buf.extend_from_slice(piece.get(..keep).unwrap_or_default());
            on_bytes(keep as u64);
            break;
        }
        buf.extend_from_slice(&piece);
        on_bytes(piece.len() as u64);
    }
    if whole_object && buf.len() == limit && limit != want {
        let start = usize::try_from(bytes.start).unwrap_or(usize::MAX);
        let sliced = buf.get(start..).map(<[u8]>::to_vec).unwrap_or_default();
        buf = sliced;
    }
    if buf.len() != want {
        return Err(ReadError::Transport(TransportError::Body {
            url: crate::transport::redact_url(url),
            message: format!("range answer has {} bytes, expected {want}", buf.len()),
        }));
    }
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::mock::{client, CountingTokens, Fault, MockCas};
    use super::*;
    use crate::error::ErrorKind;

    /// A CAS error page that echoes the request's token: the error's message has it redacted.
    #[tokio::test(flavor = "current_thread")]
    async fn errors_never_carry_the_cas_token() {
        let mock = MockCas::new();
        let (cas, _) = client(&mock);
        let token = cas.token(&Cancel::new()).await.unwrap().access_token;
        assert!(!token.is_empty());
        for status in [403, 500, 400] {
            script(
                &mock,
                Method::Post,
                "/v1/xorbs/",
                &[(Fault::Echo(status), ALWAYS)],
            );
            let err = cas
                .upload_xorb(&Hash::ZERO, Bytes::from_static(b"x"), None, &Cancel::new())
                .await
                .unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(
                shown.contains("denied"),
                "the server's words are kept: {shown}"
            );
            assert!(!shown.contains(&token), "{status}: {shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
            mock.clear_faults();
        }
    }

    /// Scripts `faults` (in order, each `times` times) on one route.
    fn script(mock: &MockCas, method: Method, path: &'static str, faults: &[(Fault, usize)]) {
        for (fault, times) in faults {
            mock.fault(method, path, *times, fault.clone());
        }
    }

    const ALWAYS: usize = 1000;

    /// Faults in order, then the attempts expected and the kind of the final error.
    type Case = (Vec<(Fault, usize)>, usize, ErrorKind);

    /// A CAS that always fails, in every mix of 5xx, cut bodies and 401s: each call is attempted
    /// at most `max_retries + 1` times (the mock client allows 3 retries), and a 401 is answered
    /// with at most `MAX_TOKEN_REFRESHES` fresh tokens.
    #[tokio::test(flavor = "current_thread")]
    async fn one_retry_budget_whatever_the_mix_of_failures() {
        use Fault::{Cut, Status};
        let cases: Vec<Case> = vec![
            (vec![(Status(503), ALWAYS)], 4, ErrorKind::Server),
            (vec![(Cut(3), ALWAYS)], 4, ErrorKind::Network),
            (vec![(Status(401), ALWAYS)], 3, ErrorKind::Auth),
            (
                vec![(Status(503), 1), (Cut(3), 1), (Status(401), ALWAYS)],
                4,
                ErrorKind::Auth,
            ),
            (
                vec![(Status(401), 2), (Status(503), ALWAYS)],
                4,
                ErrorKind::Server,
            ),
            (
                vec![
                    (Cut(2), 1),
                    (Status(401), 1),
                    (Status(502), 1),
                    (Cut(1), ALWAYS),
                ],
                4,
                ErrorKind::Network,
            ),
        ];
        for (faults, attempts, kind) in cases {
            // A CAS route (with the CAS token): a V2 reconstruction.
            let mock = MockCas::new();
            let (cas, tokens) = client(&mock);
            script(&mock, Method::Get, "/v2/reconstructions/", &faults);
            let err = cas
                .reconstruction(&Hash::ZERO, None, &Cancel::new())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), kind, "{err}");
            assert_eq!(mock.count(Method::Get, "/v2/reconstructions/"), attempts);
            assert!(tokens.fetched.get() <= 1 + MAX_TOKEN_REFRESHES);

            // A POST that is safe to repeat (xorb upload), same budget.
            let mock = MockCas::new();
            let (cas, _) = client(&mock);
            script(&mock, Method::Post, "/v1/xorbs/", &faults);
            let err = cas
                .upload_xorb(&Hash::ZERO, Bytes::from_static(b"x"), None, &Cancel::new())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), kind, "{err}");
            assert_eq!(mock.count(Method::Post, "/v1/xorbs/"), attempts);
        }
    }

    /// Presigned transfer reads carry no token: a 401 there is final, cut bodies and 5xx share
    /// one budget.
    #[tokio::test(flavor = "current_thread")]
    async fn transfer_reads_share_the_budget() {
        let mock = MockCas::new();
        let (cas, _) = client(&mock);
        script(
            &mock,
            Method::Get,
            "/fetch/",
            &[(Fault::Status(503), 2), (Fault::Cut(1), ALWAYS)],
        );
        let range = ByteRange { start: 0, end: 9 };
        let url = format!("http://cas/fetch/{}", Hash::ZERO.to_hex());
        let err = cas
            .fetch_range(&url, range, &Cancel::new(), &|_| {})
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network, "{err}");
        assert_eq!(mock.count(Method::Get, "/fetch/"), 4);

        let mock = MockCas::new();
        let (cas, _) = client(&mock);
        script(
            &mock,
            Method::Get,
            "/fetch/",
            &[(Fault::Status(401), ALWAYS)],
        );
        let err = cas
            .fetch_range(&url, range, &Cancel::new(), &|_| {})
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(401));
        assert_eq!(mock.count(Method::Get, "/fetch/"), 1);
    }

    /// With `max_retries: 0`, one attempt, even after a 401 or a cut body.
    #[tokio::test(flavor = "current_thread")]
    async fn no_retries_means_one_attempt() {
        for fault in [Fault::Status(503), Fault::Cut(1), Fault::Status(401)] {
            let mock = MockCas::new();
            let tokens = Rc::new(CountingTokens {
                fetched: Cell::new(0),
                cas: mock.clone(),
            });
            let policy = RetryPolicy {
                max_retries: 0,
                timeout_ms: None,
                ..RetryPolicy::default()
            };
            let http: Rc<dyn HttpClient> = mock.clone();
            let cas = CasClient::new(http, policy, TokenCache::new(tokens), "t".into());
            mock.fault(Method::Get, "/v2/reconstructions/", ALWAYS, fault);
            cas.reconstruction(&Hash::ZERO, None, &Cancel::new())
                .await
                .unwrap_err();
            assert_eq!(mock.count(Method::Get, "/v2/reconstructions/"), 1);
        }
    }
}
