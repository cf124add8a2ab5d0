//! Chunking one file in independent segments, then stitching the segments' chunks into exactly
//! the chunks of a whole-file pass (spec §2, §3.1). This is what lets several threads (workers)
//! chunk and hash one file: each runs [`chunk_segment`] on its own segment, and one
//! [`Stitcher`] takes the results in file order.
//!
//! # Why stitching is cheap and exact
//!
//! Right after a boundary the chunker holds no state (§2.2: the pending length and the rolling
//! hash restart from zero), so the chunks after a boundary depend only on the bytes after it. A
//! segment chunked on its own is chunked as if a boundary sat at its first byte; its chunks are
//! the true ones from the first place where a true boundary and one of its boundaries coincide.
//! The stitcher re-chunks only the bytes before that place: it carries the true chunker state
//! across the segment edge (the last true boundary before the edge and the bytes after it) and
//! runs it on the new segment until one of its boundaries is also a boundary of the segment's
//! chunks; from there it takes the segment's chunks and hashes as they are, up to the segment's
//! last boundary, and feeds the bytes after it (less than [`MAX_CHUNK_SIZE`]) to its chunker.
//!
//! On ordinary data the two chunkers agree within a chunk or two of the edge (both cut at the
//! same hash matches once past their minimum-size skips), so the stitcher re-chunks a few hundred
//! KiB per segment. Data with no hash match for a long stretch (e.g. constant bytes) has only
//! maximum-size cuts, which never line up across an edge: the stitcher then re-chunks the whole
//! segment and the result is still exact.
//!
//! ```
//! use xet::segment::{chunk_segment, Stitcher};
//!
//! let data: Vec<u8> = (0..600_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
//! let mut stitcher = Stitcher::new();
//! let mut chunks = Vec::new();
//! let mut at = 0u64;
//! for segment in data.chunks(150_000) {
//!     // In a worker: chunk the segment as if the file started there.
//!     let found = chunk_segment(segment, at);
//!     // In file order, on one thread:
//!     stitcher.push_segment(segment, &found, &mut chunks).unwrap();
//!     at += segment.len() as u64;
//! }
//! stitcher.finish(&mut chunks);
//! assert_eq!(chunks, xet::chunk_all(&data));
//! ```

use crate::chunker::{Chunk, ChunkHasher, MAX_CHUNK_SIZE};

/// Chunks and hashes one segment of a file, as if a chunk boundary were at its first byte.
///
/// `offset` is the file offset of `data[0]`; the chunks carry file offsets. Only complete chunks
/// are returned: the bytes after the last one (fewer than [`MAX_CHUNK_SIZE`]) belong to a chunk
/// that the next segment or the end of the file completes, which is the stitcher's business.
pub fn chunk_segment(data: &[u8], offset: u64) -> Vec<Chunk> {
    let mut out = Vec::with_capacity(data.len() / crate::chunker::TARGET_CHUNK_SIZE + 1);
    ChunkHasher::at_offset(offset).push(data, &mut out);
    out
}

/// Bytes of one packed chunk record ([`pack_chunks`]): its length (`u32`, little-endian), then
/// its chunk hash.
pub const PACKED_CHUNK_BYTES: usize = 4 + 32;

/// Packs a segment's chunks for another thread: one [`PACKED_CHUNK_BYTES`] record per chunk, in
/// order (offsets are implied: the first chunk starts at the segment's first byte).
pub fn pack_chunks(chunks: &[Chunk]) -> Vec<u8> {
    let mut packed = Vec::with_capacity(chunks.len() * PACKED_CHUNK_BYTES);
    for c in chunks {
        packed.extend_from_slice(&c.len.to_le_bytes());
        packed.extend_from_slice(c.hash.as_bytes());
    }
    packed
}

