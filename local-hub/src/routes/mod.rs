//! The Hub API router (buckets-api.md §0) and helpers shared by the handlers.

pub(crate) mod admin;
mod buckets;
pub(crate) mod commits;
pub(crate) mod events;
pub(crate) mod files;
mod lfs;
mod repo_admin;
mod repos;
mod resolve;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Router;
use serde_json::{json, Map, Value};

use crate::accounts::{Caller, TokenRole};
use crate::app::AppState;
use crate::error::ApiError;
use crate::faults::{self, Action, Target};
use crate::http_util;
use crate::store::{Bucket, Db, FileEntry};
use crate::time;

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// Largest request body the Hub reads (batch NDJSON, JSON bodies, admin seeds).
const MAX_BODY: usize = 64 << 20;

/// Every Hub route.
pub(crate) fn hub_router(state: Arc<AppState>) -> Router {
    let private_network = state.allow_private_network;
    let verbose = state.verbose;
    let bucket = "/api/buckets/{ns}/{name}";
    Router::new()
        .route("/api/whoami-v2", get(buckets::whoami))
        .route("/api/buckets/{ns}", get(buckets::list))
        .route(
            bucket,
            get(buckets::info)
                .post(buckets::create)
                .delete(buckets::delete),
        )
        .route(&format!("{bucket}/settings"), put(buckets::settings))
        .route(&format!("{bucket}/tree"), get(files::tree))
        .route(&format!("{bucket}/tree/"), get(files::tree))
        .route(&format!("{bucket}/tree/{{*prefix}}"), get(files::tree))
        .route(&format!("{bucket}/paths-info"), post(files::paths_info))
        .route(&format!("{bucket}/batch"), post(files::batch))
        .route(&format!("{bucket}/events"), get(events::events))
        .route(
            &format!("{bucket}/xet-read-token"),
            get(buckets::read_token),
        )
        .route(
            &format!("{bucket}/xet-write-token"),
            get(buckets::write_token),
        )
        .route("/api/repos/move", post(buckets::move_repo))
        .route(
            "/buckets/{ns}/{name}/resolve/{*path}",
            get(resolve::bucket_resolve).head(resolve::bucket_resolve),
        )
        .route("/api/repos/create", post(repo_admin::create_repo))
        .route("/api/repos/delete", delete(repo_admin::delete_repo))
        .route("/api/{kind}/{ns}/{name}", get(repos::info))
        .route("/api/{kind}/{ns}/{name}/revision/{rev}", get(repos::info))
        .route(
            "/api/{kind}/{ns}/{name}/preupload/{rev}",
            post(commits::preupload),
        )
        .route(
            "/api/{kind}/{ns}/{name}/commit/{rev}",
            post(commits::commit),
        )
        .route(
            "/api/{kind}/{ns}/{name}/branch/{branch}",
            post(repo_admin::create_branch).delete(repo_admin::delete_branch),
        )
        .route(
            "/api/{kind}/{ns}/{name}/discussions",
            post(repo_admin::create_discussion),
        )
        .route(
            "/api/{kind}/{ns}/{name}/discussions/{num}",
            get(repo_admin::discussion),
        )
        .route(
            "/api/{kind}/{ns}/{name}/lfs-files/duplicate",
            post(lfs::duplicate),
        )
        .route("/{ns}/{name}/info/lfs/objects/batch", post(lfs::batch))
        .route(
            "/datasets/{ns}/{name}/info/lfs/objects/batch",
            post(lfs::batch),
        )
        .route(
            "/spaces/{ns}/{name}/info/lfs/objects/batch",
            post(lfs::batch),
        )
        .route(
            "/lfs-upload/{kind}/{ns}/{name}/{sha256}/{size}",
            put(lfs::upload),
        )
        .route("/api/{kind}/{ns}/{name}/tree/{rev}", get(repos::tree))
        .route("/api/{kind}/{ns}/{name}/tree/{rev}/", get(repos::tree))
        .route(
            "/api/{kind}/{ns}/{name}/tree/{rev}/{*path}",
            get(repos::tree),
        )
        .route(
            "/api/{kind}/{ns}/{name}/paths-info/{rev}",
            post(repos::paths_info),
        )
        .route(
            "/api/{kind}/{ns}/{name}/xet-read-token/{rev}",
            get(repos::read_token),
        )
        .route(
            "/api/{kind}/{ns}/{name}/xet-write-token/{rev}",
            get(repos::write_token),
        )
        .route(
            "/{ns}/{name}/resolve/{rev}/{*path}",
            get(repos::resolve_model).head(repos::resolve_model),
        )
        .route(
            "/datasets/{ns}/{name}/resolve/{rev}/{*path}",
            get(repos::resolve_dataset).head(repos::resolve_dataset),
        )
        .route(
            "/spaces/{ns}/{name}/resolve/{rev}/{*path}",
            get(repos::resolve_space).head(repos::resolve_space),
        )
        .merge(admin::router())
        .fallback(not_found)
        // The Hub answers 404 for a method a route does not have (e.g. `DELETE
        // /api/buckets/{name}` without a namespace), not 405.
        .method_not_allowed_fallback(not_found)
        .with_state(state.clone())
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(state, hub_faults))
        .layer(middleware::from_fn_with_state(
            private_network,
            http_util::cors,
        ))
        .layer(middleware::from_fn(http_util::request_id))
        .layer(middleware::from_fn_with_state(
            ("hub", verbose),
            http_util::log,
        ))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("Not found".into())
}

