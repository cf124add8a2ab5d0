//! Upload, then commit (buckets flows 1, 2 and 5): the product rules between the upload pipeline
//! and the Hub's batch endpoint, over Rust types only (the JS bindings convert their arguments
//! into these and the report back; `cargo test` drives the same code against local-hub).
//!
//! * [`upload_and_commit`]: checks every path first, uploads the new files in one session, then
//!   commits their `addFile` lines with the caller's other lines (adds, copies, deletes) in one
//!   [`HubClient::batch`]. A file's `mtime` is the caller's, else its source's; its content type
//!   is the caller's, else a guess from the source's name, else from the destination path
//!   ([`super::mime::guess`]). Nothing is committed when the upload fails or is aborted.
//! * [`copy_files`]: [`HubClient::plan_copy`], then the re-upload policy for repo files stored in
//!   git (no `xetHash`, so no server-side copy): each is downloaded into memory and uploaded
//!   again when it is at most [`MAX_REUPLOAD_BYTES`] and the call's total stays within
//!   [`MAX_REUPLOAD_TOTAL`]; the others are reported in `skipped`.

use std::rc::Rc;

use super::cache::ShardCache;
use super::mime;
use super::pipeline::{
    upload_files_cached, BytesSource, Piece, ProgressFn, Source, SourceMeta, UploadFile,
    UploadOptions, UploadReport, UploadedFile,
};
use crate::cas::CasClient;
use crate::error::Error;
use crate::hub::{
    validate_path, BatchFailure, BatchLine, BatchReport, BucketId, HfUri, HubClient, ToJson,
};
use crate::transport::{Bytes, Cancel};
use xet::json::{write_object, ObjectWriter};

/// Largest git-stored repo file [`copy_files`] downloads and re-uploads (read into memory).
pub const MAX_REUPLOAD_BYTES: usize = 64 * 1024 * 1024;
/// Most bytes of such files one [`copy_files`] call re-uploads in all.
pub const MAX_REUPLOAD_TOTAL: u64 = 256 * 1024 * 1024;
/// Size of the pieces a downloaded repo file is handed to the pipeline in.
const REUPLOAD_PIECE: usize = 1 << 20;

/// A file to upload and commit.
pub struct NewFile {
    /// Destination path in the bucket.
    pub path: String,
    /// Its content.
    pub source: Box<dyn Source>,
    /// Modification time (ms since 1970); default: the source's, else the server's time.
    pub mtime: Option<i64>,
    /// MIME type; default: guessed from the source's name, else from `path`.
    pub content_type: Option<String>,
}

/// How much [`copy_files`] re-uploads through memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReuploadLimits {
    /// Largest file (bytes).
    pub per_file: usize,
    /// Most bytes in all, per call.
    pub total: u64,
}

impl Default for ReuploadLimits {
    fn default() -> Self {
        ReuploadLimits {
            per_file: MAX_REUPLOAD_BYTES,
            total: MAX_REUPLOAD_TOTAL,
        }
    }
}

/// Options of an upload-and-commit.
#[derive(Clone, Default)]
pub struct CommitOptions {
    /// Pipeline options (SHA-256, concurrency, …).
    pub upload: UploadOptions,
    /// Upload only: leave the batch out (the caller commits the returned hashes later).
    pub no_commit: bool,
    /// Called with the upload's byte counters.
    pub progress: Option<ProgressFn>,
    /// [`copy_files`]' re-upload limits (default: [`MAX_REUPLOAD_BYTES`], [`MAX_REUPLOAD_TOTAL`]).
    pub reupload: ReuploadLimits,
    /// The local shard cache (see [`super::cache`]), if any.
    pub shard_cache: Option<Rc<dyn ShardCache>>,
}

/// One uploaded file as reported to callers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    /// Destination path.
    pub path: String,
    /// Xet hash (64 hex digits).
    pub xet_hash: String,
    /// Size in bytes.
    pub size: u64,
    /// Bytes stored as new data.
    pub new_bytes: u64,
    /// Bytes found already stored.
    pub dedup_bytes: u64,
    /// SHA-256 (hex), when asked for.
    pub sha256: Option<String>,
}

impl From<&UploadedFile> for FileSummary {
    fn from(f: &UploadedFile) -> FileSummary {
        FileSummary {
            path: f.path.clone(),
            xet_hash: f.hash.to_hex(),
            size: f.size,
            new_bytes: f.new_bytes,
            dedup_bytes: f.dedup_bytes,
            sha256: f
                .sha256
                .map(|sha| sha.iter().map(|b| format!("{b:02x}")).collect()),
        }
    }
}

