//! The upload planner: every decision of an upload session, without I/O (xet spec §8).
//!
//! The pipeline ([`super::pipeline`]) feeds it the chunks of each file in order
//! ([`Planner::add_chunk`]); the planner decides, chunk by chunk, whether the bytes are already
//! known — in a xorb of this session (also one still being filled), a chunk earlier in the same
//! file, or a xorb listed by a global-dedup answer ([`Planner::add_dedup_shard`]) — or new, in
//! which case they are compressed into the open xorb. It cuts xorbs at the limits
//! (≤ 64 MiB of chunk data, ≤ 8192 chunks, §4.5), builds each file's terms (§5.2) and
//! verification hashes (§3.6), and finally the session shard (§5.8, §8.3).
//!
//! Dedup rules:
//! - A chunk continues the previous term when it is the next chunk of the same xorb; otherwise it
//!   is looked up by hash (session xorbs first, then global-dedup xorbs whose key has not
//!   expired). Unlike the reference client, chunks still in the open xorb are found too, so two
//!   files of one call that share content share the xorb bytes.
//! - [`Planner::wants_query`] applies the global-dedup query rule (§3.7, §8.1 step 3): a chunk not
//!   known locally that is the first chunk of its file, or whose hash is eligible
//!   (`w3 % 1024 == 0`) and lies at least [`QUERY_SPACING`] chunks after this file's previous
//!   query.
//!
//! ```
//! use hf_buckets::upload::plan::{Planner, PlannerConfig};
//! let mut planner = Planner::new(PlannerConfig::default());
//! let data = vec![7u8; 200_000];
//! let mut file = planner.start_file();
//! let mut cut = Vec::new();
//! for c in xet::chunk_all(&data) {
//!     let bytes = &data[c.offset as usize..(c.offset + u64::from(c.len)) as usize];
//!     cut.extend(planner.add_chunk(&mut file, c.hash, bytes).unwrap());
//! }
//! let done = planner.finish_file(file);
//! assert_eq!(done.size, 200_000);
//! let session = planner.finish().unwrap();
//! assert_eq!(usize::from(session.last_xorb.is_some()) + cut.len(), 1);
//! assert_eq!(session.shards.len(), 1);
//! ```

use std::collections::{HashMap, HashSet};

use sha2::Digest;
use xet::shard::{FileInfo, FileTerm, Shard, ShardBuilder, XorbInfo};
use xet::xorb::{CompressionPolicy, SerializedXorb, XorbBuilder, MAX_XORB_BYTES, MAX_XORB_CHUNKS};

use super::xorbs::BufferPool;
use xet::{hmac, Hash};

/// Minimum number of chunks between two global-dedup queries of one file (§8.1 step 3).
pub const QUERY_SPACING: usize = 256;

/// Largest shard body the planner emits; bigger sessions are split (§5.8).
pub const MAX_SHARD_BYTES: u64 = 64 << 20;

/// Default cut point of a xorb's chunk data: 16 MiB. The format allows 64 MiB (the reference
/// client cuts there), but a whole xorb sits in memory while it is built and while it is
/// uploaded, so the xorb size times the uploads in flight is most of an upload's memory; 16 MiB
/// keeps a Node process uploading any amount of data under ~300 MB (see benches/js) at no cost
/// to deduplication, which works on chunks.
pub const DEFAULT_XORB_BYTES: u64 = 16 << 20;

/// Tunables of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannerConfig {
    /// Cut a xorb before its chunk data would exceed this (clamped to 64 MiB; default
    /// [`DEFAULT_XORB_BYTES`]).
    pub max_xorb_bytes: u64,
    /// Cut a xorb before it would hold more chunks than this (clamped to 8192).
    pub max_xorb_chunks: usize,
    /// Compression of new chunks (§4.3).
    pub compression: CompressionPolicy,
    /// Record each file's SHA-256 in the shard (metadata extension, §5.4). Buckets don't need it.
    pub sha256: bool,
    /// Split the session shard so that no part exceeds this many bytes.
    pub max_shard_bytes: u64,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        PlannerConfig {
            max_xorb_bytes: DEFAULT_XORB_BYTES,
            max_xorb_chunks: MAX_XORB_CHUNKS,
            compression: CompressionPolicy::Auto,
            sha256: false,
            max_shard_bytes: MAX_SHARD_BYTES,
        }
    }
}

/// Index of a xorb known to the session (created here or listed by a dedup answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct XorbId(u32);

/// A chunk's place: xorb and chunk index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ChunkLoc {
    xorb: XorbId,
    index: u32,
}

#[derive(Debug)]
enum Origin {
    /// Created in this session. `listing` is set when the xorb is cut.
    New { listing: Option<XorbInfo> },
    /// Listed by a global-dedup answer: exists on the server.
    Remote {
        hash: Hash,
        key: Option<[u8; 32]>,
        expiry: Option<u64>,
    },
}

#[derive(Debug)]
struct KnownXorb {
    origin: Origin,
    /// Chunk hashes as listed (HMAC-keyed with the origin's key, if any).
    chunk_hashes: Vec<Hash>,
}

impl KnownXorb {
    fn hash(&self) -> Option<Hash> {
        match &self.origin {
            Origin::New { listing } => listing.as_ref().map(|l| l.xorb_hash),
            Origin::Remote { hash, .. } => Some(*hash),
        }
    }
}

/// A term while the session runs: its xorb may not have a hash yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PlannedTerm {
    xorb: XorbId,
    start: u32,
    end: u32,
    bytes: u64,
    /// Index of the term's first chunk in the file.
    first_chunk: usize,
}

