//! The download planner and verifier: reconstruction → fetch steps → verified bytes in order,
//! without I/O (xet spec §6.3–6.5, §9).
//!
//! * [`FetchPlan`] turns a V2 (or V1) reconstruction into [`FetchUnit`]s — one HTTP range request
//!   each — and an ordered list of [`Step`]s. Consecutive terms served by the same unit share one
//!   step, so a unit is fetched once per run of terms that need it (a file made of one repeated
//!   chunk is one fetch).
//! * [`decode_unit`] decodes a fetched body (chunk records, §4.1) and hashes every chunk (§3.1).
//! * [`Assembler`] checks every chunk and yields the bytes of each step in file order, trimming
//!   `offset_into_first_range` at the start and everything past the requested length at the end.
//!
//! What is verified, before any byte of a unit is handed out:
//! - every record decodes (valid LZ4 frame, declared lengths), the unit holds exactly the chunks
//!   it claims, and every term's chunks add up to its `unpacked_length`;
//! - every chunk matches the proven hash and length at its index in its xorb. A xorb is proven
//!   by a unit that starts at chunk 0 and whose chunks aggregate to the xorb hash (§3.4), or by
//!   its footer (read by [`super::footer::fetch_proof`] when [`Assembler::needs_footer`] says
//!   so), whose chunk hashes and lengths must aggregate to the xorb hash; with a footer the
//!   unit's byte range must also be exactly its chunks' records. With
//!   [`Verify::Structural`] no footer is read, and units of xorbs nothing proved are only
//!   checked structurally (first point);
//! - for a whole-file read, the file hash (§3.5) recomputed over all chunks must equal the
//!   expected one and the size must match, checked by [`Assembler::finish`].
//!
//! A mismatch is [`Error::Integrity`]; bytes are never "fixed up".

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use xet::reconstruction::{ByteRange, ChunkRange, ReconstructionV1, ReconstructionV2, Term};
use xet::Hash;

use super::footer::{ProvenXorb, Verify};
use crate::cas::Reconstruction;
use crate::error::Error;

/// One HTTP range request: chunk records `chunks` of xorb `xorb`, at bytes `bytes` (inclusive)
/// of `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchUnit {
    /// The xorb.
    pub xorb: Hash,
    /// Presigned URL (fetched without the CAS token), shared by the ranges of one entry.
    pub url: Arc<str>,
    /// Chunk range covered.
    pub chunks: ChunkRange,
    /// Byte range of the records in the stored xorb, end inclusive.
    pub bytes: ByteRange,
}

/// A part of a term served by one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Index of the term in [`FetchPlan::terms`].
    pub term: usize,
    /// Chunk range (xorb indices) inside the unit.
    pub chunks: ChunkRange,
    /// Whether this piece ends its term.
    pub ends_term: bool,
}

/// One fetch and the pieces it serves, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Index in [`FetchPlan::units`].
    pub unit: usize,
    /// Pieces in file order.
    pub pieces: Vec<Piece>,
}

/// How to fetch a file (or a range of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPlan {
    /// Every range request the plan may make.
    pub units: Vec<FetchUnit>,
    /// The terms, in file order.
    pub terms: Vec<Term>,
    /// Fetches in the order their bytes are needed.
    pub steps: Vec<Step>,
    /// Bytes to drop at the start (`offset_into_first_range`).
    pub skip: u64,
    /// Bytes to emit after the skip.
    pub len: u64,
    /// The units by xorb and chunk (see [`UnitIndex`]).
    pub index: UnitIndex,
}

fn bad(message: impl Into<String>) -> Error {
    Error::integrity(message)
}

impl FetchPlan {
    /// Plans a reconstruction answer of either version (see [`FetchPlan::from_v2`]).
    ///
    /// # Errors
    /// As [`FetchPlan::from_v2`].
    pub fn from_reconstruction(r: &Reconstruction, want: Option<u64>) -> Result<FetchPlan, Error> {
        match r {
            Reconstruction::V2(r) => FetchPlan::from_v2(r, want),
            Reconstruction::V1(r) => FetchPlan::from_v1(r, want),
        }
    }

    /// Plans a V2 reconstruction. `want` is the number of bytes asked for (`None`: everything the
    /// terms hold after the skip).
    ///
    /// # Errors
    /// [`Error::Integrity`] when a term is not covered by its xorb's ranges or the answer holds
    /// fewer bytes than asked for.
    pub fn from_v2(r: &ReconstructionV2, want: Option<u64>) -> Result<FetchPlan, Error> {
        let mut units = Vec::new();
        for (xorb, entries) in &r.xorbs {
            for e in entries {
                // One copy of the URL per entry, however many ranges it lists.
                let url: Arc<str> = e.url.as_str().into();
                for range in &e.ranges {
                    units.push(FetchUnit {
                        xorb: *xorb,
                        url: url.clone(),
                        chunks: range.chunks,
                        bytes: range.bytes,
                    });
                }
            }
        }
        FetchPlan::build(units, r.terms.clone(), r.offset_into_first_range, want)
    }

    /// Plans a V1 reconstruction (see [`FetchPlan::from_v2`]).
    ///
    /// # Errors
    /// As [`FetchPlan::from_v2`].
    pub fn from_v1(r: &ReconstructionV1, want: Option<u64>) -> Result<FetchPlan, Error> {
        let mut units = Vec::new();
        for (xorb, infos) in &r.fetch_info {
            for f in infos {
                units.push(FetchUnit {
                    xorb: *xorb,
                    url: f.url.as_str().into(),
                    chunks: f.range,
                    bytes: f.url_range,
                });
            }
        }
        FetchPlan::build(units, r.terms.clone(), r.offset_into_first_range, want)
    }

    fn build(
        units: Vec<FetchUnit>,
        terms: Vec<Term>,
        skip: u64,
        want: Option<u64>,
    ) -> Result<FetchPlan, Error> {
        for (i, u) in units.iter().enumerate() {
            check_unit(u).map_err(|m| bad(format!("fetch range {i} (xorb {}): {m}", u.xorb)))?;
        }
        let mut total = 0u64;
        for (i, t) in terms.iter().enumerate() {
            check_term(t).map_err(|m| bad(format!("term {i} (xorb {}): {m}", t.hash)))?;
            total = total
                .checked_add(t.unpacked_length)
                .ok_or_else(|| bad("reconstruction sizes overflow"))?;
        }
        let available = total.saturating_sub(skip);
        let len = match want {
            Some(w) if w > available => {
                return Err(bad(format!(
                    "reconstruction holds {available} bytes, {w} were asked for"
                )));
            }
            Some(w) => w,
            None => available,
        };
        let index = UnitIndex::new(&units);
        let max_pieces = max_pieces(terms.len(), units.len());
        let mut pieces = 0usize;
        let mut steps: Vec<Step> = Vec::new();
        let mut parts: Vec<(usize, ChunkRange)> = Vec::new();
        for (ti, term) in terms.iter().enumerate() {
            // Chain units: at each point take the unit holding it that reaches furthest (one
            // unit for the whole term in the usual case).
            parts.clear();
            let mut at = term.range.start;
            while at < term.range.end {
                let found = index
                    .covering(&term.hash, at)
                    .and_then(|i| units.get(i).map(|u| (i, u)));
                let Some((i, u)) = found else {
                    return Err(bad(format!(
                        "term {ti} (xorb {}) is not covered by a fetch range",
                        term.hash
                    )));
                };
                pieces += 1;
                if pieces > max_pieces {
                    return Err(bad(format!(
                        "reconstruction splits {} terms over {} fetch ranges into more than \
                         {max_pieces} pieces",
                        terms.len(),
                        units.len()
                    )));
                }
                let end = u.chunks.end.min(term.range.end);
                parts.push((i, ChunkRange { start: at, end }));
                at = end;
            }
            let n = parts.len();
            for (k, &(unit, chunks)) in parts.iter().enumerate() {
                let piece = Piece {
                    term: ti,
                    chunks,
                    ends_term: k + 1 == n,
                };
                match steps.last_mut() {
                    Some(s) if s.unit == unit => s.pieces.push(piece),
                    _ => steps.push(Step {
                        unit,
                        pieces: vec![piece],
                    }),
                }
            }
        }
        Ok(FetchPlan {
            units,
            terms,
            steps,
            skip,
            len,
            index,
        })
    }

