//! Xorb packing into reused buffers (xet spec §4.3, §4.5), for bounded memory.
//!
//! [`Packer`] writes the same bytes as `xet::xorb::XorbBuilder` (the test below compares them
//! under every policy), but into a buffer of fixed capacity taken from a [`BufferPool`] and
//! given back after the upload. A builder whose buffer grows by doubling allocates and frees
//! 8 KiB … 64 MiB blocks for every xorb, and in wasm's single linear memory that churn
//! fragments the heap until the footprint is several xorbs larger than what is live; with
//! fixed buffers the upload's memory stays flat however many xorbs it makes.
//!
//! (If `XorbBuilder` gains a way to build into a caller's buffer, this file can go.)

use xet::xorb::{choose_scheme, write_chunk, CompressionPolicy, CompressionScheme, SerializedXorb, XorbChunk, CHUNK_HEADER_LEN, DEFAULT_RETEST_INTERVAL};
use xet::{merkle_root, FormatError, Hash};

/// Buffers of one fixed capacity, reused from xorb to xorb.
#[derive(Debug)]
pub struct BufferPool {
    capacity: usize,
    free: Vec<Vec<u8>>,
    max_free: usize,
}

impl BufferPool {
    /// A pool of buffers able to hold a serialized xorb of at most `max_xorb_bytes` of chunk data
    /// and `max_chunks` chunks; keeps at most `max_free` idle buffers.
    pub fn new(max_xorb_bytes: u64, max_chunks: usize, max_free: usize) -> BufferPool {
        // A record is never longer than its raw chunk plus the header (compression falls back
        // to the raw bytes when it does not help, §4.2).
        let capacity = usize::try_from(max_xorb_bytes).unwrap_or(usize::MAX).saturating_add(max_chunks.saturating_mul(CHUNK_HEADER_LEN));
        BufferPool { capacity, free: Vec::new(), max_free }
    }

    /// An empty buffer of the pool's capacity.
    pub fn take(&mut self) -> Vec<u8> {
        self.free.pop().unwrap_or_else(|| Vec::with_capacity(self.capacity))
    }

    /// Gives a buffer back (dropped when the pool is full or it is not one of ours).
    pub fn give(&mut self, mut buf: Vec<u8>) {
        if buf.capacity() == self.capacity && self.free.len() < self.max_free {
            buf.clear();
            self.free.push(buf);
        }
    }

    /// Idle buffers held.
    pub fn idle(&self) -> usize {
        self.free.len()
    }
}

/// Builds one xorb's upload form chunk by chunk, like `XorbBuilder`, into a given buffer.
#[derive(Debug)]
pub struct Packer {
    policy: CompressionPolicy,
    data: Vec<u8>,
    chunks: Vec<XorbChunk>,
    raw_bytes: u64,
    /// Chunks added since the current section (file) started.
    in_section: usize,
    block_scheme: CompressionScheme,
}

impl Packer {
    /// An empty xorb written into `buffer` (cleared first).
    pub fn new(policy: CompressionPolicy, mut buffer: Vec<u8>) -> Packer {
        buffer.clear();
        Packer { policy, data: buffer, chunks: Vec::new(), raw_bytes: 0, in_section: 0, block_scheme: CompressionScheme::Lz4 }
    }

    /// Marks that the next chunk belongs to a new file (a new `Auto` section, §4.3).
    pub fn start_file(&mut self) {
        self.in_section = 0;
    }

    /// Number of chunks added.
    pub fn num_chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Uncompressed bytes added.
    pub fn raw_bytes(&self) -> u64 {
        self.raw_bytes
    }