/// Faults and network shaping for Hub requests (never for `/admin`).
async fn hub_faults(State(app): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if path == "/admin" || path.starts_with("/admin/") {
        return next.run(request).await;
    }
    let (latency, bandwidth) = app.faults.network(Target::Hub);
    if !latency.is_zero() && request.method() != axum::http::Method::OPTIONS {
        tokio::time::sleep(latency).await;
    }
    let mut body_fault = None;
    match app
        .faults
        .take(Target::Hub, request.method().as_str(), &path)
    {
        Some(Action::Status {
            status,
            retry_after_secs,
        }) => return faults::status_response(status, retry_after_secs),
        Some(Action::Hang { ms }) => tokio::time::sleep(std::time::Duration::from_millis(ms)).await,
        Some(action) => body_fault = Some(action),
        None => {}
    }
    let response = next.run(request).await;
    faults::shape_response(response, body_fault, bandwidth).await
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, value.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// Parses a JSON request body; an empty body counts as `{}`.
pub(crate) fn json_body(bytes: &[u8]) -> ApiResult<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}

/// A path parameter by name.
pub(crate) fn param(params: &HashMap<String, String>, key: &str) -> ApiResult<String> {
    params
        .get(key)
        .cloned()
        .ok_or_else(|| ApiError::BadRequest(format!("missing path parameter {key}")))
}

/// Bucket object (§6.3).
pub(crate) fn bucket_json(bucket: &Bucket) -> Value {
    let mut map = Map::new();
    map.insert("_id".into(), json!(bucket.oid));
    map.insert("id".into(), json!(bucket.id()));
    map.insert("author".into(), json!(bucket.namespace));
    map.insert("private".into(), json!(bucket.private));
    map.insert("repoType".into(), json!("bucket"));
    map.insert("createdAt".into(), json!(time::iso(bucket.created_at)));
    map.insert("updatedAt".into(), json!(time::iso(bucket.updated_at)));
    map.insert("size".into(), json!(bucket.size()));
    map.insert("totalFiles".into(), json!(bucket.files.len()));
    map.insert("cdnRegions".into(), json!(bucket.cdn_regions));
    map.insert(
        "resourceGroup".into(),
        bucket
            .resource_group_id
            .as_ref()
            .map_or(Value::Null, |id| json!({"id": id, "name": id})),
    );
    if let Some(region) = &bucket.region {
        map.insert("region".into(), json!(region));
    }
    Value::Object(map)
}

/// File entry of tree and paths-info (§7.1).
pub(crate) fn file_json(path: &str, file: &FileEntry) -> Value {
    let mut map = Map::new();
    map.insert("type".into(), json!("file"));
    map.insert("path".into(), json!(path));
    map.insert("size".into(), json!(file.size));
    map.insert("xetHash".into(), json!(file.xet_hash));
    if let Some(mtime) = file.mtime {
        map.insert("mtime".into(), json!(time::iso(mtime)));
    }
    map.insert("uploadedAt".into(), json!(time::iso(file.uploaded_at)));
    if let Some(content_type) = &file.content_type {
        map.insert("contentType".into(), json!(content_type));
    }
    Value::Object(map)
}

/// A bucket the caller may read, or 404 `RepoNotFound` (401 when anonymous).
pub(crate) fn visible_bucket<'a>(
    app: &AppState,
    db: &'a Db,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
) -> ApiResult<&'a Bucket> {
    let bucket = db.buckets.get(&format!("{ns}/{name}"));
    match bucket {
        Some(b) if !b.private || app.accounts().can_read_ns(caller, &b.namespace) => Ok(b),
        _ => Err(ApiError::not_found_for(caller.is_none())),
    }
}

/// Write access to `ns`: 401 anonymous, 403 read token or no rights.
pub(crate) fn require_write(app: &AppState, caller: Option<&Caller>, ns: &str) -> ApiResult<()> {
    let Some(who) = caller else {
        return Err(ApiError::Unauthenticated(
            "You must be authenticated to write".into(),
        ));
    };
    let accounts = app.accounts();
    if !accounts.user_can_write_ns(caller, ns) {
        return Err(ApiError::Forbidden(format!(
            "You don't have write access to the namespace {ns}"
        )));
    }
    if who.role != TokenRole::Write {
        return Err(ApiError::Forbidden(
            "This token has read scope; write access is needed".into(),
        ));
    }
    Ok(())
}

/// Checks an in-bucket path against the rules of buckets-api.md §3.2.
pub(crate) fn valid_file_path(path: &str) -> Result<(), String> {
    // The client's rules, from the one shared crate (so the two cannot drift).
    hub_names::check_path(path).map_err(|p| format!("path {p}"))
}

/// 64 hex digits → lowercase.
pub(crate) fn normalize_hash(hash: &str) -> Option<String> {
    (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hash.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_paths() {
        for ok in ["a", "a/b.txt", "dir/.keep", "a..b", "x/y z"] {
            assert!(valid_file_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "/a", "a/", "a//b", "../a", "a/../b", "./a", "a/..", "a\\b", "a\0b",
        ] {
            assert!(valid_file_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hashes() {
        assert_eq!(normalize_hash(&"AB".repeat(32)), Some("ab".repeat(32)));
        assert_eq!(normalize_hash("abc"), None);
        assert_eq!(normalize_hash(&"zz".repeat(32)), None);
    }
}
