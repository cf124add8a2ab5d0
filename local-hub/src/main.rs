//! local-hub: a local Hugging Face Hub for Storage Buckets, with the official Xet CAS
//! storage (`xet-client` 1.8.0, `LocalClient`) inside, served by an authenticating front.
//!
//! Start it with `local-hub --port 0`; when ready it prints one JSON line on stdout:
//! `{"hub":"http://127.0.0.1:P","cas":"http://127.0.0.1:Q","user":"demo","token":"hf_…",…}`.
//! See `local-hub/README.md` for flags, the config file, the admin/fault API and the
//! spec coverage table.

#![warn(unreachable_pub)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod accounts;
mod app;
mod cas_front;
mod cas_routes;
mod cas_token;
mod cli;
mod config;
mod error;
mod faults;
mod fetch_url;
mod http_util;
mod routes;
mod store;
mod time;

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::Parser as _;

/// Fills `buf` from the OS random source; on the (unheard-of) failure, from a hash of the
/// clock and a counter so ids stay unique. Secrets are created with [`secure_random`].
pub(crate) fn random_fill(buf: &mut [u8]) {
    if getrandom::fill(buf).is_ok() {
        return;
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    use sha2::Digest as _;
    let mut offset = 0;
    while offset < buf.len() {
        let mut hasher = sha2::Sha256::new();
        hasher.update(time::now_ms().to_le_bytes());
        hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
        hasher.update(std::process::id().to_le_bytes());
        for byte in hasher.finalize() {
            if let Some(slot) = buf.get_mut(offset) {
                *slot = byte;
            }
            offset += 1;
        }
    }
}

/// Random bytes for secrets: the OS source or an error.
pub(crate) fn secure_random(len: usize) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; len];
    getrandom::fill(&mut buf).map_err(|e| format!("OS random source: {e}"))?;
    Ok(buf)
}

/// `hf_` + 34 random letters and digits.
pub(crate) fn new_hub_token() -> Result<String, String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let bytes = secure_random(34)?;
    let body: String = bytes
        .iter()
        .map(|b| {
            char::from(
                ALPHABET
                    .get(usize::from(*b) % ALPHABET.len())
                    .copied()
                    .unwrap_or(b'x'),
            )
        })
        .collect();
    Ok(format!("hf_{body}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = cli::Args::parse();
    match app::run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("local-hub: {message}");
            ExitCode::FAILURE
        }
    }
}
