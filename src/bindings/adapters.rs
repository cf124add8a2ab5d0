//! The crate's traits implemented over JS values: upload [`Source`]s read through
//! `js/transfer-sources.js`, a [`TokenSource`] over the caller's `tokenProvider`, and progress
//! callbacks. The CAS client of a call is built here from them.

#![cfg(feature = "client")]

use std::rc::Rc;

use bytes::Bytes;
use js_sys::{Function, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use super::args::{
    get, present, run, set, to_js, AddSource, TransferArgs, UploadCall, UploadMethod,
};
use crate::cas::footers::FooterCache;
use crate::cas::token::{CasToken, HubTokens, TokenCache, TokenCaches, TokenScope, TokenSource};
use crate::cas::CasClient;
use crate::download::stream::ProgressFn as DownloadProgressFn;
use crate::download::DownloadProgress;
use crate::error::Error;
use crate::hub::{BucketId, HubClient, ValidationError};
use crate::transport::fetch::describe_js_error;
use crate::transport::Cancel;
use crate::upload::cache::ShardCache;
use crate::upload::commit::{upload_and_commit, CommitOptions, NewFile};
use crate::upload::{Piece, ProgressFn, Source, SourceMeta, UploadProgress};
use xet::Hash;

#[wasm_bindgen(module = "/js/transfer-sources.js")]
extern "C" {
    #[wasm_bindgen(js_name = openSource, catch)]
    fn open_source(value: &JsValue) -> Result<JsValue, JsValue>;
}

/// `value` itself, or what it settles to when it is a promise (or another thenable): readers
/// answer synchronously where they can (a small file read at once), which spares a promise and a
/// turn of the microtask queue per call.
async fn settled(value: JsValue) -> Result<JsValue, JsValue> {
    if value.is_undefined() || value.is_instance_of::<Uint8Array>() {
        return Ok(value);
    }
    if value.is_object() && get(&value, "then").is_function() {
        return JsFuture::from(Promise::resolve(&value)).await;
    }
    Ok(value)
}

// ---------------------------------------------------------------- tokens

/// CAS tokens from the caller's `tokenProvider({ bucketId, scope, signal })`.
struct ProvidedTokens {
    provider: Function,
    bucket: String,
    scope: &'static str,
    signal: Option<AbortSignal>,
}

fn provider_error(message: String) -> Error {
    Error::invalid_response("tokenProvider", message)
}

#[async_trait::async_trait(?Send)]
impl TokenSource for ProvidedTokens {
    async fn fetch(&self, cancel: &Cancel) -> Result<CasToken, Error> {
        let arg = Object::new();
        set(&arg, "bucketId", self.bucket.as_str());
        set(&arg, "scope", self.scope);
        if let Some(s) = &self.signal {
            set(&arg, "signal", s.clone());
        }
        let called = self
            .provider
            .call1(&JsValue::UNDEFINED, &arg)
            .map_err(|e| {
                provider_error(format!("tokenProvider threw: {}", describe_js_error(&e)))
            })?;
        let value =
            crate::transport::with_cancel(JsFuture::from(Promise::resolve(&called)), cancel)
                .await?
                .map_err(|e| {
                    provider_error(format!("tokenProvider failed: {}", describe_js_error(&e)))
                })?;
        let access_token = get(&value, "accessToken").as_string();
        let cas_url = get(&value, "casUrl").as_string();
        let exp = get(&value, "exp").as_f64();
        let (Some(access_token), Some(cas_url), Some(exp)) = (access_token, cas_url, exp) else {
            return Err(provider_error("tokenProvider must resolve to { accessToken: string, exp: number (Unix seconds), casUrl: string }".into()));
        };
        if !(exp.is_finite() && exp >= 0.0) {
            return Err(provider_error(
                "tokenProvider: `exp` must be Unix seconds".into(),
            ));
        }
        let mut token = CasToken {
            access_token,
            exp_s: exp as u64,
            cas_url,
        };
        token.validate("tokenProvider")?;
        Ok(token)
    }
}

/// A random session id for `X-Xet-Session-Id` (not a secret).
fn session_id() -> String {
    let mut s = String::with_capacity(32);
    for _ in 0..4 {
        let n = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        s.push_str(&format!("{n:08x}"));
    }
    s
}

/// What the reads of one `BucketClient` share: Hub read tokens by bucket, and xorb footers.
#[derive(Clone, Debug, Default)]
pub(crate) struct CasShare {
    pub(crate) read_tokens: TokenCaches,
    pub(crate) footers: FooterCache,
}

/// The CAS client of one call: tokens from `provider` when given, else from the Hub. With
/// `share`, a read uses the client's Hub token for the bucket (without `provider`) and its
/// xorb footers.
pub(crate) fn cas_client(
    hub: &Rc<HubClient>,
    id: &BucketId,
    write: bool,
    provider: Option<Function>,
    signal: Option<AbortSignal>,
    share: Option<&CasShare>,
) -> Rc<CasClient> {
    let scope = if write {
        TokenScope::Write
    } else {
        TokenScope::Read
    };
    let hub_tokens =
        || -> Rc<dyn TokenSource> { Rc::new(HubTokens::new(hub.clone(), id.clone(), scope)) };
    let tokens = match (provider, share) {
        (Some(provider), _) => TokenCache::new(Rc::new(ProvidedTokens {
            provider,
            bucket: id.to_string(),
            scope: if write { "write" } else { "read" },
            signal,
        })),
        (None, Some(share)) if !write => share
            .read_tokens
            .get_or_insert_with(&id.to_string(), hub_tokens),
        (None, _) => TokenCache::new(hub_tokens()),
    };
    let cas = CasClient::new(
        hub.http().clone(),
        *hub.retry_policy(),
        tokens,
        session_id(),
    );
    Rc::new(match share {
        Some(share) => cas.with_footers(share.footers.clone()),
        None => cas,
    })
}

// ---------------------------------------------------------------- sources

/// An upload source read through `js/transfer-sources.js`, opened on first read.
struct JsSource {
    value: JsValue,
    reader: Option<JsValue>,
    done: bool,
    label: String,
    meta: SourceMeta,
}

impl JsSource {
    fn failed(&self, e: &JsValue) -> Error {
        ValidationError::new(
            "source",
            &self.label,
            format!("reading it failed: {}", describe_js_error(e)),
        )
        .into()
    }
}

#[async_trait::async_trait(?Send)]
impl Source for JsSource {
    async fn read(&mut self) -> Result<Option<Bytes>, Error> {
        Ok(self.read_piece().await?.map(|p| p.bytes))
    }

    async fn read_piece(&mut self) -> Result<Option<Piece>, Error> {
        if self.done {
            return Ok(None);
        }
        let reader = match &self.reader {
            Some(r) => r.clone(),
            None => {
                let opened = match open_source(&self.value) {
                    Ok(r) => settled(r).await,
                    Err(e) => Err(e),
                };
                let r = opened.map_err(|e| {
                    Error::from(ValidationError::new(
                        "source",
                        &self.label,
                        describe_js_error(&e),
                    ))
                })?;
                self.meta = SourceMeta {
                    name: get(&r, "name").as_string(),
                    mtime_ms: get(&r, "mtime")
                        .as_f64()
                        .filter(|m| m.is_finite() && *m >= 0.0)
                        .map(|m| m.round() as i64),
                };
                self.reader = Some(r.clone());
                r
            }
        };
        let read = get(&reader, "read")
            .dyn_into::<Function>()
            .map_err(|v| self.failed(&v))?;
        let value = read.call0(&reader).map_err(|e| self.failed(&e))?;
        let value = settled(value).await.map_err(|e| self.failed(&e))?;
        if !present(&value) {
            self.done = true;
            return Ok(None);
        }
        // A piece is bytes, or `{ bytes, chunks }` with the packed chunks a worker found in them.
        let (bytes, chunks) = if value.is_instance_of::<Uint8Array>() {
            (value, None)
        } else {
            let chunks = get(&value, "chunks").dyn_into::<Uint8Array>().ok();
            (get(&value, "bytes"), chunks)
        };
        let bytes = bytes
            .dyn_into::<Uint8Array>()
            .map_err(|v| self.failed(&v))?;
        // A reader that knows it handed out its last piece says so: no read to learn the end.
        if get(&reader, "ended").is_truthy() {
            self.done = true;
        }
        Ok(Some(Piece {
            bytes: Bytes::from(bytes.to_vec()),
            chunks: chunks.map(|c| Bytes::from(c.to_vec())),
        }))
    }

    fn meta(&self) -> SourceMeta {
        self.meta.clone()
    }
}

impl Drop for JsSource {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Some(reader) = &self.reader {
            if let Ok(close) = get(reader, "close").dyn_into::<Function>() {
                let _ = close.call0(reader);
            }
        }
    }
}

