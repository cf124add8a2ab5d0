//! LFS content of repo commits: the Git LFS batch API that `huggingface_hub` uses when it
//! cannot upload through Xet (`POST /{repo}.git/info/lfs/objects/batch`, "basic" transfer,
//! then a `PUT` of the bytes to the URL it hands out), and the lookup of a committed
//! `lfsFile`'s SHA-256: an LFS blob uploaded here, or a Xet file whose SHA-256 the Xet
//! client recorded in the file metadata of the shard it uploaded to the CAS.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use serde_json::{json, Value};
use sha2::Digest as _;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};
use xet_core_structures::metadata_shard::streaming_shard::MDBMinimalShard;

use super::repos::visible_repo;
use super::{json_body, param, require_write, ApiResult};
use crate::app::AppState;
use crate::cas_token::Scope;
use crate::error::ApiError;
use crate::http_util::{self, ByteRange};
use crate::store::{hex, RepoType, Sha256Index};
use crate::time;

/// 64 lowercase hex digits, or `None`.
pub(super) fn normalize_sha256(oid: &str) -> Option<String> {
    (oid.len() == 64 && oid.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| oid.to_ascii_lowercase())
}

fn blob_path(app: &AppState, sha256: &str) -> PathBuf {
    app.store.lfs_dir().join(sha256)
}

/// Size of the LFS blob `sha256` uploaded through the batch API, if there is one.
pub(super) async fn lfs_blob_size(app: &AppState, sha256: &str) -> Option<u64> {
    tokio::fs::metadata(blob_path(app, sha256))
        .await
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len())
}

/// Reads the file metadata of every shard not read yet into `index`.
fn scan_shards(dir: &FsPath, index: &mut Sha256Index) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return; // no shard uploaded yet
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("mdb") || index.scanned.contains(&path)
        {
            continue;
        }
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        let mut reader = std::io::BufReader::new(file);
        // A shard that does not parse is left for the next scan (it may be mid-rename).
        let Ok(shard) = MDBMinimalShard::from_reader(&mut reader, true, false) else {
            continue;
        };
        for i in 0..shard.num_files() {
            if let Some(view) = shard.file(i) {
                if let Some(ext) = view.metadata_ext() {
                    index.files.insert(ext.sha256.hex(), view.file_hash().hex());
                }
            }
        }
        index.scanned.insert(path);
    }
}

/// The Xet hash of the file whose SHA-256 is `sha256`, from the CAS shards' metadata.
pub(super) async fn xet_hash_of_sha256(app: &AppState, sha256: &str) -> ApiResult<Option<String>> {
    let mut index = app.store.sha256_index.lock().await;
    if let Some(hash) = index.files.get(sha256) {
        return Ok(Some(hash.clone()));
    }
    let dir = app.store.cas_shard_dir();
    let mut taken = std::mem::take(&mut *index);
    taken = tokio::task::spawn_blocking(move || {
        scan_shards(&dir, &mut taken);
        taken
    })
    .await
    .map_err(|e| ApiError::Internal(format!("reading the CAS shards: {e}")))?;
    *index = taken;
    Ok(index.files.get(sha256).cloned())
}

fn lfs_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.git-lfs+json"),
    );
    response
}

/// The `repo` claim of an upload URL's token: what it allows to be PUT.
fn upload_claim(kind: RepoType, repo_id: &str, sha256: &str, size: u64) -> String {
    format!("lfs-upload:{}:{repo_id}:{sha256}:{size}", kind.as_str())
}

