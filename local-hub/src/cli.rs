//! Command-line flags.

use std::path::PathBuf;

/// A local Hugging Face Hub for Storage Buckets, with the official Xet CAS server inside.
///
/// When ready, prints one JSON line on stdout:
/// {"hub":…,"cas":…,"user":…,"token":…,"adminToken":…,"dataDir":…}.
#[derive(Debug, clap::Parser)]
#[command(name = "local-hub", version)]
pub(crate) struct Args {
    /// Port of the Hub API (0 = pick a free port).
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,

    /// Port of the CAS front handed out as `casUrl` (default: a free port).
    #[arg(long)]
    pub(crate) cas_port: Option<u16>,

    /// Address to bind. Loopback by default; other addresses expose local-hub to the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) host: String,

    /// Another name clients may send in `Host` (repeatable; e.g. a LAN name when binding a
    /// non-loopback address). Loopback names and the bound address are always accepted; any
    /// other name is refused with 400 (a defence against DNS rebinding).
    #[arg(long = "public-host", value_name = "NAME")]
    pub(crate) public_hosts: Vec<String>,

    /// Answer Chromium's Private Network Access preflights, so pages served from a public
    /// address may call this loopback server. Off by default: a page from the internet cannot
    /// reach local-hub.
    #[arg(long)]
    pub(crate) allow_private_network: bool,

    /// Keep all state here (created if missing). Default: a fresh temporary directory,
    /// removed on exit.
    #[arg(long)]
    pub(crate) data_dir: Option<PathBuf>,

    /// `USER:TOKEN:read|write` — adds a Hub token, creating the user if needed (repeatable).
    /// Arguments are visible to other local users (`ps`): prefer `LOCAL_HUB_TOKENS`
    /// (comma-separated) or a `--config` file for real secrets.
    #[arg(
        long = "token",
        value_name = "USER:TOKEN:ROLE",
        env = "LOCAL_HUB_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub(crate) tokens: Vec<String>,

    /// JSON file with users, orgs, memberships, tokens and seeded repos (see README).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,

    /// Token for the /admin API (default: random, printed in the start-up line). Also read from
    /// `LOCAL_HUB_ADMIN_TOKEN`, which, unlike an argument, `ps` does not show.
    #[arg(long, env = "LOCAL_HUB_ADMIN_TOKEN", hide_env_values = true)]
    pub(crate) admin_token: Option<String>,

    /// Lifetime of issued CAS tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    pub(crate) cas_token_ttl: u64,

    /// Lifetime of the signed `fetch_term` URLs in reconstruction answers, in seconds.
    #[arg(long, default_value_t = crate::fetch_url::DEFAULT_TTL_SECS)]
    pub(crate) fetch_url_ttl: u64,

    /// Log one line per request on stderr (never tokens).
    #[arg(long)]
    pub(crate) verbose: bool,
}
