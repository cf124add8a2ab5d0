//! The Xet CAS HTTP API as the transfer engine uses it (xet spec §6, buckets spec §11): global
//! dedup queries, xorb and shard uploads, reconstructions (V2, falling back to V1) and ranged
//! reads of xorb bytes.
//!
//! Every CAS call carries the CAS token from [`token::TokenCache`] (refreshed before expiry; after
//! a `401` the token is dropped and the call is tried again with a new one, at most twice) and never the
//! Hub token. Transfer URLs (presigned) get no `Authorization` at all (§6.5). Idempotent calls
//! (xorb and shard POSTs are content-addressed, reads are GETs) are retried per
//! [`RetryPolicy`] on 408/429/5xx and network errors (§6.2); a body cut off mid-read is read
//! again from the start.

pub mod token;

#[cfg(test)]
pub(crate) mod mock;

use std::cell::Cell;
use std::rc::Rc;

use bytes::Bytes;
use serde::Deserialize;
use xet::shard::Shard;
use xet::Hash;

use crate::download::plan::{FetchPlan, FetchUnit};
use crate::error::{Error, ErrorKind};
use crate::transport::retry::{self, RetryPolicy};
use crate::transport::{Cancel, HttpClient, Method, Request, Response, TransportError};
use token::{CasToken, TokenCache};

/// Largest global-dedup shard or reconstruction JSON we read into memory.
const MAX_METADATA_BODY: usize = 64 << 20;
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
}

impl std::fmt::Debug for CasClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CasClient")
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct XorbUploadAnswer {
    #[serde(default)]
    was_inserted: Option<bool>,
}

/// A reconstruction answer, with the version that produced it.
#[derive(Debug)]
pub enum Reconstruction {
    /// `GET /v2/reconstructions/…`.
    V2(xet::reconstruction::ReconstructionV2),
    /// `GET /v1/reconstructions/…`.
    V1(xet::reconstruction::ReconstructionV1),
}

