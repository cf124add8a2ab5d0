//! Random access to one stored file (issue 13): [`BlobReader`] serves any byte range
//! `[start, end)` of the file, for `openBucketBlob` (a lazy `Blob`) and range readers such as
//! parquet readers (xet spec §6.3–6.5, §4.4).
//!
//! The reader plans once from the reconstruction of the whole file (asked again, and the URLs
//! renewed, when a transfer URL answers `403`, §6.5). To serve a range it maps the range onto
//! the file's terms, reads the footer of each xorb it touches (once per reader, see
//! [`super::footer`]) for every chunk's length, hash and record offsets, and fetches only the
//! records of the chunks it needs that are not cached: one range request per run of consecutive
//! chunks. Every fetched chunk is decoded and checked against the footer's hash, itself proven by
//! the xorb hash, before it is used or cached. Decoded, verified chunks are kept in an LRU
//! bounded in bytes ([`ReaderOptions::cache_bytes`]), so reads of neighbouring ranges reuse them.
//!
//! No borrow of the reader's state is held across an await: reads may overlap.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use bytes::Bytes;
use xet::reconstruction::{ChunkRange, Term};
use xet::Hash;

use super::footer::{fetch_proof, footer_error, ProvenXorb};
use super::plan::{decode_unit, FetchPlan, FetchUnit};
use super::stream::clamp_range;
use crate::cas::CasClient;
use crate::error::Error;
use crate::transport::Cancel;

/// Default bound of the chunk cache: 32 MiB of decoded chunks.
pub const DEFAULT_CACHE_BYTES: u64 = 32 << 20;

/// How many expired-URL renewals one reader may do in all.
const MAX_URL_RENEWALS: u32 = 8;

/// Tunables of a [`BlobReader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderOptions {
    /// Bytes of decoded, verified chunks kept for later reads (0: none).
    pub cache_bytes: u64,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}

/// What a reader has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReaderStats {
    /// Range requests for chunk records.
    pub data_requests: u64,
    /// Footer reads (one or two requests each).
    pub footer_reads: u64,
    /// Bytes received from transfer URLs (records and footers).
    pub bytes_fetched: u64,
    /// Chunks served from the cache.
    pub cache_hits: u64,
    /// Bytes in the cache now.
    pub cached_bytes: u64,
}

/// An LRU of decoded, verified chunks keyed by (xorb, chunk index), bounded in bytes.
#[derive(Debug, Default)]
struct ChunkCache {
    limit: u64,
    bytes: u64,
    tick: u64,
    entries: HashMap<(Hash, u32), (Bytes, u64)>,
    order: BTreeMap<u64, (Hash, u32)>,
}

impl ChunkCache {
    fn get(&mut self, key: (Hash, u32)) -> Option<Bytes> {
        let (data, tick) = self.entries.get_mut(&key)?;
        self.order.remove(tick);
        self.tick += 1;
        *tick = self.tick;
        self.order.insert(self.tick, key);
        Some(data.clone())
    }

    fn insert(&mut self, key: (Hash, u32), data: Bytes) {
        let len = data.len() as u64;
        if len > self.limit {
            return;
        }
        if let Some((old, tick)) = self.entries.remove(&key) {
            self.order.remove(&tick);
            self.bytes -= old.len() as u64;
        }
        while self.bytes + len > self.limit {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some((old, _)) = self.entries.remove(&oldest) {
                self.bytes -= old.len() as u64;
            }
        }
        self.tick += 1;
        self.bytes += len;
        self.entries.insert(key, (data, self.tick));
        self.order.insert(self.tick, key);
    }
}

#[derive(Debug)]
struct State {
    plan: FetchPlan,
    /// File offset of each term's first byte.
    term_starts: Vec<u64>,
    proofs: HashMap<Hash, Rc<ProvenXorb>>,
    cache: ChunkCache,
    stats: ReaderStats,
    renewals: u32,
}

/// Random access to one file. See the module docs.
#[derive(Debug)]
pub struct BlobReader {
    cas: Rc<CasClient>,
    file_hash: Hash,
    size: u64,
    state: RefCell<State>,
}

fn bad(message: impl Into<String>) -> Error {
    Error::integrity(message)
}

