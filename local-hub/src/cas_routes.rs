//! The CAS routes, served in-process: each one calls the official CAS storage
//! (`xet-client` 1.8.0's `DirectAccessClient`, the same calls its `LocalServer` handlers make)
//! and answers with the status codes and success bodies those handlers produce, serialised
//! from the crate's own public types. There is no CAS listener: the front (`cas_front.rs`)
//! admits a request (route allowlist, faults, CAS token) and calls one function here.
//!
//! Where this differs from the official handlers, on purpose: error bodies are the front's
//! JSON `{"error": "<the official message>"}`; request bodies are bounded; fetch URLs in
//! reconstruction answers are signed and expire (`fetch_url.rs`), with each V1 URL carrying its
//! own byte range; reconstructions and `HEAD` of a file hash answer 404 unless the CAS token's
//! bucket or repo references the file; `fetch_term` checks its term and `Range` before reading
//! (a reversed or out-of-range term is 400, not a crash); telemetry is accepted and dropped.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use xet_client::cas_types::{
    BatchQueryReconstructionResponse, CommitStage, FileRange, HexMerkleHash,
    QueryReconstructionResponse, QueryReconstructionResponseV2, ShardUploadEvent,
    UploadShardResponse, UploadShardResponseType, UploadXorbResponse, XorbReconstructionFetchInfo,
};
use xet_client::ClientError;
use xet_core_structures::merklehash::MerkleHash;

use crate::app::AppState;
use crate::cas_token::{self, Claims, Subject};
use crate::error::error_response;
use crate::fetch_url::{self, UrlError};
use crate::http_util;
use crate::time;

/// Largest xorb body accepted: 64 MiB of chunk data (xet-protocol.md §4) plus the records'
/// headers and a footer.
const MAX_XORB_BODY: usize = 66 << 20;
/// Largest shard body accepted (a shard over 64 MiB must be split, §5).
const MAX_SHARD_BODY: usize = 66 << 20;
/// Largest telemetry document accepted.
const MAX_TELEMETRY_BODY: usize = 1 << 20;

/// An official-handler error message with its status, as the front's JSON error.
fn plain(status: StatusCode, message: &str) -> Response {
    error_response(status, None, message, None)
}

/// The official status for a storage error: 404 unknown xorb or file, 416 bad range, 400 bad
/// arguments, else 500.
fn client_error(e: &ClientError) -> Response {
    let status = match e {
        ClientError::XORBNotFound(_) | ClientError::FileNotFound(_) => StatusCode::NOT_FOUND,
        ClientError::InvalidRange => StatusCode::RANGE_NOT_SATISFIABLE,
        ClientError::InvalidArguments => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    plain(status, &e.to_string())
}

/// The answer for a file hash the token may not read: exactly the unknown-file answer.
fn file_not_found(hash: &MerkleHash) -> Response {
    client_error(&ClientError::FileNotFound(*hash))
}

/// Reads a request body of at most `limit` bytes (400 beyond, as the spec's "too large").
async fn collect_body<S, E>(mut stream: S, limit: usize) -> Result<Bytes, Response>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut data = Vec::new();
    while let Some(piece) = stream.next().await {
        let piece = piece
            .map_err(|e| plain(StatusCode::BAD_REQUEST, &format!("Error reading body: {e}")))?;
        if data.len().saturating_add(piece.len()) > limit {
            return Err(plain(
                StatusCode::BAD_REQUEST,
                &format!("request body larger than {limit} bytes"),
            ));
        }
        data.extend_from_slice(&piece);
    }
    Ok(Bytes::from(data))
}

/// Most files remembered by [`Uploaded`] (about 100 bytes each); past it, new uploads are
/// readable only once committed.
const MAX_UPLOADED_FILES: usize = 1 << 20;

/// The files each bucket or repo's write tokens uploaded (from their shards) since start-up,
/// so a client may read a file it uploaded before (or without) committing it (e.g.
/// `commit: false`, then a read by hash). Not persisted: after a restart only committed files
/// are readable.
#[derive(Default)]
pub(crate) struct Uploaded {
    /// Subject key ([`subject_key`]) → file hashes (lowercase hex).
    files: std::sync::Mutex<HashMap<String, std::collections::HashSet<String>>>,
}

