//! The upload pipeline: sources → chunks → [`Planner`] → concurrent xorb uploads → shard
//! (xet spec §8; buckets flows 1–2 up to, not including, the batch commit).
//!
//! One loop drives everything, on one thread (wasm has one):
//! - up to [`UploadOptions::max_reads_in_flight`] sources are open and read at once (one piece
//!   in flight each), so a batch of many small files is not a chain of open → read → close
//!   round trips; each is chunked and hashed as its pieces arrive. Chunks reach the planner in
//!   input order: those of a file read ahead of the first unfinished one are held until it
//!   ends. Reading is bounded by bytes, not by file count: the first unfinished file reads while
//!   fewer than [`UploadOptions::lookahead_bytes`] of chunks wait for a decision, the files
//!   after it only while the chunks waiting plus those held stay under the same budget, so a
//!   fast source never runs ahead of the network (backpressure) and the files read ahead never
//!   starve the one the planner waits for;
//! - global-dedup queries (§8.1 step 3) are issued as chunks are hashed and sent in the
//!   background, at most [`UploadOptions::max_queries_in_flight`] at a time (the others wait in
//!   a queue); a chunk is handed to the planner only once every query issued before it has been
//!   answered, so the answers can still deduplicate it;
//! - cut xorbs are uploaded at most [`UploadOptions::max_xorbs_in_flight`] at a time; a chunk
//!   that would finish the xorb being filled waits while every slot is busy, so memory holds at
//!   most `max_xorbs_in_flight` xorbs being sent, the one being filled, and the lookahead;
//! - at the end the last xorb is uploaded, then the shard(s). Nothing is committed here: the
//!   caller commits to the Hub only after this returned `Ok`, so a failed or aborted upload
//!   leaves the bucket unchanged.
//!
//! Small files share xorbs: the planner appends every new chunk to the open xorb whatever file
//! it comes from, so 1,000 files of 4 KiB make one xorb, not 1,000. What is kept per file for
//! the whole call is its report line, its terms, four counters and (once) its first chunk's
//! hash; a Node process uploading 100,000 files of 1 KiB in one call peaked at 409 MiB RSS
//! (one file: 80 MiB; 10,000 files: 205 MiB).
//!
//! Progress is reported in bytes (read, hashed, deduplicated, new, uploaded, sent), throttled.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::rc::Rc;
use std::task::Poll;

use bytes::Bytes;
use futures_util::future::LocalBoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use xet::chunker::Chunk;
use xet::shard::Shard;
use xet::xorb::SerializedXorb;
use xet::Hash;
use xet::Stitcher;

use super::cache::ShardCache;
use super::plan::{FileCursor, Planner, PlannerConfig, QueryTracker};
use crate::cas::CasClient;
use crate::error::Error;
use crate::transport::Cancel;

/// A piece of a source, perhaps with its chunks already found on another thread.
#[derive(Debug, Clone, Default)]
pub struct Piece {
    /// The bytes.
    pub bytes: Bytes,
    /// [`xet::pack_chunks`] records of [`xet::chunk_segment`] run over exactly these bytes (a
    /// worker's job: the same code on another thread), or `None`. The upload stitches them in
    /// ([`xet::Stitcher`]), so it chunks and hashes only the bytes near the piece's edges itself;
    /// records that do not tile the piece (torn, or running past its end) are ignored and the
    /// piece is chunked here.
    pub chunks: Option<Bytes>,
}

/// A byte source read in order, a piece at a time.
#[async_trait::async_trait(?Send)]
pub trait Source {
    /// The next piece, or `None` at the end. Empty pieces are allowed.
    async fn read(&mut self) -> Result<Option<Bytes>, Error>;

    /// The next piece with its chunks when the source has them (see [`Piece`]); by default
    /// [`Source::read`] without.
    async fn read_piece(&mut self) -> Result<Option<Piece>, Error> {
        Ok(self.read().await?.map(|bytes| Piece {
            bytes,
            chunks: None,
        }))
    }

    /// What the source knows about itself (a file name, a modification time), once the first
    /// [`Source::read`] returned; used for the defaults of a commit (see `upload::commit`).
    fn meta(&self) -> SourceMeta {
        SourceMeta::default()
    }
}

/// What a source told about itself (for `mtime` and content-type defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMeta {
    /// A file name (e.g. of a `File` or a path), for the MIME guess.
    pub name: Option<String>,
    /// Modification time, ms since 1970.
    pub mtime_ms: Option<i64>,
}

/// An in-memory source, handed out in pieces of at most `piece` bytes (zero-copy slices).
#[derive(Debug, Clone)]
pub struct BytesSource {
    data: Bytes,
    piece: usize,
}

impl BytesSource {
    /// A source over `data`.
    pub fn new(data: impl Into<Bytes>, piece: usize) -> BytesSource {
        BytesSource {
            data: data.into(),
            piece: piece.max(1),
        }
    }
}

#[async_trait::async_trait(?Send)]
impl Source for BytesSource {
    async fn read(&mut self) -> Result<Option<Bytes>, Error> {
        if self.data.is_empty() {
            return Ok(None);
        }
        let n = self.piece.min(self.data.len());
        Ok(Some(self.data.split_to(n)))
    }
}

/// One file to upload.
pub struct UploadFile {
    /// Its destination path (only echoed in the report).
    pub path: String,
    /// Its bytes.
    pub source: Box<dyn Source>,
}

/// Tunables of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadOptions {
    /// Xorb packing, compression and shard options.
    pub planner: PlannerConfig,
    /// Xorb uploads in flight at once.
    pub max_xorbs_in_flight: usize,
    /// Sources open and being read at once (each with at most one piece in flight).
    pub max_reads_in_flight: usize,
    /// Global-dedup queries in flight at once.
    pub max_queries_in_flight: usize,
    /// Read chunks that may wait for a dedup answer or a free upload slot.
    pub lookahead_bytes: u64,
    /// Ask the CAS's global-dedup index (§6.10).
    pub global_dedup: bool,
    /// Minimum time between two progress reports, in ms (file ends and the end always report).
    pub progress_interval_ms: u64,
}

impl UploadOptions {
    /// Most xorb uploads in flight a caller may ask for.
    pub const MAX_XORB_CONCURRENCY: u64 = 16;

    /// With `n` xorb uploads in flight, kept to 1 ..= [`Self::MAX_XORB_CONCURRENCY`] (each
    /// holds one xorb, 16 MiB by default, in memory).
    #[must_use]
    pub fn with_xorb_concurrency(mut self, n: u64) -> UploadOptions {
        self.max_xorbs_in_flight = n.clamp(1, Self::MAX_XORB_CONCURRENCY) as usize;
        self
    }

    /// Most sources a caller may have read at once.
    pub const MAX_READ_CONCURRENCY: u64 = 64;

    /// With `n` sources read at once, kept to 1 ..= [`Self::MAX_READ_CONCURRENCY`] (memory is
    /// bounded by [`Self::lookahead_bytes`] whatever `n`).
    #[must_use]
    pub fn with_read_concurrency(mut self, n: u64) -> UploadOptions {
        self.max_reads_in_flight = n.clamp(1, Self::MAX_READ_CONCURRENCY) as usize;
        self
    }
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            planner: PlannerConfig::default(),
            max_xorbs_in_flight: 2,
            max_reads_in_flight: 16,
            max_queries_in_flight: 32,
            lookahead_bytes: 16 << 20,
            global_dedup: true,
            progress_interval_ms: 100,
        }
    }
}

