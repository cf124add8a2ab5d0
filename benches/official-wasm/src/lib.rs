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
        OfficialFileHasher {
            chunker: Chunker::default(),
            chunks: Vec::new(),
        }
    }

    /// Feeds one slice; returns how many chunks were completed by it.
    pub fn push(&mut self, data: &[u8]) -> u32 {
        let out = self.chunker.next_block(data, false);
        let n = out.len() as u32;
        self.chunks
            .extend(out.into_iter().map(|c| (c.hash, c.data.len() as u64)));
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
        self.chunks
            .iter()
            .map(|&(_, len)| {
                end += len;
                end as f64
            })
            .collect()
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

/// Bench data copied once into wasm memory, for the in-wasm cost breakdown (no boundary
/// crossing inside the timed calls).
#[wasm_bindgen]
pub struct WasmData(Vec<u8>);

#[wasm_bindgen]
impl WasmData {
    /// Copies `data` into wasm memory.
    #[wasm_bindgen(constructor)]
    pub fn new(data: &[u8]) -> WasmData {
        WasmData(data.to_vec())
    }
}

/// Our boundary scan alone (`xet::Chunker`) over all of `d`; returns the chunk count.
#[wasm_bindgen(js_name = oursScan)]
pub fn ours_scan(d: &WasmData) -> u32 {
    let mut chunker = xet::Chunker::new();
    let (mut n, mut rest) = (0, &d.0[..]);
    while let Some(k) = chunker.next_boundary(rest) {
        n += 1;
        rest = &rest[k..];
    }
    n + u32::from(chunker.finish().is_some())
}

/// The official boundary scan alone (xet-data `Chunker::next_boundary`) over all of `d`, in one
/// contiguous pass (so its internal buffer stays empty and nothing is copied).
#[wasm_bindgen(js_name = officialScan)]
pub fn official_scan(d: &WasmData) -> u32 {
    let mut chunker = Chunker::default();
    let (mut n, mut pos) = (0, 0);
    while let Some(k) = chunker.next_boundary(&d.0[pos..]) {
        n += 1;
        pos += k;
    }
    n + u32::from(pos < d.0.len())
}

/// Our chunk + chunk hashes + file hash inside wasm, fed in `slice`-byte pieces.
#[wasm_bindgen(js_name = oursChunkHash)]
pub fn ours_chunk_hash(d: &WasmData, slice: usize) -> u32 {
    let mut hasher = xet::ChunkHasher::new();
    let mut chunks = Vec::new();
    for piece in d.0.chunks(slice.max(1)) {
        hasher.push(piece, &mut chunks);
    }
    hasher.finish(&mut chunks);
    let leaves: Vec<(xet::Hash, u64)> = chunks.iter().map(|c| (c.hash, u64::from(c.len))).collect();
    chunks.len() as u32 + u32::from(xet::file_hash(&leaves).as_bytes()[0])
}

/// The official chunk + chunk hashes + file hash inside wasm, fed in `slice`-byte pieces.
#[wasm_bindgen(js_name = officialChunkHash)]
pub fn official_chunk_hash(d: &WasmData, slice: usize) -> u32 {
    let mut chunker = Chunker::default();
    let mut leaves = Vec::new();
    for piece in d.0.chunks(slice.max(1)) {
        leaves.extend(
            chunker
                .next_block(piece, false)
                .into_iter()
                .map(|c| (c.hash, c.data.len() as u64)),
        );
    }
    leaves.extend(chunker.finish().map(|c| (c.hash, c.data.len() as u64)));
    leaves.len() as u32 + u32::from(file_hash(&leaves).as_bytes()[0])
}

/// BLAKE3 (keyed, as chunk hashes) alone over `d` in 64 KiB pieces (about the mean chunk size).
#[wasm_bindgen(js_name = blake3Only)]
pub fn blake3_only(d: &WasmData) -> u32 {
    d.0.chunks(1 << 16)
        .map(|c| u32::from(xet::chunk_hash(c).as_bytes()[0]))
        .sum()
}

/// Scan prototypes (boundary rule of spec §2.2 with the §2.3 skip), to show the xet core what a
/// wasm engine gets from each loop shape: one lane, computing `bytes_per_test` (1, 4 or 8)
/// successive hashes and then testing them at once (`min < LIMIT`), the exact index being
/// re-found only on a hit. 1 is the official loop shape. Returns the chunk count over all of `d`.
#[wasm_bindgen(js_name = scanPrototype)]
pub fn scan_prototype(d: &WasmData, bytes_per_test: u32) -> u32 {
    const MIN: usize = 8192;
    const MAX: usize = 131072;
    let table = &gearhash::DEFAULT_TABLE;
    let data = &d.0[..];
    let mut n = 0u32;
    let mut start = 0usize;
    while start < data.len() {
        let end_max = data.len().min(start + MAX);
        let mut p = start + MIN - 64 - 1;
        let mut h = 0u64;
        let mut cut = end_max;
        if p < end_max {
            let warm_end = (start + MIN - 1).min(end_max);
            for &b in &data[p..warm_end] {
                h = (h << 1).wrapping_add(table[b as usize]);
            }
            p = warm_end;
            let region = &data[p..end_max];
            let found = match bytes_per_test {
                1 => unrolled::<1>(region, &mut h, table),
                4 => unrolled::<4>(region, &mut h, table),
                _ => unrolled::<8>(region, &mut h, table),
            };
            if let Some(i) = found {
                cut = p + i + 1;
            }
        }
        n += 1;
        start = cut;
    }
    n
}

/// `N` bytes per test: the `N` hashes are computed in sequence, then one test (`min < LIMIT`)
/// decides whether to look for the exact index.
#[inline(always)]
fn unrolled<const N: usize>(region: &[u8], h: &mut u64, table: &[u64; 256]) -> Option<usize> {
    const LIMIT: u64 = 1 << 48;
    let blocks = region.chunks_exact(N);
    let tail = blocks.remainder();
    for (bi, block) in blocks.enumerate() {
        let mut hs = [0u64; N];
        let mut x = *h;
        for k in 0..N {
            x = (x << 1).wrapping_add(table[block[k] as usize]);
            hs[k] = x;
        }
        if hs.iter().copied().fold(u64::MAX, u64::min) < LIMIT {
            let k = hs.iter().position(|&v| v < LIMIT).unwrap_or(0);
            *h = hs[k];
            return Some(bi * N + k);
        }
        *h = x;
    }
    let base = region.len() - tail.len();
    for (k, &b) in tail.iter().enumerate() {
        *h = (*h << 1).wrapping_add(table[b as usize]);
        if *h < LIMIT {
            return Some(base + k);
        }
    }
    None
}
