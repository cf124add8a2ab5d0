//! Shards (spec §5): file reconstructions and xorb chunk listings in 48-byte records.
//!
//! * [`ShardBuilder`] writes the upload form (§5.8: header, file section, xorb section, bookends,
//!   `footer_size = 0`) in the canonical order of §5.7, and the full form with lookup tables and
//!   footer (§5.5, §5.6), optionally HMAC-keyed like a global-dedup response.
//! * [`parse_shard`] reads either form, including the global-dedup responses of
//!   `GET /v1/chunks/…` with their HMAC key and expiry (§5.8, §6.10).
//!
//! ```
//! use xet::shard::{parse_shard, FileInfo, FileTerm, ShardBuilder, XorbInfo};
//! use xet::Hash;
//!
//! let chunk = xet::hash::chunk_hash(b"data");
//! let xorb_hash = xet::xorb_hash(&[(chunk, 4)]);
//! let mut shard = ShardBuilder::new();
//! shard.add_xorb(XorbInfo::from_chunks(xorb_hash, &[(chunk, 4)]));
//! shard.add_file(FileInfo {
//!     file_hash: xet::file_hash(&[(chunk, 4)]),
//!     terms: vec![FileTerm::new(xorb_hash, 4, 0, 1)],
//!     verification: Some(vec![xet::verification_hash(&[chunk])]),
//!     sha256: None,
//! });
//! let bytes = shard.upload_bytes().unwrap();
//! let parsed = parse_shard(&bytes).unwrap();
//! assert_eq!(parsed.files[0].size(), 4);
//! assert!(parsed.footer.is_none());
//! ```

use std::collections::BTreeMap;

use crate::bytes::Reader;
use crate::error::FormatError;
use crate::hash::{hmac, Hash};

/// The 32-byte tag that starts every shard (§5.1).
pub const SHARD_HEADER_TAG: [u8; 32] = [
    b'H', b'F', b'R', b'e', b'p', b'o', b'M', b'e', b't', b'a', b'D', b'a', b't', b'a', 0, 0x55,
    0x69, 0x67, 0x45, 0x6a, 0x7b, 0x81, 0x57, 0x83, 0xa5, 0xbd, 0xd9, 0x5c, 0xcd, 0xd1, 0x4a, 0xa9,
];
/// Shard header version (§5.1).
pub const SHARD_HEADER_VERSION: u64 = 2;
/// Shard footer version (§5.6).
pub const SHARD_FOOTER_VERSION: u64 = 1;
/// Size of the header and of every section record (§1.2).
pub const SHARD_RECORD_LEN: usize = 48;
/// Size of the footer (§5.6).
pub const SHARD_FOOTER_LEN: usize = 200;
/// File flag: verification entries follow the terms (§5.2).
pub const FILE_FLAG_WITH_VERIFICATION: u32 = 1 << 31;
/// File flag: a metadata extension (SHA-256) follows (§5.2).
pub const FILE_FLAG_WITH_METADATA_EXT: u32 = 1 << 30;
/// Chunk flag: global-dedup candidate, set by servers (§5.3).
pub const CHUNK_FLAG_GLOBAL_DEDUP: u32 = 1 << 31;

const BOOKEND_HASH: [u8; 32] = [0xFF; 32];
const FILE_LOOKUP_ENTRY_LEN: u64 = 12;
const XORB_LOOKUP_ENTRY_LEN: u64 = 12;
const CHUNK_LOOKUP_ENTRY_LEN: u64 = 16;

/// One term of a file: a chunk range of one xorb (§5.2 `FileDataSequenceEntry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileTerm {
    /// The xorb holding the chunks.
    pub xorb_hash: Hash,
    /// Flags (0 from clients).
    pub xorb_flags: u32,
    /// Uncompressed size of the chunks.
    pub unpacked_bytes: u32,
    /// First chunk index.
    pub chunk_start: u32,
    /// Chunk index end (exclusive).
    pub chunk_end: u32,
}