/// The result for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// The destination path given.
    pub path: String,
    /// Its Xet hash (the `xetHash` of the batch `addFile` line).
    pub hash: Hash,
    /// Size in bytes.
    pub size: u64,
    /// Bytes stored as new data.
    pub new_bytes: u64,
    /// Bytes found already stored.
    pub dedup_bytes: u64,
    /// SHA-256, when asked for.
    pub sha256: Option<[u8; 32]>,
}

/// What an upload did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadReport {
    /// Per file, in input order.
    pub files: Vec<UploadedFile>,
    /// Bytes read from all sources.
    pub bytes: u64,
    /// Bytes stored as new chunk data.
    pub new_bytes: u64,
    /// Bytes deduplicated (in this session or against the CAS).
    pub dedup_bytes: u64,
    /// Serialized xorb bytes sent (after compression).
    pub xorb_bytes_sent: u64,
    /// Shard bytes sent.
    pub shard_bytes_sent: u64,
    /// Xorbs uploaded.
    pub xorbs: usize,
    /// Xorbs the CAS already had.
    pub xorbs_already_stored: usize,
    /// Global-dedup queries sent, and how many found something.
    pub dedup_queries: usize,
    /// Queries answered with a shard.
    pub dedup_hits: usize,
    /// Queries answered by the local shard cache instead (not sent, not in `dedup_queries`).
    pub dedup_cache_hits: usize,
}

impl UploadReport {
    /// Bytes sent to the CAS in all (xorbs and shards).
    pub fn bytes_sent(&self) -> u64 {
        self.xorb_bytes_sent + self.shard_bytes_sent
    }
}

/// Byte counters reported during an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UploadProgress {
    /// Index of the file this event is about.
    pub file: usize,
    /// That file's bytes read / hashed / deduplicated / stored as new data so far.
    pub file_bytes_read: u64,
    /// See `file_bytes_read`.
    pub file_bytes_hashed: u64,
    /// See `file_bytes_read`.
    pub file_bytes_deduplicated: u64,
    /// See `file_bytes_read`.
    pub file_bytes_new: u64,
    /// Whether the file is fully read and planned.
    pub file_done: bool,
    /// Totals over all files: bytes read.
    pub bytes_read: u64,
    /// Bytes chunked and hashed.
    pub bytes_hashed: u64,
    /// Bytes found already stored.
    pub bytes_deduplicated: u64,
    /// Bytes that need uploading (new data).
    pub bytes_new: u64,
    /// New bytes uploaded so far: each xorb's new bytes count in proportion to its request body
    /// sent (byte by byte where the transport streams bodies, at its end elsewhere).
    pub bytes_uploaded: u64,
    /// Serialized bytes sent so far (xorbs and shards).
    pub bytes_sent: u64,
}

/// Receives upload progress.
pub type ProgressFn = Rc<dyn Fn(&UploadProgress)>;

/// Shared progress state: the pipeline updates the counters, xorb uploads report the bytes
/// their request bodies have sent (from inside the transport), and either side may emit a
/// (throttled) event.
struct Meter {
    ev: RefCell<UploadProgress>,
    /// Xorb uploads in flight: id → (bytes sent, serialized length, raw bytes).
    xorbs: RefCell<HashMap<u64, (u64, u64, u64)>>,
    done_sent: Cell<u64>,
    done_raw: Cell<u64>,
    sink: Option<ProgressFn>,
    interval_ms: u64,
    last_ms: Cell<Option<u64>>,
    http: Rc<dyn crate::transport::HttpClient>,
}

impl Meter {
    fn report(&self, force: bool) {
        let Some(sink) = &self.sink else { return };
        let now = self.http.now_ms();
        let due = self
            .last_ms
            .get()
            .is_none_or(|l| now.saturating_sub(l) >= self.interval_ms);
        if !(due || force) {
            return;
        }
        self.last_ms.set(Some(now));
        let mut ev = *self.ev.borrow();
        let (mut sent, mut raw) = (self.done_sent.get(), self.done_raw.get());
        for &(s, len, r) in self.xorbs.borrow().values() {
            sent += s;
            // New bytes count as uploaded in proportion to their xorb's bytes sent.
            raw += if len == 0 {
                0
            } else {
                (u128::from(r) * u128::from(s.min(len)) / u128::from(len)) as u64
            };
        }
        ev.bytes_sent = sent;
        ev.bytes_uploaded = raw;
        sink(&ev);
    }

    fn xorb_sent(&self, id: u64, bytes: u64) {
        if let Some(x) = self.xorbs.borrow_mut().get_mut(&id) {
            // Monotonic even when a retry starts the body again.
            x.0 = x.0.max(bytes);
        }
        self.report(false);
    }

    fn xorb_done(&self, id: u64) {
        if let Some((_, len, raw)) = self.xorbs.borrow_mut().remove(&id) {
            self.done_sent.set(self.done_sent.get() + len);
            self.done_raw.set(self.done_raw.get() + raw);
        }
    }
}

enum Pending {
    Start,
    Chunk {
        file: usize,
        hash: Hash,
        data: Bytes,
        after_queries: u64,
    },
    End {
        index: usize,
    },
}

/// Splits pieces into chunks, keeping the bytes of the chunk in progress.
struct Splitter {
    stitcher: Stitcher,
    /// A piece's unpacked chunks from another thread, and the true chunks of a piece.
    given: Vec<Chunk>,
    done: Vec<Chunk>,
    /// Bytes of the chunk in progress (before the current piece).
    carry: Vec<u8>,
    /// File offset of the next piece.
    offset: u64,
}

impl Splitter {
    fn new() -> Splitter {
        Splitter {
            stitcher: Stitcher::new(),
            given: Vec::new(),
            done: Vec::new(),
            carry: Vec::new(),
            offset: 0,
        }
    }

    /// Feeds a piece (with the chunks another thread found in it, if any); returns the chunks
    /// it completed with their bytes.
    fn push(&mut self, piece: &Bytes, chunks: Option<&[u8]>, out: &mut Vec<(Hash, Bytes)>) {
        self.done.clear();
        self.stitcher
            .push_packed(piece, chunks, &mut self.given, &mut self.done);
        let piece_offset = self.offset;
        self.offset += piece.len() as u64;
        let mut consumed = 0usize; // bytes of `piece` already attributed to a chunk
        for c in self.done.drain(..) {
            let end = c.offset + u64::from(c.len);
            if c.offset >= piece_offset && self.carry.is_empty() {
                let lo = (c.offset - piece_offset) as usize;
                let hi = (end - piece_offset) as usize;
                out.push((c.hash, piece.slice(lo..hi)));
                consumed = hi;
            } else {
                // The chunk started in an earlier piece.
                let hi = (end - piece_offset) as usize;
                let mut data = std::mem::take(&mut self.carry);
                data.extend_from_slice(piece.get(consumed..hi).unwrap_or_default());
                out.push((c.hash, Bytes::from(data)));
                consumed = hi;
            }
        }
        self.carry
            .extend_from_slice(piece.get(consumed..).unwrap_or_default());
    }

    /// Ends the file: the last chunk, if any.
    fn finish(&mut self, out: &mut Vec<(Hash, Bytes)>) {
        self.done.clear();
        self.stitcher.finish(&mut self.done);
        if let Some(c) = self.done.pop() {
            out.push((c.hash, Bytes::from(std::mem::take(&mut self.carry))));
        }
    }
}

/// A finished read: (file index, its source, the piece).
type ReadFuture = LocalBoxFuture<'static, (usize, Box<dyn Source>, Result<Option<Piece>, Error>)>;
/// A global-dedup answer (boxed: a parsed shard is large).
type QueryFuture = LocalBoxFuture<'static, (u64, Result<Option<Box<Shard>>, Error>)>;
/// A finished xorb upload: (id, bytes sent, inserted, the buffer to reuse).
type XorbDone = (u64, u64, bool, Option<Vec<u8>>);
type XorbFuture = LocalBoxFuture<'static, Result<XorbDone, Error>>;

