//! Repo commits, the way `huggingface_hub` makes them: `POST /api/{kind}/{ns}/{name}/preupload/{rev}`
//! (regular or LFS per file, from the revision's `.gitattributes`, the size and a sample of the
//! content) and `POST /api/{kind}/{ns}/{name}/commit/{rev}` (NDJSON: a `header` line, then
//! `file` (base64 content), `lfsFile` (by SHA-256: a Xet upload or an LFS blob),
//! `deletedFile` and `deletedFolder` lines; `?create_pr=1` commits to a new pull request).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::files::cas_file_size;
use super::lfs::{lfs_blob_size, normalize_sha256, xet_hash_of_sha256};
use super::repos::{repo_of, revision, url_prefix, visible_repo};
use super::{json_body, json_response, param, require_write, valid_file_path, ApiResult};
use crate::accounts::Caller;
use crate::app::AppState;
use crate::error::ApiError;
use crate::http_util::Query;
use crate::store::{hex, repo_key, Db, Discussion, Repo, RepoFile};
use crate::time;

/// Files at least this large are always LFS (the Hub refuses larger regular files).
const REGULAR_MAX_BYTES: u64 = 10 << 20;

/// The `.gitattributes` of a new repo: the Hub's usual LFS patterns.
pub(super) const DEFAULT_GITATTRIBUTES: &str = "\
*.7z filter=lfs diff=lfs merge=lfs -text
*.arrow filter=lfs diff=lfs merge=lfs -text
*.bin filter=lfs diff=lfs merge=lfs -text
*.bz2 filter=lfs diff=lfs merge=lfs -text
*.ckpt filter=lfs diff=lfs merge=lfs -text
*.ftz filter=lfs diff=lfs merge=lfs -text
*.gz filter=lfs diff=lfs merge=lfs -text
*.h5 filter=lfs diff=lfs merge=lfs -text
*.joblib filter=lfs diff=lfs merge=lfs -text
*.lfs.* filter=lfs diff=lfs merge=lfs -text
*.mlmodel filter=lfs diff=lfs merge=lfs -text
*.model filter=lfs diff=lfs merge=lfs -text
*.msgpack filter=lfs diff=lfs merge=lfs -text
*.npy filter=lfs diff=lfs merge=lfs -text
*.npz filter=lfs diff=lfs merge=lfs -text
*.onnx filter=lfs diff=lfs merge=lfs -text
*.ot filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.pb filter=lfs diff=lfs merge=lfs -text
*.pickle filter=lfs diff=lfs merge=lfs -text
*.pkl filter=lfs diff=lfs merge=lfs -text
*.pt filter=lfs diff=lfs merge=lfs -text
*.pth filter=lfs diff=lfs merge=lfs -text
*.rar filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
saved_model/**/* filter=lfs diff=lfs merge=lfs -text
*.tar.* filter=lfs diff=lfs merge=lfs -text
*.tar filter=lfs diff=lfs merge=lfs -text
*.tflite filter=lfs diff=lfs merge=lfs -text
*.tgz filter=lfs diff=lfs merge=lfs -text
*.wasm filter=lfs diff=lfs merge=lfs -text
*.xz filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
*.zst filter=lfs diff=lfs merge=lfs -text
*tfevents* filter=lfs diff=lfs merge=lfs -text
";

/// Git wildcard match of one path against one pattern: `*` and `?` stay within a path
/// segment, `**/` spans any number of directories (also none), a trailing `**` anything.
fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    match pattern {
        [] => text.is_empty(),
        [b'*', b'*', b'/', rest @ ..] => {
            wildcard(rest, text)
                || text
                    .iter()
                    .enumerate()
                    .any(|(i, c)| *c == b'/' && wildcard(rest, text.get(i + 1..).unwrap_or(&[])))
        }
        [b'*', b'*'] => true,
        [b'*', rest @ ..] => {
            let mut i = 0;
            loop {
                if wildcard(rest, text.get(i..).unwrap_or(&[])) {
                    return true;
                }
                match text.get(i) {
                    Some(b'/') | None => return false,
                    Some(_) => i += 1,
                }
            }
        }
        [b'?', rest @ ..] => match text.split_first() {
            Some((c, tail)) if *c != b'/' => wildcard(rest, tail),
            _ => false,
        },
        [p, rest @ ..] => match text.split_first() {
            Some((c, tail)) if c == p => wildcard(rest, tail),
            _ => false,
        },
    }
}

