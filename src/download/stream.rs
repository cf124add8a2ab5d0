//! The download pipeline: a pull-based stream of verified bytes (xet spec §9).
//!
//! [`FileDownload::open`] asks for the reconstruction (V2, falling back to V1) of the whole file
//! or of a byte range and plans the fetches; [`FileDownload::next`] returns the next piece of
//! the file. Fetches run ahead of the consumer, at most [`DownloadOptions::max_concurrent`] at a
//! time and within [`DownloadOptions::max_in_flight_bytes`] (one fetch may exceed the budget
//! alone), and their results are used strictly in file order, so memory stays bounded whatever
//! the file size. Nothing is fetched while the consumer is not pulling beyond that window.
//!
//! Every chunk is checked as described in [`super::plan`]; an expired transfer URL (`403`) makes
//! the stream ask for a fresh reconstruction and continue. Dropping the stream (or firing the
//! `Cancel`) stops every fetch in flight.

use std::cell::Cell;
use std::collections::{HashSet, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::LocalBoxFuture;
use futures_util::stream::{FuturesOrdered, StreamExt};
use futures_util::FutureExt;
use xet::Hash;

use super::footer::{fetch_proof, footer_error, ProvenXorb, Verify};
use super::plan::{decode_unit, split_step, Assembler, DecodedUnit, FetchPlan, FetchUnit, Step};
use crate::cas::CasClient;
use crate::error::Error;
use crate::transport::Cancel;

/// How many expired-URL renewals one download may do.
const MAX_URL_RENEWALS: u32 = 3;

/// Largest piece [`FileDownload::next`] returns (a fetched unit can hold 64 MiB; consumers get
/// it in slices of this size, without copying).
pub const MAX_PIECE: usize = 4 << 20;

/// Default size of the range requests a large unit is split into (see
/// [`DownloadOptions::split_bytes`]).
pub const DEFAULT_SPLIT_BYTES: u64 = 8 << 20;

/// Tunables of a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadOptions {
    /// Range requests in flight at once.
    pub max_concurrent: usize,
    /// Bytes of range answers being fetched or waiting to be consumed.
    pub max_in_flight_bytes: u64,
    /// Minimum time between two progress reports, in ms (the last one is always sent).
    pub progress_interval_ms: u64,
    /// How partial xorb reads are verified (see [`super::footer`]).
    pub verify: Verify,
    /// Units of more than 1.5 × this many bytes are fetched as several range requests of
    /// about this size, split at chunk boundaries read from the xorb's footer (0: never split).
    pub split_bytes: u64,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            max_concurrent: 4,
            max_in_flight_bytes: 64 << 20,
            progress_interval_ms: 100,
            verify: Verify::Full,
            split_bytes: DEFAULT_SPLIT_BYTES,
        }
    }
}

/// Byte counters of a download, as reported to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DownloadProgress {
    /// Bytes of xorb data received from the network (compressed).
    pub bytes_fetched: u64,
    /// File bytes checked and handed to the consumer.
    pub bytes_verified: u64,
    /// File bytes the download will hand out in all.
    pub total_bytes: u64,
}

/// Receives download progress.
pub type ProgressFn = Rc<dyn Fn(&DownloadProgress)>;

/// What to download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The file's Xet hash.
    pub file_hash: Hash,
    /// The file's size in bytes.
    pub size: u64,
    /// Bytes `[start, end)`; `None` for the whole file (which also checks the file hash).
    pub range: Option<(u64, u64)>,
}

struct Progress {
    fetched: Cell<u64>,
    verified: Cell<u64>,
    total: u64,
    last_ms: Cell<Option<u64>>,
    interval_ms: u64,
    sink: Option<ProgressFn>,
}

impl Progress {
    fn report(&self, now_ms: u64, force: bool) {
        let Some(sink) = &self.sink else { return };
        let due = match self.last_ms.get() {
            None => true,
            Some(last) => now_ms.saturating_sub(last) >= self.interval_ms,
        };
        if due || force {
            self.last_ms.set(Some(now_ms));
            sink(&DownloadProgress {
                bytes_fetched: self.fetched.get(),
                bytes_verified: self.verified.get(),
                total_bytes: self.total,
            });
        }
    }
}

/// One range request of a download: a unit of the plan, or a part of one (see
/// [`super::plan::split_step`]), and the pieces of the file it serves.
struct Job {
    /// Index of the plan step it serves, and which part of it (0 for a step fetched whole).
    step: usize,
    part: usize,
    unit: FetchUnit,
    pieces: Step,
}

/// What a request in flight brought.
enum Done {
    /// A unit (or part), decoded.
    Unit(Job, DecodedUnit),
    /// The footer of a xorb, read to split its large units (its failure is not the download's).
    Footer(Hash, Result<ProvenXorb, Error>),
}