enum Event {
    Read(usize, Box<dyn Source>, Result<Option<Piece>, Error>),
    Query(u64, Result<Option<Box<Shard>>, Error>),
    Uploaded(Result<XorbDone, Error>),
}

/// A file being read.
struct Reading {
    index: usize,
    /// The source, unless a read is in flight or it ended.
    source: Option<Box<dyn Source>>,
    splitter: Splitter,
    tracker: QueryTracker,
    /// Chunks read before the file became the first one (handed over in order when it does).
    held: Vec<Pending>,
    held_bytes: u64,
    /// Whether its `Pending::Start` was queued (its chunks go straight to the planner's queue).
    started: bool,
    /// Whether its source ended (every chunk is queued or held).
    ended: bool,
}

/// Moves the files at the front along: the first file is started (its held chunks queued for
/// the planner), and once it ended its end is queued and the next one becomes first.
fn promote(st: &mut Run<'_>, reading: &mut VecDeque<Reading>, held_bytes: &mut u64) {
    while let Some(r) = reading.front_mut() {
        if !r.started {
            r.started = true;
            st.pending.push_back(Pending::Start);
            st.pending_bytes += r.held_bytes;
            *held_bytes -= r.held_bytes;
            r.held_bytes = 0;
            st.pending.extend(r.held.drain(..));
            st.focus(r.index);
            st.meter.ev.borrow_mut().file_done = false;
        }
        if !r.ended {
            break;
        }
        st.pending.push_back(Pending::End { index: r.index });
        reading.pop_front();
    }
}

struct Run<'a> {
    cas: &'a Rc<CasClient>,
    options: UploadOptions,
    cancel: Cancel,
    planner: Planner,
    report: UploadReport,
    meter: Rc<Meter>,
    next_xorb_id: u64,
    pending: VecDeque<Pending>,
    pending_bytes: u64,
    queries_issued: u64,
    unresolved: BTreeSet<u64>,
    /// Queries issued but not sent yet (more than `max_queries_in_flight`): (seq, hash).
    query_queue: VecDeque<(u64, Hash)>,
    queries: FuturesUnordered<QueryFuture>,
    xorb_queue: VecDeque<SerializedXorb>,
    uploads: FuturesUnordered<XorbFuture>,
    cursor: Option<FileCursor>,
    /// Per-file counters: read, hashed, deduplicated, new.
    per_file: Vec<[u64; 4]>,
    /// The local shard cache and the CAS URL its entries are kept under.
    cache: Option<(Rc<dyn ShardCache>, String)>,
}

impl Run<'_> {
    /// Points the progress event at file `index` (its own counters).
    fn focus(&mut self, index: usize) {
        let c = self.per_file.get(index).copied().unwrap_or_default();
        let mut ev = self.meter.ev.borrow_mut();
        ev.file = index;
        ev.file_bytes_read = c[0];
        ev.file_bytes_hashed = c[1];
        ev.file_bytes_deduplicated = c[2];
        ev.file_bytes_new = c[3];
    }

    fn count(&mut self, index: usize, slot: usize, n: u64) {
        if let Some(c) = self.per_file.get_mut(index).and_then(|c| c.get_mut(slot)) {
            *c += n;
        }
    }

    fn report_progress(&mut self, force: bool) {
        self.meter.report(force);
    }

    fn start_upload(&mut self, xorb: SerializedXorb) {
        let cas = self.cas.clone();
        let cancel = self.cancel.clone();
        let raw = xorb.raw_bytes();
        let len = xorb.data.len() as u64;
        let id = self.next_xorb_id;
        self.next_xorb_id += 1;
        self.meter.xorbs.borrow_mut().insert(id, (0, len, raw));
        let meter = self.meter.clone();
        let progress: Rc<dyn Fn(u64)> = Rc::new(move |sent| meter.xorb_sent(id, sent));
        let fut = async move {
            let body = Bytes::from(xorb.data);
            let inserted = cas
                .upload_xorb(&xorb.hash, body.clone(), Some(progress), &cancel)
                .await?;
            // The transport dropped its clones: take the buffer back for the next xorbs.
            let buffer = body.try_into_mut().ok().map(Vec::from);
            Ok((id, len, inserted, buffer))
        };
        self.uploads.push(fut.boxed_local());
    }

    /// Issues a global-dedup query: it gets its place in the order now (chunks hashed after it
    /// wait for its answer) and is sent when a query slot is free ([`Run::send_queries`]).
    fn issue_query(&mut self, hash: Hash) {
        // A shard of an earlier session that lists the chunk answers it here (same effect as
        // the CAS's answer; a cached entry that does not parse is left for the CAS).
        let cached = self
            .cache
            .as_ref()
            .and_then(|(cache, url)| cache.lookup(url, &hash))
            .and_then(|bytes| xet::shard::parse_shard(&bytes).ok());
        if let Some(shard) = cached {
            self.report.dedup_cache_hits += 1;
            self.planner.set_now(self.cas.http().now_ms() / 1000);
            self.planner.add_dedup_shard(&shard);
            return;
        }
        let seq = self.queries_issued;
        self.queries_issued += 1;
        self.unresolved.insert(seq);
        self.report.dedup_queries += 1;
        self.query_queue.push_back((seq, hash));
        self.send_queries();
    }

    fn send_queries(&mut self) {
        while self.queries.len() < self.options.max_queries_in_flight.max(1) {
            let Some((seq, hash)) = self.query_queue.pop_front() else {
                break;
            };
            let cas = self.cas.clone();
            let cancel = self.cancel.clone();
            self.queries.push(
                async move {
                    let answer = cas.query_chunk(&hash, &cancel).await;
                    (seq, answer.map(|shard| shard.map(Box::new)))
                }
                .boxed_local(),
            );
        }
    }

    /// Hands decided-on items to the planner, in order, while allowed.
    fn assign(&mut self, names: &[String]) -> Result<(), Error> {
        let min_unresolved = self.unresolved.first().copied().unwrap_or(u64::MAX);
        while let Some(front) = self.pending.front() {
            // A cut xorb is waiting for an upload slot: add nothing more (bounded memory).
            if !self.xorb_queue.is_empty() {
                break;
            }
            if let Pending::Chunk {
                after_queries,
                hash,
                data,
                ..
            } = front
            {
                if *after_queries > min_unresolved {
                    break;
                }
                // This chunk would finish a xorb while every upload slot is busy: wait, so that
                // memory holds the xorbs being uploaded plus the one being filled, no more.
                let slots_busy = self.uploads.len() >= self.options.max_xorbs_in_flight.max(1);
                if slots_busy
                    && self
                        .cursor
                        .as_ref()
                        .is_some_and(|c| self.planner.would_cut(c, hash, data.len()))
                {
                    break;
                }
            }
            let Some(item) = self.pending.pop_front() else {
                break;
            };
            match item {
                Pending::Start => self.cursor = Some(self.planner.start_file()),
                Pending::Chunk {
                    file, hash, data, ..
                } => {
                    self.pending_bytes -= data.len() as u64;
                    let Some(cursor) = self.cursor.as_mut() else {
                        return Err(Error::internal("chunk outside a file"));
                    };
                    let before = cursor.size();
                    let dedup_before = cursor.dedup_bytes();
                    let cut = self
                        .planner
                        .add_chunk(cursor, hash, &data)
                        .map_err(|e| Error::internal_from("the planner refused a chunk", e))?;
                    let dedup_now = cursor.dedup_bytes();
                    let len = cursor.size() - before;
                    if dedup_now > dedup_before {
                        self.count(file, 2, len);
                        self.meter.ev.borrow_mut().bytes_deduplicated += len;
                    } else {
                        self.count(file, 3, len);
                        self.meter.ev.borrow_mut().bytes_new += len;
                    }
                    if let Some(x) = cut {
                        self.xorb_queue.push_back(x);
                    }
                }
                Pending::End { index } => {
                    let Some(cursor) = self.cursor.take() else {
                        return Err(Error::internal("file end outside a file"));
                    };
                    let f = self.planner.finish_file(cursor);
                    self.report.new_bytes += f.new_bytes;
                    self.report.dedup_bytes += f.dedup_bytes;
                    self.report.files.push(UploadedFile {
                        path: names.get(index).cloned().unwrap_or_default(),
                        hash: f.hash,
                        size: f.size,
                        new_bytes: f.new_bytes,
                        dedup_bytes: f.dedup_bytes,
                        sha256: f.sha256,
                    });
                    let reading = {
                        let ev = self.meter.ev.borrow();
                        (ev.file, ev.file_done)
                    };
                    self.focus(index);
                    self.meter.ev.borrow_mut().file_done = true;
                    self.report_progress(true);
                    // Back to the file being read.
                    self.focus(reading.0);
                    self.meter.ev.borrow_mut().file_done = reading.1;
                }
            }
        }
        Ok(())
    }

    fn start_uploads(&mut self) {
        while self.uploads.len() < self.options.max_xorbs_in_flight.max(1) {
            let Some(x) = self.xorb_queue.pop_front() else {
                break;
            };
            self.start_upload(x);
        }
    }

    fn on_uploaded(&mut self, id: u64, sent: u64, inserted: bool) {
        self.report.xorbs += 1;
        if !inserted {
            self.report.xorbs_already_stored += 1;
        }
        self.report.xorb_bytes_sent += sent;
        self.meter.xorb_done(id);
        self.report_progress(false);
    }
}