/// Whether `.gitattributes` text sends `path` to LFS (`filter=lfs`; the last matching line
/// that names `filter` wins). Patterns without `/` match the file name, others the path.
fn gitattributes_lfs(gitattributes: &str, path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut lfs = false;
    for line in gitattributes.lines() {
        let mut words = line.split_whitespace();
        let Some(pattern) = words.next().filter(|p| !p.starts_with('#')) else {
            continue;
        };
        let filter = words.find_map(|w| {
            if w == "-filter" || w == "!filter" {
                Some(false)
            } else {
                w.strip_prefix("filter=").map(|v| v == "lfs")
            }
        });
        let Some(filter) = filter else { continue };
        let matched = match pattern.strip_prefix('/') {
            Some(anchored) => wildcard(anchored.as_bytes(), path.as_bytes()),
            None if pattern.contains('/') => wildcard(pattern.as_bytes(), path.as_bytes()),
            None => wildcard(pattern.as_bytes(), name.as_bytes()),
        };
        if matched {
            lfs = filter;
        }
    }
    lfs
}

/// `"lfs"` or `"regular"` for one file of a preupload request.
fn upload_mode(gitattributes: &str, path: &str, size: u64, sample: &[u8]) -> &'static str {
    if size > 0
        && (size >= REGULAR_MAX_BYTES
            || sample.contains(&0)
            || gitattributes_lfs(gitattributes, path))
    {
        "lfs"
    } else {
        "regular"
    }
}