type Fetch = LocalBoxFuture<'static, Result<Done, Error>>;

/// Large steps whose footers are read ahead of the step being planned.
const FOOTER_LOOKAHEAD: usize = 2;

/// A download in progress. See the module docs.
pub struct FileDownload {
    cas: Rc<CasClient>,
    target: Target,
    options: DownloadOptions,
    plan: Rc<FetchPlan>,
    asm: Option<Assembler>,
    /// Next plan step to turn into jobs, and how many of its parts to drop (after a renewal
    /// that restarts inside a split step).
    next_step: usize,
    skip_parts: usize,
    /// Jobs planned but not started, in file order.
    pending: VecDeque<Job>,
    /// Range requests and footer reads in flight, results in the order they were started.
    in_flight: FuturesOrdered<Fetch>,
    /// `(step, part)` of each request in flight, oldest first (`None` for a footer read).
    in_flight_ids: VecDeque<Option<(usize, usize)>>,
    in_flight_bytes: u64,
    /// Xorbs whose footer was asked for (to split their large units), and those of them whose
    /// footer could not be read (their units are fetched whole). Asked, not failed and not
    /// proven by the assembler yet = being read.
    footers_asked: HashSet<Hash>,
    footers_failed: HashSet<Hash>,
    ready: VecDeque<Bytes>,
    ready_bytes: u64,
    cancel: Cancel,
    progress: Rc<Progress>,
    renewals: u32,
    /// A footer read was answered 403 once and the URLs renewed for it.
    footer_renewed: bool,
    /// Footer reads made and bytes received for them.
    footer_requests: Rc<Cell<u64>>,
    footer_bytes: Rc<Cell<u64>>,
    finished: bool,
}

impl std::fmt::Debug for FileDownload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileDownload")
            .field("target", &self.target)
            .field("next_step", &self.next_step)
            .finish_non_exhaustive()
    }
}

impl Drop for FileDownload {
    fn drop(&mut self) {
        // Stops the fetches still in flight (their futures are dropped too, which aborts them
        // natively; in wasm the AbortController does it).
        self.cancel.cancel();
    }
}

/// Checks and clamps a requested range against the file size. `None` range = whole file.
///
/// # Errors
/// [`Error::Validation`] when `start > end` or `start > size`.
pub fn clamp_range(range: Option<(u64, u64)>, size: u64) -> Result<Option<(u64, u64)>, Error> {
    match range {
        None => Ok(None),
        Some((start, end)) if start > end => Err(crate::hub::ValidationError::new(
            "range",
            &format!("{start}..{end}"),
            "start must not be after end",
        )
        .into()),
        Some((start, _)) if start > size => Err(crate::hub::ValidationError::new(
            "range",
            &format!("{start}.."),
            format!("starts after the end of the file ({size} bytes)"),
        )
        .into()),
        Some((start, end)) => Ok(Some((start, end.min(size)))),
    }
}

/// What [`FileDownload::expand`] made of a plan step.
enum Expanded {
    /// The jobs of the step, in file order.
    Jobs(Vec<Job>),
    /// The step waits for its xorb's footer (being read) to be split.
    WaitFooter,
}

impl FileDownload {
    /// Starts a download: validates the range, fetches and plans the reconstruction.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad range; CAS errors; [`Error::Integrity`] when the
    /// reconstruction does not describe the expected bytes.
    pub async fn open(
        cas: Rc<CasClient>,
        target: Target,
        options: DownloadOptions,
        progress: Option<ProgressFn>,
        cancel: &Cancel,
    ) -> Result<FileDownload, Error> {
        let range = clamp_range(target.range, target.size)?;
        let target = Target { range, ..target };
        let (want, empty) = match range {
            Some((s, e)) => (e - s, e == s),
            None => (target.size, target.size == 0),
        };
        let cancel = cancel.child();
        let progress = Rc::new(Progress {
            fetched: Cell::new(0),
            verified: Cell::new(0),
            total: want,
            last_ms: Cell::new(None),
            interval_ms: options.progress_interval_ms,
            sink: progress,
        });
        let plan = if empty {
            if range.is_none() && target.file_hash != Hash::ZERO {
                return Err(Error::integrity(format!(
                    "file {} has size 0 but a non-empty hash",
                    target.file_hash
                )));
            }
            FetchPlan::empty()
        } else {
            let answer = cas
                .reconstruction(&target.file_hash, range, &cancel)
                .await?;
            let mut plan = FetchPlan::from_reconstruction(&answer, Some(want))?;
            if range.is_none()
                && plan.skip.saturating_add(plan.len)
                    != plan.terms.iter().map(|t| t.unpacked_length).sum::<u64>()
            {
                return Err(Error::integrity(format!(
                    "the reconstruction of {} does not hold {} bytes",
                    target.file_hash, target.size
                )));
            }
            plan.prune();
            plan
        };
        let whole = range.is_none().then_some((target.file_hash, target.size));
        let asm = Assembler::new(&plan, whole, options.verify);
        Ok(FileDownload {
            cas,
            target,
            options: DownloadOptions {
                max_concurrent: options.max_concurrent.max(1),
                ..options
            },
            plan: Rc::new(plan),
            asm: Some(asm),
            next_step: 0,
            skip_parts: 0,
            pending: VecDeque::new(),
            in_flight: FuturesOrdered::new(),
            in_flight_ids: VecDeque::new(),
            in_flight_bytes: 0,
            footers_asked: HashSet::new(),
            footers_failed: HashSet::new(),
            ready: VecDeque::new(),
            ready_bytes: 0,
            cancel,
            progress,
            renewals: 0,
            footer_renewed: false,
            footer_requests: Rc::new(Cell::new(0)),
            footer_bytes: Rc::new(Cell::new(0)),
            finished: false,
        })
    }