impl FileTerm {
    /// A term with flags 0.
    pub fn new(xorb_hash: Hash, unpacked_bytes: u32, chunk_start: u32, chunk_end: u32) -> FileTerm {
        FileTerm {
            xorb_hash,
            xorb_flags: 0,
            unpacked_bytes,
            chunk_start,
            chunk_end,
        }
    }
}

/// A file reconstruction (§5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileInfo {
    /// The file hash (all zero for an empty file).
    pub file_hash: Hash,
    /// Terms in file order.
    pub terms: Vec<FileTerm>,
    /// One range hash per term (§3.6); `Some` sets flag bit 31.
    pub verification: Option<Vec<Hash>>,
    /// The plain SHA-256 digest of the file; `Some` sets flag bit 30. Stored with each 8-byte
    /// group reversed (§5.4).
    pub sha256: Option<[u8; 32]>,
}

impl FileInfo {
    /// File size: the sum of the terms' unpacked bytes.
    pub fn size(&self) -> u64 {
        self.terms.iter().map(|t| u64::from(t.unpacked_bytes)).sum()
    }

    /// The flags written for this file.
    pub fn flags(&self) -> u32 {
        let mut flags = 0;
        if self.verification.is_some() {
            flags |= FILE_FLAG_WITH_VERIFICATION;
        }
        if self.sha256.is_some() {
            flags |= FILE_FLAG_WITH_METADATA_EXT;
        }
        flags
    }

    /// Records this file occupies, header included.
    fn num_records(&self) -> u64 {
        let n = self.terms.len() as u64;
        1 + n + if self.verification.is_some() { n } else { 0 } + u64::from(self.sha256.is_some())
    }
}

/// Converts between a SHA-256 digest and its stored form (each 8-byte group reversed, §5.4);
/// the conversion is its own inverse. The xet hex of the stored form is the usual hex digest.
pub fn sha256_stored_form(digest: &[u8; 32]) -> [u8; 32] {
    let mut out = *digest;
    for group in out.chunks_exact_mut(8) {
        group.reverse();
    }
    out
}

/// One chunk of a xorb listing (§5.3 `XorbChunkSequenceEntry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct XorbChunkEntry {
    /// Chunk hash (HMAC-keyed in shards that carry a key).
    pub hash: Hash,
    /// Offset of the chunk in the uncompressed concatenation of the xorb's chunks.
    pub byte_range_start: u32,
    /// Chunk length.
    pub len: u32,
    /// Flags ([`CHUNK_FLAG_GLOBAL_DEDUP`]; 0 from clients).
    pub flags: u32,
}

/// A xorb's chunk listing (§5.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct XorbInfo {
    /// The xorb hash.
    pub xorb_hash: Hash,
    /// Flags (0).
    pub xorb_flags: u32,
    /// Sum of the uncompressed chunk sizes.
    pub num_bytes_in_xorb: u32,
    /// Serialized size (the reference client writes 0).
    pub num_bytes_on_disk: u32,
    /// Chunks in xorb order.
    pub chunks: Vec<XorbChunkEntry>,
}

impl XorbInfo {
    /// The listing of a xorb made of `chunks` `(hash, length)`, as the reference client writes it
    /// (flags 0, `num_bytes_on_disk` 0).
    pub fn from_chunks(xorb_hash: Hash, chunks: &[(Hash, u32)]) -> XorbInfo {
        let mut start = 0u32;
        let entries = chunks
            .iter()
            .map(|&(hash, len)| {
                let e = XorbChunkEntry {
                    hash,
                    byte_range_start: start,
                    len,
                    flags: 0,
                };
                start = start.wrapping_add(len);
                e
            })
            .collect();
        XorbInfo {
            xorb_hash,
            xorb_flags: 0,
            num_bytes_in_xorb: start,
            num_bytes_on_disk: 0,
            chunks: entries,
        }
    }
}