    /// A plan of nothing (an empty file).
    pub fn empty() -> FetchPlan {
        FetchPlan {
            units: Vec::new(),
            terms: Vec::new(),
            steps: Vec::new(),
            skip: 0,
            len: 0,
            index: UnitIndex::default(),
        }
    }

    /// The unit of `xorb` that holds chunk `at` and reaches furthest, if any.
    pub fn unit_covering(&self, xorb: &Hash, at: u32) -> Option<&FetchUnit> {
        self.index
            .covering(xorb, at)
            .and_then(|i| self.units.get(i))
    }

    /// A unit of `xorb` (the one starting lowest), if any.
    pub fn any_unit_of(&self, xorb: &Hash) -> Option<&FetchUnit> {
        self.index.first(xorb).and_then(|i| self.units.get(i))
    }

    /// Drops the steps that only serve bytes past the requested length (a range that ends inside
    /// the reconstruction's last term never needs later terms, but the server lists whole chunks).
    pub fn prune(&mut self) {
        let mut remaining = self.skip.saturating_add(self.len);
        let mut keep_terms = 0;
        for t in &self.terms {
            if remaining == 0 {
                break;
            }
            remaining = remaining.saturating_sub(t.unpacked_length);
            keep_terms += 1;
        }
        self.steps.retain_mut(|s| {
            s.pieces.retain(|p| p.term < keep_terms);
            !s.pieces.is_empty()
        });
    }

    /// Replaces each unit's URL with the one a fresh reconstruction lists for the same xorb and
    /// chunks (URLs expire, §6.5: a `403` means "ask again"). Returns how many were renewed.
    pub fn renew_urls(&mut self, fresh: &FetchPlan) -> usize {
        let by_range: HashMap<(Hash, ChunkRange), &FetchUnit> = fresh
            .units
            .iter()
            .map(|f| ((f.xorb, f.chunks), f))
            .collect();
        let mut renewed = 0;
        for u in &mut self.units {
            if let Some(f) = by_range.get(&(u.xorb, u.chunks)) {
                u.url.clone_from(&f.url);
                u.bytes = f.bytes;
                renewed += 1;
            }
        }
        renewed
    }
}

/// Splits `step` (served by `unit`, a range of a xorb whose records `proof` knows from its
/// footer) into several smaller range requests at chunk boundaries, each about `target` bytes of
/// records, so that one large term is fetched over several connections and handed out part by
/// part. Returns the parts in file order, each a unit (chunks and the exact byte range of their
/// records) and the pieces it serves; chunks before the first piece or after the last are not
/// fetched.
///
/// `None` when the step cannot be split this way: its pieces revisit chunks (a repeated term:
/// fetched once, whole, instead), or the proof has no record offsets (it came from a whole read)
/// or does not cover the unit.
pub fn split_step(
    step: &Step,
    unit: &FetchUnit,
    proof: &ProvenXorb,
    target: u64,
) -> Option<Vec<(FetchUnit, Step)>> {
    let ChunkRange { start, end } = unit.chunks;
    // Pieces must move forward through the unit, so that each part is fetched once.
    let mut at = start;
    for p in &step.pieces {
        if p.chunks.start < at || p.chunks.end > end || p.chunks.start >= p.chunks.end {
            return None;
        }
        at = p.chunks.end;
    }
    proof.record_range(start, end)?;
    // Groups of consecutive chunks of about `target` bytes of records, over the chunks the
    // pieces span (a unit can hold more than its step needs).
    let (lo, hi) = match (step.pieces.first(), step.pieces.last()) {
        (Some(a), Some(b)) => (a.chunks.start, b.chunks.end),
        _ => return None,
    };
    let mut groups: Vec<ChunkRange> = Vec::new();
    let mut first = lo;
    for c in lo..hi {
        let size = proof.record_range(first, c + 1)?.len();
        if size >= target || c + 1 == hi {
            groups.push(ChunkRange {
                start: first,
                end: c + 1,
            });
            first = c + 1;
        }
    }
    let mut parts: Vec<(FetchUnit, Step)> = Vec::new();
    let mut g = 0usize;
    for p in &step.pieces {
        let mut from = p.chunks.start;
        while from < p.chunks.end {
            while groups.get(g).is_some_and(|r| r.end <= from) {
                g += 1;
            }
            let group = *groups.get(g)?;
            let to = group.end.min(p.chunks.end);
            let piece = Piece {
                term: p.term,
                chunks: ChunkRange {
                    start: from,
                    end: to,
                },
                ends_term: p.ends_term && to == p.chunks.end,
            };
            match parts.last_mut() {
                Some((u, s)) if u.chunks == group => s.pieces.push(piece),
                _ => parts.push((
                    FetchUnit {
                        xorb: unit.xorb,
                        url: unit.url.clone(),
                        chunks: group,
                        bytes: proof.record_range(group.start, group.end)?,
                    },
                    Step {
                        unit: step.unit,
                        pieces: vec![piece],
                    },
                )),
            }
            from = to;
        }
    }
    // The record offsets come from the footer, which the xorb hash does not cover: hold the
    // parts to the protocol's limits like any range from the server (a lie about them fails
    // the chunk checks later; it must not make a huge allocation first).
    if parts.iter().any(|(u, _)| check_unit(u).is_err()) {
        return None;
    }
    Some(parts)
}

/// Most pieces a plan may hold: `PIECES_PER_ENTRY` per term and per fetch range, plus some slack.
/// A term is normally served by one range; one that spans several ranges adds a piece per range
/// it crosses, so an honest answer stays far below this, while a forged one (many terms each
/// chained across many tiny ranges) would otherwise make planning terms × ranges.
fn max_pieces(terms: usize, units: usize) -> usize {
    terms
        .saturating_add(units)
        .saturating_mul(PIECES_PER_ENTRY)
        .saturating_add(PIECES_SLACK)
}

/// See [`max_pieces`].
const PIECES_PER_ENTRY: usize = 4;
/// See [`max_pieces`].
const PIECES_SLACK: usize = 1 << 16;

