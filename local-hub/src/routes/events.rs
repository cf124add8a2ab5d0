//! The live change feed of a bucket (buckets-workflows.md §6): `GET
//! /api/buckets/{ns}/{name}/events`, server-sent events.
//!
//! Every committed batch that changes a bucket appends one entry to that bucket's log, while
//! the store's write lock is held, so log order is commit order. An entry is one `changes`
//! event: its cursor (`<epoch>.<seq>`, opaque to clients) and the file changes of the batch in
//! line order (`add` for a new path, `update` for an overwrite, `delete`). The log keeps the
//! last [`Settings::buffer`] entries per bucket; a resume point older than that gets `reset`.
//! The log lives in memory: after a restart, or when a bucket is deleted and created again,
//! the epoch differs, so an old cursor gets `reset` too.
//!
//! A stream replays what the resume point asks for (`cursor`: the entries after it; `since`:
//! the entries committed after that instant), sends `ready` with the latest cursor, then one
//! `changes` event per new entry and a `: ping` comment every [`Settings::ping`]. It ends with
//! `reconnect` (and the latest cursor) when the bucket is deleted or moved, when local-hub
//! stops, and after [`Settings::max_stream`] if that is set.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, watch};

use super::{param, visible_bucket, ApiResult};
use crate::app::AppState;
use crate::error::ApiError;
use crate::http_util::Query;
use crate::store::{Bucket, FileEntry};

/// Default number of batches kept per bucket for replay.
pub(crate) const DEFAULT_BUFFER: usize = 1000;
/// Default interval of `: ping` comments (the client's read timeout is 90 s).
pub(crate) const DEFAULT_PING: Duration = Duration::from_secs(30);

/// One change of one file, as sent in a `changes` event.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// A path that did not exist: every field.
    Add {
        path: String,
        file: FileEntry,
    },
    /// An overwrite: the fields that differ from the old entry (`uploadedAt` always does).
    Update {
        path: String,
        old: FileEntry,
        new: FileEntry,
    },
    Delete {
        path: String,
    },
}

impl Change {
    /// The change for `path` going from `old` to `new` (`None` = absent); `None` if nothing changed.
    pub(crate) fn between(
        path: &str,
        old: Option<&FileEntry>,
        new: Option<&FileEntry>,
    ) -> Option<Self> {
        match (old, new) {
            (None, None) => None,
            (None, Some(file)) => Some(Self::Add {
                path: path.to_string(),
                file: file.clone(),
            }),
            (Some(_), None) => Some(Self::Delete {
                path: path.to_string(),
            }),
            (Some(old), Some(new)) => Some(Self::Update {
                path: path.to_string(),
                old: old.clone(),
                new: new.clone(),
            }),
        }
    }

    fn to_json(&self) -> Value {
        let mut map = Map::new();
        match self {
            Self::Add { path, file } => {
                map.insert("path".into(), json!(path));
                map.insert("op".into(), json!("add"));
                map.insert("size".into(), json!(file.size));
                map.insert("xetHash".into(), json!(file.xet_hash));
                map.insert(
                    "uploadedAt".into(),
                    json!(crate::time::iso(file.uploaded_at)),
                );
                if let Some(mtime) = file.mtime {
                    map.insert("mtime".into(), json!(crate::time::iso(mtime)));
                }
            }
            Self::Update { path, old, new } => {
                map.insert("path".into(), json!(path));
                map.insert("op".into(), json!("update"));
                if new.size != old.size {
                    map.insert("size".into(), json!(new.size));
                }
                if new.xet_hash != old.xet_hash {
                    map.insert("xetHash".into(), json!(new.xet_hash));
                }
                map.insert(
                    "uploadedAt".into(),
                    json!(crate::time::iso(new.uploaded_at)),
                );
                if let Some(mtime) = new.mtime.filter(|m| Some(*m) != old.mtime) {
                    map.insert("mtime".into(), json!(crate::time::iso(mtime)));
                }
            }
            Self::Delete { path } => {
                map.insert("path".into(), json!(path));
                map.insert("op".into(), json!("delete"));
            }
        }
        Value::Object(map)
    }
}

/// Tunables, changed through `PUT /admin/settings`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Batches kept per bucket.
    pub(crate) buffer: usize,
    /// Interval of keep-alive comments.
    pub(crate) ping: Duration,
    /// Streams end with `reconnect` after this long (`None`: never).
    pub(crate) max_stream: Option<Duration>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            buffer: DEFAULT_BUFFER,
            ping: DEFAULT_PING,
            max_stream: None,
        }
    }
}