/// The 200-byte footer of a full shard (§5.6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShardFooter {
    /// Offset of the file section (48).
    pub file_info_offset: u64,
    /// Offset of the xorb section.
    pub xorb_info_offset: u64,
    /// Offset of the file lookup table.
    pub file_lookup_offset: u64,
    /// Entries in the file lookup table.
    pub file_lookup_num_entry: u64,
    /// Offset of the xorb lookup table.
    pub xorb_lookup_offset: u64,
    /// Entries in the xorb lookup table.
    pub xorb_lookup_num_entry: u64,
    /// Offset of the chunk lookup table.
    pub chunk_lookup_offset: u64,
    /// Entries in the chunk lookup table.
    pub chunk_lookup_num_entry: u64,
    /// HMAC key of the chunk hashes (all zero: none).
    pub chunk_hash_hmac_key: [u8; 32],
    /// Creation time, Unix seconds.
    pub shard_creation_timestamp: u64,
    /// Key expiry, Unix seconds (`u64::MAX`: none).
    pub shard_key_expiry: u64,
    /// Reserved words.
    pub reserved: [u64; 6],
    /// Σ `num_bytes_on_disk`.
    pub stored_bytes_on_disk: u64,
    /// Σ file sizes.
    pub materialized_bytes: u64,
    /// Σ `num_bytes_in_xorb`.
    pub stored_bytes: u64,
    /// Offset of this footer.
    pub footer_offset: u64,
}

impl ShardFooter {
    /// The HMAC key when the chunk hashes are keyed (§5.8).
    pub fn chunk_hmac_key(&self) -> Option<[u8; 32]> {
        (self.chunk_hash_hmac_key != [0; 32]).then_some(self.chunk_hash_hmac_key)
    }

    fn to_bytes(&self) -> [u8; SHARD_FOOTER_LEN] {
        let mut out = [0u8; SHARD_FOOTER_LEN];
        let words_before_key = [
            SHARD_FOOTER_VERSION,
            self.file_info_offset,
            self.xorb_info_offset,
            self.file_lookup_offset,
            self.file_lookup_num_entry,
            self.xorb_lookup_offset,
            self.xorb_lookup_num_entry,
            self.chunk_lookup_offset,
            self.chunk_lookup_num_entry,
        ];
        for (slot, w) in out.chunks_exact_mut(8).zip(words_before_key) {
            slot.copy_from_slice(&w.to_le_bytes());
        }
        out[72..104].copy_from_slice(&self.chunk_hash_hmac_key);
        let words_after_key = [self.shard_creation_timestamp, self.shard_key_expiry]
            .into_iter()
            .chain(self.reserved)
            .chain([
                self.stored_bytes_on_disk,
                self.materialized_bytes,
                self.stored_bytes,
                self.footer_offset,
            ]);
        for (slot, w) in out[104..].chunks_exact_mut(8).zip(words_after_key) {
            slot.copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    fn parse(bytes: &[u8], offset: u64) -> Result<ShardFooter, FormatError> {
        let mut r = Reader::with_base(bytes, offset);
        let version = r.u64()?;
        if version != SHARD_FOOTER_VERSION {
            return Err(FormatError::ShardVersion {
                part: "footer",
                version,
            });
        }
        Ok(ShardFooter {
            file_info_offset: r.u64()?,
            xorb_info_offset: r.u64()?,
            file_lookup_offset: r.u64()?,
            file_lookup_num_entry: r.u64()?,
            xorb_lookup_offset: r.u64()?,
            xorb_lookup_num_entry: r.u64()?,
            chunk_lookup_offset: r.u64()?,
            chunk_lookup_num_entry: r.u64()?,
            chunk_hash_hmac_key: r.array()?,
            shard_creation_timestamp: r.u64()?,
            shard_key_expiry: r.u64()?,
            reserved: [r.u64()?, r.u64()?, r.u64()?, r.u64()?, r.u64()?, r.u64()?],
            stored_bytes_on_disk: r.u64()?,
            materialized_bytes: r.u64()?,
            stored_bytes: r.u64()?,
            footer_offset: r.u64()?,
        })
    }
}

/// The lookup tables of a full shard (§5.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ShardLookups {
    /// `(w0 of file hash, record index in the file section)`.
    pub files: Vec<(u64, u32)>,
    /// `(w0 of xorb hash, record index in the xorb section)`.
    pub xorbs: Vec<(u64, u32)>,
    /// `(w0 of (keyed) chunk hash, xorb record index, chunk position)`, sorted by the key.
    pub chunks: Vec<(u64, u32, u32)>,
}

/// A parsed shard.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Shard {
    /// File reconstructions in shard order.
    pub files: Vec<FileInfo>,
    /// Xorb listings in shard order.
    pub xorbs: Vec<XorbInfo>,
    /// The footer, for shards that carry one.
    pub footer: Option<ShardFooter>,
    /// The lookup tables (empty without footer).
    pub lookups: ShardLookups,
}

