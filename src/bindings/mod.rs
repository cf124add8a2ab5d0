//! The only place with `#[wasm_bindgen]`: thin conversions between JS values and Rust types.
//!
//! Module graph (a leaf of exports, no cycle): `client`, `transfer`, `iter` hold the
//! `#[wasm_bindgen]` types; `transfer` → `client` (the client type) → `iter` (pagers); all of
//! them → `adapters` (the crate's traits over JS values) → `args` (the only JS-argument reader)
//! → `error` (JS errors). Nothing outside `bindings` imports from it.

#[cfg(feature = "client")]
mod adapters;
#[cfg(feature = "client")]
mod args;
#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
mod error;
#[cfg(feature = "client")]
mod iter;
#[cfg(feature = "client")]
mod transfer;
mod xet;
