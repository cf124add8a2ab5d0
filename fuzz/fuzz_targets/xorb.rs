//! Arbitrary bytes into the xorb parsers: whole objects (with or without footer), footer tails,
//! and runs of chunk records as fetched ranges. Only asserts that nothing panics and that a
//! successful parse is self-consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xet::xorb::{decode_chunks, parse_xorb, XorbFooter};

fuzz_target!(|data: &[u8]| {
    if let Ok(xorb) = parse_xorb(data) {
        assert!(xorb.records_len <= data.len());
        if let Some(footer) = &xorb.footer {
            assert_eq!(footer.xorb_hash, xorb.hash);
        }
    }
    let _ = XorbFooter::parse_tail(data);
    let mut out = Vec::new();
    if let Ok(lens) = decode_chunks(data, &mut out) {
        assert_eq!(lens.iter().map(|&l| l as usize).sum::<usize>(), out.len());
    }
});
