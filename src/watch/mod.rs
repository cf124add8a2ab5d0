//! Following a bucket's live change feed (`GET /api/buckets/{id}/events`, buckets-workflows §6).
//!
//! Layers, each pure and tested natively except the last: [`sse`] turns bytes into events with
//! bounded memory; [`feed`] reads the feed's `changes` / `ready` / `reset` / `reconnect` events
//! leniently; [`policy`] is the reconnect state machine of §6.3 (resume point, backoff,
//! healthy and unhealthy sessions, 400 step-back) with its timing constants; [`view`] keeps the
//! compact path → fields view that turns a `reset` into the differences with a fresh listing;
//! [`follower`] drives them over [`crate::hub::HubClient`] ([`Watcher`]).
//!
//! ```no_run
//! # async fn demo(hub: std::rc::Rc<hf_buckets::hub::HubClient>) -> Result<(), hf_buckets::error::Error> {
//! use hf_buckets::watch::{Watcher, WatchEvent, WatchOptions};
//! use hf_buckets::transport::Cancel;
//! let options = WatchOptions { prefix: "logs".into(), initial: true, ..Default::default() };
//! let mut w = Watcher::new(hub, "me/b".parse()?, options, Cancel::new())?;
//! while let Some(batch) = w.next_batch().await? {
//!     for e in batch {
//!         if let WatchEvent::Change { change, .. } = e { println!("{} {}", change.op.as_str(), change.path); }
//!     }
//! }
//! # Ok(()) }
//! ```

pub mod feed;
pub mod follower;
pub mod policy;
pub mod sse;
pub mod view;

pub use feed::{parse as parse_feed_event, Change, FeedEvent, Op};
pub use follower::{WatchEvent, WatchOptions, Watcher};
pub use policy::{Next, Policy, Resume, SessionEnd, Timing};
pub use sse::{SseError, SseEvent, SseParser, MAX_EVENT_BYTES, MAX_LINE_BYTES};
pub use view::View;
