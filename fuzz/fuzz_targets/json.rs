//! `xet::json`, the client's JSON reader and writer, against serde_json on any input (the
//! comparison of crates/xet/tests/support/json.rs): both accept or both refuse, an accepted
//! document reads as the same value, and what ours writes reads back as the same value. Nothing
//! may panic, however deep or malformed the input.
#![no_main]

#[path = "../../crates/xet/tests/support/json.rs"]
mod support;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| support::check(data));
