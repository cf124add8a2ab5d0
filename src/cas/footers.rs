//! Xorb footers proven so far, kept for later reads of the same client: a download sync of many
//! small files reads parts of the same few xorbs once per file, and each part is verified
//! against its xorb's footer (see `download::footer`). Only footers whose chunk hashes and
//! lengths aggregated to the xorb hash are kept (the xorb hash is the key), so a kept one needs
//! neither a request nor a new proof. Bounded in bytes, oldest first out.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::rc::Rc;

use xet::Hash;

/// Bytes of chunk lists one [`FooterCache`] keeps at most (a 16 MiB xorb lists about 256
/// chunks, 10 KiB).
pub const FOOTER_CACHE_BYTES: usize = 8 << 20;

/// The chunk list of a xorb read from its footer, proven against the xorb hash by whoever made
/// it (`download::footer::ProvenXorb`, which wraps it).
#[derive(Debug, PartialEq, Eq)]
pub struct ProvenChunks {
    /// Chunk hashes, in xorb order.
    pub hashes: Vec<Hash>,
    /// Chunk lengths (uncompressed).
    pub lens: Vec<u32>,
    /// End offset of each record in the stored object (from a footer), to check fetched ranges.
    pub record_ends: Option<Vec<u32>>,
}

impl ProvenChunks {
    /// Bytes it takes, roughly.
    fn weight(&self) -> usize {
        self.hashes.len() * 32
            + self.lens.len() * 4
            + self.record_ends.as_ref().map_or(0, |e| e.len() * 4)
    }
}

/// See the module docs. A clone shares the footers.
#[derive(Clone, Default)]
pub struct FooterCache(Rc<RefCell<State>>);

#[derive(Default)]
struct State {
    proven: HashMap<Hash, Rc<ProvenChunks>>,
    order: VecDeque<Hash>,
    bytes: usize,
}

impl fmt::Debug for FooterCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FooterCache")
            .field("xorbs", &self.0.borrow().proven.len())
            .finish()
    }
}

impl FooterCache {
    /// The proven chunk list of `xorb` kept earlier, if any.
    pub fn get(&self, xorb: &Hash) -> Option<Rc<ProvenChunks>> {
        self.0.borrow().proven.get(xorb).cloned()
    }

    /// Keeps `chunks`, proven against `xorb`.
    pub fn insert(&self, xorb: Hash, chunks: Rc<ProvenChunks>) {
        let weight = chunks.weight();
        if weight > FOOTER_CACHE_BYTES / 4 {
            return;
        }
        let mut st = self.0.borrow_mut();
        if st.proven.contains_key(&xorb) {
            return;
        }
        st.bytes += weight;
        st.proven.insert(xorb, chunks);
        st.order.push_back(xorb);
        while st.bytes > FOOTER_CACHE_BYTES {
            let Some(old) = st.order.pop_front() else {
                break;
            };
            if let Some(c) = st.proven.remove(&old) {
                st.bytes -= c.weight();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_chunk_lists_within_its_bound_oldest_out() {
        let cache = FooterCache::default();
        let hash = |i: u32| xet::chunk_hash(&i.to_le_bytes());
        // A quarter of the bound each.
        let n = FOOTER_CACHE_BYTES / 4 / 40;
        let list = || {
            Rc::new(ProvenChunks {
                hashes: vec![hash(0); n],
                lens: vec![1; n],
                record_ends: Some(vec![1; n]),
            })
        };
        for i in 0..6 {
            cache.clone().insert(hash(i), list());
        }
        assert!(cache.get(&hash(0)).is_none() && cache.get(&hash(1)).is_none());
        assert_eq!(cache.get(&hash(5)).map(|c| c.hashes.len()), Some(n));
        assert!(cache.0.borrow().bytes <= FOOTER_CACHE_BYTES);
        // Too large to keep: not kept.
        let huge = Rc::new(ProvenChunks {
            hashes: vec![hash(0); n + 1],
            lens: vec![1; n + 1],
            record_ends: Some(vec![1; n + 1]),
        });
        cache.insert(hash(9), huge);
        assert!(cache.get(&hash(9)).is_none());
    }
}
