//! Xorb objects (spec §4): chunk records and their compression schemes, the scheme choice of the
//! reference client (§4.3), the upload form built by [`XorbBuilder`], the version 1 footer
//! ([`XorbFooter`], §4.4), and parsing with or without a footer ([`parse_xorb`]).
//!
//! A xorb is a run of chunk records (`header (8) ‖ payload`), optionally followed by a footer and
//! its 4-byte length. Clients upload the records only (§4.5); servers store them with a footer and
//! serve byte ranges of records.
//!
//! ```
//! use xet::xorb::{parse_xorb, CompressionPolicy, XorbBuilder};
//!
//! let mut builder = XorbBuilder::new(CompressionPolicy::Auto);
//! for piece in [&b"first chunk"[..], b"second chunk, second chunk, second chunk"] {
//!     builder.add_chunk(xet::hash::chunk_hash(piece), piece).unwrap();
//! }
//! let xorb = builder.finish();
//! let parsed = parse_xorb(&xorb.data).unwrap();
//! assert_eq!(parsed.hash, xorb.hash);
//! assert!(parsed.footer.is_none());
//! let with_footer = parse_xorb(&xorb.to_bytes_with_footer()).unwrap();
//! assert_eq!(with_footer.footer.unwrap().xorb_hash, xorb.hash);
//! ```

use crate::bytes::Reader;
use crate::chunker::MAX_CHUNK_SIZE;
use crate::error::FormatError;
use crate::hash::{chunk_hash, merkle_root, Hash};
pub use xet_kernels::{bg4_regroup, bg4_split};
use xet_kernels::{lz4_frame, lz4_frame_decode, popcount_histograms};

/// Size of a chunk record header (§4.1).
pub const CHUNK_HEADER_LEN: usize = 8;
/// Largest compressed payload a reader accepts (§4.1).
pub const MAX_COMPRESSED_CHUNK_LEN: usize = 2 * MAX_CHUNK_SIZE;
/// Largest sum of uncompressed chunk sizes in one xorb (§1.2).
pub const MAX_XORB_BYTES: u64 = 64 << 20;
/// Largest number of chunks in one xorb (client-side cap, §1.2).
pub const MAX_XORB_CHUNKS: usize = 8192;
/// Chunks per block whose scheme the `Auto` policy decides from the block's first chunk (§4.3).
pub const DEFAULT_RETEST_INTERVAL: usize = 32;
/// The ident that starts a xorb footer (§4.4).
pub const FOOTER_IDENT: [u8; 7] = *b"XETBLOB";
const HASHES_IDENT: [u8; 7] = *b"XBLBHSH";
const BOUNDARIES_IDENT: [u8; 7] = *b"XBLBBND";
/// `info_length` of a version 1 footer with no chunks; each chunk adds 40 bytes.
const FOOTER_V1_BASE_LEN: u64 = 92;
/// Footer fields after the boundary section: num_chunks, two offsets, 16-byte buffer.
const FOOTER_TAIL_LEN: u64 = 4 + 4 + 4 + 16;

/// How a chunk payload is stored (§4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CompressionScheme {
    /// The raw chunk bytes (id 0).
    None = 0,
    /// One LZ4 frame of the raw bytes (id 1).
    Lz4 = 1,
    /// One LZ4 frame of the byte-grouped (BG4) raw bytes (id 2).
    ByteGrouping4Lz4 = 2,
}

impl CompressionScheme {
    /// The scheme with the given stored id, if any (99, "Auto", is never stored).
    pub fn from_id(id: u8) -> Option<CompressionScheme> {
        match id {
            0 => Some(CompressionScheme::None),
            1 => Some(CompressionScheme::Lz4),
            2 => Some(CompressionScheme::ByteGrouping4Lz4),
            _ => None,
        }
    }

    /// The stored id.
    pub fn id(self) -> u8 {
        self as u8
    }

    /// The policy name (`none`, `lz4`, `bg4-lz4`).
    pub fn name(self) -> &'static str {
        match self {
            CompressionScheme::None => "none",
            CompressionScheme::Lz4 => "lz4",
            CompressionScheme::ByteGrouping4Lz4 => "bg4-lz4",
        }
    }
}

/// Which scheme a writer uses (§4.3): one fixed scheme, or `Auto` (the reference default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CompressionPolicy {
    /// Per block of chunks, BG4+LZ4 if [`bg4_recommended`] says so for the block's first chunk,
    /// else LZ4.
    #[default]
    Auto,
    /// Every chunk with this scheme.
    Fixed(CompressionScheme),
}

/// A parsed chunk record header (§4.1). The version is always 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChunkHeader {
    /// Payload length `C`.
    pub compressed_len: u32,
    /// Stored scheme.
    pub scheme: CompressionScheme,
    /// Uncompressed chunk length `U`.
    pub uncompressed_len: u32,
}

impl ChunkHeader {
    /// Serializes the header (version 0).
    pub fn to_bytes(&self) -> [u8; CHUNK_HEADER_LEN] {
        let c = self.compressed_len.to_le_bytes();
        let u = self.uncompressed_len.to_le_bytes();
        [0, c[0], c[1], c[2], self.scheme.id(), u[0], u[1], u[2]]
    }