    /// Bytes the stream yields in all.
    pub fn len(&self) -> u64 {
        self.progress.total
    }

    /// Whether the stream yields no byte.
    pub fn is_empty(&self) -> bool {
        self.progress.total == 0
    }

    /// A handle that stops this download (and every fetch in flight) when cancelled.
    pub fn canceller(&self) -> Cancel {
        self.cancel.clone()
    }

    /// Whether plan step `index` is large enough to be split (once its footer is known).
    fn splittable(&self, index: usize) -> Option<(Hash, &FetchUnit)> {
        let split = self.options.split_bytes;
        let step = self.plan.steps.get(index)?;
        let unit = self.plan.units.get(step.unit)?;
        let big = split > 0 && unit.bytes.len() > split.saturating_add(split / 2);
        big.then_some((unit.xorb, unit))
    }

    /// Starts reading the footer of `xorb` (which has at least `chunks` chunks) at `url` unless
    /// it is known or being read.
    fn read_footer(&mut self, xorb: Hash, url: &str, chunks: u32) {
        if self.footers_asked.contains(&xorb)
            || self.asm.as_ref().is_some_and(|a| a.proof(&xorb).is_some())
        {
            return;
        }
        self.footers_asked.insert(xorb);
        let cas = self.cas.clone();
        let url = url.to_string();
        let cancel = self.cancel.clone();
        let progress = self.progress.clone();
        let requests = self.footer_requests.clone();
        let bytes = self.footer_bytes.clone();
        requests.set(requests.get() + 1);
        let fut = async move {
            let http = cas.http().clone();
            let on_bytes = move |n: u64| {
                bytes.set(bytes.get() + n);
                progress.fetched.set(progress.fetched.get() + n);
                progress.report(http.now_ms(), false);
            };
            let proof = fetch_proof(&cas, xorb, &url, chunks, &cancel, &on_bytes).await;
            Ok(Done::Footer(xorb, proof))
        };
        self.in_flight.push_back(fut.boxed_local());
        self.in_flight_ids.push_back(None);
    }

    /// Turns plan step `index` into jobs: one for its unit, or, for a large unit whose xorb's
    /// footer is known, one per part (see [`super::plan::split_step`]).
    fn expand(&mut self, index: usize) -> Expanded {
        let plan = self.plan.clone();
        let Some(step) = plan.steps.get(index) else {
            return Expanded::Jobs(Vec::new());
        };
        let Some(unit) = plan.units.get(step.unit) else {
            return Expanded::Jobs(Vec::new());
        };
        let whole = || {
            Expanded::Jobs(vec![Job {
                step: index,
                part: 0,
                unit: unit.clone(),
                pieces: step.clone(),
            }])
        };
        if self.splittable(index).is_none() {
            return whole();
        }
        // Read the footers of the next large steps ahead, so they are known in time.
        let ahead: Vec<(Hash, Arc<str>, u32)> = (index + 1..plan.steps.len())
            .filter_map(|i| {
                self.splittable(i)
                    .map(|(x, u)| (x, u.url.clone(), u.chunks.end))
            })
            .take(FOOTER_LOOKAHEAD)
            .collect();
        if let Some(proof) = self.asm.as_ref().and_then(|a| a.proof(&unit.xorb)) {
            let parts = split_step(step, unit, proof, self.options.split_bytes);
            for (x, url, chunks) in ahead {
                self.read_footer(x, &url, chunks);
            }
            return match parts {
                Some(parts) => Expanded::Jobs(
                    parts
                        .into_iter()
                        .enumerate()
                        .map(|(part, (unit, pieces))| Job {
                            step: index,
                            part,
                            unit,
                            pieces,
                        })
                        .collect(),
                ),
                None => whole(),
            };
        }
        // Not proven (handled above): the footer failed, is being read, or was not asked for.
        match (
            self.footers_failed.contains(&unit.xorb),
            self.footers_asked.contains(&unit.xorb),
        ) {
            (true, _) => whole(),
            (false, true) => Expanded::WaitFooter,
            (false, false) => {
                self.read_footer(unit.xorb, &unit.url, unit.chunks.end);
                for (x, url, chunks) in ahead {
                    self.read_footer(x, &url, chunks);
                }
                Expanded::WaitFooter
            }
        }
    }

