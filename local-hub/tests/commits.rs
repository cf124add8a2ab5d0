//! The repo commit API that `huggingface_hub` uses (found by its own test suite, run in
//! tests/python-official): create/delete, preupload, NDJSON commits, LFS batch uploads,
//! branches and pull requests, resolve with `X-Repo-Commit`; plus the bucket answers that
//! suite pinned down (404 for a route's missing method, Xet token headers).

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::{header, Hub, BOB};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Digest as _;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(data: &[u8]) -> String {
    hex(&sha2::Sha256::digest(data))
}

/// NDJSON commit body: a header line, then `ops` as `{key, value}` lines.
fn commit_body(summary: &str, ops: &[(&str, Value)]) -> String {
    let mut body = format!(
        "{}\n",
        json!({"key": "header", "value": {"summary": summary, "description": ""}})
    );
    for (key, value) in ops {
        body.push_str(&format!("{}\n", json!({"key": key, "value": value})));
    }
    body
}

fn file_op(path: &str, content: &[u8]) -> (&'static str, Value) {
    (
        "file",
        json!({"path": path, "content": STANDARD.encode(content), "encoding": "base64"}),
    )
}

async fn commit(hub: &Hub, repo: &str, rev: &str, token: &str, body: String) -> reqwest::Response {
    hub.req(
        Method::POST,
        &format!("/api/models/{repo}/commit/{rev}"),
        Some(token),
    )
    .header("content-type", "application/x-ndjson")
    .body(body)
    .send()
    .await
    .unwrap()
}

