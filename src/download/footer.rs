//! Proving the chunks of a partial xorb read through the xorb's footer (xet spec §3.4, §4.4,
//! "Reading the footer of a stored xorb").
//!
//! A fetched range that holds a whole xorb proves itself: its chunks aggregate to the xorb hash.
//! A range holding only some chunks cannot; for it, the stored object's footer is read with a
//! suffix range on the same transfer URL ([`fetch_proof`], at most two small requests per xorb),
//! its chunk hashes and lengths must aggregate to the xorb hash, and every fetched chunk must then
//! match the footer's hash and length at its index ([`ProvenXorb::check`]). A footer the server
//! refuses (a `4xx` answer to the suffix range) or sends malformed makes the read an
//! [`Error::Integrity`], unless the caller chose [`Verify::Structural`].
//!
//! ```
//! use hf_buckets::download::footer::ProvenXorb;
//! use xet::xorb::{CompressionPolicy, XorbBuilder};
//!
//! let mut b = XorbBuilder::new(CompressionPolicy::Auto);
//! for piece in [&b"one chunk"[..], b"another chunk"] {
//!     b.add_chunk(xet::chunk_hash(piece), piece).unwrap();
//! }
//! let x = b.finish();
//! let proven = ProvenXorb::from_footer(x.hash, &x.footer()).unwrap();
//! assert_eq!(proven.len(), 2);
//! // A footer of another xorb proves nothing.
//! assert!(ProvenXorb::from_footer(xet::chunk_hash(b"other"), &x.footer()).is_err());
//! ```

use std::rc::Rc;

use xet::reconstruction::{ByteRange, ChunkRange};
use xet::xorb::XorbFooter;
use xet::Hash;

use crate::cas::footers::ProvenChunks;
use crate::cas::CasClient;
use crate::error::Error;
use crate::transport::Cancel;

/// How much of a download is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verify {
    /// Every chunk is checked against a proven hash: a whole xorb against the xorb hash, part of
    /// one against its footer's chunk hashes (fetched once per xorb), a whole file also against
    /// the file hash. A server that refuses the footer makes a partial read fail.
    #[default]
    Full,
    /// As [`Verify::Full`] where the fetched data proves itself, but bytes read from part of a
    /// xorb are only checked structurally (valid records, lengths): no footer is fetched.
    Structural,
}

impl Verify {
    /// The mode named `full` or `structural` (the JS option `verify`).
    pub fn from_name(name: &str) -> Option<Verify> {
        match name {
            "full" => Some(Verify::Full),
            "structural" => Some(Verify::Structural),
            _ => None,
        }
    }
}

/// First suffix asked for: the footer of a xorb of up to 256 chunks (the client's 16 MiB xorbs
/// hold about that many) with its `info_length`. A bigger footer takes a second request.
pub const FOOTER_FIRST_REQUEST: u64 = 4 + 92 + 40 * 256;

/// Largest footer read (32768 chunks, four times the client-side cap of a xorb); a longer
/// `info_length` is malformed.
pub const MAX_FOOTER_REQUEST: u64 = 4 + 92 + 40 * 32768;

/// The chunk hashes and lengths of one xorb, proven against its hash. A clone shares them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenXorb {
    chunks: Rc<ProvenChunks>,
}

fn bad(message: impl Into<String>) -> Error {
    Error::integrity(message)
}

impl ProvenXorb {
    /// The proof that decoded chunks `chunks` give by themselves (`table`: `(hash, offset,
    /// length)` per chunk, as in `plan::DecodedUnit`): when they start at chunk 0 and aggregate
    /// to `xorb` (so they are the whole xorb).
    pub fn from_chunks(
        xorb: Hash,
        chunks: ChunkRange,
        table: &[(Hash, usize, usize)],
    ) -> Option<ProvenXorb> {
        if chunks.start != 0 || table.is_empty() {
            return None;
        }
        let leaves: Vec<(Hash, u64)> = table.iter().map(|&(h, _, l)| (h, l as u64)).collect();
        (xet::xorb_hash(&leaves) == xorb).then(|| ProvenXorb {
            chunks: Rc::new(ProvenChunks {
                hashes: table.iter().map(|&(h, _, _)| h).collect(),
                lens: table
                    .iter()
                    .map(|&(_, _, l)| u32::try_from(l).unwrap_or(u32::MAX))
                    .collect(),
                record_ends: None,
            }),
        })
    }