/// The key of a token's subject: `bucket:{id}` or `{kind}:{id}` (any revision).
fn subject_key(claims: &Claims) -> Option<String> {
    match cas_token::subject(&claims.repo)? {
        Subject::Bucket(id) => Some(format!("bucket:{id}")),
        Subject::Repo(kind, id) => Some(format!("{}:{id}", kind.as_str())),
    }
}

impl Uploaded {
    fn record(&self, claims: &Claims, hashes: Vec<String>) {
        let Some(key) = subject_key(claims) else {
            return;
        };
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = files.values().map(std::collections::HashSet::len).sum();
        let room = MAX_UPLOADED_FILES.saturating_sub(total);
        files
            .entry(key)
            .or_default()
            .extend(hashes.into_iter().take(room));
    }

    fn contains(&self, claims: &Claims, hash: &str) -> bool {
        let Some(key) = subject_key(claims) else {
            return false;
        };
        let files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        files.get(&key).is_some_and(|set| set.contains(hash))
    }
}

/// The file hashes a shard describes (empty if it does not parse; the storage parsed it first).
fn shard_file_hashes(shard: &[u8]) -> Vec<String> {
    use xet_core_structures::metadata_shard::streaming_shard::MDBMinimalShard;
    let mut reader = std::io::Cursor::new(shard);
    let Ok(parsed) = MDBMinimalShard::from_reader(&mut reader, true, false) else {
        return Vec::new();
    };
    (0..parsed.num_files())
        .filter_map(|i| parsed.file(i).map(|f| f.file_hash().hex()))
        .collect()
}

/// Whether the CAS token may read the file `hash`: its bucket references it (a current file),
/// or its repo does (any revision), or a write token of the same bucket or repo uploaded it.
pub(crate) async fn may_read(app: &AppState, claims: &Claims, hash: &MerkleHash) -> bool {
    let hex = hash.hex();
    let referenced = {
        let db = app.store.read().await;
        match cas_token::subject(&claims.repo) {
            Some(Subject::Bucket(id)) => db.buckets.get(id).is_some_and(|b| b.references(&hex)),
            Some(Subject::Repo(kind, id)) => db
                .repos
                .get(&crate::store::repo_key(kind, id))
                .is_some_and(|r| r.references(&hex)),
            None => false,
        }
    };
    referenced || app.uploaded.contains(claims, &hex)
}

/// A file `Range` header as the official server reads it.
enum FileRangeHeader {
    /// `bytes=a-b` (stored end-exclusive).
    Normal(FileRange),
    /// `bytes=a-`.
    From(u64),
    /// `bytes=-n`.
    Suffix(u64),
}

/// Parses a reconstruction's `Range` header like the official server: no header = `None`;
/// anything but one `bytes=a-b`, `bytes=a-` or `bytes=-n` (e.g. `a > b`) is an error (416).
fn file_range_header(headers: &HeaderMap) -> Result<Option<FileRangeHeader>, &'static str> {
    let Some(value) = headers.get(header::RANGE) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| "Invalid range header")?;
    let spec = text
        .strip_prefix("bytes=")
        .ok_or("Range header doesn't start with bytes=")?;
    let (a, b) = spec.split_once('-').ok_or("Invalid range syntax")?;
    let number = |s: &str| -> Result<Option<u64>, &'static str> {
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse().map(Some).map_err(|_| "Invalid range value")
        }
    };
    match (number(a)?, number(b)?) {
        (None, None) => Err("Invalid range syntax"),
        (Some(start), Some(last)) if start > last => Err("Range start > end"),
        (Some(start), Some(last)) => Ok(Some(FileRangeHeader::Normal(FileRange::new(
            start,
            last.saturating_add(1),
        )))),
        (Some(start), None) => Ok(Some(FileRangeHeader::From(start))),
        (None, Some(suffix)) => Ok(Some(FileRangeHeader::Suffix(suffix))),
    }
}

