//! Bucket files: tree listing (buckets-api.md §7.1), paths-info (§7.2) and the NDJSON
//! batch of addFile / copyFile / deleteFile (§9).

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use xet_client::ClientError;
use xet_core_structures::merklehash::MerkleHash;

use super::events::Change;
use super::{
    file_json, json_response, normalize_hash, param, require_write, valid_file_path,
    visible_bucket, ApiResult,
};
use crate::accounts::Caller;
use crate::app::AppState;
use crate::error::ApiError;
use crate::http_util::{self, Query};
use crate::store::{repo_key, Db, FileEntry, RepoType};
use crate::time;

/// Most lines in one batch and most paths in one paths-info request.
pub(crate) const MAX_OPERATIONS: usize = 1000;
/// Default and largest tree page.
const DEFAULT_PAGE: usize = 1000;
const MAX_PAGE: usize = 10_000;

/// The all-zero hash of empty content.
pub(crate) const EMPTY_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// The URL path after its first `n` segments, percent-decoded as a whole (§3.3: `%2F`
/// counts as `/`). `/api/buckets/a/b/tree/x%2Fy` with `n = 5` gives `x/y`.
pub(crate) fn rest_after_segments(uri_path: &str, n: usize) -> ApiResult<String> {
    let mut rest = uri_path.strip_prefix('/').unwrap_or(uri_path);
    for _ in 0..n {
        match rest.split_once('/') {
            Some((_, tail)) => rest = tail,
            None => {
                rest = "";
                break;
            }
        }
    }
    http_util::decode_path(rest)
}

enum Entry<'a> {
    File(&'a FileEntry),
    Directory { uploaded_at: i64 },
}

/// `GET /api/buckets/{ns}/{name}/tree[/{prefix}]`.
pub(super) async fn tree(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (ns, name) = (param(&params, "ns")?, param(&params, "name")?);
    let caller = app.caller(&headers)?;
    let query = Query::parse(uri.query());
    let recursive = query.bool("recursive", true)?;
    let limit = query.limit(DEFAULT_PAGE, MAX_PAGE)?;
    let cursor = query.cursor()?;
    let prefix = rest_after_segments(uri.path(), 5)?;

    let db = app.store.read().await;
    let bucket = visible_bucket(&app, &db, caller.as_ref(), &ns, &name)?;
    let mut page: Vec<Value> = Vec::new();
    let mut last_path = String::new();
    let mut more = false;
    if recursive {
        // Every file whose path starts with the prefix as a plain string.
        let start = match &cursor {
            Some(c) if c.as_str() >= prefix.as_str() => Bound::Excluded(c.clone()),
            _ => Bound::Included(prefix.clone()),
        };
        for (path, file) in bucket.files.range((start, Bound::Unbounded)) {
            if !path.starts_with(&prefix) {
                break;
            }
            if page.len() == limit {
                more = true;
                break;
            }
            page.push(file_json(path, file));
            last_path.clone_from(path);
        }
    } else {
        // Direct children of the folder named by the prefix.
        let folder = prefix.trim_end_matches('/');
        let base = if folder.is_empty() {
            String::new()
        } else {
            format!("{folder}/")
        };
        let mut children: BTreeMap<(String, u8), Entry<'_>> = BTreeMap::new();
        for (path, file) in bucket.files.range(base.clone()..) {
            let Some(rest) = path.strip_prefix(&base) else {
                break;
            };
            match rest.find('/') {
                Some(i) => {
                    let dir = format!("{base}{}", rest.get(..i).unwrap_or(""));
                    let entry = children.entry((dir, 1)).or_insert(Entry::Directory {
                        uploaded_at: file.uploaded_at,
                    });
                    if let Entry::Directory { uploaded_at } = entry {
                        *uploaded_at = (*uploaded_at).max(file.uploaded_at);
                    }
                }
                None => {
                    children.insert((path.clone(), 0), Entry::File(file));
                }
            }
        }
        for ((path, _), entry) in &children {
            if cursor.as_deref().is_some_and(|c| path.as_str() <= c) {
                continue;
            }
            if page.len() == limit {
                more = true;
                break;
            }
            page.push(match entry {
                Entry::File(file) => file_json(path, file),
                Entry::Directory { uploaded_at } => {
                    json!({"type": "directory", "path": path, "uploadedAt": time::iso(*uploaded_at)})
                }
            });
            last_path.clone_from(path);
        }
    }
    let mut response = json_response(StatusCode::OK, &Value::Array(page));
    if more {
        let params = [
            ("recursive", recursive.to_string()),
            ("limit", limit.to_string()),
        ];
        let link = http_util::next_link(&app.hub_base(&headers), uri.path(), &params, &last_path);
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// Reads `paths` from a JSON body `{"paths": [...]}` or a form body `paths=..&paths=..`.
pub(crate) fn read_paths(headers: &HeaderMap, body: &[u8]) -> ApiResult<Vec<String>> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let paths: Vec<String> = if is_form {
        form_urlencoded::parse(body)
            .filter(|(k, _)| k == "paths" || k == "paths[]")
            .map(|(_, v)| v.into_owned())
            .collect()
    } else {
        let value = super::json_body(body)?;
        match value.get("paths") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ApiError::BadRequest("paths must be an array of strings".into()))?,
            Some(Value::String(one)) => vec![one.clone()],
            _ => return Err(ApiError::BadRequest("paths is required".into())),
        }
    };
    if paths.len() > MAX_OPERATIONS {
        return Err(ApiError::BadRequest(format!(
            "Too many paths: {} (at most {MAX_OPERATIONS})",
            paths.len()
        )));
    }
    Ok(paths)
}

