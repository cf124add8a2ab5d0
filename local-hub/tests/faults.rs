//! Fault injection (admin API): every action fires, on the Hub and on the CAS front, with
//! `after`/`count`/method/target filters; network latency and bandwidth; clearing.

mod common;

use std::time::{Duration, Instant};

use common::{add_line, header, Hub};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn add_fault(hub: &Hub, rule: Value) {
    let r = hub
        .admin(Method::POST, "/admin/faults")
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{rule}");
}

/// A bucket with one uploaded file `f` (40 chunks of 4 KiB); returns (hash, bytes).
async fn with_file(hub: &Hub) -> (String, Vec<u8>) {
    hub.create_bucket("b", false).await;
    let (hash, data) = hub.upload("demo/b", 11, 40).await;
    assert_eq!(
        hub.batch("demo/b", &hub.token, &[add_line("f", &hash)])
            .await
            .status(),
        StatusCode::OK
    );
    (hash, data)
}

/// URL and byte range of the first fetch descriptor of `hash` (a "xorb fetch").
async fn first_fetch(hub: &Hub, hash: &str) -> (String, String) {
    let (read, _, cas) = hub
        .cas_token("/api/buckets/demo/b/xet-read-token", &hub.token)
        .await;
    let v: Value = hub
        .http
        .get(format!("{cas}/v1/reconstructions/{hash}"))
        .bearer_auth(read)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let info = v["fetch_info"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()[0]
        .clone();
    let range = format!(
        "bytes={}-{}",
        info["url_range"]["start"], info["url_range"]["end"]
    );
    (info["url"].as_str().unwrap().to_string(), range)
}

#[tokio::test(flavor = "multi_thread")]
async fn status_faults_with_count_after_and_retry_after() {
    let hub = Hub::start(&[]).await;
    add_fault(&hub, json!({"method": "GET", "path": "/api/whoami-v2", "after": 1, "count": 2, "action": "status", "status": 503})).await;
    let statuses = {
        let mut out = Vec::new();
        for _ in 0..4 {
            let r = hub.get("/api/whoami-v2").send().await.unwrap();
            if r.status() == StatusCode::SERVICE_UNAVAILABLE {
                assert_eq!(header(&r, "retry-after"), Some("1"));
                assert!(header(&r, "x-error-message").is_some());
            }
            out.push(r.status().as_u16());
        }
        out
    };
    assert_eq!(statuses, [200, 503, 503, 200]);
    let listed: Value = hub
        .admin(Method::GET, "/admin/faults")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["rules"][0]["fired"], 2);
    assert_eq!(listed["rules"][0]["matched"], 3);
    assert_eq!(listed["rules"][0]["active"], false);

    add_fault(
        &hub,
        json!({"path": "/api/buckets/*", "action": "status", "status": 429, "retryAfterSecs": 7}),
    )
    .await;
    let r = hub.get("/api/buckets/demo").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&r, "retry-after"), Some("7"));
    assert_eq!(header(&r, "ratelimit"), Some("\"api\";r=0;t=7"));
    assert!(header(&r, "ratelimit-policy").is_some());
    assert_eq!(
        hub.get("/api/buckets/demo").send().await.unwrap().status(),
        StatusCode::OK
    );

    // A CAS-only 500 on reconstructions, unlimited (count 0), then cleared.
    hub.create_bucket("b", false).await;
    let (read, _, _) = hub
        .cas_token("/api/buckets/demo/b/xet-read-token", &hub.token)
        .await;
    add_fault(&hub, json!({"target": "cas", "path": "/v1/reconstructions/*", "count": 0, "action": "status", "status": 500})).await;
    let recon = format!("{}/v1/reconstructions/{}", hub.cas, common::EMPTY_HASH);
    for _ in 0..3 {
        assert_eq!(
            hub.http
                .get(&recon)
                .bearer_auth(&read)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
    assert_eq!(
        hub.admin(Method::DELETE, "/admin/faults")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_ne!(
        hub.http
            .get(&recon)
            .bearer_auth(&read)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    // The admin API needs the admin token; bad rules are 400.
    assert_eq!(
        hub.req(Method::GET, "/admin/faults", Some(&hub.token))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let r = hub
        .admin(Method::POST, "/admin/faults")
        .json(&json!({"path": "*", "action": "explode"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = hub
        .admin(Method::POST, "/admin/faults")
        .json(&json!({"path": "*", "action": "status", "status": 200}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn hang_fault_delays_and_trips_client_timeouts() {
    let hub = Hub::start(&[]).await;
    add_fault(
        &hub,
        json!({"path": "/api/whoami-v2", "count": 2, "action": "hang", "ms": 700}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(
        hub.get("/api/whoami-v2").send().await.unwrap().status(),
        StatusCode::OK
    );
    assert!(started.elapsed() >= Duration::from_millis(700));
    let timed_out = hub
        .get("/api/whoami-v2")
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(timed_out.is_err_and(|e| e.is_timeout()));
    let started = Instant::now();
    hub.get("/api/whoami-v2").send().await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(700));
}

#[tokio::test(flavor = "multi_thread")]
async fn close_mid_body_on_hub_and_cas() {
    let hub = Hub::start(&[]).await;
    let (hash, data) = with_file(&hub).await;
    add_fault(
        &hub,
        json!({"method": "GET", "path": "/buckets/demo/b/resolve/*", "action": "close"}),
    )
    .await;
    let r = hub
        .req(Method::GET, "/buckets/demo/b/resolve/f", None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        header(&r, "content-length"),
        Some(data.len().to_string().as_str())
    );
    assert!(r.bytes().await.is_err(), "the body must be cut short");
    let r = hub
        .req(Method::GET, "/buckets/demo/b/resolve/f", None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), data.as_slice());

    let (url, range) = first_fetch(&hub, &hash).await;
    add_fault(
        &hub,
        json!({"target": "cas", "path": "/v1/fetch_term", "action": "close", "afterBytes": 10}),
    )
    .await;
    let r = hub
        .http
        .get(&url)
        .header("range", &range)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert!(r.bytes().await.is_err());
    let r = hub
        .http
        .get(&url)
        .header("range", &range)
        .send()
        .await
        .unwrap();
    assert!(r.bytes().await.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn flip_byte_on_xorb_fetch_and_resolve() {
    let hub = Hub::start(&[]).await;
    let (hash, data) = with_file(&hub).await;
    let (url, range) = first_fetch(&hub, &hash).await;
    let clean = hub
        .http
        .get(&url)
        .header("range", &range)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    add_fault(
        &hub,
        json!({"target": "cas", "method": "GET", "path": "/v1/fetch_term", "action": "flipByte"}),
    )
    .await;
    let flipped = hub
        .http
        .get(&url)
        .header("range", &range)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(clean.len(), flipped.len());
    let diffs: Vec<usize> = (0..clean.len())
        .filter(|&i| clean[i] != flipped[i])
        .collect();
    assert_eq!(diffs, [clean.len() / 2]);
    assert_eq!(flipped[clean.len() / 2], !clean[clean.len() / 2]);
    let again = hub
        .http
        .get(&url)
        .header("range", &range)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(again, clean, "count 1: only one response is corrupted");

    add_fault(
        &hub,
        json!({"target": "hub", "path": "/buckets/*", "action": "flipByte", "offset": -1}),
    )
    .await;
    let body = hub
        .req(Method::GET, "/buckets/demo/b/resolve/f", None)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let last = data.len() - 1;
    assert_eq!(&body[..last], &data[..last]);
    assert_eq!(body[last], !data[last]);
}

#[tokio::test(flavor = "multi_thread")]
async fn expire_token_fault_on_cas() {
    let hub = Hub::start(&[]).await;
    let (hash, _) = with_file(&hub).await;
    let (read, _, cas) = hub
        .cas_token("/api/buckets/demo/b/xet-read-token", &hub.token)
        .await;
    add_fault(
        &hub,
        json!({"path": "/v1/reconstructions/*", "action": "expireToken"}),
    )
    .await;
    let url = format!("{cas}/v1/reconstructions/{hash}");
    let r = hub.http.get(&url).bearer_auth(&read).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "CAS access token expired"
    );
    assert_eq!(
        hub.http
            .get(&url)
            .bearer_auth(&read)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // expireToken never fires on the Hub.
    add_fault(&hub, json!({"path": "*", "action": "expireToken"})).await;
    assert_eq!(
        hub.get("/api/whoami-v2").send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn latency_and_bandwidth() {
    let hub = Hub::start(&[]).await;
    let (hash, data) = with_file(&hub).await;
    let r = hub
        .admin(Method::PUT, "/admin/network")
        .json(&json!({"latencyMs": 400, "target": "hub"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let started = Instant::now();
    hub.get("/api/whoami-v2").send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400));
    let started = Instant::now();
    hub.http
        .get(format!("{}/health", hub.cas))
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "target hub leaves the CAS alone"
    );

    // 160 KiB at 200 KB/s takes about 0.8 s, through the Hub and through the CAS front.
    hub.admin(Method::PUT, "/admin/network")
        .json(&json!({"bandwidthBytesPerSec": 200_000}))
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    let body = hub
        .req(Method::GET, "/buckets/demo/b/resolve/f", None)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.as_ref(), data.as_slice());
    assert!(
        started.elapsed() >= Duration::from_millis(650),
        "{:?}",
        started.elapsed()
    );
    let (url, range) = first_fetch(&hub, &hash).await;
    let started = Instant::now();
    let part = hub
        .http
        .get(&url)
        .header("range", &range)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let expected = Duration::from_secs_f64(part.len() as f64 / 200_000.0 * 0.8);
    assert!(
        started.elapsed() >= expected,
        "{:?} < {expected:?}",
        started.elapsed()
    );
    // Clearing resets the network setting.
    hub.admin(Method::DELETE, "/admin/faults")
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    hub.req(Method::GET, "/buckets/demo/b/resolve/f", None)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(650));
}