/// Unpacks [`pack_chunks`] records of a segment starting at file offset `offset` into `out`
/// (cleared first).
///
/// # Errors
/// [`StitchError::Packing`] when `packed` is not whole records (nothing else is checked here:
/// [`Stitcher::push_segment`] checks that the chunks fit the segment).
pub fn unpack_chunks(packed: &[u8], offset: u64, out: &mut Vec<Chunk>) -> Result<(), StitchError> {
    out.clear();
    if packed.len() % PACKED_CHUNK_BYTES != 0 {
        return Err(StitchError::Packing { len: packed.len() });
    }
    let mut offset = offset;
    for record in packed.chunks_exact(PACKED_CHUNK_BYTES) {
        let (len, hash) = record.split_at(4);
        let mut len_bytes = [0u8; 4];
        len_bytes.copy_from_slice(len);
        let mut hash_bytes = [0u8; 32];
        hash_bytes.copy_from_slice(hash);
        let len = u32::from_le_bytes(len_bytes);
        out.push(Chunk {
            offset,
            len,
            hash: crate::Hash::from_bytes(hash_bytes),
        });
        offset = offset.saturating_add(u64::from(len));
    }
    Ok(())
}

/// A segment's chunks that cannot come from [`chunk_segment`] over that segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StitchError {
    /// Chunk `index` does not start where the previous one ended (or, for the first, at the
    /// segment's first byte).
    #[error("segment chunk {index} starts at offset {offset}, expected {expected}")]
    Misplaced {
        /// Index of the chunk in the segment's list.
        index: usize,
        /// Its offset.
        offset: u64,
        /// Where it should start.
        expected: u64,
    },
    /// Chunk `index` is empty or longer than [`MAX_CHUNK_SIZE`].
    #[error("segment chunk {index} has length {len}, outside 1..=131072")]
    Length {
        /// Index of the chunk in the segment's list.
        index: usize,
        /// Its length.
        len: u32,
    },
    /// The chunks run past the end of the segment.
    #[error("segment chunks end at offset {end}, past the segment's end {segment_end}")]
    PastEnd {
        /// Where the chunks end.
        end: u64,
        /// Where the segment ends.
        segment_end: u64,
    },
    /// Packed chunks ([`unpack_chunks`]) that are not whole records.
    #[error("packed segment chunks of {len} bytes are not whole 36-byte records")]
    Packing {
        /// Their length.
        len: usize,
    },
    /// The segment's bytes ran out before its declared length.
    #[error("segment bytes ended at {at} of {len}")]
    ShortRead {
        /// Bytes read.
        at: usize,
        /// Declared segment length.
        len: usize,
    },
}

/// Random access to one segment's bytes, read front to back in windows.
///
/// Implemented for `&[u8]`; a binding implements it over memory it must copy from (e.g. a JS
/// buffer), so the stitcher only ever touches the bytes it re-chunks.
pub trait SegmentBytes {
    /// Some bytes of the segment starting at `at` (at least one while `at` is below the segment's
    /// length; an empty slice means the bytes ran out).
    fn bytes_at(&mut self, at: usize) -> &[u8];
}

impl SegmentBytes for &[u8] {
    fn bytes_at(&mut self, at: usize) -> &[u8] {
        self.get(at..).unwrap_or_default()
    }
}

/// What one [`Stitcher::push_segment`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SegmentReport {
    /// Bytes of the segment the stitcher chunked and hashed itself (the rest came from the
    /// segment's chunks).
    pub rechunked_bytes: u64,
    /// Chunks taken as they were from the segment's list.
    pub reused_chunks: usize,
}

/// Joins segments chunked on their own into the chunks of the whole file, in file order.
///
/// Holds the true chunker state across segment edges: no segment bytes are kept.
#[derive(Debug, Clone, Default)]
pub struct Stitcher {
    hasher: ChunkHasher,
    /// File offset of the next segment.
    next: u64,
}

impl Stitcher {
    /// A stitcher at the start of a file.
    pub fn new() -> Stitcher {
        Stitcher::default()
    }

