//! File reconstruction responses of the CAS (spec §6.3 V1 and §6.4 V2) as typed structs.
//!
//! [`parse_v1`] and [`parse_v2`] deserialize the JSON body and check that it is usable: chunk
//! ranges are non-empty, byte ranges are ordered, every term's chunks are covered by the fetch
//! descriptors of its xorb, and `offset_into_first_range` lies inside the first term. Unknown
//! fields are ignored.
//!
//! ```
//! let body = br#"{"offset_into_first_range":0,
//!   "terms":[{"hash":"a37efc43430427097588f8948c87f7ddb5993dc186b6bc16e63c04fb2dd116df",
//!             "unpacked_length":131079,"range":{"start":0,"end":3}}],
//!   "xorbs":{"a37efc43430427097588f8948c87f7ddb5993dc186b6bc16e63c04fb2dd116df":
//!     [{"url":"https://example.invalid/x","ranges":[{"chunks":{"start":0,"end":3},
//!                                                  "bytes":{"start":0,"end":131102}}]}]}}"#;
//! let r = xet::reconstruction::parse_v2(body).unwrap();
//! assert_eq!(r.terms[0].range.end, 3);
//! assert!(xet::reconstruction::parse_v2(b"{}").is_err());
//! ```

use std::collections::BTreeMap;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use crate::error::FormatError;
use crate::hash::Hash;
use crate::json::{ShapeError, Value};

/// A chunk index range `[start, end)` within a xorb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct ChunkRange {
    /// First chunk index.
    pub start: u32,
    /// End chunk index (exclusive).
    pub end: u32,
}

/// A byte range `[start, end]` of a stored xorb object; **end inclusive**, as in HTTP `Range`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Last byte (inclusive).
    pub end: u64,
}

impl ByteRange {
    /// The `Range` header value `bytes=<start>-<end>`.
    pub fn http_range(&self) -> String {
        format!("bytes={}-{}", self.start, self.end)
    }

    /// Number of bytes in the range.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start).saturating_add(1)
    }

    /// Always false: a byte range holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// One term of a reconstruction: chunks `range` of xorb `hash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Term {
    /// The xorb hash.
    pub hash: Hash,
    /// Uncompressed size of exactly the listed chunks.
    pub unpacked_length: u64,
    /// Chunk range in the xorb.
    pub range: ChunkRange,
}

/// V1 fetch descriptor: chunks `range` are the bytes `url_range` of `url` (§6.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct FetchInfoV1 {
    /// Chunk range covered.
    pub range: ChunkRange,
    /// Presigned URL (fetched without Authorization).
    pub url: String,
    /// Byte range of the chunk records, end inclusive.
    pub url_range: ByteRange,
}

/// `GET /v1/reconstructions/{file_id}` response (§6.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct ReconstructionV1 {
    /// Bytes to drop from the start of the first term's data.
    pub offset_into_first_range: u64,
    /// Terms in file order.
    pub terms: Vec<Term>,
    /// Fetch descriptors per xorb.
    pub fetch_info: BTreeMap<Hash, Vec<FetchInfoV1>>,
}

/// V2 range: chunks `chunks` are the bytes `bytes` of the entry's URL (§6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct FetchRangeV2 {
    /// Chunk range covered.
    pub chunks: ChunkRange,
    /// Byte range of the chunk records, end inclusive.
    pub bytes: ByteRange,
}

/// V2 fetch entry: one signed URL and the ranges it may be asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct XorbFetchV2 {
    /// Signed URL covering all `ranges`.
    pub url: String,
    /// Ranges sorted by chunk start.
    pub ranges: Vec<FetchRangeV2>,
}

/// `GET /v2/reconstructions/{file_id}` response (§6.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct ReconstructionV2 {
    /// Bytes to drop from the start of the first term's data.
    pub offset_into_first_range: u64,
    /// Terms in file order.
    pub terms: Vec<Term>,
    /// Fetch entries per xorb.
    pub xorbs: BTreeMap<Hash, Vec<XorbFetchV2>>,
}