impl From<AddSource> for NewFile {
    fn from(a: AddSource) -> NewFile {
        NewFile {
            source: Box::new(JsSource {
                value: a.source,
                reader: None,
                done: false,
                label: a.destination.clone(),
                meta: SourceMeta::default(),
            }),
            path: a.destination,
            mtime: a.mtime,
            content_type: a.content_type,
        }
    }
}

// ---------------------------------------------------------------- progress

/// Calls a user callback, ignoring what it throws (progress must never break a transfer).
fn notify(callback: &Function, event: &JsValue) {
    let _ = callback.call1(&JsValue::UNDEFINED, event);
}

#[wasm_bindgen(module = "/js/transfer-events.js")]
extern "C" {
    /// Builds the event object on the JS side: one call per event instead of a `Reflect.set`
    /// and a key string per field.
    #[wasm_bindgen(js_name = uploadEvent)]
    #[allow(clippy::too_many_arguments)]
    fn upload_event(
        index: f64,
        path: &str,
        file_read: f64,
        file_hashed: f64,
        file_deduplicated: f64,
        file_new: f64,
        done: bool,
        read: f64,
        hashed: f64,
        deduplicated: f64,
        fresh: f64,
        uploaded: f64,
        sent: f64,
    ) -> JsValue;
}

fn upload_progress_event(p: &UploadProgress, names: &[String]) -> JsValue {
    upload_event(
        p.file as f64,
        names.get(p.file).map(String::as_str).unwrap_or_default(),
        p.file_bytes_read as f64,
        p.file_bytes_hashed as f64,
        p.file_bytes_deduplicated as f64,
        p.file_bytes_new as f64,
        p.file_done,
        p.bytes_read as f64,
        p.bytes_hashed as f64,
        p.bytes_deduplicated as f64,
        p.bytes_new as f64,
        p.bytes_uploaded as f64,
        p.bytes_sent as f64,
    )
}