    /// Whether no chunk was added.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Appends a chunk (the caller checks the xorb limits); returns its index.
    ///
    /// # Errors
    /// [`FormatError::ChunkTooLarge`] above 131072 bytes.
    pub fn add_chunk(&mut self, hash: Hash, data: &[u8]) -> Result<usize, FormatError> {
        let scheme = match self.policy {
            CompressionPolicy::Fixed(s) => s,
            CompressionPolicy::Auto => {
                if self.in_section.is_multiple_of(DEFAULT_RETEST_INTERVAL) {
                    self.block_scheme = choose_scheme(data);
                }
                self.block_scheme
            }
        };
        let stored = write_chunk(data, scheme, &mut self.data)?;
        self.in_section += 1;
        self.raw_bytes += data.len() as u64;
        let index = self.chunks.len();
        self.chunks.push(XorbChunk {
            hash,
            // At most 131072 (checked by write_chunk).
            len: data.len() as u32,
            scheme: stored,
            // A xorb holds at most 64 MiB of chunk data plus headers, far below 4 GiB.
            record_end: self.data.len() as u32,
            unpacked_end: self.raw_bytes as u32,
        });
        Ok(index)
    }

    /// Finishes the xorb: its hash, its upload bytes (the buffer) and its chunk table.
    pub fn finish(self) -> SerializedXorb {
        let leaves: Vec<(Hash, u64)> = self.chunks.iter().map(|c| (c.hash, u64::from(c.len))).collect();
        SerializedXorb { hash: merkle_root(&leaves), data: self.data, chunks: self.chunks }
    }

    /// Gives the buffer back without building (nothing was added).
    pub fn into_buffer(self) -> Vec<u8> {
        self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::plan::tests::random_bytes;
    use xet::xorb::XorbBuilder;

    #[test]
    fn same_bytes_as_the_xet_builder_under_every_policy() {
        // Two "files": random data and text, so that Auto picks different schemes.
        let text: Vec<u8> = b"lorem ipsum dolor sit amet, ".iter().copied().cycle().take(3 << 20).collect();
        let mut ints = Vec::new();
        for i in 0..(600_000u32) {
            ints.extend_from_slice(&(i / 3).to_le_bytes());
        }
        let files = [random_bytes(1, 2 << 20), text, ints];
        let policies = [
            CompressionPolicy::Auto,
            CompressionPolicy::Fixed(CompressionScheme::None),
            CompressionPolicy::Fixed(CompressionScheme::Lz4),
            CompressionPolicy::Fixed(CompressionScheme::ByteGrouping4Lz4),
        ];
        let mut pool = BufferPool::new(64 << 20, 8192, 2);
        for policy in policies {
            let mut reference = XorbBuilder::new(policy);
            let mut ours = Packer::new(policy, pool.take());
            for f in &files {
                reference.start_file();
                ours.start_file();
                for c in xet::chunk_all(f) {
                    let bytes = &f[c.offset as usize..(c.offset + u64::from(c.len)) as usize];
                    assert_eq!(reference.add_chunk(c.hash, bytes).unwrap(), ours.add_chunk(c.hash, bytes).unwrap());
                }
            }
            let (a, b) = (reference.finish(), ours.finish());
            assert_eq!(a, b, "{policy:?}");
            // The buffer never grew: it is the pool's.
            assert_eq!(b.data.capacity(), pool.capacity);
            pool.give(b.data);
            assert_eq!(pool.idle(), 1);
        }
    }

    #[test]
    fn pool_reuses_and_bounds_buffers() {
        let mut pool = BufferPool::new(1000, 10, 1);
        let a = pool.take();
        let ptr = a.as_ptr();
        assert_eq!(a.capacity(), 1080);
        pool.give(a);
        let b = pool.take();
        assert_eq!(b.as_ptr(), ptr, "reused");
        pool.give(b);
        pool.give(Vec::with_capacity(1080));
        assert_eq!(pool.idle(), 1, "bounded");
        pool.give(Vec::with_capacity(5));
        assert_eq!(pool.idle(), 1, "foreign buffers are dropped");
        let p = Packer::new(CompressionPolicy::Auto, pool.take());
        assert!(p.is_empty());
        assert_eq!(p.into_buffer().capacity(), 1080);
    }
}
