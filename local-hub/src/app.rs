//! Start-up and shared state: data directory, accounts, the store, the official CAS storage
//! (called in-process: it has no listener), the Hub listener and the CAS front.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::http::HeaderMap;
use tokio::net::TcpListener;
use xet_client::cas_client::{DirectAccessClient, LocalClient};
use xet_runtime::core::XetContext;

use crate::accounts::{Accounts, Caller, TokenRole};
use crate::cas_token::{Claims, Scope, Signer};
use crate::cli::Args;
use crate::config::{self, ConfigFile};
use crate::error::ApiError;
use crate::faults::Faults;
use crate::http_util;
use crate::store::{write_atomic, Store};
use crate::time;

/// Everything the handlers share.
pub(crate) struct AppState {
    accounts: RwLock<Accounts>,
    accounts_path: PathBuf,
    pub(crate) store: Store,
    /// The official CAS storage (`xet-client`'s `LocalClient`), which the CAS front's routes
    /// and the Hub routes (sizes, file bytes) call in-process.
    pub(crate) cas: Arc<dyn DirectAccessClient>,
    /// The folder where that storage keeps one file per xorb (`default.<hash>`), for ranged
    /// reads (see `cas_routes::read_xorb_range`).
    pub(crate) xorb_dir: PathBuf,
    pub(crate) signer: Signer,
    /// Signs the `fetch_term` URLs of reconstruction answers (key drawn at start-up).
    pub(crate) url_signer: crate::fetch_url::UrlSigner,
    /// Files uploaded per bucket/repo since start-up (readable before they are committed).
    pub(crate) uploaded: crate::cas_routes::Uploaded,
    pub(crate) faults: Faults,
    pub(crate) admin_token: String,
    /// Port of the CAS front (`casUrl` = request host name + this port).
    pub(crate) cas_port: u16,
    /// `host:port` of the Hub, used when a request has no `Host` header.
    pub(crate) default_hub_host: String,
    /// `host:port` of the CAS front, used when a request has no `Host` header.
    pub(crate) default_cas_host: String,
    pub(crate) token_ttl_secs: AtomicU64,
    pub(crate) verbose: bool,
    /// Answer Private Network Access preflights (`--allow-private-network`).
    pub(crate) allow_private_network: bool,
    /// The live change feed's per-bucket logs.
    pub(crate) events: crate::routes::events::Events,
    /// Where the CAS token revocation instant is kept, so it holds across restarts.
    revocation_path: PathBuf,
}

impl AppState {
    /// Read access to the accounts (do not hold across an `.await`).
    pub(crate) fn accounts(&self) -> RwLockReadGuard<'_, Accounts> {
        self.accounts.read().unwrap_or_else(|p| p.into_inner())
    }

    fn accounts_mut(&self) -> RwLockWriteGuard<'_, Accounts> {
        self.accounts.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Revokes every CAS token issued so far, durably: the instant is written to the data
    /// directory before the call returns, and read back at the next start.
    pub(crate) async fn revoke_cas_tokens(&self) -> Result<(), ApiError> {
        let before_us = crate::time::now_us() + 1;
        self.signer.revoke_all_issued_before(before_us);
        let path = self.revocation_path.clone();
        let bytes = before_us.to_string().into_bytes();
        tokio::task::spawn_blocking(move || write_atomic(&path, &bytes))
            .await
            .map_err(|e| ApiError::Internal(format!("saving the revocation: {e}")))?
            .map_err(|e| ApiError::Internal(format!("saving the revocation: {e}")))
    }

    /// Changes the accounts and persists them.
    pub(crate) async fn update_accounts<T>(
        &self,
        change: impl FnOnce(&mut Accounts) -> Result<T, String>,
    ) -> Result<T, ApiError> {
        let (result, bytes) = {
            let mut accounts = self.accounts_mut();
            let result = change(&mut accounts).map_err(ApiError::BadRequest)?;
            (result, serde_json::to_vec_pretty(&*accounts))
        };
        let bytes = bytes.map_err(|e| ApiError::Internal(format!("serialising accounts: {e}")))?;
        let path = self.accounts_path.clone();
        tokio::task::spawn_blocking(move || write_atomic(&path, &bytes))
            .await
            .map_err(|e| ApiError::Internal(format!("saving accounts: {e}")))?
            .map_err(|e| ApiError::Internal(format!("saving accounts: {e}")))?;
        Ok(result)
    }

    /// The caller of a Hub request (None = anonymous; unknown token = 401).
    pub(crate) fn caller(&self, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
        self.accounts().authenticate(headers)
    }

    /// `http://host:port` of the Hub as the client addressed it.
    pub(crate) fn hub_base(&self, headers: &HeaderMap) -> String {
        format!(
            "http://{}",
            http_util::host_of(headers, &self.default_hub_host)
        )
    }

    /// `casUrl`: the client's host name with the CAS front's port.
    pub(crate) fn cas_url(&self, headers: &HeaderMap) -> String {
        let host = http_util::host_of(headers, &self.default_hub_host);
        format!("http://{}:{}", http_util::hostname(&host), self.cas_port)
    }

    /// Issues a CAS token; returns `(token, exp seconds)`.
    pub(crate) fn issue_cas_token(&self, scope: Scope, repo: String) -> (String, u64) {
        let exp = time::now_secs().saturating_add(self.token_ttl_secs.load(Ordering::SeqCst));
        let mut nonce = [0u8; 8];
        crate::random_fill(&mut nonce);
        let claims = Claims {
            scope,
            repo,
            exp,
            iat: time::now_us(),
            n: nonce.iter().map(|b| format!("{b:02x}")).collect(),
        };
        (self.signer.issue(&claims), exp)
    }

    /// Checks `Authorization: Bearer <admin token>`.
    pub(crate) fn check_admin(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let expected = self.admin_token.as_bytes();
        let equal = given.len() == expected.len()
            && given
                .bytes()
                .zip(expected.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if equal {
            Ok(())
        } else {
            Err(ApiError::Unauthenticated("admin token required".into()))
        }
    }
}

