//! Bench-only wasm wrapper around the official Xet engine: xet-data 1.8.0 `Chunker`
//! (gear-hash boundaries + BLAKE3 chunk hashes, as the official upload path runs it) and
//! xet-core-structures `file_hash`. Used by `benches/js/chunk-bench.mjs`; never shipped.
use wasm_bindgen::prelude::*;
use xet_core_structures::merklehash::{file_hash, MerkleHash};
use xet_data::deduplication::Chunker;

/// A streaming file hasher: chunks (with chunk hashes) every pushed slice and keeps the
/// `(hash, length)` list for the file hash.
#[wasm_bindgen]
pub struct OfficialFileHasher {
    chunker: Chunker,
    chunks: Vec<(MerkleHash, u64)>,
}

#[wasm_bindgen]
impl OfficialFileHasher {
    /// A hasher with the default (64 KiB target) chunker.
    #[wasm_bindgen(constructor)]
    pub fn new() -> OfficialFileHasher {
        OfficialFileHasher { chunker: Chunker::default(), chunks: Vec::new() }
    }

    /// Feeds one slice; returns how many chunks were completed by it.
    pub fn push(&mut self, data: &[u8]) -> u32 {
        let out = self.chunker.next_block(data, false);
        let n = out.len() as u32;
        self.chunks.extend(out.into_iter().map(|c| (c.hash, c.data.len() as u64)));
        n
    }

    /// Flushes the last chunk and returns the file hash as a xet hex string.
    pub fn finish(&mut self) -> String {
        if let Some(c) = self.chunker.finish() {
            self.chunks.push((c.hash, c.data.len() as u64));
        }
        file_hash(&self.chunks).hex()
    }

    /// Number of chunks so far.
    #[wasm_bindgen(getter, js_name = chunkCount)]
    pub fn chunk_count(&self) -> u32 {
        self.chunks.len() as u32
    }

    /// End offsets of all chunks so far (for checking boundaries against ours).
    pub fn boundaries(&self) -> Vec<f64> {
        let mut end = 0u64;
        self.chunks.iter().map(|&(_, len)| { end += len; end as f64 }).collect()
    }

    /// Xet hex of chunk `i` (for checking hashes against ours).
    #[wasm_bindgen(js_name = chunkHash)]
    pub fn chunk_hash(&self, i: u32) -> Option<String> {
        self.chunks.get(i as usize).map(|(h, _)| h.hex())
    }
}

impl Default for OfficialFileHasher {
    fn default() -> Self {
        Self::new()
    }
}
