//! Repo routes for copy sources (buckets-api.md §14): seeding through the admin API, tree
//! with revision, paths-info (JSON and form), resolve, Xet tokens with revision, and
//! copyFile from a repo into a bucket.

mod common;

use common::{collect_pages, header, Hub, BOB};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// acme/corpus (dataset, main + v1) with a Xet file and two inline files.
async fn seeded() -> (Hub, String, Vec<u8>) {
    let hub = Hub::start(&["--token", &format!("bob:{BOB}:write")]).await;
    let r = hub
        .admin(Method::POST, "/admin/orgs")
        .json(&json!({"name": "acme", "members": [{"user": "demo", "role": "write"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let seed = json!({"type": "dataset", "id": "acme/corpus", "files": []});
    assert_eq!(
        hub.admin(Method::POST, "/admin/repos")
            .json(&seed)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let (hash, data) = hub
        .upload_via(
            "/api/datasets/acme/corpus/xet-write-token/main",
            &hub.token.clone(),
            31,
            9,
        )
        .await;
    let seed = json!({"type": "dataset", "id": "acme/corpus", "files": [
        {"path": "data/train.bin", "xetHash": hash},
        {"path": "README.md", "content": "# corpus\n"},
        {"path": "data/sub/notes.txt", "contentBase64": "aGVsbG8="},
    ]});
    let r = hub
        .admin(Method::POST, "/admin/repos")
        .json(&seed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["files"][0]["size"], data.len() as u64);
    let seed = json!({"type": "datasets", "id": "acme/corpus", "revision": "refs/pr/1", "files": [{"path": "pr.txt", "content": "pr"}]});
    assert_eq!(
        hub.admin(Method::POST, "/admin/repos")
            .json(&seed)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    (hub, hash, data)
}

fn paths(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| {
            format!(
                "{}:{}",
                v["type"].as_str().unwrap(),
                v["path"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn tree_and_paths_info() {
    let (hub, hash, data) = seeded().await;
    let base = format!("{}/api/datasets/acme/corpus/tree/main", hub.hub);
    let (all, _) = collect_pages(&hub, &format!("{base}?recursive=true&expand=false"), None).await;
    assert_eq!(
        paths(&all),
        [
            "file:README.md",
            "directory:data",
            "directory:data/sub",
            "file:data/sub/notes.txt",
            "file:data/train.bin"
        ]
    );
    let xet = all.iter().find(|v| v["path"] == "data/train.bin").unwrap();
    assert_eq!(xet["xetHash"], hash.as_str());
    assert_eq!(xet["size"], data.len() as u64);
    assert_eq!(xet["lfs"]["size"], data.len() as u64);
    assert_eq!(xet["lfs"]["oid"].as_str().unwrap().len(), 64);
    assert!(xet["lfs"]["pointerSize"].as_u64().unwrap() > 100);
    assert_eq!(xet["oid"].as_str().unwrap().len(), 40);
    let readme = all.iter().find(|v| v["path"] == "README.md").unwrap();
    assert!(readme.get("xetHash").is_none() && readme.get("lfs").is_none());
    assert_eq!(
        readme["oid"], "a078f2b59c085c94f2589bf9c662c386dcd9ab55",
        "git blob id of the content"
    );

    // Default is not recursive; a folder path lists its children; pages follow Link.
    let (root, _) = collect_pages(&hub, &base, None).await;
    assert_eq!(paths(&root), ["file:README.md", "directory:data"]);
    let (data_dir, _) = collect_pages(&hub, &format!("{base}/data"), None).await;
    assert_eq!(
        paths(&data_dir),
        ["directory:data/sub", "file:data/train.bin"]
    );
    let (paged, pages) = collect_pages(&hub, &format!("{base}?recursive=true&limit=2"), None).await;
    assert_eq!((paged.len(), pages), (5, 3));
    // Revisions: URL-encoded ref, unknown revision, unknown folder.
    let (pr, _) = collect_pages(
        &hub,
        &format!("{}/api/datasets/acme/corpus/tree/refs%2Fpr%2F1", hub.hub),
        None,
    )
    .await;
    assert_eq!(paths(&pr), ["file:pr.txt"]);
    let r = hub
        .get("/api/datasets/acme/corpus/tree/nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&r, "x-error-code"), Some("RevisionNotFound"));
    let r = hub
        .get("/api/datasets/acme/corpus/tree/main/missing")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "x-error-code"), Some("EntryNotFound"));
    let r = hub
        .get("/api/datasets/acme/nothing/tree/main")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "x-error-code"), Some("RepoNotFound"));

    // paths-info: JSON (JS, xet-core) and form-encoded (Python); folders are returned for repos.
    let r = hub
        .post_json(
            "/api/datasets/acme/corpus/paths-info/main",
            json!({"paths": ["data/train.bin", "data", "nope"], "expand": false}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let items: Vec<Value> = r.json().await.unwrap();
    assert_eq!(paths(&items), ["file:data/train.bin", "directory:data"]);
    assert_eq!(items[0]["xetHash"], hash.as_str());
    let r = hub
        .req(
            Method::POST,
            "/api/datasets/acme/corpus/paths-info/main",
            None,
        )
        .form(&[
            ("paths", "README.md"),
            ("paths", "data/train.bin"),
            ("expand", "True"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        paths(&r.json::<Vec<Value>>().await.unwrap()),
        ["file:README.md", "file:data/train.bin"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn resolve_tokens_and_privacy() {
    let (hub, hash, data) = seeded().await;
    let r = hub
        .req(
            Method::GET,
            "/datasets/acme/corpus/resolve/main/README.md",
            None,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(header(&r, "x-xet-hash").is_none());
    assert_eq!(r.text().await.unwrap(), "# corpus\n");
    let r = hub
        .req(
            Method::GET,
            "/datasets/acme/corpus/resolve/main/data%2Fsub%2Fnotes.txt",
            None,
        )
        .header("range", "bytes=1-2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.text().await.unwrap(), "el");
    let r = hub
        .req(
            Method::HEAD,
            "/datasets/acme/corpus/resolve/main/data/train.bin",
            None,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "x-xet-hash"), Some(hash.as_str()));
    assert_eq!(
        header(&r, "link"),
        Some(
            format!(
                "<{}/api/datasets/acme/corpus/xet-read-token/main>; rel=\"xet-auth\"",
                hub.hub
            )
            .as_str()
        )
    );
    let body = hub
        .req(
            Method::GET,
            "/datasets/acme/corpus/resolve/main/data/train.bin",
            None,
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.as_ref(), data.as_slice());
    let r = hub
        .req(Method::GET, "/datasets/acme/corpus/resolve/main/none", None)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "x-error-code"), Some("EntryNotFound"));
    // Tokens with revision: read for anyone on a public repo, write only for writers.
    assert_eq!(
        hub.req(
            Method::GET,
            "/api/datasets/acme/corpus/xet-read-token/main",
            None
        )
        .send()
        .await
        .unwrap()
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        hub.req(
            Method::GET,
            "/api/datasets/acme/corpus/xet-write-token/main",
            Some(BOB)
        )
        .send()
        .await
        .unwrap()
        .status(),
        StatusCode::FORBIDDEN
    );
    let v: Value = hub
        .get("/api/datasets/acme/corpus/xet-write-token/main?create_pr=1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["casUrl"], hub.cas.as_str());
    // Models resolve without a type prefix.
    let seed = json!({"type": "model", "id": "acme/base", "private": true, "files": [{"path": "w.bin", "xetHash": hash}]});
    assert_eq!(
        hub.admin(Method::POST, "/admin/repos")
            .json(&seed)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let body = hub
        .get("/acme/base/resolve/main/w.bin")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.as_ref(), data.as_slice());
    // Private repo: anonymous 401, other user 404.
    assert_eq!(
        hub.req(Method::GET, "/acme/base/resolve/main/w.bin", None)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        hub.req(Method::GET, "/api/models/acme/base/tree/main", Some(BOB))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let info: Value = hub
        .get("/api/models/acme/base")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["id"], "acme/base");
    // Seeding a hash the CAS does not have is refused.
    let bad = json!({"type": "model", "id": "acme/base", "files": [{"path": "x", "xetHash": "ef".repeat(32)}]});
    assert_eq!(
        hub.admin(Method::POST, "/admin/repos")
            .json(&bad)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_from_repo_into_bucket() {
    let (hub, hash, data) = seeded().await;
    hub.create_bucket("dst", false).await;
    let copy = |kind: &str, id: &str, h: &str, path: &str| json!({"type": "copyFile", "path": path, "xetHash": h, "sourceRepoType": kind, "sourceRepoId": id, "mtime": 1_767_225_600_000i64});
    let readme_oid = {
        let items: Vec<Value> = hub
            .post_json(
                "/api/datasets/acme/corpus/paths-info/main",
                json!({"paths": ["README.md"]}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        items[0]["oid"].as_str().unwrap().to_string()
    };
    let r = hub
        .batch(
            "demo/dst",
            &hub.token,
            &[
                copy("dataset", "acme/corpus", &hash, "corpus/train.bin"),
                copy(
                    "dataset",
                    "acme/corpus",
                    &format!("{readme_oid}{}", "0".repeat(24)),
                    "corpus/README.md",
                ),
                copy("model", "acme/corpus", &hash, "wrong-type.bin"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "partial failure");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["succeeded"], 1);
    let failed: Vec<&str> = v["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["corpus/README.md", "wrong-type.bin"]);
    let items: Vec<Value> = hub
        .post_json(
            "/api/buckets/demo/dst/paths-info",
            json!({"paths": ["corpus/train.bin"]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(items[0]["size"], data.len() as u64);
    let body = hub
        .get("/buckets/demo/dst/resolve/corpus/train.bin")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.as_ref(), data.as_slice());
    // A private repo is not a copy source for someone who cannot read it.
    let seed = json!({"type": "dataset", "id": "acme/corpus", "private": true});
    assert_eq!(
        hub.admin(Method::POST, "/admin/repos")
            .json(&seed)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    hub.req(Method::POST, "/api/buckets/me/b", Some(BOB))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let r = hub
        .batch(
            "bob/b",
            BOB,
            &[copy("dataset", "acme/corpus", &hash, "x.bin")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
