//! Repo lifecycle as `huggingface_hub` drives it: `POST /api/repos/create`,
//! `DELETE /api/repos/delete`, branches (`POST|DELETE /api/{kind}/{ns}/{name}/branch/{branch}`)
//! and pull requests (`POST /api/{kind}/{ns}/{name}/discussions`, `GET …/discussions/{num}`).
//! A new repo has one commit on `main` holding the Hub's default `.gitattributes`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::buckets::visibility;
use super::commits::{new_commit_id, open_pull_request, DEFAULT_GITATTRIBUTES};
use super::repos::{repo_of, revision, url_prefix, visible_repo};
use super::{json_body, json_response, param, require_write, ApiResult};
use crate::accounts::{object_id, valid_name, Caller};
use crate::app::AppState;
use crate::error::ApiError;
use crate::store::{repo_key, Discussion, Repo, RepoFile, RepoType};
use crate::time;

/// `type` of a create/delete body (default model).
fn body_kind(body: &Value) -> ApiResult<RepoType> {
    match body.get("type") {
        None | Some(Value::Null) => Ok(RepoType::Model),
        Some(Value::String(t)) if !t.ends_with('s') => RepoType::parse(t)
            .ok_or_else(|| ApiError::BadRequest(format!("invalid repo type {t:?}"))),
        Some(other) => Err(ApiError::BadRequest(format!("invalid repo type {other}"))),
    }
}

/// `namespace/name` of a create/delete body: `organization` (default: the caller) + `name`.
fn body_repo_id(body: &Value, caller: &Caller) -> ApiResult<(String, String)> {
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::BadRequest("name is required".into()))?;
    let ns = match body.get("organization") {
        None | Some(Value::Null) => caller.user.clone(),
        Some(Value::String(org)) => org.clone(),
        Some(_) => return Err(ApiError::BadRequest("organization must be a string".into())),
    };
    Ok((ns, name.to_string()))
}

fn signed_in(caller: Option<&Caller>) -> ApiResult<&Caller> {
    caller.ok_or_else(|| ApiError::Unauthenticated("You must be authenticated to do this".into()))
}

/// `POST /api/repos/create` — `{name, organization?, type?, private?|visibility?}`.
pub(super) async fn create_repo(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let caller = app.caller(&headers)?;
    let who = signed_in(caller.as_ref())?;
    let body = json_body(&body)?;
    let kind = body_kind(&body)?;
    let (ns, name) = body_repo_id(&body, who)?;
    if !valid_name(&name) {
        return Err(ApiError::BadRequest(format!(
            "Invalid repo name {name:?}: use letters, digits, '-', '_' and '.', no '--' or '..', at most 96 characters"
        )));
    }
    let Value::Object(options) = &body else {
        return Err(ApiError::BadRequest("body must be a JSON object".into()));
    };
    let private = visibility(options)?;
    if !app.accounts().namespace_exists(&ns) {
        return Err(ApiError::NotFound(format!("Namespace {ns} not found")));
    }
    require_write(&app, caller.as_ref(), &ns)?;
    let id = format!("{ns}/{name}");
    let url = format!("{}/{}{id}", app.hub_base(&headers), url_prefix(kind));
    let key = repo_key(kind, &id);
    let mut db = app.store.write().await;
    if db.repos.contains_key(&key) {
        return Err(ApiError::Conflict {
            message: format!("You already created this {} repo", kind.as_str()),
            url: Some(url),
        });
    }
    let now = time::now_ms();
    let main = BTreeMap::from([(
        ".gitattributes".to_string(),
        RepoFile::inline(DEFAULT_GITATTRIBUTES.as_bytes()),
    )]);
    let repo = Repo {
        oid: object_id(),
        kind,
        namespace: ns.clone(),
        name,
        private: private.unwrap_or_else(|| app.accounts().default_private(&ns)),
        created_at: now,
        updated_at: now,
        revisions: BTreeMap::from([("main".to_string(), main)]),
        heads: BTreeMap::from([("main".to_string(), new_commit_id("", "initial commit"))]),
        discussions: BTreeMap::new(),
    };
    app.store.save_repo(&repo).await?;
    let oid = repo.oid.clone();
    db.repos.insert(key, repo);
    Ok(json_response(
        StatusCode::OK,
        &json!({"url": url, "name": id, "id": oid}),
    ))
}

/// `DELETE /api/repos/delete` — `{name, organization?, type?}`.
pub(super) async fn delete_repo(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let caller = app.caller(&headers)?;
    let who = signed_in(caller.as_ref())?;
    let body = json_body(&body)?;
    let kind = body_kind(&body)?;
    let (ns, name) = body_repo_id(&body, who)?;
    let key = repo_key(kind, &format!("{ns}/{name}"));
    let mut db = app.store.write().await;
    let oid = visible_repo(&app, &db, caller.as_ref(), kind, &ns, &name)?
        .oid
        .clone();
    require_write(&app, caller.as_ref(), &ns)?;
    app.store.delete_repo_file(&oid).await?;
    db.repos.remove(&key);
    Ok(json_response(StatusCode::OK, &json!({})))
}