/// Uploads `files` in one session: every xorb and the shard, but no Hub commit.
///
/// # Errors
/// Source errors, CAS errors after retries, [`Error::Aborted`] when `cancel` fires. Nothing is
/// committed in any case.
pub async fn upload_files(
    cas: &Rc<CasClient>,
    files: Vec<UploadFile>,
    options: UploadOptions,
    progress: Option<ProgressFn>,
    cancel: &Cancel,
) -> Result<UploadReport, Error> {
    upload_files_cached(cas, files, options, progress, None, cancel).await
}

/// [`upload_files`] with a local shard cache: dedup queries it answers are not sent, and the
/// session's shards are kept in it once the CAS accepted them (see [`super::cache`]).
///
/// # Errors
/// As [`upload_files`].
pub async fn upload_files_cached(
    cas: &Rc<CasClient>,
    files: Vec<UploadFile>,
    options: UploadOptions,
    progress: Option<ProgressFn>,
    cache: Option<Rc<dyn ShardCache>>,
    cancel: &Cancel,
) -> Result<UploadReport, Error> {
    let cancel = cancel.child();
    let result =
        crate::transport::with_cancel(run(cas, files, options, progress, cache, &cancel), &cancel)
            .await;
    // Stop whatever is still in flight (on error).
    cancel.cancel();
    result?
}

/// The files still to open, in input order, with their indexes.
type Sources = std::iter::Enumerate<std::vec::IntoIter<Box<dyn Source>>>;

/// What the upload loop keeps between events, besides [`Run`].
struct Loop {
    sources: Sources,
    /// The files being read, in input order; the first is the one the planner takes chunks from.
    reading: VecDeque<Reading>,
    /// Chunk bytes held by files read ahead of the first.
    held_bytes: u64,
    readers: FuturesUnordered<ReadFuture>,
    chunks: Vec<(Hash, Bytes)>,
    max_reads: usize,
    /// Queries issued but not answered: past this, reading waits (bounds the queue's memory
    /// when every file is tiny and every answer slow).
    max_unresolved: usize,
}

/// The upload loop: reads, queries and xorb uploads until every file is planned and every xorb
/// but the last one is uploaded. What each event does is in the functions after this one, out
/// of line: this state machine is polled at every event, so it is kept small (an engine
/// optimises the code that runs often, and pays for it by the size of the function).
async fn drive(st: &mut Run<'_>, names: &[String], sources: Sources) -> Result<(), Error> {
    let http = st.cas.http().clone();
    let cancel = st.cancel.clone();
    let mut last_yield = http.now_ms();
    let yield_every = http.yield_every_ms();
    let mut lp = Loop {
        sources,
        reading: VecDeque::new(),
        held_bytes: 0,
        readers: FuturesUnordered::new(),
        chunks: Vec::new(),
        max_reads: st.options.max_reads_in_flight.max(1),
        max_unresolved: st.options.max_queries_in_flight.max(1).saturating_mul(32),
    };
    while start_work(st, names, &mut lp)? {
        // Queries and uploads are polled before the readers: a future pushed into them does
        // nothing until its first poll (that is what sends its request), and sources that
        // answer at once would otherwise keep every query of a batch of small files unsent
        // until the last file was read.
        let event = std::future::poll_fn(|cx| {
            if let Poll::Ready(Some((seq, result))) = st.queries.poll_next_unpin(cx) {
                return Poll::Ready(Event::Query(seq, result));
            }
            if let Poll::Ready(Some(result)) = st.uploads.poll_next_unpin(cx) {
                return Poll::Ready(Event::Uploaded(result));
            }
            if let Poll::Ready(Some((index, source, result))) = lp.readers.poll_next_unpin(cx) {
                return Poll::Ready(Event::Read(index, source, result));
            }
            Poll::Pending
        })
        .await;
        let read = matches!(event, Event::Read(..));
        on_event(st, &mut lp, event)?;
        // After a read, give the event loop a turn now and then so network I/O progresses
        // while we hash (in wasm, this loop and the network share one thread).
        if read {
            let now = http.now_ms();
            if now.saturating_sub(last_yield) >= yield_every
                && !(st.uploads.is_empty() && st.queries.is_empty())
            {
                crate::transport::sleep(&*http, 0, &cancel).await?;
                last_yield = http.now_ms();
            }
        }
    }
    Ok(())
}

/// Hands decided items to the planner, starts uploads, queries and reads where there is room;
/// `false` when everything is done.
#[inline(never)]
fn start_work(st: &mut Run<'_>, names: &[String], lp: &mut Loop) -> Result<bool, Error> {
    st.assign(names)?;
    st.start_uploads();
    st.send_queries();

    // Open more files while there is room; then start reads where the budget allows.
    while lp.reading.len() < lp.max_reads
        && st.pending_bytes + lp.held_bytes < st.options.lookahead_bytes
    {
        let Some((index, source)) = lp.sources.next() else {
            break;
        };
        lp.reading.push_back(Reading {
            index,
            source: Some(source),
            splitter: Splitter::new(),
            tracker: QueryTracker::default(),
            held: Vec::new(),
            held_bytes: 0,
            started: false,
            ended: false,
        });
    }
    promote(st, &mut lp.reading, &mut lp.held_bytes);
    if st.unresolved.len() < lp.max_unresolved {
        for (i, r) in lp.reading.iter_mut().enumerate() {
            let budget_used = if i == 0 {
                st.pending_bytes
            } else {
                st.pending_bytes + lp.held_bytes
            };
            if budget_used >= st.options.lookahead_bytes {
                continue;
            }
            if let Some(mut source) = r.source.take() {
                let index = r.index;
                lp.readers.push(
                    async move {
                        let result = source.read_piece().await;
                        (index, source, result)
                    }
                    .boxed_local(),
                );
            }
        }
    }
    Ok(!(lp.readers.is_empty()
        && lp.reading.is_empty()
        && st.pending.is_empty()
        && st.queries.is_empty()
        && st.query_queue.is_empty()
        && st.uploads.is_empty()
        && st.xorb_queue.is_empty()))
}