impl Shard {
    /// The HMAC key of the chunk hashes, if the shard carries one (global-dedup responses).
    pub fn chunk_hmac_key(&self) -> Option<[u8; 32]> {
        self.footer.as_ref().and_then(ShardFooter::chunk_hmac_key)
    }

    /// The key expiry (Unix seconds) if the shard has a footer with a finite expiry.
    pub fn key_expiry(&self) -> Option<u64> {
        self.footer
            .as_ref()
            .map(|f| f.shard_key_expiry)
            .filter(|&e| e != u64::MAX)
    }
}

fn read_header(r: &mut Reader<'_>) -> Result<u64, FormatError> {
    if r.array::<32>()? != SHARD_HEADER_TAG {
        return Err(FormatError::ShardTag);
    }
    let version = r.u64()?;
    if version != SHARD_HEADER_VERSION {
        return Err(FormatError::ShardVersion {
            part: "header",
            version,
        });
    }
    let footer_size = r.u64()?;
    if footer_size != 0 && footer_size != SHARD_FOOTER_LEN as u64 {
        return Err(FormatError::ShardFooterSize { size: footer_size });
    }
    Ok(footer_size)
}

fn read_file_section(r: &mut Reader<'_>) -> Result<Vec<FileInfo>, FormatError> {
    let mut files = Vec::new();
    while let Some(file) = read_file(r)? {
        files.push(file);
    }
    Ok(files)
}

/// One file of the file section, `None` at its bookend. Out of line: in wasm, a loop whose body
/// is this large would have V8 optimise the whole parser for one call.
#[inline(never)]
fn read_file(r: &mut Reader<'_>) -> Result<Option<FileInfo>, FormatError> {
    let at = r.offset();
    let file_hash = r.array::<32>()?;
    let flags = r.u32()?;
    let num_entries = r.u32()?;
    let _reserved = r.u64()?;
    if file_hash == BOOKEND_HASH {
        return Ok(None);
    }
    let with_verification = flags & FILE_FLAG_WITH_VERIFICATION != 0;
    let with_ext = flags & FILE_FLAG_WITH_METADATA_EXT != 0;
    let n = u64::from(num_entries);
    let records = n
        .checked_mul(if with_verification { 2 } else { 1 })
        .and_then(|x| x.checked_add(u64::from(with_ext)))
        .ok_or(FormatError::ShardCount { offset: at })?;
    r.need(records * SHARD_RECORD_LEN as u64)?;
    let mut terms = Vec::with_capacity(num_entries as usize);
    for _ in 0..num_entries {
        terms.push(FileTerm {
            xorb_hash: r.hash()?,
            xorb_flags: r.u32()?,
            unpacked_bytes: r.u32()?,
            chunk_start: r.u32()?,
            chunk_end: r.u32()?,
        });
    }
    let verification = if with_verification {
        let mut v = Vec::with_capacity(num_entries as usize);
        for _ in 0..num_entries {
            v.push(r.hash()?);
            r.take(16)?;
        }
        Some(v)
    } else {
        None
    };
    let sha256 = if with_ext {
        let stored = r.array::<32>()?;
        r.take(16)?;
        Some(sha256_stored_form(&stored))
    } else {
        None
    };
    Ok(Some(FileInfo {
        file_hash: Hash::from_bytes(file_hash),
        terms,
        verification,
        sha256,
    }))
}

fn read_xorb_section(r: &mut Reader<'_>) -> Result<Vec<XorbInfo>, FormatError> {
    let mut xorbs = Vec::new();
    while let Some(xorb) = read_xorb(r)? {
        xorbs.push(xorb);
    }
    Ok(xorbs)
}