/// `POST /[datasets/|spaces/]{ns}/{name}.git/info/lfs/objects/batch` (upload only).
pub(super) async fn batch(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Response> {
    let kind = match uri.path().split('/').nth(1) {
        Some("datasets") => RepoType::Dataset,
        Some("spaces") => RepoType::Space,
        _ => RepoType::Model,
    };
    let ns = param(&params, "ns")?;
    let git_name = param(&params, "name")?;
    let Some(name) = git_name.strip_suffix(".git") else {
        return Err(ApiError::NotFound("Not found".into()));
    };
    let caller = app.caller(&headers)?;
    let repo_id = {
        let db = app.store.read().await;
        visible_repo(&app, &db, caller.as_ref(), kind, &ns, name)?.id()
    };
    require_write(&app, caller.as_ref(), &ns)?;
    let request = json_body(&body)?;
    if request.get("operation").and_then(Value::as_str) != Some("upload") {
        return Err(ApiError::BadRequest(
            "only the \"upload\" operation is supported".into(),
        ));
    }
    let Some(objects) = request.get("objects").and_then(Value::as_array) else {
        return Err(ApiError::BadRequest("objects must be an array".into()));
    };
    let base = app.hub_base(&headers);
    let mut answers = Vec::new();
    for object in objects {
        let oid = object.get("oid").and_then(Value::as_str).unwrap_or("");
        let size = object.get("size").and_then(Value::as_u64);
        let (Some(sha256), Some(size)) = (normalize_sha256(oid), size) else {
            answers.push(json!({"oid": oid, "size": size.unwrap_or(0),
                "error": {"code": 422, "message": "oid must be a SHA-256 and size a non-negative integer"}}));
            continue;
        };
        let present = lfs_blob_size(&app, &sha256).await == Some(size)
            || xet_hash_of_sha256(&app, &sha256).await?.is_some();
        if present {
            answers.push(json!({"oid": sha256, "size": size}));
            continue;
        }
        let (token, exp) =
            app.issue_cas_token(Scope::Write, upload_claim(kind, &repo_id, &sha256, size));
        let expires_in = exp.saturating_sub(time::now_secs());
        answers.push(json!({
            "oid": sha256, "size": size, "authenticated": true,
            "actions": {"upload": {
                "href": format!("{base}/lfs-upload/{}/{repo_id}/{sha256}/{size}?token={token}", kind.as_str()),
                "expires_in": expires_in,
            }},
        }));
    }
    Ok(lfs_json(
        StatusCode::OK,
        &json!({"transfer": "basic", "objects": answers, "hash_algo": "sha256"}),
    ))
}

/// `PUT /lfs-upload/{kind}/{ns}/{name}/{sha256}/{size}?token=…`: the upload URL handed out
/// by [`batch`] (it stands for a presigned storage URL, so it takes no Hub token). The body
/// is streamed to disk and kept only if its SHA-256 and size are the announced ones.
pub(super) async fn upload(
    State(app): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<HashMap<String, String>>,
    body: Body,
) -> ApiResult<Response> {
    let kind = RepoType::parse(&param(&params, "kind")?)
        .ok_or_else(|| ApiError::NotFound("Not found".into()))?;
    let repo_id = format!("{}/{}", param(&params, "ns")?, param(&params, "name")?);
    let sha256 = normalize_sha256(&param(&params, "sha256")?)
        .ok_or_else(|| ApiError::NotFound("Not found".into()))?;
    let size: u64 = param(&params, "size")?
        .parse()
        .map_err(|_| ApiError::NotFound("Not found".into()))?;
    let query = http_util::Query::parse(uri.query());
    let token = query.get("token").unwrap_or("");
    let refusal = match app.signer.verify(token, time::now_secs()) {
        Err(e) => Some(format!("upload URL refused: {e}")),
        Ok(claims)
            if claims.scope != Scope::Write
                || claims.repo != upload_claim(kind, &repo_id, &sha256, size) =>
        {
            Some("upload URL refused: it was issued for another object".into())
        }
        Ok(_) => None,
    };
    if let Some(message) = refusal {
        // Read the body first, so the client gets the 403 instead of a closed connection.
        http_util::discard_body(body).await;
        return Err(ApiError::Forbidden(message));
    }

    let dir = app.store.lfs_dir();
    let (file, tmp_path) = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(&dir)
        .map_err(|e| ApiError::Internal(format!("creating an LFS blob: {e}")))?
        .into_parts();
    let mut file = tokio::fs::File::from_std(file);
    let mut hasher = sha2::Sha256::new();
    let mut received: u64 = 0;
    let mut stream = body.into_data_stream();
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|e| ApiError::BadRequest(format!("reading the body: {e}")))?;
        received = received.saturating_add(piece.len() as u64);
        if received > size {
            return Err(ApiError::BadRequest(format!(
                "body is larger than the announced {size} bytes"
            )));
        }
        hasher.update(&piece);
        file.write_all(&piece)
            .await
            .map_err(|e| ApiError::Internal(format!("writing an LFS blob: {e}")))?;
    }
    if received != size || hex(&hasher.finalize()) != sha256 {
        return Err(ApiError::BadRequest(format!(
            "body does not match the announced object (sha256 {sha256}, {size} bytes)"
        )));
    }
    file.sync_all()
        .await
        .map_err(|e| ApiError::Internal(format!("writing an LFS blob: {e}")))?;
    drop(file);
    tmp_path
        .persist(dir.join(&sha256))
        .map_err(|e| ApiError::Internal(format!("storing an LFS blob: {e}")))?;
    Ok(StatusCode::OK.into_response())
}