/// A finished file whose terms may still point at the open xorb.
#[derive(Debug)]
struct PlannedFile {
    hash: Hash,
    terms: Vec<PlannedTerm>,
    verification: Vec<Hash>,
    sha256: Option<[u8; 32]>,
}

/// Read-time state of one file for the global-dedup query rule ([`Planner::wants_query`]).
#[derive(Debug, Clone, Default)]
pub struct QueryTracker {
    position: usize,
    last_query: Option<usize>,
}

/// The state of one file while its chunks are being added. Obtained from
/// [`Planner::start_file`], given back to [`Planner::finish_file`].
#[derive(Debug)]
pub struct FileCursor {
    chunks: Vec<(Hash, u64)>,
    terms: Vec<PlannedTerm>,
    size: u64,
    new_bytes: u64,
    dedup_bytes: u64,
    sha256: Option<sha2::Sha256>,
    /// Whether the open xorb already started a compression section for this file.
    in_section: bool,
}

impl FileCursor {
    /// Bytes added so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Chunks added so far.
    pub fn num_chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Bytes found already stored, so far.
    pub fn dedup_bytes(&self) -> u64 {
        self.dedup_bytes
    }
}

/// What [`Planner::finish_file`] reports for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishedFile {
    /// The Xet file hash (all zero for an empty file).
    pub hash: Hash,
    /// File size in bytes.
    pub size: u64,
    /// Bytes stored as new chunk data.
    pub new_bytes: u64,
    /// Bytes found already stored (in this session or on the server).
    pub dedup_bytes: u64,
    /// Number of terms of the reconstruction.
    pub num_terms: usize,
    /// The SHA-256 digest, when the session computes it.
    pub sha256: Option<[u8; 32]>,
}

/// The end of a session: the last xorb to upload and the shard bodies.
#[derive(Debug)]
pub struct FinishedSession {
    /// The xorb cut at the end, if it holds any chunk.
    pub last_xorb: Option<SerializedXorb>,
    /// Upload-form shard bodies (§5.8), each at most `max_shard_bytes` unless a single file's
    /// record alone is larger. Empty only when the session had no file.
    pub shards: Vec<Vec<u8>>,
}

/// Errors of the planner: a chunk longer than the format allows, or a count beyond the format.
pub type PlanError = xet::FormatError;

/// The upload planner. See the module docs.
#[derive(Debug)]
pub struct Planner {
    config: PlannerConfig,
    xorbs: Vec<KnownXorb>,
    /// Unkeyed chunk hash → first place seen.
    index: HashMap<Hash, ChunkLoc>,
    /// Keyed global-dedup indexes: (key, expiry, keyed hash → place).
    keyed: Vec<KeyedIndex>,
    open: XorbBuilder,
    open_id: XorbId,
    /// Xorb buffers, reused once their upload is done ([`Planner::recycle`]).
    pool: BufferPool,
    files: Vec<PlannedFile>,
    /// Hashes of xorbs already known (a dedup answer listing them again is skipped).
    known_hashes: HashMap<Hash, XorbId>,
    /// Chunk hashes already asked about in this session ([`Planner::wants_query`]).
    asked: HashSet<Hash>,
    now_s: u64,
}

#[derive(Debug)]
struct KeyedIndex {
    key: [u8; 32],
    expiry: Option<u64>,
    map: HashMap<Hash, ChunkLoc>,
}

impl Planner {
    /// A planner for one session.
    pub fn new(config: PlannerConfig) -> Planner {
        let config = PlannerConfig {
            max_xorb_bytes: config.max_xorb_bytes.clamp(1, MAX_XORB_BYTES),
            max_xorb_chunks: config.max_xorb_chunks.clamp(1, MAX_XORB_CHUNKS),
            max_shard_bytes: config.max_shard_bytes.max(64 << 10),
            ..config
        };
        let mut planner = Planner {
            // The first buffer is taken when the first new chunk arrives.
            open: XorbBuilder::with_buffer(config.compression, Vec::new()),
            pool: BufferPool::new(config.max_xorb_bytes, config.max_xorb_chunks, 4),
            config,
            xorbs: Vec::new(),
            index: HashMap::new(),
            keyed: Vec::new(),
            open_id: XorbId(0),
            files: Vec::new(),
            known_hashes: HashMap::new(),
            asked: HashSet::new(),
            now_s: 0,
        };
        planner.open_id = planner.push_xorb(KnownXorb {
            origin: Origin::New { listing: None },
            chunk_hashes: Vec::new(),
        });
        planner
    }

    /// Sets the clock used to ignore expired global-dedup answers (Unix seconds).
    pub fn set_now(&mut self, now_s: u64) {
        self.now_s = now_s;
    }

    fn push_xorb(&mut self, x: KnownXorb) -> XorbId {
        // A session cannot hold 4 billion xorbs in memory; saturate rather than panic.
        let id = XorbId(u32::try_from(self.xorbs.len()).unwrap_or(u32::MAX));
        self.xorbs.push(x);
        id
    }

    /// Starts a new file.
    pub fn start_file(&self) -> FileCursor {
        FileCursor {
            chunks: Vec::new(),
            terms: Vec::new(),
            size: 0,
            new_bytes: 0,
            dedup_bytes: 0,
            sha256: self.config.sha256.then(sha2::Sha256::new),
            in_section: false,
        }
    }

    /// The xorb, unless it came from a dedup answer whose key has expired.
    fn live(&self, id: XorbId) -> Option<&KnownXorb> {
        let x = self.xorbs.get(id.0 as usize)?;
        match x.origin {
            Origin::Remote {
                expiry: Some(e), ..
            } if e <= self.now_s => None,
            _ => Some(x),
        }
    }

