//! The Hub's bucket API (buckets spec §3–9, flows 0–7): wire types, `hf://` URIs, request
//! builders without I/O, pagination, input validation, and the async operations on top of
//! [`crate::transport`].

mod error;
mod validate;

pub use error::HubError;
pub use validate::{normalize_prefix, validate_name, validate_path, BucketId, ValidationError, MAX_NAME_CHARS, MAX_PATH_BYTES};
