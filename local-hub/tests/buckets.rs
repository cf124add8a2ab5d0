//! Bucket management routes (buckets-api.md §2, §4, §5, §6): whoami, create, info, list,
//! delete, settings, move; auth, visibility, scopes, error headers and CORS.

mod common;

use common::{collect_pages, header, is_iso_millis, Hub, BOB, READER};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn whoami_and_auth_errors() {
    let hub = Hub::start_with_bob_and_reader().await;
    let r = hub.get("/api/whoami-v2").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(header(&r, "x-request-id").is_some());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "demo");
    assert_eq!(v["type"], "user");
    assert!(v["orgs"].is_array());
    assert_eq!(v["auth"]["accessToken"]["role"], "write");
    assert!(is_iso_millis(
        v["auth"]["accessToken"]["createdAt"].as_str().unwrap()
    ));

    let r = hub
        .req(Method::GET, "/api/whoami-v2", Some(READER))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["auth"]["accessToken"]["role"], "read");

    let r = hub
        .req(Method::GET, "/api/whoami-v2", None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // X-Amzn-Trace-Id is echoed inside X-Request-Id (§2.1).
    let r = hub
        .get("/api/whoami-v2")
        .header("x-amzn-trace-id", "client-uuid-1")
        .send()
        .await
        .unwrap();
    let id = header(&r, "x-request-id").unwrap();
    assert!(
        id.starts_with("Root=1-") && id.ends_with(";client-uuid-1"),
        "{id}"
    );

    // An unknown token is 401 with the exact message Python compares against, on any route.
    for path in ["/api/whoami-v2", "/api/buckets/demo"] {
        let r = hub
            .req(Method::GET, path, Some("hf_nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            header(&r, "x-error-message"),
            Some("Invalid credentials in Authorization header")
        );
        assert_eq!(header(&r, "x-error-code"), None);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "Invalid credentials in Authorization header");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_variants_and_conflict() {
    let hub = Hub::start_with_bob_and_reader().await;
    // `me` resolves to the caller; the url starts with the endpoint the client used.
    let r = hub
        .post_json("/api/buckets/me/ckpts", json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["url"], format!("{}/buckets/demo/ckpts", hub.hub));
    assert_eq!(v["id"], "demo/ckpts");
    assert_eq!(v["name"], "demo/ckpts");

    // Empty body and an explicit namespace.
    let r = hub
        .req(
            Method::POST,
            "/api/buckets/demo/empty-body",
            Some(&hub.token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // 409 carries url.
    let r = hub
        .post_json("/api/buckets/demo/ckpts", json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["url"], format!("{}/buckets/demo/ckpts", hub.hub));
    assert!(v["error"].is_string());

    // `visibility` (JS) and `private` (Python, Rust) both work.
    hub.post_json("/api/buckets/me/vis", json!({"visibility": "private"}))
        .send()
        .await
        .unwrap();
    hub.post_json("/api/buckets/me/priv", json!({"private": true}))
        .send()
        .await
        .unwrap();
    hub.post_json("/api/buckets/me/pub", json!({"visibility": "public"}))
        .send()
        .await
        .unwrap();
    for (name, private) in [
        ("vis", true),
        ("priv", true),
        ("pub", false),
        ("ckpts", false),
    ] {
        let v: Value = hub
            .get(&format!("/api/buckets/demo/{name}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["private"], private, "{name}");
    }
    let r = hub
        .post_json(
            "/api/buckets/me/reg",
            json!({"region": "eu", "resourceGroupId": "abc"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // 400: bad name, bad option, non-object body.
    for (path, body) in [
        ("/api/buckets/me/bad--name", json!({})),
        ("/api/buckets/me/ok", json!({"region": "mars"})),
        ("/api/buckets/me/ok", json!({"private": "yes"})),
        ("/api/buckets/me/ok", json!([1])),
    ] {
        let r = hub.post_json(path, body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(header(&r, "x-error-message").is_some());
    }
    // 401 anonymous, 403 read token, 403 other namespace, 404 unknown namespace.
    let r = hub
        .req(Method::POST, "/api/buckets/demo/x", None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = hub
        .req(Method::POST, "/api/buckets/me/x", Some(READER))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = hub
        .post_json("/api/buckets/bob/x", json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = hub
        .post_json("/api/buckets/nobody/x", json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn info_fields_and_visibility() {
    let hub = Hub::start_with_bob_and_reader().await;
    hub.create_bucket("secret", true).await;
    hub.create_bucket("open", false).await;
    let r = hub.get("/api/buckets/demo/secret").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["id"], "demo/secret");
    assert_eq!(v["private"], true);
    assert_eq!(v["size"], 0);
    assert_eq!(v["totalFiles"], 0);
    assert_eq!(v["repoType"], "bucket");
    assert_eq!(v["author"], "demo");
    assert!(is_iso_millis(v["createdAt"].as_str().unwrap()));
    assert!(is_iso_millis(v["updatedAt"].as_str().unwrap()));

    // A read token of the owner sees it.
    let r = hub
        .req(Method::GET, "/api/buckets/demo/secret", Some(READER))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Anonymous: 401 (+RepoNotFound); other user: 404 RepoNotFound; the same for a missing one.
    for path in ["/api/buckets/demo/secret", "/api/buckets/demo/missing"] {
        let r = hub.req(Method::GET, path, None).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(header(&r, "x-error-code"), Some("RepoNotFound"));
        let r = hub.req(Method::GET, path, Some(BOB)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(header(&r, "x-error-code"), Some("RepoNotFound"));
        assert_eq!(header(&r, "x-error-message"), Some("Repository not found"));
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "Repository not found");
    }
    // Public buckets are readable anonymously and by others.
    assert_eq!(
        hub.req(Method::GET, "/api/buckets/demo/open", None)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        hub.req(Method::GET, "/api/buckets/demo/open", Some(BOB))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // A bare name is the list route of a namespace that does not exist (§3.1).
    assert_eq!(
        hub.get("/api/buckets/open").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_search_pagination_and_privacy() {
    let hub = Hub::start_with_bob_and_reader().await;
    for i in 0..5 {
        hub.create_bucket(&format!("b{i}"), i % 2 == 0).await;
    }
    hub.create_bucket("other", false).await;
    let (all, _) = collect_pages(
        &hub,
        &format!("{}/api/buckets/me", hub.hub),
        Some(&hub.token),
    )
    .await;
    assert_eq!(all.len(), 6);
    for item in &all {
        assert!(
            item["id"].is_string() && item["private"].is_boolean() && item["totalFiles"].is_u64()
        );
    }
    // Pages of 2 follow Link until done; never an empty page with a next link.
    let (paged, pages) = collect_pages(
        &hub,
        &format!("{}/api/buckets/demo?limit=2", hub.hub),
        Some(&hub.token),
    )
    .await;
    assert_eq!(pages, 3);
    let ids: Vec<&str> = paged.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "demo/b0",
            "demo/b1",
            "demo/b2",
            "demo/b3",
            "demo/b4",
            "demo/other"
        ]
    );
    // Link format: absolute URL, `; rel="next"`, limit and search kept.
    let r = hub
        .get("/api/buckets/demo?limit=1&search=b")
        .send()
        .await
        .unwrap();
    let link = header(&r, "link").unwrap().to_string();
    assert!(
        link.starts_with(&format!(
            "<{}/api/buckets/demo?search=b&limit=1&cursor=",
            hub.hub
        )),
        "{link}"
    );
    assert!(link.ends_with(">; rel=\"next\""), "{link}");
    // Search filters by name.
    let (found, _) = collect_pages(
        &hub,
        &format!("{}/api/buckets/demo?search=OTH", hub.hub),
        Some(&hub.token),
    )
    .await;
    assert_eq!(found.len(), 1);
    // Others and anonymous see only public buckets.
    let (public, _) =
        collect_pages(&hub, &format!("{}/api/buckets/demo", hub.hub), Some(BOB)).await;
    assert_eq!(public.len(), 3);
    let (anon, _) = collect_pages(&hub, &format!("{}/api/buckets/demo", hub.hub), None).await;
    assert_eq!(anon.len(), 3);
    // `me` needs a user; unknown namespace is 404.
    assert_eq!(
        hub.req(Method::GET, "/api/buckets/me", None)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        hub.get("/api/buckets/ghost").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        hub.get("/api/buckets/demo?limit=0")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_settings_and_move() {
    let hub = Hub::start_with_bob_and_reader().await;
    hub.create_bucket("a", false).await;
    hub.create_bucket("taken", false).await;
    // Delete: read token 403, other user 403 on public, then 200, then 404.
    let path = "/api/buckets/demo/a";
    assert_eq!(
        hub.req(Method::DELETE, path, Some(READER))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        hub.req(Method::DELETE, path, Some(BOB))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        hub.req(Method::DELETE, path, Some(&hub.token))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let r = hub
        .req(Method::DELETE, path, Some(&hub.token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&r, "x-error-code"), Some("RepoNotFound"));

    // Settings flip visibility.
    hub.create_bucket("s", false).await;
    let r = hub
        .req(
            Method::PUT,
            "/api/buckets/demo/s/settings",
            Some(&hub.token),
        )
        .json(&json!({"private": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = hub
        .get("/api/buckets/demo/s")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["private"], true);
    let r = hub
        .req(Method::PUT, "/api/buckets/demo/s/settings", Some(READER))
        .json(&json!({"private": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Move: rename works at once, old id is gone.
    let mv = |from: &str, to: &str| json!({"fromRepo": from, "toRepo": to, "type": "bucket"});
    let r = hub
        .post_json("/api/repos/move", mv("demo/s", "demo/s2"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = hub
        .get("/api/buckets/demo/s2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["id"], "demo/s2");
    assert_eq!(v["private"], true);
    assert_eq!(
        hub.get("/api/buckets/demo/s")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    // 409 target exists, 404 source missing (RepoNotFound), 403 foreign target namespace, 400 bad id.
    assert_eq!(
        hub.post_json("/api/repos/move", mv("demo/s2", "demo/taken"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::CONFLICT
    );
    let r = hub
        .post_json("/api/repos/move", mv("demo/none", "demo/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&r, "x-error-code"), Some("RepoNotFound"));
    assert_eq!(
        hub.post_json("/api/repos/move", mv("demo/s2", "bob/s2"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        hub.post_json("/api/repos/move", mv("demo/s2", "nope"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    // Bob cannot move demo's bucket (hidden: private) — 404.
    let r = hub
        .req(Method::POST, "/api/repos/move", Some(BOB))
        .json(&mv("demo/s2", "bob/s2"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn org_membership_rules() {
    let hub = Hub::start_with_bob_and_reader().await;
    let add_org = hub
        .admin(Method::POST, "/admin/orgs")
        .json(&json!({"name": "acme", "members": [{"user": "demo", "role": "write"}, {"user": "bob", "role": "read"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(add_org.status(), StatusCode::OK);
    let r = hub
        .post_json("/api/buckets/acme/shared", json!({"private": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Bob (read member) sees it but cannot write.
    assert_eq!(
        hub.req(Method::GET, "/api/buckets/acme/shared", Some(BOB))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let r = hub
        .req(
            Method::GET,
            "/api/buckets/acme/shared/xet-write-token",
            Some(BOB),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v: Value = hub
        .req(Method::GET, "/api/whoami-v2", Some(BOB))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["orgs"][0]["name"], "acme");
    // Admin API requires the admin token.
    let r = hub
        .req(Method::POST, "/admin/orgs", Some(&hub.token))
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn xet_token_routes() {
    let hub = Hub::start_with_bob_and_reader().await;
    hub.create_bucket("t", true).await;
    let r = hub
        .get("/api/buckets/demo/t/xet-write-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["casUrl"], hub.cas.as_str());
    assert!(v["accessToken"]
        .as_str()
        .is_some_and(|t| !t.is_empty() && !t.contains(&hub.token)));
    let exp = v["exp"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(exp > now + 60 && exp < now + 7200, "exp in seconds: {exp}");
    // Every call gives a fresh token.
    let v2: Value = hub
        .get("/api/buckets/demo/t/xet-write-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(v["accessToken"], v2["accessToken"]);
    // Read token: owner's read token ok; write token with a read Hub token: 403; hidden: 404/401.
    assert_eq!(
        hub.req(
            Method::GET,
            "/api/buckets/demo/t/xet-read-token",
            Some(READER)
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
            "/api/buckets/demo/t/xet-write-token",
            Some(READER)
        )
        .send()
        .await
        .unwrap()
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        hub.req(Method::GET, "/api/buckets/demo/t/xet-read-token", Some(BOB))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        hub.req(Method::GET, "/api/buckets/demo/t/xet-read-token", None)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // Public bucket: anonymous read token is fine, write is 401.
    hub.create_bucket("pub", false).await;
    assert_eq!(
        hub.req(Method::GET, "/api/buckets/demo/pub/xet-read-token", None)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        hub.req(Method::GET, "/api/buckets/demo/pub/xet-write-token", None)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        hub.req(
            Method::GET,
            "/api/buckets/demo/pub/xet-write-token",
            Some(BOB)
        )
        .send()
        .await
        .unwrap()
        .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_on_hub_and_cas() {
    let hub = Hub::start_with_bob_and_reader().await;
    for base in [&hub.hub, &hub.cas] {
        // Preflight allows the needed headers and echoes extra requested ones.
        let r = hub
            .http
            .request(Method::OPTIONS, format!("{base}/api/buckets/demo/x/batch"))
            .header("origin", "http://127.0.0.1:9")
            .header("access-control-request-method", "POST")
            .header("access-control-request-private-network", "true")
            .header(
                "access-control-request-headers",
                "authorization,content-type,range,x-xet-session-id,x-custom",
            )
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{base}");
        // Any origin, never with credentials; no Private Network Access grant unless
        // `--allow-private-network`.
        assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
        assert_eq!(header(&r, "access-control-allow-credentials"), None);
        let allow = header(&r, "access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase();
        for h in [
            "authorization",
            "content-type",
            "range",
            "x-xet-session-id",
            "x-custom",
        ] {
            assert!(allow.contains(h), "{base}: {h} not in {allow}");
        }
        assert!(header(&r, "access-control-allow-methods")
            .unwrap()
            .contains("DELETE"));
        assert_eq!(
            header(&r, "access-control-allow-private-network"),
            None,
            "{base}"
        );
    }
    // Actual responses expose the spec's header list, also on errors and on the CAS front.
    let r = hub
        .req(Method::GET, "/api/buckets/demo/none", None)
        .header("origin", "http://x.test")
        .send()
        .await
        .unwrap();
    let expose = header(&r, "access-control-expose-headers")
        .unwrap()
        .to_string();
    for h in [
        "X-Repo-Commit",
        "X-Request-Id",
        "X-Error-Code",
        "X-Error-Message",
        "X-Total-Count",
        "ETag",
        "Link",
        "Accept-Ranges",
        "Content-Range",
        "X-Xet-Access-Token",
        "X-Xet-Token-Expiration",
        "X-Xet-Refresh-Route",
        "X-Xet-Cas-Url",
        "X-Xet-Hash",
        "Content-Length",
        "Retry-After",
    ] {
        assert!(expose.split(',').any(|e| e == h), "{h} not exposed");
    }
    assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&r, "access-control-allow-credentials"), None);
    let r = hub
        .http
        .get(format!(
            "{}/v1/reconstructions/{}",
            hub.cas,
            common::EMPTY_HASH
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
    assert!(header(&r, "access-control-expose-headers").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn private_network_access_only_when_asked() {
    let hub = Hub::start(&["--allow-private-network"]).await;
    for base in [&hub.hub, &hub.cas] {
        let r = hub
            .http
            .request(Method::OPTIONS, format!("{base}/api/whoami-v2"))
            .header("origin", "https://public.example")
            .header("access-control-request-method", "GET")
            .header("access-control-request-private-network", "true")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{base}");
        assert_eq!(
            header(&r, "access-control-allow-private-network"),
            Some("true"),
            "{base}"
        );
        assert_eq!(header(&r, "access-control-allow-credentials"), None);
    }
}
