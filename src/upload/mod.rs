//! Uploads (xet spec §8, buckets flows 1–2): source → chunk → dedup → xorb → shard → batch commit.
//!
//! * [`plan`] makes every decision without I/O: session and global dedup, xorb packing, terms,
//!   verification hashes and the session shard.

pub mod plan;
