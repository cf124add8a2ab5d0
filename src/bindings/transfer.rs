//! The JS face of the transfer engine (issue 5): uploads with dedup and verified downloads.
//!
//! Exports (wrapped by `js/transfer.js`, which `js/index.js` re-exports):
//! - `transferUpload(client, bucketId, options)` — uploads `options.add[].source`s in one
//!   session, then (unless `commit: false`) commits them with the `add`, `copy` and `delete`
//!   lines of the same call in the minimum number of batch requests (adds first);
//! - `transferOpen(client, bucketId, options)` → a [`JsDownload`] whose `next()` yields the
//!   verified bytes of a file or a range, for a pull-based `ReadableStream`.
//!
//! Sources are opened by `js/transfer-sources.js` (a wasm-bindgen snippet) and read a piece at a
//! time. CAS tokens come from the Hub (`xet-write-token` / `xet-read-token` with the client's Hub
//! token) or from the caller's `tokenProvider({ bucketId, scope, signal })`; the Hub token never
//! goes to the CAS.

// `#[wasm_bindgen]` exports must be `pub` although the module is private.
#![allow(unreachable_pub)]

use std::cell::RefCell;
use std::rc::Rc;

use bytes::Bytes;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::AbortSignal;

use super::client::{AddSource, JsBucketClient};
use super::error::to_js_error;
use crate::cas::token::{CasToken, HubTokens, TokenCache, TokenScope, TokenSource};
use crate::cas::CasClient;
use crate::download::{DownloadOptions, DownloadProgress, FileDownload, Target};
use crate::error::Error;
use crate::hub::{BatchLine, BucketId, HubClient, HubError, ValidationError};
use crate::transport::fetch::{cancel_from_signal, describe_js_error};
use crate::transport::Cancel;
use crate::upload::{
    upload_files, Source, UploadFile, UploadOptions, UploadProgress, UploadReport,
};

#[wasm_bindgen(module = "/js/transfer-sources.js")]
extern "C" {
    #[wasm_bindgen(js_name = openSource, catch)]
    async fn open_source(value: &JsValue) -> Result<JsValue, JsValue>;
}

const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

// ---------------------------------------------------------------- argument helpers