/// The file byte range a reconstruction asks for (`Ok(None)`: the whole file).
async fn file_range(
    app: &AppState,
    hash: &MerkleHash,
    headers: &HeaderMap,
) -> Result<Option<FileRange>, Response> {
    let size = || async {
        app.cas
            .get_file_size(hash)
            .await
            .map_err(|e| client_error(&e))
    };
    let parsed =
        file_range_header(headers).map_err(|why| plain(StatusCode::RANGE_NOT_SATISFIABLE, why))?;
    Ok(match parsed {
        None => None,
        Some(FileRangeHeader::Normal(range)) => Some(range),
        Some(FileRangeHeader::From(start)) => {
            // The storage answers a start at or past the end with "not satisfiable".
            Some(FileRange::new(start, size().await?.max(start)))
        }
        Some(FileRangeHeader::Suffix(n)) => {
            let size = size().await?;
            Some(FileRange::new(size.saturating_sub(n), size))
        }
    })
}

/// Where fetch URLs point and what they are signed for.
pub(crate) struct Signing {
    /// `http://host:port` of the front, as the client addressed it.
    pub(crate) base: String,
    /// The CAS token's `repo` claim.
    pub(crate) repo: String,
}

impl Signing {
    fn url(&self, app: &AppState, xorb: &HexMerkleHash, ranges: &[(u64, u64)]) -> String {
        let query = app
            .url_signer
            .sign(&xorb.0.hex(), ranges, &self.repo, time::now_secs());
        format!("{}/v1/fetch_term?{query}", self.base)
    }

    /// V1 (and batch) fetch infos: one URL per descriptor, signed for its `url_range`.
    fn sign_v1(
        &self,
        app: &AppState,
        fetch_info: &mut HashMap<HexMerkleHash, Vec<XorbReconstructionFetchInfo>>,
    ) {
        for (xorb, infos) in fetch_info.iter_mut() {
            for info in infos.iter_mut() {
                let range = (info.url_range.start, info.url_range.end.saturating_add(1));
                info.url = self.url(app, xorb, &[range]);
            }
        }
    }

    /// V2 entries: one URL per entry, signed for all its byte ranges.
    fn sign_v2(&self, app: &AppState, response: &mut QueryReconstructionResponseV2) {
        for (xorb, entries) in response.xorbs.iter_mut() {
            for entry in entries.iter_mut() {
                let ranges: Vec<(u64, u64)> = entry
                    .ranges
                    .iter()
                    .map(|r| (r.bytes.start, r.bytes.end.saturating_add(1)))
                    .collect();
                entry.url = self.url(app, xorb, &ranges);
            }
        }
    }
}

/// `GET /health`.
pub(crate) fn health() -> Response {
    let headers = [
        (
            header::CACHE_CONTROL,
            "no-store, no-cache, must-revalidate, proxy-revalidate",
        ),
        (header::PRAGMA, "no-cache"),
        (header::EXPIRES, "0"),
    ];
    (StatusCode::OK, headers).into_response()
}

/// `GET /v1/reconstructions/{file}` and `GET /v2/reconstructions/{file}` (with `Range`).
pub(crate) async fn reconstruction(
    app: &AppState,
    v2: bool,
    hash: MerkleHash,
    headers: &HeaderMap,
    claims: &Claims,
    signing: &Signing,
) -> Response {
    if !may_read(app, claims, &hash).await {
        return file_not_found(&hash);
    }
    if v2 {
        let disabled = app.cas.v2_disabled_status_code();
        if disabled != 0 {
            let status = StatusCode::from_u16(disabled).unwrap_or(StatusCode::NOT_FOUND);
            return plain(status, "V2 reconstruction endpoint disabled");
        }
    }
    let range = match file_range(app, &hash, headers).await {
        Ok(range) => range,
        Err(response) => return response,
    };
    let not_satisfiable = || plain(StatusCode::RANGE_NOT_SATISFIABLE, "Range not satisfiable");
    if v2 {
        match app.cas.get_reconstruction_v2(&hash, range).await {
            Ok(Some(mut response)) => {
                signing.sign_v2(app, &mut response);
                Json(response).into_response()
            }
            Ok(None) => not_satisfiable(),
            Err(e) => client_error(&e),
        }
    } else {
        match app.cas.get_reconstruction_v1(&hash, range).await {
            Ok(Some(mut response)) => {
                let QueryReconstructionResponse { fetch_info, .. } = &mut response;
                signing.sign_v1(app, fetch_info);
                Json(response).into_response()
            }
            Ok(None) => not_satisfiable(),
            Err(e) => client_error(&e),
        }
    }
}

