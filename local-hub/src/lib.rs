//! local-hub as a library: everything but `main`. The binary (`main.rs`) runs
//! [`run_from_command_line`]; the fuzz targets (`fuzz/`) drive the hand-written request
//! parsers through [`parse`].

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

pub mod parse;

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

use std::sync::atomic::{AtomicU64, Ordering};

use clap::Parser as _;

/// Parses the command line and runs local-hub until it is stopped: the binary's `main`.
///
/// # Errors
/// A message for anything that keeps it from starting (bad flags, config, ports, storage).
pub async fn run_from_command_line() -> Result<(), String> {
    app::run(cli::Args::parse()).await
}

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