    /// Parses and validates a header found at `offset` (used in error values).
    ///
    /// # Errors
    /// Version above 0, unknown scheme, or a declared length above the reader limits.
    pub fn parse(bytes: &[u8; CHUNK_HEADER_LEN], offset: u64) -> Result<ChunkHeader, FormatError> {
        let [version, c0, c1, c2, scheme, u0, u1, u2] = *bytes;
        let scheme = CompressionScheme::from_id(scheme)
            .ok_or(FormatError::UnknownScheme { offset, scheme })?;
        if version != 0 {
            return Err(FormatError::ChunkVersion { offset, version });
        }
        let compressed_len = u32::from_le_bytes([c0, c1, c2, 0]);
        let uncompressed_len = u32::from_le_bytes([u0, u1, u2, 0]);
        if compressed_len as usize > MAX_COMPRESSED_CHUNK_LEN {
            return Err(FormatError::ChunkTooLarge {
                offset,
                len: compressed_len.into(),
                limit: MAX_COMPRESSED_CHUNK_LEN as u64,
            });
        }
        if uncompressed_len as usize > MAX_CHUNK_SIZE {
            return Err(FormatError::ChunkTooLarge {
                offset,
                len: uncompressed_len.into(),
                limit: MAX_CHUNK_SIZE as u64,
            });
        }
        Ok(ChunkHeader {
            compressed_len,
            scheme,
            uncompressed_len,
        })
    }
}

/// The BG4 predictor of the reference client (§4.3): the largest KL divergence between the
/// popcount histogram of each byte position mod 4 and the pooled histogram exceeds 0.02, with
/// NaN terms (empty bins, empty groups) ignored exactly as the reference does.
pub fn bg4_recommended(data: &[u8]) -> bool {
    let hist = popcount_histograms(data);
    let mut base = [1u64; 9];
    let mut totals = [0u64; 4];
    for (h, total) in hist.iter().zip(totals.iter_mut()) {
        for (c, &count) in h.iter().enumerate() {
            base[c] += count;
            *total += count;
        }
    }
    let base_total: u64 = totals.iter().sum();
    let mut max_kl = 0f64;
    for (h, &total) in hist.iter().zip(&totals) {
        let mut kl = 0f64;
        for (&count, &b) in h.iter().zip(&base) {
            let p = count as f64 / total as f64;
            let q = b as f64 / base_total as f64;
            kl += p * (p / q).ln();
        }
        // f64::max returns the non-NaN operand, which is the reference behaviour.
        max_kl = max_kl.max(kl);
    }
    max_kl > 0.02
}

/// The scheme `Auto` picks from a block's first chunk: BG4+LZ4 or LZ4.
pub fn choose_scheme(first_chunk: &[u8]) -> CompressionScheme {
    if bg4_recommended(first_chunk) {
        CompressionScheme::ByteGrouping4Lz4
    } else {
        CompressionScheme::Lz4
    }
}

/// Appends one chunk record for `data` compressed with `scheme` to `out`, falling back to scheme
/// None when compression does not make the payload strictly smaller (§4.2). Returns the stored
/// scheme.
///
/// # Errors
/// [`FormatError::ChunkTooLarge`] when `data` is longer than 131072 bytes.
pub fn write_chunk(
    data: &[u8],
    scheme: CompressionScheme,
    out: &mut Vec<u8>,
) -> Result<CompressionScheme, FormatError> {
    if data.len() > MAX_CHUNK_SIZE {
        return Err(FormatError::ChunkTooLarge {
            offset: out.len() as u64,
            len: data.len() as u64,
            limit: MAX_CHUNK_SIZE as u64,
        });
    }
    let compressed = match scheme {
        CompressionScheme::None => None,
        CompressionScheme::Lz4 => lz4_frame(data),
        CompressionScheme::ByteGrouping4Lz4 => lz4_frame(&bg4_split(data)),
    };
    let (stored, payload) = match &compressed {
        Some(c) if c.len() < data.len() => (scheme, c.as_slice()),
        _ => (CompressionScheme::None, data),
    };
    let header = ChunkHeader {
        // Both lengths are at most 131072, so they fit in 24 bits.
        compressed_len: payload.len() as u32,
        scheme: stored,
        uncompressed_len: data.len() as u32,
    };
    out.reserve(CHUNK_HEADER_LEN + payload.len());
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(payload);
    Ok(stored)
}

/// One chunk record inside a serialized xorb, not yet decompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRecord<'a> {
    /// Offset of the record in the parsed input.
    pub offset: u64,
    /// The validated header.
    pub header: ChunkHeader,
    /// The `compressed_len` payload bytes.
    pub payload: &'a [u8],
}