    /// Where a chunk with this hash is stored, if anywhere the session knows.
    fn lookup(&self, hash: &Hash) -> Option<ChunkLoc> {
        if let Some(loc) = self
            .index
            .get(hash)
            .copied()
            .filter(|l| self.live(l.xorb).is_some())
        {
            return Some(loc);
        }
        self.keyed.iter().find_map(|k| {
            if k.expiry.is_some_and(|e| e <= self.now_s) {
                return None;
            }
            k.map.get(&hmac(hash, &k.key)).copied()
        })
    }

    /// Whether `hash` is chunk `loc.index` of xorb `loc.xorb` (comparing keyed hashes as needed).
    fn is_chunk_at(&self, hash: &Hash, loc: ChunkLoc) -> bool {
        let Some(x) = self.live(loc.xorb) else {
            return false;
        };
        let Some(listed) = x.chunk_hashes.get(loc.index as usize) else {
            return false;
        };
        match &x.origin {
            Origin::Remote { key: Some(key), .. } => hmac(hash, key) == *listed,
            _ => listed == hash,
        }
    }

    /// Whether the pipeline should ask the CAS's global-dedup index about the next chunk of a
    /// file, whose read-time state is `tracker` (call once per chunk, in order, when the chunk
    /// is read — possibly before earlier chunks were added).
    ///
    /// A hash asked about once in the session is not asked again (files of one call that start
    /// alike share the first answer): like a hash the session already stores, it counts as
    /// known, since the pipeline holds every chunk back until the queries issued before it are
    /// answered.
    pub fn wants_query(&mut self, tracker: &mut QueryTracker, hash: &Hash) -> bool {
        let position = tracker.position;
        tracker.position += 1;
        let candidate = position == 0 || xet::is_global_dedup_eligible(hash);
        let spaced = tracker
            .last_query
            .is_none_or(|q| position >= q + QUERY_SPACING);
        if !candidate || !spaced || self.asked.contains(hash) || self.lookup(hash).is_some() {
            return false;
        }
        tracker.last_query = Some(position);
        self.asked.insert(*hash);
        true
    }