/// `POST /api/{kind}/{ns}/{name}/branch/{branch}` — `{startingPoint?}` (default `main`).
pub(super) async fn create_branch(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Response> {
    let (kind, ns, name) = repo_of(&params)?;
    let branch = param(&params, "branch")?;
    let caller = app.caller(&headers)?;
    let body = json_body(&body)?;
    let start = body
        .get("startingPoint")
        .and_then(Value::as_str)
        .unwrap_or("main")
        .to_string();
    let empty = body.get("emptyBranch").and_then(Value::as_bool) == Some(true);
    if branch.is_empty() || branch.starts_with("refs/") || branch.contains("..") {
        return Err(ApiError::BadRequest(format!(
            "invalid branch name {branch:?}"
        )));
    }
    let mut db = app.store.write().await;
    let key = repo_key(kind, &format!("{ns}/{name}"));
    let mut repo = visible_repo(&app, &db, caller.as_ref(), kind, &ns, &name)?.clone();
    require_write(&app, caller.as_ref(), &ns)?;
    if repo.revisions.contains_key(&branch) {
        return Err(ApiError::Conflict {
            message: format!("Reference refs/heads/{branch} already exists"),
            url: None,
        });
    }
    let (files, head) = if empty {
        (BTreeMap::new(), new_commit_id("", "empty branch"))
    } else {
        let (start_name, files) = revision(&repo, &start)?;
        (files.clone(), repo.head(start_name))
    };
    repo.revisions.insert(branch.clone(), files);
    repo.heads.insert(branch, head);
    app.store.save_repo(&repo).await?;
    db.repos.insert(key, repo);
    Ok(json_response(StatusCode::OK, &json!({})))
}

/// `DELETE /api/{kind}/{ns}/{name}/branch/{branch}` (not `main`).
pub(super) async fn delete_branch(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (kind, ns, name) = repo_of(&params)?;
    let branch = param(&params, "branch")?;
    let caller = app.caller(&headers)?;
    let mut db = app.store.write().await;
    let key = repo_key(kind, &format!("{ns}/{name}"));
    let mut repo = visible_repo(&app, &db, caller.as_ref(), kind, &ns, &name)?.clone();
    require_write(&app, caller.as_ref(), &ns)?;
    if branch == "main" {
        return Err(ApiError::Forbidden(
            "The default branch cannot be deleted".into(),
        ));
    }
    if repo.revisions.remove(&branch).is_none() {
        return Err(ApiError::RevisionNotFound(branch));
    }
    repo.heads.remove(&branch);
    app.store.save_repo(&repo).await?;
    db.repos.insert(key, repo);
    Ok(json_response(StatusCode::OK, &json!({})))
}

/// `POST /api/{kind}/{ns}/{name}/discussions` — `{title, description?, pullRequest?}`. A pull
/// request gets the revision `refs/pr/<num>`, branched from `main`.
pub(super) async fn create_discussion(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Response> {
    let (kind, ns, name) = repo_of(&params)?;
    let caller = app.caller(&headers)?;
    let who = signed_in(caller.as_ref())?.user.clone();
    let body = json_body(&body)?;
    let title = body
        .get("title")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::BadRequest("title is required".into()))?
        .to_string();
    let pull_request = body.get("pullRequest").and_then(Value::as_bool) == Some(true);
    let mut db = app.store.write().await;
    let key = repo_key(kind, &format!("{ns}/{name}"));
    let mut repo = visible_repo(&app, &db, caller.as_ref(), kind, &ns, &name)?.clone();
    let num = if pull_request {
        open_pull_request(&mut repo, "main", &title, &who)
    } else {
        let num = repo.discussions.keys().next_back().copied().unwrap_or(0) + 1;
        repo.discussions.insert(
            num,
            Discussion {
                title,
                author: who,
                created_at: time::now_ms(),
                is_pull_request: false,
            },
        );
        num
    };
    app.store.save_repo(&repo).await?;
    let url = format!(
        "{}/{}{}/discussions/{num}",
        app.hub_base(&headers),
        url_prefix(kind),
        repo.id()
    );
    db.repos.insert(key, repo);
    Ok(json_response(
        StatusCode::OK,
        &json!({"num": num, "pullRequest": pull_request, "url": url}),
    ))
}

/// `GET /api/{kind}/{ns}/{name}/discussions/{num}` (no events, no diff).
pub(super) async fn discussion(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (kind, ns, name) = repo_of(&params)?;
    let num: u64 = param(&params, "num")?
        .parse()
        .map_err(|_| ApiError::NotFound("Discussion not found".into()))?;
    let caller = app.caller(&headers)?;
    let db = app.store.read().await;
    let repo = visible_repo(&app, &db, caller.as_ref(), kind, &ns, &name)?;
    let found = repo
        .discussions
        .get(&num)
        .ok_or_else(|| ApiError::NotFound("Discussion not found".into()))?;
    let mut body = json!({
        "num": num, "title": found.title, "status": if found.is_pull_request { "draft" } else { "open" },
        "isPullRequest": found.is_pull_request, "createdAt": time::iso(found.created_at),
        "author": {"name": found.author}, "repo": {"name": repo.id(), "type": kind.as_str()},
        "events": [], "pinned": false, "diff": "",
    });
    if let (true, Value::Object(map)) = (found.is_pull_request, &mut body) {
        map.insert("changes".into(), json!({"base": "refs/heads/main"}));
        map.insert("filesWithConflicts".into(), json!([]));
    }
    Ok(json_response(StatusCode::OK, &body))
}
