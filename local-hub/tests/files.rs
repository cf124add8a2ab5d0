//! Bucket files (buckets-api.md §7, §9, §10): batch add/copy/delete with real Xet uploads,
//! tree listing and pagination, paths-info, resolve, and 50 concurrent batches.

mod common;

use common::{add_line, collect_pages, header, is_iso_millis, Hub, BOB, EMPTY_HASH, READER};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn batch_add_sizes_from_cas_and_failures() {
    let hub = Hub::start_with_bob_and_reader().await;
    hub.create_bucket("b", false).await;
    let (hash, data) = hub.upload("demo/b", 1, 5).await;
    let unknown = "ab".repeat(32);
    let lines = [
        add_line("ckpt/model.bin", &hash),
        json!({"type": "addFile", "path": "upper.bin", "xetHash": hash.to_uppercase(), "contentType": "application/x-test"}),
        add_line("empty.txt", EMPTY_HASH),
        add_line("missing.bin", &unknown),
        add_line("/bad/path", &hash),
        add_line("short.bin", "abc"),
        json!({"type": "deleteFile", "path": "never-existed"}),
    ];
    let r = hub.batch("demo/b", &hub.token, &lines).await;
    // Some lines took effect: 200 with the failures listed (buckets-api.md §9.4).
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["success"], false);
    assert_eq!(v["processed"], 7);
    assert_eq!(v["succeeded"], 4);
    let failed: Vec<&str> = v["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["missing.bin", "/bad/path", "short.bin"]);
    assert!(v["failed"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["error"].as_str().is_some_and(|e| !e.is_empty())));

    // The lines that did not fail took effect, with the size from the CAS.
    let info: Value = hub
        .get("/api/buckets/demo/b")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["totalFiles"], 3);
    assert_eq!(info["size"], (2 * data.len()) as u64);
    let r = hub
        .post_json(
            "/api/buckets/demo/b/paths-info",
            json!({"paths": ["ckpt/model.bin", "upper.bin", "empty.txt"]}),
        )
        .send()
        .await
        .unwrap();
    let items: Vec<Value> = r.json().await.unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["size"], data.len() as u64);
    assert_eq!(items[0]["xetHash"], hash.as_str());
    assert_eq!(items[0]["mtime"], "2026-01-01T00:00:00.123Z");
    assert_eq!(items[1]["xetHash"], hash.as_str(), "stored lowercase");
    assert_eq!(items[1]["contentType"], "application/x-test");
    assert!(
        items[1].get("mtime").is_none(),
        "no mtime given, none listed"
    );
    assert_eq!(items[2]["size"], 0);

    // A fully good batch is 200; replaying it is harmless.
    let ok = [
        add_line("again.bin", &hash),
        json!({"type": "deleteFile", "path": "upper.bin"}),
    ];
    for _ in 0..2 {
        let r = hub.batch("demo/b", &hub.token, &ok).await;
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        assert_eq!(
            v,
            json!({"success": true, "processed": 2, "succeeded": 2, "failed": []})
        );
    }
    // Overwrite replaces hash and size.
    let r = hub
        .batch("demo/b", &hub.token, &[add_line("again.bin", EMPTY_HASH)])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let items: Vec<Value> = hub
        .post_json(
            "/api/buckets/demo/b/paths-info",
            json!({"paths": ["again.bin"]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(items[0]["size"], 0);
    // Deleting everything keeps the bucket.
    let names = ["ckpt/model.bin", "empty.txt", "again.bin"];
    let dels: Vec<Value> = names
        .iter()
        .map(|p| json!({"type": "deleteFile", "path": p}))
        .collect();
    assert_eq!(
        hub.batch("demo/b", &hub.token, &dels).await.status(),
        StatusCode::OK
    );
    let info: Value = hub
        .get("/api/buckets/demo/b")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (info["totalFiles"].as_u64(), info["size"].as_u64()),
        (Some(0), Some(0))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_request_errors() {
    let hub = Hub::start_with_bob_and_reader().await;
    hub.create_bucket("b", true).await;
    let post = |token: Option<&str>, body: String| {
        hub.req(Method::POST, "/api/buckets/demo/b/batch", token)
            .header("content-type", "application/x-ndjson")
            .body(body)
    };
    let line = format!("{}", add_line("a", EMPTY_HASH));
    // No final newline (JS) is fine.
    assert_eq!(
        post(Some(&hub.token), line.clone())
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    for bad in [
        "not json\n".to_string(),
        "{\"type\":\"moveFile\",\"path\":\"a\"}\n".into(),
        "[1]\n".into(),
        "{\"type\":\"addFile\",\"path\":\"a\"}\n".into(),
    ] {
        let r = post(Some(&hub.token), bad.clone()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(header(&r, "x-error-message").is_some());
    }
    let many: String = (0..1001)
        .map(|i| format!("{{\"type\":\"deleteFile\",\"path\":\"f{i}\"}}\n"))
        .collect();
    assert_eq!(
        post(Some(&hub.token), many).send().await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let thousand: String = (0..1000)
        .map(|i| format!("{{\"type\":\"deleteFile\",\"path\":\"f{i}\"}}\n"))
        .collect();
    assert_eq!(
        post(Some(&hub.token), thousand)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        post(Some(READER), line.clone())
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(Some(BOB), line.clone()).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(None, line.clone()).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let r = hub
        .req(
            Method::POST,
            "/api/buckets/demo/nope/batch",
            Some(&hub.token),
        )
        .body(line)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&r, "x-error-code"), Some("RepoNotFound"));
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_between_buckets() {
    let hub = Hub::start_with_bob_and_reader().await;
    hub.create_bucket("src", false).await;
    hub.create_bucket("dst", false).await;
    let (hash, data) = hub.upload("demo/src", 7, 3).await;
    assert_eq!(
        hub.batch("demo/src", &hub.token, &[add_line("a/x.bin", &hash)])
            .await
            .status(),
        StatusCode::OK
    );
    let copy = |src: &str, h: &str, path: &str| json!({"type": "copyFile", "path": path, "xetHash": h, "sourceRepoType": "bucket", "sourceRepoId": src, "mtime": 5});
    let r = hub
        .batch(
            "demo/dst",
            &hub.token,
            &[
                copy("demo/src", &hash, "c/x.bin"),
                copy("demo/src", &"cd".repeat(32), "c/y.bin"),
                copy("demo/ghost", &hash, "c/z.bin"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "partial failure");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["succeeded"], 1);
    assert_eq!(v["failed"][0]["path"], "c/y.bin");
    assert_eq!(v["failed"][1]["path"], "c/z.bin");
    let items: Vec<Value> = hub
        .post_json(
            "/api/buckets/demo/dst/paths-info",
            json!({"paths": ["c/x.bin"]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(items[0]["size"], data.len() as u64);
    assert_eq!(items[0]["mtime"], "1970-01-01T00:00:00.005Z");
    // Copy within the same bucket (rename = add + delete) and from a private bucket of another user.
    let r = hub
        .batch(
            "demo/src",
            &hub.token,
            &[
                copy("demo/src", &hash, "b/x.bin"),
                json!({"type": "deleteFile", "path": "a/x.bin"}),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = hub
        .req(Method::POST, "/api/buckets/me/mine", Some(BOB))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    hub.req(
        Method::PUT,
        "/api/buckets/demo/src/settings",
        Some(&hub.token),
    )
    .json(&json!({"private": true}))
    .send()
    .await
    .unwrap();
    let r = hub
        .batch("bob/mine", BOB, &[copy("demo/src", &hash, "stolen.bin")])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "no read access to the source"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tree_listing_modes_and_pagination() {
    let hub = Hub::start_with_bob_and_reader().await;
    hub.create_bucket("t", false).await;
    let paths = [
        "README.md",
        "data/a.txt",
        "data/b.txt",
        "data/sub/c.txt",
        "data_old/x",
        "logs.txt",
        "z/y/x/w.bin",
    ];
    let lines: Vec<Value> = paths.iter().map(|p| add_line(p, EMPTY_HASH)).collect();
    assert_eq!(
        hub.batch("demo/t", &hub.token, &lines).await.status(),
        StatusCode::OK
    );

    let list = |q: &str| {
        let hub = &hub;
        let url = format!("{}/api/buckets/demo/t/tree{q}", hub.hub);
        async move { collect_pages(hub, &url, None).await.0 }
    };
    let names = |items: &[Value]| {
        items
            .iter()
            .map(|v| {
                format!(
                    "{}:{}",
                    v["type"].as_str().unwrap(),
                    v["path"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };

    // Recursive (explicit and default): files only, plain string prefix.
    let all = list("?recursive=true").await;
    assert_eq!(all.len(), paths.len());
    assert!(all
        .iter()
        .all(|v| v["type"] == "file" && v["size"] == 0 && v["xetHash"] == EMPTY_HASH));
    assert!(all
        .iter()
        .all(|v| is_iso_millis(v["uploadedAt"].as_str().unwrap())
            && is_iso_millis(v["mtime"].as_str().unwrap())));
    assert_eq!(names(&list("").await), names(&all));
    assert_eq!(names(&list("?recursive=1").await), names(&all));
    assert_eq!(
        names(&list("/data?recursive=true").await),
        [
            "file:data/a.txt",
            "file:data/b.txt",
            "file:data/sub/c.txt",
            "file:data_old/x"
        ]
    );
    assert_eq!(
        names(&list("/data%2Fsub?recursive=true").await),
        ["file:data/sub/c.txt"]
    );
    assert_eq!(
        names(&list("/data/?recursive=true").await),
        ["file:data/a.txt", "file:data/b.txt", "file:data/sub/c.txt"]
    );

    // Non-recursive: direct children with directory entries; the folder itself is not listed.
    assert_eq!(
        names(&list("?recursive=false").await),
        [
            "file:README.md",
            "directory:data",
            "directory:data_old",
            "file:logs.txt",
            "directory:z"
        ]
    );
    assert_eq!(
        names(&list("/data?recursive=0").await),
        ["file:data/a.txt", "file:data/b.txt", "directory:data/sub"]
    );
    assert_eq!(
        names(&list("/z/y?recursive=false").await),
        ["directory:z/y/x"]
    );
    let dirs = list("?recursive=false").await;
    let dir = dirs.iter().find(|v| v["path"] == "data").unwrap();
    assert!(is_iso_millis(dir["uploadedAt"].as_str().unwrap()));
    assert!(dir.get("size").is_none() && dir.get("xetHash").is_none());

    // No match / empty bucket: 200 [].
    assert!(list("/nothing?recursive=true").await.is_empty());
    hub.create_bucket("empty", false).await;
    let r = hub
        .get("/api/buckets/demo/empty/tree")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), json!([]));
    assert_eq!(
        hub.get("/api/buckets/demo/t/tree?recursive=maybe")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );

    // Pagination: limit=2 gives 4 pages, the next link keeps limit and recursive.
    let r = hub
        .get("/api/buckets/demo/t/tree?recursive=true&limit=2&expand=true")
        .send()
        .await
        .unwrap();
    let link = header(&r, "link").unwrap().to_string();
    assert!(
        link.starts_with(&format!(
            "<{}/api/buckets/demo/t/tree?recursive=true&limit=2&cursor=",
            hub.hub
        )),
        "{link}"
    );
    let (items, pages) = collect_pages(
        &hub,
        &format!("{}/api/buckets/demo/t/tree?recursive=true&limit=2", hub.hub),
        None,
    )
    .await;
    assert_eq!((items.len(), pages), (7, 4));
    assert_eq!(names(&items), names(&all));
    // Exactly a multiple of the page: the last full page has no next link (no empty page).
    let (items, pages) = collect_pages(
        &hub,
        &format!(
            "{}/api/buckets/demo/t/tree/data?recursive=true&limit=2",
            hub.hub
        ),
        None,
    )
    .await;
    assert_eq!((items.len(), pages), (4, 2));
    let (items, _) = collect_pages(
        &hub,
        &format!(
            "{}/api/buckets/demo/t/tree?recursive=false&limit=1",
            hub.hub
        ),
        None,
    )
    .await;
    assert_eq!(items.len(), 5);
    // Cursor format: base64 of {"path": <last path>}.
    let cursor = link
        .split("cursor=")
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap()
        .replace("%3D", "=");
    assert_eq!(cursor, "eyJwYXRoIjoiZGF0YS9hLnR4dCJ9");
}

#[tokio::test(flavor = "multi_thread")]
async fn tree_default_page_is_1000() {
    let hub = Hub::start_with_bob_and_reader().await;
    hub.create_bucket("big", false).await;
    for chunk in 0..2 {
        let lines: Vec<Value> = (0..1000)
            .map(|i| add_line(&format!("f/{:05}", chunk * 1000 + i), EMPTY_HASH))
            .collect();
        assert_eq!(
            hub.batch("demo/big", &hub.token, &lines).await.status(),
            StatusCode::OK
        );
    }
    let r = hub
        .get("/api/buckets/demo/big/tree?recursive=true")
        .send()
        .await
        .unwrap();
    assert!(header(&r, "link").unwrap().contains("limit=1000"));
    assert_eq!(r.json::<Vec<Value>>().await.unwrap().len(), 1000);
    let (items, pages) = collect_pages(
        &hub,
        &format!("{}/api/buckets/demo/big/tree", hub.hub),
        None,
    )
    .await;
    assert_eq!((items.len(), pages), (2000, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn paths_info_shapes() {
    let hub = Hub::start_with_bob_and_reader().await;
    hub.create_bucket("p", true).await;
    hub.batch(
        "demo/p",
        &hub.token,
        &[
            add_line("dir/a.txt", EMPTY_HASH),
            add_line("b.txt", EMPTY_HASH),
        ],
    )
    .await;
    let r = hub
        .post_json(
            "/api/buckets/demo/p/paths-info",
            json!({"paths": ["b.txt", "dir", "dir/a.txt", "nope", "b.txt"], "expand": false}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let items: Vec<Value> = r.json().await.unwrap();
    let paths: Vec<&str> = items.iter().map(|v| v["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        ["b.txt", "dir/a.txt"],
        "missing and folder paths are left out"
    );
    assert!(items
        .iter()
        .all(|v| v["type"] == "file" && v["size"].is_u64() && v["xetHash"].is_string()));
    // Form-encoded body is accepted as well.
    let r = hub
        .req(
            Method::POST,
            "/api/buckets/demo/p/paths-info",
            Some(&hub.token),
        )
        .form(&[("paths", "b.txt"), ("paths", "dir/a.txt")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Vec<Value>>().await.unwrap().len(), 2);
    // Errors.
    let too_many: Vec<String> = (0..1001).map(|i| format!("f{i}")).collect();
    assert_eq!(
        hub.post_json("/api/buckets/demo/p/paths-info", json!({"paths": too_many}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        hub.post_json("/api/buckets/demo/p/paths-info", json!({"nope": 1}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        hub.req(Method::POST, "/api/buckets/demo/p/paths-info", None)
            .json(&json!({"paths": []}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        hub.req(Method::POST, "/api/buckets/demo/p/paths-info", Some(BOB))
            .json(&json!({"paths": []}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn resolve_head_get_range_fileinfo() {
    let hub = Hub::start_with_bob_and_reader().await;
    hub.create_bucket("r", false).await;
    let (hash, data) = hub.upload("demo/r", 3, 40).await;
    let lines = [
        json!({"type": "addFile", "path": "dir/a b.bin", "xetHash": hash, "mtime": 1_767_225_600_000i64}),
        add_line("empty", EMPTY_HASH),
    ];
    assert_eq!(
        hub.batch("demo/r", &hub.token, &lines).await.status(),
        StatusCode::OK
    );
    let size = data.len() as u64;
    let token_url = format!("{}/api/buckets/demo/r/xet-read-token", hub.hub);

    // Python encodes the whole path (%2F), JS sends it raw, HfFileSystem keeps '/'.
    for path in ["dir%2Fa%20b.bin", "dir/a%20b.bin"] {
        let r = hub
            .req(
                Method::HEAD,
                &format!("/buckets/demo/r/resolve/{path}"),
                None,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&r, "content-length"),
            Some(size.to_string().as_str())
        );
        assert_eq!(header(&r, "x-linked-size"), Some(size.to_string().as_str()));
        assert_eq!(header(&r, "x-xet-hash"), Some(hash.as_str()));
        assert_eq!(header(&r, "etag"), Some(format!("\"{hash}\"").as_str()));
        assert_eq!(
            header(&r, "x-linked-etag"),
            Some(format!("\"{hash}\"").as_str())
        );
        assert_eq!(header(&r, "accept-ranges"), Some("bytes"));
        assert_eq!(
            header(&r, "last-modified"),
            Some("Thu, 01 Jan 2026 00:00:00 GMT")
        );
        assert_eq!(
            header(&r, "link"),
            Some(format!("<{token_url}>; rel=\"xet-auth\"").as_str())
        );
    }
    // GET whole file and ranges.
    let r = hub
        .req(Method::GET, "/buckets/demo/r/resolve/dir/a b.bin", None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), data.as_slice());
    for (range, start, end) in [
        ("bytes=0-0", 0u64, 1u64),
        ("bytes=5000-70000", 5000, 70001),
        ("bytes=100-", 100, size),
        ("bytes=-10", size - 10, size),
    ] {
        let r = hub
            .req(Method::GET, "/buckets/demo/r/resolve/dir%2Fa%20b.bin", None)
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            header(&r, "content-range"),
            Some(format!("bytes {start}-{}/{size}", end - 1).as_str())
        );
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            &data[start as usize..end as usize],
            "{range}"
        );
    }
    let r = hub
        .req(Method::GET, "/buckets/demo/r/resolve/dir/a b.bin", None)
        .header("range", format!("bytes={size}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        header(&r, "content-range"),
        Some(format!("bytes */{size}").as_str())
    );
    // Empty file: 200 empty, any Range 416.
    let r = hub
        .req(Method::GET, "/buckets/demo/r/resolve/empty", None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().is_empty());
    let r = hub
        .req(Method::GET, "/buckets/demo/r/resolve/empty", None)
        .header("range", "bytes=0-0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    // Conditional GET.
    let r = hub
        .req(Method::GET, "/buckets/demo/r/resolve/dir/a b.bin", None)
        .header("if-none-match", format!("\"{hash}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    // Xet file info.
    let r = hub
        .req(Method::GET, "/buckets/demo/r/resolve/dir/a b.bin", None)
        .header("accept", "application/vnd.xet-fileinfo+json")
        .header("range", "bytes=0-0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        header(&r, "content-type"),
        Some("application/vnd.xet-fileinfo+json")
    );
    let link = header(&r, "link").unwrap().to_string();
    assert_eq!(link, format!("<{token_url}>; rel=\"xet-auth\", <{}/v1/reconstructions/{hash}>; rel=\"xet-reconstruction-info\"", hub.cas));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["hash"], hash.as_str());
    assert_eq!(v["size"], size);
    assert_eq!(v["refreshUrl"], token_url.as_str());
    // Missing file / bucket.
    let r = hub
        .req(Method::HEAD, "/buckets/demo/r/resolve/nope", None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&r, "x-error-code"), Some("EntryNotFound"));
    let r = hub
        .req(
            Method::GET,
            "/buckets/demo/none/resolve/x",
            Some(&hub.token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&r, "x-error-code"), Some("RepoNotFound"));
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_batches_lose_nothing() {
    let hub = Hub::start_with_bob_and_reader().await;
    hub.create_bucket("c", false).await;
    let (hash, data) = hub.upload("demo/c", 9, 2).await;
    let mut tasks = Vec::new();
    for batch in 0..50 {
        let url = format!("{}/api/buckets/demo/c/batch", hub.hub);
        let http = hub.http.clone();
        let token = hub.token.clone();
        let hash = hash.clone();
        tasks.push(tokio::spawn(async move {
            let body: String = (0..20)
                .map(|i| format!("{}\n", add_line(&format!("b{batch:02}/f{i:02}"), &hash)))
                .collect();
            http.post(url)
                .bearer_auth(token)
                .header("content-type", "application/x-ndjson")
                .body(body)
                .send()
                .await
                .map(|r| r.status())
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), StatusCode::OK);
    }
    let info: Value = hub
        .get("/api/buckets/demo/c")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["totalFiles"], 1000);
    assert_eq!(info["size"], 1000 * data.len() as u64);
    let (items, _) = collect_pages(
        &hub,
        &format!("{}/api/buckets/demo/c/tree?recursive=true", hub.hub),
        None,
    )
    .await;
    assert_eq!(items.len(), 1000);
}

/// The path and name rules are the client's (the shared `hub-names` crate): control and bidi
/// characters, over-long paths and `.git` names are refused here too (issue 10).
#[tokio::test(flavor = "multi_thread")]
async fn paths_and_names_follow_the_shared_rules() {
    let hub = Hub::start(&[]).await;
    hub.create_bucket("rules", false).await;
    let long = format!("{}.bin", "p".repeat(1100));
    let bad = [
        "new\nline.txt",
        "evil\u{202E}txt.exe",
        "a\u{2066}b",
        long.as_str(),
    ];
    let mut lines: Vec<Value> = bad.iter().map(|p| add_line(p, EMPTY_HASH)).collect();
    lines.push(add_line("fine.txt", EMPTY_HASH));
    let r = hub.batch("demo/rules", &hub.token, &lines).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let failed: Vec<&str> = v["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(failed, bad.to_vec());
    for name in ["a.git", "W.GIT"] {
        let r = hub
            .post_json(&format!("/api/buckets/me/{name}"), json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{name}");
    }
}
