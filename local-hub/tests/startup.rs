//! Start-up contract, flags, config file, loopback binding, and persistence across a
//! restart (even after SIGKILL) with the same `--data-dir`.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{add_line, header, Hub};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test(flavor = "multi_thread")]
async fn startup_line_and_flags() {
    let hub = Hub::start(&[
        "--token",
        "alice:hf_alice:write",
        "--token",
        "bob:hf_bob:read",
    ])
    .await;
    assert!(hub.hub.starts_with("http://127.0.0.1:"), "{}", hub.hub);
    assert!(hub.cas.starts_with("http://127.0.0.1:"), "{}", hub.cas);
    assert_ne!(hub.hub, hub.cas);
    assert_eq!(hub.user, "demo");
    assert!(hub.token.starts_with("hf_"));
    assert!(!hub.admin_token.is_empty());
    assert!(hub.data_dir.join("hub").is_dir());
    let me: Value = hub
        .get("/api/whoami-v2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "demo");
    let alice: Value = hub
        .req(Method::GET, "/api/whoami-v2", Some("hf_alice"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            alice["name"].as_str(),
            alice["auth"]["accessToken"]["role"].as_str()
        ),
        (Some("alice"), Some("write"))
    );
    let bob: Value = hub
        .req(Method::GET, "/api/whoami-v2", Some("hf_bob"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bob["auth"]["accessToken"]["role"], "read");
    let r = hub
        .req(Method::POST, "/api/buckets/me/x", Some("hf_bob"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Both listeners are bound to 127.0.0.1 only (Linux: /proc/net/tcp lists LISTEN sockets).
    if let Ok(table) = std::fs::read_to_string("/proc/net/tcp") {
        for url in [&hub.hub, &hub.cas] {
            let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
            let locals: Vec<&str> = table
                .lines()
                .skip(1)
                .filter_map(|l| {
                    let cols: Vec<&str> = l.split_whitespace().collect();
                    (cols.get(3) == Some(&"0A")).then(|| cols[1])
                })
                .filter(|local| local.ends_with(&format!(":{port:04X}")))
                .collect();
            assert_eq!(
                locals,
                [format!("0100007F:{port:04X}")],
                "{url} listens on loopback only"
            );
        }
    }
    // Unknown routes: 404 JSON with the error headers.
    let r = hub.get("/api/nothing-here").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(header(&r, "x-error-message").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_flags_fail_fast() {
    for args in [
        vec!["--token", "alice:hf_a:admin"],
        vec!["--token", "nocolon"],
        vec!["--config", "/nonexistent.json"],
    ] {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_local-hub"))
            .args(["--port", "0"])
            .args(&args)
            .output()
            .await
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty());
        assert!(String::from_utf8_lossy(&out.stderr).contains("local-hub:"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn config_file_and_fixed_ports() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hub.json");
    std::fs::write(
        &config,
        json!({
            "users": [{"name": "alice", "fullname": "Alice", "email": "a@example.org",
                       "tokens": [{"token": "hf_alice", "role": "write", "displayName": "laptop"}]}],
            "orgs": [{"name": "acme", "members": [{"user": "alice", "role": "admin"}, {"user": "carol", "role": "read"}]}],
            "tokens": [{"user": "carol", "token": "hf_carol", "role": "read"}],
            "adminToken": "admin-secret",
            "repos": [{"type": "dataset", "id": "acme/docs", "files": [{"path": "README.md", "content": "# hi\n"}]}]
        })
        .to_string(),
    )
    .unwrap();
    let free = |_: ()| {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let cas_port = free(());
    let hub = Hub::start(&[
        "--config",
        config.to_str().unwrap(),
        "--cas-port",
        &cas_port.to_string(),
    ])
    .await;
    assert_eq!(hub.cas, format!("http://127.0.0.1:{cas_port}"));
    assert_eq!(hub.admin_token, "admin-secret");
    let alice: Value = hub
        .req(Method::GET, "/api/whoami-v2", Some("hf_alice"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(alice["fullname"], "Alice");
    assert_eq!(alice["email"], "a@example.org");
    assert_eq!(alice["auth"]["accessToken"]["displayName"], "laptop");
    assert_eq!(alice["orgs"][0]["name"], "acme");
    let r = hub
        .req(Method::POST, "/api/buckets/acme/shared", Some("hf_alice"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = hub
        .req(
            Method::GET,
            "/datasets/acme/docs/resolve/main/README.md",
            Some("hf_carol"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "# hi\n");
    // A bad config document is refused at start.
    std::fs::write(&config, r#"{"users": [{"nme": "x"}]}"#).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_local-hub"))
        .args(["--config", config.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn default_data_dir_is_temporary_and_removed_on_sigterm() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_local-hub"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    let dir = std::path::PathBuf::from(info["dataDir"].as_str().unwrap());
    assert!(dir.is_dir());
    assert!(
        dir.starts_with(
            std::env::temp_dir()
                .canonicalize()
                .unwrap_or_else(|_| std::env::temp_dir())
        ) || dir.starts_with(std::env::temp_dir())
    );
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(!dir.exists(), "temporary data dir removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_keeps_buckets_files_tokens_and_content() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Hub::start_in(dir.path(), &["--token", "bob:hf_bob:write"]).await;
    hub.create_bucket("keep", true).await;
    hub.create_bucket("gone", false).await;
    let (hash, data) = hub.upload("demo/keep", 21, 12).await;
    let lines = [
        add_line("a/b.bin", &hash),
        add_line("c.txt", common::EMPTY_HASH),
    ];
    assert_eq!(
        hub.batch("demo/keep", &hub.token, &lines).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        hub.req(Method::DELETE, "/api/buckets/demo/gone", Some(&hub.token))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    hub.post_json(
        "/api/repos/move",
        json!({"fromRepo": "demo/keep", "toRepo": "demo/kept", "type": "bucket"}),
    )
    .send()
    .await
    .unwrap();
    let org = hub
        .admin(Method::POST, "/admin/orgs")
        .json(&json!({"name": "acme", "members": [{"user": "bob", "role": "write"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(org.status(), StatusCode::OK);
    let (cas_token, _, _) = hub
        .cas_token("/api/buckets/demo/kept/xet-read-token", &hub.token)
        .await;
    let info_before: Value = hub
        .get("/api/buckets/demo/kept")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (token, data_dir) = (hub.token.clone(), hub.data_dir.clone());
    hub.kill().await; // SIGKILL: no graceful shutdown

    let hub = Hub::start_in(&data_dir, &[]).await;
    assert_eq!(hub.token, token, "the demo token survives");
    let info: Value = hub
        .get("/api/buckets/demo/kept")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info, info_before);
    assert_eq!(info["totalFiles"], 2);
    assert_eq!(
        hub.get("/api/buckets/demo/gone")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        hub.get("/api/buckets/demo/keep")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let body = hub
        .req(
            Method::GET,
            "/buckets/demo/kept/resolve/a/b.bin",
            Some(&token),
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.as_ref(), data.as_slice(), "CAS content survives");
    // Users and orgs made at runtime survive; so does the CAS token signing secret.
    let bob: Value = hub
        .req(Method::GET, "/api/whoami-v2", Some("hf_bob"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bob["orgs"][0]["name"], "acme");
    let r = hub
        .http
        .get(format!("{}/v1/reconstructions/{hash}", hub.cas))
        .bearer_auth(&cas_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // And new writes work after the restart.
    assert_eq!(
        hub.batch(
            "demo/kept",
            &hub.token,
            &[add_line("d.txt", common::EMPTY_HASH)]
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn token_revocation_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Hub::start_in(dir.path(), &[]).await;
    hub.create_bucket("b", false).await;
    let route = "/api/buckets/demo/b/xet-read-token";
    let (old, _, _) = hub.cas_token(route, &hub.token).await;
    let status = |hub: &Hub, token: String| {
        let request = hub
            .http
            .get(format!(
                "{}/v1/reconstructions/{}",
                hub.cas,
                common::EMPTY_HASH
            ))
            .bearer_auth(token);
        async move { request.send().await.unwrap().status() }
    };
    assert_ne!(status(&hub, old.clone()).await, StatusCode::UNAUTHORIZED);
    let r = hub
        .admin(Method::POST, "/admin/expire-tokens")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(status(&hub, old.clone()).await, StatusCode::UNAUTHORIZED);
    // A token issued after the revocation stays valid.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (newer, _, _) = hub.cas_token(route, &hub.token).await;
    let data_dir = hub.data_dir.clone();
    hub.kill().await; // SIGKILL: the revocation was written before expire-tokens answered

    let hub = Hub::start_in(&data_dir, &[]).await;
    assert_eq!(
        status(&hub, old).await,
        StatusCode::UNAUTHORIZED,
        "a revoked CAS token is still revoked after a restart"
    );
    assert_ne!(status(&hub, newer).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_from_the_environment_stay_off_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Hub::start_with_env(
        dir.path(),
        &[],
        &[
            ("LOCAL_HUB_ADMIN_TOKEN", "admin_from_env_0123"),
            (
                "LOCAL_HUB_TOKENS",
                "carol:hf_carol_env_token:write,dave:hf_dave_env_token:read",
            ),
        ],
    )
    .await;
    assert_eq!(hub.admin_token, "admin_from_env_0123");
    let r = hub
        .admin(Method::GET, "/admin/faults")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for (token, user) in [
        ("hf_carol_env_token", "carol"),
        ("hf_dave_env_token", "dave"),
    ] {
        let me: Value = hub
            .req(Method::GET, "/api/whoami-v2", Some(token))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["name"], user);
    }
    // What `ps` shows: the process's arguments hold none of the secrets.
    let pid = hub.child.id().unwrap();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline);
    for secret in [
        "admin_from_env_0123",
        "hf_carol_env_token",
        "hf_dave_env_token",
    ] {
        assert!(!cmdline.contains(secret), "{secret} in {cmdline}");
    }
    // --help never prints the environment's values.
    let help = tokio::process::Command::new(env!("CARGO_BIN_EXE_local-hub"))
        .arg("--help")
        .env("LOCAL_HUB_ADMIN_TOKEN", "admin_from_env_0123")
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("LOCAL_HUB_ADMIN_TOKEN"));
    assert!(!help.contains("admin_from_env_0123"));
}