/// Takes in one event: a piece read (chunked, hashed, queued), a dedup answer, an upload done.
#[inline(never)]
fn on_event(st: &mut Run<'_>, lp: &mut Loop, event: Event) -> Result<(), Error> {
    match event {
        Event::Read(index, source, result) => {
            let piece = result?;
            let first = lp.reading.front().map_or(0, |r| r.index);
            let Some(r) = index
                .checked_sub(first)
                .and_then(|at| lp.reading.get_mut(at))
            else {
                return Err(Error::internal("read without a file"));
            };
            let chunks = &mut lp.chunks;
            chunks.clear();
            match piece {
                Some(Piece {
                    bytes: piece,
                    chunks: given,
                }) => {
                    r.source = Some(source);
                    st.count(index, 0, piece.len() as u64);
                    st.meter.ev.borrow_mut().bytes_read += piece.len() as u64;
                    st.report.bytes += piece.len() as u64;
                    r.splitter.push(&piece, given.as_deref(), chunks);
                }
                None => {
                    drop(source);
                    r.splitter.finish(chunks);
                    r.ended = true;
                }
            }
            for (hash, data) in chunks.drain(..) {
                let len = data.len() as u64;
                if st.options.global_dedup && st.planner.wants_query(&mut r.tracker, &hash) {
                    st.issue_query(hash);
                }
                st.count(index, 1, len);
                st.meter.ev.borrow_mut().bytes_hashed += len;
                let chunk = Pending::Chunk {
                    file: index,
                    hash,
                    data,
                    after_queries: st.queries_issued,
                };
                if r.started {
                    st.pending_bytes += len;
                    st.pending.push_back(chunk);
                } else {
                    r.held_bytes += len;
                    lp.held_bytes += len;
                    r.held.push(chunk);
                }
            }
            promote(st, &mut lp.reading, &mut lp.held_bytes);
            // The event is about the file just read (its counters as they are now).
            st.focus(index);
            st.meter.ev.borrow_mut().file_done = false;
            st.report_progress(false);
        }
        Event::Query(seq, result) => {
            st.unresolved.remove(&seq);
            if let Some(shard) = result? {
                st.report.dedup_hits += 1;
                st.planner.set_now(st.cas.http().now_ms() / 1000);
                st.planner.add_dedup_shard(&shard);
            }
        }
        Event::Uploaded(result) => {
            let (id, sent, inserted, buffer) = result?;
            st.on_uploaded(id, sent, inserted);
            if let Some(buffer) = buffer {
                st.planner.recycle(buffer);
            }
        }
    }
    Ok(())
}

