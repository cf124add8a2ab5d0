//! local-hub: a local Hugging Face Hub for Storage Buckets, with the official Xet CAS
//! storage (`xet-client` 1.8.0, `LocalClient`) inside, served by an authenticating front.
//!
//! Start it with `local-hub --port 0`; when ready it prints one JSON line on stdout:
//! `{"hub":"http://127.0.0.1:P","cas":"http://127.0.0.1:Q","user":"demo","token":"hf_…",…}`.
//! See `local-hub/README.md` for flags, the config file, the admin/fault API and the
//! spec coverage table.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match local_hub::run_from_command_line().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("local-hub: {message}");
            ExitCode::FAILURE
        }
    }
}
