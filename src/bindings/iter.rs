//! [`JsPager`]: one listing, fetched a whole page per `nextPage(signal)` call (whole pages cross
//! the boundary, not items). `js/iter.js` wraps it in an async generator that calls `free()` in
//! `finally`, so breaking out of `for await` stops fetching and releases the Rust state.
//!
//! `nextPage` returns a Promise built over shared state (`Rc`), so no borrow of the wasm object
//! is held while a page is in flight; a second `nextPage` while one is pending is rejected
//! instead of corrupting the position.

#![cfg(feature = "client")]
// `#[wasm_bindgen]` exports must be `pub` although the module is private.
#![allow(unreachable_pub)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::args::{run, take_state, to_js};
use crate::error::Error;
use crate::hub::{BucketInfo, HubClient, Pager, TreeListing};

thread_local! {
    static LIVE: Cell<u32> = const { Cell::new(0) };
}

/// Which listing a pager walks.
pub(crate) enum PagerKind {
    /// `listBuckets`: pages of [`BucketInfo`].
    Buckets(Pager),
    /// `listBucketTree`: pages of tree entries.
    Tree(TreeListing),
}

/// A lazily fetched listing. Free it (the JS iterator does) when done.
#[wasm_bindgen]
pub struct JsPager {
    hub: Rc<HubClient>,
    state: Rc<RefCell<Option<PagerKind>>>,
}

impl JsPager {
    pub(crate) fn new(hub: Rc<HubClient>, kind: PagerKind) -> JsPager {
        LIVE.with(|n| n.set(n.get() + 1));
        JsPager {
            hub,
            state: Rc::new(RefCell::new(Some(kind))),
        }
    }
}

impl Drop for JsPager {
    fn drop(&mut self) {
        LIVE.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

#[wasm_bindgen]
impl JsPager {
    /// The next page (an array, possibly empty) or `null` at the end. `options`: `{ signal? }`.
    #[wasm_bindgen(js_name = nextPage)]
    pub fn next_page(&self, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        let state = self.state.clone();
        run(options, |call| async move {
            let mut kind = take_state(
                &state,
                "nextPage",
                "called again before the previous page arrived",
            )?;
            let result: Result<Option<JsValue>, Error> = match &mut kind {
                PagerKind::Buckets(p) => {
                    match p.next_page::<BucketInfo>(&hub, &call.cancel).await {
                        Ok(Some(page)) => to_js(&page).map(Some),
                        Ok(None) => Ok(None),
                        Err(e) => Err(e),
                    }
                }
                PagerKind::Tree(t) => match t.next_page(&hub, &call.cancel).await {
                    Ok(Some(page)) => to_js(&page).map(Some),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                },
            };
            if let Ok(mut s) = state.try_borrow_mut() {
                *s = Some(kind);
            }
            Ok(result?.unwrap_or(JsValue::NULL))
        })
    }
}

/// Number of pagers not yet freed (tests check that breaking out of a listing frees its pager).
#[wasm_bindgen(js_name = __livePagers)]
pub fn live_pagers() -> u32 {
    LIVE.with(Cell::get)
}