    /// Plans and starts fetches while the concurrency and byte budgets allow (bytes in flight
    /// and verified bytes not handed out yet both count).
    fn fill(&mut self) {
        while self.in_flight.len() < self.options.max_concurrent {
            if self.pending.is_empty() {
                if self.next_step >= self.plan.steps.len() {
                    break;
                }
                match self.expand(self.next_step) {
                    Expanded::Jobs(jobs) => {
                        let skip = std::mem::take(&mut self.skip_parts);
                        self.pending.extend(jobs.into_iter().skip(skip));
                        self.next_step += 1;
                        continue;
                    }
                    Expanded::WaitFooter => break,
                }
            }
            let Some(len) = self.pending.front().map(|j| j.unit.bytes.len()) else {
                continue;
            };
            let held = self.in_flight_bytes.saturating_add(self.ready_bytes);
            if !self.in_flight.is_empty()
                && held.saturating_add(len) > self.options.max_in_flight_bytes
            {
                break;
            }
            let Some(job) = self.pending.pop_front() else {
                break;
            };
            let cas = self.cas.clone();
            let cancel = self.cancel.clone();
            let progress = self.progress.clone();
            self.in_flight_ids.push_back(Some((job.step, job.part)));
            let fut = async move {
                let now = || cas.http().now_ms();
                let on_bytes = |n: u64| {
                    progress.fetched.set(progress.fetched.get() + n);
                    progress.report(now(), false);
                };
                let body = cas
                    .fetch_range(&job.unit.url, job.unit.bytes, &cancel, &on_bytes)
                    .await?;
                let decoded = decode_unit(&job.unit, &body)?;
                Ok(Done::Unit(job, decoded))
            };
            self.in_flight.push_back(fut.boxed_local());
            self.in_flight_bytes = self.in_flight_bytes.saturating_add(len);
        }
    }

    /// After a `403` (expired transfer URLs): fetch a fresh reconstruction, renew the URLs and
    /// restart from part `part` of plan step `step`.
    async fn renew(&mut self, step: usize, part: usize) -> Result<(), Error> {
        self.renewals += 1;
        self.in_flight = FuturesOrdered::new();
        self.in_flight_ids.clear();
        self.in_flight_bytes = 0;
        self.pending.clear();
        // Footer reads in flight were dropped with the rest: ask again when needed.
        let asm = self.asm.as_ref();
        let failed = &self.footers_failed;
        self.footers_asked
            .retain(|x| failed.contains(x) || asm.is_some_and(|a| a.proof(x).is_some()));
        let answer = self
            .cas
            .reconstruction(&self.target.file_hash, self.target.range, &self.cancel)
            .await?;
        let fresh = FetchPlan::from_reconstruction(&answer, None)?;
        let mut plan = (*self.plan).clone();
        plan.renew_urls(&fresh);
        self.plan = Rc::new(plan);
        self.next_step = step;
        self.skip_parts = part;
        Ok(())
    }

    /// Reads the footer of `xorb` at `url` (see [`super::footer::fetch_proof`]), counting its
    /// requests and bytes.
    async fn footer(&self, xorb: Hash, url: &str) -> Result<super::footer::ProvenXorb, Error> {
        let progress = self.progress.clone();
        let http = self.cas.http().clone();
        let requests = self.footer_requests.clone();
        let bytes = self.footer_bytes.clone();
        let on_bytes = move |n: u64| {
            bytes.set(bytes.get() + n);
            progress.fetched.set(progress.fetched.get() + n);
            progress.report(http.now_ms(), false);
        };
        requests.set(requests.get() + 1);
        fetch_proof(&self.cas, xorb, url, 0, &self.cancel, &on_bytes).await
    }

    /// Footer reads of this download so far: `(reads, bytes received)`. A read is one or two
    /// requests (see [`super::footer::fetch_proof`]).
    pub fn footer_stats(&self) -> (u64, u64) {
        (self.footer_requests.get(), self.footer_bytes.get())
    }

