//! The events of a bucket's change feed (buckets-workflows §6.2), read from parsed SSE events.
//!
//! Lenient as the official client is: an empty payload reads as `{}`; a payload that is not a
//! JSON object, a `changes` event
//! without a string `cursor` and a list `changes`, an unknown event name, and a change whose
//! `op` is not `add`/`update`/`delete` or whose `path` is not a string are ignored ([`parse`]
//! returns `None` / drops the entry). A field of the wrong type (`size` not an integer, a
//! timestamp that does not parse) is treated as absent.
//!
//! ```
//! use hf_buckets::watch::{parse_feed_event, FeedEvent, SseEvent, Op};
//! let e = SseEvent { event: "changes".into(),
//!     data: r#"{"cursor":"1.2","changes":[{"path":"a","op":"delete"},{"path":"b","op":"rename"}]}"#.into() };
//! let Some(FeedEvent::Changes { cursor, changes }) = parse_feed_event(&e) else { panic!() };
//! assert_eq!((cursor.as_str(), changes.len(), changes[0].op), ("1.2", 1, Op::Delete));
//! ```

use xet::json::Value;

use super::sse::SseEvent;
use crate::hub::parse_timestamp;

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// A path that did not exist.
    Add,
    /// An existing path overwritten; only changed fields are set.
    Update,
    /// A path removed.
    Delete,
}

impl Op {
    /// The wire (and JS `type`) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }
}

/// One file change. For [`Op::Update`] an absent field means "unchanged".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Full path in the bucket.
    pub path: String,
    /// The operation.
    pub op: Op,
    /// Size in bytes.
    pub size: Option<u64>,
    /// Xet hash (may be absent when not readable with this token).
    pub xet_hash: Option<String>,
    /// Client-supplied modification time, ms since the epoch.
    pub mtime: Option<i64>,
    /// When the server recorded the file, ms since the epoch.
    pub uploaded_at: Option<i64>,
}

/// One event of the feed that the follower acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent {
    /// One committed batch (`changes` may be empty; the cursor still moves).
    Changes {
        /// Resume point after this batch.
        cursor: String,
        /// Its file changes, in line order.
        changes: Vec<Change>,
    },
    /// Replay done, now live.
    Ready {
        /// The latest cursor (absent when the bucket has no history yet).
        cursor: Option<String>,
    },
    /// The resume point is older than the server's replay buffer.
    Reset,
    /// The server ends the stream and asks for a reconnection.
    Reconnect {
        /// Where to resume, when given.
        cursor: Option<String>,
    },
}

/// The feed event carried by `e`, or `None` for anything the client must ignore.
pub fn parse(e: &SseEvent) -> Option<FeedEvent> {
    // An empty payload (`data:` alone) reads as `{}`, as the official client reads it.
    let data = if e.data.trim().is_empty() {
        Value::Object(Vec::new())
    } else {
        match xet::json::parse(e.data.as_bytes()) {
            Ok(data @ Value::Object(_)) => data,
            _ => return None,
        }
    };
    let cursor = |d: &Value| d.get("cursor").and_then(Value::as_str).map(String::from);
    match e.event.as_str() {
        "changes" => {
            let cursor = cursor(&data)?;
            let list = data.get("changes")?.as_array()?;
            Some(FeedEvent::Changes {
                cursor,
                changes: list.iter().filter_map(change).collect(),
            })
        }
        "ready" => Some(FeedEvent::Ready {
            cursor: cursor(&data),
        }),
        "reset" => Some(FeedEvent::Reset),
        "reconnect" => Some(FeedEvent::Reconnect {
            cursor: cursor(&data),
        }),
        _ => None,
    }
}

/// One change of a `changes` event (`None` for anything but an object with a known `op` and a
/// `path`: `get` finds no member in a non-object).
fn change(o: &Value) -> Option<Change> {
    let op = match o.get("op")?.as_str()? {
        "add" => Op::Add,
        "update" => Op::Update,
        "delete" => Op::Delete,
        _ => return None,
    };
    let time = |k: &str| o.get(k).and_then(Value::as_str).and_then(parse_timestamp);
    Some(Change {
        path: o.get("path")?.as_str()?.to_string(),
        op,
        size: o.get("size").and_then(Value::as_u64),
        xet_hash: o.get("xetHash").and_then(Value::as_str).map(String::from),
        mtime: time("mtime"),
        uploaded_at: time("uploadedAt"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(event: &str, data: &str) -> Option<FeedEvent> {
        parse(&SseEvent {
            event: event.into(),
            data: data.into(),
        })
    }

    #[test]
    fn events_and_what_is_ignored() {
        assert_eq!(p("ready", "{}"), Some(FeedEvent::Ready { cursor: None }));
        assert_eq!(
            p("ready", r#"{"cursor":"c"}"#),
            Some(FeedEvent::Ready {
                cursor: Some("c".into())
            })
        );
        assert_eq!(p("ready", " "), Some(FeedEvent::Ready { cursor: None }));
        assert_eq!(p("reset", r#"{"reason":"old"}"#), Some(FeedEvent::Reset));
        assert_eq!(
            p("reconnect", r#"{"cursor":7}"#),
            Some(FeedEvent::Reconnect { cursor: None })
        );
        for (event, data) in [
            ("ready", "not json"),
            ("ready", "[1]"),
            ("ready", "\"s\""),
            ("message", "{}"),
            ("changes", r#"{"changes":[]}"#),
            ("changes", r#"{"cursor":"c","changes":{}}"#),
            ("changes", r#"{"cursor":1,"changes":[]}"#),
        ] {
            assert_eq!(p(event, data), None, "{event} {data}");
        }
        assert_eq!(
            p("changes", r#"{"cursor":"c","changes":[]}"#),
            Some(FeedEvent::Changes {
                cursor: "c".into(),
                changes: vec![]
            })
        );
    }

    #[test]
    fn change_fields() {
        let data = r#"{"cursor":"c","changes":[
            {"path":"a/b","op":"add","size":3,"xetHash":"h","mtime":"2026-01-01T00:00:00.123Z","uploadedAt":"2026-01-02T00:00:00Z"},
            {"path":"u","op":"update","size":-1,"mtime":"yesterday"},
            {"path":"x","op":"copy"}, {"op":"delete"}, 5, {"path":"d","op":"delete"}]}"#;
        let Some(FeedEvent::Changes { changes, .. }) = p("changes", data) else {
            panic!()
        };
        assert_eq!(changes.len(), 3);
        assert_eq!(
            changes[0],
            Change {
                path: "a/b".into(),
                op: Op::Add,
                size: Some(3),
                xet_hash: Some("h".into()),
                mtime: Some(1_767_225_600_123),
                uploaded_at: Some(1_767_312_000_000),
            }
        );
        assert_eq!(
            (changes[1].op, changes[1].size, changes[1].mtime),
            (Op::Update, None, None)
        );
        assert_eq!((changes[2].path.as_str(), changes[2].op), ("d", Op::Delete));
    }
}
