//! CAS access tokens (xet spec §7.1, buckets spec §8): where they come from, and a cache that
//! refreshes them before they expire and after a `401`.
//!
//! A [`TokenSource`] produces a fresh [`CasToken`]: [`HubTokens`] asks the Hub
//! (`GET /api/buckets/{id}/xet-{read|write}-token` with the Hub token), and the JS bindings
//! wrap a caller's `tokenProvider` function, so a browser page can get short-lived CAS tokens
//! from its own server and never hold an `hf_` token. [`TokenCache`] hands out the current token,
//! refreshing it when less than a quarter of its lifetime (at most 60 s) remains; concurrent
//! callers share one refresh.
//!
//! The Hub token is only ever sent to the Hub: CAS requests carry the CAS token.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use xet::json::{ShapeError, Value};

use crate::error::Error;
use crate::hub::{from_json_bytes, BucketId, FromJson, HubClient, XetToken};
use crate::transport::{Cancel, HttpClient};

/// A CAS access token.
#[derive(Clone, PartialEq, Eq)]
pub struct CasToken {
    /// The bearer token for CAS requests.
    pub access_token: String,
    /// Expiry, Unix seconds.
    pub exp_s: u64,
    /// CAS base URL, without trailing slash.
    pub cas_url: String,
}

impl From<XetToken> for CasToken {
    fn from(t: XetToken) -> CasToken {
        CasToken {
            access_token: t.access_token,
            exp_s: t.exp,
            cas_url: t.cas_url,
        }
    }
}

/// The Hub's token JSON, read as [`XetToken`] reads it.
impl FromJson for CasToken {
    fn from_json(v: &Value) -> Result<Self, ShapeError> {
        XetToken::from_json(v).map(CasToken::from)
    }
}

/// Never prints the token itself.
impl fmt::Debug for CasToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CasToken")
            .field("exp_s", &self.exp_s)
            .field("cas_url", &self.cas_url)
            .finish_non_exhaustive()
    }
}

impl CasToken {
    /// Parses the Hub's token JSON (`{accessToken, exp, casUrl}`), checking that the CAS URL is
    /// an absolute `http(s)` URL. A trailing `/` is dropped.
    ///
    /// # Errors
    /// [`Error::InvalidResponse`] for anything else.
    pub fn from_json(url: &str, body: &[u8]) -> Result<CasToken, Error> {
        let mut t = from_json_bytes::<CasToken>(body)
            .map_err(|e| Error::invalid_response_from(url, "bad CAS token response", e))?;
        t.validate(url)?;
        Ok(t)
    }

    /// Checks the fields of a token obtained elsewhere (e.g. from a `tokenProvider`).
    ///
    /// # Errors
    /// [`Error::InvalidResponse`] when the token is empty or the CAS URL is not absolute.
    pub fn validate(&mut self, source: &str) -> Result<(), Error> {
        while self.cas_url.ends_with('/') {
            self.cas_url.pop();
        }
        if self.access_token.is_empty() {
            return Err(Error::invalid_response(source, "empty CAS access token"));
        }
        if !(self.cas_url.starts_with("http://") || self.cas_url.starts_with("https://")) {
            return Err(Error::invalid_response(
                source,
                "casUrl must be an absolute http(s) URL",
            ));
        }
        Ok(())
    }
}

/// Scope of a CAS token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// Downloads.
    Read,
    /// Uploads (also allows reads).
    Write,
}

/// Something that produces fresh CAS tokens.
#[async_trait::async_trait(?Send)]
pub trait TokenSource {
    /// A new token (never a cached one).
    async fn fetch(&self, cancel: &Cancel) -> Result<CasToken, Error>;
}

/// Tokens from the Hub's bucket token routes (`xet-read-token` / `xet-write-token`), asked with
/// the client's Hub token.
pub struct HubTokens {
    hub: Rc<HubClient>,
    id: BucketId,
    scope: TokenScope,
}

impl fmt::Debug for HubTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubTokens")
            .field("bucket", &self.id.to_string())
            .field("scope", &self.scope)
            .finish()
    }
}

impl HubTokens {
    /// Tokens of `scope` for bucket `id`.
    pub fn new(hub: Rc<HubClient>, id: BucketId, scope: TokenScope) -> HubTokens {
        HubTokens { hub, id, scope }
    }
}

#[async_trait::async_trait(?Send)]
impl TokenSource for HubTokens {
    async fn fetch(&self, cancel: &Cancel) -> Result<CasToken, Error> {
        let t = self
            .hub
            .xet_token(&self.id, self.scope == TokenScope::Write, cancel)
            .await?;
        let mut token = CasToken::from(t);
        token.validate("xet token")?;
        Ok(token)
    }
}

type Refresh = Shared<LocalBoxFuture<'static, Option<CasToken>>>;