impl ChunkRecord<'_> {
    /// Length of the whole record (header + payload).
    pub fn record_len(&self) -> usize {
        CHUNK_HEADER_LEN + self.payload.len()
    }

    /// Decompresses the payload, appending exactly `uncompressed_len` bytes to `out`.
    ///
    /// # Errors
    /// [`FormatError::Decompress`] for an invalid LZ4 frame, [`FormatError::ChunkLengthMismatch`]
    /// when the output length differs from the header. On error `out` is left unchanged.
    pub fn decompress_into(&self, out: &mut Vec<u8>) -> Result<(), FormatError> {
        let expected = self.header.uncompressed_len as usize;
        let start = out.len();
        let result = match self.header.scheme {
            CompressionScheme::None => {
                out.extend_from_slice(self.payload);
                Ok(())
            }
            CompressionScheme::Lz4 => self.lz4_into(out),
            CompressionScheme::ByteGrouping4Lz4 => {
                // `expected` is the record's claim: reserve at most one chunk's worth for it.
                let mut grouped = Vec::with_capacity(expected.min(MAX_CHUNK_SIZE));
                self.lz4_into(&mut grouped)
                    .map(|()| out.extend_from_slice(&bg4_regroup(&grouped)))
            }
        };
        let actual = out.len() - start;
        if let Err(e) = result {
            out.truncate(start);
            return Err(e);
        }
        if actual != expected {
            out.truncate(start);
            return Err(FormatError::ChunkLengthMismatch {
                offset: self.offset,
                expected: expected as u64,
                actual: actual as u64,
            });
        }
        Ok(())
    }

    /// Decompresses the payload into a new vector (see [`ChunkRecord::decompress_into`]).
    ///
    /// # Errors
    /// As [`ChunkRecord::decompress_into`].
    pub fn decompress(&self) -> Result<Vec<u8>, FormatError> {
        // The record's claimed length bounds nothing: reserve at most one chunk's worth.
        let mut out =
            Vec::with_capacity((self.header.uncompressed_len as usize).min(MAX_CHUNK_SIZE));
        self.decompress_into(&mut out)?;
        Ok(out)
    }

    /// Reads at most `uncompressed_len + 1` bytes of the LZ4 frame into `out`.
    fn lz4_into(&self, out: &mut Vec<u8>) -> Result<(), FormatError> {
        let limit = u64::from(self.header.uncompressed_len) + 1;
        lz4_frame_decode(self.payload, limit, out).map_err(|_| FormatError::Decompress {
            offset: self.offset,
            scheme: self.header.scheme,
        })
    }
}

/// Iterator over the chunk records at the start of `bytes`, stopping at the end of input or at
/// a footer ident (`XETBLOB`). Created by [`chunk_records`].
#[derive(Debug, Clone)]
pub struct ChunkRecords<'a> {
    reader: Reader<'a>,
    failed: bool,
}

/// Iterates the chunk records of a serialized xorb or of a fetched byte range of one.
///
/// ```
/// let mut bytes = Vec::new();
/// xet::xorb::write_chunk(b"abc", xet::xorb::CompressionScheme::None, &mut bytes).unwrap();
/// let records: Vec<_> = xet::xorb::chunk_records(&bytes).collect::<Result<_, _>>().unwrap();
/// assert_eq!(records[0].decompress().unwrap(), b"abc");
/// ```
pub fn chunk_records(bytes: &[u8]) -> ChunkRecords<'_> {
    ChunkRecords {
        reader: Reader::new(bytes),
        failed: false,
    }
}

impl<'a> ChunkRecords<'a> {
    /// Offset of the first byte not yet consumed (the footer start once iteration ended at one).
    pub fn position(&self) -> usize {
        self.reader.pos()
    }

    /// Whether the unconsumed bytes start with a footer ident.
    pub fn at_footer(&self) -> bool {
        self.reader.rest().starts_with(&FOOTER_IDENT)
    }
}

impl<'a> Iterator for ChunkRecords<'a> {
    type Item = Result<ChunkRecord<'a>, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.reader.remaining() == 0 || self.at_footer() {
            return None;
        }
        let offset = self.reader.offset();
        let mut step = || -> Result<ChunkRecord<'a>, FormatError> {
            let header = ChunkHeader::parse(&self.reader.array()?, offset)?;
            let payload = self.reader.take(header.compressed_len as usize)?;
            Ok(ChunkRecord {
                offset,
                header,
                payload,
            })
        };
        let item = step();
        if item.is_err() {
            self.failed = true;
        }
        Some(item)
    }
}

/// Decodes a run of chunk records (e.g. a fetched range, §6.5), appending the chunk bytes to
/// `out` and returning each chunk's uncompressed length. Stops at a footer ident.
///
/// # Errors
/// The first malformed record's error; `out` then holds the chunks decoded before it.
pub fn decode_chunks(bytes: &[u8], out: &mut Vec<u8>) -> Result<Vec<u32>, FormatError> {
    let mut lengths = Vec::new();
    for record in chunk_records(bytes) {
        let record = record?;
        record.decompress_into(out)?;
        lengths.push(record.header.uncompressed_len);
    }
    Ok(lengths)
}