/// Most chunks a stored xorb can hold: every record takes its header and at least one byte.
const MAX_CHUNK_INDEX: u64 = crate::cas::MAX_STORED_XORB / (xet::xorb::CHUNK_HEADER_LEN as u64 + 1);

/// Checks the sizes of a fetch range read from the server against the protocol's limits (xet
/// spec §4): a non-empty chunk range inside one xorb, a byte range inside one stored xorb and
/// between the smallest and largest size its records can take. Nothing is allocated from a
/// range before it passes.
fn check_unit(u: &FetchUnit) -> Result<(), String> {
    let ChunkRange { start, end } = u.chunks;
    if start >= end || u64::from(end) > MAX_CHUNK_INDEX {
        return Err(format!("bad chunk range {start}..{end}"));
    }
    let ByteRange { start: lo, end: hi } = u.bytes;
    if lo > hi || hi >= crate::cas::MAX_STORED_XORB {
        return Err(format!("bad byte range {lo}..={hi}"));
    }
    let count = u64::from(end - start);
    let header = xet::xorb::CHUNK_HEADER_LEN as u64;
    let record_max = header + xet::xorb::MAX_COMPRESSED_CHUNK_LEN as u64;
    let len = u.bytes.len();
    if len < count * header || len > count * record_max {
        return Err(format!(
            "{len} bytes cannot hold the records of {count} chunks"
        ));
    }
    Ok(())
}

/// Checks a term read from the server: a non-empty chunk range inside one xorb, and an
/// `unpacked_length` those chunks can have (at least a byte, at most the largest chunk each).
fn check_term(t: &Term) -> Result<(), String> {
    let ChunkRange { start, end } = t.range;
    if start >= end || u64::from(end) > MAX_CHUNK_INDEX {
        return Err(format!("bad chunk range {start}..{end}"));
    }
    let count = u64::from(end - start);
    let most = count * xet::chunker::MAX_CHUNK_SIZE as u64;
    if t.unpacked_length < count || t.unpacked_length > most {
        return Err(format!(
            "{count} chunks cannot hold {} bytes",
            t.unpacked_length
        ));
    }
    Ok(())
}

/// The units of each xorb sorted by first chunk, each entry with the unit that reaches
/// furthest among it and those before: the unit holding a chunk that reaches furthest is one
/// binary search away, so planning is O((terms + ranges) log ranges) whatever the answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitIndex {
    /// Per xorb: `(first chunk, furthest-reaching unit so far, its end chunk)`, by first chunk.
    by_xorb: HashMap<Hash, Vec<(u32, usize, u32)>>,
}

impl UnitIndex {
    /// Indexes `units` (each with a non-empty chunk range).
    pub fn new(units: &[FetchUnit]) -> UnitIndex {
        let mut lists: HashMap<Hash, Vec<usize>> = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            lists.entry(u.xorb).or_default().push(i);
        }
        let by_xorb = lists
            .into_iter()
            .map(|(xorb, mut list)| {
                let key = |i: &usize| {
                    units
                        .get(*i)
                        .map(|u| (u.chunks.start, u32::MAX - u.chunks.end))
                };
                list.sort_by_key(key);
                let mut best: Option<(usize, u32)> = None;
                let entries = list
                    .into_iter()
                    .filter_map(|i| {
                        let u = units.get(i)?;
                        if best.is_none_or(|(_, end)| u.chunks.end > end) {
                            best = Some((i, u.chunks.end));
                        }
                        best.map(|(b, end)| (u.chunks.start, b, end))
                    })
                    .collect();
                (xorb, entries)
            })
            .collect();
        UnitIndex { by_xorb }
    }

    /// The unit of `xorb` holding chunk `at` that reaches furthest.
    pub fn covering(&self, xorb: &Hash, at: u32) -> Option<usize> {
        let list = self.by_xorb.get(xorb)?;
        let k = list.partition_point(|&(start, _, _)| start <= at);
        let &(_, unit, end) = list.get(k.checked_sub(1)?)?;
        (at < end).then_some(unit)
    }

    /// The first unit of `xorb` (lowest first chunk).
    pub fn first(&self, xorb: &Hash) -> Option<usize> {
        self.by_xorb.get(xorb)?.first().map(|&(_, unit, _)| unit)
    }
}

/// A fetched unit, decoded: the chunks' bytes back to back, and per chunk its hash and length.
#[derive(Debug, Clone)]
pub struct DecodedUnit {
    /// The unit's chunk range.
    pub chunks: ChunkRange,
    /// Uncompressed chunk bytes.
    pub data: Bytes,
    /// `(hash, offset in data, length)` per chunk.
    pub table: Vec<(Hash, usize, usize)>,
}

impl DecodedUnit {
    /// Total uncompressed bytes.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the unit holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Decodes the fetched body of `unit`: exactly `unit.chunks.end − unit.chunks.start` chunk
/// records and nothing else, each hashed.
///
/// # Errors
/// [`Error::Integrity`] for a malformed record, a wrong count, or trailing bytes.
pub fn decode_unit(unit: &FetchUnit, body: &[u8]) -> Result<DecodedUnit, Error> {
    let expected = unit.chunks.end.saturating_sub(unit.chunks.start) as usize;
    // The counts come from the server: only the body bounds an allocation (every record takes
    // at least its header), so a forged count is an error below, never a huge reservation.
    let records_at_most = body.len() / xet::xorb::CHUNK_HEADER_LEN + 1;
    // Room for the chunks at their target size, or for the body itself (stored chunks, as
    // incompressible data is, decode to a little less than their records): one allocation for
    // the usual unit instead of growing (and copying) it as chunks are appended.
    let mut data = Vec::with_capacity(
        expected
            .saturating_mul(xet::chunker::TARGET_CHUNK_SIZE)
            .max(body.len())
            .min(body.len().saturating_mul(4).saturating_add(64)),
    );
    let mut table = Vec::with_capacity(expected.min(records_at_most));
    let mut records = xet::xorb::chunk_records(body);
    for record in records.by_ref() {
        let record = record.map_err(|e| {
            bad(format!(
                "xorb {} chunk {}: {e}",
                unit.xorb,
                unit.chunks.start as usize + table.len()
            ))
        })?;
        if table.len() == expected {
            return Err(bad(format!(
                "xorb {}: more chunk records than the {expected} requested",
                unit.xorb
            )));
        }
        let start = data.len();
        record.decompress_into(&mut data).map_err(|e| {
            bad(format!(
                "xorb {} chunk {}: {e}",
                unit.xorb,
                unit.chunks.start as usize + table.len()
            ))
        })?;
        let len = data.len() - start;
        let hash = data.get(start..).map(xet::chunk_hash).unwrap_or(Hash::ZERO);
        table.push((hash, start, len));
    }
    if table.len() != expected || records.position() != body.len() {
        return Err(bad(format!(
            "xorb {}: expected {expected} chunk records in {} bytes, decoded {} ending at byte {}",
            unit.xorb,
            body.len(),
            table.len(),
            records.position()
        )));
    }
    Ok(DecodedUnit {
        chunks: unit.chunks,
        data: Bytes::from(data),
        table,
    })
}

/// Expected file hash and size, and the `(chunk hash, length)` of every chunk seen.
type WholeFile = (Hash, u64, Vec<(Hash, u64)>);

/// Checks decoded units and yields the bytes of a plan in order. See the module docs.
#[derive(Debug)]
pub struct Assembler {
    /// Proven chunk hashes of the xorbs seen so far.
    proven: HashMap<Hash, ProvenXorb>,
    verify: Verify,
    /// For a whole-file read: the expected file hash and size, and the chunks seen.
    file: Option<WholeFile>,
    terms: Vec<Term>,
    /// Bytes of the current term seen so far.
    term_bytes: u64,
    /// Bytes still to drop at the start, and still to emit.
    skip: u64,
    remaining: u64,
    /// Uncompressed bytes checked against proven chunk hashes (so far).
    pub proven_bytes: u64,
    /// Uncompressed bytes only checked structurally (so far; only with [`Verify::Structural`]).
    pub structural_bytes: u64,
}

impl Assembler {
    /// An assembler for `plan`. `whole_file` = `Some((file hash, size))` when the plan covers the
    /// whole file, which turns on the final file-hash check.
    pub fn new(plan: &FetchPlan, whole_file: Option<(Hash, u64)>, verify: Verify) -> Assembler {
        Assembler {
            proven: HashMap::new(),
            verify,
            file: whole_file.map(|(h, s)| (h, s, Vec::new())),
            terms: plan.terms.clone(),
            term_bytes: 0,
            skip: plan.skip,
            remaining: plan.len,
            proven_bytes: 0,
            structural_bytes: 0,
        }
    }