    /// Checks a parsed footer against the hash of the xorb it was read from.
    ///
    /// # Errors
    /// [`Error::Integrity`] when the footer names another xorb, has no chunk lengths (version
    /// 0), inconsistent offsets, or chunk hashes and lengths that do not aggregate to `xorb`.
    pub fn from_footer(xorb: Hash, footer: &XorbFooter) -> Result<ProvenXorb, Error> {
        if footer.xorb_hash != xorb {
            return Err(bad(format!(
                "the footer read from xorb {xorb} is the footer of xorb {}",
                footer.xorb_hash
            )));
        }
        let lens = footer
            .chunk_lengths()
            .map_err(|e| bad(format!("footer of xorb {xorb}: {e}")))?;
        if footer.chunk_boundary_offsets.len() != lens.len()
            || footer
                .chunk_boundary_offsets
                .windows(2)
                .any(|w| w[0] >= w[1])
        {
            return Err(bad(format!(
                "footer of xorb {xorb}: record offsets are not increasing"
            )));
        }
        let leaves: Vec<(Hash, u64)> = footer
            .chunk_hashes
            .iter()
            .zip(&lens)
            .map(|(&h, &l)| (h, u64::from(l)))
            .collect();
        let actual = xet::xorb_hash(&leaves);
        if actual != xorb {
            return Err(bad(format!(
                "the chunk hashes in the footer of xorb {xorb} aggregate to {actual}"
            )));
        }
        Ok(ProvenXorb {
            chunks: Rc::new(ProvenChunks {
                hashes: footer.chunk_hashes.clone(),
                lens,
                record_ends: Some(footer.chunk_boundary_offsets.clone()),
            }),
        })
    }

    /// Number of chunks of the xorb.
    pub fn len(&self) -> usize {
        self.chunks.hashes.len()
    }

    /// Whether the xorb has no chunks.
    pub fn is_empty(&self) -> bool {
        self.chunks.hashes.is_empty()
    }

    /// Uncompressed length of chunk `index`.
    pub fn chunk_len(&self, index: u32) -> Option<u32> {
        self.chunks.lens.get(index as usize).copied()
    }

    /// The bytes (end inclusive) that the records of chunks `[first, end)` occupy in the stored
    /// xorb; `None` for a proof that did not come from a footer, or chunks outside the xorb.
    pub fn record_range(&self, first: u32, end: u32) -> Option<ByteRange> {
        let ends = self.chunks.record_ends.as_ref()?;
        if first >= end {
            return None;
        }
        let start = match first {
            0 => 0,
            i => u64::from(*ends.get(i as usize - 1)?),
        };
        let last = u64::from(*ends.get(end as usize - 1)?);
        (start < last).then(|| ByteRange {
            start,
            end: last - 1,
        })
    }

    /// Checks decoded chunks `chunks` (`table` as in [`ProvenXorb::from_chunks`]), fetched at
    /// `bytes` of the stored xorb `xorb`, against the proven hash and length at each index, and,
    /// when the proof came from a footer, that `bytes` are exactly the chunks' records.
    ///
    /// # Errors
    /// [`Error::Integrity`] when the xorb has fewer chunks than claimed, or on any mismatch.
    pub fn check(
        &self,
        xorb: Hash,
        bytes: ByteRange,
        chunks: ChunkRange,
        table: &[(Hash, usize, usize)],
    ) -> Result<(), Error> {
        let (start, end) = (chunks.start, chunks.end);
        if end as usize > self.chunks.hashes.len() || start >= end {
            return Err(bad(format!(
                "xorb {xorb} has {} chunks; the read covers chunks {start}..{end}",
                self.chunks.hashes.len()
            )));
        }
        if let Some(ends) = &self.chunks.record_ends {
            let first = match start {
                0 => Some(0),
                i => ends.get(i as usize - 1).copied(),
            };
            let last = ends.get(end as usize - 1).copied();
            if first.map(u64::from) != Some(bytes.start)
                || last.map(u64::from) != bytes.end.checked_add(1)
            {
                return Err(bad(format!(
                    "xorb {xorb}: bytes {}..={} are not the records of chunks {start}..{end}",
                    bytes.start, bytes.end
                )));
            }
        }
        if table.len() != (end - start) as usize {
            return Err(bad(format!(
                "xorb {xorb}: {} chunks decoded for chunks {start}..{end}",
                table.len()
            )));
        }
        for (i, &(hash, _, len)) in table.iter().enumerate() {
            let index = start as usize + i;
            let ok = self.chunks.hashes.get(index) == Some(&hash)
                && self.chunks.lens.get(index).map(|&l| l as usize) == Some(len);
            if !ok {
                return Err(bad(format!(
                    "xorb {xorb} chunk {index} does not match its hash"
                )));
            }
        }
        Ok(())
    }
}

