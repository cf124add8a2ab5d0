//! The minimal repo API needed to copy from a model, dataset or space into a bucket
//! (buckets-api.md §14): info, tree with revision, paths-info (JSON and form-encoded),
//! Xet tokens with revision, and resolve. Repos are seeded through the admin API.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::buckets::token_response;
use super::files::{read_paths, rest_after_segments};
use super::resolve::{serve_file, FileMeta};
use super::{json_response, param, require_write, ApiResult};
use crate::accounts::Caller;
use crate::app::AppState;
use crate::cas_token::Scope;
use crate::error::ApiError;
use crate::http_util::{self, Query};
use crate::store::{repo_key, Db, Repo, RepoFile, RepoType};
use crate::time;

pub(super) fn kind_of(params: &HashMap<String, String>) -> ApiResult<RepoType> {
    let kind = param(params, "kind")?;
    match kind.as_str() {
        "models" | "datasets" | "spaces" => {
            RepoType::parse(&kind).ok_or_else(|| ApiError::NotFound("Not found".into()))
        }
        _ => Err(ApiError::NotFound("Not found".into())),
    }
}

/// The repo a route names: its `{kind}`, `{ns}` and `{name}` parameters.
pub(super) fn repo_of(params: &HashMap<String, String>) -> ApiResult<(RepoType, String, String)> {
    Ok((
        kind_of(params)?,
        param(params, "ns")?,
        param(params, "name")?,
    ))
}

pub(super) fn visible_repo<'a>(
    app: &AppState,
    db: &'a Db,
    caller: Option<&Caller>,
    kind: RepoType,
    ns: &str,
    name: &str,
) -> ApiResult<&'a Repo> {
    match db.repos.get(&repo_key(kind, &format!("{ns}/{name}"))) {
        Some(r) if !r.private || app.accounts().can_read_ns(caller, &r.namespace) => Ok(r),
        _ => Err(ApiError::not_found_for(caller.is_none())),
    }
}

/// The files of the revision a client names (branch, `refs/heads/…`, `refs/pr/…` or a
/// head commit id), or 404 `RevisionNotFound`.
pub(super) fn revision<'a>(
    repo: &'a Repo,
    rev: &str,
) -> ApiResult<(&'a str, &'a BTreeMap<String, RepoFile>)> {
    repo.resolve_revision(rev)
        .and_then(|name| repo.revisions.get_key_value(name))
        .map(|(name, files)| (name.as_str(), files))
        .ok_or_else(|| ApiError::RevisionNotFound(rev.to_string()))
}

/// URL prefix of a repo kind on the Hub's web routes (`""`, `datasets/`, `spaces/`).
pub(super) fn url_prefix(kind: RepoType) -> &'static str {
    match kind {
        RepoType::Model => "",
        RepoType::Dataset => "datasets/",
        RepoType::Space => "spaces/",
    }
}

fn file_entry(path: &str, file: &RepoFile) -> Value {
    let mut map = Map::new();
    map.insert("type".into(), json!("file"));
    map.insert("oid".into(), json!(file.oid));
    map.insert("size".into(), json!(file.size));
    map.insert("path".into(), json!(path));
    if let Some(sha256) = &file.sha256 {
        map.insert(
            "lfs".into(),
            json!({"oid": sha256, "size": file.size, "pointerSize": file.pointer_size}),
        );
    }
    if let Some(hash) = &file.xet_hash {
        map.insert("xetHash".into(), json!(hash));
    }
    Value::Object(map)
}

