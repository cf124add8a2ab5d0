//! Arbitrary bytes into the shard parser (upload form and full form with footer and lookup
//! tables). Only asserts that nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = xet::shard::parse_shard(data);
});