    /// Bytes still to be emitted.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Whether `unit` (of `xorb`) still needs its xorb's footer before [`Assembler::take`]
    /// accepts it: with [`Verify::Full`], when the xorb is not proven yet and the unit does not
    /// prove it by itself (a unit holding the whole xorb is recorded as its proof here).
    pub fn needs_footer(&mut self, xorb: Hash, unit: &DecodedUnit) -> bool {
        if self.proven.contains_key(&xorb) {
            return false;
        }
        if let Some(proof) = ProvenXorb::from_chunks(xorb, unit.chunks, &unit.table) {
            self.proven.insert(xorb, proof);
            return false;
        }
        self.verify == Verify::Full
    }

    /// The proof of `xorb` known so far, if any.
    pub fn proof(&self, xorb: &Hash) -> Option<&ProvenXorb> {
        self.proven.get(xorb)
    }

    /// Records the proof of `xorb` read from its footer ([`super::footer::fetch_proof`]).
    pub fn add_proof(&mut self, xorb: Hash, proof: ProvenXorb) {
        self.proven.insert(xorb, proof);
    }

    /// Checks `unit` (decoded from `fetch`, which is `plan.units[step.unit]`) and returns the
    /// bytes of `step`'s pieces, trimmed, in order (slices of the unit's data, no copy).
    ///
    /// # Errors
    /// [`Error::Integrity`] on any mismatch, and with [`Verify::Full`] for a unit whose xorb is
    /// not proven (see [`Assembler::needs_footer`]).
    pub fn take(
        &mut self,
        fetch: &FetchUnit,
        step: &Step,
        unit: &DecodedUnit,
    ) -> Result<Vec<Bytes>, Error> {
        self.check_unit(fetch, unit)?;
        let mut out = Vec::new();
        for piece in &step.pieces {
            if piece.chunks.start < unit.chunks.start || piece.chunks.end > unit.chunks.end {
                return Err(bad("piece outside its unit"));
            }
            let first = (piece.chunks.start - unit.chunks.start) as usize;
            let last = (piece.chunks.end - unit.chunks.start) as usize;
            let rows = unit.table.get(first..last).unwrap_or_default();
            let (Some(&(_, begin, _)), Some(&(_, end_start, end_len))) =
                (rows.first(), rows.last())
            else {
                return Err(bad("piece without chunks"));
            };
            let end = end_start + end_len;
            if let Some((_, _, seen)) = self.file.as_mut() {
                seen.extend(rows.iter().map(|&(h, _, l)| (h, l as u64)));
            }
            let bytes = (end - begin) as u64;
            self.term_bytes += bytes;
            if piece.ends_term {
                let Some(term) = self.terms.get(piece.term) else {
                    return Err(bad("piece of an unknown term"));
                };
                if self.term_bytes != term.unpacked_length {
                    return Err(bad(format!(
                        "term {} (xorb {}) decoded to {} bytes, the reconstruction says {}",
                        piece.term, term.hash, self.term_bytes, term.unpacked_length
                    )));
                }
                self.term_bytes = 0;
            }
            // Trim.
            let mut lo = begin as u64;
            let hi = end as u64;
            let drop = self.skip.min(hi - lo);
            lo += drop;
            self.skip -= drop;
            let take = self.remaining.min(hi - lo);
            if take > 0 {
                out.push(unit.data.slice(lo as usize..(lo + take) as usize));
                self.remaining -= take;
            }
        }
        Ok(out)
    }

    fn check_unit(&mut self, fetch: &FetchUnit, unit: &DecodedUnit) -> Result<(), Error> {
        let xorb = fetch.xorb;
        if unit.chunks != fetch.chunks {
            return Err(bad("decoded unit does not match its fetch"));
        }
        // A unit holding the whole xorb proves it (a no-op when it is proven already).
        self.needs_footer(xorb, unit);
        if let Some(known) = self.proven.get(&xorb) {
            known.check(xorb, fetch.bytes, unit.chunks, &unit.table)?;
            self.proven_bytes += unit.data.len() as u64;
            return Ok(());
        }
        match self.verify {
            Verify::Structural => {
                self.structural_bytes += unit.data.len() as u64;
                Ok(())
            }
            Verify::Full => Err(bad(format!(
                "chunks {}..{} of xorb {xorb} are not proven: its footer was not read",
                unit.chunks.start, unit.chunks.end
            ))),
        }
    }