    /// The next piece of the file, `None` at its end (after the final checks passed).
    ///
    /// # Errors
    /// [`Error::Integrity`] on any verification failure, CAS/transport errors after retries,
    /// [`Error::Aborted`]. After an error the stream is finished.
    pub async fn next(&mut self) -> Result<Option<Bytes>, Error> {
        let result = self.next_inner().await;
        if result.is_err() {
            self.finished = true;
            self.ready.clear();
            self.ready_bytes = 0;
            self.pending.clear();
            self.in_flight = FuturesOrdered::new();
            self.cancel.cancel();
        }
        result
    }

    /// Records the outcome of a footer read made to split a xorb's units. A failed read only
    /// means the units are fetched whole (and verified as such); an abort ends the download.
    fn footer_done(&mut self, xorb: Hash, proof: Result<ProvenXorb, Error>) -> Result<(), Error> {
        match proof {
            Ok(proof) => {
                if let Some(asm) = self.asm.as_mut() {
                    asm.add_proof(xorb, proof);
                }
            }
            Err(Error::Aborted) => return Err(Error::Aborted),
            Err(_) => {
                self.footers_failed.insert(xorb);
            }
        }
        Ok(())
    }

    async fn next_inner(&mut self) -> Result<Option<Bytes>, Error> {
        loop {
            if let Some(mut b) = self.ready.pop_front() {
                if b.len() > MAX_PIECE {
                    let rest = b.split_off(MAX_PIECE);
                    self.ready.push_front(rest);
                }
                self.ready_bytes = self.ready_bytes.saturating_sub(b.len() as u64);
                // Keep the fetches going while the consumer works on this piece.
                self.fill();
                return Ok(Some(b));
            }
            if self.finished {
                return Ok(None);
            }
            if self.cancel.is_cancelled() {
                return Err(Error::Aborted);
            }
            self.fill();
            if self.in_flight.is_empty() {
                self.finished = true;
                if let Some(asm) = self.asm.take() {
                    asm.finish()?;
                }
                self.progress.report(self.cas.http().now_ms(), true);
                return Ok(None);
            }
            let next = crate::transport::with_cancel(self.in_flight.next(), &self.cancel).await?;
            let id = self.in_flight_ids.pop_front().flatten();
            match next {
                None => continue,
                Some(Ok(Done::Footer(xorb, proof))) => self.footer_done(xorb, proof)?,
                Some(Ok(Done::Unit(job, decoded))) => {
                    self.in_flight_bytes =
                        self.in_flight_bytes.saturating_sub(job.unit.bytes.len());
                    let unit = &job.unit;
                    let Some(asm) = self.asm.as_mut() else {
                        return Err(Error::internal("download already finished"));
                    };
                    if asm.needs_footer(unit.xorb, &decoded) {
                        // Part of a xorb not proven yet: read its footer (once per xorb) before
                        // any of these bytes are handed out.
                        match self.footer(unit.xorb, &unit.url).await {
                            Ok(proof) => {
                                if let Some(asm) = self.asm.as_mut() {
                                    asm.add_proof(unit.xorb, proof);
                                }
                            }
                            Err(e)
                                if e.status() == Some(403)
                                    && !self.footer_renewed
                                    && self.renewals < MAX_URL_RENEWALS =>
                            {
                                // Maybe the URL expired while the unit waited: renew once.
                                self.footer_renewed = true;
                                self.renew(job.step, job.part).await?;
                                continue;
                            }
                            Err(e) => return Err(footer_error(unit.xorb, e)),
                        }
                    }
                    let Some(asm) = self.asm.as_mut() else {
                        return Err(Error::internal("download already finished"));
                    };
                    let out = asm.take(unit, &job.pieces, &decoded)?;
                    let n: u64 = out.iter().map(|b| b.len() as u64).sum();
                    self.progress.verified.set(self.progress.verified.get() + n);
                    self.progress.report(self.cas.http().now_ms(), false);
                    self.ready_bytes = self.ready_bytes.saturating_add(n);
                    self.ready.extend(out.into_iter().filter(|b| !b.is_empty()));
                }
                Some(Err(e)) if e.status() == Some(403) && self.renewals < MAX_URL_RENEWALS => {
                    // The failed fetch is the oldest in flight (results come in order).
                    let Some((step, part)) = id else {
                        return Err(e);
                    };
                    self.renew(step, part).await?;
                }
                Some(Err(e)) => return Err(e),
            }
        }
    }