fn gitattributes_of(files: &BTreeMap<String, RepoFile>) -> String {
    files
        .get(".gitattributes")
        .and_then(|f| f.content_base64.as_deref())
        .and_then(|b64| STANDARD.decode(b64).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

fn repo_params(
    params: &HashMap<String, String>,
) -> ApiResult<(crate::store::RepoType, String, String, String)> {
    let (kind, ns, name) = repo_of(params)?;
    Ok((kind, ns, name, param(params, "rev")?))
}

/// `POST /api/{kind}/{ns}/{name}/preupload/{rev}` — `{"files": [{path, sample, size}]}`.
pub(super) async fn preupload(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Response> {
    let (kind, ns, name, rev) = repo_params(&params)?;
    let caller = app.caller(&headers)?;
    let request = json_body(&body)?;
    let Some(items) = request.get("files").and_then(Value::as_array) else {
        return Err(ApiError::BadRequest("files must be an array".into()));
    };
    let db = app.store.read().await;
    let repo = visible_repo(&app, &db, caller.as_ref(), kind, &ns, &name)?;
    require_write(&app, caller.as_ref(), &repo.namespace)?;
    let (rev_name, files) = revision(repo, &rev)?;
    let gitattributes = gitattributes_of(files);
    let mut answers = Vec::new();
    for item in items {
        let Some(path) = item.get("path").and_then(Value::as_str) else {
            return Err(ApiError::BadRequest("files[].path must be a string".into()));
        };
        let size = item.get("size").and_then(Value::as_u64).unwrap_or(0);
        let sample = item
            .get("sample")
            .and_then(Value::as_str)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .unwrap_or_default();
        let mode = upload_mode(&gitattributes, path, size, &sample);
        // The remote oid in the form the client compares: SHA-256 for LFS, git blob id else.
        let oid = files.get(path).map(|f| {
            if mode == "lfs" {
                f.sha256.clone().unwrap_or_default()
            } else {
                f.oid.clone()
            }
        });
        answers.push(json!({"path": path, "uploadMode": mode, "shouldIgnore": false, "oid": oid}));
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({"files": answers, "commitOid": repo.head(rev_name)}),
    ))
}

/// One operation line of a commit.
#[derive(Debug)]
pub(crate) enum CommitOp {
    File {
        path: String,
        content: Vec<u8>,
    },
    Lfs {
        path: String,
        sha256: String,
        size: Option<u64>,
    },
    DeleteFile {
        path: String,
    },
    DeleteFolder {
        path: String,
    },
}

/// The header line's commit message and the operations, in line order (400 on anything
/// malformed).
pub(crate) fn parse_commit(body: &[u8]) -> ApiResult<(String, Vec<CommitOp>)> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::BadRequest("commit body is not UTF-8".into()))?;
    let mut summary = None;
    let mut ops = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let item: Value = serde_json::from_str(line)
            .map_err(|e| ApiError::BadRequest(format!("line {n}: invalid JSON: {e}")))?;
        let key = item.get("key").and_then(Value::as_str).unwrap_or("");
        let value = item.get("value").cloned().unwrap_or(Value::Null);
        let text_field = |field: &str| -> ApiResult<String> {
            value
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| ApiError::BadRequest(format!("line {n}: {field} must be a string")))
        };
        let path = || -> ApiResult<String> {
            let path = text_field("path")?;
            let path = path.trim_start_matches('/').to_string();
            valid_file_path(&path).map_err(|e| {
                ApiError::BadRequest(format!("line {n}: invalid path {path:?}: {e}"))
            })?;
            Ok(path)
        };
        match key {
            "header" => summary = Some(text_field("summary")?),
            "file" => {
                let content = text_field("content")?;
                let content = match value.get("encoding").and_then(Value::as_str) {
                    Some("base64") => STANDARD.decode(content.as_bytes()).map_err(|_| {
                        ApiError::BadRequest(format!("line {n}: content is not base64"))
                    })?,
                    None | Some("utf-8") | Some("utf8") => content.into_bytes(),
                    Some(other) => {
                        return Err(ApiError::BadRequest(format!(
                            "line {n}: unknown encoding {other:?}"
                        )))
                    }
                };
                ops.push(CommitOp::File {
                    path: path()?,
                    content,
                });
            }
            "lfsFile" => {
                if let Some(algo) = value.get("algo").and_then(Value::as_str) {
                    if algo != "sha256" {
                        return Err(ApiError::BadRequest(format!(
                            "line {n}: unknown algo {algo:?}"
                        )));
                    }
                }
                let oid = text_field("oid")?;
                let sha256 = normalize_sha256(&oid).ok_or_else(|| {
                    ApiError::BadRequest(format!("line {n}: oid must be a SHA-256"))
                })?;
                ops.push(CommitOp::Lfs {
                    path: path()?,
                    sha256,
                    size: value.get("size").and_then(Value::as_u64),
                });
            }
            "deletedFile" => ops.push(CommitOp::DeleteFile { path: path()? }),
            "deletedFolder" => {
                let folder = text_field("path")?;
                let folder = folder.trim_matches('/').to_string();
                if !folder.is_empty() {
                    valid_file_path(&folder).map_err(|e| {
                        ApiError::BadRequest(format!("line {n}: invalid path {folder:?}: {e}"))
                    })?;
                }
                ops.push(CommitOp::DeleteFolder { path: folder });
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "line {n}: unknown key {other:?}"
                )))
            }
        }
    }
    let summary = summary
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::BadRequest("a header line with a summary is required".into()))?;
    Ok((summary, ops))
}

/// An LFS file of a repo the caller may read whose content has this SHA-256.
fn known_lfs_file(
    app: &AppState,
    db: &Db,
    caller: Option<&Caller>,
    sha256: &str,
) -> Option<RepoFile> {
    let accounts = app.accounts();
    db.repos
        .values()
        .filter(|r| !r.private || accounts.can_read_ns(caller, &r.namespace))
        .flat_map(|r| r.revisions.values())
        .flat_map(|files| files.values())
        .find(|f| f.sha256.as_deref() == Some(sha256))
        .cloned()
}