/// `POST /api/buckets/{ns}/{name}/paths-info`.
pub(super) async fn paths_info(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Response> {
    let (ns, name) = (param(&params, "ns")?, param(&params, "name")?);
    let caller = app.caller(&headers)?;
    let db = app.store.read().await;
    let bucket = visible_bucket(&app, &db, caller.as_ref(), &ns, &name)?;
    let paths = read_paths(&headers, &body)?;
    let mut seen = std::collections::HashSet::new();
    let items: Vec<Value> = paths
        .iter()
        .filter(|p| seen.insert(p.as_str()))
        .filter_map(|p| bucket.files.get(p).map(|f| file_json(p, f)))
        .collect();
    Ok(json_response(StatusCode::OK, &Value::Array(items)))
}

/// Where a copyFile line copies from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Source {
    Bucket(String),
    Repo(RepoType, String),
}

#[derive(Debug)]
pub(crate) enum Op {
    Add {
        path: String,
        hash: String,
        mtime: Option<i64>,
        content_type: Option<String>,
    },
    Copy {
        path: String,
        hash: String,
        source: Source,
        mtime: Option<i64>,
        content_type: Option<String>,
    },
    Delete {
        path: String,
    },
}

impl Op {
    pub(crate) fn path(&self) -> &str {
        match self {
            Op::Add { path, .. } | Op::Copy { path, .. } | Op::Delete { path } => path,
        }
    }
}

fn string_field(line: &serde_json::Map<String, Value>, key: &str, n: usize) -> ApiResult<String> {
    match line.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(ApiError::BadRequest(format!(
            "line {n}: {key} must be a string"
        ))),
    }
}

fn parse_line(value: Value, n: usize) -> ApiResult<Op> {
    let Value::Object(line) = value else {
        return Err(ApiError::BadRequest(format!(
            "line {n}: expected a JSON object"
        )));
    };
    let kind = string_field(&line, "type", n)?;
    let path = string_field(&line, "path", n)?;
    let mtime = match line.get("mtime") {
        None | Some(Value::Null) => None,
        Some(Value::Number(num)) => match num.as_i64() {
            Some(ms) => Some(ms),
            None => num.as_f64().filter(|f| f.is_finite()).map(|f| f as i64),
        },
        Some(_) => {
            return Err(ApiError::BadRequest(format!(
                "line {n}: mtime must be an integer (milliseconds)"
            )))
        }
    };
    let content_type = match line.get("contentType") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    match kind.as_str() {
        "addFile" => Ok(Op::Add {
            path,
            hash: string_field(&line, "xetHash", n)?,
            mtime,
            content_type,
        }),
        "copyFile" => {
            let hash = string_field(&line, "xetHash", n)?;
            let source_type = string_field(&line, "sourceRepoType", n)?;
            let source_id = string_field(&line, "sourceRepoId", n)?;
            let source = match source_type.as_str() {
                "bucket" => Source::Bucket(source_id),
                other => match RepoType::parse(other) {
                    Some(kind) if !other.ends_with('s') => Source::Repo(kind, source_id),
                    _ => {
                        return Err(ApiError::BadRequest(format!(
                            "line {n}: sourceRepoType must be bucket, model, dataset or space"
                        )))
                    }
                },
            };
            Ok(Op::Copy {
                path,
                hash,
                source,
                mtime,
                content_type,
            })
        }
        "deleteFile" => Ok(Op::Delete { path }),
        other => Err(ApiError::BadRequest(format!(
            "line {n}: unknown operation type {other:?}"
        ))),
    }
}

