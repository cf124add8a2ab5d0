//! The admin API (`/admin/*`, `Authorization: Bearer <adminToken>`): fault rules, network
//! shaping, early token expiry, CAS token lifetime, users, orgs and repo seeding.
//! Documented in local-hub/README.md.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use futures_util::StreamExt as _;
use serde_json::{json, Value};
use sha2::Digest as _;
use xet_core_structures::merklehash::MerkleHash;

use super::files::cas_file_size;
use super::resolve::cas_body;
use super::{json_body, json_response, normalize_hash, valid_file_path, ApiResult};
use crate::accounts::{object_id, valid_name};
use crate::app::AppState;
use crate::config::{self, OrgSpec, RepoSeed, UserSpec};
use crate::error::ApiError;
use crate::faults::{Network, RuleSpec};
use crate::http_util::ByteRange;
use crate::store::{hex, repo_key, Repo, RepoFile, RepoType};
use crate::time;

/// The `/admin` routes (merged into the Hub router).
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/admin/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .route("/admin/network", put(set_network))
        .route("/admin/expire-tokens", post(expire_tokens))
        .route("/admin/settings", put(settings))
        .route("/admin/users", post(add_user))
        .route("/admin/orgs", post(add_org))
        .route("/admin/repos", post(add_repo))
}

fn parse<T: serde::de::DeserializeOwned>(value: Value) -> ApiResult<T> {
    serde_json::from_value(value).map_err(|e| ApiError::BadRequest(format!("invalid body: {e}")))
}

async fn list_faults(State(app): State<Arc<AppState>>, headers: HeaderMap) -> ApiResult<Response> {
    app.check_admin(&headers)?;
    Ok(json_response(StatusCode::OK, &app.faults.describe()))
}

async fn add_faults(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    app.check_admin(&headers)?;
    let body = json_body(&body)?;
    let specs: Vec<RuleSpec> = match body {
        Value::Array(items) => parse(Value::Array(items))?,
        Value::Object(mut map) if map.contains_key("rules") => {
            parse(map.remove("rules").unwrap_or(Value::Null))?
        }
        other => vec![parse(other)?],
    };
    for spec in &specs {
        if let crate::faults::Action::Status { status, .. } = spec.action {
            if !(400..=599).contains(&status) {
                return Err(ApiError::BadRequest(format!(
                    "status must be 400-599, not {status}"
                )));
            }
        }
    }
    let ids = app.faults.add(specs);
    Ok(json_response(StatusCode::OK, &json!({ "ids": ids })))
}

async fn clear_faults(State(app): State<Arc<AppState>>, headers: HeaderMap) -> ApiResult<Response> {
    app.check_admin(&headers)?;
    app.faults.clear();
    Ok(json_response(StatusCode::OK, &json!({})))
}

async fn set_network(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    app.check_admin(&headers)?;
    let network: Network = parse(json_body(&body)?)?;
    app.faults.set_network(network);
    Ok(json_response(StatusCode::OK, &app.faults.describe()))
}

async fn expire_tokens(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    app.check_admin(&headers)?;
    app.revoke_cas_tokens().await?;
    Ok(json_response(StatusCode::OK, &json!({})))
}

async fn settings(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    app.check_admin(&headers)?;
    let body = json_body(&body)?;
    if let Some(ttl) = body.get("casTokenTtlSecs") {
        let ttl = ttl
            .as_u64()
            .ok_or_else(|| ApiError::BadRequest("casTokenTtlSecs must be an integer".into()))?;
        app.token_ttl_secs.store(ttl, Ordering::SeqCst);
    }
    if let Some(ttl) = body.get("fetchUrlTtlSecs") {
        let ttl = ttl
            .as_u64()
            .ok_or_else(|| ApiError::BadRequest("fetchUrlTtlSecs must be an integer".into()))?;
        app.url_signer.set_ttl_secs(ttl);
    }
    let mut feed = app.events.settings();
    let number = |key: &str| -> ApiResult<Option<u64>> {
        match body.get(key) {
            None => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| ApiError::BadRequest(format!("{key} must be an integer"))),
        }
    };
    if let Some(size) = number("eventsBufferSize")? {
        feed.buffer = usize::try_from(size.max(1)).unwrap_or(usize::MAX);
    }
    if let Some(ms) = number("eventsPingMs")? {
        feed.ping = Duration::from_millis(ms.max(1));
    }
    if let Some(ms) = number("eventsMaxStreamMs")? {
        feed.max_stream = (ms > 0).then(|| Duration::from_millis(ms));
    }
    app.events.set_settings(feed);
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "casTokenTtlSecs": app.token_ttl_secs.load(Ordering::SeqCst),
            "fetchUrlTtlSecs": app.url_signer.ttl_secs(),
            "eventsBufferSize": feed.buffer,
            "eventsPingMs": u64::try_from(feed.ping.as_millis()).unwrap_or(u64::MAX),
            "eventsMaxStreamMs": feed.max_stream.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }),
    ))
}

async fn add_user(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    app.check_admin(&headers)?;
    let spec: UserSpec = parse(json_body(&body)?)?;
    app.update_accounts(|accounts| config::apply_user(accounts, &spec))
        .await?;
    Ok(json_response(StatusCode::OK, &json!({ "name": spec.name })))
}

