//! Downloads (xet spec §9, buckets flow 3): reconstruction → ranged fetch → verify → byte stream.
//!
//! * [`plan`] plans the fetches of a reconstruction, decodes and checks every chunk, and yields
//!   the bytes in file order, without I/O.
//! * [`footer`] proves the chunks of a partial xorb read with the xorb's footer.
//! * [`stream`] runs a plan against the CAS as a pull-based stream with bounded concurrency and
//!   memory.
//! * [`ahead`] drives a stream on its own task, so fetching and verifying go on while the
//!   consumer handles the previous piece.
//! * [`reader`] serves any byte range of a file, with an LRU of verified chunks (`openBucketBlob`).

pub mod ahead;
pub mod footer;
pub mod plan;
pub mod reader;
pub mod stream;
#[cfg(test)]
mod test_support;

pub use footer::Verify;
pub use reader::{BlobReader, ReaderOptions, ReaderStats};
pub use stream::{DownloadOptions, DownloadProgress, FileDownload, Target};