impl BlobReader {
    /// Opens the file `file_hash` of `size` bytes: asks for its whole reconstruction and checks
    /// that its terms hold exactly `size` bytes.
    ///
    /// # Errors
    /// CAS errors (e.g. 404); [`Error::Integrity`] when the reconstruction does not describe
    /// `size` bytes.
    pub async fn open(
        cas: Rc<CasClient>,
        file_hash: Hash,
        size: u64,
        options: ReaderOptions,
        cancel: &Cancel,
    ) -> Result<BlobReader, Error> {
        let plan = if size == 0 {
            if file_hash != Hash::ZERO {
                return Err(bad(format!(
                    "file {file_hash} has size 0 but a non-empty hash"
                )));
            }
            FetchPlan::empty()
        } else {
            let answer = cas.reconstruction(&file_hash, None, cancel).await?;
            FetchPlan::from_reconstruction(&answer, Some(size))?
        };
        let mut term_starts = Vec::with_capacity(plan.terms.len());
        let mut at = 0u64;
        for t in &plan.terms {
            term_starts.push(at);
            at = at.saturating_add(t.unpacked_length);
        }
        if plan.skip != 0 || at != size {
            return Err(bad(format!(
                "the reconstruction of {file_hash} holds {at} bytes from offset {}, not {size}",
                plan.skip
            )));
        }
        Ok(BlobReader {
            cas,
            file_hash,
            size,
            state: RefCell::new(State {
                plan,
                term_starts,
                proofs: HashMap::new(),
                cache: ChunkCache {
                    limit: options.cache_bytes,
                    ..ChunkCache::default()
                },
                stats: ReaderStats::default(),
                renewals: 0,
            }),
        })
    }

    /// The file's size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The file's Xet hash.
    pub fn file_hash(&self) -> Hash {
        self.file_hash
    }

    /// What the reader has done so far.
    pub fn stats(&self) -> ReaderStats {
        let state = self.state.borrow();
        ReaderStats {
            cached_bytes: state.cache.bytes,
            ..state.stats
        }
    }

    /// The bytes `[start, end)` of the file (`end` clamped to the size), every one of them
    /// checked against a proven chunk hash.
    ///
    /// # Errors
    /// [`Error::Validation`] when `start > end` or `start > size`; [`Error::Integrity`] on any
    /// verification failure (including a refused footer range); CAS and transport errors;
    /// [`Error::Aborted`].
    pub async fn read(&self, start: u64, end: u64, cancel: &Cancel) -> Result<Vec<u8>, Error> {
        let Some((start, end)) = clamp_range(Some((start, end)), self.size)? else {
            return Ok(Vec::new());
        };
        let want = usize::try_from(end - start)
            .map_err(|_| Error::internal("a read larger than this platform's memory"))?;
        let mut out = Vec::new();
        out.try_reserve_exact(want)
            .map_err(|_| Error::internal("a read larger than the memory available"))?;
        if want == 0 {
            return Ok(out);
        }
        // The terms overlapping the range, with their file offsets.
        let terms: Vec<(Term, u64)> = {
            let state = self.state.borrow();
            let first = state.term_starts.partition_point(|&s| s <= start).max(1) - 1;
            state
                .plan
                .terms
                .iter()
                .zip(&state.term_starts)
                .skip(first)
                .take_while(|(_, s)| **s < end)
                .map(|(t, &s)| (*t, s))
                .collect()
        };
        for (term, term_start) in terms {
            let proof = self.proof(term.hash, cancel).await?;
            // The chunks of the term that overlap the range, with their file offsets.
            let mut needed: Vec<(u32, u64, u64)> = Vec::new();
            let mut at = term_start;
            for c in term.range.start..term.range.end {
                let len = proof.chunk_len(c).ok_or_else(|| {
                    bad(format!(
                        "a term covers chunk {c} of xorb {}, which has {} chunks",
                        term.hash,
                        proof.len()
                    ))
                })?;
                let next = at + u64::from(len);
                if next > start && at < end {
                    needed.push((c, at, next));
                }
                at = next;
            }
            if at - term_start != term.unpacked_length {
                return Err(bad(format!(
                    "a term of xorb {} holds {} bytes by its footer, the reconstruction says {}",
                    term.hash,
                    at - term_start,
                    term.unpacked_length
                )));
            }
            let indices: Vec<u32> = needed.iter().map(|&(c, _, _)| c).collect();
            let chunks = self.chunks(term.hash, &proof, &indices, cancel).await?;
            for (&(_, lo, hi), data) in needed.iter().zip(&chunks) {
                let from = (start.max(lo) - lo) as usize;
                let to = (end.min(hi) - lo) as usize;
                let piece = data
                    .get(from..to)
                    .ok_or_else(|| Error::internal("chunk shorter than its proven length"))?;
                out.extend_from_slice(piece);
            }
        }
        if out.len() != want {
            return Err(bad(format!(
                "read {} bytes of {start}..{end}, expected {want}",
                out.len()
            )));
        }
        Ok(out)
    }

