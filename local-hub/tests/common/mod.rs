//! Test harness: starts the built `local-hub` binary on free ports with a temporary data
//! directory, reads its start-up line, and offers small HTTP helpers plus a real Xet upload
//! through the CAS front with the official `xet-client` (`RemoteClient`).

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use xet_client::cas_client::auth::AuthConfig;
use xet_client::cas_client::{ClientTestingUtils, RemoteClient};
use xet_runtime::core::XetContext;

/// A running local-hub.
pub struct Hub {
    pub hub: String,
    pub cas: String,
    pub user: String,
    pub token: String,
    pub admin_token: String,
    pub data_dir: PathBuf,
    pub child: Child,
    pub http: reqwest::Client,
    _temp: Option<tempfile::TempDir>,
}

pub const EMPTY_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A second user's write token (`--token bob:…:write`, see [`Hub::start_with_bob_and_reader`]).
pub const BOB: &str = "hf_bob_write_token";
/// A read-only token of the default user `demo`.
pub const READER: &str = "hf_demo_read_token";

impl Hub {
    /// Starts local-hub with a fresh temporary data directory and extra `args`.
    pub async fn start(args: &[&str]) -> Self {
        let temp = tempfile::tempdir().unwrap();
        let mut hub = Self::start_in(temp.path(), args).await;
        hub._temp = Some(temp);
        hub
    }

    /// Starts local-hub with two more tokens: [`BOB`] (user `bob`, write) and [`READER`] (user
    /// `demo`, read).
    pub async fn start_with_bob_and_reader() -> Self {
        Self::start(&[
            "--token",
            &format!("bob:{BOB}:write"),
            "--token",
            &format!("demo:{READER}:read"),
        ])
        .await
    }

    /// Starts local-hub on `data_dir` (kept by the caller).
    pub async fn start_in(data_dir: &Path, args: &[&str]) -> Self {
        Self::start_with_env(data_dir, args, &[]).await
    }

    /// Starts local-hub on `data_dir` with extra `args` and environment variables.
    pub async fn start_with_env(data_dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_local-hub"));
        command
            .env_remove("LOCAL_HUB_ADMIN_TOKEN")
            .env_remove("LOCAL_HUB_TOKENS")
            .envs(envs.iter().copied())
            .arg("--port")
            .arg("0")
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("local-hub start-up timed out")
            .unwrap()
            .expect("local-hub exited before printing its start-up line");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let info: Value = serde_json::from_str(&line).unwrap();
        let s = |k: &str| {
            info[k]
                .as_str()
                .unwrap_or_else(|| panic!("start-up line lacks {k}: {line}"))
                .to_string()
        };
        Hub {
            hub: s("hub"),
            cas: s("cas"),
            user: s("user"),
            token: s("token"),
            admin_token: s("adminToken"),
            data_dir: PathBuf::from(s("dataDir")),
            child,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            _temp: None,
        }
    }

    /// Kills the process (SIGKILL) and waits for it.
    pub async fn kill(mut self) -> Option<tempfile::TempDir> {
        let _ = self.child.kill().await;
        self._temp.take()
    }

    pub fn req(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.hub)
        };
        let builder = self.http.request(method, url);
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.req(Method::GET, path, Some(&self.token))
    }

    pub fn post_json(&self, path: &str, body: Value) -> RequestBuilder {
        self.req(Method::POST, path, Some(&self.token)).json(&body)
    }

    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.req(method, path, Some(&self.admin_token))
    }

    /// Creates `demo/{name}` (public unless `private`).
    pub async fn create_bucket(&self, name: &str, private: bool) -> Value {
        let r = self
            .post_json(
                &format!("/api/buckets/me/{name}"),
                json!({"private": private}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "create {name}");
        r.json().await.unwrap()
    }

    /// Posts an NDJSON batch (lines joined with `\n`).
    pub async fn batch(&self, bucket: &str, token: &str, lines: &[Value]) -> Response {
        let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
        self.req(
            Method::POST,
            &format!("/api/buckets/{bucket}/batch"),
            Some(token),
        )
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap()
    }

    /// Gets a CAS token from `{route}` (e.g. `/api/buckets/demo/b/xet-write-token`).
    pub async fn cas_token(&self, route: &str, token: &str) -> (String, u64, String) {
        let r = self
            .req(Method::GET, route, Some(token))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "token from {route}");
        let v: Value = r.json().await.unwrap();
        (
            v["accessToken"].as_str().unwrap().to_string(),
            v["exp"].as_u64().unwrap(),
            v["casUrl"].as_str().unwrap().to_string(),
        )
    }

    /// Uploads random content (`chunks` chunks of ≤4 KiB from `seed`) through the CAS front
    /// with the official client and a write token of `bucket`. Returns (hash, bytes).
    pub async fn upload(&self, bucket: &str, seed: u64, chunks: u64) -> (String, Vec<u8>) {
        self.upload_via(
            &format!("/api/buckets/{bucket}/xet-write-token"),
            &self.token.clone(),
            seed,
            chunks,
        )
        .await
    }

    /// Same, with the token from any write-token route.
    pub async fn upload_via(
        &self,
        route: &str,
        hub_token: &str,
        seed: u64,
        chunks: u64,
    ) -> (String, Vec<u8>) {
        let (token, exp, cas_url) = self.cas_token(route, hub_token).await;
        assert_eq!(cas_url, self.cas);
        let client = cas_client(&cas_url, &token, exp);
        let file = client
            .upload_random_file(&[(seed, (0, chunks))], 4096)
            .await
            .unwrap();
        (file.file_hash.hex(), file.data.to_vec())
    }
}

/// The official `RemoteClient` pointed at `cas_url` with a fixed token.
pub fn cas_client(cas_url: &str, token: &str, exp: u64) -> Arc<RemoteClient> {
    let ctx = XetContext::default().unwrap();
    let auth = AuthConfig::maybe_new(Some(token.to_string()), Some(exp), None);
    RemoteClient::new(ctx, cas_url, &auth, "local-hub-test", false, None)
}

pub fn add_line(path: &str, hash: &str) -> Value {
    json!({"type": "addFile", "path": path, "xetHash": hash, "mtime": 1_767_225_600_123i64})
}

pub fn header<'a>(r: &'a Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `true` when `s` has the `YYYY-MM-DDTHH:MM:SS.sssZ` shape.
pub fn is_iso_millis(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && b.iter()
            .enumerate()
            .all(|(i, c)| [4, 7, 10, 13, 16, 19, 23].contains(&i) || c.is_ascii_digit())
}

/// Follows `Link: <…>; rel="next"` pages; returns all items and the number of pages.
pub async fn collect_pages(hub: &Hub, first: &str, token: Option<&str>) -> (Vec<Value>, usize) {
    let mut url = first.to_string();
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        let r = hub.req(Method::GET, &url, token).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let link = header(&r, "link").map(str::to_string);
        let page: Vec<Value> = r.json().await.unwrap();
        pages += 1;
        match link {
            Some(link) => {
                assert!(!page.is_empty(), "empty page with a next link");
                let start = link.find('<').unwrap() + 1;
                let end = link.find('>').unwrap();
                assert!(link[end..].starts_with(">; rel=\"next\""), "{link}");
                url = link[start..end].to_string();
                assert!(url.starts_with(&hub.hub), "absolute next URL: {url}");
                items.extend(page);
            }
            None => {
                items.extend(page);
                break;
            }
        }
    }
    (items, pages)
}