/// The footer of a stored xorb (§4.4). Version 1 is written; versions 0 and 1 are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XorbFooter {
    /// Footer version (0 legacy, 1 current).
    pub version: u8,
    /// The xorb hash.
    pub xorb_hash: Hash,
    /// Chunk hashes in order.
    pub chunk_hashes: Vec<Hash>,
    /// End offset of each chunk record (header included) in the serialized xorb.
    pub chunk_boundary_offsets: Vec<u32>,
    /// Cumulative uncompressed size through each chunk (empty for version 0).
    pub unpacked_chunk_offsets: Vec<u32>,
    /// The 16-byte buffer: 4-byte uniqueness nonce + 12 reserved bytes (readers ignore it).
    pub buffer: [u8; 16],
}

impl XorbFooter {
    /// Number of chunks.
    pub fn num_chunks(&self) -> usize {
        self.chunk_hashes.len()
    }

    /// The `info_length` of this footer when written as version 1 (`92 + 40·N`).
    pub fn info_length(&self) -> u64 {
        FOOTER_V1_BASE_LEN + 40 * self.chunk_hashes.len() as u64
    }

    /// Serializes as version 1, followed by the 4-byte `info_length`.
    ///
    /// # Errors
    /// [`FormatError::FooterMismatch`] when the three per-chunk vectors differ in length.
    pub fn to_bytes(&self) -> Result<Vec<u8>, FormatError> {
        let n = self.chunk_hashes.len();
        if self.chunk_boundary_offsets.len() != n {
            return Err(FormatError::FooterMismatch {
                field: "chunk_boundary_offsets length",
            });
        }
        if self.unpacked_chunk_offsets.len() != n {
            return Err(FormatError::FooterMismatch {
                field: "unpacked_chunk_offsets length",
            });
        }
        let n32 = u32::try_from(n).map_err(|_| FormatError::FooterMismatch {
            field: "num_chunks",
        })?;
        let boundary_from_end = 12 + 8 * n as u64 + FOOTER_TAIL_LEN;
        let hashes_from_end = 12 + 32 * n as u64 + boundary_from_end;
        let info_length = self.info_length();
        let mut out = Vec::with_capacity(info_length as usize + 4);
        out.extend_from_slice(&FOOTER_IDENT);
        out.push(1);
        out.extend_from_slice(self.xorb_hash.as_bytes());
        out.extend_from_slice(&HASHES_IDENT);
        out.push(0);
        out.extend_from_slice(&n32.to_le_bytes());
        for h in &self.chunk_hashes {
            out.extend_from_slice(h.as_bytes());
        }
        out.extend_from_slice(&BOUNDARIES_IDENT);
        out.push(1);
        out.extend_from_slice(&n32.to_le_bytes());
        for v in self
            .chunk_boundary_offsets
            .iter()
            .chain(&self.unpacked_chunk_offsets)
        {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&n32.to_le_bytes());
        // Both offsets are below 2^32 for any n that fits in u32 chunks of a real xorb; saturate
        // rather than wrap otherwise.
        out.extend_from_slice(
            &u32::try_from(hashes_from_end)
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        out.extend_from_slice(
            &u32::try_from(boundary_from_end)
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        out.extend_from_slice(&self.buffer);
        out.extend_from_slice(&u32::try_from(info_length).unwrap_or(u32::MAX).to_le_bytes());
        Ok(out)
    }

    /// The uncompressed length of every chunk, from `unpacked_chunk_offsets` (§4.4). With the
    /// chunk hashes this gives the leaves of the xorb hash (§3.4), so a footer can be checked
    /// against the hash of the xorb it claims to describe.
    ///
    /// # Errors
    /// [`FormatError::FooterMismatch`] for a version 0 footer (it has no uncompressed offsets),
    /// for vectors of different lengths, or for offsets that do not grow by 1 to
    /// `MAX_CHUNK_SIZE` bytes per chunk.
    pub fn chunk_lengths(&self) -> Result<Vec<u32>, FormatError> {
        if self.version == 0 {
            return Err(FormatError::FooterMismatch {
                field: "a version 0 footer has no chunk lengths",
            });
        }
        if self.unpacked_chunk_offsets.len() != self.chunk_hashes.len() {
            return Err(FormatError::FooterMismatch {
                field: "unpacked_chunk_offsets length",
            });
        }
        let mut previous = 0u32;
        let mut lengths = Vec::with_capacity(self.unpacked_chunk_offsets.len());
        for &end in &self.unpacked_chunk_offsets {
            match end.checked_sub(previous) {
                Some(len) if len >= 1 && len as usize <= MAX_CHUNK_SIZE => lengths.push(len),
                _ => {
                    return Err(FormatError::FooterMismatch {
                        field: "unpacked_chunk_offsets",
                    })
                }
            }
            previous = end;
        }
        Ok(lengths)
    }

    /// The byte range `[start, end)` that the records of chunks `[first, end_chunk)` occupy in
    /// the stored xorb, from `chunk_boundary_offsets`; `None` when the chunks are not all in the
    /// footer or the range is empty or reversed.
    pub fn record_range(&self, first: u32, end_chunk: u32) -> Option<(u64, u64)> {
        if first >= end_chunk {
            return None;
        }
        let start = match first {
            0 => 0,
            i => u64::from(*self.chunk_boundary_offsets.get(i as usize - 1)?),
        };
        let end = u64::from(*self.chunk_boundary_offsets.get(end_chunk as usize - 1)?);
        (start < end).then_some((start, end))
    }

    /// Parses the footer at the end of `bytes` (a whole stored xorb, or any tail of one that
    /// contains the footer and its `info_length`). Returns the footer and the offset in `bytes`
    /// where it starts.
    ///
    /// # Errors
    /// Truncation, bad idents or versions, or inconsistent counts and offsets.
    pub fn parse_tail(bytes: &[u8]) -> Result<(XorbFooter, usize), FormatError> {
        let len = bytes.len();
        let tail = len.checked_sub(4).ok_or(FormatError::Truncated {
            offset: 0,
            needed: 4,
            available: len as u64,
        })?;
        let mut info = [0u8; 4];
        info.copy_from_slice(bytes.get(tail..).unwrap_or_default());
        let info_length = u32::from_le_bytes(info) as usize;
        let start = tail
            .checked_sub(info_length)
            .ok_or(FormatError::Truncated {
                offset: 0,
                needed: info_length as u64 + 4,
                available: len as u64,
            })?;
        let footer = Self::parse_exact(bytes.get(start..tail).unwrap_or_default(), start as u64)?;
        Ok((footer, start))
    }

    /// Parses a footer occupying exactly `bytes` (without the trailing `info_length`); `offset`
    /// is its position in the whole object, used in errors.
    ///
    /// # Errors
    /// As [`XorbFooter::parse_tail`], plus [`FormatError::TrailingBytes`].
    pub fn parse_exact(bytes: &[u8], offset: u64) -> Result<XorbFooter, FormatError> {
        let mut r = Reader::with_base(bytes, offset);
        let at = r.offset();
        if r.array::<7>()? != FOOTER_IDENT {
            return Err(FormatError::FooterIdent { offset: at });
        }
        let at = r.offset();
        let footer = match r.u8()? {
            0 => Self::parse_v0_body(&mut r)?,
            1 => Self::parse_v1_body(&mut r)?,
            version => {
                return Err(FormatError::FooterVersion {
                    offset: at,
                    version,
                })
            }
        };
        if r.remaining() != 0 {
            return Err(FormatError::TrailingBytes {
                offset: r.offset(),
                count: r.remaining() as u64,
            });
        }
        Ok(footer)
    }

    /// Reads a count of `item_len`-byte items, refusing counts the input cannot hold.
    fn count(r: &mut Reader<'_>, item_len: u64) -> Result<usize, FormatError> {
        let n = u64::from(r.u32()?);
        r.need(n * item_len)?;
        Ok(n as usize)
    }

    fn parse_v0_body(r: &mut Reader<'_>) -> Result<XorbFooter, FormatError> {
        let xorb_hash = r.hash()?;
        let n = Self::count(r, 36)?;
        let chunk_boundary_offsets = (0..n).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
        let chunk_hashes = (0..n).map(|_| r.hash()).collect::<Result<Vec<_>, _>>()?;
        let buffer = r.array()?;
        Ok(XorbFooter {
            version: 0,
            xorb_hash,
            chunk_hashes,
            chunk_boundary_offsets,
            unpacked_chunk_offsets: Vec::new(),
            buffer,
        })
    }

    fn parse_v1_body(r: &mut Reader<'_>) -> Result<XorbFooter, FormatError> {
        let xorb_hash = r.hash()?;
        let hashes_start = r.pos();
        let at = r.offset();
        if r.array::<7>()? != HASHES_IDENT {
            return Err(FormatError::FooterIdent { offset: at });
        }
        let at = r.offset();
        match r.u8()? {
            0 => {}
            version => {
                return Err(FormatError::FooterVersion {
                    offset: at,
                    version,
                })
            }
        }
        let n = Self::count(r, 32)?;
        let chunk_hashes = (0..n).map(|_| r.hash()).collect::<Result<Vec<_>, _>>()?;
        let boundaries_start = r.pos();
        let at = r.offset();
        if r.array::<7>()? != BOUNDARIES_IDENT {
            return Err(FormatError::FooterIdent { offset: at });
        }
        let at = r.offset();
        match r.u8()? {
            1 => {}
            version => {
                return Err(FormatError::FooterVersion {
                    offset: at,
                    version,
                })
            }
        }
        if r.u32()? as usize != n {
            return Err(FormatError::FooterMismatch {
                field: "num_chunks of the boundary section",
            });
        }
        r.need(8 * n as u64)?;
        let chunk_boundary_offsets = (0..n).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
        let unpacked_chunk_offsets = (0..n).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
        if r.u32()? as usize != n {
            return Err(FormatError::FooterMismatch {
                field: "num_chunks",
            });
        }
        let hashes_from_end = u64::from(r.u32()?);
        let boundary_from_end = u64::from(r.u32()?);
        let buffer = r.array()?;
        let end = r.pos();
        if (end - hashes_start) as u64 != hashes_from_end {
            return Err(FormatError::FooterMismatch {
                field: "hashes_section_offset_from_end",
            });
        }
        if (end - boundaries_start) as u64 != boundary_from_end {
            return Err(FormatError::FooterMismatch {
                field: "boundary_section_offset_from_end",
            });
        }
        Ok(XorbFooter {
            version: 1,
            xorb_hash,
            chunk_hashes,
            chunk_boundary_offsets,
            unpacked_chunk_offsets,
            buffer,
        })
    }
}

/// One chunk of a parsed or built xorb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct XorbChunk {
    /// Chunk hash of the uncompressed bytes.
    pub hash: Hash,
    /// Uncompressed length.
    pub len: u32,
    /// Scheme the record is stored with.
    pub scheme: CompressionScheme,
    /// End offset (exclusive) of the chunk's record in the serialized xorb.
    pub record_end: u32,
    /// Cumulative uncompressed size through this chunk.
    pub unpacked_end: u32,
}

/// A parsed and verified xorb (see [`parse_xorb`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xorb {
    /// Xorb hash computed from the decompressed chunks.
    pub hash: Hash,
    /// The chunks in order.
    pub chunks: Vec<XorbChunk>,
    /// Length of the chunk records (where the footer starts, if any).
    pub records_len: usize,
    /// The footer, when the object carries one (it was checked against the chunks).
    pub footer: Option<XorbFooter>,
}