/// One xorb listing of the xorb section, `None` at its bookend (out of line, as [`read_file`];
/// its chunks are collected, so that an error in the loop over them drops nothing in it).
#[inline(never)]
fn read_xorb(r: &mut Reader<'_>) -> Result<Option<XorbInfo>, FormatError> {
    let xorb_hash = r.array::<32>()?;
    let xorb_flags = r.u32()?;
    let num_entries = r.u32()?;
    let num_bytes_in_xorb = r.u32()?;
    let num_bytes_on_disk = r.u32()?;
    if xorb_hash == BOOKEND_HASH {
        return Ok(None);
    }
    r.need(u64::from(num_entries) * SHARD_RECORD_LEN as u64)?;
    let chunks = (0..num_entries)
        .map(|_| read_chunk_entry(r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(XorbInfo {
        xorb_hash: Hash::from_bytes(xorb_hash),
        xorb_flags,
        num_bytes_in_xorb,
        num_bytes_on_disk,
        chunks,
    }))
}

/// One chunk of a xorb listing (out of line, as [`read_file`]).
#[inline(never)]
fn read_chunk_entry(r: &mut Reader<'_>) -> Result<XorbChunkEntry, FormatError> {
    let hash = r.hash()?;
    let byte_range_start = r.u32()?;
    let len = r.u32()?;
    let flags = r.u32()?;
    let _reserved = r.u32()?;
    Ok(XorbChunkEntry {
        hash,
        byte_range_start,
        len,
        flags,
    })
}

/// Reads the `count` entries of a lookup table at `offset`, checking it lies in `[lo, hi]`.
fn read_table<T>(
    bytes: &[u8],
    (offset, count, entry_len): (u64, u64, u64),
    (lo, hi): (u64, u64),
    field: &'static str,
    mut entry: impl FnMut(&mut Reader<'_>) -> Result<T, FormatError>,
) -> Result<Vec<T>, FormatError> {
    let len = count
        .checked_mul(entry_len)
        .ok_or(FormatError::ShardLayout { field })?;
    let end = offset
        .checked_add(len)
        .ok_or(FormatError::ShardLayout { field })?;
    if offset < lo || end > hi {
        return Err(FormatError::ShardLayout { field });
    }
    let table = bytes
        .get(offset as usize..end as usize)
        .ok_or(FormatError::ShardLayout { field })?;
    let mut r = Reader::with_base(table, offset);
    (0..count).map(|_| entry(&mut r)).collect()
}

/// Parses a shard with or without footer (§5.1–§5.6).
///
/// The header must carry the tag and version 2; with `footer_size = 200`, the footer (version 1)
/// must sit at the end, its section offsets must match the layout and its lookup tables must lie
/// between the xorb bookend and the footer.
///
/// # Errors
/// Any malformed header, record, count, footer or table.
pub fn parse_shard(bytes: &[u8]) -> Result<Shard, FormatError> {
    let mut r = Reader::new(bytes);
    let footer_size = read_header(&mut r)?;
    let file_section = r.pos() as u64;
    let files = read_file_section(&mut r)?;
    let xorb_section = r.pos() as u64;
    let xorbs = read_xorb_section(&mut r)?;
    let tables_start = r.pos() as u64;
    if footer_size == 0 {
        if r.remaining() != 0 {
            return Err(FormatError::TrailingBytes {
                offset: r.offset(),
                count: r.remaining() as u64,
            });
        }
        return Ok(Shard {
            files,
            xorbs,
            footer: None,
            lookups: ShardLookups::default(),
        });
    }
    let footer_offset = (bytes.len() as u64)
        .checked_sub(SHARD_FOOTER_LEN as u64)
        .filter(|&o| o >= tables_start)
        .ok_or(FormatError::Truncated {
            offset: tables_start,
            needed: SHARD_FOOTER_LEN as u64,
            available: r.remaining() as u64,
        })?;
    let footer = ShardFooter::parse(
        bytes.get(footer_offset as usize..).unwrap_or_default(),
        footer_offset,
    )?;
    if footer.footer_offset != footer_offset {
        return Err(FormatError::ShardLayout {
            field: "footer_offset",
        });
    }
    if footer.file_info_offset != file_section {
        return Err(FormatError::ShardLayout {
            field: "file_info_offset",
        });
    }
    if footer.xorb_info_offset != xorb_section {
        return Err(FormatError::ShardLayout {
            field: "xorb_info_offset",
        });
    }
    let bounds = (tables_start, footer_offset);
    let lookups = ShardLookups {
        files: read_table(
            bytes,
            (
                footer.file_lookup_offset,
                footer.file_lookup_num_entry,
                FILE_LOOKUP_ENTRY_LEN,
            ),
            bounds,
            "file_lookup",
            |r| Ok((r.u64()?, r.u32()?)),
        )?,
        xorbs: read_table(
            bytes,
            (
                footer.xorb_lookup_offset,
                footer.xorb_lookup_num_entry,
                XORB_LOOKUP_ENTRY_LEN,
            ),
            bounds,
            "xorb_lookup",
            |r| Ok((r.u64()?, r.u32()?)),
        )?,
        chunks: read_table(
            bytes,
            (
                footer.chunk_lookup_offset,
                footer.chunk_lookup_num_entry,
                CHUNK_LOOKUP_ENTRY_LEN,
            ),
            bounds,
            "chunk_lookup",
            |r| Ok((r.u64()?, r.u32()?, r.u32()?)),
        )?,
    };
    Ok(Shard {
        files,
        xorbs,
        footer: Some(footer),
        lookups,
    })
}

/// Options of the full (footer) form written by [`ShardBuilder::to_bytes_with_footer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FooterOptions {
    /// Key chunk hashes with this HMAC key (global-dedup flavour, §5.8).
    pub hmac_key: Option<[u8; 32]>,
    /// `shard_creation_timestamp`.
    pub creation_timestamp: u64,
    /// `shard_key_expiry`.
    pub key_expiry: u64,
}

impl Default for FooterOptions {
    /// The reference serializer's values: no key, timestamp 0, no expiry (`u64::MAX`).
    fn default() -> Self {
        FooterOptions {
            hmac_key: None,
            creation_timestamp: 0,
            key_expiry: u64::MAX,
        }
    }
}

/// Collects files and xorbs and writes them as a shard, sorted by hash (§5.7). Adding a file or
/// xorb whose hash is already present replaces it, as in the reference client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardBuilder {
    files: BTreeMap<Hash, FileInfo>,
    xorbs: BTreeMap<Hash, XorbInfo>,
}