    /// The proof of `xorb`'s chunks, from the cache or its footer.
    async fn proof(&self, xorb: Hash, cancel: &Cancel) -> Result<Rc<ProvenXorb>, Error> {
        loop {
            let url = {
                let state = self.state.borrow();
                if let Some(p) = state.proofs.get(&xorb) {
                    return Ok(p.clone());
                }
                state
                    .plan
                    .any_unit_of(&xorb)
                    .map(|u| u.url.clone())
                    .ok_or_else(|| bad(format!("no fetch URL for xorb {xorb}")))?
            };
            self.state.borrow_mut().stats.footer_reads += 1;
            let counted = |n: u64| self.state.borrow_mut().stats.bytes_fetched += n;
            match fetch_proof(&self.cas, xorb, &url, 0, cancel, &counted).await {
                Ok(p) => {
                    let p = Rc::new(p);
                    self.state.borrow_mut().proofs.insert(xorb, p.clone());
                    return Ok(p);
                }
                Err(e) if self.may_renew(&e) => self.renew(cancel).await?,
                Err(e) => return Err(footer_error(xorb, e)),
            }
        }
    }

    /// Chunks `indices` (ascending) of `xorb`: cached ones, and the others fetched in runs of
    /// consecutive chunks, checked against `proof` and cached.
    async fn chunks(
        &self,
        xorb: Hash,
        proof: &ProvenXorb,
        indices: &[u32],
        cancel: &Cancel,
    ) -> Result<Vec<Bytes>, Error> {
        let mut got: Vec<Option<Bytes>> = {
            let mut state = self.state.borrow_mut();
            let got: Vec<Option<Bytes>> = indices
                .iter()
                .map(|&c| state.cache.get((xorb, c)))
                .collect();
            state.stats.cache_hits += got.iter().filter(|g| g.is_some()).count() as u64;
            got
        };
        let mut i = 0;
        while i < indices.len() {
            if got.get(i).is_some_and(Option::is_some) {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < indices.len()
                && got.get(j).is_some_and(Option::is_none)
                && indices.get(j) == indices.get(j - 1).map(|c| c + 1).as_ref()
            {
                j += 1;
            }
            let (Some(&first), Some(&last)) = (indices.get(i), indices.get(j - 1)) else {
                break;
            };
            let run = ChunkRange {
                start: first,
                end: last + 1,
            };
            let fetched = self.fetch_run(xorb, proof, run, cancel).await?;
            let mut state = self.state.borrow_mut();
            for (k, data) in fetched.into_iter().enumerate() {
                state
                    .cache
                    .insert((xorb, run.start + k as u32), data.clone());
                if let Some(slot) = got.get_mut(i + k) {
                    *slot = Some(data);
                }
            }
            i = j;
        }
        got.into_iter()
            .map(|g| g.ok_or_else(|| Error::internal("a chunk was not fetched")))
            .collect()
    }

    /// Fetches chunks `run` of `xorb`, through the plan's units that cover them.
    async fn fetch_run(
        &self,
        xorb: Hash,
        proof: &ProvenXorb,
        run: ChunkRange,
        cancel: &Cancel,
    ) -> Result<Vec<Bytes>, Error> {
        let mut out = Vec::new();
        let mut at = run.start;
        while at < run.end {
            // The unit holding chunk `at` that reaches furthest (URLs are looked up again after
            // a renewal).
            let (url, end) = {
                let state = self.state.borrow();
                state
                    .plan
                    .unit_covering(&xorb, at)
                    .map(|u| (u.url.clone(), u.chunks.end.min(run.end)))
                    .ok_or_else(|| bad(format!("chunk {at} of xorb {xorb} has no fetch URL")))?
            };
            let chunks = ChunkRange { start: at, end };
            match self.fetch_piece(xorb, &url, proof, chunks, cancel).await {
                Ok(mut piece) => {
                    out.append(&mut piece);
                    at = end;
                }
                Err(e) if self.may_renew(&e) => self.renew(cancel).await?,
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// One range request for chunks `chunks` of `xorb` at `url`: decoded, checked against
    /// `proof`, one copy per chunk (so the cache holds exactly what it counts).
    async fn fetch_piece(
        &self,
        xorb: Hash,
        url: &str,
        proof: &ProvenXorb,
        chunks: ChunkRange,
        cancel: &Cancel,
    ) -> Result<Vec<Bytes>, Error> {
        let bytes = proof
            .record_range(chunks.start, chunks.end)
            .ok_or_else(|| bad(format!("no records for chunks of xorb {xorb}")))?;
        let unit = FetchUnit {
            xorb,
            url: url.into(),
            chunks,
            bytes,
        };
        self.state.borrow_mut().stats.data_requests += 1;
        let counted = |n: u64| self.state.borrow_mut().stats.bytes_fetched += n;
        let body = self.cas.fetch_range(url, bytes, cancel, &counted).await?;
        let decoded = decode_unit(&unit, &body)?;
        proof.check(xorb, bytes, decoded.chunks, &decoded.table)?;
        Ok(decoded
            .table
            .iter()
            .map(|&(_, offset, len)| {
                Bytes::copy_from_slice(decoded.data.get(offset..offset + len).unwrap_or_default())
            })
            .collect())
    }

    /// Whether `e` is an expired transfer URL that a renewal may fix.
    fn may_renew(&self, e: &Error) -> bool {
        e.status() == Some(403) && self.state.borrow().renewals < MAX_URL_RENEWALS
    }

    /// Asks for the reconstruction again and takes its URLs (§6.5).
    async fn renew(&self, cancel: &Cancel) -> Result<(), Error> {
        self.state.borrow_mut().renewals += 1;
        let answer = self
            .cas
            .reconstruction(&self.file_hash, None, cancel)
            .await?;
        let fresh = FetchPlan::from_reconstruction(&answer, Some(self.size))?;
        self.state.borrow_mut().plan.renew_urls(&fresh);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cas::mock::{random_bytes, Fault, MockCas};
    use crate::download::test_support::stored;
    use crate::transport::Method;

    async fn open(cas: &Rc<CasClient>, hash: Hash, size: u64, cache: u64) -> BlobReader {
        let options = ReaderOptions { cache_bytes: cache };
        BlobReader::open(cas.clone(), hash, size, options, &Cancel::new())
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn random_reads_equal_the_source() {
        let mock = MockCas::new();
        let data = random_bytes(1, (5 << 20) + 123);
        let (cas, hash) = stored(&mock, &data).await;
        let size = data.len() as u64;
        let r = open(&cas, hash, size, 1 << 20).await;
        let cancel = Cancel::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let mut cases = vec![(0, 0), (0, 1), (size - 1, size), (0, size), (size, size)];
        for _ in 0..60 {
            let start = next(size);
            let len = match next(3) {
                0 => next(100),
                1 => next(200_000),
                _ => next(3 << 20),
            };
            cases.push((start, (start + len).min(size)));
        }
        for (start, end) in cases {
            let got = r.read(start, end, &cancel).await.unwrap();
            assert!(
                got == data[start as usize..end as usize],
                "read {start}..{end}"
            );
        }
        let stats = r.stats();
        assert!(stats.cached_bytes <= 1 << 20, "{stats:?}");
        assert_eq!(stats.footer_reads, 6, "one footer per xorb: {stats:?}");
        // A read past the end is clamped; a reversed one or one starting past the end is refused.
        assert_eq!(r.read(size - 2, size + 10, &cancel).await.unwrap().len(), 2);
        assert!(matches!(
            r.read(5, 4, &cancel).await,
            Err(Error::Validation(_))
        ));
        assert!(matches!(
            r.read(size + 1, size + 2, &cancel).await,
            Err(Error::Validation(_))
        ));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn neighbouring_reads_reuse_cached_chunks() {
        let mock = MockCas::new();
        let data = random_bytes(2, 3 << 20);
        let (cas, hash) = stored(&mock, &data).await;
        let r = open(&cas, hash, data.len() as u64, DEFAULT_CACHE_BYTES).await;
        let cancel = Cancel::new();
        let before = mock.count(Method::Get, "/fetch/");
        assert_eq!(
            r.read(100_000, 100_010, &cancel).await.unwrap(),
            &data[100_000..100_010]
        );
        // One footer request and one data request for the chunk.
        assert_eq!(mock.count(Method::Get, "/fetch/") - before, 2);
        let fetched = r.stats().bytes_fetched;
        assert!(fetched < 150_000, "{fetched} bytes for 10");
        // The same bytes and their neighbours in the same chunk: no request.
        for (s, e) in [(100_000, 100_010), (100_005, 100_020), (99_990, 100_001)] {
            let before = mock.count(Method::Get, "/fetch/");
            let got = r.read(s, e, &cancel).await.unwrap();
            assert_eq!(got, &data[s as usize..e as usize]);
            let chunk_start = xet::chunk_all(&data)
                .into_iter()
                .find(|c| c.offset <= s && s < c.offset + u64::from(c.len))
                .unwrap()
                .offset;
            if chunk_start <= 99_990 {
                assert_eq!(mock.count(Method::Get, "/fetch/"), before, "{s}..{e}");
            }
        }
        assert!(r.stats().cache_hits >= 2);
        // With no cache, every read fetches again.
        let r0 = open(&cas, hash, data.len() as u64, 0).await;
        r0.read(100_000, 100_010, &cancel).await.unwrap();
        let before = mock.count(Method::Get, "/fetch/");
        r0.read(100_000, 100_010, &cancel).await.unwrap();
        assert_eq!(mock.count(Method::Get, "/fetch/") - before, 1);
        assert_eq!(r0.stats().cached_bytes, 0);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn corrupted_bytes_refused_footers_and_expired_urls() {
        let mock = MockCas::new();
        let data = random_bytes(3, 2 << 20);
        let (cas, hash) = stored(&mock, &data).await;
        let size = data.len() as u64;
        let cancel = Cancel::new();
        // A flipped byte in the footer, then in the records: integrity errors, nothing cached.
        for at in [10_300, 8, 9, 5000] {
            let r = open(&cas, hash, size, DEFAULT_CACHE_BYTES).await;
            if at != 10_300 {
                r.read(0, 1, &cancel).await.unwrap(); // reads the footer of xorb 0
            }
            mock.fault(Method::Get, "/fetch/", 1, Fault::Flip(at));
            let got = r.read(300_000, 300_100, &cancel).await;
            assert!(matches!(got, Err(Error::Integrity { .. })), "{at}: {got:?}");
            mock.clear_faults();
            assert_eq!(
                r.read(300_000, 300_100, &cancel).await.unwrap(),
                &data[300_000..300_100]
            );
        }
        // A store that refuses the footer range.
        mock.refuse_suffix.set(true);
        let r = open(&cas, hash, size, DEFAULT_CACHE_BYTES).await;
        match r.read(10, 20, &cancel).await {
            Err(Error::Integrity { message }) => assert!(message.contains("refused"), "{message}"),
            other => panic!("{other:?}"),
        }
        mock.refuse_suffix.set(false);
        // An expired URL (403): the reconstruction is asked again and the read completes.
        let r = open(&cas, hash, size, DEFAULT_CACHE_BYTES).await;
        let recon = mock.count(Method::Get, "/v2/reconstructions/");
        mock.fault(Method::Get, "/fetch/", 1, Fault::Status(403));
        assert_eq!(
            r.read(1_500_000, 1_600_000, &cancel).await.unwrap(),
            &data[1_500_000..1_600_000]
        );
        assert_eq!(mock.count(Method::Get, "/v2/reconstructions/"), recon + 1);
    }
}