    /// File offset where the next segment starts (the bytes pushed so far).
    pub fn next_offset(&self) -> u64 {
        self.next
    }

    /// Takes the next segment and its chunks from [`chunk_segment`]; appends every true chunk
    /// that is now complete to `out`.
    ///
    /// # Errors
    /// [`StitchError`] when `chunks` cannot be [`chunk_segment`]'s output for this segment at
    /// [`Stitcher::next_offset`]: then nothing was appended and the stitcher is unchanged.
    pub fn push_segment(
        &mut self,
        segment: &[u8],
        chunks: &[Chunk],
        out: &mut Vec<Chunk>,
    ) -> Result<SegmentReport, StitchError> {
        let mut bytes = segment;
        self.push_segment_from(segment.len(), &mut bytes, chunks, out)
    }

    /// [`Stitcher::push_segment`] for a segment of `len` bytes read through `bytes`.
    ///
    /// # Errors
    /// As [`Stitcher::push_segment`], and [`StitchError::ShortRead`] when `bytes` ends early (the
    /// stitcher may then have consumed part of the segment: start the file over).
    pub fn push_segment_from(
        &mut self,
        len: usize,
        bytes: &mut impl SegmentBytes,
        chunks: &[Chunk],
        out: &mut Vec<Chunk>,
    ) -> Result<SegmentReport, StitchError> {
        let start = self.next;
        let chunks_end = check_chunks(chunks, start, len)?;
        let mut report = SegmentReport::default();
        // Run the true chunker from the edge until it cuts where the segment's chunks cut; from
        // that shared boundary on, the segment's chunks are the true ones up to its last cut,
        // after which the true chunker takes the rest (no cut in it for a correct list, and the
        // true chunks either way: the state at `chunks_end` is the state after a boundary).
        let mut pos = 0usize;
        let mut next_cut = 0usize; // index of the first segment chunk ending at or after `pos`
        let mut synced = false;
        // The unread rest of the last window `bytes` gave (it starts at `pos`).
        let mut window: &[u8] = &[];
        loop {
            if !synced && self.hasher.bytes_pending() == 0 {
                let at = start + pos as u64;
                while chunks.get(next_cut).is_some_and(|c| end_of(c) < at) {
                    next_cut += 1;
                }
                let first = if at == start {
                    Some(0)
                } else if chunks.get(next_cut).is_some_and(|c| end_of(c) == at) {
                    Some(next_cut + 1)
                } else {
                    None
                };
                if let Some(first) = first {
                    let reused = chunks.get(first..).unwrap_or_default();
                    out.extend_from_slice(reused);
                    report.reused_chunks = reused.len();
                    self.hasher = ChunkHasher::at_offset(chunks_end);
                    pos = usize::try_from(chunks_end - start).unwrap_or(len);
                    window = &[];
                    synced = true;
                }
            }
            if pos >= len {
                break;
            }
            if window.is_empty() {
                let read = bytes.bytes_at(pos);
                window = read.get(..(len - pos).min(read.len())).unwrap_or_default();
                if window.is_empty() {
                    return Err(StitchError::ShortRead { at: pos, len });
                }
            }
            let (n, chunk) = self.hasher.push_to_boundary(window);
            window = window.get(n..).unwrap_or_default();
            pos += n;
            report.rechunked_bytes += n as u64;
            out.extend(chunk);
        }
        self.next = start + len as u64;
        Ok(report)
    }