impl Reconstruction {
    /// The fetch plan for `want` bytes (see [`FetchPlan::from_v2`]).
    ///
    /// # Errors
    /// As [`FetchPlan::from_v2`].
    pub fn plan(&self, want: Option<u64>) -> Result<FetchPlan, Error> {
        match self {
            Reconstruction::V2(r) => FetchPlan::from_v2(r, want),
            Reconstruction::V1(r) => FetchPlan::from_v1(r, want),
        }
    }
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
        }
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

    /// Sends a CAS request built by `build` for the current token; after a `401` gets a fresh
    /// token and tries again, at most [`MAX_TOKEN_REFRESHES`] times (a token fetched while the
    /// server revoked tokens may itself be revoked already).
    async fn send(
        &self,
        build: &dyn Fn(&CasToken) -> Request,
        cancel: &Cancel,
        accept: &[u16],
    ) -> Result<Response, Error> {
        let mut refreshes = 0;
        loop {
            let token = self.tokens.get(&*self.http, cancel).await?;
            let req = build(&token)
                .header("authorization", format!("Bearer {}", token.access_token))
                .header("x-xet-session-id", self.session_id.clone());
            match retry::send(&*self.http, &self.policy, req, cancel, accept).await {
                Err(e) if e.status() == Some(401) && refreshes < MAX_TOKEN_REFRESHES => {
                    self.tokens.invalidate(&token.access_token);
                    refreshes += 1;
                }
                other => return other,
            }
        }
    }

    /// [`CasClient::send`], then reads the whole body (at most `max` bytes). A body cut off
    /// mid-way is a retryable failure: the request is sent again (all CAS calls made this way are
    /// idempotent), within the retry policy.
    async fn send_read(
        &self,
        build: &dyn Fn(&CasToken) -> Request,
        cancel: &Cancel,
        accept: &[u16],
        max: usize,
    ) -> Result<(u16, String, Bytes), Error> {
        let mut attempt = 0u32;
        loop {
            let resp = self.send(build, cancel, accept).await?;
            let (status, url) = (resp.status, resp.url.clone());
            match resp.bytes_limited(max).await {
                Ok(body) => return Ok((status, url, body)),
                Err(e) => {
                    let e = Error::from(e);
                    let draw = (self.http.now_ms() % 1000) as f64 / 1000.0;
                    let Some(delay) = self.policy.delay_after(attempt, &e, true, draw) else {
                        return Err(e);
                    };
                    crate::transport::sleep(&*self.http, delay, cancel).await?;
                    attempt += 1;
                }
            }
        }
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
        let parsed: XorbUploadAnswer = serde_json::from_slice(&answer)
            .map_err(|e| Error::invalid_response(&url, format!("bad xorb upload answer: {e}")))?;
        Ok(parsed.was_inserted.unwrap_or(true))
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
                        Error::invalid_response(&url, format!("bad V2 reconstruction: {e}"))
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
            .map_err(|e| Error::invalid_response(&url, format!("bad V1 reconstruction: {e}")))?;
        self.v1_only.set(true);
        Ok(Reconstruction::V1(r))
    }

    /// Reads the bytes of `unit` from its transfer URL (§6.5): no `Authorization`, a single
    /// `Range`, `206` (or a `200` holding exactly those bytes or the whole object). Calls
    /// `on_bytes` with every piece received. A body cut off mid-way is read again (bounded by the
    /// retry policy).
    ///
    /// # Errors
    /// [`Error::Hub`] with status 403 when the URL expired (re-plan and retry), other statuses
    /// after retries, [`Error::InvalidResponse`] for a body of the wrong length.
    pub async fn fetch_unit(
        &self,
        unit: &FetchUnit,
        cancel: &Cancel,
        on_bytes: &dyn Fn(u64),
    ) -> Result<Bytes, Error> {
        let want = usize::try_from(unit.bytes.len())
            .map_err(|_| Error::invalid_response(&unit.url, "range too large"))?;
        let mut attempt = 0u32;
        loop {
            let req = Request::new(Method::Get, unit.url.clone())
                .header("range", unit.bytes.http_range());
            let resp = retry::send(&*self.http, &self.policy, req, cancel, &[]).await?;
            match read_range(resp, unit, want, on_bytes).await {
                Ok(b) => return Ok(b),
                Err(e) if e.retryable() && e.kind() != ErrorKind::Aborted => {
                    let unit_draw = (self.http.now_ms() % 1000) as f64 / 1000.0;
                    let Some(delay) = self.policy.delay_after(attempt, &e, true, unit_draw) else {
                        return Err(e);
                    };
                    crate::transport::sleep(&*self.http, delay, cancel).await?;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Reads a ranged response into one buffer of exactly `want` bytes.
async fn read_range(
    mut resp: Response,
    unit: &FetchUnit,
    want: usize,
    on_bytes: &dyn Fn(u64),
) -> Result<Bytes, Error> {
    let whole_object = resp.status == 200;
    // A 200 may carry the whole object: read up to its end and slice.
    let limit = if whole_object {
        usize::try_from(unit.bytes.end)
            .ok()
            .and_then(|e| e.checked_add(1))
            .unwrap_or(usize::MAX)
    } else {
        want
    };
    let mut buf: Vec<u8> = Vec::with_capacity(limit.min(want.saturating_add(1 << 16)));
    while let Some(piece) = resp.chunk().await.map_err(Error::from)? {
        if buf.len() + piece.len() > limit {
            // More than asked for: for a 206 that is a protocol error; for a 200 we only need the
            // prefix that ends at our range.
            if !whole_object {
                return Err(Error::invalid_response(
                    &unit.url,
                    format!("range answer longer than the {want} bytes asked for"),
                ));
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
        let start = usize::try_from(unit.bytes.start).unwrap_or(usize::MAX);
        let sliced = buf.get(start..).map(<[u8]>::to_vec).unwrap_or_default();
        buf = sliced;
    }
    if buf.len() != want {
        return Err(Error::from(TransportError::Body {
            url: crate::transport::redact_url(&unit.url),
            message: format!("range answer has {} bytes, expected {want}", buf.len()),
        }));
    }
    Ok(Bytes::from(buf))
}