/// Parses a serialized xorb, with or without footer: decompresses and hashes every chunk,
/// computes the xorb hash, and checks that a footer (v0 or v1) agrees with the chunks.
///
/// # Errors
/// Any malformed record or footer, a footer that disagrees with the chunks, or bytes after the
/// footer's `info_length`.
pub fn parse_xorb(bytes: &[u8]) -> Result<Xorb, FormatError> {
    let mut records = chunk_records(bytes);
    let mut chunks = Vec::new();
    let mut scratch = Vec::with_capacity(MAX_CHUNK_SIZE);
    let mut unpacked: u64 = 0;
    for record in records.by_ref() {
        let record = record?;
        scratch.clear();
        record.decompress_into(&mut scratch)?;
        unpacked += scratch.len() as u64;
        let record_end = record.offset + record.record_len() as u64;
        chunks.push(XorbChunk {
            hash: chunk_hash(&scratch),
            len: record.header.uncompressed_len,
            scheme: record.header.scheme,
            record_end: u32::try_from(record_end).map_err(|_| FormatError::FooterMismatch {
                field: "record offset above 4 GiB",
            })?,
            unpacked_end: u32::try_from(unpacked).map_err(|_| FormatError::FooterMismatch {
                field: "unpacked size above 4 GiB",
            })?,
        });
    }
    let records_len = records.position();
    let leaves: Vec<(Hash, u64)> = chunks.iter().map(|c| (c.hash, u64::from(c.len))).collect();
    let hash = merkle_root(&leaves);
    let footer = if records_len < bytes.len() {
        let rest = bytes.get(records_len..).unwrap_or_default();
        let (footer, start) = XorbFooter::parse_tail(rest)?;
        if start != 0 {
            // The footer named by info_length does not begin where the records end.
            return Err(FormatError::FooterMismatch {
                field: "info_length",
            });
        }
        check_footer(&footer, &chunks, hash)?;
        Some(footer)
    } else {
        None
    };
    Ok(Xorb {
        hash,
        chunks,
        records_len,
        footer,
    })
}

