//! Arbitrary bytes into the xorb parsers: whole objects (with or without footer), footer tails
//! (and the chunk lengths and record ranges a partial read takes from them), and runs of chunk
//! records as fetched ranges. Only asserts that nothing panics and that a
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
    if let Ok((footer, start)) = XorbFooter::parse_tail(data) {
        assert!(start <= data.len());
        // What a partial read uses of a footer: lengths and record ranges, never a panic.
        if let Ok(lens) = footer.chunk_lengths() {
            assert_eq!(lens.len(), footer.num_chunks());
        }
        let n = footer.num_chunks() as u32;
        for (a, b) in [(0, n), (n / 2, n), (1, 2), (n, n + 1)] {
            if let Some((s, e)) = footer.record_range(a, b) {
                assert!(s < e);
            }
        }
    }
    let mut out = Vec::new();
    if let Ok(lens) = decode_chunks(data, &mut out) {
        assert_eq!(lens.iter().map(|&l| l as usize).sum::<usize>(), out.len());
    }
});