/// The current token of one transfer, refreshed on demand. See the module docs. A clone shares
/// the token and its refresh with the original.
#[derive(Clone)]
pub struct TokenCache {
    source: Rc<dyn TokenSource>,
    state: Rc<RefCell<CacheState>>,
}

#[derive(Default)]
struct CacheState {
    /// The token and when it was fetched (ms).
    current: Option<(CasToken, u64)>,
    /// The refresh in progress; it stores its result in `current` when it completes.
    refreshing: Option<Refresh>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache").finish_non_exhaustive()
    }
}

/// Whether a token fetched at `fetched_ms` and expiring at `exp_s` should be replaced at `now_ms`:
/// when less than a quarter of its lifetime, capped at 60 s, remains.
pub fn needs_refresh(exp_s: u64, fetched_ms: u64, now_ms: u64) -> bool {
    let exp_ms = exp_s.saturating_mul(1000);
    let lifetime = exp_ms.saturating_sub(fetched_ms);
    let margin = (lifetime / 4).min(60_000);
    now_ms.saturating_add(margin) >= exp_ms
}

impl TokenCache {
    /// A cache over `source`, initially empty.
    pub fn new(source: Rc<dyn TokenSource>) -> TokenCache {
        TokenCache {
            source,
            state: Rc::new(RefCell::new(CacheState::default())),
        }
    }

    /// The current token, refreshed first if it is missing or about to expire. Concurrent
    /// callers share one refresh.
    ///
    /// # Errors
    /// The source's error.
    pub async fn get(&self, http: &dyn HttpClient, cancel: &Cancel) -> Result<CasToken, Error> {
        let now = http.now_ms();
        let refresh = {
            let mut st = self.state.borrow_mut();
            if let Some((t, fetched)) = &st.current {
                if !needs_refresh(t.exp_s, *fetched, now) {
                    return Ok(t.clone());
                }
            }
            st.refreshing
                .get_or_insert_with(|| {
                    let source = self.source.clone();
                    let state = Rc::downgrade(&self.state);
                    let c = cancel.clone();
                    let fut: LocalBoxFuture<'static, Option<CasToken>> = async move {
                        let token = source.fetch(&c).await.ok();
                        if let Some(state) = state.upgrade() {
                            let mut st = state.borrow_mut();
                            st.refreshing = None;
                            if let Some(t) = &token {
                                st.current = Some((t.clone(), now));
                            }
                        }
                        token
                    }
                    .boxed_local();
                    fut.shared()
                })
                .clone()
        };
        match refresh.await {
            Some(t) => Ok(t),
            // The shared refresh failed: fetch once more so that this caller gets the error.
            None => self.source.fetch(cancel).await,
        }
    }

    /// Forgets `access_token` (after the CAS answered `401` to it), so the next [`TokenCache::get`]
    /// fetches a new one. A newer token already in the cache is kept.
    pub fn invalidate(&self, access_token: &str) {
        let mut st = self.state.borrow_mut();
        if st
            .current
            .as_ref()
            .is_some_and(|(t, _)| t.access_token == access_token)
        {
            st.current = None;
        }
    }
}

/// Buckets whose read tokens one [`TokenCaches`] keeps at most (past that it starts over).
const MAX_SHARED_CACHES: usize = 64;

/// The token caches of one client, by key (e.g. the bucket and scope), so that its calls share
/// a token instead of asking the Hub for one each: a download sync of 2,000 small files made
/// 2,000 token requests. A clone shares the caches.
#[derive(Clone, Default)]
pub struct TokenCaches(Rc<RefCell<std::collections::HashMap<String, TokenCache>>>);

impl fmt::Debug for TokenCaches {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCaches").finish_non_exhaustive()
    }
}

