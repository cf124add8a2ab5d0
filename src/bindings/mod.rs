//! The only place with `#[wasm_bindgen]`: thin conversions between JS values and Rust types.

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
mod error;
#[cfg(feature = "client")]
mod iter;
#[cfg(feature = "client")]
mod transfer;
mod xet;