fn u32_count(n: usize, offset: u64) -> Result<u32, FormatError> {
    u32::try_from(n).map_err(|_| FormatError::ShardCount { offset })
}

impl ShardBuilder {
    /// An empty shard.
    pub fn new() -> ShardBuilder {
        ShardBuilder::default()
    }

    /// Adds (or replaces) a file reconstruction.
    pub fn add_file(&mut self, file: FileInfo) {
        self.files.insert(file.file_hash, file);
    }

    /// Adds (or replaces) a xorb listing.
    pub fn add_xorb(&mut self, xorb: XorbInfo) {
        self.xorbs.insert(xorb.xorb_hash, xorb);
    }

    /// Files in write order.
    pub fn files(&self) -> impl Iterator<Item = &FileInfo> {
        self.files.values()
    }

    /// Xorbs in write order.
    pub fn xorbs(&self) -> impl Iterator<Item = &XorbInfo> {
        self.xorbs.values()
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.xorbs.is_empty()
    }

    /// Size of the upload form in bytes.
    pub fn upload_len(&self) -> u64 {
        let records = 1
            + self.files.values().map(FileInfo::num_records).sum::<u64>()
            + 1
            + self
                .xorbs
                .values()
                .map(|x| 1 + x.chunks.len() as u64)
                .sum::<u64>()
            + 1;
        records * SHARD_RECORD_LEN as u64
    }