fn check_footer(footer: &XorbFooter, chunks: &[XorbChunk], hash: Hash) -> Result<(), FormatError> {
    if footer.chunk_hashes.len() != chunks.len() {
        return Err(FormatError::FooterMismatch {
            field: "num_chunks",
        });
    }
    if footer.xorb_hash != hash {
        return Err(FormatError::FooterMismatch { field: "xorb_hash" });
    }
    if !footer
        .chunk_hashes
        .iter()
        .zip(chunks)
        .all(|(h, c)| *h == c.hash)
    {
        return Err(FormatError::FooterMismatch {
            field: "chunk_hashes",
        });
    }
    if !footer
        .chunk_boundary_offsets
        .iter()
        .zip(chunks)
        .all(|(b, c)| *b == c.record_end)
    {
        return Err(FormatError::FooterMismatch {
            field: "chunk_boundary_offsets",
        });
    }
    if footer.version >= 1
        && !footer
            .unpacked_chunk_offsets
            .iter()
            .zip(chunks)
            .all(|(u, c)| *u == c.unpacked_end)
    {
        return Err(FormatError::FooterMismatch {
            field: "unpacked_chunk_offsets",
        });
    }
    Ok(())
}

/// Builds the upload form of one xorb (§4.5) chunk by chunk, compressing as chunks arrive.
///
/// With [`CompressionPolicy::Auto`], each file section (see [`XorbBuilder::start_file`]) is cut
/// into blocks of [`DEFAULT_RETEST_INTERVAL`] chunks and each block uses the scheme
/// [`choose_scheme`] picks for its first chunk (§4.3).
#[derive(Debug, Clone)]
pub struct XorbBuilder {
    policy: CompressionPolicy,
    retest_interval: usize,
    data: Vec<u8>,
    chunks: Vec<XorbChunk>,
    raw_bytes: u64,
    /// Chunks added since the current section (file) started.
    in_section: usize,
    block_scheme: CompressionScheme,
}