/// One committed batch.
#[derive(Debug)]
struct Entry {
    seq: u64,
    at_ms: i64,
    /// The `data` of its `changes` event.
    data: String,
}

/// What streams watch: the latest sequence number and the bucket's generation (bumped when
/// the bucket is moved: streams opened under the old id end).
type Tip = (u64, u64);

#[derive(Debug)]
struct Log {
    epoch: String,
    /// Sequence number of the last entry (0: none yet).
    seq: u64,
    entries: std::collections::VecDeque<Arc<Entry>>,
    /// Changes up to this instant (ms) are not in `entries` (trimmed, or before the log).
    uncovered_until: i64,
    generation: u64,
    tip: watch::Sender<Tip>,
}

impl Log {
    fn new(uncovered_until: i64) -> Self {
        let mut epoch = [0u8; 4];
        crate::random_fill(&mut epoch);
        Self {
            epoch: epoch.iter().map(|b| format!("{b:02x}")).collect(),
            seq: 0,
            entries: std::collections::VecDeque::new(),
            uncovered_until,
            generation: 0,
            tip: watch::channel((0, 0)).0,
        }
    }

    fn cursor(&self, seq: u64) -> String {
        format!("{}.{seq}", self.epoch)
    }

    /// Entries after `seq`, or `None` when some of them were trimmed.
    fn after(&self, seq: u64) -> Option<Vec<Arc<Entry>>> {
        let first = self.entries.front().map_or(self.seq + 1, |e| e.seq);
        if seq + 1 < first {
            return None;
        }
        Some(
            self.entries
                .iter()
                .filter(|e| e.seq > seq)
                .cloned()
                .collect(),
        )
    }
}

/// Where a stream starts.
#[derive(Debug, Clone, PartialEq)]
enum Resume {
    Live,
    Cursor { epoch: String, seq: u64 },
    Since(i64),
}

fn parse_cursor(text: &str) -> Option<(String, u64)> {
    let (epoch, seq) = text.split_once('.')?;
    let valid_epoch = epoch.len() == 8 && epoch.bytes().all(|b| b.is_ascii_hexdigit());
    let seq = seq.parse::<u64>().ok()?;
    valid_epoch.then(|| (epoch.to_ascii_lowercase(), seq))
}

fn parse_resume(query: &Query) -> ApiResult<Resume> {
    let cursor = query.get("cursor").filter(|s| !s.is_empty());
    let since = query.get("since").filter(|s| !s.is_empty());
    match (cursor, since) {
        (Some(_), Some(_)) => Err(ApiError::BadRequest(
            "give at most one of cursor and since".into(),
        )),
        (Some(text), None) => parse_cursor(text)
            .map(|(epoch, seq)| Resume::Cursor { epoch, seq })
            .ok_or_else(|| ApiError::BadRequest(format!("invalid cursor: {text}"))),
        (None, Some(text)) => crate::time::parse_iso(text)
            .map(Resume::Since)
            .ok_or_else(|| {
                ApiError::BadRequest(format!("invalid since (ISO-8601 expected): {text}"))
            }),
        (None, None) => Ok(Resume::Live),
    }
}

/// Every bucket's log, keyed by the bucket's object id (which survives a move).
#[derive(Debug, Default)]
pub(crate) struct Events {
    logs: Mutex<HashMap<String, Log>>,
    settings: Mutex<Settings>,
    shutdown: Mutex<Option<watch::Sender<bool>>>,
}

impl Events {
    fn logs(&self) -> MutexGuard<'_, HashMap<String, Log>> {
        self.logs.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn settings(&self) -> Settings {
        *self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set_settings(&self, settings: Settings) {
        *self.settings.lock().unwrap_or_else(|p| p.into_inner()) = settings;
        let mut logs = self.logs();
        for log in logs.values_mut() {
            trim(log, settings.buffer);
        }
    }

    fn shutdown_receiver(&self) -> watch::Receiver<bool> {
        let mut guard = self.shutdown.lock().unwrap_or_else(|p| p.into_inner());
        guard
            .get_or_insert_with(|| watch::channel(false).0)
            .subscribe()
    }

    /// Ends every open stream with `reconnect` (local-hub is stopping).
    pub(crate) fn shut_down(&self) {
        let guard = self.shutdown.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sender) = guard.as_ref() {
            sender.send_replace(true);
        }
    }

    /// A new bucket: its whole history is in the log.
    pub(crate) fn created(&self, bucket: &Bucket) {
        self.logs().insert(bucket.oid.clone(), Log::new(i64::MIN));
    }

