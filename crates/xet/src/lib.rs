//! Pure Rust Xet core (see `../shared/spec/xet-protocol.md`). No I/O, no wasm types.