/// Bytes of the footer of a xorb of `chunks` chunks, with its `info_length`.
pub fn footer_len(chunks: u32) -> u64 {
    4 + 92 + 40 * u64::from(chunks)
}

/// Reads and checks the footer of the stored xorb `xorb` at its transfer URL `url`: a suffix
/// range of [`FOOTER_FIRST_REQUEST`] bytes, or of the footer of a xorb of `chunks_hint` chunks
/// when that is longer (a caller that read a unit up to chunk `n` knows the xorb has `n` or
/// more), then, when the footer is longer still, one of exactly its length. `on_bytes` counts
/// the bytes received. Pass an error through [`footer_error`] before reporting it (a `403` may
/// first mean an expired URL: the caller can renew it and try again).
///
/// # Errors
/// [`Error::Integrity`] for a malformed footer or one that does not prove `xorb`; the server's
/// status and transport errors (after retries) as they are; [`Error::Aborted`].
pub async fn fetch_proof(
    cas: &CasClient,
    xorb: Hash,
    url: &str,
    chunks_hint: u32,
    cancel: &Cancel,
    on_bytes: &dyn Fn(u64),
) -> Result<ProvenXorb, Error> {
    // Footers proven by this client's earlier reads (a sync of many small files reads parts
    // of the same xorbs file after file).
    if let Some(chunks) = cas.footers().and_then(|f| f.get(&xorb)) {
        return Ok(ProvenXorb { chunks });
    }
    let first = footer_len(chunks_hint).clamp(FOOTER_FIRST_REQUEST, MAX_FOOTER_REQUEST);
    let mut body = cas.fetch_tail(url, first, cancel, on_bytes).await?;
    let info_length = footer_length(&body)
        .ok_or_else(|| bad(format!("footer of xorb {xorb}: fewer than 4 bytes")))?;
    let need = info_length.saturating_add(4);
    if need > MAX_FOOTER_REQUEST {
        return Err(bad(format!(
            "footer of xorb {xorb}: info_length {info_length} is too large"
        )));
    }
    if need > body.len() as u64 {
        if (body.len() as u64) < first {
            // The whole object was shorter than the first request: no room for the footer.
            return Err(bad(format!(
                "footer of xorb {xorb}: info_length {info_length} exceeds the object"
            )));
        }
        body = cas.fetch_tail(url, need, cancel, on_bytes).await?;
    }
    let start = body
        .len()
        .saturating_sub(usize::try_from(need).unwrap_or(usize::MAX));
    let (footer, _) = XorbFooter::parse_tail(body.get(start..).unwrap_or_default())
        .map_err(|e| bad(format!("footer of xorb {xorb}: {e}")))?;
    let proof = ProvenXorb::from_footer(xorb, &footer)?;
    if let Some(footers) = cas.footers() {
        footers.insert(xorb, proof.chunks.clone());
    }
    Ok(proof)
}

/// The error a failed footer read of `xorb` ends a verified read with: a `4xx` answer means the
/// server refuses suffix ranges, so the read cannot be verified ([`Error::Integrity`], naming the
/// status and the `verify: 'structural'` opt-out); anything else is returned as it is.
pub fn footer_error(xorb: Hash, e: Error) -> Error {
    match e.status() {
        Some(status) if (400..500).contains(&status) => bad(format!(
            "cannot verify a partial read of xorb {xorb}: the server refused the footer range \
             (HTTP {status}); `verify: 'structural'` skips this check"
        )),
        _ => e,
    }
}