/// What the upload of a call did, as reported to callers: the counters of [`UploadReport`]
/// (same names and meanings) with `bytes_sent` = xorb + shard bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct UploadSummary {
    pub files: Vec<FileSummary>,
    pub bytes: u64,
    pub new_bytes: u64,
    pub dedup_bytes: u64,
    pub bytes_sent: u64,
    pub xorb_bytes_sent: u64,
    pub shard_bytes_sent: u64,
    pub xorbs: usize,
    pub xorbs_already_stored: usize,
    pub dedup_queries: usize,
    pub dedup_hits: usize,
    pub dedup_cache_hits: usize,
}

impl From<&UploadReport> for UploadSummary {
    fn from(r: &UploadReport) -> UploadSummary {
        UploadSummary {
            files: r.files.iter().map(FileSummary::from).collect(),
            bytes: r.bytes,
            new_bytes: r.new_bytes,
            dedup_bytes: r.dedup_bytes,
            bytes_sent: r.bytes_sent(),
            xorb_bytes_sent: r.xorb_bytes_sent,
            shard_bytes_sent: r.shard_bytes_sent,
            xorbs: r.xorbs,
            xorbs_already_stored: r.xorbs_already_stored,
            dedup_queries: r.dedup_queries,
            dedup_hits: r.dedup_hits,
            dedup_cache_hits: r.dedup_cache_hits,
        }
    }
}

/// Outcome of [`upload_and_commit`] / [`copy_files`]: the batch report (absent when nothing
/// was committed) with the upload's (absent when nothing was uploaded) beside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitReport {
    /// The batch (`success`, `processed`, `succeeded`, `failed`, `skipped`).
    pub batch: Option<BatchReport>,
    /// The upload.
    pub upload: Option<UploadSummary>,
}

/// Outcome of a one-file upload: the file's summary, with the whole upload and batch reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleFileReport {
    /// The file.
    pub file: FileSummary,
    /// The upload.
    pub upload: UploadSummary,
    /// The batch (absent with [`CommitOptions::no_commit`]).
    pub batch: Option<BatchReport>,
}

impl FileSummary {
    fn members(&self, o: &mut ObjectWriter<'_>) {
        o.str("path", &self.path)
            .str("xetHash", &self.xet_hash)
            .u64("size", self.size)
            .u64("newBytes", self.new_bytes)
            .u64("dedupBytes", self.dedup_bytes)
            .opt_str("sha256", self.sha256.as_deref());
    }
}

impl ToJson for FileSummary {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| self.members(o));
    }
}

impl ToJson for UploadSummary {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| {
            o.raw("files", |out| self.files.write_json(out))
                .u64("bytes", self.bytes)
                .u64("newBytes", self.new_bytes)
                .u64("dedupBytes", self.dedup_bytes)
                .u64("bytesSent", self.bytes_sent)
                .u64("xorbBytesSent", self.xorb_bytes_sent)
                .u64("shardBytesSent", self.shard_bytes_sent)
                .u64("xorbs", self.xorbs as u64)
                .u64("xorbsAlreadyStored", self.xorbs_already_stored as u64)
                .u64("dedupQueries", self.dedup_queries as u64)
                .u64("dedupHits", self.dedup_hits as u64)
                .u64("dedupCacheHits", self.dedup_cache_hits as u64);
        });
    }
}

/// The batch report's members, then `upload`.
impl ToJson for CommitReport {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| {
            if let Some(batch) = &self.batch {
                batch.members(o);
            }
            if let Some(upload) = &self.upload {
                o.raw("upload", |out| upload.write_json(out));
            }
        });
    }
}

/// The file's members, then `upload` and `batch`.
impl ToJson for SingleFileReport {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| {
            self.file.members(o);
            o.raw("upload", |out| self.upload.write_json(out));
            if let Some(batch) = &self.batch {
                o.raw("batch", |out| batch.write_json(out));
            }
        });
    }
}

impl CommitReport {
    /// The report of a call that uploaded exactly one file; `None` otherwise.
    pub fn into_single(self) -> Option<SingleFileReport> {
        let upload = self.upload?;
        let [file] = <[FileSummary; 1]>::try_from(upload.files.clone()).ok()?;
        Some(SingleFileReport {
            file,
            upload,
            batch: self.batch,
        })
    }
}

/// Passes reads through and keeps the source's [`SourceMeta`] once it has been opened (the
/// pipeline drops sources when they end).
struct Watched {
    inner: Box<dyn Source>,
    meta: Rc<std::cell::RefCell<Option<SourceMeta>>>,
}

#[async_trait::async_trait(?Send)]
impl Source for Watched {
    async fn read(&mut self) -> Result<Option<Bytes>, Error> {
        Ok(self.read_piece().await?.map(|p| p.bytes))
    }