async fn create_repo(hub: &Hub, body: Value) -> reqwest::Response {
    hub.post_json("/api/repos/create", body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_commit_resolve_and_delete() {
    let hub = Hub::start_with_bob_and_reader().await;
    let r = create_repo(&hub, json!({"name": "r", "organization": null})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["url"], format!("{}/demo/r", hub.hub));
    assert_eq!(v["name"], "demo/r");
    let r = create_repo(&hub, json!({"name": "r"})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["url"], format!("{}/demo/r", hub.hub));
    let r = create_repo(
        &hub,
        json!({"name": "d", "type": "dataset", "private": true}),
    )
    .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["url"], format!("{}/datasets/demo/d", hub.hub));
    let r = hub
        .req(Method::POST, "/api/repos/create", None)
        .json(&json!({"name": "anon"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // A new repo has one commit with the default .gitattributes.
    let info: Value = hub
        .get("/api/models/demo/r")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = info["sha"].as_str().unwrap().to_string();
    assert_eq!(first.len(), 40);
    assert_eq!(info["siblings"], json!([{"rfilename": ".gitattributes"}]));

    // Preupload: regular for small text, LFS by .gitattributes, by a NUL byte and never when empty.
    let files = json!({"files": [
        {"path": "a.txt", "sample": STANDARD.encode("hello"), "size": 5},
        {"path": "w.bin", "sample": STANDARD.encode("hello"), "size": 5},
        {"path": "nul.txt", "sample": STANDARD.encode("a\0b"), "size": 3},
        {"path": "empty.bin", "sample": "", "size": 0},
    ]});
    let v: Value = hub
        .post_json("/api/models/demo/r/preupload/main", files)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let modes: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["uploadMode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["regular", "lfs", "lfs", "regular"]);
    assert_eq!(v["commitOid"], first);

    // A regular file, committed and read back with the commit id.
    let r = commit(
        &hub,
        "demo/r",
        "main",
        &hub.token,
        commit_body("add a", &[file_op("dir/a.txt", b"hello")]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let oid = v["commitOid"].as_str().unwrap().to_string();
    assert_eq!(oid.len(), 40);
    assert_ne!(oid, first);
    assert_eq!(v["commitUrl"], format!("{}/demo/r/commit/{oid}", hub.hub));
    assert_eq!(v["pullRequestUrl"], Value::Null);
    let r = hub
        .get("/demo/r/resolve/main/dir/a.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "x-repo-commit"), Some(oid.as_str()));
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"hello");
    let r = hub
        .get(&format!("/demo/r/resolve/{oid}/dir/a.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "a head commit id names its revision"
    );
    let info: Value = hub
        .get(&format!("/api/models/demo/r/revision/{oid}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sha"], oid);
    let v: Value = hub
        .post_json(
            "/api/models/demo/r/preupload/main",
            json!({"files": [{"path": "dir/a.txt", "sample": "", "size": 5}]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let blob: Vec<Value> = hub
        .post_json(
            "/api/models/demo/r/paths-info/main",
            json!({"paths": ["dir/a.txt"]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["files"][0]["oid"], blob[0]["oid"],
        "remote oid of an existing file"
    );

    // Failing commits change nothing: a missing file to delete, an LFS object never uploaded,
    // no write access.
    let r = commit(
        &hub,
        "demo/r",
        "main",
        &hub.token,
        commit_body("rm", &[("deletedFile", json!({"path": "nope"}))]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&r, "x-error-code"), Some("EntryNotFound"));
    let lfs = (
        "lfsFile",
        json!({"path": "x.bin", "algo": "sha256", "oid": "ab".repeat(32), "size": 1}),
    );
    let r = commit(
        &hub,
        "demo/r",
        "main",
        &hub.token,
        commit_body("lfs", &[lfs]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = commit(
        &hub,
        "demo/r",
        "main",
        BOB,
        commit_body("x", &[file_op("b.txt", b"b")]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = commit(
        &hub,
        "demo/r",
        "nobranch",
        &hub.token,
        commit_body("x", &[file_op("b.txt", b"b")]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&r, "x-error-code"), Some("RevisionNotFound"));
    let r = commit(
        &hub,
        "demo/r",
        "main",
        &hub.token,
        "{\"key\":\"file\"}\n".into(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let info: Value = hub
        .get("/api/models/demo/r")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sha"], oid);

    // Folder delete.
    let r = commit(
        &hub,
        "demo/r",
        "main",
        &hub.token,
        commit_body("rm dir", &[("deletedFolder", json!({"path": "dir/"}))]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = hub
        .get("/demo/r/resolve/main/dir/a.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Delete: 200, then 404.
    let delete = |name: &str| {
        hub.req(Method::DELETE, "/api/repos/delete", Some(&hub.token))
            .json(&json!({"name": name, "type": "model"}))
            .send()
    };
    assert_eq!(delete("r").await.unwrap().status(), StatusCode::OK);
    assert_eq!(delete("r").await.unwrap().status(), StatusCode::NOT_FOUND);
    let r = hub.get("/api/models/demo/r").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn lfs_batch_upload_then_commit() {
    let hub = Hub::start(&[]).await;
    assert_eq!(
        create_repo(&hub, json!({"name": "m"})).await.status(),
        StatusCode::OK
    );
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let oid = sha256(&data);
    let batch = || {
        hub.post_json(
            "/demo/m.git/info/lfs/objects/batch",
            json!({"operation": "upload", "transfers": ["basic", "multipart"], "hash_algo": "sha256",
                   "objects": [{"oid": oid, "size": data.len()}]}),
        )
        .send()
    };
    let r = batch().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["transfer"], "basic");
    let href = v["objects"][0]["actions"]["upload"]["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(href.starts_with(&hub.hub), "{href}");

    // The upload URL takes no Hub token, checks its own, and keeps only the announced bytes.
    let put = |url: String, body: Vec<u8>| hub.http.put(url).body(body).send();
    let tampered = href.replacen("token=xet_", "token=xet_x", 1);
    assert_eq!(
        put(tampered, data.clone()).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let mut wrong = data.clone();
    wrong[7] ^= 1;
    assert_eq!(
        put(href.clone(), wrong).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        put(href.clone(), data.clone()).await.unwrap().status(),
        StatusCode::OK
    );
    let v: Value = batch().await.unwrap().json().await.unwrap();
    assert!(
        v["objects"][0].get("actions").is_none(),
        "already uploaded: {v}"
    );

    let lfs = (
        "lfsFile",
        json!({"path": "w.bin", "algo": "sha256", "oid": oid, "size": data.len()}),
    );
    let r = commit(
        &hub,
        "demo/m",
        "main",
        &hub.token,
        commit_body("add w", &[lfs]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let items: Vec<Value> = hub
        .post_json(
            "/api/models/demo/m/paths-info/main",
            json!({"paths": ["w.bin"]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(items[0]["lfs"]["oid"], oid);
    assert_eq!(items[0]["size"], data.len());
    let r = hub.get("/demo/m/resolve/main/w.bin").send().await.unwrap();
    assert_eq!(
        header(&r, "x-linked-etag"),
        Some(format!("\"{oid}\"").as_str())
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), data.as_slice());
    let r = hub
        .get("/demo/m/resolve/main/w.bin")
        .header("range", "bytes=299990-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[299_990..]);

    // A copy names the object by SHA-256 only (no size).
    let copy = (
        "lfsFile",
        json!({"path": "copy.bin", "algo": "sha256", "oid": oid}),
    );
    let r = commit(
        &hub,
        "demo/m",
        "main",
        &hub.token,
        commit_body("copy", &[copy]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = hub
        .get("/demo/m/resolve/main/copy.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().len(), data.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn branches_and_pull_requests() {
    let hub = Hub::start(&[]).await;
    assert_eq!(
        create_repo(&hub, json!({"name": "p"})).await.status(),
        StatusCode::OK
    );
    let r = commit(
        &hub,
        "demo/p",
        "main",
        &hub.token,
        commit_body("m", &[file_op("m.txt", b"main")]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let branch = |name: &str| {
        hub.post_json(&format!("/api/models/demo/p/branch/{name}"), json!({}))
            .send()
    };
    assert_eq!(branch("dev").await.unwrap().status(), StatusCode::OK);
    assert_eq!(branch("dev").await.unwrap().status(), StatusCode::CONFLICT);
    let r = commit(
        &hub,
        "demo/p",
        "dev",
        &hub.token,
        commit_body("d", &[file_op("d.txt", b"dev")]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let get = |path: &str| hub.get(path).send();
    assert_eq!(
        get("/demo/p/resolve/dev/m.txt").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        get("/demo/p/resolve/main/d.txt").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // `?create_pr=1` commits to a new `refs/pr/<n>` branched from the given revision.
    let r = hub
        .req(
            Method::POST,
            "/api/models/demo/p/commit/main?create_pr=1",
            Some(&hub.token),
        )
        .body(commit_body("pr", &[file_op("pr.txt", b"pr")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["pullRequestUrl"],
        format!("{}/demo/p/discussions/1", hub.hub)
    );
    let r = get("/demo/p/resolve/refs%2Fpr%2F1/pr.txt").await.unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"pr");
    assert_eq!(
        get("/demo/p/resolve/main/pr.txt").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let v: Value = get("/api/models/demo/p/discussions/1")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["isPullRequest"], true);
    assert_eq!(v["title"], "pr");
    assert_eq!(v["changes"]["base"], "refs/heads/main");

    // An explicit pull request (as upload_folder opens one), then a commit to its ref.
    let v: Value = hub
        .post_json(
            "/api/models/demo/p/discussions",
            json!({"title": "t", "description": "", "pullRequest": true}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["num"], 2);
    let r = commit(
        &hub,
        "demo/p",
        "refs%2Fpr%2F2",
        &hub.token,
        commit_body("c", &[file_op("c.txt", b"c")]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        get("/demo/p/resolve/refs%2Fpr%2F2/m.txt")
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let r = hub
        .req(
            Method::DELETE,
            "/api/models/demo/p/branch/dev",
            Some(&hub.token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        get("/demo/p/resolve/dev/m.txt").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_answers_the_official_suite_expects() {
    let hub = Hub::start(&[]).await;
    hub.create_bucket("b", false).await;
    // A bucket route without its namespace: 404, as on the Hub (not 405).
    let r = hub
        .req(Method::DELETE, "/api/buckets/b", Some(&hub.token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Xet tokens come as JSON and as headers.
    let r = hub
        .get("/api/buckets/demo/b/xet-read-token")
        .send()
        .await
        .unwrap();
    let token = header(&r, "x-xet-access-token").unwrap().to_string();
    let cas = header(&r, "x-xet-cas-url").unwrap().to_string();
    let exp = header(&r, "x-xet-token-expiration").unwrap().to_string();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["accessToken"], token);
    assert_eq!(v["casUrl"], cas);
    assert_eq!(v["exp"].to_string(), exp);
}