impl XorbBuilder {
    /// An empty xorb with the given policy.
    pub fn new(policy: CompressionPolicy) -> XorbBuilder {
        XorbBuilder {
            policy,
            retest_interval: DEFAULT_RETEST_INTERVAL,
            data: Vec::new(),
            chunks: Vec::new(),
            raw_bytes: 0,
            in_section: 0,
            block_scheme: CompressionScheme::Lz4,
        }
    }

    /// An empty xorb serialized into `buffer` (cleared first), e.g. one reused from xorb to
    /// xorb: with a buffer already large enough, building allocates nothing for the data,
    /// where a growing `Vec` allocates and frees 8 KiB … 64 MiB blocks for every xorb.
    pub fn with_buffer(policy: CompressionPolicy, mut buffer: Vec<u8>) -> XorbBuilder {
        buffer.clear();
        XorbBuilder {
            data: buffer,
            ..XorbBuilder::new(policy)
        }
    }

    /// The serialization buffer, without building (e.g. to reuse it when nothing was added).
    pub fn into_buffer(self) -> Vec<u8> {
        self.data
    }

    /// Sets the `Auto` block length (0 = one block per file section).
    pub fn with_retest_interval(mut self, chunks: usize) -> XorbBuilder {
        self.retest_interval = chunks;
        self
    }

    /// Marks that the next chunk belongs to a new file: `Auto` then starts a new section.
    pub fn start_file(&mut self) {
        self.in_section = 0;
    }

    /// Whether a chunk of `len` bytes still fits (≤ 8192 chunks, ≤ 64 MiB uncompressed).
    pub fn fits(&self, len: usize) -> bool {
        self.chunks.len() < MAX_XORB_CHUNKS && self.raw_bytes + len as u64 <= MAX_XORB_BYTES
    }

    /// Number of chunks added.
    pub fn num_chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Uncompressed bytes added.
    pub fn raw_bytes(&self) -> u64 {
        self.raw_bytes
    }

    /// Serialized bytes so far.
    pub fn serialized_len(&self) -> usize {
        self.data.len()
    }

    /// Whether no chunk was added.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Appends a chunk whose hash the caller computed; returns its index in the xorb.
    ///
    /// # Errors
    /// [`FormatError::XorbFull`] when it does not fit (the builder is unchanged),
    /// [`FormatError::ChunkTooLarge`] above 131072 bytes.
    pub fn add_chunk(&mut self, hash: Hash, data: &[u8]) -> Result<usize, FormatError> {
        if !self.fits(data.len()) {
            return Err(FormatError::XorbFull {
                chunks: self.chunks.len(),
                bytes: self.raw_bytes,
            });
        }
        let scheme = match self.policy {
            CompressionPolicy::Fixed(s) => s,
            CompressionPolicy::Auto => {
                let interval = if self.retest_interval == 0 {
                    usize::MAX
                } else {
                    self.retest_interval
                };
                if self.in_section % interval == 0 {
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
            len: data.len() as u32,
            scheme: stored,
            // The data is at most 64 MiB plus 8-byte headers, far below 4 GiB.
            record_end: self.data.len() as u32,
            unpacked_end: self.raw_bytes as u32,
        });
        Ok(index)
    }

    /// Finishes the xorb: computes its hash and returns the upload form.
    pub fn finish(self) -> SerializedXorb {
        let leaves: Vec<(Hash, u64)> = self
            .chunks
            .iter()
            .map(|c| (c.hash, u64::from(c.len)))
            .collect();
        SerializedXorb {
            hash: merkle_root(&leaves),
            data: self.data,
            chunks: self.chunks,
        }
    }
}

/// A built xorb: hash, upload bytes (chunk records only) and chunk table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerializedXorb {
    /// The xorb hash.
    pub hash: Hash,
    /// Chunk records, the body of `POST /v1/xorbs/default/<hash>` (§6.6).
    pub data: Vec<u8>,
    /// The chunks in order.
    pub chunks: Vec<XorbChunk>,
}

impl SerializedXorb {
    /// Sum of the uncompressed chunk sizes.
    pub fn raw_bytes(&self) -> u64 {
        self.chunks.iter().map(|c| u64::from(c.len)).sum()
    }

    /// `(hash, length)` of every chunk, as shards and hashes use them.
    pub fn chunk_hashes_and_lens(&self) -> Vec<(Hash, u32)> {
        self.chunks.iter().map(|c| (c.hash, c.len)).collect()
    }

