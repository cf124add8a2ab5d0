//! Pure Rust Xet core (spec `xet-protocol.md` §1–6): content-defined chunking, hashes, xorb and
//! shard formats, reconstruction responses. No I/O and no JavaScript types; the wasm bindings
//! live in the root crate.
//!
//! ```
//! let chunks = xet::chunk_all(b"hello world");
//! assert_eq!(chunks.len(), 1);
//! let leaves: Vec<(xet::Hash, u64)> = chunks.iter().map(|c| (c.hash, u64::from(c.len))).collect();
//! let file = xet::file_hash(&leaves);
//! assert_eq!(file, xet::hmac(&chunks[0].hash, &[0; 32]));
//! ```

#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod bytes;
pub mod chunker;
mod error;
pub mod hash;
pub mod json;
pub mod reconstruction;
#[cfg(any(test, feature = "reference"))]
pub mod reference;
pub mod segment;
pub mod shard;
pub mod xorb;

pub use chunker::{chunk_all, next_stable_chunk_boundary, Chunk, ChunkHasher, Chunker};
pub use error::FormatError;
pub use hash::{
    chunk_hash, file_hash, file_hash_with_salt, hmac, is_global_dedup_eligible, merkle_root,
    verification_hash, xorb_hash, Hash, HashParseError,
};
pub use segment::{chunk_segment, pack_chunks, unpack_chunks, StitchError, Stitcher};
