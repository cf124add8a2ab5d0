//! Uploads (xet spec §8, buckets flows 1–2): source → chunk → dedup → xorb → shard → batch commit.
//!
//! * [`plan`] makes every decision without I/O: session and global dedup, xorb packing, terms,
//!   verification hashes and the session shard; [`xorbs`] packs xorbs into reused buffers.
//! * [`pipeline`] runs it over sources and the CAS, with bounded memory and concurrency;
//! * [`cache`] is the local shard cache's contract (the platform keeps the shards);
//! * [`commit`] commits the returned file hashes to the Hub (batch `addFile` lines) only after
//!   the upload succeeded, with the MIME and `mtime` defaults; and `copyFiles`' re-upload policy.

pub mod cache;
pub mod commit;
pub mod mime;
pub mod pipeline;
pub mod plan;
pub mod xorbs;

pub use pipeline::{
    upload_files, upload_files_cached, BytesSource, Piece, ProgressFn, Source, SourceMeta,
    UploadFile, UploadOptions, UploadProgress, UploadReport, UploadedFile,
};