fn invalid(term: usize, reason: &'static str) -> FormatError {
    FormatError::Reconstruction { term, reason }
}

fn check_terms(offset_into_first_range: u64, terms: &[Term]) -> Result<(), FormatError> {
    for (i, t) in terms.iter().enumerate() {
        if t.range.start >= t.range.end {
            return Err(invalid(i, "empty or reversed chunk range"));
        }
    }
    match terms.first() {
        None if offset_into_first_range != 0 => {
            Err(invalid(0, "offset_into_first_range without terms"))
        }
        Some(t) if offset_into_first_range >= t.unpacked_length => {
            Err(invalid(0, "offset_into_first_range beyond the first term"))
        }
        _ => Ok(()),
    }
}

fn check_fetch_range(i: usize, chunks: ChunkRange, bytes: ByteRange) -> Result<(), FormatError> {
    if chunks.start >= chunks.end {
        return Err(invalid(i, "empty or reversed fetch chunk range"));
    }
    if bytes.start > bytes.end {
        return Err(invalid(i, "reversed fetch byte range"));
    }
    Ok(())
}

/// Whether the union of `ranges` covers `[want.start, want.end)`.
fn covered(want: ChunkRange, ranges: &mut [ChunkRange]) -> bool {
    ranges.sort_unstable();
    let mut reach = want.start;
    for r in ranges.iter() {
        if r.start > reach {
            break;
        }
        reach = reach.max(r.end);
        if reach >= want.end {
            return true;
        }
    }
    reach >= want.end
}

impl ReconstructionV1 {
    /// Checks the structural rules listed in the module docs.
    ///
    /// # Errors
    /// [`FormatError::Reconstruction`] naming the first offending term.
    pub fn validate(&self) -> Result<(), FormatError> {
        check_terms(self.offset_into_first_range, &self.terms)?;
        for (i, f) in self.fetch_info.values().flatten().enumerate() {
            check_fetch_range(i, f.range, f.url_range)?;
        }
        for (i, t) in self.terms.iter().enumerate() {
            let inside = self.fetch_info.get(&t.hash).is_some_and(|fs| {
                fs.iter()
                    .any(|f| f.range.start <= t.range.start && t.range.end <= f.range.end)
            });
            if !inside {
                return Err(invalid(i, "term not covered by a fetch descriptor"));
            }
        }
        Ok(())
    }
}

impl ReconstructionV2 {
    /// Checks the structural rules listed in the module docs.
    ///
    /// # Errors
    /// [`FormatError::Reconstruction`] naming the first offending term.
    pub fn validate(&self) -> Result<(), FormatError> {
        check_terms(self.offset_into_first_range, &self.terms)?;
        for (i, r) in self
            .xorbs
            .values()
            .flatten()
            .flat_map(|e| &e.ranges)
            .enumerate()
        {
            check_fetch_range(i, r.chunks, r.bytes)?;
        }
        for (i, t) in self.terms.iter().enumerate() {
            let mut ranges: Vec<ChunkRange> = self
                .xorbs
                .get(&t.hash)
                .into_iter()
                .flatten()
                .flat_map(|e| e.ranges.iter().map(|r| r.chunks))
                .collect();
            if !covered(t.range, &mut ranges) {
                return Err(invalid(i, "term not covered by the xorb's fetch ranges"));
            }
        }
        Ok(())
    }
}

/// Parses and validates a V1 reconstruction body.
///
/// # Errors
/// [`FormatError::Json`] for malformed JSON or a wrong shape, [`FormatError::Reconstruction`]
/// for impossible ranges.
pub fn parse_v1(body: &[u8]) -> Result<ReconstructionV1, FormatError> {
    let v = crate::json::parse(body)?;
    let r = ReconstructionV1 {
        offset_into_first_range: v.u64_at("offset_into_first_range")?,
        terms: terms(&v)?,
        fetch_info: by_xorb(v.field("fetch_info")?, "fetch_info", |f| {
            Ok(FetchInfoV1 {
                range: chunk_range(f.field("range")?)?,
                url: f.str_at("url")?.to_owned(),
                url_range: byte_range(f.field("url_range")?)?,
            })
        })?,
    };
    r.validate()?;
    Ok(r)
}