/// Splits the NDJSON body into operations (400 for anything malformed).
pub(crate) fn parse_batch(body: &[u8]) -> ApiResult<Vec<Op>> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::BadRequest("batch body is not UTF-8".into()))?;
    let lines: Vec<(usize, &str)> = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    if lines.len() > MAX_OPERATIONS {
        return Err(ApiError::BadRequest(format!(
            "Too many operations in one batch: {} (at most {MAX_OPERATIONS})",
            lines.len()
        )));
    }
    lines
        .into_iter()
        .map(|(n, line)| {
            let value: Value = serde_json::from_str(line)
                .map_err(|e| ApiError::BadRequest(format!("line {n}: invalid JSON: {e}")))?;
            parse_line(value, n)
        })
        .collect()
}

/// Size of a file the CAS knows, `None` when it does not.
pub(crate) async fn cas_file_size(app: &AppState, hash: &str) -> ApiResult<Option<u64>> {
    if hash == EMPTY_HASH {
        return Ok(Some(0));
    }
    let merkle = MerkleHash::from_hex(hash)
        .map_err(|_| ApiError::BadRequest(format!("invalid hash {hash}")))?;
    match app.cas.get_file_size(&merkle).await {
        Ok(size) => Ok(Some(size)),
        Err(ClientError::FileNotFound(_)) => Ok(None),
        Err(e) => Err(ApiError::Internal(format!("CAS lookup failed: {e}"))),
    }
}

/// Hash → (size, content type) of the files of a copy source.
type HashIndex = HashMap<String, (u64, Option<String>)>;

/// The index of a copy source, if the caller may read it.
fn source_index(
    db: &Db,
    app: &AppState,
    caller: Option<&Caller>,
    source: &Source,
) -> Option<HashIndex> {
    match source {
        Source::Bucket(id) => {
            let bucket = db.buckets.get(id)?;
            if bucket.private && !app.accounts().can_read_ns(caller, &bucket.namespace) {
                return None;
            }
            Some(
                bucket
                    .files
                    .values()
                    .map(|f| (f.xet_hash.clone(), (f.size, f.content_type.clone())))
                    .collect(),
            )
        }
        Source::Repo(kind, id) => {
            let repo = db.repos.get(&repo_key(*kind, id))?;
            if repo.private && !app.accounts().can_read_ns(caller, &repo.namespace) {
                return None;
            }
            Some(
                repo.revisions
                    .values()
                    .flat_map(|files| files.values())
                    .filter_map(|f| f.xet_hash.clone().map(|h| (h, (f.size, None))))
                    .collect(),
            )
        }
    }
}