    /// Ingests a global-dedup answer (a shard, possibly HMAC-keyed, §5.8, §6.10): its xorbs become
    /// dedup targets until the key expires (an expiry of 0 or `u64::MAX` means none). Xorbs
    /// already known are skipped.
    ///
    /// In an unkeyed answer every xorb listing is checked first: its chunk hashes and lengths
    /// must aggregate to its xorb hash (§3.4). A listing that does not (a corrupted answer) is
    /// ignored, so no file is ever committed pointing at a xorb or chunks that do not hold its
    /// bytes. A keyed answer's chunk hashes are HMACs, which cannot be checked that way; a
    /// corrupted keyed hash only fails to match.
    pub fn add_dedup_shard(&mut self, shard: &Shard) {
        let key = shard.chunk_hmac_key();
        // The reference serializer writes 0 for "no expiry" in subset shards it answers with.
        let expiry = shard.key_expiry().filter(|&e| e != 0);
        if expiry.is_some_and(|e| e <= self.now_s) {
            return;
        }
        let mut keyed_map = HashMap::new();
        for info in &shard.xorbs {
            if self.known_hashes.contains_key(&info.xorb_hash) || info.chunks.is_empty() {
                continue;
            }
            if key.is_none() && !listing_proves_xorb(info) {
                continue;
            }
            let id = self.push_xorb(KnownXorb {
                origin: Origin::Remote {
                    hash: info.xorb_hash,
                    key,
                    expiry,
                },
                chunk_hashes: info.chunks.iter().map(|c| c.hash).collect(),
            });
            self.known_hashes.insert(info.xorb_hash, id);
            for (i, c) in info.chunks.iter().enumerate() {
                let loc = ChunkLoc {
                    xorb: id,
                    index: i as u32,
                };
                match key {
                    Some(_) => keyed_map.entry(c.hash).or_insert(loc),
                    None => self.index.entry(c.hash).or_insert(loc),
                };
            }
        }
        let Some(key) = key else { return };
        if keyed_map.is_empty() {
            return;
        }
        match self.keyed.iter_mut().find(|k| k.key == key) {
            Some(k) => {
                for (h, loc) in keyed_map {
                    k.map.entry(h).or_insert(loc);
                }
                k.expiry = match (k.expiry, expiry) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            None => self.keyed.push(KeyedIndex {
                key,
                expiry,
                map: keyed_map,
            }),
        }
    }

    /// Gives back the buffer of an uploaded xorb (`SerializedXorb::data`) for the next xorbs.
    pub fn recycle(&mut self, buffer: Vec<u8>) {
        self.pool.give(buffer);
    }

    /// Cuts the open xorb (if it has chunks) and opens a new one (its buffer is taken when its
    /// first chunk arrives).
    fn cut(&mut self) -> Option<SerializedXorb> {
        if self.open.is_empty() {
            return None;
        }
        let builder = std::mem::replace(
            &mut self.open,
            XorbBuilder::with_buffer(self.config.compression, Vec::new()),
        );
        let xorb = builder.finish();
        let listing = XorbInfo::from_chunks(xorb.hash, &xorb.chunk_hashes_and_lens());
        if let Some(x) = self.xorbs.get_mut(self.open_id.0 as usize) {
            x.origin = Origin::New {
                listing: Some(listing),
            };
        }
        self.known_hashes.insert(xorb.hash, self.open_id);
        self.open_id = self.push_xorb(KnownXorb {
            origin: Origin::New { listing: None },
            chunk_hashes: Vec::new(),
        });
        Some(xorb)
    }

    /// Whether a new chunk of `len` bytes would not fit the open xorb.
    fn open_is_full(&self, len: usize) -> bool {
        self.open.num_chunks() >= self.config.max_xorb_chunks
            || self.open.raw_bytes() + len as u64 > self.config.max_xorb_bytes
    }

    /// Whether adding this chunk to `file` would cut the open xorb (the chunk is new and does
    /// not fit). Lets the pipeline hold the chunk back while no upload slot is free, so that at
    /// most one finished xorb waits.
    pub fn would_cut(&self, file: &FileCursor, hash: &Hash, len: usize) -> bool {
        let continued = file.terms.last().is_some_and(|t| {
            self.is_chunk_at(
                hash,
                ChunkLoc {
                    xorb: t.xorb,
                    index: t.end,
                },
            )
        });
        !continued && self.lookup(hash).is_none() && !self.open.is_empty() && self.open_is_full(len)
    }

    /// Adds the next chunk of `file` (its hash and bytes). Returns a xorb that was cut to make
    /// room, which the caller must upload.
    ///
    /// # Errors
    /// A chunk longer than 131072 bytes ([`xet::FormatError::ChunkTooLarge`]).
    pub fn add_chunk(
        &mut self,
        file: &mut FileCursor,
        hash: Hash,
        data: &[u8],
    ) -> Result<Option<SerializedXorb>, PlanError> {
        let len = data.len() as u64;
        if data.len() > xet::chunker::MAX_CHUNK_SIZE {
            return Err(xet::FormatError::ChunkTooLarge {
                offset: file.size,
                len,
                limit: xet::chunker::MAX_CHUNK_SIZE as u64,
            });
        }
        if let Some(sha) = file.sha256.as_mut() {
            sha.update(data);
        }
        // 1. continue the previous term, 2. look the hash up, 3. store as new data.
        let continued = file
            .terms
            .last()
            .map(|t| ChunkLoc {
                xorb: t.xorb,
                index: t.end,
            })
            .filter(|loc| self.is_chunk_at(&hash, *loc));
        let mut cut = None;
        let loc = match continued.or_else(|| self.lookup(&hash)) {
            Some(loc) => {
                file.dedup_bytes += len;
                loc
            }
            None => {
                if self.open_is_full(data.len()) {
                    cut = self.cut();
                    file.in_section = false;
                }
                if self.open.is_empty() {
                    let buffer = self.pool.take();
                    self.open = XorbBuilder::with_buffer(self.config.compression, buffer);
                }
                if !file.in_section {
                    // Each file's chunks form their own compression section (§4.3).
                    self.open.start_file();
                    file.in_section = true;
                }
                let index = self.open.add_chunk(hash, data)?;
                let loc = ChunkLoc {
                    xorb: self.open_id,
                    index: index as u32,
                };
                if let Some(x) = self.xorbs.get_mut(self.open_id.0 as usize) {
                    x.chunk_hashes.push(hash);
                }
                self.index.entry(hash).or_insert(loc);
                file.new_bytes += len;
                loc
            }
        };
        match file.terms.last_mut() {
            Some(t) if t.xorb == loc.xorb && t.end == loc.index => {
                t.end += 1;
                t.bytes += len;
            }
            _ => file.terms.push(PlannedTerm {
                xorb: loc.xorb,
                start: loc.index,
                end: loc.index + 1,
                bytes: len,
                first_chunk: file.chunks.len(),
            }),
        }
        file.chunks.push((hash, len));
        file.size += len;
        Ok(cut)
    }

    /// Finishes a file: computes its hash and verification hashes and records its
    /// reconstruction for the shard.
    pub fn finish_file(&mut self, file: FileCursor) -> FinishedFile {
        let hash = xet::file_hash(&file.chunks);
        let sha256: Option<[u8; 32]> = file.sha256.map(|s| s.finalize().into());
        let verification = file
            .terms
            .iter()
            .map(|t| {
                let n = (t.end - t.start) as usize;
                let hashes: Vec<Hash> = file
                    .chunks
                    .iter()
                    .skip(t.first_chunk)
                    .take(n)
                    .map(|(h, _)| *h)
                    .collect();
                xet::verification_hash(&hashes)
            })
            .collect();
        let finished = FinishedFile {
            hash,
            size: file.size,
            new_bytes: file.new_bytes,
            dedup_bytes: file.dedup_bytes,
            num_terms: file.terms.len(),
            sha256,
        };
        self.files.push(PlannedFile {
            hash,
            terms: file.terms,
            verification,
            sha256,
        });
        finished
    }

    /// The shard record of a planned file (out of line: the loop over a session's files stays
    /// small, which keeps V8 from optimising all of `finish` for its one call).
    #[inline(never)]
    fn file_info(&self, f: PlannedFile) -> Result<FileInfo, PlanError> {
        let mut terms = Vec::with_capacity(f.terms.len());
        for t in &f.terms {
            // Every term's xorb is remote or was cut above, so it has a hash.
            let Some(xorb_hash) = self.xorbs.get(t.xorb.0 as usize).and_then(KnownXorb::hash)
            else {
                return Err(xet::FormatError::ShardCount { offset: 0 });
            };
            // A term lies inside one xorb (≤ 64 MiB), so its size fits in 32 bits.
            terms.push(FileTerm::new(xorb_hash, t.bytes as u32, t.start, t.end));
        }
        Ok(FileInfo {
            file_hash: f.hash,
            terms,
            verification: Some(f.verification),
            sha256: f.sha256,
        })
    }

    /// Ends the session: cuts the open xorb and builds the shard bodies that reference every
    /// finished file and list the xorbs created in this session (§8.3).
    ///
    /// # Errors
    /// A count that does not fit the shard format.
    pub fn finish(mut self) -> Result<FinishedSession, PlanError> {
        let last_xorb = self.cut();
        let files = std::mem::take(&mut self.files)
            .into_iter()
            .map(|f| self.file_info(f))
            .collect::<Result<Vec<_>, _>>()?;
        let new_xorbs: Vec<XorbInfo> = self
            .xorbs
            .iter_mut()
            .filter_map(|x| match &mut x.origin {
                Origin::New { listing } => listing.take(),
                Origin::Remote { .. } => None,
            })
            .collect();
        let shards = split_shards(files, new_xorbs, self.config.max_shard_bytes)?;
        Ok(FinishedSession { last_xorb, shards })
    }
}

/// Packs files and xorb listings into upload-form shards of at most `max_bytes` each (§5.8:
/// shards over 64 MiB must be split). Any split is valid because every xorb is uploaded before
/// any shard. A session with files always yields at least one shard.
fn split_shards(
    files: Vec<FileInfo>,
    xorbs: Vec<XorbInfo>,
    max_bytes: u64,
) -> Result<Vec<Vec<u8>>, PlanError> {
    const RECORD: u64 = xet::shard::SHARD_RECORD_LEN as u64;
    // Header + two bookends.
    const EMPTY: u64 = 3 * RECORD;
    let mut shards = Vec::new();
    let mut builder = ShardBuilder::new();
    let mut size = EMPTY;
    let file_len = |f: &FileInfo| {
        let n = f.terms.len() as u64;
        RECORD
            * (1 + n + if f.verification.is_some() { n } else { 0 } + u64::from(f.sha256.is_some()))
    };
    let mut flush = |builder: &mut ShardBuilder, size: &mut u64| -> Result<(), PlanError> {
        if !builder.is_empty() {
            shards.push(std::mem::take(builder).upload_bytes()?);
        }
        *size = EMPTY;
        Ok(())
    };
    for x in xorbs {
        let len = RECORD * (1 + x.chunks.len() as u64);
        if size + len > max_bytes {
            flush(&mut builder, &mut size)?;
        }
        size += len;
        builder.add_xorb(x);
    }
    let had_files = !files.is_empty();
    for f in files {
        let len = file_len(&f);
        if size + len > max_bytes {
            flush(&mut builder, &mut size)?;
        }
        size += len;
        builder.add_file(f);
    }
    flush(&mut builder, &mut size)?;
    debug_assert!(!had_files || !shards.is_empty());
    Ok(shards)
}

/// Whether an (unkeyed) xorb listing's chunk hashes and lengths aggregate to its xorb hash.
fn listing_proves_xorb(info: &XorbInfo) -> bool {
    let leaves: Vec<(Hash, u64)> = info
        .chunks
        .iter()
        .map(|c| (c.hash, u64::from(c.len)))
        .collect();
    xet::hash::xorb_hash(&leaves) == info.xorb_hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cas::mock::random_bytes;
    use xet::shard::{parse_shard, FooterOptions};

    struct Uploaded {
        files: Vec<FinishedFile>,
        xorbs: Vec<SerializedXorb>,
        shards: Vec<Shard>,
    }

    fn feed(planner: &mut Planner, data: &[u8], xorbs: &mut Vec<SerializedXorb>) -> FinishedFile {
        let mut file = planner.start_file();
        for c in xet::chunk_all(data) {
            let bytes = &data[c.offset as usize..(c.offset + u64::from(c.len)) as usize];
            xorbs.extend(planner.add_chunk(&mut file, c.hash, bytes).unwrap());
        }
        planner.finish_file(file)
    }

    fn session(mut planner: Planner, files: &[&[u8]]) -> Uploaded {
        let mut xorbs = Vec::new();
        let finished = files
            .iter()
            .map(|d| feed(&mut planner, d, &mut xorbs))
            .collect();
        let end = planner.finish().unwrap();
        xorbs.extend(end.last_xorb);
        let shards = end.shards.iter().map(|b| parse_shard(b).unwrap()).collect();
        Uploaded {
            files: finished,
            xorbs,
            shards,
        }
    }

    /// Rebuilds a file from the xorbs the session produced (plus `remote`), as a server would.
    fn reconstruct(info: &FileInfo, xorbs: &[&SerializedXorb]) -> Vec<u8> {
        let mut out = Vec::new();
        for t in &info.terms {
            let x = xorbs
                .iter()
                .find(|x| x.hash == t.xorb_hash)
                .expect("xorb of term");
            let mut chunks = Vec::new();
            let mut all = Vec::new();
            xet::xorb::decode_chunks(&x.data, &mut all)
                .map(|lens| chunks = lens)
                .unwrap();
            let mut offset = 0usize;
            for (i, len) in chunks.iter().enumerate() {
                let len = *len as usize;
                if (t.chunk_start as usize..t.chunk_end as usize).contains(&i) {
                    out.extend_from_slice(&all[offset..offset + len]);
                }
                offset += len;
            }
        }
        out
    }

    fn file_info<'a>(shards: &'a [Shard], hash: &Hash) -> &'a FileInfo {
        shards
            .iter()
            .flat_map(|s| &s.files)
            .find(|f| f.file_hash == *hash)
            .expect("file in shard")
    }

    /// The global-dedup answer a server would give for the xorbs of `up`, keyed or not.
    fn dedup_answer(up: &Uploaded, key: Option<[u8; 32]>, expiry: u64) -> Shard {
        let mut b = ShardBuilder::new();
        for s in &up.shards {
            for x in &s.xorbs {
                b.add_xorb(x.clone());
            }
        }
        let opts = FooterOptions {
            hmac_key: key,
            creation_timestamp: 1,
            key_expiry: expiry,
        };
        parse_shard(&b.to_bytes_with_footer(&opts).unwrap()).unwrap()
    }

    #[test]
    fn one_file_one_xorb_and_a_valid_shard() {
        let data = random_bytes(1, 1 << 20);
        let up = session(Planner::new(PlannerConfig::default()), &[&data]);
        let chunks = xet::chunk_all(&data);
        let leaves: Vec<(Hash, u64)> = chunks.iter().map(|c| (c.hash, u64::from(c.len))).collect();
        let f = &up.files[0];
        assert_eq!(f.hash, xet::file_hash(&leaves));
        assert_eq!(
            (f.size, f.new_bytes, f.dedup_bytes, f.num_terms),
            (1 << 20, 1 << 20, 0, 1)
        );
        assert_eq!(up.xorbs.len(), 1);
        assert_eq!(up.xorbs[0].hash, xet::xorb_hash(&leaves));
        assert_eq!(up.shards.len(), 1);
        let info = file_info(&up.shards, &f.hash);
        assert_eq!(
            info.terms,
            vec![FileTerm::new(
                up.xorbs[0].hash,
                1 << 20,
                0,
                chunks.len() as u32
            )]
        );
        let all: Vec<Hash> = chunks.iter().map(|c| c.hash).collect();
        assert_eq!(info.verification, Some(vec![xet::verification_hash(&all)]));
        assert_eq!(info.sha256, None);
        assert_eq!(
            up.shards[0].xorbs,
            vec![XorbInfo::from_chunks(
                up.xorbs[0].hash,
                &up.xorbs[0].chunk_hashes_and_lens()
            )]
        );
        assert_eq!(reconstruct(info, &[&up.xorbs[0]]), data);
    }

    #[test]
    fn repeated_content_in_one_file_is_stored_once() {
        let a = random_bytes(2, 3 << 20);
        let data = [a.as_slice(), a.as_slice(), a.as_slice()].concat();
        let up = session(Planner::new(PlannerConfig::default()), &[&data]);
        let f = &up.files[0];
        assert!(f.new_bytes < (3 << 20) + (256 << 10), "new {}", f.new_bytes);
        assert_eq!(f.new_bytes + f.dedup_bytes, f.size);
        let refs: Vec<&SerializedXorb> = up.xorbs.iter().collect();
        assert_eq!(reconstruct(file_info(&up.shards, &f.hash), &refs), data);
    }

    #[test]
    fn files_of_one_session_share_chunks_even_in_the_open_xorb() {
        let common = random_bytes(3, 2 << 20);
        let a = [common.as_slice(), &random_bytes(4, 2 << 20)].concat();
        let b = [common.as_slice(), &random_bytes(5, 2 << 20)].concat();
        let up = session(Planner::new(PlannerConfig::default()), &[&a, &b]);
        assert_eq!(up.xorbs.len(), 1, "both files packed in one xorb");
        let fb = &up.files[1];
        assert!(
            fb.dedup_bytes > (2 << 20) - (256 << 10),
            "dedup {}",
            fb.dedup_bytes
        );
        assert!(up.xorbs[0].raw_bytes() < (6 << 20) + (256 << 10));
        let refs: Vec<&SerializedXorb> = up.xorbs.iter().collect();
        assert_eq!(
            reconstruct(file_info(&up.shards, &up.files[0].hash), &refs),
            a
        );
        assert_eq!(reconstruct(file_info(&up.shards, &fb.hash), &refs), b);
    }

    #[test]
    fn xorbs_are_cut_at_the_byte_and_chunk_limits() {
        let data = random_bytes(6, 3 << 20);
        let config = PlannerConfig {
            max_xorb_bytes: 700_000,
            ..PlannerConfig::default()
        };
        let up = session(Planner::new(config), &[&data]);
        assert!(up.xorbs.len() >= 5, "{}", up.xorbs.len());
        let (last, full) = up.xorbs.split_last().unwrap();
        assert!(full
            .iter()
            .all(|x| x.raw_bytes() <= 700_000 && x.raw_bytes() > 700_000 - 131_072));
        assert!(last.raw_bytes() <= 700_000);
        let refs: Vec<&SerializedXorb> = up.xorbs.iter().collect();
        let info = file_info(&up.shards, &up.files[0].hash);
        assert_eq!(info.terms.len(), up.xorbs.len());
        assert_eq!(reconstruct(info, &refs), data);

        let config = PlannerConfig {
            max_xorb_chunks: 3,
            ..PlannerConfig::default()
        };
        let up = session(Planner::new(config), &[&data]);
        assert!(up.xorbs.iter().all(|x| x.chunks.len() <= 3));
        assert_eq!(
            up.xorbs.iter().map(|x| x.chunks.len()).sum::<usize>(),
            xet::chunk_all(&data).len()
        );
        // The shard lists every new xorb.
        assert_eq!(
            up.shards.iter().map(|s| s.xorbs.len()).sum::<usize>(),
            up.xorbs.len()
        );
    }

    #[test]
    fn default_limits_are_the_format_limits() {
        // 8192 tiny chunks cannot happen with CDC (min 8 KiB); check the clamp instead.
        let p = Planner::new(PlannerConfig {
            max_xorb_bytes: u64::MAX,
            max_xorb_chunks: usize::MAX,
            ..Default::default()
        });
        assert_eq!(p.config.max_xorb_bytes, MAX_XORB_BYTES);
        assert_eq!(p.config.max_xorb_chunks, MAX_XORB_CHUNKS);
    }

    #[test]
    fn would_cut_predicts_add_chunk() {
        let data = random_bytes(13, 3 << 20);
        let mut p = Planner::new(PlannerConfig {
            max_xorb_bytes: 500_000,
            ..Default::default()
        });
        let mut f = p.start_file();
        let mut cuts = 0;
        for c in xet::chunk_all(&data)
            .iter()
            .chain(xet::chunk_all(&data).iter())
        {
            let bytes = &data[c.offset as usize..(c.offset + u64::from(c.len)) as usize];
            let predicted = p.would_cut(&f, &c.hash, bytes.len());
            let cut = p.add_chunk(&mut f, c.hash, bytes).unwrap();
            assert_eq!(predicted, cut.is_some());
            cuts += usize::from(cut.is_some());
        }
        assert!(cuts >= 5, "{cuts}");
    }

    #[test]
    fn default_xorbs_are_cut_at_16_mib_and_big_ones_at_64() {
        let data = random_bytes(12, 40 << 20);
        let up = session(Planner::new(PlannerConfig::default()), &[&data]);
        assert_eq!(up.xorbs.len(), 3);
        for x in &up.xorbs[..2] {
            assert!(
                x.raw_bytes() <= DEFAULT_XORB_BYTES && x.raw_bytes() > DEFAULT_XORB_BYTES - 131_072
            );
        }
        let config = PlannerConfig {
            max_xorb_bytes: MAX_XORB_BYTES,
            ..Default::default()
        };
        let up = session(Planner::new(config), &[&random_bytes(13, 66 << 20)]);
        assert_eq!(up.xorbs.len(), 2);
        assert!(up.xorbs[0].raw_bytes() > MAX_XORB_BYTES - 131_072);
    }

    #[test]
    fn reupload_with_a_dedup_answer_sends_nothing() {
        let data = random_bytes(7, 5 << 20);
        let first = session(Planner::new(PlannerConfig::default()), &[&data]);
        for key in [None, Some([9u8; 32])] {
            let mut p = Planner::new(PlannerConfig::default());
            p.set_now(100);
            p.add_dedup_shard(&dedup_answer(&first, key, 1000));
            let again = session(p, &[&data]);
            assert!(again.xorbs.is_empty(), "key {key:?}");
            assert_eq!(again.files[0].dedup_bytes, 5 << 20);
            assert_eq!(again.files[0].hash, first.files[0].hash);
            assert!(again.shards[0].xorbs.is_empty(), "no new xorb listed");
            let info = file_info(&again.shards, &again.files[0].hash);
            let refs: Vec<&SerializedXorb> = first.xorbs.iter().collect();
            assert_eq!(reconstruct(info, &refs), data);
            assert_eq!(info.terms.len(), 1);
        }
    }

    #[test]
    fn zero_expiry_means_none() {
        let data = random_bytes(9, 1 << 20);
        let first = session(Planner::new(PlannerConfig::default()), &[&data]);
        let mut p = Planner::new(PlannerConfig::default());
        p.set_now(1_700_000_000);
        p.add_dedup_shard(&dedup_answer(&first, None, 0));
        assert_eq!(session(p, &[&data]).files[0].new_bytes, 0);
    }

    #[test]
    fn regression_soak_corrupted_dedup_listings_are_ignored() {
        // The fault campaign (tests/soak) flipped bytes in a global-dedup answer: the client
        // trusted the corrupted listing and committed a file pointing at a xorb that does not
        // exist. An unkeyed listing whose chunks do not aggregate to its xorb hash is ignored.
        let data = random_bytes(12, 1 << 20);
        let first = session(Planner::new(PlannerConfig::default()), &[&data]);
        let corruptions: [fn(&mut XorbInfo); 3] = [
            |x| x.xorb_hash = xet::chunk_hash(b"not this xorb"),
            |x| x.chunks[1].hash = xet::chunk_hash(b"not this chunk"),
            |x| x.chunks[0].len += 1,
        ];
        for corrupt in corruptions {
            let mut answer = dedup_answer(&first, None, 0);
            corrupt(&mut answer.xorbs[0]);
            let mut p = Planner::new(PlannerConfig::default());
            p.set_now(1_700_000_000);
            p.add_dedup_shard(&answer);
            assert_eq!(session(p, &[&data]).files[0].new_bytes, 1 << 20);
        }
        // The intact answer still deduplicates everything.
        let mut p = Planner::new(PlannerConfig::default());
        p.set_now(1_700_000_000);
        p.add_dedup_shard(&dedup_answer(&first, None, 0));
        assert_eq!(session(p, &[&data]).files[0].new_bytes, 0);
    }

    #[test]
    fn expired_dedup_answers_are_ignored() {
        let data = random_bytes(8, 1 << 20);
        let first = session(Planner::new(PlannerConfig::default()), &[&data]);
        let mut p = Planner::new(PlannerConfig::default());
        p.set_now(5000);
        p.add_dedup_shard(&dedup_answer(&first, Some([1; 32]), 1000));
        let again = session(p, &[&data]);
        assert_eq!(again.files[0].new_bytes, 1 << 20);
        // Also when the clock passes the expiry after ingesting.
        let mut p = Planner::new(PlannerConfig::default());
        p.set_now(10);
        p.add_dedup_shard(&dedup_answer(&first, None, 1000));
        p.set_now(2000);
        let again = session(p, &[&data]);
        assert_eq!(again.files[0].new_bytes, 1 << 20);
    }

    #[test]
    fn one_changed_byte_resends_about_one_chunk() {
        let data = random_bytes(10, 16 << 20);
        let first = session(Planner::new(PlannerConfig::default()), &[&data]);
        let mut changed = data.clone();
        changed[8 << 20] ^= 0x55;
        let mut p = Planner::new(PlannerConfig::default());
        p.add_dedup_shard(&dedup_answer(&first, Some([3; 32]), u64::MAX));
        let second = session(p, &[&changed]);
        let sent: usize = second.xorbs.iter().map(|x| x.data.len()).sum();
        assert!(sent < 2 * 131_072 + 64, "sent {sent}");
        let refs: Vec<&SerializedXorb> = first.xorbs.iter().chain(&second.xorbs).collect();
        assert_eq!(
            reconstruct(file_info(&second.shards, &second.files[0].hash), &refs),
            changed
        );
        assert_eq!(
            file_info(&second.shards, &second.files[0].hash).terms.len(),
            3
        );
    }

    #[test]
    fn query_rule_first_chunk_then_spaced_eligible_chunks() {
        let mut p = Planner::new(PlannerConfig::default());
        let hashes: Vec<Hash> = (0u32..20_000)
            .map(|i| xet::chunk_hash(&i.to_le_bytes()))
            .collect();
        let eligible = *hashes
            .iter()
            .find(|h| xet::is_global_dedup_eligible(h))
            .unwrap();
        let plain = *hashes
            .iter()
            .find(|h| !xet::is_global_dedup_eligible(h))
            .unwrap();
        let mut t = QueryTracker::default();
        assert!(
            p.wants_query(&mut t, &plain),
            "the first chunk is always a candidate"
        );
        // Eligible but too close to the first query.
        assert!(!p.wants_query(&mut t, &eligible));
        for _ in 2..QUERY_SPACING {
            assert!(!p.wants_query(&mut t, &plain), "not eligible");
        }
        assert!(
            p.wants_query(&mut t, &eligible),
            "eligible, {QUERY_SPACING} chunks later"
        );
        assert!(!p.wants_query(&mut t, &eligible), "spacing restarts");
        // A chunk the session already knows is never queried.
        let mut f = p.start_file();
        p.add_chunk(&mut f, plain, &[0u8; 10]).unwrap();
        assert!(!p.wants_query(&mut QueryTracker::default(), &plain));
        let other = *hashes
            .iter()
            .rev()
            .find(|h| !xet::is_global_dedup_eligible(h))
            .unwrap();
        assert!(p.wants_query(&mut QueryTracker::default(), &other));
        // A hash already asked about in this session is not asked again.
        assert!(!p.wants_query(&mut QueryTracker::default(), &other));
        assert!(!p.wants_query(&mut QueryTracker::default(), &eligible));
    }

    #[test]
    fn empty_file_and_sha256() {
        let data = random_bytes(11, 100_000);
        let up = session(
            Planner::new(PlannerConfig {
                sha256: true,
                ..Default::default()
            }),
            &[b"", &data],
        );
        assert_eq!(up.files[0].hash, Hash::ZERO);
        assert_eq!(up.files[0].size, 0);
        let empty = file_info(&up.shards, &Hash::ZERO);
        assert!(empty.terms.is_empty());
        let expected: [u8; 32] = sha2::Sha256::digest(&data).into();
        assert_eq!(up.files[1].sha256, Some(expected));
        assert_eq!(
            file_info(&up.shards, &up.files[1].hash).sha256,
            Some(expected)
        );
        let e: [u8; 32] = sha2::Sha256::digest(b"").into();
        assert_eq!(empty.sha256, Some(e));
    }

    #[test]
    fn big_sessions_split_the_shard() {
        let files: Vec<Vec<u8>> = (0..400).map(|i| random_bytes(100 + i, 100_000)).collect();
        let refs: Vec<&[u8]> = files.iter().map(|f| f.as_slice()).collect();
        let config = PlannerConfig {
            max_xorb_bytes: 150_000,
            max_shard_bytes: 64 << 10,
            ..Default::default()
        };
        let mut planner = Planner::new(config);
        let mut xorbs = Vec::new();
        let finished: Vec<FinishedFile> = refs
            .iter()
            .map(|d| feed(&mut planner, d, &mut xorbs))
            .collect();
        let end = planner.finish().unwrap();
        xorbs.extend(end.last_xorb);
        assert!(end.shards.len() > 1);
        assert!(end.shards.iter().all(|s| s.len() <= 64 << 10));
        let shards: Vec<Shard> = end.shards.iter().map(|b| parse_shard(b).unwrap()).collect();
        assert_eq!(shards.iter().map(|s| s.files.len()).sum::<usize>(), 400);
        assert_eq!(
            shards.iter().map(|s| s.xorbs.len()).sum::<usize>(),
            xorbs.len()
        );
        let xrefs: Vec<&SerializedXorb> = xorbs.iter().collect();
        for (f, data) in finished.iter().zip(&files) {
            assert_eq!(&reconstruct(file_info(&shards, &f.hash), &xrefs), data);
        }
    }

    #[test]
    fn oversized_chunk_is_an_error() {
        let mut p = Planner::new(PlannerConfig::default());
        let mut f = p.start_file();
        let big = vec![0u8; xet::chunker::MAX_CHUNK_SIZE + 1];
        assert!(matches!(
            p.add_chunk(&mut f, Hash::ZERO, &big),
            Err(xet::FormatError::ChunkTooLarge { .. })
        ));
    }
}