fn load_or_create_secret(path: &Path) -> Result<Vec<u8>, String> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let text = text.trim();
        let bytes: Option<Vec<u8>> = (0..text.len())
            .step_by(2)
            .map(|i| {
                text.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect();
        if let Some(bytes) = bytes.filter(|b| b.len() == 32) {
            return Ok(bytes);
        }
        return Err(format!("{} is not 64 hex digits", path.display()));
    }
    let secret = crate::secure_random(32)?;
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    write_atomic(path, hex.as_bytes()).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(secret)
}

/// The persisted CAS token revocation instant (Unix µs), if `expire-tokens` was ever called.
fn load_revocation(path: &Path) -> Result<Option<i64>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("{} is not an integer", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("reading {}: {e}", path.display())),
    }
}

fn load_accounts(path: &Path) -> Result<Accounts, String> {
    match std::fs::read(path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| format!("parsing {}: {e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Accounts::default()),
        Err(e) => Err(format!("reading {}: {e}", path.display())),
    }
}

/// The host to print in URLs for a bind address.
fn display_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".into(),
        IpAddr::V6(v6) if v6.is_unspecified() => "127.0.0.1".into(),
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

async fn bind(host: &str, port: u16) -> Result<TcpListener, String> {
    TcpListener::bind((host, port))
        .await
        .map_err(|e| format!("binding {host}:{port}: {e}"))
}

/// Installs the SIGINT and SIGTERM handlers now and returns a future that ends at the first of
/// them. Called before the start-up line is printed, so a signal sent right after that line
/// always shuts down cleanly (temporary data dir removed) instead of killing the process.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        async fn first(signal: Option<Signal>) {
            match signal {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            tokio::select! {
                () = first(interrupt) => {},
                () = first(terminate) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs local-hub until SIGINT/SIGTERM.
pub(crate) async fn run(args: Args) -> Result<(), String> {
    // Data directory: given, or a temporary one removed at exit.
    let (data_dir, _temp_guard) = match &args.data_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
            (
                dir.canonicalize()
                    .map_err(|e| format!("{}: {e}", dir.display()))?,
                None,
            )
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix("local-hub-")
                .tempdir()
                .map_err(|e| format!("creating a temporary data directory: {e}"))?;
            (temp.path().to_path_buf(), Some(temp))
        }
    };
    let hub_dir = data_dir.join("hub");
    std::fs::create_dir_all(&hub_dir)
        .map_err(|e| format!("creating {}: {e}", hub_dir.display()))?;
    let secret = load_or_create_secret(&hub_dir.join("secret.key"))?;
    let revocation_path = hub_dir.join("tokens-revoked-before");
    let revoked_before_us = load_revocation(&revocation_path)?;

    // Accounts: stored ones, then the config file, then --token flags, then the demo user.
    let config = match &args.config {
        Some(path) => ConfigFile::read(path)?,
        None => ConfigFile::default(),
    };
    let accounts_path = hub_dir.join("accounts.json");
    let mut accounts = load_accounts(&accounts_path)?;
    config::apply_accounts(&mut accounts, &config)?;
    for flag in &args.tokens {
        let (user, token, role) = config::parse_token_flag(flag)?;
        accounts.add_token(&user, &token, role, "--token")?;
    }
    let demo_token = match accounts
        .demo_token
        .clone()
        .filter(|t| accounts.tokens.contains_key(t))
    {
        Some(token) => token,
        None => {
            let token = crate::new_hub_token()?;
            accounts.add_token("demo", &token, TokenRole::Write, "local-hub demo")?;
            accounts.demo_token = Some(token.clone());
            token
        }
    };
    let accounts_json =
        serde_json::to_vec_pretty(&accounts).map_err(|e| format!("serialising accounts: {e}"))?;
    write_atomic(&accounts_path, &accounts_json)
        .map_err(|e| format!("writing {}: {e}", accounts_path.display()))?;

    let store = Store::load(&hub_dir)?;

    // The official CAS storage, called in-process by the CAS front: no listener of its own.
    let ctx = XetContext::default().map_err(|e| format!("Xet runtime: {e}"))?;
    let cas: Arc<dyn DirectAccessClient> = LocalClient::new(ctx, &data_dir.join("cas"))
        .await
        .map_err(|e| format!("opening the CAS storage: {e}"))?;
    let cas_dir = data_dir.join("cas");
    let xorb_dir = std::fs::canonicalize(&cas_dir)
        .unwrap_or(cas_dir)
        .join("xorbs");
    let url_signer = crate::fetch_url::UrlSigner::new(&crate::secure_random(32)?)?;
    url_signer.set_ttl_secs(args.fetch_url_ttl);

    // Public listeners.
    let hub_listener = bind(&args.host, args.port).await?;
    let hub_addr: SocketAddr = hub_listener.local_addr().map_err(|e| e.to_string())?;
    let front_listener = bind(&args.host, args.cas_port.unwrap_or(0)).await?;
    let front_addr: SocketAddr = front_listener.local_addr().map_err(|e| e.to_string())?;
    let host = display_host(hub_addr.ip());
    let hub_url = format!("http://{host}:{}", hub_addr.port());
    let cas_url = format!(
        "http://{}:{}",
        display_host(front_addr.ip()),
        front_addr.port()
    );

    let admin_token = match args
        .admin_token
        .clone()
        .or_else(|| config.admin_token.clone())
    {
        Some(token) => token,
        None => crate::new_hub_token()?.replacen("hf_", "admin_", 1),
    };
    let state = Arc::new(AppState {
        accounts: RwLock::new(accounts),
        accounts_path,
        store,
        cas,
        xorb_dir,
        signer: {
            let signer = Signer::new(&secret)?;
            if let Some(us) = revoked_before_us {
                signer.revoke_all_issued_before(us);
            }
            signer
        },
        url_signer,
        uploaded: Default::default(),
        faults: Faults::default(),
        admin_token: admin_token.clone(),
        cas_port: front_addr.port(),
        default_hub_host: format!("{host}:{}", hub_addr.port()),
        default_cas_host: format!("{}:{}", display_host(front_addr.ip()), front_addr.port()),
        token_ttl_secs: AtomicU64::new(config.cas_token_ttl_secs.unwrap_or(args.cas_token_ttl)),
        verbose: args.verbose,
        allow_private_network: args.allow_private_network,
        events: crate::routes::events::Events::default(),
        revocation_path,
    });

    for seed in &config.repos {
        crate::routes::admin::seed_repo(&state, seed)
            .await
            .map_err(|e| format!("seeding repo {}: {e}", seed.id))?;
    }

    let (stop_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let hosts = Arc::new(http_util::HostPolicy::new(
        hub_addr.ip(),
        &args.public_hosts,
    ));
    let hub_router = crate::routes::hub_router(state.clone()).layer(
        axum::middleware::from_fn_with_state(hosts.clone(), http_util::check_host),
    );
    let front_router = crate::cas_front::router(state.clone()).layer(
        axum::middleware::from_fn_with_state(hosts, http_util::check_host),
    );
    let mut hub_stop = stop_tx.subscribe();
    let hub_task = tokio::spawn(async move {
        axum::serve(hub_listener, hub_router)
            .with_graceful_shutdown(async move {
                let _ = hub_stop.recv().await;
            })
            .await
    });
    let mut front_stop = stop_tx.subscribe();
    let front_task = tokio::spawn(async move {
        axum::serve(front_listener, front_router)
            .with_graceful_shutdown(async move {
                let _ = front_stop.recv().await;
            })
            .await
    });

    // Ready: the start-up line is the first thing on stdout, once signals are handled.
    let shutdown = shutdown_signal();
    let line = serde_json::json!({
        "hub": hub_url,
        "cas": cas_url,
        "user": "demo",
        "token": demo_token,
        "adminToken": admin_token,
        "dataDir": data_dir.display().to_string(),
    });
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("writing the start-up line: {e}"))?;
    }
    if args.host != "127.0.0.1" && args.host != "localhost" && args.host != "::1" {
        eprintln!("local-hub: listening on {} (not loopback only)", args.host);
    }

    shutdown.await;
    state.events.shut_down();
    let _ = stop_tx.send(());
    let wait = async {
        let _ = hub_task.await;
        let _ = front_task.await;
    };
    // Open keep-alive connections must not keep the process alive.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), wait).await;
    Ok(())
}