    /// Records a committed batch. Call while holding the store's write lock.
    pub(crate) fn committed(&self, bucket: &Bucket, at_ms: i64, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        let buffer = self.settings().buffer;
        let mut logs = self.logs();
        let log = logs
            .entry(bucket.oid.clone())
            .or_insert_with(|| Log::new(bucket.updated_at));
        log.seq += 1;
        let items: Vec<Value> = changes.iter().map(Change::to_json).collect();
        let data = json!({"cursor": log.cursor(log.seq), "changes": items}).to_string();
        log.entries.push_back(Arc::new(Entry {
            seq: log.seq,
            at_ms,
            data,
        }));
        trim(log, buffer);
        let tip = (log.seq, log.generation);
        log.tip.send_replace(tip);
    }

    /// The bucket was moved: streams opened under its old id end with `reconnect`.
    pub(crate) fn moved(&self, oid: &str) {
        if let Some(log) = self.logs().get_mut(oid) {
            log.generation += 1;
            let tip = (log.seq, log.generation);
            log.tip.send_replace(tip);
        }
    }

    /// The bucket was deleted: its log goes, its streams end with `reconnect`.
    pub(crate) fn deleted(&self, oid: &str) {
        self.logs().remove(oid);
    }
}

fn trim(log: &mut Log, buffer: usize) {
    while log.entries.len() > buffer {
        if let Some(old) = log.entries.pop_front() {
            log.uncovered_until = log.uncovered_until.max(old.at_ms);
        }
    }
}

/// What a stream sends first, decided under the log lock.
enum Start {
    Reset,
    Replay {
        entries: Vec<Arc<Entry>>,
        seq: u64,
        tip: watch::Receiver<Tip>,
        generation: u64,
    },
}

fn start(events: &Events, bucket: &Bucket, resume: &Resume) -> Start {
    let mut logs = events.logs();
    let log = logs
        .entry(bucket.oid.clone())
        .or_insert_with(|| Log::new(bucket.updated_at));
    let replay = match resume {
        Resume::Live => Some(Vec::new()),
        Resume::Cursor { epoch, seq } if *epoch == log.epoch && *seq <= log.seq => log.after(*seq),
        Resume::Cursor { .. } => None,
        Resume::Since(at) if *at < log.uncovered_until => None,
        Resume::Since(at) => Some(
            log.entries
                .iter()
                .filter(|e| e.at_ms > *at)
                .cloned()
                .collect(),
        ),
    };
    match replay {
        None => Start::Reset,
        Some(entries) => Start::Replay {
            entries,
            seq: log.seq,
            tip: log.tip.subscribe(),
            generation: log.generation,
        },
    }
}

fn frame(event: &str, data: &str) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}

/// Runs one stream: writes frames into `tx` until the stream ends or the client goes away.
async fn run(app: Arc<AppState>, oid: String, start: Start, tx: mpsc::Sender<Bytes>) {
    let events = &app.events;
    let Start::Replay {
        entries,
        mut seq,
        mut tip,
        generation,
    } = start
    else {
        let _ = tx
            .send(frame(
                "reset",
                &json!({"reason": "cursor_too_old"}).to_string(),
            ))
            .await;
        return;
    };
    for entry in &entries {
        if tx.send(frame("changes", &entry.data)).await.is_err() {
            return;
        }
    }
    let cursor_of = |seq: u64| -> Option<String> {
        events
            .logs()
            .get(&oid)
            .and_then(|log| (seq > 0).then(|| log.cursor(seq)))
    };
    let ready = match cursor_of(seq) {
        Some(cursor) => json!({ "cursor": cursor }),
        None => json!({}),
    };
    if tx.send(frame("ready", &ready.to_string())).await.is_err() {
        return;
    }
    let settings = events.settings();
    let mut shutdown = events.shutdown_receiver();
    let mut ping =
        tokio::time::interval_at(tokio::time::Instant::now() + settings.ping, settings.ping);
    let deadline = settings.max_stream.map(|d| tokio::time::Instant::now() + d);
    let end = |seq: u64| {
        let data = match cursor_of(seq) {
            Some(cursor) => json!({ "cursor": cursor }),
            None => json!({}),
        };
        frame("reconnect", &data.to_string())
    };
    loop {
        let until_deadline = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            changed = tip.changed() => {
                let (_, now_generation) = *tip.borrow_and_update();
                if changed.is_err() || now_generation != generation {
                    let _ = tx.send(end(seq)).await;
                    return;
                }
                let next = events.logs().get(&oid).map(|log| log.after(seq));
                match next {
                    Some(Some(entries)) => {
                        for entry in entries {
                            if tx.send(frame("changes", &entry.data)).await.is_err() {
                                return;
                            }
                            seq = entry.seq;
                        }
                    }
                    Some(None) => {
                        // Fell behind the buffer.
                        let _ = tx
                            .send(frame("reset", &json!({"reason": "cursor_too_old"}).to_string()))
                            .await;
                        return;
                    }
                    None => {
                        let _ = tx.send(frame("reconnect", "{}")).await;
                        return;
                    }
                }
            }
            _ = ping.tick() => {
                if tx.send(Bytes::from_static(b": ping\n\n")).await.is_err() {
                    return;
                }
            }
            _ = shutdown.changed() => {
                let _ = tx.send(end(seq)).await;
                return;
            }
            () = until_deadline => {
                let _ = tx.send(end(seq)).await;
                return;
            }
            () = tx.closed() => return,
        }
    }
}