/// `GET /v1/reconstructions?file_id=…&file_id=…` (no ranges). Every file must be readable
/// with the token, else 404 as for an unknown file.
pub(crate) async fn batch_reconstruction(
    app: &AppState,
    query: &str,
    claims: &Claims,
    signing: &Signing,
) -> Response {
    let given: Vec<&str> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| *key == "file_id")
        .map(|(_, value)| value)
        .collect();
    let ids: Vec<MerkleHash> = given
        .iter()
        .filter_map(|hex| MerkleHash::from_hex(hex).ok())
        .collect();
    if ids.is_empty() && !given.is_empty() {
        return plain(StatusCode::BAD_REQUEST, "Invalid file_id format");
    }
    for id in &ids {
        if !may_read(app, claims, id).await {
            return file_not_found(id);
        }
    }
    match app.cas.batch_get_reconstruction(&ids).await {
        Ok(mut response) => {
            let BatchQueryReconstructionResponse { fetch_info, .. } = &mut response;
            signing.sign_v1(app, fetch_info);
            Json(response).into_response()
        }
        Err(e) => client_error(&e),
    }
}

/// `GET /v1/chunks/{prefix}/{chunk}`: the global-dedup shard for a chunk.
pub(crate) async fn chunk(app: &AppState, prefix: &str, hash: MerkleHash) -> Response {
    match app.cas.query_for_global_dedup_shard(prefix, &hash).await {
        Ok(Some(data)) => (StatusCode::OK, data).into_response(),
        Ok(None) => plain(StatusCode::NOT_FOUND, "Shard not found"),
        Err(e) => client_error(&e),
    }
}

/// A `200` with `Content-Length: n` and no body (the official `HEAD` answers).
fn head_ok(length: u64) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_LENGTH, HeaderValue::from(length))],
    )
        .into_response()
}

/// `HEAD /v1/xorbs/{prefix}/{hash}`. The official handler looks the hash up as a *file*
/// (`get_file_reconstruction_info`); kept, with the file rule of [`may_read`].
pub(crate) async fn xorb_head(app: &AppState, hash: MerkleHash, claims: &Claims) -> Response {
    let not_found = || plain(StatusCode::NOT_FOUND, "XORB not found");
    if !may_read(app, claims, &hash).await {
        return not_found();
    }
    match app.cas.get_file_reconstruction_info(&hash).await {
        Ok(Some(_)) => head_ok(0),
        Ok(None) => not_found(),
        Err(e) => client_error(&e),
    }
}

/// `HEAD /v1/files/{file}`: `Content-Length` = the file's size.
pub(crate) async fn file_head(app: &AppState, hash: MerkleHash, claims: &Claims) -> Response {
    if !may_read(app, claims, &hash).await {
        return file_not_found(&hash);
    }
    match app.cas.get_file_size(&hash).await {
        Ok(size) => head_ok(size),
        Err(e) => client_error(&e),
    }
}

/// `POST /v1/xorbs/{prefix}/{hash}`: the official storage re-frames the xorb, recomputes its
/// hash from the chunks and refuses a mismatch. Always `{"was_inserted": true}` on success, as
/// the official handler answers.
pub(crate) async fn xorb_upload<S, E>(
    app: &AppState,
    prefix: &str,
    hash: MerkleHash,
    body: S,
) -> Response
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let data = match collect_body(body, MAX_XORB_BODY).await {
        Ok(data) => data,
        Err(response) => return response,
    };
    let xorb = xet_core_structures::xorb_object::SerializedXorbObject {
        hash,
        raw_num_bytes: data.len() as u64,
        serialized_data: data.to_vec(),
        num_chunks: 0,
        footer_start: None,
    };
    let permit = match app.cas.acquire_upload_permit().await {
        Ok(permit) => permit,
        Err(e) => return client_error(&e),
    };
    match app.cas.upload_xorb(prefix, xorb, None, permit).await {
        Ok(_) => Json(UploadXorbResponse { was_inserted: true }).into_response(),
        Err(e) => client_error(&e),
    }
}

