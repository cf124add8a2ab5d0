//! Content-defined chunking (spec §2): the gear rolling hash, the min/target/max boundary rule
//! with its skip-ahead, streaming over arbitrary slices, and the stable-boundary helper (§2.4).
//!
//! * [`Chunker`] finds boundaries only; the caller keeps the bytes.
//! * [`ChunkHasher`] also hashes every chunk (spec §3.1) as the bytes arrive, without buffering.
//! * [`chunk_all`] is the one-shot form.
//!
//! Both streaming types yield exactly the boundaries of a one-shot pass, however the input is
//! split into slices.
//!
//! ```
//! use xet::chunker::{chunk_all, ChunkHasher};
//!
//! let data: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
//! let mut hasher = ChunkHasher::new();
//! let mut chunks = Vec::new();
//! for piece in data.chunks(1000) {
//!     hasher.push(piece, &mut chunks);
//! }
//! hasher.finish(&mut chunks);
//! assert_eq!(chunks, chunk_all(&data));
//! assert_eq!(chunks.iter().map(|c| u64::from(c.len)).sum::<u64>(), 300_000);
//! ```
//!
//! # How the scan is fast
//!
//! The gear hash after byte `p` depends only on bytes `p-63..=p` (§2.1), so whether `p` is a
//! hash match is a property of that window alone: the chunker never hashes the first 8127 bytes
//! of a chunk (they cannot matter), warms the hash up on the next 64 without testing, and scans
//! the rest with a loop unrolled by 32 bytes that exits on the first match (`xet_kernels::scan`).
//! No chunk bytes are copied or buffered.

use crate::hash::{Hash, DATA_KEY};
use xet_kernels::{roll, scan};

pub use xet_kernels::GEAR_TABLE;

/// Minimum chunk size (spec §1.2); only the last chunk of a file may be shorter.
pub const MIN_CHUNK_SIZE: usize = 8192;
/// Target (mean, before the skip) chunk size (spec §1.2).
pub const TARGET_CHUNK_SIZE: usize = 65536;
/// Maximum chunk size: a chunk is cut here if no hash match occurred (spec §1.2).
pub const MAX_CHUNK_SIZE: usize = 131072;
/// Boundary mask: a position matches when `hash & BOUNDARY_MASK == 0` (spec §2.2).
pub const BOUNDARY_MASK: u64 = 0xFFFF_0000_0000_0000;

/// Bytes the gear hash looks back over (spec §2.1).
const WINDOW: usize = 64;
/// Offset in the chunk of the first byte that is hashed (spec §2.3).
const HASH_START: usize = MIN_CHUNK_SIZE - WINDOW - 1;
/// Offset in the chunk of the first byte whose hash may end the chunk (`len = MIN_CHUNK_SIZE`).
const TEST_START: usize = MIN_CHUNK_SIZE - 1;
/// Streaming boundary finder (spec §2.2, §2.3).
///
/// Feed the bytes of one file in order with [`Chunker::next_boundary`], then call
/// [`Chunker::finish`]. The chunker holds no bytes, only the length of the pending chunk and the
/// rolling hash state.
#[derive(Debug, Clone, Default)]
pub struct Chunker {
    /// Bytes of the current chunk consumed so far.
    pending: usize,
    /// Gear hash state (meaningful once `pending > HASH_START`).
    h: u64,
}

impl Chunker {
    /// A chunker at the start of a file.
    pub fn new() -> Chunker {
        Chunker::default()
    }

    /// Consumes bytes from the front of `data`.
    ///
    /// Returns `Some(k)` when the current chunk ends after `data[..k]` (`1 <= k <= data.len()`);
    /// then `k` bytes are consumed and the caller continues with `data[k..]`. Returns `None` when
    /// all of `data` was consumed without a cut.
    pub fn next_boundary(&mut self, data: &[u8]) -> Option<usize> {
        let mut pos = 0usize;
        if self.pending < HASH_START {
            let skip = (HASH_START - self.pending).min(data.len());
            self.pending += skip;
            pos = skip;
            if self.pending < HASH_START {
                return None;
            }
            self.h = 0;
        }
        if self.pending < TEST_START {
            let take = (TEST_START - self.pending).min(data.len() - pos);
            let window = data.get(pos..pos + take).unwrap_or_default();
            self.h = window.iter().fold(self.h, |h, &b| roll(h, b));
            self.pending += take;
            pos += take;
            if self.pending < TEST_START {
                return None;
            }
        }
        let take = (MAX_CHUNK_SIZE - self.pending).min(data.len() - pos);
        let region = data.get(pos..pos + take).unwrap_or_default();
        match scan(region, &mut self.h) {
            Some(i) => {
                self.reset();
                Some(pos + i + 1)
            }
            None => {
                self.pending += take;
                if self.pending == MAX_CHUNK_SIZE {
                    self.reset();
                    Some(pos + take)
                } else {
                    None
                }
            }
        }
    }

