//! hf-buckets: a client for Hugging Face Storage Buckets, compiled to WebAssembly.
//!
//! The pure Xet engine lives in the `xet` crate (re-exported here). This crate adds the
//! Hub API (`hub`), HTTP transport (`transport`), the upload and download pipelines, and
//! the `#[wasm_bindgen]` bindings (`bindings`, wasm32 only). No logic lives in this file.
#![warn(missing_docs, unreachable_pub)]

pub use xet;

#[cfg(feature = "client")]
pub mod cas;
#[cfg(feature = "client")]
pub mod download;
#[cfg(feature = "client")]
pub mod error;
#[cfg(feature = "client")]
pub mod hub;
#[cfg(feature = "client")]
pub mod remove;
#[cfg(feature = "client")]
pub mod sync;
#[cfg(feature = "client")]
pub mod transport;
#[cfg(feature = "client")]
pub mod upload;
#[cfg(feature = "client")]
pub mod watch;

#[cfg(target_arch = "wasm32")]
mod bindings;
