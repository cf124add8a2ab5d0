//! Slow, readable reference chunker: the normative boundary rule of spec §2.2, byte by byte,
//! without skip-ahead or lanes. It is the oracle the fast [`crate::chunker`] is tested against.
//!
//! Only built for tests or with the `reference` cargo feature.
//!
//! ```
//! assert_eq!(xet::reference::chunk_ends(&[7u8; 10]), vec![10]);
//! assert!(xet::reference::chunk_ends(&[]).is_empty());
//! ```

use crate::chunker::{BOUNDARY_MASK, GEAR_TABLE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE};

/// End offsets (exclusive) of every chunk of `data`, in order.
pub fn chunk_ends(data: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut start = 0;
    let mut h: u64 = 0;
    for (p, &byte) in data.iter().enumerate() {
        // The hash restarts at each chunk start; by the 64-byte window property this equals the
        // hash of the last 64 bytes whenever a match may count (len >= 8192).
        h = (h << 1).wrapping_add(GEAR_TABLE[byte as usize]);
        let len = p + 1 - start;
        if (len >= MIN_CHUNK_SIZE && h & BOUNDARY_MASK == 0) || len == MAX_CHUNK_SIZE {
            ends.push(p + 1);
            start = p + 1;
            h = 0;
        }
    }
    if start < data.len() {
        ends.push(data.len());
    }
    ends
}