/// `POST /api/buckets/{ns}/{name}/batch`.
pub(super) async fn batch(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Response> {
    let (ns, name) = (param(&params, "ns")?, param(&params, "name")?);
    let caller = app.caller(&headers)?;
    {
        let db = app.store.read().await;
        visible_bucket(&app, &db, caller.as_ref(), &ns, &name)?;
    }
    require_write(&app, caller.as_ref(), &ns)?;
    let ops = parse_batch(&body)?;

    // Per-line checks that need no lock: paths, hashes, and the CAS lookups of addFile.
    let mut failed: Vec<(usize, String)> = Vec::new();
    let mut sizes: HashMap<String, Option<u64>> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        if let Err(reason) = valid_file_path(op.path()) {
            failed.push((i, format!("invalid path: {reason}")));
            continue;
        }
        match op {
            Op::Add { hash, .. } | Op::Copy { hash, .. } => {
                let Some(hash) = normalize_hash(hash) else {
                    failed.push((
                        i,
                        "invalid xetHash: expected 64 hexadecimal characters".into(),
                    ));
                    continue;
                };
                if let Op::Add { .. } = op {
                    if !sizes.contains_key(&hash) {
                        let size = cas_file_size(&app, &hash).await?;
                        sizes.insert(hash.clone(), size);
                    }
                    if sizes.get(&hash).copied().flatten().is_none() {
                        failed.push((
                            i,
                            format!("xetHash {hash} is not in the Xet storage: upload the file content before adding it"),
                        ));
                    }
                }
            }
            Op::Delete { .. } => {}
        }
    }

    let mut db = app.store.write().await;
    let key = format!("{ns}/{name}");
    let Some(mut bucket) = db.buckets.get(&key).cloned() else {
        return Err(ApiError::not_found_for(caller.is_none()));
    };
    let now = time::now_ms();
    let mut indexes: HashMap<Source, Option<HashIndex>> = HashMap::new();
    let mut changes: Vec<Change> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        if failed.iter().any(|(f, _)| *f == i) {
            continue;
        }
        match op {
            Op::Add {
                path,
                hash,
                mtime,
                content_type,
            } => {
                let hash = normalize_hash(hash).unwrap_or_default();
                let size = sizes.get(&hash).copied().flatten().unwrap_or(0);
                let entry = FileEntry {
                    xet_hash: hash,
                    size,
                    mtime: *mtime,
                    uploaded_at: now,
                    content_type: content_type.clone(),
                };
                let old = bucket.files.insert(path.clone(), entry.clone());
                changes.extend(Change::between(path, old.as_ref(), Some(&entry)));
            }
            Op::Copy {
                path,
                hash,
                source,
                mtime,
                content_type,
            } => {
                let hash = normalize_hash(hash).unwrap_or_default();
                let index = indexes
                    .entry(source.clone())
                    .or_insert_with(|| match source {
                        // The bucket being changed: index its current state.
                        Source::Bucket(id) if *id == key => Some(
                            bucket
                                .files
                                .values()
                                .map(|f| (f.xet_hash.clone(), (f.size, f.content_type.clone())))
                                .collect(),
                        ),
                        _ => source_index(&db, &app, caller.as_ref(), source),
                    });
                let Some(index) = index else {
                    let what = match source {
                        Source::Bucket(id) => format!("source bucket {id} not found"),
                        Source::Repo(kind, id) => {
                            format!("source {} {id} not found", kind.as_str())
                        }
                    };
                    failed.push((i, what));
                    continue;
                };
                let Some((size, source_type)) = index.get(&hash).cloned() else {
                    failed.push((i, "source file not found for the given xetHash".into()));
                    continue;
                };
                let entry = FileEntry {
                    xet_hash: hash,
                    size,
                    mtime: *mtime,
                    uploaded_at: now,
                    content_type: content_type.clone().or(source_type),
                };
                let old = bucket.files.insert(path.clone(), entry.clone());
                changes.extend(Change::between(path, old.as_ref(), Some(&entry)));
            }
            Op::Delete { path } => {
                let old = bucket.files.remove(path);
                changes.extend(Change::between(path, old.as_ref(), None));
            }
        }
    }
    if !changes.is_empty() {
        bucket.updated_at = now;
        app.store.save_bucket(&bucket).await?;
        app.events.committed(&bucket, now, &changes);
        db.buckets.insert(key, bucket);
    }
    drop(db);

    failed.sort_by_key(|(i, _)| *i);
    let failed_json: Vec<Value> = failed
        .iter()
        .map(|(i, error)| json!({"path": ops.get(*i).map(Op::path).unwrap_or(""), "error": error}))
        .collect();
    // buckets-api.md §9.4: 200 when at least one line took effect (failures listed), 422
    // only when every line failed.
    let status = if !ops.is_empty() && failed.len() == ops.len() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = json!({
        "success": failed.is_empty(),
        "processed": ops.len(),
        "succeeded": ops.len() - failed.len(),
        "failed": failed_json,
    });
    Ok(json_response(status, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_parsing() {
        let body = b"{\"type\":\"addFile\",\"path\":\"a\",\"xetHash\":\"00\",\"mtime\":5}\n\n{\"type\":\"deleteFile\",\"path\":\"b\"}";
        let ops = parse_batch(body).unwrap_or_default();
        assert_eq!(ops.len(), 2);
        assert!(matches!(&ops[0], Op::Add { mtime: Some(5), .. }));
        assert!(parse_batch(b"{\"type\":\"renameFile\",\"path\":\"a\"}").is_err());
        assert!(parse_batch(b"not json").is_err());
        assert!(
            parse_batch(b"{\"type\":\"addFile\",\"path\":\"a\"}").is_err(),
            "missing hash"
        );
        assert!(parse_batch(b"{\"type\":\"copyFile\",\"path\":\"a\",\"xetHash\":\"0\",\"sourceRepoType\":\"datasets\",\"sourceRepoId\":\"a/b\"}").is_err());
        let many: String = (0..1001)
            .map(|i| format!("{{\"type\":\"deleteFile\",\"path\":\"f{i}\"}}\n"))
            .collect();
        assert!(parse_batch(many.as_bytes()).is_err());
    }

    #[test]
    fn decode_rest_of_path() {
        assert_eq!(
            rest_after_segments("/api/buckets/a/b/tree/a%2Fb%20c.txt", 5).unwrap_or_default(),
            "a/b c.txt"
        );
        assert_eq!(
            rest_after_segments("/api/buckets/a/tree/tree/x/y", 5).unwrap_or_default(),
            "x/y"
        );
        assert_eq!(
            rest_after_segments("/api/buckets/a/b/tree", 5).unwrap_or_default(),
            ""
        );
        assert_eq!(
            rest_after_segments("/api/buckets/a/b/tree/", 5).unwrap_or_default(),
            ""
        );
    }
}
