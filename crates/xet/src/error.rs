//! The error of every Xet format parser and writer: [`FormatError`].
//!
//! Parsers of server bytes (xorbs §4, shards §5, reconstruction JSON §6.3/§6.4) never panic; they
//! return one of these variants. Offsets are byte positions in the input that was parsed.

use crate::xorb::CompressionScheme;

/// A malformed or unsupported Xet object, or a writer limit that was hit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The input ends inside a structure.
    #[error("truncated input: {needed} bytes needed at offset {offset}, {available} available")]
    Truncated {
        /// Where the structure starts.
        offset: u64,
        /// Bytes the structure needs.
        needed: u64,
        /// Bytes left in the input.
        available: u64,
    },

    // ---- xorb chunk records (§4.1, §4.2)
    /// A chunk header has a version above 0.
    #[error("chunk record at offset {offset}: unsupported header version {version}")]
    ChunkVersion {
        /// Offset of the chunk record.
        offset: u64,
        /// Version byte found.
        version: u8,
    },
    /// A chunk header names an unknown compression scheme.
    #[error("chunk record at offset {offset}: unknown compression scheme id {scheme}")]
    UnknownScheme {
        /// Offset of the chunk record.
        offset: u64,
        /// Scheme byte found.
        scheme: u8,
    },
    /// A chunk header declares more than 131072 uncompressed or 262144 compressed bytes.
    #[error("chunk record at offset {offset}: declared length {len} above the limit {limit}")]
    ChunkTooLarge {
        /// Offset of the chunk record.
        offset: u64,
        /// Declared length.
        len: u64,
        /// The limit it breaks.
        limit: u64,
    },
    /// A compressed payload is not a valid LZ4 frame.
    #[error("chunk record at offset {offset}: {scheme:?} payload does not decompress")]
    Decompress {
        /// Offset of the chunk record.
        offset: u64,
        /// Scheme of the record.
        scheme: CompressionScheme,
    },
    /// A chunk decompresses to a length other than its header's.
    #[error(
        "chunk record at offset {offset}: decompressed to {actual} bytes, header says {expected}"
    )]
    ChunkLengthMismatch {
        /// Offset of the chunk record.
        offset: u64,
        /// Uncompressed length from the header.
        expected: u64,
        /// Length actually produced (capped at `expected + 1`).
        actual: u64,
    },

    // ---- xorb footer (§4.4)
    /// A footer ident (`XETBLOB`, `XBLBHSH`, `XBLBBND`) is wrong.
    #[error("xorb footer at offset {offset}: bad section ident")]
    FooterIdent {
        /// Offset of the ident.
        offset: u64,
    },
    /// A footer or footer section version is not supported.
    #[error("xorb footer at offset {offset}: unsupported version {version}")]
    FooterVersion {
        /// Offset of the version byte.
        offset: u64,
        /// Version found.
        version: u8,
    },
    /// Footer fields disagree with each other or with the chunk records.
    #[error("xorb footer inconsistent: {field}")]
    FooterMismatch {
        /// Which field disagrees.
        field: &'static str,
    },
    /// Bytes follow the last structure where none are allowed.
    #[error("{count} unexpected trailing bytes at offset {offset}")]
    TrailingBytes {
        /// Where the extra bytes start.
        offset: u64,
        /// How many.
        count: u64,
    },

    // ---- xorb builder limits (§4.5)
    /// Adding the chunk would exceed 64 MiB or 8192 chunks.
    #[error("xorb full: {chunks} chunks, {bytes} bytes; the chunk does not fit")]
    XorbFull {
        /// Chunks already in the xorb.
        chunks: usize,
        /// Uncompressed bytes already in the xorb.
        bytes: u64,
    },

    // ---- shards (§5)
    /// The shard does not start with the shard tag.
    #[error("not a shard: bad header tag")]
    ShardTag,
    /// Unsupported shard header or footer version.
    #[error("unsupported shard {part} version {version}")]
    ShardVersion {
        /// `"header"` or `"footer"`.
        part: &'static str,
        /// Version found.
        version: u64,
    },
    /// The header's footer size is neither 0 nor 200.
    #[error("unsupported shard footer size {size}")]
    ShardFooterSize {
        /// Footer size found.
        size: u64,
    },
    /// A footer offset or count does not match the shard layout.
    #[error("shard footer field {field} is inconsistent with the shard layout")]
    ShardLayout {
        /// Which field is wrong.
        field: &'static str,
    },
    /// A count in a record would overflow.
    #[error("shard record at offset {offset}: entry count overflows")]
    ShardCount {
        /// Offset of the record.
        offset: u64,
    },

    // ---- reconstruction JSON (§6.3, §6.4)
    /// The reconstruction response is not valid JSON of the expected shape.
    #[error("invalid reconstruction JSON: {message}")]
    Json {
        /// What is wrong (with the byte offset for malformed JSON).
        message: String,
    },
    /// The reconstruction is well-formed JSON but describes impossible ranges.
    #[error("invalid reconstruction: {reason} (term {term})")]
    Reconstruction {
        /// Index of the offending term (or fetch entry).
        term: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

impl From<crate::json::JsonError> for FormatError {
    fn from(e: crate::json::JsonError) -> Self {
        FormatError::Json {
            message: e.to_string(),
        }
    }
}

impl From<crate::json::ShapeError> for FormatError {
    fn from(e: crate::json::ShapeError) -> Self {
        FormatError::Json { message: e.0 }
    }
}
