//! Arbitrary bytes into the V1 and V2 reconstruction JSON parsers. Only asserts that nothing
//! panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = xet::reconstruction::parse_v1(data);
    let _ = xet::reconstruction::parse_v2(data);
});