/// `POST /v1/shards` (JSON answer) and `POST /v2/shards` (NDJSON progress frames). The files
/// of an accepted shard become readable with the tokens of the uploader's bucket or repo.
pub(crate) async fn shards<S, E>(app: &AppState, v2: bool, body: S, claims: &Claims) -> Response
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    if v2 {
        let disabled = app.cas.v2_disabled_status_code();
        if disabled != 0 {
            let status = StatusCode::from_u16(disabled).unwrap_or(StatusCode::NOT_FOUND);
            return plain(status, "V2 shard upload endpoint disabled");
        }
    }
    let data = match collect_body(body, MAX_SHARD_BODY).await {
        Ok(data) => data,
        Err(response) => return response,
    };
    let permit = match app.cas.acquire_upload_permit().await {
        Ok(permit) => permit,
        Err(e) => return client_error(&e),
    };
    let files = shard_file_hashes(&data);
    let result = app.cas.upload_shard(data, permit, None).await;
    if result.is_ok() {
        app.uploaded.record(claims, files);
    }
    match result {
        Ok(shard_hash) if !v2 => Json(UploadShardResponse {
            result: UploadShardResponseType::SyncPerformed,
            shard_hash: shard_hash.map(Into::into),
        })
        .into_response(),
        Ok(_) => shard_progress(),
        Err(e) => client_error(&e),
    }
}

/// The official `/v2/shards` success stream: validating, committing, result.
fn shard_progress() -> Response {
    let events = [
        ShardUploadEvent::Validating {
            verified: 0,
            total: 1,
        },
        ShardUploadEvent::Validating {
            verified: 1,
            total: 1,
        },
        ShardUploadEvent::Committing {
            stage: CommitStage::Uploading,
        },
        ShardUploadEvent::Committing {
            stage: CommitStage::Syncing,
        },
        ShardUploadEvent::Result,
    ];
    let mut body = Vec::new();
    for event in &events {
        if serde_json::to_writer(&mut body, event).is_err() {
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "serialising shard upload events",
            );
        }
        body.push(b'\n');
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        body,
    )
        .into_response()
}

/// `POST /v1/telemetry`: a JSON object is accepted (200) and dropped.
pub(crate) async fn telemetry<S, E>(body: S) -> Response
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let data = match collect_body(body, MAX_TELEMETRY_BODY).await {
        Ok(data) => data,
        Err(response) => return response,
    };
    match serde_json::from_slice::<serde_json::Value>(&data) {
        Ok(document) if document.is_object() => StatusCode::OK.into_response(),
        Ok(_) => plain(
            StatusCode::BAD_REQUEST,
            "telemetry body is not a JSON object",
        ),
        Err(_) => plain(StatusCode::BAD_REQUEST, "telemetry body is not valid JSON"),
    }
}

/// Bytes `[start, end)` of a stored xorb, as the storage's `get_xorb_raw_bytes` serves them,
/// but reading only those bytes from the xorb's file: the storage reads the whole object for
/// every range (64 MiB to serve a footer), where the object stores behind the real CAS serve a
/// range at the cost of the range. Falls back to the storage when the file is not where its
/// layout puts it.
async fn read_xorb_range(
    app: &AppState,
    hash: MerkleHash,
    start: u64,
    end: u64,
) -> Result<Bytes, ClientError> {
    use std::io::{Read, Seek, SeekFrom};
    let path = app.xorb_dir.join(format!("default.{hash:?}"));
    let direct = (|| -> std::io::Result<Option<Vec<u8>>> {
        let mut file = std::fs::File::open(&path)?;
        let len = file.metadata()?.len();
        if start >= len {
            return Ok(None);
        }
        let end = end.min(len);
        let mut buf = vec![0u8; usize::try_from(end - start).unwrap_or(0)];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf)?;
        Ok(Some(buf))
    })();
    match direct {
        Ok(Some(buf)) => Ok(Bytes::from(buf)),
        Ok(None) => Err(ClientError::InvalidRange),
        Err(_) => {
            app.cas
                .get_xorb_raw_bytes(&hash, Some(FileRange::new(start, end)))
                .await
        }
    }
}