/// The file an `lfsFile` line names: one already in a readable repo, a Xet upload whose
/// shard recorded this SHA-256, or an LFS blob uploaded through the batch API.
async fn lfs_entry(
    app: &AppState,
    caller: Option<&Caller>,
    sha256: &str,
    size: Option<u64>,
) -> ApiResult<RepoFile> {
    let known = {
        let db = app.store.read().await;
        known_lfs_file(app, &db, caller, sha256)
    };
    let found = match known {
        Some(file) => Some(file),
        None => match xet_hash_of_sha256(app, sha256).await? {
            Some(hash) => cas_file_size(app, &hash)
                .await?
                .map(|cas_size| RepoFile::lfs(sha256.to_string(), cas_size, Some(hash))),
            None => lfs_blob_size(app, sha256)
                .await
                .map(|blob_size| RepoFile::lfs(sha256.to_string(), blob_size, None)),
        },
    };
    match found {
        Some(file) if size.is_none_or(|s| s == file.size) => Ok(file),
        Some(file) => Err(ApiError::Unprocessable(format!(
            "LFS object {sha256} has {} bytes, not {}",
            file.size,
            size.unwrap_or_default()
        ))),
        None => Err(ApiError::Unprocessable(format!(
            "LFS object {sha256} was not uploaded: upload its content (Xet or LFS) before committing"
        ))),
    }
}

/// A fresh commit id (40 hex digits).
pub(super) fn new_commit_id(parent: &str, message: &str) -> String {
    use sha1::Digest as _;
    let mut nonce = [0u8; 16];
    crate::random_fill(&mut nonce);
    let mut hasher = sha1::Sha1::new();
    hasher.update(format!("commit {parent}\n{message}\n{}\n", time::now_us()).as_bytes());
    hasher.update(nonce);
    hex(&hasher.finalize())
}

/// Opens pull request `refs/pr/<n>` on `base`; returns its number.
pub(super) fn open_pull_request(repo: &mut Repo, base: &str, title: &str, author: &str) -> u64 {
    let num = repo.discussions.keys().next_back().copied().unwrap_or(0) + 1;
    let files = repo.revisions.get(base).cloned().unwrap_or_default();
    let head = repo.head(base);
    let rev = format!("refs/pr/{num}");
    repo.revisions.insert(rev.clone(), files);
    repo.heads.insert(rev, head);
    repo.discussions.insert(
        num,
        Discussion {
            title: title.to_string(),
            author: author.to_string(),
            created_at: time::now_ms(),
            is_pull_request: true,
        },
    );
    num
}