    async fn read_piece(&mut self) -> Result<Option<Piece>, Error> {
        let piece = self.inner.read_piece().await?;
        let mut meta = self.meta.borrow_mut();
        if meta.is_none() {
            *meta = Some(self.inner.meta());
        }
        Ok(piece)
    }
}

/// Uploads `files` and commits them with `lines` (see the module docs). Every path is checked
/// before anything is sent. Without files this is [`HubClient::batch`]; with
/// [`CommitOptions::no_commit`] nothing is committed (not even `lines`).
pub async fn upload_and_commit(
    hub: &HubClient,
    cas: &Rc<CasClient>,
    id: &BucketId,
    mut lines: Vec<BatchLine>,
    files: Vec<NewFile>,
    options: CommitOptions,
    cancel: &Cancel,
) -> Result<CommitReport, Error> {
    for l in &lines {
        validate_path("path", l.path())?;
    }
    for f in &files {
        validate_path("path", &f.path)?;
    }
    if files.is_empty() {
        if options.no_commit {
            return Ok(CommitReport::default());
        }
        return Ok(CommitReport {
            batch: Some(hub.batch(id, lines, cancel).await?),
            upload: None,
        });
    }
    let mut metas = Vec::with_capacity(files.len());
    let mut given = Vec::with_capacity(files.len());
    let mut inputs = Vec::with_capacity(files.len());
    for f in files {
        let meta = Rc::new(std::cell::RefCell::new(None));
        metas.push(meta.clone());
        given.push((f.mtime, f.content_type));
        inputs.push(UploadFile {
            path: f.path,
            source: Box::new(Watched {
                inner: f.source,
                meta,
            }),
        });
    }
    let report = upload_files_cached(
        cas,
        inputs,
        options.upload,
        options.progress,
        options.shard_cache,
        cancel,
    )
    .await?;
    let upload = UploadSummary::from(&report);
    if options.no_commit {
        return Ok(CommitReport {
            batch: None,
            upload: Some(upload),
        });
    }
    for ((f, meta), (mtime, content_type)) in report.files.iter().zip(&metas).zip(given) {
        let meta = meta.borrow_mut().take().unwrap_or_default();
        let content_type = content_type.or_else(|| {
            meta.name
                .as_deref()
                .and_then(mime::guess)
                .or_else(|| mime::guess(&f.path))
                .map(String::from)
        });
        lines.push(BatchLine::Add {
            path: f.path.clone(),
            xet_hash: f.hash.to_hex(),
            mtime: mtime.or(meta.mtime_ms),
            content_type,
        });
    }
    Ok(CommitReport {
        batch: Some(hub.batch(id, lines, cancel).await?),
        upload: Some(upload),
    })
}

/// Copies `source` (a bucket or a model/dataset/space repo, file or folder) into the bucket of
/// `destination` (see the module docs for git-stored files). `cas_for` makes the CAS client of
/// the destination bucket (used only for re-uploads). The report's `success` is false when some
/// file was skipped.
pub async fn copy_files(
    hub: &HubClient,
    cas_for: &dyn Fn(&BucketId) -> Rc<CasClient>,
    source: &HfUri,
    destination: &HfUri,
    options: CommitOptions,
    cancel: &Cancel,
) -> Result<CommitReport, Error> {
    let plan = hub.plan_copy(source, destination, cancel).await?;
    let now = hub.http().now_ms() as i64;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut total = 0u64;
    let limits = options.reupload;
    for g in plan.git_files {
        let too_large = |size: u64| {
            (size > limits.per_file as u64 || total + size > limits.total).then(|| BatchFailure {
                path: g.target.clone(),
                error: format!(
                    "{}/{} has no xetHash and is too large to re-upload through memory ({size} bytes; at most {} per file and {} per call); download and upload it instead",
                    source.id, g.source_path, limits.per_file, limits.total
                ),
            })
        };
        if let Some(skip) = too_large(g.size.unwrap_or(0)) {
            skipped.push(skip);
            continue;
        }
        let bytes = hub
            .download_repo_file(source, &g.source_path, limits.per_file, cancel)
            .await?;
        // The listing may not give a size: check the bytes actually read as well.
        if let Some(skip) = too_large(bytes.len() as u64) {
            skipped.push(skip);
            continue;
        }
        total += bytes.len() as u64;
        files.push(NewFile {
            path: g.target,
            source: Box::new(BytesSource::new(bytes, REUPLOAD_PIECE)),
            mtime: Some(now),
            content_type: None,
        });
    }
    let mut report = upload_and_commit(
        hub,
        &cas_for(&plan.destination),
        &plan.destination,
        plan.lines,
        files,
        options,
        cancel,
    )
    .await?;
    if !skipped.is_empty() {
        let batch = report.batch.get_or_insert_with(BatchReport::default);
        batch.skipped.extend(skipped);
        batch.success = false;
    }
    Ok(report)
}
