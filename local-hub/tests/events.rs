//! The live change feed `GET /api/buckets/{ns}/{name}/events` (buckets-workflows.md §6):
//! events for add, overwrite, delete, copy and move in commit order; resume after a cut
//! connection without loss or repeat; `since` replay; `reset` for a resume point older than
//! the buffer; pings; visibility (401/404) and injected statuses; end of stream on delete.

mod common;

use std::time::Duration;

use common::{add_line, header, Hub, BOB, EMPTY_HASH};
use futures_util::StreamExt as _;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// One server-sent event (`comment` for `:` lines such as `: ping`).
#[derive(Debug, Clone, PartialEq)]
enum Sse {
    Event(String, Value),
    Comment(String),
}

/// Reads an event stream frame by frame.
struct Feed {
    stream: futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl Feed {
    /// Opens the feed of `bucket` with `query` (e.g. `cursor=…`); panics unless 200 SSE.
    async fn open(hub: &Hub, bucket: &str, query: &str, token: Option<&str>) -> Self {
        let r = hub
            .req(
                Method::GET,
                &format!("/api/buckets/{bucket}/events?{query}"),
                token,
            )
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{bucket}?{query}");
        assert!(header(&r, "content-type")
            .unwrap_or("")
            .starts_with("text/event-stream"));
        Feed {
            stream: r.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    /// The next frame, `None` at the end of the stream (clean or cut), panics after 10 s.
    async fn next(&mut self) -> Option<Sse> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut event, mut data, mut comment) = (None, Vec::new(), None);
                for line in block.lines() {
                    if let Some(c) = line.strip_prefix(':') {
                        comment = Some(c.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.trim_start().to_string());
                    }
                }
                return Some(match (event, comment) {
                    (Some(name), _) => {
                        let data: Value = serde_json::from_str(&data.join("\n")).unwrap();
                        assert!(data.is_object(), "data is an object: {data}");
                        Sse::Event(name, data)
                    }
                    (None, Some(comment)) => Sse::Comment(comment),
                    (None, None) => panic!("frame without event or comment: {block:?}"),
                });
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("no frame within 10 s");
            match chunk {
                Some(Ok(bytes)) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// The next event, skipping comments.
    async fn event(&mut self) -> (String, Value) {
        loop {
            match self.next().await {
                Some(Sse::Event(name, data)) => return (name, data),
                Some(Sse::Comment(_)) => {}
                None => panic!("stream ended while an event was expected"),
            }
        }
    }

    /// The next `changes` event: (cursor, [(op, path)]).
    async fn changes(&mut self) -> (String, Vec<(String, String)>) {
        let (name, data) = self.event().await;
        assert_eq!(name, "changes", "{data}");
        (cursor(&data), ops(&data))
    }
}

fn cursor(data: &Value) -> String {
    data["cursor"].as_str().unwrap().to_string()
}

fn ops(data: &Value) -> Vec<(String, String)> {
    data["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["op"].as_str().unwrap().to_string(),
                c["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(op: &str, path: &str) -> (String, String) {
    (op.to_string(), path.to_string())
}

fn delete_line(path: &str) -> Value {
    json!({"type": "deleteFile", "path": path})
}

fn copy_line(path: &str, hash: &str, source: &str) -> Value {
    json!({"type": "copyFile", "path": path, "xetHash": hash,
           "sourceRepoType": "bucket", "sourceRepoId": source})
}

async fn commit(hub: &Hub, bucket: &str, lines: &[Value]) {
    let r = hub.batch(bucket, &hub.token, lines).await;
    assert_eq!(r.status(), StatusCode::OK, "{lines:?}");
}

async fn settings(hub: &Hub, body: Value) {
    let r = hub
        .admin(Method::PUT, "/admin/settings")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn add_overwrite_delete_copy_and_move_in_commit_order() {
    let hub = Hub::start(&[]).await;
    hub.create_bucket("b", false).await;
    hub.create_bucket("other", false).await;
    let (h1, data1) = hub.upload("demo/b", 1, 2).await;
    let (h2, data2) = hub.upload("demo/b", 2, 3).await;
    commit(&hub, "demo/other", &[add_line("o.bin", &h2)]).await;

    let mut feed = Feed::open(&hub, "demo/b", "", Some(&hub.token)).await;
    assert_eq!(
        feed.event().await,
        ("ready".into(), json!({})),
        "no history yet"
    );

    commit(
        &hub,
        "demo/b",
        &[add_line("a.txt", EMPTY_HASH), add_line("x.bin", &h1)],
    )
    .await;
    let (name, first) = feed.event().await;
    assert_eq!(name, "changes");
    let added = &first["changes"][1];
    assert_eq!(added["op"], "add");
    assert_eq!(added["size"], data1.len());
    assert_eq!(added["xetHash"], h1.as_str());
    assert_eq!(added["mtime"], "2026-01-01T00:00:00.123Z");
    assert!(common::is_iso_millis(added["uploadedAt"].as_str().unwrap()));
    assert_eq!(
        ops(&first),
        vec![pair("add", "a.txt"), pair("add", "x.bin")]
    );

    // Overwrite: an update with the fields that changed.
    commit(&hub, "demo/b", &[add_line("x.bin", &h2)]).await;
    let (name, data) = feed.event().await;
    assert_eq!(name, "changes");
    let update = &data["changes"][0];
    assert_eq!(update["op"], "update");
    assert_eq!(update["size"], data2.len());
    assert_eq!(update["xetHash"], h2.as_str());
    assert!(
        update.get("mtime").is_none(),
        "mtime did not change: {update}"
    );

    // Delete; a delete of a missing path changes nothing and sends nothing.
    commit(&hub, "demo/b", &[delete_line("missing")]).await;
    commit(&hub, "demo/b", &[delete_line("a.txt")]).await;
    let (_, third) = feed.changes().await;
    assert_eq!(third.len(), 1);
    assert_eq!(third[0], pair("delete", "a.txt"));

    // Copy within the bucket and from another bucket, then a move (copy + delete).
    commit(
        &hub,
        "demo/b",
        &[
            copy_line("y.bin", &h2, "demo/b"),
            copy_line("o.bin", &h2, "demo/other"),
        ],
    )
    .await;
    assert_eq!(
        feed.changes().await.1,
        vec![pair("add", "y.bin"), pair("add", "o.bin")]
    );
    commit(
        &hub,
        "demo/b",
        &[copy_line("z.bin", &h2, "demo/b"), delete_line("y.bin")],
    )
    .await;
    let (last_cursor, moved) = feed.changes().await;
    assert_eq!(moved, vec![pair("add", "z.bin"), pair("delete", "y.bin")]);

    // The same history replays from the start (since = before the first batch), in order,
    // with the same cursors, then `ready` with the latest cursor.
    let mut replay = Feed::open(
        &hub,
        "demo/b",
        "since=2000-01-01T00:00:00.000Z",
        Some(&hub.token),
    )
    .await;
    let mut seen = Vec::new();
    loop {
        let (name, data) = replay.event().await;
        if name == "ready" {
            assert_eq!(cursor(&data), last_cursor);
            break;
        }
        seen.push(cursor(&data));
    }
    assert_eq!(seen.len(), 5);
    assert_eq!(seen.last(), Some(&last_cursor));
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, seen, "cursors are distinct");
    let _ = hub.kill().await;
}

#[tokio::test]
async fn resume_after_a_cut_loses_and_repeats_nothing() {
    let hub = Hub::start(&[]).await;
    hub.create_bucket("b", false).await;
    commit(&hub, "demo/b", &[add_line("f0", EMPTY_HASH)]).await;
    // The next stream is cut after two events: `ready`, then one `changes`.
    let r = hub
        .admin(Method::POST, "/admin/faults")
        .json(
            &json!({"path": "/api/buckets/demo/b/events", "action": "cutStream", "afterEvents": 2}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let mut feed = Feed::open(&hub, "demo/b", "", Some(&hub.token)).await;
    let (name, ready) = feed.event().await;
    assert_eq!(name, "ready");
    let c0 = cursor(&ready);
    commit(&hub, "demo/b", &[add_line("f1", EMPTY_HASH)]).await;
    let (c1, first) = feed.changes().await;
    assert_eq!(first, vec![pair("add", "f1")]);
    assert!(feed.next().await.is_none(), "the fault cuts the stream");

    // Changes while disconnected.
    commit(&hub, "demo/b", &[add_line("f2", EMPTY_HASH)]).await;
    commit(&hub, "demo/b", &[delete_line("f1")]).await;

    let mut resumed = Feed::open(&hub, "demo/b", &format!("cursor={c1}"), Some(&hub.token)).await;
    let (c2, second) = resumed.changes().await;
    assert_eq!(second, vec![pair("add", "f2")]);
    let (c3, third) = resumed.changes().await;
    assert_eq!(third, vec![pair("delete", "f1")]);
    let (name, ready) = resumed.event().await;
    assert_eq!((name.as_str(), cursor(&ready)), ("ready", c3.clone()));
    // Live again: the next batch arrives once.
    commit(&hub, "demo/b", &[add_line("f3", EMPTY_HASH)]).await;
    assert_eq!(resumed.changes().await.1, vec![pair("add", "f3")]);
    assert_eq!(
        [&c0, &c1, &c2, &c3]
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        4
    );

    // `since`: the batches committed after that instant.
    let info: Value = hub
        .get("/api/buckets/demo/b")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let updated_at = info["updatedAt"].as_str().unwrap().to_string();
    commit(&hub, "demo/b", &[add_line("f4", EMPTY_HASH)]).await;
    let mut since = Feed::open(
        &hub,
        "demo/b",
        &format!("since={updated_at}"),
        Some(&hub.token),
    )
    .await;
    assert_eq!(since.changes().await.1, vec![pair("add", "f4")]);
    assert_eq!(since.event().await.0, "ready");
    let _ = hub.kill().await;
}

#[tokio::test]
async fn reset_bad_resume_points_pings_and_end_of_stream() {
    let hub = Hub::start(&[]).await;
    hub.create_bucket("b", false).await;
    settings(&hub, json!({"eventsBufferSize": 2, "eventsPingMs": 200})).await;
    let mut cursors = Vec::new();
    let mut live = Feed::open(&hub, "demo/b", "", Some(&hub.token)).await;
    assert_eq!(live.event().await.0, "ready");
    for i in 0..4 {
        commit(&hub, "demo/b", &[add_line(&format!("f{i}"), EMPTY_HASH)]).await;
        cursors.push(live.changes().await.0);
    }
    // Idle: pings keep the stream alive.
    assert_eq!(live.next().await, Some(Sse::Comment("ping".into())));

    // Only the last two batches are kept: a resume point before them is `reset`.
    let mut old = Feed::open(
        &hub,
        "demo/b",
        &format!("cursor={}", cursors[0]),
        Some(&hub.token),
    )
    .await;
    let (name, data) = old.event().await;
    assert_eq!(name, "reset");
    assert!(data["reason"].is_string());
    assert!(old.next().await.is_none(), "reset ends the stream");
    let mut kept = Feed::open(
        &hub,
        "demo/b",
        &format!("cursor={}", cursors[1]),
        Some(&hub.token),
    )
    .await;
    assert_eq!(kept.changes().await.0, cursors[2]);
    assert_eq!(kept.changes().await.0, cursors[3]);
    assert_eq!(kept.event().await.0, "ready");
    let mut since = Feed::open(
        &hub,
        "demo/b",
        "since=2000-01-01T00:00:00Z",
        Some(&hub.token),
    )
    .await;
    assert_eq!(since.event().await.0, "reset");
    // A well-formed cursor of another log (a restart, a re-created bucket) is too old as well.
    let mut foreign = Feed::open(&hub, "demo/b", "cursor=00000000.1", Some(&hub.token)).await;
    assert_eq!(foreign.event().await.0, "reset");

    for query in [
        "cursor=garbage",
        "since=yesterday",
        "cursor=00000000.1&since=2026-01-01T00:00:00Z",
    ] {
        let r = hub
            .get(&format!("/api/buckets/demo/b/events?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
    }

    // Deleting the bucket ends its streams with `reconnect`, after which the feed is 404.
    let r = hub
        .req(Method::DELETE, "/api/buckets/demo/b", Some(&hub.token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (name, data) = kept.event().await;
    assert_eq!(name, "reconnect");
    assert!(data.is_object());
    let r = hub.get("/api/buckets/demo/b/events").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let _ = hub.kill().await;
}

#[tokio::test]
async fn moving_a_bucket_ends_streams_of_the_old_id() {
    let hub = Hub::start(&[]).await;
    hub.create_bucket("b", false).await;
    let mut feed = Feed::open(&hub, "demo/b", "", Some(&hub.token)).await;
    assert_eq!(feed.event().await.0, "ready");
    let r = hub
        .post_json(
            "/api/repos/move",
            json!({"fromRepo": "demo/b", "toRepo": "demo/c", "type": "bucket"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(feed.event().await.0, "reconnect");
    let r = hub.get("/api/buckets/demo/b/events").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The moved bucket keeps its feed.
    let mut moved = Feed::open(&hub, "demo/c", "", Some(&hub.token)).await;
    assert_eq!(moved.event().await.0, "ready");
    commit(&hub, "demo/c", &[add_line("f", EMPTY_HASH)]).await;
    assert_eq!(moved.changes().await.1, vec![pair("add", "f")]);
    let _ = hub.kill().await;
}

#[tokio::test]
async fn private_buckets_follow_the_visibility_rules() {
    let hub = Hub::start_with_bob_and_reader().await;
    hub.create_bucket("secret", true).await;
    let path = "/api/buckets/demo/secret/events";
    // Anonymous: 401 + RepoNotFound; another user: 404; unknown token: 401; missing: 404.
    let r = hub.req(Method::GET, path, None).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(&r, "x-error-code"), Some("RepoNotFound"));
    let r = hub.req(Method::GET, path, Some(BOB)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&r, "x-error-code"), Some("RepoNotFound"));
    let r = hub
        .req(Method::GET, path, Some("hf_unknown"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = hub
        .get("/api/buckets/demo/nope/events")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The owner and a read token of the owner follow it; a public bucket is open to anyone.
    let mut owner = Feed::open(&hub, "demo/secret", "", Some(common::READER)).await;
    assert_eq!(owner.event().await.0, "ready");
    hub.create_bucket("open", false).await;
    let mut anonymous = Feed::open(&hub, "demo/open", "", None).await;
    assert_eq!(anonymous.event().await.0, "ready");
    // 403 is not a visibility outcome of a read route; clients test it with a status fault.
    let r = hub
        .admin(Method::POST, "/admin/faults")
        .json(&json!({"path": "/api/buckets/*/events", "action": "status", "status": 403}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = hub
        .get("/api/buckets/demo/open/events")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let _ = hub.kill().await;
}