/// Parses and validates a V2 reconstruction body.
///
/// # Errors
/// As [`parse_v1`].
pub fn parse_v2(body: &[u8]) -> Result<ReconstructionV2, FormatError> {
    let v = crate::json::parse(body)?;
    let r = ReconstructionV2 {
        offset_into_first_range: v.u64_at("offset_into_first_range")?,
        terms: terms(&v)?,
        xorbs: by_xorb(v.field("xorbs")?, "xorbs", |e| {
            let ranges = e.field("ranges")?.to_array("ranges")?;
            Ok(XorbFetchV2 {
                url: e.str_at("url")?.to_owned(),
                ranges: ranges
                    .iter()
                    .map(|r| {
                        Ok(FetchRangeV2 {
                            chunks: chunk_range(r.field("chunks")?)?,
                            bytes: byte_range(r.field("bytes")?)?,
                        })
                    })
                    .collect::<Result<_, ShapeError>>()?,
            })
        })?,
    };
    r.validate()?;
    Ok(r)
}

fn chunk_range(v: &Value) -> Result<ChunkRange, ShapeError> {
    Ok(ChunkRange {
        start: v.field("start")?.to_u32("start")?,
        end: v.field("end")?.to_u32("end")?,
    })
}

fn byte_range(v: &Value) -> Result<ByteRange, ShapeError> {
    Ok(ByteRange {
        start: v.u64_at("start")?,
        end: v.u64_at("end")?,
    })
}

fn hash_of(text: &str, what: &str) -> Result<Hash, ShapeError> {
    Hash::from_hex(text).map_err(|e| ShapeError(format!("`{what}`: {e}")))
}

fn terms(v: &Value) -> Result<Vec<Term>, ShapeError> {
    v.field("terms")?
        .to_array("terms")?
        .iter()
        .map(|t| {
            Ok(Term {
                hash: hash_of(t.str_at("hash")?, "hash")?,
                unpacked_length: t.u64_at("unpacked_length")?,
                range: chunk_range(t.field("range")?)?,
            })
        })
        .collect()
}

/// An object of xorb hash → array of `item`s (the last of repeated hashes wins).
fn by_xorb<T>(
    v: &Value,
    what: &str,
    item: impl Fn(&Value) -> Result<T, ShapeError>,
) -> Result<BTreeMap<Hash, Vec<T>>, ShapeError> {
    let mut out = BTreeMap::new();
    for (name, entries) in v.to_object(what)? {
        let entries = entries
            .to_array(what)?
            .iter()
            .map(&item)
            .collect::<Result<_, _>>()?;
        out.insert(hash_of(name, what)?, entries);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_by_union() {
        let r = |start, end| ChunkRange { start, end };
        assert!(covered(r(2, 6), &mut [r(4, 8), r(0, 4)]));
        assert!(!covered(r(2, 6), &mut [r(0, 3), r(4, 8)]));
        assert!(!covered(r(2, 6), &mut []));
    }

    #[test]
    fn rejects_bad_hash_and_shape() {
        let e = parse_v1(br#"{"offset_into_first_range":0,"terms":[],"fetch_info":{"zz":[]}}"#);
        assert!(matches!(e, Err(FormatError::Json { .. })));
        let empty =
            parse_v1(br#"{"offset_into_first_range":0,"terms":[],"fetch_info":{}}"#).unwrap();
        assert!(empty.terms.is_empty());
        assert!(matches!(parse_v2(b"[1,2"), Err(FormatError::Json { .. })));
    }
}