/// The bytes `window` of the LFS blob `sha256`, read from disk piece by piece.
pub(super) async fn blob_body(app: &AppState, sha256: &str, window: ByteRange) -> ApiResult<Body> {
    const PIECE: u64 = 256 << 10;
    let mut file = tokio::fs::File::open(blob_path(app, sha256))
        .await
        .map_err(|e| ApiError::Internal(format!("opening LFS blob {sha256}: {e}")))?;
    file.seek(std::io::SeekFrom::Start(window.start))
        .await
        .map_err(|e| ApiError::Internal(format!("reading LFS blob {sha256}: {e}")))?;
    let remaining = window.end.saturating_sub(window.start);
    let stream =
        futures_util::stream::unfold((file, remaining), |(mut file, remaining)| async move {
            if remaining == 0 {
                return None;
            }
            let want = usize::try_from(remaining.min(PIECE)).unwrap_or(PIECE as usize);
            let mut buf = vec![0u8; want];
            match file.read(&mut buf).await {
                Ok(0) => Some((
                    Err(std::io::Error::other("LFS blob is shorter than recorded")),
                    (file, 0),
                )),
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(Bytes::from(buf)), (file, remaining - n as u64)))
                }
                Err(e) => Some((Err(e), (file, 0))),
            }
        });
    Ok(Body::from_stream(stream))
}

/// `POST /api/{kind}/{ns}/{name}/lfs-files/duplicate` on the source repo —
/// `{"target": {"type", "name"}, "files": [{"xetHash", "sha256", "filename"}]}`: makes LFS files
/// of this repo available to commits of the target. Content is shared here, so this checks
/// that the caller reads the source, writes the target and that the source has each file.
pub(super) async fn duplicate(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Response> {
    let (kind, ns, name) = super::repos::repo_of(&params)?;
    let caller = app.caller(&headers)?;
    let request = json_body(&body)?;
    let target = request.get("target").cloned().unwrap_or(Value::Null);
    let target_kind = target
        .get("type")
        .and_then(Value::as_str)
        .and_then(RepoType::parse)
        .ok_or_else(|| {
            ApiError::BadRequest("target.type must be model, dataset or space".into())
        })?;
    let (target_ns, target_name) = target
        .get("name")
        .and_then(Value::as_str)
        .and_then(|id| id.split_once('/'))
        .ok_or_else(|| ApiError::BadRequest("target.name must be namespace/name".into()))?;
    let Some(files) = request.get("files").and_then(Value::as_array) else {
        return Err(ApiError::BadRequest("files must be an array".into()));
    };
    let db = app.store.read().await;
    let source = visible_repo(&app, &db, caller.as_ref(), kind, &ns, &name)?;
    visible_repo(
        &app,
        &db,
        caller.as_ref(),
        target_kind,
        target_ns,
        target_name,
    )?;
    require_write(&app, caller.as_ref(), target_ns)?;
    let mut failed = Vec::new();
    for file in files {
        let sha256 = file.get("sha256").and_then(Value::as_str).unwrap_or("");
        let xet_hash = file.get("xetHash").and_then(Value::as_str);
        let present = source
            .revisions
            .values()
            .flat_map(|f| f.values())
            .any(|f| f.sha256.as_deref() == Some(sha256) && f.xet_hash.as_deref() == xet_hash);
        if !present {
            failed.push(json!({"sha256": sha256, "error": "file not found in the source repo"}));
        }
    }
    Ok(super::json_response(
        StatusCode::OK,
        &json!({"failed": failed}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_oids() {
        assert_eq!(normalize_sha256(&"AB".repeat(32)), Some("ab".repeat(32)));
        assert_eq!(normalize_sha256("ab"), None);
        assert_eq!(normalize_sha256(&"g".repeat(64)), None);
    }

    #[test]
    fn missing_shard_dir_scans_nothing() {
        let mut index = Sha256Index::default();
        scan_shards(FsPath::new("/nonexistent/shards"), &mut index);
        assert!(index.files.is_empty() && index.scanned.is_empty());
    }
}