async fn run(
    cas: &Rc<CasClient>,
    files: Vec<UploadFile>,
    options: UploadOptions,
    sink: Option<ProgressFn>,
    cache: Option<Rc<dyn ShardCache>>,
    cancel: &Cancel,
) -> Result<UploadReport, Error> {
    // The cache is per CAS: its URL comes with the token (which the queries need anyway).
    let cache = match cache {
        Some(cache) if options.global_dedup => Some((cache, cas.token(cancel).await?.cas_url)),
        _ => None,
    };
    let names: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    let mut planner = Planner::new(options.planner);
    planner.set_now(cas.http().now_ms() / 1000);
    let mut st = Run {
        cas,
        options,
        cancel: cancel.clone(),
        planner,
        report: UploadReport::default(),
        meter: Rc::new(Meter {
            ev: RefCell::new(UploadProgress::default()),
            xorbs: RefCell::new(HashMap::new()),
            done_sent: Cell::new(0),
            done_raw: Cell::new(0),
            sink,
            interval_ms: options.progress_interval_ms,
            last_ms: Cell::new(None),
            http: cas.http().clone(),
        }),
        next_xorb_id: 0,
        pending: VecDeque::new(),
        pending_bytes: 0,
        queries_issued: 0,
        unresolved: BTreeSet::new(),
        query_queue: VecDeque::new(),
        queries: FuturesUnordered::new(),
        xorb_queue: VecDeque::new(),
        uploads: FuturesUnordered::new(),
        cursor: None,
        per_file: vec![[0; 4]; files.len()],
        cache,
    };
    let sources: Vec<Box<dyn Source>> = files.into_iter().map(|f| f.source).collect();
    // The loop runs as a future of its own (boxed): its state machine, polled at every event,
    // stays small, apart from this setup and the finish below, which run once.
    drive(&mut st, &names, sources.into_iter().enumerate())
        .boxed_local()
        .await?;

    // All files planned and all xorbs uploaded: the last xorb, then the shard(s).
    let Run {
        planner,
        mut report,
        meter,
        cache,
        ..
    } = st;
    let session = planner
        .finish()
        .map_err(|e| Error::internal_from("the planner could not finish the session", e))?;
    if let Some(x) = session.last_xorb {
        let len = x.data.len() as u64;
        let id = u64::MAX;
        meter.xorbs.borrow_mut().insert(id, (0, len, x.raw_bytes()));
        let m = meter.clone();
        let progress: Rc<dyn Fn(u64)> = Rc::new(move |sent| m.xorb_sent(id, sent));
        let inserted = cas
            .upload_xorb(&x.hash, Bytes::from(x.data), Some(progress), cancel)
            .await?;
        report.xorbs += 1;
        report.xorbs_already_stored += usize::from(!inserted);
        report.xorb_bytes_sent += len;
        meter.xorb_done(id);
    }
    for shard in session.shards {
        let len = shard.len() as u64;
        let body = Bytes::from(shard);
        cas.upload_shard(body.clone(), cancel).await?;
        report.shard_bytes_sent += len;
        meter.done_sent.set(meter.done_sent.get() + len);
        if let Some((cache, url)) = &cache {
            if let Ok(parsed) = xet::shard::parse_shard(&body) {
                cache.store(url, &body, &super::cache::cache_keys(&parsed));
            }
        }
    }
    meter.report(true);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cas::mock::random_bytes;
    use crate::cas::mock::{client, CountingTokens, Fault, MockCas};
    use crate::transport::Method;

    fn files(list: &[(&str, &[u8])]) -> Vec<UploadFile> {
        list.iter()
            .map(|(p, d)| UploadFile {
                path: p.to_string(),
                source: Box::new(BytesSource::new(d.to_vec(), 300_000)),
            })
            .collect()
    }

    /// The stored bytes of an uploaded file, rebuilt by the mock.
    fn stored(mock: &MockCas, f: &UploadedFile) -> Vec<u8> {
        mock.file_bytes(&f.hash).expect("the file is stored")
    }

    #[tokio::test(flavor = "current_thread")]
    async fn round_trip_then_global_dedup() {
        let mock = MockCas::new();
        let (cas, _) = client(&mock);
        let common = random_bytes(1, 1 << 20);
        let a = [common.as_slice(), &random_bytes(2, 4 << 20)].concat();
        let b = [common.as_slice(), &random_bytes(3, 2 << 20)].concat();
        let options = UploadOptions {
            planner: PlannerConfig {
                max_xorb_bytes: 2 << 20,
                ..Default::default()
            },
            ..Default::default()
        };
        let events = Rc::new(RefCell::new(Vec::new()));
        let sink = events.clone();
        let progress: ProgressFn = Rc::new(move |p: &UploadProgress| sink.borrow_mut().push(*p));
        let r = upload_files(
            &cas,
            files(&[("a", &a), ("b", &b), ("empty", b"")]),
            options,
            Some(progress),
            &Cancel::new(),
        )
        .await
        .unwrap();
        assert_eq!(r.files.len(), 3);
        assert!(
            r.files[1].dedup_bytes >= (1 << 20) - 131_072,
            "{}",
            r.files[1].dedup_bytes
        );
        assert!(r.xorbs >= 3);
        assert_eq!(mock.count(Method::Post, "/v1/shards"), 1);
        assert_eq!(stored(&mock, &r.files[0]), a);
        assert_eq!(stored(&mock, &r.files[1]), b);
        assert!(stored(&mock, &r.files[2]).is_empty());
        let last = *events.borrow().last().unwrap();
        assert_eq!(last.bytes_read, (a.len() + b.len()) as u64);
        assert_eq!(last.bytes_uploaded, last.bytes_new);
        assert_eq!(last.bytes_sent, r.bytes_sent());
        // A second session finds everything through the global-dedup index (an HMAC-keyed answer).
        let xorbs_before = mock.count(Method::Post, "/v1/xorbs/");
        let again = upload_files(&cas, files(&[("a2", &a)]), options, None, &Cancel::new())
            .await
            .unwrap();
        assert_eq!(mock.count(Method::Post, "/v1/xorbs/"), xorbs_before);
        assert_eq!(
            (again.xorb_bytes_sent, again.files[0].dedup_bytes),
            (0, a.len() as u64)
        );
        assert_eq!(again.files[0].hash, r.files[0].hash);
        assert!(again.dedup_hits >= 1);
    }

    /// A shard cache in memory: kept shards by key, and how many lookups found one.
    #[derive(Default)]
    struct MemCache {
        kept: RefCell<HashMap<(String, Hash), Vec<u8>>>,
        stored: Cell<usize>,
    }

    impl ShardCache for MemCache {
        fn lookup(&self, cas_url: &str, chunk: &Hash) -> Option<Vec<u8>> {
            self.kept
                .borrow()
                .get(&(cas_url.to_string(), *chunk))
                .cloned()
        }

        fn store(&self, cas_url: &str, shard: &[u8], keys: &[Hash]) {
            self.stored.set(self.stored.get() + 1);
            for k in keys {
                self.kept
                    .borrow_mut()
                    .insert((cas_url.to_string(), *k), shard.to_vec());
            }
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_shard_cache_answers_the_queries_of_content_uploaded_before() {
        let mock = MockCas::new();
        let (cas, _) = client(&mock);
        let cache = Rc::new(MemCache::default());
        let small: Vec<Vec<u8>> = (0..20).map(|i| random_bytes(100 + i, 3000)).collect();
        let big = random_bytes(99, 3 << 20);
        let list = |prefix: &str| {
            let mut l: Vec<(String, Vec<u8>)> = small
                .iter()
                .enumerate()
                .map(|(i, d)| (format!("{prefix}{i}"), d.clone()))
                .collect();
            l.push((format!("{prefix}big"), big.clone()));
            l.into_iter()
                .map(|(path, d)| UploadFile {
                    path,
                    source: Box::new(BytesSource::new(d, 1 << 20)),
                })
                .collect::<Vec<_>>()
        };
        let cancel = Cancel::new();
        let upload = |prefix: &'static str| {
            upload_files_cached(
                &cas,
                list(prefix),
                UploadOptions::default(),
                None,
                Some(cache.clone() as Rc<dyn ShardCache>),
                &cancel,
            )
        };
        let first = upload("a").await.unwrap();
        assert_eq!((first.dedup_cache_hits, cache.stored.get()), (0, 1));
        assert_eq!(first.dedup_queries, 21);
        let queries = mock.count(Method::Get, "/v1/chunks/");
        let again = upload("b").await.unwrap();
        assert_eq!(
            mock.count(Method::Get, "/v1/chunks/"),
            queries,
            "no query sent"
        );
        assert_eq!(again.dedup_queries, 0);
        assert!(again.dedup_cache_hits >= 1);
        assert_eq!((again.new_bytes, again.xorbs), (0, 0));
        for (a, b) in first.files.iter().zip(&again.files) {
            assert_eq!(a.hash, b.hash);
            assert_eq!(stored(&mock, b).len() as u64, b.size);
        }
        // An entry that is not a shard is a miss: the CAS is asked.
        for v in cache.kept.borrow_mut().values_mut() {
            *v = b"damaged".to_vec();
        }
        let third = upload("c").await.unwrap();
        assert_eq!(third.dedup_cache_hits, 0);
        assert!(third.dedup_queries >= 1);
        for (a, c) in first.files.iter().zip(&third.files) {
            assert_eq!(a.hash, c.hash);
        }
    }

    #[test]
    fn cache_keys_are_the_eligible_chunks_and_each_file_s_first_chunk() {
        let mut planner = Planner::new(PlannerConfig::default());
        let data = random_bytes(7, 5 << 20);
        let mut cursor = planner.start_file();
        let chunks = xet::chunk_all(&data);
        for c in &chunks {
            let bytes = &data[c.offset as usize..(c.offset + u64::from(c.len)) as usize];
            planner.add_chunk(&mut cursor, c.hash, bytes).unwrap();
        }
        planner.finish_file(cursor);
        let session = planner.finish().unwrap();
        let shard = xet::shard::parse_shard(&session.shards[0]).unwrap();
        let keys = super::super::cache::cache_keys(&shard);
        let mut want: Vec<Hash> = chunks
            .iter()
            .map(|c| c.hash)
            .filter(|h| xet::is_global_dedup_eligible(h) || *h == chunks[0].hash)
            .collect();
        want.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        want.dedup();
        assert_eq!(keys, want);
    }

    /// Pieces of `segment` bytes, each with the chunks `chunks_for` says another thread found.
    struct Segmented {
        data: Bytes,
        segment: usize,
        at: usize,
        chunks_for: fn(&[u8], u64) -> Option<Bytes>,
    }

    #[async_trait::async_trait(?Send)]
    impl Source for Segmented {
        async fn read(&mut self) -> Result<Option<Bytes>, Error> {
            Ok(self.read_piece().await?.map(|p| p.bytes))
        }

        async fn read_piece(&mut self) -> Result<Option<Piece>, Error> {
            if self.at >= self.data.len() {
                return Ok(None);
            }
            let end = (self.at + self.segment).min(self.data.len());
            let bytes = self.data.slice(self.at..end);
            let chunks = (self.chunks_for)(&bytes, self.at as u64);
            self.at = end;
            Ok(Some(Piece { bytes, chunks }))
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn pieces_chunked_elsewhere_upload_as_if_chunked_here_and_bad_chunks_are_ignored() {
        // Random data, then a long constant stretch (only maximum-size cuts, which never line up
        // across a segment edge), then text-like data.
        let data: Bytes = [
            random_bytes(11, 3 << 20),
            vec![7u8; 1 << 20],
            (0..2_000_000u32)
                .map(|i| b"the quick brown fox "[(i % 20) as usize] ^ (i / 977) as u8)
                .collect(),
        ]
        .concat()
        .into();
        let plain = {
            let mock = MockCas::new();
            let (cas, _) = client(&mock);
            let files = vec![UploadFile {
                path: "f".into(),
                source: Box::new(BytesSource::new(data.clone(), 1 << 20)),
            }];
            upload_files(&cas, files, UploadOptions::default(), None, &Cancel::new())
                .await
                .unwrap()
        };
        let good: fn(&[u8], u64) -> Option<Bytes> =
            |bytes, at| Some(xet::pack_chunks(&xet::chunk_segment(bytes, at)).into());
        let torn: fn(&[u8], u64) -> Option<Bytes> = |bytes, at| {
            let mut packed = xet::pack_chunks(&xet::chunk_segment(bytes, at));
            packed.pop();
            Some(packed.into())
        };
        let overrun: fn(&[u8], u64) -> Option<Bytes> = |bytes, at| {
            let mut chunks = xet::chunk_segment(bytes, at);
            let end = chunks.last().map_or(at, |c| c.offset + u64::from(c.len));
            chunks.push(xet::Chunk {
                offset: end,
                len: (at + bytes.len() as u64 - end) as u32 + 1,
                hash: xet::Hash::from_bytes([1; 32]),
            });
            Some(xet::pack_chunks(&chunks).into())
        };
        let none: fn(&[u8], u64) -> Option<Bytes> = |_, _| None;
        for (name, chunks_for) in [
            ("good", good),
            ("torn", torn),
            ("overrun", overrun),
            ("none", none),
        ] {
            for segment in [700_001, 1 << 20, 3 << 20] {
                let mock = MockCas::new();
                let (cas, _) = client(&mock);
                let files = vec![UploadFile {
                    path: "f".into(),
                    source: Box::new(Segmented {
                        data: data.clone(),
                        segment,
                        at: 0,
                        chunks_for,
                    }),
                }];
                let r = upload_files(&cas, files, UploadOptions::default(), None, &Cancel::new())
                    .await
                    .unwrap_or_else(|e| panic!("{name} {segment}: {e}"));
                assert_eq!(r.files[0].hash, plain.files[0].hash, "{name} {segment}");
                assert_eq!(r.xorb_bytes_sent, plain.xorb_bytes_sent, "{name} {segment}");
                assert_eq!(stored(&mock, &r.files[0]), data, "{name} {segment}");
            }
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn retries_503s_and_answers_cut_short() {
        let mock = MockCas::new();
        let (cas, _) = client(&mock);
        mock.fault(Method::Post, "/v1/xorbs/", 2, Fault::Status(503));
        mock.fault(Method::Post, "/v1/shards", 1, Fault::Cut(3));
        mock.fault(Method::Get, "/v1/chunks/", 1, Fault::Status(503));
        let data = random_bytes(4, 3 << 20);
        let r = upload_files(
            &cas,
            files(&[("a", &data)]),
            UploadOptions::default(),
            None,
            &Cancel::new(),
        )
        .await
        .unwrap();
        assert_eq!(mock.count(Method::Post, "/v1/xorbs/"), 3);
        assert_eq!(mock.count(Method::Post, "/v1/shards"), 2);
        assert_eq!(stored(&mock, &r.files[0]), data);
    }

    /// A mock CAS that accepts only tokens issued after the last revocation, and revokes every
    /// token when each of the first `revocations` xorb POSTs arrives.
    fn revoking_cas(revocations: u32) -> (Rc<MockCas>, Rc<CasClient>, Rc<CountingTokens>) {
        let mock = MockCas::new();
        *mock.valid_tokens.borrow_mut() = Some(Vec::new());
        let (cas, tokens) = client(&mock);
        let revoker = mock.clone();
        mock.fault(
            Method::Post,
            "/v1/xorbs/",
            revocations as usize,
            Fault::Hook(Rc::new(move || {
                *revoker.valid_tokens.borrow_mut() = Some(Vec::new())
            })),
        );
        (mock, cas, tokens)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_revoked_token_is_replaced_after_a_401() {
        // Twice: revocation can race the refresh, so the fresh token is revoked as well.
        for revocations in [1, 2] {
            let (mock, cas, tokens) = revoking_cas(revocations);
            let data = random_bytes(5, 1 << 20);
            let r = upload_files(
                &cas,
                files(&[("a", &data)]),
                UploadOptions::default(),
                None,
                &Cancel::new(),
            )
            .await
            .unwrap();
            assert_eq!(tokens.fetched.get(), 1 + revocations);
            assert_eq!(stored(&mock, &r.files[0]), data);
            // The Hub token never appears: CAS calls carry CAS tokens, transfer reads nothing.
            for (_, path, auth) in mock.seen.borrow().iter() {
                match path.starts_with("/fetch/") {
                    true => assert_eq!(auth, &None),
                    false => assert!(
                        auth.as_deref().is_some_and(|a| a.starts_with("Bearer tok")),
                        "{path}"
                    ),
                }
            }
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_cas_that_rejects_every_token_is_an_auth_error_after_bounded_refreshes() {
        let (mock, cas, tokens) = revoking_cas(100);
        let err = upload_files(
            &cas,
            files(&[("a", &random_bytes(8, 1 << 20))]),
            UploadOptions::default(),
            None,
            &Cancel::new(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.status(), Some(401));
        assert_eq!(
            mock.count(Method::Post, "/v1/xorbs/"),
            1 + crate::cas::MAX_TOKEN_REFRESHES as usize
        );
        assert_eq!(tokens.fetched.get(), 1 + crate::cas::MAX_TOKEN_REFRESHES);
        assert_eq!(mock.count(Method::Post, "/v1/shards"), 0);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn when_retries_run_out_no_shard_is_sent() {
        let mock = MockCas::new();
        let (cas, _) = client(&mock);
        mock.fault(Method::Post, "/v1/xorbs/", 100, Fault::Status(503));
        let err = upload_files(
            &cas,
            files(&[("a", &random_bytes(6, 1 << 20))]),
            UploadOptions::default(),
            None,
            &Cancel::new(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.status(), Some(503));
        assert_eq!(mock.count(Method::Post, "/v1/xorbs/"), 4);
        assert_eq!(mock.count(Method::Post, "/v1/shards"), 0);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn abort_stops_everything() {
        let mock = MockCas::new();
        let (cas, _) = client(&mock);
        let cancel = Cancel::new();
        let c = cancel.clone();
        mock.fault(
            Method::Post,
            "/v1/xorbs/",
            1,
            Fault::Hook(Rc::new(move || c.cancel())),
        );
        let options = UploadOptions {
            planner: PlannerConfig {
                max_xorb_bytes: 1 << 20,
                ..Default::default()
            },
            ..Default::default()
        };
        let err = upload_files(
            &cas,
            files(&[("a", &random_bytes(7, 8 << 20))]),
            options,
            None,
            &cancel,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Aborted), "{err:?}");
        assert_eq!(mock.count(Method::Post, "/v1/shards"), 0);
        assert!(mock.count(Method::Post, "/v1/xorbs/") <= 3);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn memory_stays_bounded_by_the_upload_slots() {
        // Uploads that never finish: the pipeline must stop reading once the slots and the
        // xorb being filled are full, instead of buffering the source.
        struct Counting {
            inner: BytesSource,
            read: Rc<Cell<u64>>,
        }
        #[async_trait::async_trait(?Send)]
        impl Source for Counting {
            async fn read(&mut self) -> Result<Option<Bytes>, Error> {
                let r = self.inner.read().await?;
                if let Some(b) = &r {
                    self.read.set(self.read.get() + b.len() as u64);
                }
                Ok(r)
            }
        }
        let mock = MockCas::new();
        let (cas, _) = client(&mock);
        mock.fault(Method::Post, "/v1/xorbs/", 100, Fault::Hook(Rc::new(|| {})));
        let read = Rc::new(Cell::new(0));
        let source = Counting {
            inner: BytesSource::new(random_bytes(8, 64 << 20), 1 << 20),
            read: read.clone(),
        };
        let options = UploadOptions {
            planner: PlannerConfig {
                max_xorb_bytes: 2 << 20,
                ..Default::default()
            },
            max_xorbs_in_flight: 2,
            lookahead_bytes: 4 << 20,
            ..Default::default()
        };
        let cancel = Cancel::new();
        let files = vec![UploadFile {
            path: "big".into(),
            source: Box::new(source),
        }];
        // Never answer xorb uploads: wrap the mock so that xorb POSTs hang.
        struct Hang(Rc<MockCas>);
        #[async_trait::async_trait(?Send)]
        impl crate::transport::HttpClient for Hang {
            async fn send(
                &self,
                r: crate::transport::Request,
                c: &Cancel,
            ) -> Result<crate::transport::Response, crate::transport::TransportError> {
                if r.url.contains("/v1/xorbs/") {
                    c.cancelled().await;
                    return Err(crate::transport::TransportError::Aborted);
                }
                self.0.send(r, c).await
            }
            async fn sleep(&self, ms: u64) {
                self.0.sleep(ms).await
            }
            fn now_ms(&self) -> u64 {
                self.0.now_ms()
            }
        }
        let http: Rc<dyn crate::transport::HttpClient> = Rc::new(Hang(mock.clone()));
        let tokens = Rc::new(crate::cas::mock::CountingTokens {
            fetched: Cell::new(0),
            cas: mock.clone(),
        });
        let hanging = Rc::new(CasClient::new(
            http.clone(),
            *cas.policy(),
            crate::cas::token::TokenCache::new(tokens),
            "t".into(),
        ));
        let run = upload_files(&hanging, files, options, None, &cancel);
        let stop = async {
            for _ in 0..200 {
                tokio::task::yield_now().await;
            }
            cancel.cancel();
        };
        let (result, ()) = tokio::join!(run, stop);
        assert!(matches!(result, Err(Error::Aborted)));
        // 2 xorbs in flight + 1 being filled (2 MiB each) + 4 MiB lookahead + one 1 MiB piece.
        assert!(
            read.get() <= 11 << 20,
            "read {} bytes before stalling",
            read.get()
        );
        assert!(read.get() >= 6 << 20, "read only {}", read.get());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn queries_go_out_while_sources_that_answer_at_once_are_still_read() {
        // Sources whose reads are ready at once (small files read synchronously): the queries of
        // the first files must be sent while later files are still being read, not after the
        // last one (a query future sends nothing until it is polled).
        struct Watched {
            inner: BytesSource,
            mock: Rc<MockCas>,
            queries_seen: Rc<RefCell<Vec<usize>>>,
        }
        #[async_trait::async_trait(?Send)]
        impl Source for Watched {
            async fn read(&mut self) -> Result<Option<Bytes>, Error> {
                let piece = self.inner.read().await?;
                if piece.is_some() {
                    self.queries_seen
                        .borrow_mut()
                        .push(self.mock.count(Method::Get, "/v1/chunks"));
                }
                Ok(piece)
            }
        }
        let mock = MockCas::new();
        let (cas, _) = client(&mock);
        let queries_seen = Rc::new(RefCell::new(Vec::new()));
        let files = (0..400u64)
            .map(|i| UploadFile {
                path: format!("f{i}"),
                source: Box::new(Watched {
                    inner: BytesSource::new(random_bytes(i, 4096), 1 << 20),
                    mock: mock.clone(),
                    queries_seen: queries_seen.clone(),
                }),
            })
            .collect();
        let report = upload_files(&cas, files, UploadOptions::default(), None, &Cancel::new())
            .await
            .unwrap();
        assert_eq!(report.dedup_queries, 400);
        let seen = queries_seen.borrow();
        assert_eq!(seen.len(), 400);
        // Every query slot was filled while reading went on (the answers need the task to
        // yield, which a mock without elapsing time never makes it do before the reads end).
        let at_last_read = *seen.last().unwrap();
        let slots = UploadOptions::default().max_queries_in_flight;
        assert!(
            at_last_read >= slots,
            "only {at_last_read} queries sent when the last file was read ({slots} slots)"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn many_files_are_read_concurrently_and_planned_in_order() {
        // Sources that take a few turns of the event loop per piece, tracking how many are being
        // read at once.
        struct Slow {
            inner: BytesSource,
            active: Rc<Cell<usize>>,
            max_active: Rc<Cell<usize>>,
        }
        #[async_trait::async_trait(?Send)]
        impl Source for Slow {
            async fn read(&mut self) -> Result<Option<Bytes>, Error> {
                self.active.set(self.active.get() + 1);
                self.max_active
                    .set(self.max_active.get().max(self.active.get()));
                for _ in 0..5 {
                    tokio::task::yield_now().await;
                }
                self.active.set(self.active.get() - 1);
                self.inner.read().await
            }
        }
        let contents: Vec<Vec<u8>> = (0..300u64)
            .map(|i| match i % 10 {
                0 => Vec::new(),
                1 => vec![9u8; 3000], // identical files
                2 => random_bytes(i, 200_000),
                _ => random_bytes(i, 1 + (i as usize * 131) % 9000),
            })
            .collect();
        let run = |reads: usize, queries: usize| {
            let contents = contents.clone();
            async move {
                let mock = MockCas::new();
                let (cas, _) = client(&mock);
                let active = Rc::new(Cell::new(0));
                let max_active = Rc::new(Cell::new(0));
                let files = contents
                    .iter()
                    .enumerate()
                    .map(|(i, d)| UploadFile {
                        path: format!("f{i}"),
                        source: Box::new(Slow {
                            inner: BytesSource::new(d.clone(), 64 << 10),
                            active: active.clone(),
                            max_active: max_active.clone(),
                        }),
                    })
                    .collect();
                let options = UploadOptions {
                    max_queries_in_flight: queries,
                    ..UploadOptions::default()
                }
                .with_read_concurrency(reads as u64);
                // A stall (a query left queued with nothing to send it) fails instead of hanging.
                let report = tokio::time::timeout(
                    std::time::Duration::from_secs(60),
                    upload_files(&cas, files, options, None, &Cancel::new()),
                )
                .await
                .expect("the upload stalled")
                .unwrap();
                (mock, report, max_active.get())
            }
        };
        // One query slot: queries queue up behind it while 16 files are read.
        let (mock, report, max_active) = run(16, 1).await;
        assert!(max_active > 8, "only {max_active} sources read at once");
        assert!(max_active <= 16, "{max_active} sources read at once");
        assert_eq!(report.files.len(), contents.len());
        for (i, (f, d)) in report.files.iter().zip(&contents).enumerate() {
            assert_eq!(f.path, format!("f{i}"));
            assert_eq!(f.size, d.len() as u64);
            if !d.is_empty() {
                assert_eq!(stored(&mock, f), *d);
            }
        }
        // Small files share xorbs, and identical starts share one query.
        assert_eq!(report.xorbs, 1);
        let distinct_nonempty = contents
            .iter()
            .filter(|d| !d.is_empty())
            .map(|d| xet::chunk_all(d)[0].hash)
            .collect::<std::collections::HashSet<_>>()
            .len();
        assert_eq!(report.dedup_queries, distinct_nonempty);
        // The same plan as reading one file at a time.
        let (_, one_by_one, max_one) = run(1, 8).await;
        assert_eq!(max_one, 1);
        assert_eq!(report, one_by_one);
    }
}