/// `GET /api/buckets/{ns}/{name}/events`.
pub(super) async fn events(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (ns, name) = (param(&params, "ns")?, param(&params, "name")?);
    let caller = app.caller(&headers)?;
    let resume = parse_resume(&Query::parse(uri.query()))?;
    let (oid, start) = {
        let db = app.store.read().await;
        let bucket = visible_bucket(&app, &db, caller.as_ref(), &ns, &name)?;
        (bucket.oid.clone(), start(&app.events, bucket, &resume))
    };
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    tokio::spawn(run(app.clone(), oid, start, tx));
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<Bytes, Infallible>(bytes), rx))
    }));
    let mut response = (StatusCode::OK, body).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response_headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(hash: char, size: u64, mtime: Option<i64>, uploaded_at: i64) -> FileEntry {
        FileEntry {
            xet_hash: hash.to_string().repeat(64),
            size,
            mtime,
            uploaded_at,
            content_type: None,
        }
    }

    #[test]
    fn change_payloads() {
        let a = file('a', 3, Some(1000), 2000);
        let add = Change::between("x", None, Some(&a)).map(|c| c.to_json());
        assert_eq!(
            add,
            Some(
                json!({"path": "x", "op": "add", "size": 3, "xetHash": "a".repeat(64),
                        "uploadedAt": "1970-01-01T00:00:02.000Z", "mtime": "1970-01-01T00:00:01.000Z"})
            )
        );
        let b = file('b', 3, Some(1000), 3000);
        assert_eq!(
            Change::between("x", Some(&a), Some(&b)).map(|c| c.to_json()),
            Some(
                json!({"path": "x", "op": "update", "xetHash": "b".repeat(64),
                        "uploadedAt": "1970-01-01T00:00:03.000Z"})
            )
        );
        assert_eq!(
            Change::between("x", Some(&a), None).map(|c| c.to_json()),
            Some(json!({"path": "x", "op": "delete"}))
        );
        assert!(Change::between("x", None, None).is_none());
    }

    #[test]
    fn resume_parameters() {
        let query = |q: &str| parse_resume(&Query::parse(Some(q)));
        assert_eq!(query("").ok(), Some(Resume::Live));
        assert_eq!(
            query("cursor=0a1b2c3d.7").ok(),
            Some(Resume::Cursor {
                epoch: "0a1b2c3d".into(),
                seq: 7
            })
        );
        assert!(query("cursor=nope").is_err());
        assert!(query("cursor=0a1b2c3d.x").is_err());
        assert_eq!(
            query("since=2026-03-01T09%3A00%3A00.000Z").ok(),
            Some(Resume::Since(1_772_355_600_000))
        );
        assert!(query("since=yesterday").is_err());
        assert!(query("cursor=0a1b2c3d.1&since=2026-03-01T09:00:00Z").is_err());
    }

    #[test]
    fn buffer_trims_and_old_cursors_reset() {
        let mut log = Log::new(i64::MIN);
        for i in 1..=5 {
            log.seq = i;
            log.entries.push_back(Arc::new(Entry {
                seq: i,
                at_ms: i as i64 * 10,
                data: String::new(),
            }));
        }
        trim(&mut log, 3);
        assert_eq!(log.uncovered_until, 20);
        assert!(log.after(1).is_none(), "entry 2 was trimmed");
        assert_eq!(log.after(2).map(|e| e.len()), Some(3));
        assert_eq!(log.after(5).map(|e| e.len()), Some(0));
    }
}
