//! Xorb buffers reused from xorb to xorb (xet spec §4.3, §4.5), for bounded memory.
//!
//! The planner builds each xorb with `xet::xorb::XorbBuilder::with_buffer` into a buffer of
//! fixed capacity taken from a [`BufferPool`] and given back after the upload. A builder whose
//! buffer grows by doubling allocates and frees 8 KiB … 64 MiB blocks for every xorb, and in
//! wasm's single linear memory that churn fragments the heap until the footprint is several
//! xorbs larger than what is live; with fixed buffers the upload's memory stays flat however
//! many xorbs it makes.

use xet::xorb::CHUNK_HEADER_LEN;

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
        let capacity = usize::try_from(max_xorb_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(max_chunks.saturating_mul(CHUNK_HEADER_LEN));
        BufferPool {
            capacity,
            free: Vec::new(),
            max_free,
        }
    }

    /// An empty buffer of the pool's capacity.
    pub fn take(&mut self) -> Vec<u8> {
        self.free
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.capacity))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cas::mock::random_bytes;
    use xet::xorb::{CompressionPolicy, CompressionScheme, XorbBuilder};

    #[test]
    fn pooled_buffers_give_the_same_xorbs_and_never_grow() {
        // Two "files": random data and text, so that Auto picks different schemes.
        let text: Vec<u8> = b"lorem ipsum dolor sit amet, "
            .iter()
            .copied()
            .cycle()
            .take(3 << 20)
            .collect();
        let mut ints = Vec::new();
        for i in 0..600_000u32 {
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
            let mut ours = XorbBuilder::with_buffer(policy, pool.take());
            for f in &files {
                reference.start_file();
                ours.start_file();
                for c in xet::chunk_all(f) {
                    let bytes = &f[c.offset as usize..(c.offset + u64::from(c.len)) as usize];
                    assert_eq!(
                        reference.add_chunk(c.hash, bytes).unwrap(),
                        ours.add_chunk(c.hash, bytes).unwrap()
                    );
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
        let p = XorbBuilder::with_buffer(CompressionPolicy::Auto, pool.take());
        assert!(p.is_empty());
        assert_eq!(p.into_buffer().capacity(), 1080);
    }
}