fn directory_entry(path: &str) -> Value {
    use sha1::Digest as _;
    let oid: String = sha1::Sha1::digest(format!("tree {path}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    json!({"type": "directory", "oid": oid, "size": 0, "path": path})
}

/// `GET /api/{models|datasets|spaces}/{ns}/{name}[/revision/{rev}]` (default `main`).
pub(super) async fn info(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (kind, ns, name) = repo_of(&params)?;
    let rev = params.get("rev").map_or("main", String::as_str);
    let caller = app.caller(&headers)?;
    let db = app.store.read().await;
    let repo = visible_repo(&app, &db, caller.as_ref(), kind, &ns, &name)?;
    let (rev_name, files) = revision(repo, rev)?;
    let siblings: Vec<Value> = files.keys().map(|p| json!({"rfilename": p})).collect();
    let body = json!({
        "_id": repo.oid, "id": repo.id(), "author": repo.namespace, "private": repo.private,
        "repoType": kind.as_str(), "sha": repo.head(rev_name), "createdAt": time::iso(repo.created_at),
        "lastModified": time::iso(repo.updated_at), "siblings": siblings,
        "disabled": false, "gated": false, "downloads": 0, "likes": 0, "tags": [],
    });
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /api/{kind}/{ns}/{name}/tree/{rev}[/{path}]` — `recursive` defaults to false.
pub(super) async fn tree(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (kind, ns, name) = repo_of(&params)?;
    let rev = param(&params, "rev")?;
    let caller = app.caller(&headers)?;
    let query = Query::parse(uri.query());
    let recursive = query.bool("recursive", false)?;
    let limit = query.limit(1000, 10_000)?;
    let cursor = query.cursor()?;
    let folder = rest_after_segments(uri.path(), 6)?;
    let folder = folder.trim_end_matches('/');
    let base = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };

    let db = app.store.read().await;
    let repo = visible_repo(&app, &db, caller.as_ref(), kind, &ns, &name)?;
    let (_, files) = revision(repo, &rev)?;
    let mut entries: BTreeMap<(String, u8), Value> = BTreeMap::new();
    for (path, file) in files.range(base.clone()..) {
        let Some(rest) = path.strip_prefix(&base) else {
            break;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let dirs = parts.len().saturating_sub(1);
        let shown_dirs = if recursive { dirs } else { dirs.min(1) };
        for depth in 1..=shown_dirs {
            let dir = format!("{base}{}", parts.get(..depth).unwrap_or(&[]).join("/"));
            entries
                .entry((dir.clone(), 1))
                .or_insert_with(|| directory_entry(&dir));
        }
        if recursive || dirs == 0 {
            entries.insert((path.clone(), 0), file_entry(path, file));
        }
    }
    if entries.is_empty() && !base.is_empty() {
        return Err(ApiError::EntryNotFound);
    }
    let mut page = Vec::new();
    let mut last = String::new();
    let mut more = false;
    for ((path, _), value) in entries {
        if cursor.as_deref().is_some_and(|c| path.as_str() <= c) {
            continue;
        }
        if page.len() == limit {
            more = true;
            break;
        }
        page.push(value);
        last = path;
    }
    let mut response = json_response(StatusCode::OK, &Value::Array(page));
    if more {
        let params = [
            ("recursive", recursive.to_string()),
            ("limit", limit.to_string()),
        ];
        let link = http_util::next_link(&app.hub_base(&headers), uri.path(), &params, &last);
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// `POST /api/{kind}/{ns}/{name}/paths-info/{rev}` — JSON or form-encoded `paths`.
pub(super) async fn paths_info(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Response> {
    let (kind, ns, name) = repo_of(&params)?;
    let rev = param(&params, "rev")?;
    let caller = app.caller(&headers)?;
    let db = app.store.read().await;
    let repo = visible_repo(&app, &db, caller.as_ref(), kind, &ns, &name)?;
    let (_, files) = revision(repo, &rev)?;
    let paths = read_paths(&headers, &body)?;
    let mut items = Vec::new();
    for path in paths {
        let path = path.trim_end_matches('/');
        if let Some(file) = files.get(path) {
            items.push(file_entry(path, file));
        } else if !path.is_empty()
            && files
                .range(format!("{path}/")..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&format!("{path}/")))
        {
            items.push(directory_entry(path));
        }
    }
    Ok(json_response(StatusCode::OK, &Value::Array(items)))
}

async fn token(
    app: Arc<AppState>,
    headers: HeaderMap,
    params: HashMap<String, String>,
    scope: Scope,
) -> ApiResult<Response> {
    let (kind, ns, name) = repo_of(&params)?;
    let rev = param(&params, "rev")?;
    let caller = app.caller(&headers)?;
    let db = app.store.read().await;
    let repo = visible_repo(&app, &db, caller.as_ref(), kind, &ns, &name)?;
    if scope == Scope::Write {
        require_write(&app, caller.as_ref(), &repo.namespace)?;
    }
    Ok(token_response(
        &app,
        &headers,
        scope,
        crate::cas_token::repo_claim(kind, &repo.id(), &rev),
    ))
}

/// `GET /api/{kind}/{ns}/{name}/xet-read-token/{rev}`.
pub(super) async fn read_token(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    token(app, headers, params, Scope::Read).await
}

/// `GET /api/{kind}/{ns}/{name}/xet-write-token/{rev}`.
pub(super) async fn write_token(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    token(app, headers, params, Scope::Write).await
}

async fn resolve(
    app: Arc<AppState>,
    method: Method,
    headers: HeaderMap,
    uri_path: &str,
    kind: RepoType,
    params: HashMap<String, String>,
) -> ApiResult<Response> {
    let (ns, name, rev) = (
        param(&params, "ns")?,
        param(&params, "name")?,
        param(&params, "rev")?,
    );
    let caller = app.caller(&headers)?;
    let skip = if kind == RepoType::Model { 4 } else { 5 };
    let path = rest_after_segments(uri_path, skip)?;
    let (file, updated_at, id, commit) = {
        let db = app.store.read().await;
        let repo = visible_repo(&app, &db, caller.as_ref(), kind, &ns, &name)?;
        let (rev_name, files) = revision(repo, &rev)?;
        let file = files.get(&path).cloned().ok_or(ApiError::EntryNotFound)?;
        (file, repo.updated_at, repo.id(), repo.head(rev_name))
    };
    let inline = match &file.content_base64 {
        Some(b64) => {
            Some(Bytes::from(STANDARD.decode(b64).map_err(|_| {
                ApiError::Internal("stored content is not base64".into())
            })?))
        }
        None => None,
    };
    let token_url = file.xet_hash.as_ref().map(|_| {
        let rev = http_util::encode_path(&rev).replace('/', "%2F");
        format!(
            "{}/api/{}s/{id}/xet-read-token/{rev}",
            app.hub_base(&headers),
            kind.as_str()
        )
    });
    let blob = match (&file.xet_hash, &file.sha256, &inline) {
        (None, Some(sha256), None) => Some(sha256.clone()),
        _ => None,
    };
    let meta = FileMeta {
        etag: file.sha256.clone().unwrap_or_else(|| file.oid.clone()),
        xet_hash: file.xet_hash.clone(),
        size: file.size,
        last_modified_ms: updated_at,
        content_type: None,
        token_url,
        inline,
        lfs_blob: blob,
        commit: Some(commit),
    };
    serve_file(&app, &method, &headers, meta).await
}

/// `HEAD|GET /{ns}/{name}/resolve/{rev}/{path}` (models).
pub(super) async fn resolve_model(
    State(app): State<Arc<AppState>>,
    method: Method,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    resolve(app, method, headers, uri.path(), RepoType::Model, params).await
}

/// `HEAD|GET /datasets/{ns}/{name}/resolve/{rev}/{path}`.
pub(super) async fn resolve_dataset(
    State(app): State<Arc<AppState>>,
    method: Method,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    resolve(app, method, headers, uri.path(), RepoType::Dataset, params).await
}

/// `HEAD|GET /spaces/{ns}/{name}/resolve/{rev}/{path}`.
pub(super) async fn resolve_space(
    State(app): State<Arc<AppState>>,
    method: Method,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    resolve(app, method, headers, uri.path(), RepoType::Space, params).await
}