/// `GET /v1/fetch_term?term=…&exp=…&repo=…&sig=…`: xorb bytes for a signed, unexpired URL.
/// Order of checks: a malformed query or term (reversed ranges included) is 400, a bad
/// signature or an expired URL 403, an unknown xorb 404, a term range past its end 400, an
/// unsatisfiable `Range` 416. Then, as the official handler: a single `Range` selects those
/// bytes (206); without one, a one-range term serves its range (206), a multi-range term a
/// `multipart/byteranges` answer, a hash-only term the whole xorb (200). A reversed or
/// multi-range `Range` header is ignored, as storage does.
pub(crate) async fn fetch_term(app: &AppState, query: &str, headers: &HeaderMap) -> Response {
    let term = match app.url_signer.verify(query, time::now_secs()) {
        Ok(term) => term,
        Err(e @ UrlError::Malformed(_)) => return plain(StatusCode::BAD_REQUEST, &e.to_string()),
        Err(e) => return plain(StatusCode::FORBIDDEN, &e.to_string()),
    };
    let Ok(hash) = MerkleHash::from_hex(&term.hash) else {
        return plain(StatusCode::BAD_REQUEST, "invalid fetch term: invalid hash");
    };
    let Ok(length) = app.cas.xorb_raw_length(&hash).await else {
        return plain(StatusCode::NOT_FOUND, "no such xorb");
    };
    if fetch_url::range_past_end(&term, length).is_some() {
        return plain(
            StatusCode::BAD_REQUEST,
            "invalid fetch term: range past the end of the xorb",
        );
    }
    let requested = match http_util::parse_range(headers, length) {
        Ok(range) => range,
        Err(e) => return e.into_response(),
    };
    let read = |start: u64, end: u64| read_xorb_range(app, hash, start, end);
    let partial = |data: Result<Bytes, ClientError>| match data {
        Ok(data) => (StatusCode::PARTIAL_CONTENT, data).into_response(),
        Err(e) => client_error(&e),
    };
    match (requested, term.ranges.as_slice()) {
        (Some(r), [_, ..]) => partial(read(r.start, r.end).await),
        (Some(r), []) => match read(r.start, r.end).await {
            Ok(data) => (StatusCode::OK, data).into_response(),
            Err(e) => client_error(&e),
        },
        (None, [(start, end)]) => partial(read(*start, *end).await),
        (None, []) => match app.cas.get_xorb_raw_bytes(&hash, None).await {
            Ok(data) => (StatusCode::OK, data).into_response(),
            Err(e) => client_error(&e),
        },
        (None, ranges) => {
            let boundary = "xet_multipart_boundary";
            let mut body = Vec::new();
            for &(start, end) in ranges {
                let data = match read(start, end).await {
                    Ok(data) => data,
                    Err(e) => return client_error(&e),
                };
                body.extend_from_slice(
                    format!(
                        "--{boundary}\r\nContent-Type: application/octet-stream\r\n\
                         Content-Range: bytes {start}-{}/{length}\r\n\r\n",
                        end - 1
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(&data);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            (
                StatusCode::PARTIAL_CONTENT,
                [(
                    header::CONTENT_TYPE,
                    format!("multipart/byteranges; boundary={boundary}"),
                )],
                Body::from(body),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str) -> Result<Option<FileRangeHeader>, &'static str> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(value).unwrap());
        file_range_header(&headers)
    }

    #[test]
    fn file_ranges_as_the_official_server_reads_them() {
        assert!(matches!(
            range("bytes=0-9"),
            Ok(Some(FileRangeHeader::Normal(r))) if r.start == 0 && r.end == 10
        ));
        assert!(matches!(
            range(&format!("bytes=0-{}", u64::MAX)),
            Ok(Some(FileRangeHeader::Normal(r))) if r.end == u64::MAX
        ));
        assert!(matches!(
            range("bytes=5-"),
            Ok(Some(FileRangeHeader::From(5)))
        ));
        assert!(matches!(
            range("bytes=-5"),
            Ok(Some(FileRangeHeader::Suffix(5)))
        ));
        for bad in [
            "bytes=9-0",
            "bytes=-",
            "items=0-1",
            "bytes=0-1,3-4",
            "bytes=x-1",
            "bytes=5",
        ] {
            assert!(range(bad).is_err(), "{bad}");
        }
        assert!(file_range_header(&HeaderMap::new()).unwrap().is_none());
    }
}