    /// The upload form (§5.8): header with `footer_size = 0`, both sections and bookends.
    ///
    /// # Errors
    /// [`FormatError::ShardCount`] when a file's verification list does not have one entry per
    /// term, or a count does not fit in 32 bits.
    pub fn upload_bytes(&self) -> Result<Vec<u8>, FormatError> {
        let mut out = Vec::with_capacity(self.upload_len() as usize);
        self.write_sections(&mut out, 0, None)?;
        Ok(out)
    }

    /// The full form: upload form plus lookup tables and footer, as the reference serializer
    /// (`footer_size = 200`) writes it; with `options.hmac_key` the chunk hashes are keyed.
    ///
    /// # Errors
    /// As [`ShardBuilder::upload_bytes`].
    pub fn to_bytes_with_footer(&self, options: &FooterOptions) -> Result<Vec<u8>, FormatError> {
        let mut out = Vec::with_capacity(self.upload_len() as usize + SHARD_FOOTER_LEN);
        let key = options.hmac_key.filter(|k| *k != [0; 32]);
        let (file_lookup, xorb_lookup, mut chunk_lookup) =
            self.write_sections(&mut out, SHARD_FOOTER_LEN as u64, key.as_ref())?;
        let mut footer = ShardFooter {
            file_info_offset: SHARD_RECORD_LEN as u64,
            xorb_info_offset: 0,
            file_lookup_offset: out.len() as u64,
            file_lookup_num_entry: file_lookup.len() as u64,
            xorb_lookup_offset: 0,
            xorb_lookup_num_entry: xorb_lookup.len() as u64,
            chunk_lookup_offset: 0,
            chunk_lookup_num_entry: chunk_lookup.len() as u64,
            chunk_hash_hmac_key: key.unwrap_or([0; 32]),
            shard_creation_timestamp: options.creation_timestamp,
            shard_key_expiry: options.key_expiry,
            reserved: [0; 6],
            stored_bytes_on_disk: self
                .xorbs
                .values()
                .map(|x| u64::from(x.num_bytes_on_disk))
                .sum(),
            materialized_bytes: self.files.values().map(FileInfo::size).sum(),
            stored_bytes: self
                .xorbs
                .values()
                .map(|x| u64::from(x.num_bytes_in_xorb))
                .sum(),
            footer_offset: 0,
        };
        footer.xorb_info_offset = SHARD_RECORD_LEN as u64
            + (self.files.values().map(FileInfo::num_records).sum::<u64>() + 1)
                * SHARD_RECORD_LEN as u64;
        for (key, index) in &file_lookup {
            out.extend_from_slice(&key.to_le_bytes());
            out.extend_from_slice(&index.to_le_bytes());
        }
        footer.xorb_lookup_offset = out.len() as u64;
        for (key, index) in &xorb_lookup {
            out.extend_from_slice(&key.to_le_bytes());
            out.extend_from_slice(&index.to_le_bytes());
        }
        footer.chunk_lookup_offset = out.len() as u64;
        chunk_lookup.sort_by_key(|e| e.0);
        for (key, xorb, pos) in &chunk_lookup {
            out.extend_from_slice(&key.to_le_bytes());
            out.extend_from_slice(&xorb.to_le_bytes());
            out.extend_from_slice(&pos.to_le_bytes());
        }
        footer.footer_offset = out.len() as u64;
        out.extend_from_slice(&footer.to_bytes());
        Ok(out)
    }