/// `onProgress` of an upload of the files named `names` (in input order).
fn upload_progress(callback: Option<Function>, names: Vec<String>) -> Option<ProgressFn> {
    callback.map(|f| {
        Rc::new(move |p: &UploadProgress| notify(&f, &upload_progress_event(p, &names)))
            as ProgressFn
    })
}

/// `onProgress` of a download.
pub(crate) fn download_progress(callback: Option<Function>) -> Option<DownloadProgressFn> {
    callback.map(|f| {
        Rc::new(move |p: &DownloadProgress| {
            let e = Object::new();
            set(&e, "bytesFetched", p.bytes_fetched as f64);
            set(&e, "bytesVerified", p.bytes_verified as f64);
            set(&e, "totalBytes", p.total_bytes as f64);
            notify(&f, &e.into());
        }) as DownloadProgressFn
    })
}

/// The commit options of an upload call over the files named `names`, and the maker of its
/// CAS client (write tokens for the given bucket).
pub(crate) fn commit_setup(
    hub: &Rc<HubClient>,
    transfer: TransferArgs,
    names: Vec<String>,
    signal: Option<AbortSignal>,
) -> (impl Fn(&BucketId) -> Rc<CasClient>, CommitOptions) {
    let hub = hub.clone();
    let provider = transfer.token_provider;
    let cas =
        move |id: &BucketId| cas_client(&hub, id, true, provider.clone(), signal.clone(), None);
    let shard_cache = if transfer.shard_cache {
        installed_shard_cache()
            .dyn_into::<Object>()
            .ok()
            .map(|hooks| {
                Rc::new(JsShardCache {
                    hooks,
                    opened: Default::default(),
                }) as Rc<dyn ShardCache>
            })
    } else {
        None
    };
    let options = CommitOptions {
        progress: upload_progress(transfer.on_progress, names),
        shard_cache,
        ..transfer.commit
    };
    (cas, options)
}

