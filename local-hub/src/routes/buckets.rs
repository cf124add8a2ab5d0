//! Bucket management (buckets-api.md §6): whoami, create, info, list, delete, settings,
//! move; and the Xet token routes (§8).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::{
    bucket_json, json_body, json_response, param, require_write, visible_bucket, ApiResult,
};
use crate::accounts::{object_id, valid_name};
use crate::app::AppState;
use crate::cas_token::Scope;
use crate::error::ApiError;
use crate::http_util::{self, Query};
use crate::store::{repo_key, Bucket, RepoType};
use crate::time;

/// `GET /api/whoami-v2` (§6.1).
pub(super) async fn whoami(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = app.caller(&headers)?;
    let Some(caller) = caller else {
        return Err(ApiError::Unauthenticated(
            "You must be authenticated to call whoami".into(),
        ));
    };
    let body = app.accounts().whoami(&caller);
    Ok(json_response(StatusCode::OK, &body))
}

/// Parsed create/settings options.
struct BucketOptions {
    private: Option<bool>,
    resource_group_id: Option<String>,
    region: Option<String>,
    cdn: Option<Vec<Value>>,
}

/// `private` (bool) or `visibility` (`public`, `private`, `protected`) of a create body;
/// `None` when neither is given. Buckets and repos share it.
pub(super) fn visibility(map: &serde_json::Map<String, Value>) -> ApiResult<Option<bool>> {
    let mut private = match map.get("private") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(ApiError::BadRequest("private must be a boolean".into())),
    };
    match map.get("visibility") {
        None | Some(Value::Null) => {}
        Some(Value::String(v)) => match v.as_str() {
            "public" => private = Some(private.unwrap_or(false)),
            "private" | "protected" => private = Some(private.unwrap_or(true)),
            other => return Err(ApiError::BadRequest(format!("invalid visibility: {other}"))),
        },
        Some(_) => return Err(ApiError::BadRequest("visibility must be a string".into())),
    }
    Ok(private)
}

fn bucket_options(body: &Value) -> ApiResult<BucketOptions> {
    let Value::Object(map) = body else {
        return Err(ApiError::BadRequest("body must be a JSON object".into()));
    };
    let private = visibility(map)?;
    let resource_group_id = match map.get("resourceGroupId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "resourceGroupId must be a string".into(),
            ))
        }
    };
    let region = match map.get("region") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "us" || s == "eu" => Some(s.clone()),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "region must be \"us\" or \"eu\"".into(),
            ))
        }
    };
    let cdn = match map.get("cdn").or_else(|| map.get("cdnRegions")) {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(items.clone()),
        Some(_) => return Err(ApiError::BadRequest("cdn must be an array".into())),
    };
    Ok(BucketOptions {
        private,
        resource_group_id,
        region,
        cdn,
    })
}