    /// Ends the file: returns the length of the last, pending chunk if it is non-empty, and
    /// resets the chunker for a new file.
    pub fn finish(&mut self) -> Option<usize> {
        let pending = self.pending;
        self.reset();
        (pending > 0).then_some(pending)
    }

    /// Bytes consumed since the last boundary.
    pub fn bytes_pending(&self) -> usize {
        self.pending
    }

    fn reset(&mut self) {
        self.pending = 0;
        self.h = 0;
    }
}

/// One chunk of a file: where it starts, its length and its chunk hash (spec §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Chunk {
    /// Offset of the chunk's first byte in the file.
    pub offset: u64,
    /// Length in bytes (1..=[`MAX_CHUNK_SIZE`]).
    pub len: u32,
    /// Chunk hash of the chunk's bytes.
    pub hash: Hash,
}

/// Streaming chunker that also hashes each chunk.
///
/// Bytes go into a keyed BLAKE3 hasher as they arrive, so no chunk is ever buffered; large
/// slices reach BLAKE3's SIMD path.
#[derive(Debug, Clone)]
pub struct ChunkHasher {
    chunker: Chunker,
    hasher: blake3::Hasher,
    /// File offset of the pending chunk.
    offset: u64,
    /// Bytes of the pending chunk hashed so far.
    pending: u64,
}

impl Default for ChunkHasher {
    fn default() -> Self {
        ChunkHasher::new()
    }
}

impl ChunkHasher {
    /// A chunk hasher at the start of a file.
    pub fn new() -> ChunkHasher {
        ChunkHasher {
            chunker: Chunker::new(),
            hasher: blake3::Hasher::new_keyed(&DATA_KEY),
            offset: 0,
            pending: 0,
        }
    }

    /// A chunk hasher whose first chunk starts at file offset `offset`, in the state right after
    /// a boundary. From a boundary on, chunking depends only on the bytes that follow it, so this
    /// yields the same chunks (with offsets shifted by `offset`) as a hasher that reached a
    /// boundary at `offset` in a whole-file pass.
    pub fn at_offset(offset: u64) -> ChunkHasher {
        ChunkHasher {
            offset,
            ..ChunkHasher::new()
        }
    }

    /// Consumes `data`, appending every chunk completed by it to `out`.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<Chunk>) {
        let mut rest = data;
        while let Some(k) = self.chunker.next_boundary(rest) {
            let (head, tail) = rest.split_at(k.min(rest.len()));
            self.hasher.update(head);
            self.pending += head.len() as u64;
            out.push(self.take_chunk());
            rest = tail;
        }
        self.hasher.update(rest);
        self.pending += rest.len() as u64;
    }

    /// Consumes bytes from the front of `data` up to the end of the pending chunk at most.
    ///
    /// Returns how many bytes were consumed and, when they complete the pending chunk, that
    /// chunk; otherwise all of `data` was consumed.
    pub fn push_to_boundary(&mut self, data: &[u8]) -> (usize, Option<Chunk>) {
        match self.chunker.next_boundary(data) {
            Some(k) => {
                let head = data.get(..k).unwrap_or(data);
                self.hasher.update(head);
                self.pending += head.len() as u64;
                (head.len(), Some(self.take_chunk()))
            }
            None => {
                self.hasher.update(data);
                self.pending += data.len() as u64;
                (data.len(), None)
            }
        }
    }

    /// File offset of the pending chunk (where the next chunk starts).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Ends the file: appends the last chunk (if any bytes are pending) and resets for a new
    /// file starting at offset 0.
    pub fn finish(&mut self, out: &mut Vec<Chunk>) {
        if self.chunker.finish().is_some() {
            out.push(self.take_chunk());
        }
        self.offset = 0;
    }

    /// Bytes consumed since the last emitted chunk.
    pub fn bytes_pending(&self) -> u64 {
        self.pending
    }

    /// Closes the pending chunk and starts the next one after it.
    fn take_chunk(&mut self) -> Chunk {
        let hash = Hash::from_bytes(*self.hasher.finalize().as_bytes());
        self.hasher.reset();
        // A chunk never exceeds MAX_CHUNK_SIZE, which fits in u32.
        let len = u32::try_from(self.pending).unwrap_or(u32::MAX);
        let chunk = Chunk {
            offset: self.offset,
            len,
            hash,
        };
        self.offset += self.pending;
        self.pending = 0;
        chunk
    }
}