    /// Reads everything into one buffer (only when the caller asked for bytes).
    ///
    /// # Errors
    /// As [`FileDownload::next`].
    pub async fn read_all(mut self) -> Result<Vec<u8>, Error> {
        // The length comes from the Hub or the caller: reserve it fallibly, so a size this
        // process cannot hold is an error, not an abort.
        let mut out = Vec::new();
        let len = usize::try_from(self.len()).unwrap_or(usize::MAX);
        out.try_reserve_exact(len).map_err(|_| {
            Error::invalid_response(
                "",
                format!(
                    "a download of {} bytes does not fit in memory here",
                    self.len()
                ),
            )
        })?;
        while let Some(b) = self.next().await? {
            out.extend_from_slice(&b);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cas::mock::random_bytes;
    use crate::cas::mock::{client, Fault, MockCas};
    use crate::download::test_support::stored;
    use crate::transport::Method;

    async fn read(
        cas: &Rc<CasClient>,
        file_hash: Hash,
        size: u64,
        range: Option<(u64, u64)>,
    ) -> Result<Vec<u8>, Error> {
        let target = Target {
            file_hash,
            size,
            range,
        };
        let options = DownloadOptions {
            max_concurrent: 3,
            max_in_flight_bytes: 2 << 20,
            ..Default::default()
        };
        FileDownload::open(cas.clone(), target, options, None, &Cancel::new())
            .await?
            .read_all()
            .await
    }

    #[tokio::test(flavor = "current_thread")]
    async fn faults_on_reads_are_retried_and_expired_urls_renewed() {
        let mock = MockCas::new();
        let data = random_bytes(1, 5 << 20);
        let (cas, hash) = stored(&mock, &data).await;
        mock.fault(Method::Get, "/fetch/", 2, Fault::Status(503));
        mock.fault(Method::Get, "/fetch/", 1, Fault::Cut(1000));
        mock.fault(Method::Get, "/fetch/", 1, Fault::Status(403));
        mock.fault(Method::Get, "/v2/reconstructions/", 1, Fault::Cut(5));
        let size = data.len() as u64;
        assert_eq!(read(&cas, hash, size, None).await.unwrap(), data);
        // First answer cut short, then a fresh one after the 403.
        assert_eq!(mock.count(Method::Get, "/v2/reconstructions/"), 3);
        for (start, end) in [
            (0, 1),
            (1 << 20, (1 << 20) + 1),
            (12_345, size - 1),
            (size - 1, size),
            (size, size),
        ] {
            assert_eq!(
                read(&cas, hash, size, Some((start, end))).await.unwrap(),
                &data[start as usize..end as usize]
            );
        }
        assert!(matches!(
            read(&cas, hash, size, Some((size + 1, size + 2))).await,
            Err(Error::Validation(_))
        ));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn falls_back_to_v1_and_remembers_it() {
        let mock = MockCas::new();
        let data = random_bytes(4, 3 << 20);
        let (cas, hash) = stored(&mock, &data).await;
        mock.no_v2.set(true);
        let size = data.len() as u64;
        assert_eq!(read(&cas, hash, size, None).await.unwrap(), data);
        assert_eq!(
            read(&cas, hash, size, Some((100, 2_000_000)))
                .await
                .unwrap(),
            &data[100..2_000_000]
        );
        assert_eq!(
            mock.count(Method::Get, "/v2/reconstructions/"),
            1,
            "V2 asked once, then remembered"
        );
        assert_eq!(mock.count(Method::Get, "/v1/reconstructions/"), 2);
        // An unknown file is still a 404 (V2 404, then V1 404).
        let fresh = MockCas::new();
        let (cas2, _) = client(&fresh);
        let r = read(&cas2, hash, size, None).await;
        assert_eq!(r.unwrap_err().status(), Some(404));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn corrupted_reads_are_integrity_errors() {
        let mock = MockCas::new();
        let data = random_bytes(2, 3 << 20);
        let (cas, hash) = stored(&mock, &data).await;
        for at in [0, 8, 9, 500_000] {
            mock.fault(Method::Get, "/fetch/", 1, Fault::Flip(at));
            let r = read(&cas, hash, data.len() as u64, None).await;
            assert!(
                matches!(r, Err(Error::Integrity { .. })),
                "byte {at}: {r:?}"
            );
        }
        // A wrong expected hash (a Hub entry that does not match the CAS) is caught too.
        let r = read(&cas, hash, data.len() as u64 - 1, None).await;
        assert!(matches!(r, Err(Error::Integrity { .. })), "{r:?}");
        assert_eq!(
            read(&cas, hash, data.len() as u64, None).await.unwrap(),
            data
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn partial_reads_read_each_footer_once_and_catch_flipped_bytes() {
        let mock = MockCas::new();
        let data = random_bytes(5, 3 << 20);
        let (cas, hash) = stored(&mock, &data).await;
        let size = data.len() as u64;
        // Starts inside the first 1 MiB xorb and ends inside the last: two partial xorbs.
        let (start, end) = (200_000, size - 200_000);
        let open = |verify: Verify| {
            let target = Target {
                file_hash: hash,
                size,
                range: Some((start, end)),
            };
            let options = DownloadOptions {
                verify,
                ..Default::default()
            };
            let cas = cas.clone();
            async move { FileDownload::open(cas, target, options, None, &Cancel::new()).await }
        };
        let before = mock.count(Method::Get, "/fetch/");
        let mut dl = open(Verify::Full).await.unwrap();
        let mut got = Vec::new();
        while let Some(b) = dl.next().await.unwrap() {
            got.extend_from_slice(&b);
        }
        assert_eq!(got, &data[start as usize..end as usize]);
        let (reads, bytes) = dl.footer_stats();
        assert_eq!(reads, 2, "one footer per partially read xorb");
        assert!(bytes > 0 && bytes <= 2 * super::super::footer::FOOTER_FIRST_REQUEST);
        // Three data ranges and one request per footer (each fits in the first request).
        assert_eq!(mock.count(Method::Get, "/fetch/") - before, 5);
        // A flipped byte in the first range (partial xorb, proven by its footer) is caught.
        for at in [8, 9, 5000] {
            mock.fault(Method::Get, "/fetch/", 1, Fault::Flip(at));
            let r = read(&cas, hash, size, Some((start, end))).await;
            assert!(
                matches!(r, Err(Error::Integrity { .. })),
                "byte {at}: {r:?}"
            );
            mock.clear_faults();
        }
        // A store that refuses suffix ranges: a verified partial read fails, a structural one
        // (the documented opt-out) reads the bytes.
        mock.refuse_suffix.set(true);
        let r = read(&cas, hash, size, Some((start, end))).await;
        match r {
            Err(Error::Integrity { message }) => assert!(message.contains("refused"), "{message}"),
            other => panic!("{other:?}"),
        }
        let dl = open(Verify::Structural).await.unwrap();
        assert_eq!(
            dl.read_all().await.unwrap(),
            &data[start as usize..end as usize]
        );
        // A whole file needs no footer.
        assert_eq!(read(&cas, hash, size, None).await.unwrap(), data);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn clients_sharing_a_footer_cache_read_each_footer_once() {
        let mock = MockCas::new();
        let data = random_bytes(6, 3 << 20);
        let (_, hash) = stored(&mock, &data).await;
        let size = data.len() as u64;
        let cache = crate::cas::footers::FooterCache::default();
        let sharing = || {
            let (cas, _) = client(&mock);
            Rc::new(Rc::try_unwrap(cas).unwrap().with_footers(cache.clone()))
        };
        // Two partial xorbs, as in the test above.
        let range = Some((200_000, size - 200_000));
        let expect = &data[200_000..(size - 200_000) as usize];
        let before = mock.count(Method::Get, "/fetch/");
        assert_eq!(read(&sharing(), hash, size, range).await.unwrap(), expect);
        assert_eq!(
            mock.count(Method::Get, "/fetch/") - before,
            5,
            "3 ranges, 2 footers"
        );
        // Another client (another call of the same BucketClient) needs no footer...
        let before = mock.count(Method::Get, "/fetch/");
        assert_eq!(read(&sharing(), hash, size, range).await.unwrap(), expect);
        assert_eq!(
            mock.count(Method::Get, "/fetch/") - before,
            3,
            "the 3 ranges only"
        );
        // ...and still catches a flipped byte with the kept footer.
        mock.fault(Method::Get, "/fetch/", 1, Fault::Flip(5000));
        let r = read(&sharing(), hash, size, range).await;
        assert!(matches!(r, Err(Error::Integrity { .. })), "{r:?}");
        mock.clear_faults();
        // A client without the cache reads the footers again.
        let before = mock.count(Method::Get, "/fetch/");
        let (plain, _) = client(&mock);
        assert_eq!(read(&plain, hash, size, range).await.unwrap(), expect);
        assert_eq!(mock.count(Method::Get, "/fetch/") - before, 5);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn pieces_are_bounded_and_dropping_stops_fetching() {
        let mock = MockCas::new();
        let data = random_bytes(3, 12 << 20);
        let (cas, hash) = stored(&mock, &data).await;
        let target = Target {
            file_hash: hash,
            size: data.len() as u64,
            range: None,
        };
        let options = DownloadOptions {
            max_concurrent: 2,
            max_in_flight_bytes: 1 << 20,
            ..Default::default()
        };
        let mut dl = FileDownload::open(cas.clone(), target, options, None, &Cancel::new())
            .await
            .unwrap();
        let first = dl.next().await.unwrap().unwrap();
        assert!(first.len() <= MAX_PIECE);
        let fetched = mock.count(Method::Get, "/fetch/");
        assert!(fetched <= 3, "fetched {fetched} ranges for the first piece");
        drop(dl);
        tokio::task::yield_now().await;
        assert_eq!(mock.count(Method::Get, "/fetch/"), fetched);
    }

    /// A 4 MiB file in 1 MiB xorbs, read with parts of 128 KiB (each unit split in about 8).
    fn split_options() -> DownloadOptions {
        DownloadOptions {
            max_concurrent: 4,
            max_in_flight_bytes: 1 << 20,
            split_bytes: 128 << 10,
            ..Default::default()
        }
    }

    async fn read_split(
        cas: &Rc<CasClient>,
        hash: Hash,
        size: u64,
        range: Option<(u64, u64)>,
    ) -> (Result<Vec<u8>, Error>, Vec<u8>, FileDownload) {
        let target = Target {
            file_hash: hash,
            size,
            range,
        };
        let mut dl = FileDownload::open(cas.clone(), target, split_options(), None, &Cancel::new())
            .await
            .unwrap();
        let mut got = Vec::new();
        loop {
            match dl.next().await {
                Ok(Some(b)) => got.extend_from_slice(&b),
                Ok(None) => return (Ok(got.clone()), got, dl),
                Err(e) => return (Err(e), got, dl),
            }
        }
    }

    /// A data range request that is not the first part of a xorb (`bytes=a-b`, `a > 0`).
    fn later_part(range: &str) -> bool {
        range.starts_with("bytes=")
            && !range.starts_with("bytes=-")
            && !range.starts_with("bytes=0-")
    }

    #[tokio::test(flavor = "current_thread")]
    async fn large_units_are_split_into_ranges_fetched_together() {
        let mock = MockCas::new();
        let data = random_bytes(6, 4 << 20);
        let (cas, hash) = stored(&mock, &data).await;
        let size = data.len() as u64;
        let before = mock.count(Method::Get, "/fetch/");
        let (r, _, dl) = read_split(&cas, hash, size, None).await;
        assert_eq!(r.unwrap(), data);
        let (footers, _) = dl.footer_stats();
        let requests = (mock.count(Method::Get, "/fetch/") - before) as u64;
        assert!(footers >= 4, "one footer per xorb: {footers}");
        // Each footer is read in one request; every 1 MiB unit became several ranges.
        assert!(
            requests - footers >= 4 * footers,
            "{requests} requests for {footers} xorbs"
        );
        assert!(
            mock.max_open_bodies() >= 3,
            "at most {} bodies read at once",
            mock.max_open_bodies()
        );
        assert_eq!(mock.open_bodies(), 0);
        // Ranges inside the file, across xorb edges, are split and exact too.
        for (start, end) in [(300_000, size - 300_000), (1 << 20, (3 << 20) + 5), (5, 6)] {
            let (r, _, _) = read_split(&cas, hash, size, Some((start, end))).await;
            assert_eq!(r.unwrap(), &data[start as usize..end as usize]);
        }
        // A store that refuses the footer range: units are fetched whole, still verified.
        mock.refuse_suffix.set(true);
        let before = mock.count(Method::Get, "/fetch/");
        let (r, _, _) = read_split(&cas, hash, size, None).await;
        assert_eq!(r.unwrap(), data);
        let requests = mock.count(Method::Get, "/fetch/") - before;
        assert!(requests <= 2 * 5 + 1, "{requests} requests without footers");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_corrupt_chunk_in_a_later_range_fails_before_its_bytes_are_handed_out() {
        let mock = MockCas::new();
        let data = random_bytes(7, 4 << 20);
        let (cas, hash) = stored(&mock, &data).await;
        let size = data.len() as u64;
        // The second range of the first xorb: a payload byte of its second chunk record.
        for at in [9usize, 70_000] {
            mock.fault(
                Method::Get,
                "/fetch/",
                1,
                Fault::OnRange(Rc::new(later_part), Box::new(Fault::Flip(at))),
            );
            let (r, got, _) = read_split(&cas, hash, size, None).await;
            assert!(
                matches!(r, Err(Error::Integrity { .. })),
                "byte {at}: {r:?}"
            );
            // Only bytes of the ranges before it came out, and they are right.
            assert!(
                !got.is_empty() && got.len() < 1 << 20,
                "{} bytes",
                got.len()
            );
            assert_eq!(got, &data[..got.len()]);
            mock.clear_faults();
        }
        // An expired URL on a later range renews the URLs and resumes at that range.
        mock.fault(
            Method::Get,
            "/fetch/",
            1,
            Fault::OnRange(Rc::new(later_part), Box::new(Fault::Status(403))),
        );
        let recon = mock.count(Method::Get, "/v2/reconstructions/");
        let (r, _, _) = read_split(&cas, hash, size, None).await;
        assert_eq!(r.unwrap(), data);
        assert_eq!(mock.count(Method::Get, "/v2/reconstructions/") - recon, 2);
    }
}