    /// Ends the read: for a whole file, recomputes the file hash and size.
    ///
    /// # Errors
    /// [`Error::Integrity`] when bytes are missing or the file hash differs.
    pub fn finish(self) -> Result<(), Error> {
        if self.remaining != 0 {
            return Err(bad(format!(
                "{} bytes missing at the end of the read",
                self.remaining
            )));
        }
        if let Some((expected, size, seen)) = self.file {
            let actual_size: u64 = seen.iter().map(|(_, l)| l).sum();
            if actual_size != size {
                return Err(bad(format!(
                    "file has {actual_size} bytes, expected {size}"
                )));
            }
            let actual = xet::file_hash(&seen);
            if actual != expected {
                return Err(bad(format!(
                    "file hash {actual} does not match the expected {expected}"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cas::mock::random_bytes;
    use xet::reconstruction::{FetchRangeV2, XorbFetchV2};
    use xet::xorb::{CompressionPolicy, CompressionScheme, SerializedXorb, XorbBuilder};

    /// A file stored as several xorbs, with helpers to answer reconstructions like a CAS.
    struct Stored {
        data: Vec<u8>,
        xorbs: Vec<SerializedXorb>,
        /// (xorb index, first chunk, end chunk, first byte offset in file) per xorb.
        file_hash: Hash,
    }

    fn store(data: Vec<u8>, chunks_per_xorb: usize, policy: CompressionPolicy) -> Stored {
        let chunks = xet::chunk_all(&data);
        let leaves: Vec<(Hash, u64)> = chunks.iter().map(|c| (c.hash, u64::from(c.len))).collect();
        let mut xorbs = Vec::new();
        for group in chunks.chunks(chunks_per_xorb) {
            let mut b = XorbBuilder::new(policy);
            for c in group {
                b.add_chunk(
                    c.hash,
                    &data[c.offset as usize..(c.offset + u64::from(c.len)) as usize],
                )
                .unwrap();
            }
            let x = b.finish();
            STORE.with(|s| s.borrow_mut().insert(x.hash, x.clone()));
            xorbs.push(x);
        }
        Stored {
            data,
            xorbs,
            file_hash: xet::file_hash(&leaves),
        }
    }

    fn record_start(x: &SerializedXorb, chunk: u32) -> u64 {
        if chunk == 0 {
            0
        } else {
            u64::from(x.chunks[chunk as usize - 1].record_end)
        }
    }

    impl Stored {
        /// A V2 answer for bytes [start, end) (None: whole file), one range per term.
        fn v2(&self, range: Option<(u64, u64)>) -> ReconstructionV2 {
            let (start, end) = range.unwrap_or((0, self.data.len() as u64));
            let mut terms = Vec::new();
            let mut xorbs: std::collections::BTreeMap<Hash, Vec<XorbFetchV2>> = Default::default();
            let mut offset = 0u64;
            let mut skip = 0;
            for x in &self.xorbs {
                let mut first = None;
                let mut last = 0;
                let mut bytes = 0;
                for (i, c) in x.chunks.iter().enumerate() {
                    let (lo, hi) = (offset, offset + u64::from(c.len));
                    offset = hi;
                    if hi > start && lo < end {
                        if first.is_none() && terms.is_empty() {
                            skip = start - lo;
                        }
                        first.get_or_insert(i as u32);
                        last = i as u32 + 1;
                        bytes += u64::from(c.len);
                    }
                }
                if let Some(first) = first {
                    terms.push(Term {
                        hash: x.hash,
                        unpacked_length: bytes,
                        range: ChunkRange {
                            start: first,
                            end: last,
                        },
                    });
                    let b = ByteRange {
                        start: record_start(x, first),
                        end: u64::from(x.chunks[last as usize - 1].record_end) - 1,
                    };
                    xorbs.entry(x.hash).or_default().push(XorbFetchV2 {
                        url: format!("http://cas/fetch/{}", x.hash),
                        ranges: vec![FetchRangeV2 {
                            chunks: ChunkRange {
                                start: first,
                                end: last,
                            },
                            bytes: b,
                        }],
                    });
                }
            }
            ReconstructionV2 {
                offset_into_first_range: skip,
                terms,
                xorbs,
            }
        }

        fn body(&self, unit: &FetchUnit) -> Vec<u8> {
            let x = self.xorbs.iter().find(|x| x.hash == unit.xorb).unwrap();
            x.data[unit.bytes.start as usize..=unit.bytes.end as usize].to_vec()
        }
    }

    /// Runs a plan against `body_of` with full verification (footers from the stored xorbs),
    /// returning the bytes or the first error.
    fn run(
        plan: &FetchPlan,
        whole: Option<(Hash, u64)>,
        body_of: impl Fn(&FetchUnit) -> Vec<u8>,
    ) -> Result<Vec<u8>, Error> {
        run_with(plan, whole, Verify::Full, body_of, |x| {
            ProvenXorb::from_footer(x.hash, &x.footer())
        })
    }

    /// Runs a plan, reading each needed footer with `footer_of`.
    fn run_with(
        plan: &FetchPlan,
        whole: Option<(Hash, u64)>,
        verify: Verify,
        body_of: impl Fn(&FetchUnit) -> Vec<u8>,
        footer_of: impl Fn(&SerializedXorb) -> Result<ProvenXorb, Error>,
    ) -> Result<Vec<u8>, Error> {
        let mut asm = Assembler::new(plan, whole, verify);
        let mut out = Vec::new();
        for step in &plan.steps {
            let unit = &plan.units[step.unit];
            let decoded = decode_unit(unit, &body_of(unit))?;
            if asm.needs_footer(unit.xorb, &decoded) {
                let x = STORE.with(|s| s.borrow().get(&unit.xorb).cloned());
                let x = x.ok_or_else(|| Error::integrity("no such xorb"))?;
                asm.add_proof(unit.xorb, footer_of(&x)?);
            }
            for b in asm.take(unit, step, &decoded)? {
                out.extend_from_slice(&b);
            }
        }
        asm.finish()?;
        Ok(out)
    }

    thread_local! {
        /// Every xorb stored by [`store`] in this test thread, for footer reads.
        static STORE: std::cell::RefCell<HashMap<Hash, SerializedXorb>> = Default::default();
    }

    #[test]
    fn whole_file_is_verified_and_exact() {
        for policy in [
            CompressionPolicy::Auto,
            CompressionPolicy::Fixed(CompressionScheme::None),
        ] {
            let s = store(random_bytes(1, 3 << 20), 20, policy);
            let plan = FetchPlan::from_v2(&s.v2(None), None).unwrap();
            assert_eq!(plan.steps.len(), s.xorbs.len());
            let whole = Some((s.file_hash, s.data.len() as u64));
            let mut asm = Assembler::new(&plan, whole, Verify::Full);
            let mut out = Vec::new();
            for step in &plan.steps {
                let unit = &plan.units[step.unit];
                let d = decode_unit(unit, &s.body(unit)).unwrap();
                assert!(
                    !asm.needs_footer(unit.xorb, &d),
                    "a whole xorb proves itself"
                );
                out.extend(
                    asm.take(unit, step, &d)
                        .unwrap()
                        .iter()
                        .flat_map(|b| b.to_vec()),
                );
            }
            assert_eq!(
                asm.proven_bytes,
                s.data.len() as u64,
                "every xorb fetched whole is proven"
            );
            asm.finish().unwrap();
            assert_eq!(out, s.data);
        }
    }

    #[test]
    fn ranges_at_chunk_xorb_and_file_edges() {
        let s = store(random_bytes(2, 2 << 20), 8, CompressionPolicy::Auto);
        let chunks = xet::chunk_all(&s.data);
        let n = s.data.len() as u64;
        let c5 = chunks[5].offset;
        let x1 = chunks[8].offset; // first byte of the second xorb
        let cases = [
            (0, 1),
            (0, n),
            (n - 1, n),
            (c5, c5 + 1),
            (c5 - 1, c5 + 1),
            (c5, chunks[6].offset),
            (x1 - 1, x1 + 1),
            (x1, x1 + 100_000),
            (12_345, n - 7),
            (x1, n),
        ];
        for (start, end) in cases {
            let mut plan =
                FetchPlan::from_v2(&s.v2(Some((start, end))), Some(end - start)).unwrap();
            plan.prune();
            let got = run(&plan, None, |u| s.body(u)).unwrap();
            assert_eq!(
                got,
                s.data[start as usize..end as usize],
                "range {start}..{end}"
            );
        }
    }

    #[test]
    fn a_flipped_byte_is_an_integrity_error() {
        for policy in [
            CompressionPolicy::Auto,
            CompressionPolicy::Fixed(CompressionScheme::None),
        ] {
            let s = store(random_bytes(3, 1 << 20), 1000, policy);
            let plan = FetchPlan::from_v2(&s.v2(None), None).unwrap();
            let whole = Some((s.file_hash, s.data.len() as u64));
            for at in [0usize, 8, 9, 1000, 500_000, s.xorbs[0].data.len() - 1] {
                let r = run(&plan, whole, |u| {
                    let mut b = s.body(u);
                    b[at] ^= 0x01;
                    b
                });
                assert!(
                    matches!(r, Err(Error::Integrity { .. })),
                    "{policy:?} byte {at}: {r:?}"
                );
            }
        }
    }

    #[test]
    fn a_flipped_byte_in_a_range_is_an_integrity_error() {
        // Scheme None: a flipped payload byte still decodes, so only the footer's chunk hashes
        // can catch it.
        let s = store(
            random_bytes(9, 2 << 20),
            8,
            CompressionPolicy::Fixed(CompressionScheme::None),
        );
        let chunks = xet::chunk_all(&s.data);
        let n = s.data.len() as u64;
        let (c5, c6, x1) = (chunks[5].offset, chunks[6].offset, chunks[8].offset);
        let cases = [
            (c5, c5 + 1),     // inside one chunk
            (c5 - 1, c5 + 1), // across a chunk edge
            (c5, c6),         // exactly one chunk
            (x1 - 1, x1 + 1), // across a xorb edge
            (n - 1, n),       // the file's last byte
            (1, n),           // every xorb fetched whole
        ];
        for (start, end) in cases {
            let mut plan =
                FetchPlan::from_v2(&s.v2(Some((start, end))), Some(end - start)).unwrap();
            plan.prune();
            for (k, step) in plan.steps.iter().enumerate() {
                let target = &plan.units[step.unit];
                let len = target.bytes.len() as usize;
                for at in [8, len / 2, len - 1] {
                    let flip = |u: &FetchUnit| {
                        let mut b = s.body(u);
                        if u == target {
                            b[at] ^= 0x10;
                        }
                        b
                    };
                    let r = run(&plan, None, flip);
                    assert!(
                        matches!(r, Err(Error::Integrity { .. })),
                        "range {start}..{end} step {k} byte {at}: {r:?}"
                    );
                }
            }
            // The structural opt-out reads no footer and misses a flipped payload byte of a
            // partial xorb read (here: the first byte handed out).
            let first = plan.steps.first();
            let partial = first.filter(|st| plan.units[st.unit].chunks.start > 0);
            if let Some(step) = partial {
                let target = plan.units[step.unit].clone();
                let at = 8 + plan.skip as usize;
                let r = run_with(
                    &plan,
                    None,
                    Verify::Structural,
                    |u| {
                        let mut b = s.body(u);
                        if *u == target {
                            b[at] ^= 0x10;
                        }
                        b
                    },
                    |_| panic!("no footer is read in structural mode"),
                );
                let got = r.unwrap();
                assert_ne!(got, s.data[start as usize..end as usize]);
            }
        }
    }

    #[test]
    fn a_refused_or_foreign_footer_fails_a_partial_read() {
        let s = store(random_bytes(10, 1 << 20), 1000, CompressionPolicy::Auto);
        let chunks = xet::chunk_all(&s.data);
        let (start, end) = (chunks[2].offset + 5, chunks[3].offset + 5);
        let mut plan = FetchPlan::from_v2(&s.v2(Some((start, end))), Some(end - start)).unwrap();
        plan.prune();
        let refused = run_with(
            &plan,
            None,
            Verify::Full,
            |u| s.body(u),
            |_| Err(Error::integrity("the server refused the footer range")),
        );
        assert!(
            matches!(refused, Err(Error::Integrity { .. })),
            "{refused:?}"
        );
        let other = store(random_bytes(11, 300_000), 1000, CompressionPolicy::Auto);
        let foreign = run_with(
            &plan,
            None,
            Verify::Full,
            |u| s.body(u),
            |x| ProvenXorb::from_footer(x.hash, &other.xorbs[0].footer()),
        );
        assert!(
            matches!(foreign, Err(Error::Integrity { .. })),
            "{foreign:?}"
        );
        // Without a proof, take() itself refuses the unit.
        let step = &plan.steps[0];
        let unit = &plan.units[step.unit];
        let d = decode_unit(unit, &s.body(unit)).unwrap();
        let mut asm = Assembler::new(&plan, None, Verify::Full);
        assert!(matches!(
            asm.take(unit, step, &d),
            Err(Error::Integrity { .. })
        ));
        // The structural opt-out reads the same bytes without a footer.
        let ok = run_with(
            &plan,
            None,
            Verify::Structural,
            |u| s.body(u),
            |_| panic!("no footer is read in structural mode"),
        );
        assert_eq!(ok.unwrap(), s.data[start as usize..end as usize]);
    }

    #[test]
    fn proven_xorbs_check_later_partial_reads() {
        // The file reads the same xorb twice: a whole read proves it, then a partial read of
        // corrupted bytes is caught even though a partial range alone cannot be verified.
        let s = store(
            random_bytes(4, 600_000),
            1000,
            CompressionPolicy::Fixed(CompressionScheme::None),
        );
        let x = &s.xorbs[0];
        let n = x.chunks.len() as u32;
        let full = FetchRangeV2 {
            chunks: ChunkRange { start: 0, end: n },
            bytes: ByteRange {
                start: 0,
                end: x.data.len() as u64 - 1,
            },
        };
        let part = FetchRangeV2 {
            chunks: ChunkRange { start: 1, end: 2 },
            bytes: ByteRange {
                start: record_start(x, 1),
                end: record_start(x, 2) - 1,
            },
        };
        let t_full = Term {
            hash: x.hash,
            unpacked_length: 600_000,
            range: full.chunks,
        };
        let t_part = Term {
            hash: x.hash,
            unpacked_length: u64::from(x.chunks[1].len),
            range: part.chunks,
        };
        let r = ReconstructionV2 {
            offset_into_first_range: 0,
            terms: vec![t_full, t_part],
            xorbs: [(
                x.hash,
                vec![
                    XorbFetchV2 {
                        url: "u".into(),
                        ranges: vec![full],
                    },
                    XorbFetchV2 {
                        url: "v".into(),
                        ranges: vec![part],
                    },
                ],
            )]
            .into(),
        };
        // The planner serves the second term from the first unit (one fetch)...
        let mut plan = FetchPlan::from_v2(&r, None).unwrap();
        assert_eq!(plan.steps.len(), 1);
        // ...force a second fetch from the partial range instead.
        let part_unit = plan.units.iter().position(|u| &*u.url == "v").unwrap();
        let second = plan.steps[0].pieces.pop().unwrap();
        plan.steps.push(Step {
            unit: part_unit,
            pieces: vec![second],
        });
        let ok = run(&plan, None, |u| s.body(u)).unwrap();
        assert_eq!(ok.len() as u64, 600_000 + u64::from(x.chunks[1].len));
        let bad = run(&plan, None, |u| {
            let mut b = s.body(u);
            if &*u.url == "v" {
                b[20] ^= 1;
            }
            b
        });
        assert!(matches!(bad, Err(Error::Integrity { .. })), "{bad:?}");
    }

    #[test]
    fn repeated_terms_share_one_fetch_and_split_terms_chain_units() {
        let s = store(random_bytes(5, 400_000), 1000, CompressionPolicy::Auto);
        let x = &s.xorbs[0];
        let n = x.chunks.len() as u32;
        assert!(n >= 3);
        let one = Term {
            hash: x.hash,
            unpacked_length: u64::from(x.chunks[0].len),
            range: ChunkRange { start: 0, end: 1 },
        };
        let unit0 = FetchRangeV2 {
            chunks: ChunkRange { start: 0, end: 1 },
            bytes: ByteRange {
                start: 0,
                end: record_start(x, 1) - 1,
            },
        };
        let rest = FetchRangeV2 {
            chunks: ChunkRange { start: 1, end: n },
            bytes: ByteRange {
                start: record_start(x, 1),
                end: x.data.len() as u64 - 1,
            },
        };
        let r = ReconstructionV2 {
            offset_into_first_range: 0,
            terms: vec![
                one,
                one,
                one,
                Term {
                    hash: x.hash,
                    unpacked_length: 400_000,
                    range: ChunkRange { start: 0, end: n },
                },
            ],
            xorbs: [(
                x.hash,
                vec![XorbFetchV2 {
                    url: "u".into(),
                    ranges: vec![unit0, rest],
                }],
            )]
            .into(),
        };
        let plan = FetchPlan::from_v2(&r, None).unwrap();
        // Three repeats + the first piece of the last term share unit 0; then unit 1.
        assert_eq!(plan.steps.len(), 2);
        assert_eq!(plan.steps[0].pieces.len(), 4);
        let got = run(&plan, None, |u| s.body(u)).unwrap();
        let c0 = &s.data[..x.chunks[0].len as usize];
        assert_eq!(got, [c0, c0, c0, &s.data].concat());
    }

    #[test]
    fn malformed_answers_are_rejected() {
        let s = store(random_bytes(6, 300_000), 1000, CompressionPolicy::Auto);
        let mut r = s.v2(None);
        // A term whose xorb has no fetch range.
        r.xorbs.clear();
        assert!(matches!(
            FetchPlan::from_v2(&r, None),
            Err(Error::Integrity { .. })
        ));
        // Asking for more than the answer holds.
        assert!(FetchPlan::from_v2(&s.v2(None), Some(300_001)).is_err());
        // A wrong unpacked_length.
        let mut r = s.v2(None);
        r.terms[0].unpacked_length += 1;
        let plan = FetchPlan::from_v2(&r, Some(300_000)).unwrap();
        assert!(matches!(
            run(&plan, None, |u| s.body(u)),
            Err(Error::Integrity { .. })
        ));
        // Too few or too many records in a body.
        let plan = FetchPlan::from_v2(&s.v2(None), None).unwrap();
        let unit = &plan.units[0];
        let body = s.body(unit);
        let cut = record_start(&s.xorbs[0], 1) as usize;
        assert!(decode_unit(unit, &body[..cut]).is_err());
        assert!(decode_unit(unit, &[body.as_slice(), &body[..cut]].concat()).is_err());
        assert!(decode_unit(unit, &body[..body.len() - 1]).is_err());
        assert!(decode_unit(unit, b"").is_err());
        // A forged chunk count (billions of chunks for one body) or a reversed range is an
        // integrity error, not an allocation of what the count says.
        for chunks in [
            ChunkRange {
                start: 0,
                end: u32::MAX,
            },
            ChunkRange { start: 7, end: 3 },
        ] {
            let forged = FetchUnit {
                chunks,
                ..unit.clone()
            };
            assert!(matches!(
                decode_unit(&forged, &body),
                Err(Error::Integrity { .. })
            ));
        }
    }

    #[test]
    fn v1_answers_plan_the_same_way() {
        let s = store(random_bytes(7, 1 << 20), 6, CompressionPolicy::Auto);
        let v2 = s.v2(Some((1000, 900_000)));
        let v1 = crate::cas::mock::v1_of(&v2);
        let mut plan = FetchPlan::from_v1(&v1, Some(899_000)).unwrap();
        plan.prune();
        assert_eq!(
            run(&plan, None, |u| s.body(u)).unwrap(),
            s.data[1000..900_000]
        );
    }

    /// A V2 answer for one forged xorb: `units` one-chunk ranges `[i, i + 1)` (100 bytes of
    /// records each, all under one URL) and one term per entry of `terms` (a chunk range).
    fn forged(units: u32, terms: impl Iterator<Item = (u32, u32)>) -> ReconstructionV2 {
        let hash = xet::chunk_hash(b"forged");
        let ranges = (0..units)
            .map(|i| FetchRangeV2 {
                chunks: ChunkRange {
                    start: i,
                    end: i + 1,
                },
                bytes: ByteRange {
                    start: u64::from(i) * 100,
                    end: u64::from(i) * 100 + 99,
                },
            })
            .collect();
        ReconstructionV2 {
            offset_into_first_range: 0,
            terms: terms
                .map(|(start, end)| Term {
                    hash,
                    unpacked_length: u64::from(end - start) * 1000,
                    range: ChunkRange { start, end },
                })
                .collect(),
            xorbs: [(
                hash,
                vec![XorbFetchV2 {
                    url: "http://cas/x".into(),
                    ranges,
                }],
            )]
            .into(),
        }
    }

    #[test]
    fn planning_is_linear_in_terms_and_ranges() {
        // 200,000 one-chunk ranges and 200,000 terms, each served by a range near the end of
        // the list: a planner that scans the ranges of a xorb per term does 4e10 steps (hours);
        // this one takes well under a second in a release build.
        let n = 200_000;
        let r = forged(n, (0..n).map(|i| (n - 1 - i % 7, n - i % 7)));
        let started = std::time::Instant::now();
        let plan = FetchPlan::from_v2(&r, None).unwrap();
        let elapsed = started.elapsed();
        assert_eq!(plan.terms.len(), n as usize);
        assert_eq!(
            plan.steps.iter().map(|s| s.pieces.len()).sum::<usize>(),
            n as usize
        );
        assert!(
            elapsed < std::time::Duration::from_secs(20),
            "planning took {elapsed:?}"
        );
        // Renewing every URL is linear too.
        let mut renewed = plan.clone();
        let started = std::time::Instant::now();
        assert_eq!(renewed.renew_urls(&plan), n as usize);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        // The index finds the unit holding a chunk, and none past the last.
        let hash = plan.units[0].xorb;
        assert_eq!(
            plan.unit_covering(&hash, 12_345).unwrap().chunks.start,
            12_345
        );
        assert!(plan.unit_covering(&hash, n).is_none());
        assert_eq!(plan.any_unit_of(&hash).unwrap().chunks.start, 0);
    }

    #[test]
    fn terms_chained_over_many_ranges_are_refused_not_multiplied() {
        // 100,000 terms, each spanning the same 8,000 one-chunk ranges: 8e8 pieces if planned.
        let r = forged(8_000, (0..100_000).map(|_| (0, 8_000)));
        let started = std::time::Instant::now();
        let e = FetchPlan::from_v2(&r, None).unwrap_err();
        assert!(matches!(e, Error::Integrity { .. }), "{e:?}");
        assert!(e.to_string().contains("pieces"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        // A few terms chained over a few ranges are fine.
        let plan = FetchPlan::from_v2(&forged(100, (0..10).map(|_| (0, 100))), None).unwrap();
        assert_eq!(plan.steps.len(), 10 * 100);
    }

    #[test]
    fn forged_sizes_are_refused_before_any_allocation() {
        let ok = forged(4, [(0, 4)].into_iter());
        FetchPlan::from_v2(&ok, None).unwrap();
        let hash = ok.terms[0].hash;
        let with_range = |f: &dyn Fn(&mut FetchRangeV2)| {
            let mut r = ok.clone();
            f(&mut r.xorbs.get_mut(&hash).unwrap()[0].ranges[0]);
            r
        };
        let with_term = |f: &dyn Fn(&mut Term)| {
            let mut r = ok.clone();
            f(&mut r.terms[0]);
            r
        };
        let forged_answers = [
            // A byte range of gigabytes (what `fetch_range` would reserve), past any stored
            // xorb, reversed, or too short/long for its chunks' records.
            with_range(&|g| g.bytes.end = 3 << 30),
            with_range(&|g| g.bytes.end = u64::MAX),
            with_range(&|g| g.bytes = ByteRange { start: 99, end: 0 }),
            with_range(&|g| g.bytes.end = g.bytes.start + 4),
            with_range(&|g| {
                g.bytes.end = g.bytes.start + 2 * xet::xorb::MAX_COMPRESSED_CHUNK_LEN as u64
            }),
            // An empty, reversed or astronomically long chunk range.
            with_range(&|g| g.chunks = ChunkRange { start: 1, end: 1 }),
            with_range(&|g| g.chunks = ChunkRange { start: 2, end: 1 }),
            with_range(&|g| g.chunks.end = u32::MAX),
            with_term(&|t| t.range = ChunkRange { start: 3, end: 1 }),
            with_term(&|t| {
                t.range = ChunkRange {
                    start: 0,
                    end: u32::MAX,
                }
            }),
            // An unpacked length the term's chunks cannot have.
            with_term(&|t| t.unpacked_length = 1 << 50),
            with_term(&|t| t.unpacked_length = 3),
        ];
        for (i, r) in forged_answers.iter().enumerate() {
            let e = FetchPlan::from_v2(r, None).unwrap_err();
            assert!(matches!(e, Error::Integrity { .. }), "answer {i}: {e:?}");
            let v1 = crate::cas::mock::v1_of(r);
            let e = FetchPlan::from_v1(&v1, None).unwrap_err();
            assert!(matches!(e, Error::Integrity { .. }), "V1 answer {i}: {e:?}");
        }
    }

    #[test]
    fn split_steps_cover_their_pieces_in_parts_of_whole_chunks() {
        let s = store(
            random_bytes(12, 1 << 20),
            1000,
            CompressionPolicy::Fixed(CompressionScheme::None),
        );
        let x = &s.xorbs[0];
        let proof = ProvenXorb::from_footer(x.hash, &x.footer()).unwrap();
        let n = x.chunks.len() as u32;
        assert!(n >= 10);
        let plan = FetchPlan::from_v2(&s.v2(None), None).unwrap();
        let (step, unit) = (&plan.steps[0], &plan.units[plan.steps[0].unit]);
        let parts = split_step(step, unit, &proof, 200_000).unwrap();
        assert!(parts.len() >= 4, "{} parts", parts.len());
        // The parts tile the unit's chunks and records, in order, and only the last piece ends
        // the term.
        let mut at = 0;
        for (k, (u, st)) in parts.iter().enumerate() {
            assert_eq!(u.chunks.start, at);
            assert_eq!(
                Some(u.bytes),
                proof.record_range(u.chunks.start, u.chunks.end)
            );
            assert!(
                u.bytes.len() < 200_000 + 70_000,
                "part {k}: {} bytes",
                u.bytes.len()
            );
            assert_eq!(st.pieces.len(), 1);
            assert_eq!(st.pieces[0].ends_term, k + 1 == parts.len());
            at = u.chunks.end;
        }
        assert_eq!(at, n);
        // Fetched part by part and verified against the footer, they give the file.
        let mut split = plan.clone();
        split.units = parts.iter().map(|(u, _)| u.clone()).collect();
        split.steps = parts
            .iter()
            .enumerate()
            .map(|(i, (_, st))| Step {
                unit: i,
                pieces: st.pieces.clone(),
            })
            .collect();
        let whole = Some((s.file_hash, s.data.len() as u64));
        assert_eq!(run(&split, whole, |u| s.body(u)).unwrap(), s.data);
        // Pieces of part of the unit: chunks no piece needs are not fetched.
        let mut partial = step.clone();
        partial.pieces[0].chunks = ChunkRange {
            start: 3,
            end: n - 3,
        };
        let parts = split_step(&partial, unit, &proof, 200_000).unwrap();
        assert_eq!(parts[0].0.chunks.start, 3);
        assert_eq!(parts.last().unwrap().0.chunks.end, n - 3);
        // Pieces that go back (a repeated term) are not split.
        let mut repeated = step.clone();
        repeated.pieces = vec![
            Piece {
                term: 0,
                chunks: ChunkRange { start: 0, end: 2 },
                ends_term: true,
            },
            Piece {
                term: 1,
                chunks: ChunkRange { start: 0, end: 2 },
                ends_term: true,
            },
        ];
        assert!(split_step(&repeated, unit, &proof, 200_000).is_none());
        // A proof without record offsets (from a whole read) cannot split.
        let d = decode_unit(unit, &s.body(unit)).unwrap();
        let self_proof = ProvenXorb::from_chunks(x.hash, d.chunks, &d.table).unwrap();
        assert!(split_step(step, unit, &self_proof, 200_000).is_none());
    }

    #[test]
    fn one_url_is_shared_by_the_ranges_of_an_entry() {
        // A 1 MB URL listed once with 50,000 ranges must not become 50 GB of copies.
        let mut r = forged(50_000, [(0, 1)].into_iter());
        let long = format!("http://cas/{}", "x".repeat(1 << 20));
        for es in r.xorbs.values_mut() {
            es[0].url.clone_from(&long);
        }
        let plan = FetchPlan::from_v2(&r, None).unwrap();
        assert_eq!(plan.units.len(), 50_000);
        assert!(plan
            .units
            .iter()
            .all(|u| Arc::ptr_eq(&u.url, &plan.units[0].url)));
        assert_eq!(&*plan.units[0].url, long);
    }

    #[test]
    fn renewing_urls_keeps_the_plan() {
        let s = store(random_bytes(8, 500_000), 3, CompressionPolicy::Auto);
        let mut plan = FetchPlan::from_v2(&s.v2(None), None).unwrap();
        let mut fresh_answer = s.v2(None);
        for es in fresh_answer.xorbs.values_mut() {
            for e in es {
                e.url.push_str("?fresh");
            }
        }
        let fresh = FetchPlan::from_v2(&fresh_answer, None).unwrap();
        assert_eq!(plan.renew_urls(&fresh), plan.units.len());
        assert!(plan.units.iter().all(|u| u.url.ends_with("?fresh")));
    }
}
