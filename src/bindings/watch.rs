//! [`JsWatcher`]: the JS face of [`crate::watch::Watcher`] (`watchBucket`, issue 13).
//!
//! `BucketClient.watchBucketWatcher(bucketId, options)` builds one; each `nextPage()` resolves
//! with the next non-empty array of events (plain objects, timestamps as `Date`s) and rejects
//! with the typed error that ends the watch. `js/iter.js` wraps it in an async generator (the
//! same `pages` as the listings) that calls `free()` in `finally`: `break` drops the watcher,
//! which cancels its connection. The caller's `signal` is read once, at creation; it aborts the
//! connection and any pending `nextPage`.

#![cfg(feature = "client")]
// `#[wasm_bindgen]` exports must be `pub` although the module is private.
#![allow(unreachable_pub)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::args::{bucket_id_arg, promise, take_state, to_js, watch_options, Call};
use super::client::JsBucketClient;
use crate::error::Error;
use crate::hub::ToJson;
use crate::transport::Cancel;
use crate::watch::{WatchEvent, Watcher};

thread_local! {
    static LIVE: Cell<u32> = const { Cell::new(0) };
}

/// A running watch. Free it (the JS iterator does) to close its connection.
#[wasm_bindgen]
pub struct JsWatcher {
    state: Rc<RefCell<Option<Watcher>>>,
    signal: Option<AbortSignal>,
    cancel: Cancel,
}

impl Drop for JsWatcher {
    fn drop(&mut self) {
        LIVE.with(|n| n.set(n.get().saturating_sub(1)));
        self.cancel.cancel();
    }
}

/// One event as JS sees it (`mtime`/`uploadedAt` become `Date`s in [`to_js`]).
struct JsEvent<'a> {
    kind: &'a str,
    path: Option<&'a str>,
    size: Option<u64>,
    xet_hash: Option<&'a str>,
    mtime: Option<i64>,
    uploaded_at: Option<i64>,
    cursor: Option<&'a str>,
}

impl ToJson for JsEvent<'_> {
    fn write_json(&self, out: &mut String) {
        xet::json::write_object(out, |o| {
            o.str("type", self.kind).opt_str("path", self.path);
            if let Some(size) = self.size {
                o.u64("size", size);
            }
            o.opt_str("xetHash", self.xet_hash)
                .opt_i64("mtime", self.mtime)
                .opt_i64("uploadedAt", self.uploaded_at)
                .opt_str("cursor", self.cursor);
        });
    }
}

fn js_event(e: &WatchEvent) -> JsEvent<'_> {
    match e {
        WatchEvent::Change { change, cursor } => JsEvent {
            kind: change.op.as_str(),
            path: Some(&change.path),
            size: change.size,
            xet_hash: change.xet_hash.as_deref(),
            mtime: change.mtime,
            uploaded_at: change.uploaded_at,
            cursor: cursor.as_deref(),
        },
        WatchEvent::Ready { cursor } => JsEvent {
            kind: "ready",
            path: None,
            size: None,
            xet_hash: None,
            mtime: None,
            uploaded_at: None,
            cursor: cursor.as_deref(),
        },
    }
}

#[wasm_bindgen(js_class = BucketClient)]
impl JsBucketClient {
    /// A watcher for `watchBucket(bucketId, { prefix?, cursor?, since?, initial?, timing?,
    /// signal? })`. Throws a `ValidationError` for bad arguments; nothing is sent yet.
    #[wasm_bindgen(js_name = watchBucketWatcher)]
    pub fn watch_bucket_watcher(
        &self,
        bucket_id: JsValue,
        options: JsValue,
    ) -> Result<JsWatcher, JsValue> {
        let id = bucket_id_arg(&bucket_id, "bucket id")?;
        let watch = watch_options(&options)?;
        let call = Call::new(&options)?;
        let (signal, cancel) = (call.signal, call.cancel);
        let watcher = Watcher::new(self.hub.clone(), id, watch, cancel.clone())?;
        LIVE.with(|n| n.set(n.get() + 1));
        Ok(JsWatcher {
            state: Rc::new(RefCell::new(Some(watcher))),
            signal,
            cancel,
        })
    }
}

#[wasm_bindgen]
impl JsWatcher {
    /// The next non-empty array of events; rejects with the error that ends the watch (then
    /// resolves `null`). `options` is ignored: the signal given at creation applies.
    #[wasm_bindgen(js_name = nextPage)]
    pub fn next_page(&self, _options: JsValue) -> Promise {
        let state = self.state.clone();
        promise(self.signal.clone(), async move {
            let mut watcher = take_state(
                &state,
                "nextPage",
                "called again before the previous events arrived",
            )?;
            let result: Result<Option<Vec<WatchEvent>>, Error> = watcher.next_batch().await;
            if let Ok(mut s) = state.try_borrow_mut() {
                *s = Some(watcher);
            }
            match result? {
                Some(batch) => to_js(&batch.iter().map(js_event).collect::<Vec<_>>()),
                None => Ok(JsValue::NULL),
            }
        })
    }
}

/// Number of watchers not yet freed (tests check that `break` frees the watcher).
#[wasm_bindgen(js_name = __liveWatchers)]
pub fn live_watchers() -> u32 {
    LIVE.with(Cell::get)
}