    /// Takes the next piece of the file with the [`pack_chunks`] records another thread found in
    /// it ([`chunk_segment`] over exactly these bytes), if any; appends every true chunk that is
    /// now complete to `out`. Records that do not tile the piece are ignored: the piece is then
    /// chunked here, so the result is the same either way. `scratch` holds the unpacked records.
    pub fn push_packed(
        &mut self,
        piece: &[u8],
        packed: Option<&[u8]>,
        scratch: &mut Vec<Chunk>,
        out: &mut Vec<Chunk>,
    ) {
        let before = out.len();
        let stitched = packed.is_some_and(|packed| {
            unpack_chunks(packed, self.next, scratch).is_ok()
                && self.push_segment(piece, scratch, out).is_ok()
        });
        if !stitched {
            // A refused list appended nothing and left the stitcher as it was.
            out.truncate(before);
            let _ = self.push_segment(piece, &[], out);
        }
    }

    /// Ends the file: appends its last chunk (if bytes are pending) and resets for a new file.
    pub fn finish(&mut self, out: &mut Vec<Chunk>) {
        self.hasher.finish(out);
        *self = Stitcher::new();
    }
}

fn end_of(c: &Chunk) -> u64 {
    c.offset + u64::from(c.len)
}

/// Checks that `chunks` tile `[start, end)` for some `end <= start + len`; returns `end`.
fn check_chunks(chunks: &[Chunk], start: u64, len: usize) -> Result<u64, StitchError> {
    let segment_end = start + len as u64;
    let mut expected = start;
    for (index, c) in chunks.iter().enumerate() {
        if c.offset != expected {
            return Err(StitchError::Misplaced {
                index,
                offset: c.offset,
                expected,
            });
        }
        if c.len == 0 || c.len as usize > MAX_CHUNK_SIZE {
            return Err(StitchError::Length { index, len: c.len });
        }
        expected = end_of(c);
        if expected > segment_end {
            return Err(StitchError::PastEnd {
                end: expected,
                segment_end,
            });
        }
    }
    Ok(expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunker::tests::lcg_bytes;

    #[test]
    fn packed_chunks_round_trip_and_partial_records_are_refused() {
        let data = lcg_bytes(700_000, 5);
        let found = chunk_segment(&data[100_000..], 100_000);
        assert!(found.len() > 3);
        let packed = pack_chunks(&found);
        assert_eq!(packed.len(), found.len() * PACKED_CHUNK_BYTES);
        let mut back = vec![found[0]];
        unpack_chunks(&packed, 100_000, &mut back).unwrap();
        assert_eq!(back, found);
        unpack_chunks(&[], 7, &mut back).unwrap();
        assert!(back.is_empty());
        assert_eq!(
            unpack_chunks(&packed[..packed.len() - 1], 0, &mut back),
            Err(StitchError::Packing {
                len: packed.len() - 1
            })
        );
    }

    #[test]
    fn rejects_chunks_that_do_not_tile_the_segment() {
        let data = lcg_bytes(400_000, 2);
        let good = chunk_segment(&data, 0);
        let mut out = Vec::new();
        let mut gap = good.clone();
        gap.remove(1);
        assert!(matches!(
            Stitcher::new().push_segment(&data, &gap, &mut out),
            Err(StitchError::Misplaced { index: 1, .. })
        ));
        let mut empty = good.clone();
        empty[0].len = 0;
        assert!(matches!(
            Stitcher::new().push_segment(&data, &empty, &mut out),
            Err(StitchError::Length { index: 0, len: 0 })
        ));
        assert!(matches!(
            Stitcher::new().push_segment(&data[..100_000], &good, &mut out),
            Err(StitchError::PastEnd { .. }) | Err(StitchError::Misplaced { .. })
        ));
        assert!(out.is_empty());
        // A reader that runs dry is an error, not a panic.
        struct Dry;
        impl SegmentBytes for Dry {
            fn bytes_at(&mut self, _: usize) -> &[u8] {
                &[]
            }
        }
        let mut stitcher = Stitcher::new();
        stitcher.push_segment(&data[..10], &[], &mut out).unwrap();
        assert_eq!(
            stitcher.push_segment_from(10, &mut Dry, &[], &mut out),
            Err(StitchError::ShortRead { at: 0, len: 10 })
        );
    }
}