    /// The version 1 footer a server would append (nonce zero).
    pub fn footer(&self) -> XorbFooter {
        XorbFooter {
            version: 1,
            xorb_hash: self.hash,
            chunk_hashes: self.chunks.iter().map(|c| c.hash).collect(),
            chunk_boundary_offsets: self.chunks.iter().map(|c| c.record_end).collect(),
            unpacked_chunk_offsets: self.chunks.iter().map(|c| c.unpacked_end).collect(),
            buffer: [0; 16],
        }
    }

    /// The complete stored form: chunk records ‖ footer ‖ `info_length`.
    pub fn to_bytes_with_footer(&self) -> Vec<u8> {
        let mut out = self.data.clone();
        // The three vectors come from the same chunk list, so their lengths agree.
        out.extend_from_slice(&self.footer().to_bytes().unwrap_or_default());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footer_lengths_and_record_ranges() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 253) as u8).collect();
        let mut b = XorbBuilder::new(CompressionPolicy::Auto);
        for c in crate::chunk_all(&data) {
            let bytes = &data[c.offset as usize..(c.offset + u64::from(c.len)) as usize];
            b.add_chunk(c.hash, bytes).unwrap();
        }
        let x = b.finish();
        let footer = x.footer();
        let lens = footer.chunk_lengths().unwrap();
        assert_eq!(lens, x.chunks.iter().map(|c| c.len).collect::<Vec<_>>());
        let n = x.chunks.len() as u32;
        assert_eq!(footer.record_range(0, n), Some((0, x.data.len() as u64)));
        assert_eq!(
            footer.record_range(1, 2),
            Some((
                u64::from(x.chunks[0].record_end),
                u64::from(x.chunks[1].record_end)
            ))
        );
        assert_eq!(footer.record_range(0, n + 1), None);
        assert_eq!(footer.record_range(2, 2), None);
        assert_eq!(footer.record_range(3, 1), None);
        // Offsets that do not grow, or a version 0 footer: no lengths.
        let mut flat = footer.clone();
        flat.unpacked_chunk_offsets[1] = flat.unpacked_chunk_offsets[0];
        assert!(flat.chunk_lengths().is_err());
        let mut big = footer.clone();
        big.unpacked_chunk_offsets[0] = MAX_CHUNK_SIZE as u32 + 1;
        assert!(big.chunk_lengths().is_err());
        let v0 = XorbFooter {
            version: 0,
            unpacked_chunk_offsets: Vec::new(),
            ..footer
        };
        assert!(v0.chunk_lengths().is_err());
    }

    #[test]
    fn with_buffer_builds_the_same_xorb_into_the_given_buffer() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let chunks = crate::chunk_all(&data);
        let build = |mut builder: XorbBuilder| {
            for c in &chunks {
                let bytes = &data[c.offset as usize..(c.offset + u64::from(c.len)) as usize];
                builder.add_chunk(c.hash, bytes).unwrap();
            }
            builder.finish()
        };
        // A used buffer: its old contents must not leak into the xorb.
        let buffer = vec![0xAB; 300_000];
        let ptr = buffer.as_ptr();
        let pooled = build(XorbBuilder::with_buffer(CompressionPolicy::Auto, buffer));
        assert_eq!(pooled, build(XorbBuilder::new(CompressionPolicy::Auto)));
        assert_eq!(pooled.data.as_ptr(), ptr, "built in place, no reallocation");
        let unused = XorbBuilder::with_buffer(CompressionPolicy::Auto, pooled.data);
        assert!(unused.is_empty());
        let back = unused.into_buffer();
        assert_eq!(back.as_ptr(), ptr);
    }

    #[test]
    fn bg4_round_trip_all_small_lengths() {
        for n in 0..40usize {
            let data: Vec<u8> = (0..n as u8).collect();
            let g = bg4_split(&data);
            assert_eq!(bg4_regroup(&g), data, "n = {n}");
        }
    }

    #[test]
    fn header_rejects_bad_fields() {
        let ok = ChunkHeader {
            compressed_len: 5,
            scheme: CompressionScheme::Lz4,
            uncompressed_len: 9,
        };
        assert_eq!(ChunkHeader::parse(&ok.to_bytes(), 0), Ok(ok));
        let mut b = ok.to_bytes();
        b[0] = 1;
        assert!(matches!(
            ChunkHeader::parse(&b, 0),
            Err(FormatError::ChunkVersion { .. })
        ));
        let mut b = ok.to_bytes();
        b[4] = 99;
        assert!(matches!(
            ChunkHeader::parse(&b, 0),
            Err(FormatError::UnknownScheme { scheme: 99, .. })
        ));
        let mut b = ok.to_bytes();
        b[5..8].copy_from_slice(&[1, 0, 2]);
        assert!(matches!(
            ChunkHeader::parse(&b, 0),
            Err(FormatError::ChunkTooLarge { .. })
        ));
    }

    #[test]
    fn empty_bg4_prediction_is_false() {
        assert!(!bg4_recommended(&[]));
        assert!(!bg4_recommended(&[1, 2, 3]));
    }
}
