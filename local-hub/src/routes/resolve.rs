//! File content (buckets-api.md §10): HEAD metadata, GET bytes with `Range`, and the
//! `application/vnd.xet-fileinfo+json` answer. Bytes are served directly (an emulator may,
//! §10.2), streamed term by term from the official CAS server's storage.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::json;
use xet_client::cas_client::DirectAccessClient;
use xet_client::cas_types::{FileRange, XorbReconstructionTerm};
use xet_core_structures::merklehash::MerkleHash;

use super::files::rest_after_segments;
use super::{param, visible_bucket, ApiResult};
use crate::app::AppState;
use crate::error::ApiError;
use crate::http_util::{self, ByteRange};
use crate::time;

/// What `serve_file` needs to know about a file.
pub(crate) struct FileMeta {
    /// Xet hash, for Xet-backed files.
    pub(crate) xet_hash: Option<String>,
    pub(crate) size: u64,
    /// ETag value without quotes.
    pub(crate) etag: String,
    pub(crate) last_modified_ms: i64,
    pub(crate) content_type: Option<String>,
    /// The xet-read-token URL for the `xet-auth` link.
    pub(crate) token_url: Option<String>,
    /// Content of inline (non-Xet) repo files.
    pub(crate) inline: Option<Bytes>,
    /// SHA-256 of the LFS blob holding the content (repo files uploaded through LFS).
    pub(crate) lfs_blob: Option<String>,
    /// Head commit of the revision served (`X-Repo-Commit`, repo files only).
    pub(crate) commit: Option<String>,
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// Answers HEAD / GET / GET-fileinfo for one file.
pub(crate) async fn serve_file(
    app: &AppState,
    method: &Method,
    request: &HeaderMap,
    file: FileMeta,
) -> ApiResult<Response> {
    let mut headers = HeaderMap::new();
    let etag = format!("\"{}\"", file.etag);
    insert(&mut headers, "etag", &etag);
    insert(&mut headers, "x-linked-etag", &etag);
    insert(&mut headers, "x-linked-size", &file.size.to_string());
    insert(
        &mut headers,
        "last-modified",
        &time::http_date(file.last_modified_ms),
    );
    insert(&mut headers, "accept-ranges", "bytes");
    insert(
        &mut headers,
        "content-type",
        file.content_type
            .as_deref()
            .unwrap_or("application/octet-stream"),
    );
    if let Some(hash) = &file.xet_hash {
        insert(&mut headers, "x-xet-hash", hash);
    }
    if let Some(commit) = &file.commit {
        insert(&mut headers, "x-repo-commit", commit);
    }
    let auth_link = file
        .token_url
        .as_ref()
        .map(|url| format!("<{url}>; rel=\"xet-auth\""));
    if let Some(link) = &auth_link {
        insert(&mut headers, "link", link);
    }

    let not_modified = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    if not_modified {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }

    if method == Method::HEAD {
        insert(&mut headers, "content-length", &file.size.to_string());
        return Ok((StatusCode::OK, headers, Body::empty()).into_response());
    }

    let wants_fileinfo = request
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/vnd.xet-fileinfo+json"));
    if let (true, Some(hash), Some(token_url)) = (wants_fileinfo, &file.xet_hash, &file.token_url) {
        let reconstruction = format!("{}/v1/reconstructions/{hash}", app.cas_url(request));
        insert(
            &mut headers,
            "link",
            &format!("<{token_url}>; rel=\"xet-auth\", <{reconstruction}>; rel=\"xet-reconstruction-info\""),
        );
        insert(
            &mut headers,
            "content-type",
            "application/vnd.xet-fileinfo+json",
        );
        let body = json!({
            "hash": hash,
            "refreshUrl": token_url,
            "reconstructionUrl": reconstruction,
            "etag": etag,
            "size": file.size,
            "contentType": file.content_type.as_deref().unwrap_or("application/octet-stream"),
        });
        return Ok((StatusCode::OK, headers, body.to_string()).into_response());
    }

    let range = http_util::parse_range(request, file.size)?;
    let (status, window) = match range {
        Some(r) => {
            let last = r.end.saturating_sub(1);
            insert(
                &mut headers,
                "content-range",
                &format!("bytes {}-{last}/{}", r.start, file.size),
            );
            (StatusCode::PARTIAL_CONTENT, r)
        }
        None => (
            StatusCode::OK,
            ByteRange {
                start: 0,
                end: file.size,
            },
        ),
    };
    insert(
        &mut headers,
        "content-length",
        &(window.end - window.start).to_string(),
    );
    let body = match (&file.inline, &file.xet_hash) {
        _ if window.end == window.start => Body::empty(),
        (None, None) if file.lfs_blob.is_some() => {
            let sha256 = file.lfs_blob.as_deref().unwrap_or_default();
            super::lfs::blob_body(app, sha256, window).await?
        }
        (Some(content), _) => {
            let start = usize::try_from(window.start)
                .unwrap_or(usize::MAX)
                .min(content.len());
            let end = usize::try_from(window.end)
                .unwrap_or(usize::MAX)
                .min(content.len());
            Body::from(content.slice(start..end.max(start)))
        }
        (None, Some(hash)) if window.end > window.start => {
            let hash = MerkleHash::from_hex(hash)
                .map_err(|_| ApiError::Internal("stored hash is invalid".into()))?;
            cas_body(app.cas.clone(), hash, window)
        }
        _ => Body::empty(),
    };
    Ok((status, headers, body).into_response())
}

struct Reader {
    cas: Arc<dyn DirectAccessClient>,
    hash: MerkleHash,
    window: ByteRange,
    terms: Option<VecDeque<XorbReconstructionTerm>>,
    skip: u64,
    remaining: u64,
}

async fn next_piece(mut reader: Reader) -> Option<(Result<Bytes, std::io::Error>, Reader)> {
    if reader.remaining == 0 {
        return None;
    }
    if reader.terms.is_none() {
        let range = FileRange::new(reader.window.start, reader.window.end);
        match reader
            .cas
            .get_reconstruction_v1(&reader.hash, Some(range))
            .await
        {
            Ok(Some(plan)) => {
                reader.skip = plan.offset_into_first_range;
                reader.terms = Some(plan.terms.into());
            }
            Ok(None) => {
                reader.remaining = 0;
                return Some((Err(std::io::Error::other("file is not in the CAS")), reader));
            }
            Err(e) => {
                reader.remaining = 0;
                return Some((
                    Err(std::io::Error::other(format!("CAS reconstruction: {e}"))),
                    reader,
                ));
            }
        }
    }
    let term = reader.terms.as_mut()?.pop_front()?;
    let data = match reader
        .cas
        .get_xorb_ranges(&term.hash.0, vec![(term.range.start, term.range.end)])
        .await
    {
        Ok(mut pieces) if !pieces.is_empty() => pieces.swap_remove(0),
        Ok(_) => Bytes::new(),
        Err(e) => {
            reader.remaining = 0;
            return Some((Err(std::io::Error::other(format!("CAS read: {e}"))), reader));
        }
    };
    let start = usize::try_from(reader.skip)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let available = data.len() - start;
    let take = usize::try_from(reader.remaining)
        .unwrap_or(usize::MAX)
        .min(available);
    reader.skip = 0;
    reader.remaining -= take as u64;
    Some((Ok(data.slice(start..start + take)), reader))
}

/// The bytes `window` of a Xet file, one reconstruction term at a time.
pub(crate) fn cas_body(
    cas: Arc<dyn DirectAccessClient>,
    hash: MerkleHash,
    window: ByteRange,
) -> Body {
    let reader = Reader {
        cas,
        hash,
        window,
        terms: None,
        skip: 0,
        remaining: window.end - window.start,
    };
    Body::from_stream(futures_util::stream::unfold(reader, next_piece))
}

/// `HEAD|GET /buckets/{ns}/{name}/resolve/{path}`.
pub(super) async fn bucket_resolve(
    State(app): State<Arc<AppState>>,
    method: Method,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (ns, name) = (param(&params, "ns")?, param(&params, "name")?);
    let caller = app.caller(&headers)?;
    let path = rest_after_segments(uri.path(), 4)?;
    let (file, id) = {
        let db = app.store.read().await;
        let bucket = visible_bucket(&app, &db, caller.as_ref(), &ns, &name)?;
        (
            bucket
                .files
                .get(&path)
                .cloned()
                .ok_or(ApiError::EntryNotFound)?,
            bucket.id(),
        )
    };
    let token_url = format!("{}/api/buckets/{id}/xet-read-token", app.hub_base(&headers));
    let meta = FileMeta {
        etag: file.xet_hash.clone(),
        xet_hash: Some(file.xet_hash),
        size: file.size,
        last_modified_ms: file.mtime.unwrap_or(file.uploaded_at),
        content_type: file.content_type,
        token_url: Some(token_url),
        inline: None,
        lfs_blob: None,
        commit: None,
    };
    serve_file(&app, &method, &headers, meta).await
}
