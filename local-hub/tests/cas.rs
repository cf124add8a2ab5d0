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
    // With a write token the request reaches the official server, which rejects the junk xorb itself.
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
    let term = |payload: String| {
        format!(
            "/v1/fetch_term?term={}",
            URL_SAFE_NO_PAD.encode(payload.as_bytes())
        )
    };
    assert_eq!(
        raw_get(&hub, &term(format!("{xorb}:{b}-{a}")), "").await,
        400
    );
    assert_eq!(
        raw_get(&hub, &term(format!("{xorb}:0-999999999")), "").await,
        400
    );
    assert_eq!(raw_get(&hub, &term(format!("{xorb}:x-1")), "").await, 400);
    assert_eq!(raw_get(&hub, "/v1/fetch_term?term=!!", "").await, 400);
    assert_eq!(raw_get(&hub, &term("ab".repeat(32)), "").await, 404);
    // A reversed Range header is ignored (the whole xorb), a past-the-end one is 416.
    let whole = term(xorb.clone());
    assert_eq!(
        raw_get(&hub, &whole, &format!("Range: bytes={b}-{a}\r\n")).await,
        200
    );
    assert_eq!(
        raw_get(&hub, &whole, "Range: bytes=999999999-\r\n").await,
        416
    );
    // The good range still works, byte-exact in length.
    let r = hub
        .http
        .get(info["url"].as_str().unwrap())
        .header("range", format!("bytes={a}-{b}"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(r.bytes().await.unwrap().len() as u64, b - a + 1);
    assert_eq!(
        raw_get(&hub, &term(format!("{xorb}:{a}-{}", b + 1)), "").await,
        206
    );
}