/// `POST /api/{kind}/{ns}/{name}/commit/{rev}[?create_pr=1]` (NDJSON).
pub(super) async fn commit(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Response> {
    let (kind, ns, name, rev) = repo_params(&params)?;
    let caller = app.caller(&headers)?;
    let create_pr = Query::parse(uri.query()).bool("create_pr", false)?;
    {
        let db = app.store.read().await;
        let repo = visible_repo(&app, &db, caller.as_ref(), kind, &ns, &name)?;
        require_write(&app, caller.as_ref(), &repo.namespace)?;
    }
    let (summary, ops) = parse_commit(&body)?;
    let mut lfs_files = HashMap::new();
    for op in &ops {
        if let CommitOp::Lfs { sha256, size, .. } = op {
            if !lfs_files.contains_key(sha256) {
                let entry = lfs_entry(&app, caller.as_ref(), sha256, *size).await?;
                lfs_files.insert(sha256.clone(), entry);
            }
        }
    }

    let author = caller.as_ref().map(|c| c.user.clone()).unwrap_or_default();
    let mut db = app.store.write().await;
    let key = repo_key(kind, &format!("{ns}/{name}"));
    let Some(mut repo) = db.repos.get(&key).cloned() else {
        return Err(ApiError::not_found_for(caller.is_none()));
    };
    let base = revision(&repo, &rev)?.0.to_string();
    let (target, pr) = if create_pr {
        let num = open_pull_request(&mut repo, &base, &summary, &author);
        (format!("refs/pr/{num}"), Some(num))
    } else {
        (base, None)
    };
    let parent = repo.head(&target);
    let files = repo.revisions.entry(target.clone()).or_default();
    for op in ops {
        match op {
            CommitOp::File { path, content } => {
                files.insert(path, RepoFile::inline(&content));
            }
            CommitOp::Lfs { path, sha256, .. } => {
                if let Some(entry) = lfs_files.get(&sha256) {
                    files.insert(path, entry.clone());
                }
            }
            CommitOp::DeleteFile { path } => {
                if files.remove(&path).is_none() {
                    return Err(ApiError::EntryNotFound);
                }
            }
            CommitOp::DeleteFolder { path } => {
                let before = files.len();
                if path.is_empty() {
                    files.clear();
                } else {
                    let prefix = format!("{path}/");
                    files.retain(|p, _| !p.starts_with(&prefix));
                }
                if files.len() == before {
                    return Err(ApiError::EntryNotFound);
                }
            }
        }
    }
    let oid = new_commit_id(&parent, &summary);
    repo.heads.insert(target, oid.clone());
    repo.updated_at = time::now_ms();
    app.store.save_repo(&repo).await?;
    let web = format!(
        "{}/{}{}",
        app.hub_base(&headers),
        url_prefix(kind),
        repo.id()
    );
    db.repos.insert(key, repo);
    drop(db);
    let pr_url = pr.map(|num| format!("{web}/discussions/{num}"));
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "success": true,
            "commitOid": oid,
            "commitUrl": format!("{web}/commit/{oid}"),
            "commitMessage": summary,
            "pullRequestUrl": pr_url,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitattributes_patterns() {
        let attrs = DEFAULT_GITATTRIBUTES;
        for lfs in [
            "a.bin",
            "dir/model.safetensors",
            "x.tar.gz",
            "saved_model/v1/vars",
            "logs/events.out.tfevents.1",
        ] {
            assert!(gitattributes_lfs(attrs, lfs), "{lfs}");
        }
        for regular in ["a.txt", "bin", "saved_model", "dir/a.binx", "README.md"] {
            assert!(!gitattributes_lfs(attrs, regular), "{regular}");
        }
        let custom =
            "*.txt filter=lfs\n/top.md filter=lfs\ndocs/*.md filter=lfs\nkeep.txt -filter\n";
        assert!(gitattributes_lfs(custom, "a/b.txt"));
        assert!(!gitattributes_lfs(custom, "keep.txt"));
        assert!(gitattributes_lfs(custom, "top.md"));
        assert!(!gitattributes_lfs(custom, "sub/top.md"));
        assert!(gitattributes_lfs(custom, "docs/x.md"));
        assert!(!gitattributes_lfs(custom, "docs/sub/x.md"));
    }

    #[test]
    fn upload_modes() {
        let attrs = DEFAULT_GITATTRIBUTES;
        assert_eq!(upload_mode(attrs, "a.txt", 5, b"hello"), "regular");
        assert_eq!(upload_mode(attrs, "a.txt", 5, b"he\0lo"), "lfs");
        assert_eq!(upload_mode(attrs, "a.bin", 5, b"hello"), "lfs");
        assert_eq!(upload_mode(attrs, "a.bin", 0, b""), "regular");
        assert_eq!(upload_mode(attrs, "a.txt", REGULAR_MAX_BYTES, b"x"), "lfs");
    }

    #[test]
    fn commit_bodies() {
        let body = concat!(
            "{\"key\":\"header\",\"value\":{\"summary\":\"s\",\"description\":\"\"}}\n",
            "{\"key\":\"file\",\"value\":{\"path\":\"a.txt\",\"content\":\"aGk=\",\"encoding\":\"base64\"}}\n",
            "{\"key\":\"lfsFile\",\"value\":{\"path\":\"b.bin\",\"algo\":\"sha256\",\"oid\":\"",
            "0000000000000000000000000000000000000000000000000000000000000000\"}}\n",
            "{\"key\":\"deletedFolder\",\"value\":{\"path\":\"old/\"}}\n",
        );
        let (summary, ops) = parse_commit(body.as_bytes()).unwrap_or_default();
        assert_eq!(summary, "s");
        assert!(matches!(&ops[0], CommitOp::File { content, .. } if content == b"hi"));
        assert!(matches!(&ops[1], CommitOp::Lfs { size: None, .. }));
        assert!(matches!(&ops[2], CommitOp::DeleteFolder { path } if path == "old"));
        assert!(parse_commit(b"{\"key\":\"file\",\"value\":{}}").is_err());
        assert!(parse_commit(b"{\"key\":\"header\",\"value\":{\"summary\":\"\"}}").is_err());
        assert!(parse_commit(b"{\"key\":\"header\",\"value\":{\"summary\":\"s\"}}\n{\"key\":\"deletedFile\",\"value\":{\"path\":\"../x\"}}").is_err());
    }
}