impl TokenCaches {
    /// The cache kept under `key`, made over `source()` when there is none.
    pub fn get_or_insert_with(
        &self,
        key: &str,
        source: impl FnOnce() -> Rc<dyn TokenSource>,
    ) -> TokenCache {
        let mut map = self.0.borrow_mut();
        if let Some(cache) = map.get(key) {
            return cache.clone();
        }
        if map.len() >= MAX_SHARED_CACHES {
            map.clear();
        }
        let cache = TokenCache::new(source());
        map.insert(key.to_string(), cache.clone());
        cache
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    struct Counting {
        n: Cell<u32>,
        exp: Cell<u64>,
        fail: Cell<bool>,
    }

    #[async_trait::async_trait(?Send)]
    impl TokenSource for Counting {
        async fn fetch(&self, _cancel: &Cancel) -> Result<CasToken, Error> {
            self.n.set(self.n.get() + 1);
            tokio::task::yield_now().await;
            if self.fail.get() {
                return Err(Error::invalid_response("http://hub/t", "nope"));
            }
            Ok(CasToken {
                access_token: format!("tok{}", self.n.get()),
                exp_s: self.exp.get(),
                cas_url: "http://cas".into(),
            })
        }
    }

    /// A counting source of tokens valid for an hour from `now_s`.
    fn hour_tokens(now_s: u64) -> Rc<Counting> {
        Rc::new(Counting {
            n: Cell::new(0),
            exp: Cell::new(now_s + 3600),
            fail: Cell::new(false),
        })
    }

    #[test]
    fn refresh_margin() {
        // 1 h token: refreshed in its last minute.
        assert!(!needs_refresh(3600, 0, 3_500_000));
        assert!(needs_refresh(3600, 0, 3_540_000));
        // 8 s token: refreshed in its last 2 s, not on every call.
        assert!(!needs_refresh(8, 0, 5_000));
        assert!(needs_refresh(8, 0, 6_000));
        assert!(needs_refresh(0, 0, 0));
    }

    #[test]
    fn parses_and_checks_token_json() {
        let t = CasToken::from_json(
            "u",
            br#"{"accessToken":"abc","exp":17,"casUrl":"http://127.0.0.1:9/"}"#,
        )
        .unwrap();
        assert_eq!(
            (t.access_token.as_str(), t.exp_s, t.cas_url.as_str()),
            ("abc", 17, "http://127.0.0.1:9")
        );
        assert!(!format!("{t:?}").contains("abc"));
        for bad in [
            &br#"{"accessToken":"","exp":1,"casUrl":"http://x"}"#[..],
            br#"{"accessToken":"a","exp":1,"casUrl":"/rel"}"#,
            b"[]",
            b"{",
        ] {
            assert!(matches!(
                CasToken::from_json("u", bad),
                Err(Error::InvalidResponse { .. })
            ));
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn concurrent_callers_share_one_refresh_and_401_invalidates() {
        let http = crate::transport::native::NativeClient::new();
        let now_s = http.now_ms() / 1000;
        let src = hour_tokens(now_s);
        let cache = TokenCache::new(src.clone());
        let c = Cancel::new();
        let (a, b, d) = tokio::join!(
            cache.get(&http, &c),
            cache.get(&http, &c),
            cache.get(&http, &c)
        );
        assert_eq!(src.n.get(), 1);
        assert_eq!(a.unwrap().access_token, "tok1");
        assert_eq!(b.unwrap().access_token, "tok1");
        assert_eq!(d.unwrap().access_token, "tok1");
        // A stale invalidation keeps the cached token; a matching one drops it.
        cache.invalidate("tok0");
        assert_eq!(cache.get(&http, &c).await.unwrap().access_token, "tok1");
        cache.invalidate("tok1");
        assert_eq!(cache.get(&http, &c).await.unwrap().access_token, "tok2");
        // Expiring tokens are replaced.
        src.exp.set(now_s);
        cache.invalidate("tok2");
        assert_eq!(cache.get(&http, &c).await.unwrap().access_token, "tok3");
        assert_eq!(cache.get(&http, &c).await.unwrap().access_token, "tok4");
        // Failures reach every caller as errors.
        src.fail.set(true);
        let (x, y) = tokio::join!(cache.get(&http, &c), cache.get(&http, &c));
        assert!(x.is_err() && y.is_err());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn token_caches_share_one_token_per_key() {
        let http = crate::transport::native::NativeClient::new();
        let now_s = http.now_ms() / 1000;
        let src = hour_tokens(now_s);
        let caches = TokenCaches::default();
        let made = Cell::new(0);
        let source = || -> Rc<dyn TokenSource> {
            made.set(made.get() + 1);
            src.clone()
        };
        let c = Cancel::new();
        let a = caches.get_or_insert_with("ns/a:read", source);
        let b = caches.clone().get_or_insert_with("ns/a:read", source);
        assert_eq!(a.get(&http, &c).await.unwrap().access_token, "tok1");
        assert_eq!(b.get(&http, &c).await.unwrap().access_token, "tok1");
        assert_eq!(
            (src.n.get(), made.get()),
            (1, 1),
            "one source, one token for one key"
        );
        // A 401 seen through one handle makes both fetch anew, once.
        b.invalidate("tok1");
        assert_eq!(a.get(&http, &c).await.unwrap().access_token, "tok2");
        assert_eq!(b.get(&http, &c).await.unwrap().access_token, "tok2");
        // Another key has its own token.
        let other = caches.get_or_insert_with("ns/b:read", source);
        assert_eq!(other.get(&http, &c).await.unwrap().access_token, "tok3");
        assert_eq!(made.get(), 2);
        // Bounded: past MAX_SHARED_CACHES keys it starts over.
        for i in 0..MAX_SHARED_CACHES {
            caches.get_or_insert_with(&format!("k{i}"), source);
        }
        assert!(caches.0.borrow().len() <= MAX_SHARED_CACHES);
    }
}