#[wasm_bindgen(module = "/js/transport-hooks.js")]
extern "C" {
    #[wasm_bindgen(js_name = installedShardCache)]
    fn installed_shard_cache() -> JsValue;
}

/// An opened cache's `lookup` and `store` functions.
type OpenedCache = (Function, Function);

/// The platform's local shard cache (installed by Node's entry, `js/node/shard-cache.js`; see
/// `js/transport-hooks.js` for its interface). Its failures are misses: a cache never fails
/// an upload.
struct JsShardCache {
    hooks: Object,
    /// The cache opened for the last CAS URL asked about: `open(casUrl)`'s `lookup` and
    /// `store` (the platform reads its settings once per upload, not at every dedup query), or
    /// `None` when it said the cache is off.
    opened: std::cell::RefCell<Option<(String, Option<OpenedCache>)>>,
}

impl JsShardCache {
    /// `open(cas_url)`'s `lookup` and `store`, opened once per CAS URL.
    fn opened(&self, cas_url: &str) -> Option<OpenedCache> {
        let mut opened = self.opened.borrow_mut();
        if let Some((url, fns)) = opened.as_ref() {
            if url == cas_url {
                return fns.clone();
            }
        }
        let fns = get(&self.hooks, "open")
            .dyn_into::<Function>()
            .ok()
            .and_then(|open| open.call1(&self.hooks, &JsValue::from_str(cas_url)).ok())
            .filter(|cache| cache.is_object())
            .and_then(|cache| {
                let lookup = get(&cache, "lookup").dyn_into::<Function>().ok()?;
                let store = get(&cache, "store").dyn_into::<Function>().ok()?;
                Some((lookup, store))
            });
        *opened = Some((cas_url.to_owned(), fns.clone()));
        fns
    }
}

impl ShardCache for JsShardCache {
    fn lookup(&self, cas_url: &str, chunk: &Hash) -> Option<Vec<u8>> {
        let (lookup, _) = self.opened(cas_url)?;
        // The hash's 32 bytes, as `store` gets its keys.
        let found = lookup
            .call1(
                &JsValue::UNDEFINED,
                &Uint8Array::from(&chunk.as_bytes()[..]),
            )
            .ok()?;
        Some(found.dyn_into::<Uint8Array>().ok()?.to_vec())
    }

    fn store(&self, cas_url: &str, shard: &[u8], keys: &[Hash]) {
        let Some((_, store)) = self.opened(cas_url) else {
            return;
        };
        let packed: Vec<u8> = keys.iter().flat_map(|k| *k.as_bytes()).collect();
        let _ = store.call2(
            &JsValue::UNDEFINED,
            &Uint8Array::from(shard),
            &Uint8Array::from(&packed[..]),
        );
    }
}

/// `uploadBucketFile` and `batchBucketFiles`: the call read once ([`UploadCall`]), then uploaded
/// and committed by `upload::commit`. One file's report is unpacked for `uploadBucketFile`.
pub(crate) fn upload_call(
    hub: Rc<HubClient>,
    method: UploadMethod,
    bucket_id: JsValue,
    options: JsValue,
) -> Promise {
    run(options, move |call| async move {
        let up = UploadCall::read(method, &bucket_id, &call.options)?;
        let names = up.names();
        let (cas_for, opts) = commit_setup(&hub, up.transfer, names, call.signal);
        let files = up.uploads.into_iter().map(NewFile::from).collect();
        let cas = cas_for(&up.id);
        let report =
            upload_and_commit(&hub, &cas, &up.id, up.lines, files, opts, &call.cancel).await?;
        match method {
            UploadMethod::Batch => to_js(&report),
            UploadMethod::Single => to_js(&report.into_single().ok_or_else(|| {
                Error::invalid_response("", "the upload of one file reported another count")
            })?),
        }
    })
}