async fn add_org(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    app.check_admin(&headers)?;
    let spec: OrgSpec = parse(json_body(&body)?)?;
    app.update_accounts(|accounts| config::apply_org(accounts, &spec))
        .await?;
    Ok(json_response(StatusCode::OK, &json!({ "name": spec.name })))
}

async fn add_repo(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    app.check_admin(&headers)?;
    let seed: RepoSeed = parse(json_body(&body)?)?;
    let result = seed_repo(&app, &seed).await?;
    Ok(json_response(StatusCode::OK, &result))
}

/// SHA-256 of a file in the CAS, streamed term by term.
async fn cas_sha256(app: &AppState, hash: &str, size: u64) -> ApiResult<String> {
    let mut hasher = sha2::Sha256::new();
    if size > 0 {
        let merkle = MerkleHash::from_hex(hash)
            .map_err(|_| ApiError::BadRequest(format!("invalid hash {hash}")))?;
        let mut stream = cas_body(
            app.cas.clone(),
            merkle,
            ByteRange {
                start: 0,
                end: size,
            },
        )
        .into_data_stream();
        while let Some(piece) = stream.next().await {
            let piece = piece
                .map_err(|e| ApiError::Internal(format!("reading {hash} from the CAS: {e}")))?;
            hasher.update(&piece);
        }
    }
    Ok(hex(&hasher.finalize()))
}

/// Creates the repo if needed and puts the seed's files into its revision (default `main`).
pub(crate) async fn seed_repo(app: &AppState, seed: &RepoSeed) -> ApiResult<Value> {
    let kind = RepoType::parse(&seed.kind).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "type must be model, dataset or space, not {:?}",
            seed.kind
        ))
    })?;
    let (ns, name) = match seed.id.split_once('/') {
        Some((ns, name)) if valid_name(ns) && valid_name(name) => {
            (ns.to_string(), name.to_string())
        }
        _ => {
            return Err(ApiError::BadRequest(format!(
                "invalid repo id {:?}",
                seed.id
            )))
        }
    };
    if !app.accounts().namespace_exists(&ns) {
        app.update_accounts(|accounts| accounts.ensure_org(&ns))
            .await?;
    }
    let rev = seed.revision.clone().unwrap_or_else(|| "main".to_string());
    if rev.is_empty() {
        return Err(ApiError::BadRequest("revision must not be empty".into()));
    }

    let mut prepared = Vec::new();
    for file in &seed.files {
        valid_file_path(&file.path)
            .map_err(|e| ApiError::BadRequest(format!("{}: {e}", file.path)))?;
        let entry = match (&file.xet_hash, &file.content, &file.content_base64) {
            (Some(hash), None, None) => {
                let hash = normalize_hash(hash).ok_or_else(|| {
                    ApiError::BadRequest(format!("{}: invalid xetHash", file.path))
                })?;
                let size = cas_file_size(app, &hash).await?.ok_or_else(|| {
                    ApiError::Unprocessable(format!(
                        "{}: xetHash {hash} is not in the Xet storage",
                        file.path
                    ))
                })?;
                let sha256 = cas_sha256(app, &hash, size).await?;
                RepoFile::lfs(sha256, size, Some(hash))
            }
            (None, Some(_), None) | (None, None, Some(_)) => {
                let content = match (&file.content, &file.content_base64) {
                    (Some(text), _) => text.as_bytes().to_vec(),
                    (_, Some(b64)) => STANDARD.decode(b64).map_err(|_| {
                        ApiError::BadRequest(format!("{}: contentBase64 is not base64", file.path))
                    })?,
                    _ => Vec::new(),
                };
                RepoFile::inline(&content)
            }
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "{}: give exactly one of xetHash, content, contentBase64",
                    file.path
                )))
            }
        };
        prepared.push((file.path.clone(), entry));
    }

    let mut db = app.store.write().await;
    let key = repo_key(kind, &seed.id);
    let now = time::now_ms();
    let mut repo = db.repos.get(&key).cloned().unwrap_or_else(|| Repo {
        oid: object_id(),
        kind,
        namespace: ns,
        name,
        private: false,
        created_at: now,
        updated_at: now,
        revisions: Default::default(),
        heads: Default::default(),
        discussions: Default::default(),
    });
    if let Some(private) = seed.private {
        repo.private = private;
    }
    repo.revisions.entry("main".to_string()).or_default();
    let files = repo.revisions.entry(rev.clone()).or_default();
    for (path, entry) in &prepared {
        files.insert(path.clone(), entry.clone());
    }
    repo.updated_at = now;
    app.store.save_repo(&repo).await?;
    let listed: Vec<Value> = prepared
        .iter()
        .map(|(path, f)| json!({"path": path, "size": f.size, "oid": f.oid, "xetHash": f.xet_hash, "sha256": f.sha256}))
        .collect();
    let result = json!({"type": kind.as_str(), "id": repo.id(), "private": repo.private, "revision": rev, "files": listed});
    db.repos.insert(key, repo);
    Ok(result)
}