fn shown(value: &JsValue) -> String {
    if value.is_undefined() {
        "undefined".into()
    } else if let Some(s) = value.as_string() {
        s
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

fn invalid(what: &str, value: &JsValue, reason: &str) -> Error {
    ValidationError::new(what, &shown(value), reason).into()
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn present(v: &JsValue) -> bool {
    !(v.is_undefined() || v.is_null())
}

fn options_object(v: &JsValue) -> Result<JsValue, Error> {
    if !present(v) {
        return Ok(Object::new().into());
    }
    if v.is_object() && !Array::is_array(v) {
        return Ok(v.clone());
    }
    Err(invalid("options", v, "must be an object"))
}

fn opt_string(obj: &JsValue, key: &str) -> Result<Option<String>, Error> {
    let v = get(obj, key);
    if !present(&v) {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| invalid(&format!("option `{key}`"), &v, "must be a string"))
}

fn opt_bool(obj: &JsValue, key: &str) -> Result<Option<bool>, Error> {
    let v = get(obj, key);
    if !present(&v) {
        return Ok(None);
    }
    v.as_bool()
        .map(Some)
        .ok_or_else(|| invalid(&format!("option `{key}`"), &v, "must be a boolean"))
}

fn opt_function(obj: &JsValue, key: &str) -> Result<Option<Function>, Error> {
    let v = get(obj, key);
    if !present(&v) {
        return Ok(None);
    }
    v.dyn_into::<Function>()
        .map(Some)
        .map_err(|v| invalid(&format!("option `{key}`"), &v, "must be a function"))
}

/// A non-negative safe integer (bytes, ms).
fn uint(v: &JsValue, what: &str) -> Result<u64, Error> {
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&n) => Ok(n as u64),
        _ => Err(invalid(what, v, "must be a non-negative integer")),
    }
}

fn opt_signal(obj: &JsValue) -> Result<Option<AbortSignal>, Error> {
    let v = get(obj, "signal");
    if !present(&v) {
        return Ok(None);
    }
    if get(&v, "aborted").as_bool().is_none() || !get(&v, "addEventListener").is_function() {
        return Err(invalid("option `signal`", &v, "must be an AbortSignal"));
    }
    Ok(Some(v.unchecked_into()))
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

fn bucket_id_arg(v: &JsValue) -> Result<BucketId, Error> {
    let s = v
        .as_string()
        .ok_or_else(|| invalid("bucket id", v, "must be a string"))?;
    Ok(s.parse::<BucketId>()?)
}

/// Runs `fut` as a Promise; errors become JS errors (an abort's cause is `signal.reason`).
fn run<F>(signal: Option<AbortSignal>, fut: F) -> Promise
where
    F: std::future::Future<Output = Result<JsValue, Error>> + 'static,
{
    future_to_promise(async move { fut.await.map_err(|e| to_js_error(&e, signal.as_ref())) })
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

/// Calls a user callback, ignoring what it throws (progress must never break a transfer).
fn notify(callback: &Function, event: &JsValue) {
    let _ = callback.call1(&JsValue::UNDEFINED, event);
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

fn cas_client(
    hub: &Rc<HubClient>,
    id: &BucketId,
    write: bool,
    options: &JsValue,
    signal: Option<AbortSignal>,
) -> Result<Rc<CasClient>, Error> {
    let source: Rc<dyn TokenSource> = match opt_function(options, "tokenProvider")? {
        Some(provider) => Rc::new(ProvidedTokens {
            provider,
            bucket: id.to_string(),
            scope: if write { "write" } else { "read" },
            signal,
        }),
        None => Rc::new(HubTokens::new(
            hub.clone(),
            id.clone(),
            if write {
                TokenScope::Write
            } else {
                TokenScope::Read
            },
        )),
    };
    Ok(Rc::new(CasClient::new(
        hub.http().clone(),
        *hub.retry_policy(),
        TokenCache::new(source),
        session_id(),
    )))
}

// ---------------------------------------------------------------- sources

/// What a source told us about itself once opened (for `mtime` and content-type defaults).
#[derive(Default)]
struct SourceMeta {
    name: Option<String>,
    mtime: Option<i64>,
}

/// An upload source read through `js/transfer-sources.js`, opened on first read.
struct JsSource {
    value: JsValue,
    reader: Option<JsValue>,
    done: bool,
    label: String,
    meta: Rc<RefCell<SourceMeta>>,
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
        if self.done {
            return Ok(None);
        }
        let reader = match &self.reader {
            Some(r) => r.clone(),
            None => {
                let r = open_source(&self.value).await.map_err(|e| {
                    Error::from(ValidationError::new(
                        "source",
                        &self.label,
                        describe_js_error(&e),
                    ))
                })?;
                let mut meta = self.meta.borrow_mut();
                meta.name = get(&r, "name").as_string();
                meta.mtime = get(&r, "mtime")
                    .as_f64()
                    .filter(|m| m.is_finite() && *m >= 0.0)
                    .map(|m| m.round() as i64);
                drop(meta);
                self.reader = Some(r.clone());
                r
            }
        };
        let read = get(&reader, "read")
            .dyn_into::<Function>()
            .map_err(|v| self.failed(&v))?;
        let promise = read.call0(&reader).map_err(|e| self.failed(&e))?;
        let value = JsFuture::from(Promise::resolve(&promise))
            .await
            .map_err(|e| self.failed(&e))?;
        if !present(&value) {
            self.done = true;
            return Ok(None);
        }
        let bytes = value
            .dyn_into::<Uint8Array>()
            .map_err(|v| self.failed(&v))?;
        Ok(Some(Bytes::from(bytes.to_vec())))
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

// ---------------------------------------------------------------- upload

fn upload_progress_event(p: &UploadProgress, names: &[String]) -> JsValue {
    let file = Object::new();
    set(&file, "index", p.file as f64);
    set(
        &file,
        "path",
        names.get(p.file).map(String::as_str).unwrap_or_default(),
    );
    set(&file, "bytesRead", p.file_bytes_read as f64);
    set(&file, "bytesHashed", p.file_bytes_hashed as f64);
    set(&file, "bytesDeduplicated", p.file_bytes_deduplicated as f64);
    set(&file, "bytesNew", p.file_bytes_new as f64);
    set(&file, "done", p.file_done);
    let e = Object::new();
    set(&e, "file", file);
    set(&e, "bytesRead", p.bytes_read as f64);
    set(&e, "bytesHashed", p.bytes_hashed as f64);
    set(&e, "bytesDeduplicated", p.bytes_deduplicated as f64);
    set(&e, "bytesNew", p.bytes_new as f64);
    set(&e, "bytesUploaded", p.bytes_uploaded as f64);
    set(&e, "bytesSent", p.bytes_sent as f64);
    e.into()
}

fn upload_report_object(report: &UploadReport) -> Object {
    let files = Array::new();
    for f in &report.files {
        let o = Object::new();
        set(&o, "path", f.path.as_str());
        set(&o, "xetHash", f.hash.to_hex());
        set(&o, "size", f.size as f64);
        set(&o, "newBytes", f.new_bytes as f64);
        set(&o, "dedupBytes", f.dedup_bytes as f64);
        if let Some(sha) = f.sha256 {
            set(
                &o,
                "sha256",
                sha.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            );
        }
        files.push(&o);
    }
    let o = Object::new();
    set(&o, "files", files);
    set(&o, "bytes", report.bytes as f64);
    set(&o, "newBytes", report.new_bytes as f64);
    set(&o, "dedupBytes", report.dedup_bytes as f64);
    set(&o, "bytesSent", report.bytes_sent() as f64);
    set(&o, "xorbBytesSent", report.xorb_bytes_sent as f64);
    set(&o, "shardBytesSent", report.shard_bytes_sent as f64);
    set(&o, "xorbs", report.xorbs as f64);
    set(&o, "xorbsAlreadyStored", report.xorbs_already_stored as f64);
    set(&o, "dedupQueries", report.dedup_queries as f64);
    set(&o, "dedupHits", report.dedup_hits as f64);
    o
}

/// Upload options read from the call's options object.
fn upload_options(o: &JsValue) -> Result<UploadOptions, Error> {
    let mut opts = UploadOptions::default();
    if let Some(sha) = opt_bool(o, "sha256")? {
        opts.planner.sha256 = sha;
    }
    let v = get(o, "xorbConcurrency");
    if present(&v) {
        opts.max_xorbs_in_flight = uint(&v, "option `xorbConcurrency`")?.clamp(1, 16) as usize;
    }
    Ok(opts)
}

/// Uploads `items` and commits them with `lines` (adds of known hashes, copies, deletes) unless
/// `commit` is false. Returns the batch report with an `upload` property
/// (`{ files: [{ path, xetHash, size, newBytes, dedupBytes }], bytes, newBytes, dedupBytes,
/// bytesSent, … }`), or only `{ upload }` without commit. `batchBucketFiles` calls this when
/// some `add` items carry a `source`.
pub(crate) async fn upload_and_commit(
    hub: &Rc<HubClient>,
    id: &BucketId,
    mut lines: Vec<BatchLine>,
    items: Vec<AddSource>,
    options: &JsValue,
    cancel: &Cancel,
) -> Result<JsValue, Error> {
    for it in &items {
        crate::hub::validate_path("path", &it.destination)?;
    }
    let commit = opt_bool(options, "commit")?.unwrap_or(true);
    let opts = upload_options(options)?;
    let on_progress = opt_function(options, "onProgress")?;
    let signal = opt_signal(options)?;
    let cas = cas_client(hub, id, true, options, signal)?;
    let names: Rc<Vec<String>> = Rc::new(items.iter().map(|i| i.destination.clone()).collect());
    let mut metas = Vec::with_capacity(items.len());
    let mut files = Vec::with_capacity(items.len());
    let mut given = Vec::with_capacity(items.len());
    for it in items {
        let meta = Rc::new(RefCell::new(SourceMeta::default()));
        metas.push(meta.clone());
        files.push(UploadFile {
            path: it.destination.clone(),
            source: Box::new(JsSource {
                value: it.source,
                reader: None,
                done: false,
                label: it.destination.clone(),
                meta,
            }),
        });
        given.push((it.mtime, it.content_type));
    }
    let progress = on_progress.map(|f| {
        let names = names.clone();
        Rc::new(move |p: &UploadProgress| notify(&f, &upload_progress_event(p, &names)))
            as Rc<dyn Fn(&UploadProgress)>
    });
    let report = upload_files(&cas, files, opts, progress, cancel).await?;
    let upload = upload_report_object(&report);
    if commit {
        for ((f, meta), (mtime, content_type)) in report.files.iter().zip(&metas).zip(given) {
            let meta = meta.borrow();
            let content_type = content_type.or_else(|| {
                meta.name
                    .as_deref()
                    .and_then(crate::upload::mime::guess)
                    .or_else(|| crate::upload::mime::guess(&f.path))
                    .map(String::from)
            });
            lines.push(BatchLine::Add {
                path: f.path.clone(),
                xet_hash: f.hash.to_hex(),
                mtime: mtime.or(meta.mtime),
                content_type,
            });
        }
        let batch = super::client::to_js(&hub.batch(id, lines, cancel).await?)?;
        if batch.is_object() {
            set(batch.unchecked_ref(), "upload", upload);
        }
        return Ok(batch);
    }
    let result = Object::new();
    set(&result, "upload", upload);
    Ok(result.into())
}

/// `transferUpload(client, bucketId, { add, copy?, delete?, commit?, onProgress?, signal?,
/// tokenProvider?, sha256? })` → report. `add` items are `{ source, destination, contentType?,
/// mtime? }`; `copy`/`delete` are forwarded to the batch as in `batchBucketFiles`.
#[wasm_bindgen(js_name = transferUpload)]
pub fn transfer_upload(client: &JsBucketClient, bucket_id: JsValue, options: JsValue) -> Promise {
    let hub = client.hub.clone();
    let signal = opt_signal(&options).ok().flatten();
    run(signal.clone(), async move {
        let o = options_object(&options)?;
        let cancel = cancel_from_signal(signal.as_ref());
        let id = bucket_id_arg(&bucket_id)?;
        let add = get(&o, "add");
        if !Array::is_array(&add) {
            return Err(invalid(
                "option `add`",
                &add,
                "must be an array of { source, destination }",
            ));
        }
        let add: &Array = add.unchecked_ref();
        let mut items = Vec::new();
        for (i, item) in add.iter().enumerate() {
            let destination = get(&item, "destination").as_string().ok_or_else(|| {
                invalid(
                    &format!("add[{i}].destination"),
                    &get(&item, "destination"),
                    "must be a string",
                )
            })?;
            let source = get(&item, "source");
            if !present(&source) {
                return Err(invalid(&format!("add[{i}].source"), &source, "is required"));
            }
            let mtime = {
                let v = get(&item, "mtime");
                if !present(&v) {
                    None
                } else if let Some(d) = v.dyn_ref::<js_sys::Date>() {
                    Some(d.get_time())
                } else {
                    Some(uint(&v, &format!("add[{i}].mtime"))? as f64)
                }
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .map(|ms| ms.round() as i64)
            };
            let content_type = opt_string(&item, "contentType")?;
            items.push(AddSource {
                destination,
                source,
                mtime,
                content_type,
            });
        }
        let mut lines = Vec::new();
        let deletes = get(&o, "delete");
        if present(&deletes) {
            if !Array::is_array(&deletes) {
                return Err(invalid(
                    "option `delete`",
                    &deletes,
                    "must be an array of paths",
                ));
            }
            let deletes: &Array = deletes.unchecked_ref();
            for (i, p) in deletes.iter().enumerate() {
                let path = p
                    .as_string()
                    .ok_or_else(|| invalid(&format!("delete[{i}]"), &p, "must be a string"))?;
                crate::hub::validate_path("path", &path)?;
                lines.push(BatchLine::Delete { path });
            }
        }
        upload_and_commit(&hub, &id, lines, items, &o, &cancel).await
    })
}

// ---------------------------------------------------------------- download

/// A download in progress: `next()` resolves to the next verified piece (`Uint8Array`) or
/// `undefined` at the end. `js/transfer.js` turns it into a `ReadableStream`.
#[wasm_bindgen(js_name = Download)]
pub struct JsDownload {
    inner: Rc<RefCell<Option<FileDownload>>>,
    len: u64,
    file_size: u64,
    xet_hash: String,
    signal: Option<AbortSignal>,
    /// Keeps the signal's cancellation alive as long as the download.
    _cancel: Cancel,
}

#[wasm_bindgen(js_class = Download)]
impl JsDownload {
    /// Bytes this download yields in all (the range length, or the file size).
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> f64 {
        self.len as f64
    }

    /// Size of the whole file.
    #[wasm_bindgen(getter, js_name = fileSize)]
    pub fn file_size(&self) -> f64 {
        self.file_size as f64
    }

    /// The file's Xet hash.
    #[wasm_bindgen(getter, js_name = xetHash)]
    pub fn xet_hash(&self) -> String {
        self.xet_hash.clone()
    }

    /// The next piece, or `undefined` at the end (after the final checks). Calls must not
    /// overlap.
    pub fn next(&self) -> Promise {
        let inner = self.inner.clone();
        run(self.signal.clone(), async move {
            let taken = inner.borrow_mut().take();
            let Some(mut dl) = taken else {
                return Err(ValidationError::new(
                    "next()",
                    "",
                    "called while another call is pending, or after the end",
                )
                .into());
            };
            let result = dl.next().await;
            match result {
                Ok(Some(b)) => {
                    *inner.borrow_mut() = Some(dl);
                    Ok(Uint8Array::from(&b[..]).into())
                }
                Ok(None) => Ok(JsValue::UNDEFINED),
                Err(e) => Err(e),
            }
        })
    }

    /// Stops the download (pending fetches are aborted).
    pub fn cancel(&self) {
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            inner.take();
        }
        self._cancel.cancel();
    }
}

fn download_progress_event(p: &DownloadProgress) -> JsValue {
    let e = Object::new();
    set(&e, "bytesFetched", p.bytes_fetched as f64);
    set(&e, "bytesVerified", p.bytes_verified as f64);
    set(&e, "totalBytes", p.total_bytes as f64);
    e.into()
}

fn not_found(id: &BucketId, path: &str) -> Error {
    Error::Hub(HubError {
        status: 404,
        code: Some("EntryNotFound".into()),
        message: format!("{path} does not exist in bucket {id}"),
        request_id: None,
        retry_after_ms: None,
        method: "POST",
        url: String::new(),
    })
}

/// `transferOpen(client, bucketId, { path | xetHash+size, range?, signal?, onProgress?,
/// tokenProvider? })` → `Download`.
#[wasm_bindgen(js_name = transferOpen)]
pub fn transfer_open(client: &JsBucketClient, bucket_id: JsValue, options: JsValue) -> Promise {
    let hub = client.hub.clone();
    let signal = opt_signal(&options).ok().flatten();
    run(signal.clone(), async move {
        let o = options_object(&options)?;
        let cancel = cancel_from_signal(signal.as_ref());
        let id = bucket_id_arg(&bucket_id)?;
        let path = opt_string(&o, "path")?;
        let hash = opt_string(&o, "xetHash")?;
        let (file_hash, size) = match (path, hash) {
            (Some(path), None) => {
                crate::hub::validate_path("path", &path)?;
                let entries = hub
                    .paths_info(&id, std::slice::from_ref(&path), &cancel)
                    .await?;
                let entry = entries
                    .into_iter()
                    .find(|e| e.path == path)
                    .ok_or_else(|| not_found(&id, &path))?;
                (entry.xet_hash, entry.size)
            }
            (None, Some(hash)) => {
                let size = get(&o, "size");
                if !present(&size) {
                    return Err(invalid(
                        "option `size`",
                        &size,
                        "is required with `xetHash`",
                    ));
                }
                (hash, uint(&size, "option `size`")?)
            }
            _ => {
                return Err(invalid(
                    "options",
                    &o,
                    "need exactly one of `path` or `xetHash` (with `size`)",
                ))
            }
        };
        let file_hash = xet::Hash::from_hex(&file_hash).map_err(|_| {
            Error::from(ValidationError::new(
                "xetHash",
                &file_hash,
                "must be 64 hex digits",
            ))
        })?;
        let range = {
            let r = get(&o, "range");
            if !present(&r) {
                None
            } else {
                if !r.is_object() {
                    return Err(invalid(
                        "option `range`",
                        &r,
                        "must be { start, end } (end exclusive)",
                    ));
                }
                let start = uint(&get(&r, "start"), "range.start")?;
                let end_v = get(&r, "end");
                let end = if present(&end_v) {
                    uint(&end_v, "range.end")?
                } else {
                    size
                };
                Some((start, end))
            }
        };
        let on_progress = opt_function(&o, "onProgress")?;
        let progress = on_progress.map(|f| {
            Rc::new(move |p: &DownloadProgress| notify(&f, &download_progress_event(p)))
                as Rc<dyn Fn(&DownloadProgress)>
        });
        let cas = cas_client(&hub, &id, false, &o, signal.clone())?;
        let dl = FileDownload::open(
            cas,
            Target {
                file_hash,
                size,
                range,
            },
            DownloadOptions::default(),
            progress,
            &cancel,
        )
        .await?;
        let len = dl.len();
        Ok(JsDownload {
            inner: Rc::new(RefCell::new(Some(dl))),
            len,
            file_size: size,
            xet_hash: file_hash.to_hex(),
            signal,
            _cancel: cancel,
        }
        .into())
    })
}
