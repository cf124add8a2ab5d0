//! The CAS front (xet-protocol.md §6): token checks (missing, invalid, expired, revoked,
//! read-for-write → 401), hidden simulation routes, upload grants off, and reconstruction
//! fetch URLs pointing back at the front.

mod common;

use std::time::Duration;

use common::{add_line, header, Hub};
use reqwest::{Method, StatusCode};
use serde_json::Value;

async fn cas_status(
    hub: &Hub,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> StatusCode {
    let mut request = hub
        .http
        .request(method, format!("{}{path}", hub.cas))
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread")]
async fn token_checks() {
    let hub = Hub::start(&[]).await;
    hub.create_bucket("b", false).await;
    let (hash, _) = hub.upload("demo/b", 1, 3).await;
    assert_eq!(
        hub.batch("demo/b", &hub.token, &[add_line("f", &hash)])
            .await
            .status(),
        StatusCode::OK
    );
    let (read, _, _) = hub
        .cas_token("/api/buckets/demo/b/xet-read-token", &hub.token)
        .await;
    let (write, _, _) = hub
        .cas_token("/api/buckets/demo/b/xet-write-token", &hub.token)
        .await;
    let recon = format!("/v1/reconstructions/{hash}");
    let xorb = format!("/v1/xorbs/default/{}", "12".repeat(32));

    assert_eq!(
        cas_status(&hub, Method::GET, &recon, Some(&read), vec![]).await,
        StatusCode::OK
    );
    assert_eq!(
        cas_status(
            &hub,
            Method::GET,
            &format!("/v2/reconstructions/{hash}"),
            Some(&write),
            vec![]
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        cas_status(
            &hub,
            Method::HEAD,
            &format!("/v1/files/{hash}"),
            Some(&read),
            vec![]
        )
        .await,
        StatusCode::OK
    );
    // No token, garbage, a Hub token, a tampered signature: 401 on read and write routes.
    let mut tampered = read.clone();
    tampered.push('A');
    for token in [
        None,
        Some("xet_garbage"),
        Some(hub.token.as_str()),
        Some(tampered.as_str()),
    ] {
        assert_eq!(
            cas_status(&hub, Method::GET, &recon, token, vec![]).await,
            StatusCode::UNAUTHORIZED,
            "{token:?}"
        );
        assert_eq!(
            cas_status(&hub, Method::POST, &xorb, token, vec![1, 2, 3]).await,
            StatusCode::UNAUTHORIZED,
            "{token:?}"
        );
    }
    // A read token on write routes: 401 (upload is never attempted).
    for path in [xorb.as_str(), "/v1/shards", "/v2/shards"] {
        assert_eq!(
            cas_status(&hub, Method::POST, path, Some(&read), vec![0; 8]).await,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    // With a write token the request reaches the official storage, which rejects the junk xorb itself.
    let status = cas_status(&hub, Method::POST, &xorb, Some(&write), vec![0; 8]).await;
    assert!(
        status != StatusCode::UNAUTHORIZED && !status.is_success(),
        "{status}"
    );
    // Error body is JSON with a message.
    let r = hub
        .http
        .get(format!("{}{recon}", hub.cas))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "missing CAS access token");
    // Simulation routes are never exposed; grants are not offered (clients fall back to POST /v1/xorbs).
    assert_eq!(
        cas_status(&hub, Method::GET, "/simulation/ping", Some(&write), vec![]).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        cas_status(&hub, Method::POST, "/simulation/set_config", None, vec![]).await,
        StatusCode::NOT_FOUND
    );
    let grant = format!("/v1/xorb-grants/default/{}", "34".repeat(32));
    assert_eq!(
        cas_status(&hub, Method::POST, &grant, Some(&write), b"{}".to_vec()).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        cas_status(&hub, Method::POST, &grant, Some(&read), b"{}".to_vec()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        cas_status(&hub, Method::GET, "/health", None, vec![]).await,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_and_revoked_tokens() {
    let hub = Hub::start(&["--cas-token-ttl", "1"]).await;
    hub.create_bucket("b", false).await;
    let (read, exp, _) = hub
        .cas_token("/api/buckets/demo/b/xet-read-token", &hub.token)
        .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(exp <= now + 1);
    let path = format!("/v1/reconstructions/{}", common::EMPTY_HASH);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = hub
        .http
        .get(format!("{}{path}", hub.cas))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "CAS access token expired"
    );

    // Revocation through the admin API: tokens issued before it stop working, new ones work.
    let r = hub
        .admin(Method::PUT, "/admin/settings")
        .json(&serde_json::json!({"casTokenTtlSecs": 600}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (fresh, _, _) = hub
        .cas_token("/api/buckets/demo/b/xet-write-token", &hub.token)
        .await;
    let recon = |t: String| {
        let url = format!("{}{path}", hub.cas);
        let http = hub.http.clone();
        async move { http.get(url).bearer_auth(t).send().await.unwrap().status() }
    };
    assert_ne!(recon(fresh.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        hub.admin(Method::POST, "/admin/expire-tokens")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(recon(fresh).await, StatusCode::UNAUTHORIZED);
    let (newer, _, _) = hub
        .cas_token("/api/buckets/demo/b/xet-write-token", &hub.token)
        .await;
    assert_ne!(recon(newer).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_urls_point_at_the_front_and_need_no_token() {
    let hub = Hub::start(&[]).await;
    hub.create_bucket("b", false).await;
    let (hash, data) = hub.upload("demo/b", 5, 6).await;
    assert_eq!(
        hub.batch("demo/b", &hub.token, &[add_line("f", &hash)])
            .await
            .status(),
        StatusCode::OK
    );
    let (read, _, cas) = hub
        .cas_token("/api/buckets/demo/b/xet-read-token", &hub.token)
        .await;
    let v: Value = hub
        .http
        .get(format!("{cas}/v1/reconstructions/{hash}"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let terms = v["terms"].as_array().unwrap();
    assert!(!terms.is_empty());
    let unpacked: u64 = terms
        .iter()
        .map(|t| t["unpacked_length"].as_u64().unwrap())
        .sum();
    assert_eq!(unpacked, data.len() as u64);
    for (_, infos) in v["fetch_info"].as_object().unwrap() {
        for info in infos.as_array().unwrap() {
            let url = info["url"].as_str().unwrap();
            assert!(
                url.starts_with(&format!("{}/v1/fetch_term", hub.cas)),
                "{url}"
            );
            let (a, b) = (
                info["url_range"]["start"].as_u64().unwrap(),
                info["url_range"]["end"].as_u64().unwrap(),
            );
            let r = hub
                .http
                .get(url)
                .header("range", format!("bytes={a}-{b}"))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.status());
            assert!(header(&r, "x-request-id").is_some());
            assert_eq!(r.bytes().await.unwrap().len() as u64, b - a + 1);
        }
    }
    // V2 answers point at the front too, and a range query works.
    let v: Value = hub
        .http
        .get(format!("{cas}/v2/reconstructions/{hash}"))
        .bearer_auth(&read)
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (_, entries) in v["xorbs"].as_object().unwrap() {
        for entry in entries.as_array().unwrap() {
            assert!(entry["url"].as_str().unwrap().starts_with(&hub.cas));
        }
    }
}

/// Sends `POST path` with a `len`-byte body the way browsers' and Node's fetch do: the whole body
/// is written before the answer is read. Returns the status line's code, or the I/O error.
async fn post_whole_body(hub: &Hub, path: &str, token: &str, len: usize) -> std::io::Result<u16> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = hub.cas.trim_start_matches("http://").trim_end_matches('/');
    let mut tcp = tokio::net::TcpStream::connect(addr).await?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: {len}\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await?;
    let block = vec![7u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len());
        tcp.write_all(&block[..n]).await?;
        left -= n;
    }
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await?;
    let line = String::from_utf8_lossy(&answer);
    Ok(line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0))
}

/// An early answer to a large upload (bad token, injected 503) reaches a client that writes its
/// whole body first: the front receives the body, like the real CAS's load balancer, instead of
/// closing the connection under the client (which fetch reports as a network error).
#[tokio::test(flavor = "multi_thread")]
async fn early_answers_to_large_uploads_are_delivered() {
    let hub = Hub::start(&[]).await;
    let xorb = format!("/v1/xorbs/default/{}", "34".repeat(32));
    for _ in 0..3 {
        let status = post_whole_body(&hub, &xorb, "not-a-token", 40 << 20).await;
        assert_eq!(status.unwrap(), 401);
    }
    let r = hub
        .admin(Method::POST, "/admin/faults")
        .json(
            &serde_json::json!({"target": "cas", "method": "POST", "path": "/v1/xorbs/*",
            "action": "status", "status": 503, "retryAfterSecs": 0, "count": 2}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for _ in 0..2 {
        let status = post_whole_body(&hub, &xorb, "not-a-token", 40 << 20).await;
        assert_eq!(status.unwrap(), 503);
    }
}

/// Sends one raw request line (the path exactly as given: no URL parser in between) and returns
/// the status code.
async fn raw_get(hub: &Hub, path: &str, extra: &str) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = hub.cas.trim_start_matches("http://").trim_end_matches('/');
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n");
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// The front checks the path it forwards: dot segments, empty segments and encoded separators
/// cannot reach the hidden `/simulation/*` routes (which list and delete stored xorbs), and no
/// CAS token — not even a write token — opens them.
#[tokio::test(flavor = "multi_thread")]
async fn dot_segment_and_encoded_paths_never_reach_hidden_routes() {
    let hub = Hub::start(&[]).await;
    hub.create_bucket("b", false).await;
    let (write, _, _) = hub
        .cas_token("/api/buckets/demo/b/xet-write-token", &hub.token)
        .await;
    let auth = format!("Authorization: Bearer {write}\r\n");
    for path in [
        "/v1/../simulation/xorbs",
        "/v1/fetch_term/../../simulation/xorbs",
        "/v1/./../simulation/xorbs",
        "/v1/%2e%2e/simulation/xorbs",
        "/v1/..%2fsimulation/xorbs",
        "/v1%2F..%2Fsimulation/xorbs",
        "/v1//..//simulation/xorbs",
        "/v1/..\\simulation/xorbs",
        "/health/../simulation/xorbs",
    ] {
        let status = raw_get(&hub, path, &auth).await;
        assert_eq!(status, 400, "{path}");
        let status = raw_get(&hub, path, "").await;
        assert_eq!(status, 400, "{path} (anonymous)");
    }
    assert_eq!(raw_get(&hub, "/simulation/xorbs", &auth).await, 404);
    assert_eq!(raw_get(&hub, "/v1/simulation/xorbs", &auth).await, 404);
    // The legacy whole-xorb route is not part of the public surface either.
    let legacy = format!("/v1/get_xorb/default/{}/", "12".repeat(32));
    assert_eq!(raw_get(&hub, &legacy, &auth).await, 400);
    assert_eq!(raw_get(&hub, "/health", "").await, 200);
}

/// `fetch_term` terms are checked by the front: a reversed or out-of-range term range is a 400
/// (it used to crash the embedded server's handler: 502), a reversed `Range` header is ignored
/// as storage does, and the server keeps serving afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn reversed_and_out_of_range_terms_are_refused() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let hub = Hub::start(&[]).await;
    hub.create_bucket("b", false).await;
    let (hash, _) = hub.upload("demo/b", 9, 4).await;
    assert_eq!(
        hub.batch("demo/b", &hub.token, &[add_line("f", &hash)])
            .await
            .status(),
        StatusCode::OK
    );
    let (read, _, cas) = hub
        .cas_token("/api/buckets/demo/b/xet-read-token", &hub.token)
        .await;
    let v: Value = hub
        .http
        .get(format!("{cas}/v1/reconstructions/{hash}"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (xorb, infos) = v["fetch_info"].as_object().unwrap().iter().next().unwrap();
    let info = &infos[0];
    let (a, b) = (
        info["url_range"]["start"].as_u64().unwrap(),
        info["url_range"]["end"].as_u64().unwrap(),
    );
    let url = info["url"].as_str().unwrap();
    let signed = &url[url.find("/v1/fetch_term").unwrap()..];
    // The signed URL with another term: a reversed, empty or malformed one is 400 before the
    // signature is looked at; a well-formed one breaks the signature (403).
    let term = |payload: String| {
        let encoded = URL_SAFE_NO_PAD.encode(payload.as_bytes());
        let (path, query) = signed.split_once('?').unwrap();
        let query: Vec<String> = query
            .split('&')
            .map(|p| {
                if p.starts_with("term=") {
                    format!("term={encoded}")
                } else {
                    p.to_string()
                }
            })
            .collect();
        format!("{path}?{}", query.join("&"))
    };
    assert_eq!(
        raw_get(&hub, &term(format!("{xorb}:{}-{a}", b + 1)), "").await,
        400
    );
    assert_eq!(
        raw_get(&hub, &term(format!("{xorb}:{a}-{a}")), "").await,
        400
    );
    assert_eq!(raw_get(&hub, &term(format!("{xorb}:x-1")), "").await, 400);
    assert_eq!(raw_get(&hub, "/v1/fetch_term?term=!!", "").await, 400);
    assert_eq!(
        raw_get(&hub, &term(format!("{xorb}:0-999999999")), "").await,
        403
    );
    assert_eq!(raw_get(&hub, &term("ab".repeat(32)), "").await, 403);
    // A reversed Range header is ignored (the signed range is served), a past-the-end one is 416.
    assert_eq!(
        raw_get(&hub, signed, &format!("Range: bytes={b}-{a}\r\n")).await,
        206
    );
    assert_eq!(
        raw_get(&hub, signed, "Range: bytes=999999999-\r\n").await,
        416
    );
    // The good range still works, byte-exact in length, and so does the URL without a Range.
    let r = hub
        .http
        .get(url)
        .header("range", format!("bytes={a}-{b}"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(r.bytes().await.unwrap().len() as u64, b - a + 1);
    let r = hub.http.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap().len() as u64, b - a + 1);
}

/// Replaces the value of `key` in the query of `url`.
fn with_param(url: &str, key: &str, value: &str) -> String {
    let (path, query) = url.split_once('?').unwrap();
    let query: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k == key => format!("{k}={value}"),
            _ => p.to_string(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

fn param<'a>(url: &'a str, key: &str) -> &'a str {
    url.split_once('?')
        .unwrap()
        .1
        .split('&')
        .find_map(|p| p.strip_prefix(&format!("{key}=")))
        .unwrap()
}

/// Reconstruction fetch URLs are signed and expire: they need no token, and any change to the
/// term (range or hash), the expiry, the repo or the signature is a 403, as is an expired URL
/// (the client then asks for a fresh reconstruction, §6.5). The Range header is not signed.
#[tokio::test(flavor = "multi_thread")]
async fn fetch_urls_are_signed_and_expire() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let hub = Hub::start(&[]).await;
    hub.create_bucket("b", false).await;
    let (hash, _) = hub.upload("demo/b", 12, 30).await;
    assert_eq!(
        hub.batch("demo/b", &hub.token, &[add_line("f", &hash)])
            .await
            .status(),
        StatusCode::OK
    );
    let (read, _, cas) = hub
        .cas_token("/api/buckets/demo/b/xet-read-token", &hub.token)
        .await;
    let v2 = |range: &'static str| {
        let request = hub
            .http
            .get(format!("{cas}/v2/reconstructions/{hash}"))
            .bearer_auth(&read)
            .header("range", range);
        async move {
            let v: Value = request.send().await.unwrap().json().await.unwrap();
            let (xorb, entries) = v["xorbs"].as_object().unwrap().iter().next().unwrap();
            let entry = &entries[0];
            let bytes = &entry["ranges"][0]["bytes"];
            (
                xorb.clone(),
                entry["url"].as_str().unwrap().to_string(),
                bytes["start"].as_u64().unwrap(),
                bytes["end"].as_u64().unwrap(),
            )
        }
    };
    let (xorb, url, a, b) = v2("bytes=5000-60000").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp: u64 = param(&url, "exp").parse().unwrap();
    assert!((now + 3590..=now + 3610).contains(&exp), "{exp} vs {now}");
    assert_eq!(param(&url, "repo"), "bucket%3Ademo%2Fb");
    let get = |url: String| {
        let request = hub.http.get(url).header("range", format!("bytes={a}-{b}"));
        async move { request.send().await.unwrap() }
    };
    let r = get(url.clone()).await;
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap().len() as u64, b - a + 1);

    let term = |payload: String| URL_SAFE_NO_PAD.encode(payload.as_bytes());
    let other_xorb = "ab".repeat(32);
    for (what, tampered) in [
        (
            "range",
            with_param(&url, "term", &term(format!("{xorb}:{}-{}", a + 1, b + 1))),
        ),
        (
            "hash",
            with_param(&url, "term", &term(format!("{other_xorb}:{a}-{}", b + 1))),
        ),
        ("whole xorb", with_param(&url, "term", &term(xorb.clone()))),
        ("expiry", with_param(&url, "exp", &(exp + 3600).to_string())),
        ("repo", with_param(&url, "repo", "bucket%3Ademo%2Fother")),
        ("signature", with_param(&url, "sig", &"A".repeat(43))),
    ] {
        let r = get(tampered).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{what}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"],
            "invalid fetch URL signature",
            "{what}"
        );
    }
    // Without the signature or the expiry, or the unsigned form of the embedded server: 400.
    let unsigned = format!("{cas}/v1/fetch_term?term={}", param(&url, "term"));
    for broken in [
        url.replace("&sig=", "&x="),
        url.replace("&exp=", "&x="),
        unsigned,
    ] {
        assert_eq!(get(broken).await.status(), StatusCode::BAD_REQUEST);
    }
    // A token is neither needed nor a substitute for the signature.
    let r = hub
        .http
        .get(with_param(&url, "sig", &"A".repeat(43)))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Expiry: URLs signed after the lifetime is set to 1 s stop working after it.
    let r = hub
        .admin(Method::PUT, "/admin/settings")
        .json(&serde_json::json!({"fetchUrlTtlSecs": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["fetchUrlTtlSecs"], 1);
    let (_, short, _, _) = v2("bytes=5000-60000").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = get(short).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "fetch URL expired"
    );
    // The URL signed with the default lifetime still works.
    assert_eq!(get(url).await.status(), StatusCode::PARTIAL_CONTENT);
}

async fn cas_get(hub: &Hub, path: &str, token: &str) -> (StatusCode, Value) {
    let r = hub
        .http
        .get(format!("{}{path}", hub.cas))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A CAS token reads only files its bucket (or repo) references or uploaded: a file only in
/// another bucket is a 404 exactly like an unknown hash (no existence oracle), on every
/// reconstruction route and on `HEAD /v1/files`. A copy into the token's bucket makes it
/// readable, a delete unreadable.
#[tokio::test(flavor = "multi_thread")]
async fn cas_tokens_read_only_what_their_bucket_references() {
    let hub = Hub::start(&[]).await;
    for name in ["a", "b"] {
        hub.create_bucket(name, false).await;
    }
    let (in_b, _) = hub.upload("demo/b", 21, 5).await;
    assert_eq!(
        hub.batch("demo/b", &hub.token, &[add_line("f", &in_b)])
            .await
            .status(),
        StatusCode::OK
    );
    let (uncommitted, _) = hub.upload("demo/a", 22, 5).await;
    let unknown = "cd".repeat(32);
    let (token_a, _, _) = hub
        .cas_token("/api/buckets/demo/a/xet-write-token", &hub.token)
        .await;
    let (token_b, _, _) = hub
        .cas_token("/api/buckets/demo/b/xet-read-token", &hub.token)
        .await;
    let paths = |h: &str| {
        [
            format!("/v1/reconstructions/{h}"),
            format!("/v2/reconstructions/{h}"),
            format!("/v1/reconstructions?file_id={h}"),
        ]
    };
    for path in paths(&in_b) {
        assert_eq!(
            cas_get(&hub, &path, &token_b).await.0,
            StatusCode::OK,
            "{path}"
        );
        let (status, body) = cas_get(&hub, &path, &token_a).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        // The same answer as for a hash that exists nowhere.
        let (status_unknown, body_unknown) =
            cas_get(&hub, &path.replace(&in_b, &unknown), &token_a).await;
        assert_eq!(status_unknown, StatusCode::NOT_FOUND);
        assert_eq!(
            body["error"].as_str().unwrap().replace(&in_b, "H"),
            body_unknown["error"]
                .as_str()
                .unwrap()
                .replace(&unknown, "H"),
        );
    }
    // Uploaded with a's write token, not committed: a's tokens read it (a client may read what it
    // uploaded before committing), b's do not.
    for path in paths(&uncommitted) {
        assert_eq!(
            cas_get(&hub, &path, &token_a).await.0,
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(
            cas_get(&hub, &path, &token_b).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // A batch with one foreign file is refused whole.
    let both = format!("/v1/reconstructions?file_id={in_b}&file_id={uncommitted}");
    assert_eq!(
        cas_get(&hub, &both, &token_b).await.0,
        StatusCode::NOT_FOUND
    );
    let head = |token: &str, h: &str| {
        hub.http
            .head(format!("{}/v1/files/{h}", hub.cas))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(
        head(&token_b, &in_b).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        head(&token_a, &in_b).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // Copied into a: the same token now reads it.
    let copy = serde_json::json!({"type": "copyFile", "path": "copied", "xetHash": in_b,
        "sourceRepoType": "bucket", "sourceRepoId": "demo/b"});
    assert_eq!(
        hub.batch("demo/a", &hub.token, &[copy]).await.status(),
        StatusCode::OK
    );
    for path in paths(&in_b) {
        assert_eq!(
            cas_get(&hub, &path, &token_a).await.0,
            StatusCode::OK,
            "{path}"
        );
    }
    assert_eq!(
        head(&token_a, &in_b).await.unwrap().status(),
        StatusCode::OK
    );
    // Deleted from a again: a's token no longer reads it (a never uploaded it).
    let delete = serde_json::json!({"type": "deleteFile", "path": "copied"});
    assert_eq!(
        hub.batch("demo/a", &hub.token, &[delete]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        cas_get(&hub, &format!("/v2/reconstructions/{in_b}"), &token_a)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // A repo token reads the files of its repo (any revision), not those of a bucket.
    let seed = serde_json::json!({"type": "dataset", "id": "acme/d", "revision": "refs/pr/1",
        "files": [{"path": "x.bin", "xetHash": in_b}]});
    let r = hub
        .admin(Method::POST, "/admin/repos")
        .json(&seed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (token_d, _, _) = hub
        .cas_token("/api/datasets/acme/d/xet-read-token/main", &hub.token)
        .await;
    let (in_a_only, _) = hub.upload("demo/a", 23, 2).await;
    assert_eq!(
        hub.batch("demo/a", &hub.token, &[add_line("g", &in_a_only)])
            .await
            .status(),
        StatusCode::OK
    );
    let path = |h: &str| format!("/v2/reconstructions/{h}");
    assert_eq!(
        cas_get(&hub, &path(&in_b), &token_d).await.0,
        StatusCode::OK
    );
    assert_eq!(
        cas_get(&hub, &path(&in_a_only), &token_d).await.0,
        StatusCode::NOT_FOUND
    );
}

/// The TCP ports the process listens on, from /proc/<pid>/fd and /proc/<pid>/net/tcp{,6}.
fn listening_ports(pid: u32) -> Vec<u16> {
    let mut inodes = std::collections::HashSet::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap() {
        let Ok(target) = std::fs::read_link(entry.unwrap().path()) else {
            continue;
        };
        let target = target.to_string_lossy().to_string();
        if let Some(inode) = target
            .strip_prefix("socket:[")
            .and_then(|t| t.strip_suffix(']'))
        {
            inodes.insert(inode.to_string());
        }
    }
    let mut ports = Vec::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is field 1 ("ADDR:PORT" in hex), st field 3 (0A = LISTEN), inode 9.
            if fields.len() > 9 && fields[3] == "0A" && inodes.contains(fields[9]) {
                let port = fields[1].rsplit(':').next().unwrap();
                ports.push(u16::from_str_radix(port, 16).unwrap());
            }
        }
    }
    ports.sort_unstable();
    ports
}

/// The CAS has no port of its own: local-hub listens on exactly the two sockets it announces
/// (Hub and CAS front), so nothing on the machine can reach the CAS storage without the front.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn listens_only_on_the_announced_ports() {
    let hub = Hub::start(&[]).await;
    // Exercise the CAS first (a lazily started listener would show up now).
    hub.create_bucket("b", false).await;
    let (hash, _) = hub.upload("demo/b", 3, 2).await;
    assert_eq!(
        hub.batch("demo/b", &hub.token, &[add_line("f", &hash)])
            .await
            .status(),
        StatusCode::OK
    );
    let port = |url: &str| -> u16 { url.rsplit(':').next().unwrap().parse().unwrap() };
    let mut announced = vec![port(&hub.hub), port(&hub.cas)];
    announced.sort_unstable();
    let pid = hub.child.id().unwrap();
    assert_eq!(listening_ports(pid), announced);
}