/// The `info_length` in the last 4 bytes of a xorb tail.
fn footer_length(tail: &[u8]) -> Option<u64> {
    let at = tail.len().checked_sub(4)?;
    let bytes: [u8; 4] = tail.get(at..)?.try_into().ok()?;
    Some(u64::from(u32::from_le_bytes(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use xet::xorb::{CompressionPolicy, SerializedXorb, XorbBuilder};

    fn xorb(seed: u64, len: usize) -> SerializedXorb {
        let data = crate::cas::mock::random_bytes(seed, len);
        let mut b = XorbBuilder::new(CompressionPolicy::Auto);
        for c in xet::chunk_all(&data) {
            let bytes = &data[c.offset as usize..(c.offset + u64::from(c.len)) as usize];
            b.add_chunk(c.hash, bytes).unwrap();
        }
        b.finish()
    }

    /// Chunks `[start, end)` of `x` as a read decodes them: their byte range, and
    /// `(hash, offset, length)` per chunk.
    struct Read {
        bytes: ByteRange,
        chunks: ChunkRange,
        table: Vec<(Hash, usize, usize)>,
    }

    fn read(x: &SerializedXorb, start: u32, end: u32) -> Read {
        let (a, b) = x.footer().record_range(start, end).unwrap();
        let mut out = Vec::new();
        let lens = xet::xorb::decode_chunks(&x.data[a as usize..b as usize], &mut out).unwrap();
        let mut at = 0;
        let table = lens
            .iter()
            .map(|&l| {
                let row = (xet::chunk_hash(&out[at..at + l as usize]), at, l as usize);
                at += l as usize;
                row
            })
            .collect();
        Read {
            bytes: ByteRange {
                start: a,
                end: b - 1,
            },
            chunks: ChunkRange { start, end },
            table,
        }
    }

    #[test]
    fn a_footer_proves_every_chunk_of_a_partial_read() {
        let x = xorb(1, 1 << 20);
        let n = x.chunks.len() as u32;
        assert!(n > 4);
        let proven = ProvenXorb::from_footer(x.hash, &x.footer()).unwrap();
        for (s, e) in [(0, 1), (1, 2), (2, n), (n - 1, n), (0, n)] {
            let r = read(&x, s, e);
            proven.check(x.hash, r.bytes, r.chunks, &r.table).unwrap();
            assert_eq!(proven.record_range(s, e), Some(r.bytes));
        }
        assert_eq!(proven.chunk_len(0), Some(x.chunks[0].len));
        assert_eq!(proven.chunk_len(n), None);
        // Only a whole xorb proves itself.
        let whole = read(&x, 0, n);
        let by_itself = ProvenXorb::from_chunks(x.hash, whole.chunks, &whole.table).unwrap();
        assert_eq!(
            by_itself.record_range(0, 1),
            None,
            "no record offsets without a footer"
        );
        let part = read(&x, 0, n - 1);
        assert!(ProvenXorb::from_chunks(x.hash, part.chunks, &part.table).is_none());
    }

    #[test]
    fn wrong_footers_and_wrong_chunks_are_integrity_errors() {
        let x = xorb(2, 600_000);
        let n = x.chunks.len() as u32;
        let footer = x.footer();
        let is_integrity = |r: Result<ProvenXorb, Error>| matches!(r, Err(Error::Integrity { .. }));
        // Another xorb's footer, a flipped chunk hash, a wrong length, a version 0 footer.
        let other = xorb(3, 200_000);
        assert!(is_integrity(ProvenXorb::from_footer(
            x.hash,
            &other.footer()
        )));
        let mut f = footer.clone();
        f.chunk_hashes[1] = other.hash;
        assert!(is_integrity(ProvenXorb::from_footer(x.hash, &f)));
        let mut f = footer.clone();
        f.unpacked_chunk_offsets[0] -= 1;
        assert!(is_integrity(ProvenXorb::from_footer(x.hash, &f)));
        let mut f = footer.clone();
        f.chunk_boundary_offsets.swap(0, 1);
        assert!(is_integrity(ProvenXorb::from_footer(x.hash, &f)));
        let f = XorbFooter {
            version: 0,
            unpacked_chunk_offsets: Vec::new(),
            ..footer.clone()
        };
        assert!(is_integrity(ProvenXorb::from_footer(x.hash, &f)));
        let proven = ProvenXorb::from_footer(x.hash, &footer).unwrap();
        let mut r = read(&x, 1, n);
        let fails = |r: &Read| {
            matches!(
                proven.check(x.hash, r.bytes, r.chunks, &r.table),
                Err(Error::Integrity { .. })
            )
        };
        // A read claiming more chunks than the xorb has, or than it decoded.
        r.chunks.end = n + 1;
        assert!(fails(&r));
        r.chunks.end = n;
        r.table.pop();
        assert!(fails(&r));
        let mut r = read(&x, 1, n);
        // A range that is not the records of its chunks.
        r.bytes.start += 1;
        assert!(fails(&r));
        r.bytes.start -= 1;
        // A chunk that differs from its hash, or from its length.
        r.table[0].0 = other.hash;
        assert!(fails(&r));
        let mut r = read(&x, 1, n);
        r.table[2].2 -= 1;
        assert!(fails(&r));
        assert!(!fails(&read(&x, 1, n)));
    }

    #[test]
    fn footer_length_reads_the_last_four_bytes() {
        assert_eq!(footer_length(&[9, 1, 0, 0, 0]), Some(1));
        assert_eq!(footer_length(&[1, 2, 3]), None);
    }

    #[test]
    fn verify_names() {
        assert_eq!(Verify::from_name("full"), Some(Verify::Full));
        assert_eq!(Verify::from_name("structural"), Some(Verify::Structural));
        assert_eq!(Verify::from_name("Full"), None);
        assert_eq!(Verify::default(), Verify::Full);
    }
}
