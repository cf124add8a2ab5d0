//! The Hub's bucket API (buckets spec §3–9, flows 0–7): wire types, `hf://` URIs, request
//! builders without I/O, pagination, input validation, and the async operations on top of
//! [`crate::transport`] ([`HubClient`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), hf_buckets::error::Error> {
//! use std::rc::Rc;
//! use hf_buckets::hub::{Api, HubClient};
//! use hf_buckets::transport::{native::NativeClient, retry::RetryPolicy, Cancel};
//! let api = Api::new("http://127.0.0.1:8080", Some("hf_…".into()))?;
//! let hub = HubClient::new(Rc::new(NativeClient::new()), api, RetryPolicy::default());
//! let made = hub.create_bucket("ckpts", None, &Default::default(), true, &Cancel::new()).await?;
//! let mut tree = hub.list_tree(&made.bucket_id.parse()?, "", true, None)?;
//! while let Some(page) = tree.next_page(&hub, &Cancel::new()).await? {
//!     for entry in page { println!("{}", entry.path()); }
//! }
//! # Ok(()) }
//! ```

mod api;
mod client;
mod error;
mod paginate;
mod types;
mod uri;
mod validate;

pub use api::{Api, CreateBucketOptions, HUB_ORIGINS};
pub use client::{CopyPlan, GitFile, HubClient, TreeListing, MAX_LINES_PER_REQUEST};
pub use error::HubError;
pub use paginate::{next_link, Pager, MAX_LIST_LIMIT};
pub(crate) use types::from_json_bytes;
pub use types::{
    is_xet_hash, parse_timestamp, BatchFailure, BatchLine, BatchReport, BucketInfo, CreatedBucket,
    DirectoryEntry, FileEntry, FileMetadata, FromJson, RepoEntry, ToJson, TreeEntry, XetToken,
};
pub use uri::{HfUri, RepoType};
pub use validate::{
    in_prefix, normalize_prefix, validate_name, validate_path, BucketId, ValidationError,
    MAX_NAME_CHARS, MAX_PATH_BYTES,
};
