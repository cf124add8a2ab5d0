//! The content check of `checksum` syncs (issue 11): the Xet file hash of a local file, computed
//! from its bytes as they stream in (chunked and hashed with `xet`, the same hash the Hub lists as
//! `xetHash`), so a file of any size needs only its chunk hashes in memory (40 bytes per ~64 KiB).
//!
//! ```
//! use hf_buckets::sync::FileHasher;
//! let mut h = FileHasher::new();
//! h.push(b"hello ");
//! h.push(b"world");
//! assert_eq!(h.finish(), xet::file_hash(&[(xet::chunk_hash(b"hello world"), 11)]).to_hex());
//! assert_eq!(FileHasher::new().finish(), "0".repeat(64));
//! ```

use xet::{Chunk, Hash, Stitcher};

/// Streaming Xet file hash of one file.
#[derive(Debug, Default)]
pub struct FileHasher {
    chunker: Stitcher,
    leaves: Vec<(Hash, u64)>,
    out: Vec<Chunk>,
    scratch: Vec<Chunk>,
}

impl FileHasher {
    /// A hasher at the start of a file.
    pub fn new() -> FileHasher {
        FileHasher::default()
    }

    /// Feeds the next bytes of the file.
    pub fn push(&mut self, bytes: &[u8]) {
        self.push_segment(bytes, None);
    }

    /// Feeds the next bytes of the file with the chunks another thread found in them
    /// ([`xet::pack_chunks`] records of [`xet::chunk_segment`] over exactly these bytes): only
    /// the bytes near their edges are chunked here. Records that do not fit are ignored.
    pub fn push_segment(&mut self, bytes: &[u8], packed: Option<&[u8]>) {
        self.chunker
            .push_packed(bytes, packed, &mut self.scratch, &mut self.out);
        self.take();
    }

    /// Ends the file: its Xet file hash in hex (64 zeros for an empty file).
    pub fn finish(mut self) -> String {
        self.chunker.finish(&mut self.out);
        self.take();
        xet::file_hash(&self.leaves).to_hex()
    }

    fn take(&mut self) {
        self.leaves
            .extend(self.out.drain(..).map(|c| (c.hash, u64::from(c.len))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_one_shot_hash_whatever_the_pieces() {
        let data: Vec<u8> = (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let whole: Vec<(Hash, u64)> = xet::chunk_all(&data)
            .iter()
            .map(|c| (c.hash, u64::from(c.len)))
            .collect();
        let want = xet::file_hash(&whole).to_hex();
        for piece in [1usize, 7, 4096, 65_536, 300_000] {
            let mut h = FileHasher::new();
            for p in data.chunks(piece) {
                h.push(p);
            }
            assert_eq!(h.finish(), want, "pieces of {piece}");
        }
        // Segments chunked elsewhere, then stitched; torn records are ignored.
        for segment in [65_536usize, 100_001] {
            let (mut good, mut torn) = (FileHasher::new(), FileHasher::new());
            for (i, p) in data.chunks(segment).enumerate() {
                let packed = xet::pack_chunks(&xet::chunk_segment(p, (i * segment) as u64));
                good.push_segment(p, Some(&packed));
                torn.push_segment(p, packed.get(1..));
            }
            assert_eq!(good.finish(), want, "segments of {segment}");
            assert_eq!(torn.finish(), want, "torn segments of {segment}");
        }
    }
}
