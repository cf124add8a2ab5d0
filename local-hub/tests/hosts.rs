//! `Host` checks (DNS-rebinding defence): a request naming another host is refused by the Hub
//! and by the CAS front before any handler; loopback names and `--public-host` names are served.

mod common;

use common::Hub;

async fn status_with_host(base: &str, path: &str, host: &str) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = base.trim_start_matches("http://").trim_end_matches('/');
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn foreign_host_names_are_refused() {
    let hub = Hub::start(&["--public-host", "hub.lan"]).await;
    let port = hub.hub.rsplit(':').next().unwrap().to_string();
    let cas_port = hub.cas.rsplit(':').next().unwrap().to_string();
    for (base, port) in [(&hub.hub, &port), (&hub.cas, &cas_port)] {
        let path = if base == &hub.hub {
            "/api/buckets/demo"
        } else {
            "/health"
        };
        for bad in ["evil.example", "attacker.test:1234", "127.0.0.1.nip.io"] {
            assert_eq!(
                status_with_host(base, path, &format!("{bad}:{port}")).await,
                400,
                "{base} {bad}"
            );
        }
        for good in ["127.0.0.1", "localhost", "hub.lan"] {
            let status = status_with_host(base, path, &format!("{good}:{port}")).await;
            assert_ne!(status, 400, "{base} {good}");
            assert_ne!(status, 0, "{base} {good}");
        }
    }
    // The casUrl handed out follows the (accepted) Host name.
    let r = hub
        .http
        .get(format!("{}/api/whoami-v2", hub.hub))
        .bearer_auth(&hub.token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}