    /// Writes header, sections and bookends; returns the lookup entries.
    #[allow(clippy::type_complexity)]
    fn write_sections(
        &self,
        out: &mut Vec<u8>,
        footer_size: u64,
        key: Option<&[u8; 32]>,
    ) -> Result<(Vec<(u64, u32)>, Vec<(u64, u32)>, Vec<(u64, u32, u32)>), FormatError> {
        out.extend_from_slice(&SHARD_HEADER_TAG);
        out.extend_from_slice(&SHARD_HEADER_VERSION.to_le_bytes());
        out.extend_from_slice(&footer_size.to_le_bytes());
        let mut file_lookup = Vec::with_capacity(self.files.len());
        let mut index: u64 = 0;
        for file in self.files.values() {
            let at = out.len() as u64;
            file_lookup.push((file.file_hash.words()[0], u32_count(index as usize, at)?));
            index += file.num_records();
            write_file(out, file)?;
        }
        record(out, &BOOKEND_HASH, [0; 4]);
        let mut xorb_lookup = Vec::with_capacity(self.xorbs.len());
        let mut chunk_lookup = Vec::new();
        let mut index: u64 = 0;
        for xorb in self.xorbs.values() {
            let at = out.len() as u64;
            let xorb_index = u32_count(index as usize, at)?;
            xorb_lookup.push((xorb.xorb_hash.words()[0], xorb_index));
            index += 1 + xorb.chunks.len() as u64;
            let n = u32_count(xorb.chunks.len(), at)?;
            record(
                out,
                xorb.xorb_hash.as_bytes(),
                [
                    xorb.xorb_flags,
                    n,
                    xorb.num_bytes_in_xorb,
                    xorb.num_bytes_on_disk,
                ],
            );
            for (pos, c) in xorb.chunks.iter().enumerate() {
                let hash = write_chunk_entry(out, c, key);
                chunk_lookup.push((hash, xorb_index, pos as u32));
            }
        }
        record(out, &BOOKEND_HASH, [0; 4]);
        Ok((file_lookup, xorb_lookup, chunk_lookup))
    }
}

/// Appends the records of one file. Out of line, as [`read_file`].
#[inline(never)]
fn write_file(out: &mut Vec<u8>, file: &FileInfo) -> Result<(), FormatError> {
    let at = out.len() as u64;
    let n = u32_count(file.terms.len(), at)?;
    if file
        .verification
        .as_ref()
        .is_some_and(|v| v.len() != file.terms.len())
    {
        return Err(FormatError::ShardCount { offset: at });
    }
    record(out, file.file_hash.as_bytes(), [file.flags(), n, 0, 0]);
    for t in &file.terms {
        record(
            out,
            t.xorb_hash.as_bytes(),
            [t.xorb_flags, t.unpacked_bytes, t.chunk_start, t.chunk_end],
        );
    }
    for h in file.verification.iter().flatten() {
        record(out, h.as_bytes(), [0; 4]);
    }
    if let Some(sha) = &file.sha256 {
        record(out, &sha256_stored_form(sha), [0; 4]);
    }
    Ok(())
}

/// Appends the record of one chunk of a xorb listing (its hash keyed with `key` when given);
/// returns the first word of the hash written, for the chunk lookup table. Out of line, as
/// [`read_file`].
#[inline(never)]
fn write_chunk_entry(out: &mut Vec<u8>, c: &XorbChunkEntry, key: Option<&[u8; 32]>) -> u64 {
    let hash = key.map_or(c.hash, |k| hmac(&c.hash, k));
    record(
        out,
        hash.as_bytes(),
        [c.byte_range_start, c.len, c.flags, 0],
    );
    hash.words()[0]
}

/// Appends one 48-byte record: a 32-byte hash and four u32 words.
fn record(out: &mut Vec<u8>, hash: &[u8; 32], words: [u32; 4]) {
    out.extend_from_slice(hash);
    for w in words {
        out.extend_from_slice(&w.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_stored_form_swizzles_groups() {
        let mut d = [0u8; 32];
        for (i, b) in d.iter_mut().enumerate() {
            *b = i as u8;
        }
        let stored = sha256_stored_form(&d);
        assert_eq!(stored[0], 7);
        assert_eq!(
            Hash::from_bytes(stored).to_hex(),
            d.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        assert_eq!(sha256_stored_form(&stored), d);
    }

    #[test]
    fn rejects_bad_header() {
        assert_eq!(parse_shard(&[0u8; 48]), Err(FormatError::ShardTag));
        let mut b = SHARD_HEADER_TAG.to_vec();
        b.extend(3u64.to_le_bytes());
        b.extend(0u64.to_le_bytes());
        assert_eq!(
            parse_shard(&b),
            Err(FormatError::ShardVersion {
                part: "header",
                version: 3
            })
        );
    }
}