/// Chunks and hashes a whole file in one call.
pub fn chunk_all(data: &[u8]) -> Vec<Chunk> {
    let mut out = Vec::with_capacity(data.len() / TARGET_CHUNK_SIZE + 1);
    let mut hasher = ChunkHasher::new();
    hasher.push(data, &mut out);
    hasher.finish(&mut out);
    out
}

/// The next stable chunk boundary at or after `position` (spec §2.4).
///
/// `boundaries` are chunk end offsets in increasing order. Starting at the first boundary
/// `>= position`, looks for two consecutive chunks both of size in `[16384, 122880)` and returns
/// the end offset of the second. Edits strictly before `position` cannot move any boundary at or
/// after the returned offset. Out-of-order input never panics (such pairs are simply not stable).
pub fn next_stable_chunk_boundary(position: u64, boundaries: &[u64]) -> Option<u64> {
    let start = boundaries.partition_point(|&b| b < position);
    let is_stable = |size: Option<u64>| {
        size.is_some_and(|s| {
            s >= 2 * MIN_CHUNK_SIZE as u64 && s < (MAX_CHUNK_SIZE - MIN_CHUNK_SIZE) as u64
        })
    };
    boundaries.get(start..)?.windows(3).find_map(|w| {
        let a = w[1].checked_sub(w[0]);
        let b = w[2].checked_sub(w[1]);
        (is_stable(a) && is_stable(b)).then_some(w[2])
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Bytes of a 64-bit LCG (its top byte per step), for unit tests here and in `segment`.
    pub(crate) fn lcg_bytes(n: usize, mut seed: u64) -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 56) as u8
            })
            .collect()
    }

    #[test]
    fn scan_matches_one_lane_scan() {
        let data = lcg_bytes(1 << 20, 7);
        let mut starts = vec![64usize, 100, 5000, 70_000];
        starts.extend((0..40).map(|i| 64 + i * 20_011));
        for &start in &starts {
            for &len in &[0usize, 1, 63, 2047, 2048, 2049, 4096, 100_000, 300_000] {
                let end = (start + len).min(data.len());
                let h_in = data[start - 64..start].iter().fold(0, |h, &b| roll(h, b));
                let (mut a, mut b) = (h_in, h_in);
                let fast = scan(&data[start..end], &mut a);
                let slow = xet_kernels::scan_one_lane(&data[start..end], &mut b);
                assert_eq!(fast, slow, "start {start} len {len}");
                if fast.is_none() {
                    assert_eq!(a, b);
                }
            }
        }
    }

    #[test]
    fn stable_boundary_rules() {
        let b = [20_000u64, 40_000, 60_000, 70_000];
        assert_eq!(next_stable_chunk_boundary(0, &b), Some(60_000));
        assert_eq!(next_stable_chunk_boundary(20_001, &b), None);
        assert_eq!(next_stable_chunk_boundary(0, &[5, 3, 1]), None);
        assert_eq!(next_stable_chunk_boundary(0, &[]), None);
    }

    #[test]
    fn chunk_hasher_offsets_restart_after_finish() {
        let data = lcg_bytes(200_000, 3);
        let mut h = ChunkHasher::new();
        let mut out = Vec::new();
        h.push(&data, &mut out);
        h.finish(&mut out);
        let n = out.len();
        h.push(&data, &mut out);
        h.finish(&mut out);
        assert_eq!(out[..n], out[n..]);
        assert_eq!(h.bytes_pending(), 0);
    }
}
