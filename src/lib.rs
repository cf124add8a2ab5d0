//! hf-buckets: Hugging Face Storage Buckets client, compiled to WebAssembly.
pub use xet;
