//! The only place with `#[wasm_bindgen]`: thin conversions between JS values and Rust types.
//!
//! Module graph (a leaf of exports, no cycle): `client`, `transfer`, `iter`, `watch`, `sync`,
//! `remove` hold the `#[wasm_bindgen]` types; `transfer`, `watch`, `sync` and `remove` → `client`
//! (the client type) → `iter` (pagers); all of them → `adapters` (the crate's traits over JS
//! values) → `args` (the only JS-argument reader) → `error` (JS errors). Nothing outside
//! `bindings` imports from it. All but `xet` are the client's (each file is gated on the
//! `client` feature).

mod adapters;
mod args;
mod client;
mod error;
mod iter;
mod remove;
mod sync;
mod transfer;
mod watch;
mod xet;