/// `POST /api/buckets/{ns|me}/{name}` (§6.2).
pub(super) async fn create(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((ns, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let caller = app.caller(&headers)?;
    let Some(who) = caller.as_ref() else {
        return Err(ApiError::Unauthenticated(
            "You must be authenticated to create a bucket".into(),
        ));
    };
    let ns = if ns == "me" { who.user.clone() } else { ns };
    if !valid_name(&name) {
        return Err(ApiError::BadRequest(format!(
            "Invalid bucket name {name:?}: use letters, digits, '-', '_' and '.', no '--' or '..', at most 96 characters"
        )));
    }
    let options = bucket_options(&json_body(&body)?)?;
    if !app.accounts().namespace_exists(&ns) {
        return Err(ApiError::NotFound(format!("Namespace {ns} not found")));
    }
    require_write(&app, caller.as_ref(), &ns)?;
    let base = app.hub_base(&headers);
    let url = format!("{base}/buckets/{ns}/{name}");
    let id = format!("{ns}/{name}");
    let mut db = app.store.write().await;
    if db.buckets.contains_key(&id) {
        return Err(ApiError::Conflict {
            message: "You already created this bucket".into(),
            url: Some(url),
        });
    }
    let private = options
        .private
        .unwrap_or_else(|| app.accounts().default_private(&ns));
    let now = time::now_ms();
    let bucket = Bucket {
        oid: object_id(),
        namespace: ns,
        name,
        private,
        created_at: now,
        updated_at: now,
        region: options.region,
        resource_group_id: options.resource_group_id,
        cdn_regions: options.cdn.unwrap_or_default(),
        files: BTreeMap::new(),
    };
    app.store.save_bucket(&bucket).await?;
    app.events.created(&bucket);
    db.buckets.insert(id.clone(), bucket);
    Ok(json_response(
        StatusCode::OK,
        &json!({ "url": url, "id": id, "name": id }),
    ))
}

/// `GET /api/buckets/{ns}/{name}` (§6.3).
pub(super) async fn info(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((ns, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let caller = app.caller(&headers)?;
    let db = app.store.read().await;
    let bucket = visible_bucket(&app, &db, caller.as_ref(), &ns, &name)?;
    Ok(json_response(StatusCode::OK, &bucket_json(bucket)))
}

/// `GET /api/buckets/{ns|me}` (§6.4): `search`, `limit`, `cursor`, `Link` pagination.
pub(super) async fn list(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(ns): Path<String>,
) -> ApiResult<Response> {
    let caller = app.caller(&headers)?;
    let ns = if ns == "me" {
        match caller.as_ref() {
            Some(who) => who.user.clone(),
            None => {
                return Err(ApiError::Unauthenticated(
                    "You must be authenticated to list your buckets".into(),
                ))
            }
        }
    } else {
        ns
    };
    if !app.accounts().namespace_exists(&ns) {
        return Err(ApiError::NotFound(format!("Namespace {ns} not found")));
    }
    let query = Query::parse(uri.query());
    let limit = query.limit(1000, 10_000)?;
    let cursor = query.cursor()?;
    let search = query
        .get("search")
        .map(str::to_lowercase)
        .filter(|s| !s.is_empty());
    let can_see_private = app.accounts().can_read_ns(caller.as_ref(), &ns);
    let db = app.store.read().await;
    let prefix = format!("{ns}/");
    let mut page: Vec<&Bucket> = Vec::new();
    let mut more = false;
    for (key, bucket) in db.buckets.range(prefix.clone()..) {
        if !key.starts_with(&prefix) {
            break;
        }
        if cursor.as_deref().is_some_and(|c| bucket.name.as_str() <= c) {
            continue;
        }
        if bucket.private && !can_see_private {
            continue;
        }
        if search
            .as_deref()
            .is_some_and(|s| !bucket.name.to_lowercase().contains(s))
        {
            continue;
        }
        if page.len() == limit {
            more = true;
            break;
        }
        page.push(bucket);
    }
    let items: Vec<Value> = page.iter().map(|b| bucket_json(b)).collect();
    let mut response = json_response(StatusCode::OK, &Value::Array(items));
    if let (true, Some(last)) = (more, page.last()) {
        let mut params = vec![("limit", limit.to_string())];
        if let Some(search) = query.get("search") {
            params.insert(0, ("search", search.to_string()));
        }
        let link = http_util::next_link(&app.hub_base(&headers), uri.path(), &params, &last.name);
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// `DELETE /api/buckets/{ns}/{name}` (§6.5).
pub(super) async fn delete(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((ns, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let caller = app.caller(&headers)?;
    let mut db = app.store.write().await;
    let oid = visible_bucket(&app, &db, caller.as_ref(), &ns, &name)?
        .oid
        .clone();
    require_write(&app, caller.as_ref(), &ns)?;
    app.store.delete_bucket_file(&oid).await?;
    db.buckets.remove(&format!("{ns}/{name}"));
    app.events.deleted(&oid);
    Ok(json_response(StatusCode::OK, &json!({})))
}

/// `PUT /api/buckets/{ns}/{name}/settings` (§6.6).
pub(super) async fn settings(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((ns, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let caller = app.caller(&headers)?;
    let options = bucket_options(&json_body(&body)?)?;
    let mut db = app.store.write().await;
    visible_bucket(&app, &db, caller.as_ref(), &ns, &name)?;
    require_write(&app, caller.as_ref(), &ns)?;
    let Some(bucket) = db.buckets.get_mut(&format!("{ns}/{name}")) else {
        return Err(ApiError::RepoNotFound);
    };
    let mut updated = bucket.clone();
    if let Some(private) = options.private {
        updated.private = private;
    }
    if let Some(cdn) = options.cdn {
        updated.cdn_regions = cdn;
    }
    updated.updated_at = time::now_ms();
    app.store.save_bucket(&updated).await?;
    *bucket = updated;
    Ok(json_response(StatusCode::OK, &json!({})))
}

fn split_id(id: &str) -> ApiResult<(String, String)> {
    match id.split_once('/') {
        Some((ns, name)) if valid_name(ns) && valid_name(name) => {
            Ok((ns.to_string(), name.to_string()))
        }
        _ => Err(ApiError::BadRequest(format!(
            "Invalid repo id {id:?}: expected namespace/name"
        ))),
    }
}

/// `POST /api/repos/move` (§6.7) for buckets, models, datasets and spaces.
pub(super) async fn move_repo(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let caller = app.caller(&headers)?;
    let body = json_body(&body)?;
    let from = body
        .get("fromRepo")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::BadRequest("fromRepo is required".into()))?;
    let to = body
        .get("toRepo")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::BadRequest("toRepo is required".into()))?;
    let kind = body.get("type").and_then(Value::as_str).unwrap_or("model");
    let (from_ns, from_name) = split_id(from)?;
    let (to_ns, to_name) = split_id(to)?;
    if kind == "bucket" {
        let mut db = app.store.write().await;
        visible_bucket(&app, &db, caller.as_ref(), &from_ns, &from_name)?;
        require_write(&app, caller.as_ref(), &from_ns)?;
        if !app.accounts().namespace_exists(&to_ns) {
            return Err(ApiError::BadRequest(format!(
                "Namespace {to_ns} does not exist"
            )));
        }
        require_write(&app, caller.as_ref(), &to_ns)?;
        if db.buckets.contains_key(to) {
            return Err(ApiError::Conflict {
                message: format!("A bucket named {to} already exists"),
                url: None,
            });
        }
        let Some(mut bucket) = db.buckets.get(from).cloned() else {
            return Err(ApiError::RepoNotFound);
        };
        bucket.namespace = to_ns;
        bucket.name = to_name;
        app.store.save_bucket(&bucket).await?;
        app.events.moved(&bucket.oid);
        db.buckets.remove(from);
        db.buckets.insert(bucket.id(), bucket);
        return Ok(json_response(StatusCode::OK, &json!({})));
    }
    let kind = RepoType::parse(kind)
        .ok_or_else(|| ApiError::BadRequest(format!("Invalid repo type {kind:?}")))?;
    let mut db = app.store.write().await;
    let from_key = repo_key(kind, from);
    let visible = db
        .repos
        .get(&from_key)
        .is_some_and(|r| !r.private || app.accounts().can_read_ns(caller.as_ref(), &r.namespace));
    if !visible {
        return Err(ApiError::not_found_for(caller.is_none()));
    }
    require_write(&app, caller.as_ref(), &from_ns)?;
    if !app.accounts().namespace_exists(&to_ns) {
        return Err(ApiError::BadRequest(format!(
            "Namespace {to_ns} does not exist"
        )));
    }
    require_write(&app, caller.as_ref(), &to_ns)?;
    let to_key = repo_key(kind, to);
    if db.repos.contains_key(&to_key) {
        return Err(ApiError::Conflict {
            message: format!("A repo named {to} already exists"),
            url: None,
        });
    }
    let Some(mut repo) = db.repos.get(&from_key).cloned() else {
        return Err(ApiError::RepoNotFound);
    };
    repo.namespace = to_ns;
    repo.name = to_name;
    app.store.save_repo(&repo).await?;
    db.repos.remove(&from_key);
    db.repos.insert(to_key, repo);
    Ok(json_response(StatusCode::OK, &json!({})))
}

/// The `{accessToken, exp, casUrl}` body (§8).
pub(crate) fn token_response(
    app: &AppState,
    headers: &HeaderMap,
    scope: Scope,
    repo: String,
) -> Response {
    let (token, exp) = app.issue_cas_token(scope, repo);
    let cas_url = app.cas_url(headers);
    let mut response = json_response(
        StatusCode::OK,
        &json!({ "accessToken": token, "exp": exp, "casUrl": cas_url }),
    );
    // The same values as headers (buckets-api.md §8): Python's download path reads only these.
    let extra = [
        ("x-xet-cas-url", cas_url),
        ("x-xet-access-token", token),
        ("x-xet-token-expiration", exp.to_string()),
    ];
    for (name, value) in extra {
        if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// `GET /api/buckets/{ns}/{name}/xet-read-token`.
pub(super) async fn read_token(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (ns, name) = (param(&params, "ns")?, param(&params, "name")?);
    let caller = app.caller(&headers)?;
    let db = app.store.read().await;
    let bucket = visible_bucket(&app, &db, caller.as_ref(), &ns, &name)?;
    Ok(token_response(
        &app,
        &headers,
        Scope::Read,
        crate::cas_token::bucket_claim(&bucket.id()),
    ))
}

/// `GET /api/buckets/{ns}/{name}/xet-write-token`.
pub(super) async fn write_token(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (ns, name) = (param(&params, "ns")?, param(&params, "name")?);
    let caller = app.caller(&headers)?;
    let db = app.store.read().await;
    let bucket = visible_bucket(&app, &db, caller.as_ref(), &ns, &name)?;
    require_write(&app, caller.as_ref(), &bucket.namespace)?;
    Ok(token_response(
        &app,
        &headers,
        Scope::Write,
        crate::cas_token::bucket_claim(&bucket.id()),
    ))
}
