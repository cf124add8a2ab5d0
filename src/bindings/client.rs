//! The JS face of the bucket client (issue 4): `BucketClient` and the `hf://` helpers.
//!
//! Thin by design: JS values are checked and converted here, at one edge, into the Rust types of
//! `hub` (a wrong type is a `ValidationError`, never a panic), every call runs as a Promise over
//! [`HubClient`], and results come back as plain objects (timestamps as `Date`s). Each call takes
//! an options object whose `signal` (AbortSignal) cancels it. Listings return a [`JsPager`]
//! (see `bindings/iter.rs`) that `js/iter.js` wraps in an async generator.
//!
//! The JS class in `js/index.js` wraps this one (adding async iteration); the free functions
//! there build a client per call.

// `#[wasm_bindgen]` exports must be `pub` although the module is private.
#![allow(unreachable_pub)]

use std::future::Future;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use super::error::to_js_error;
use super::iter::{JsPager, PagerKind};
use crate::error::Error;
use crate::hub::{
    Api, BatchFailure, BatchLine, BucketId, CreateBucketOptions, HfUri, HubClient, RepoType,
    TreeEntry, ValidationError,
};
use crate::transport::fetch::{cancel_from_signal, FetchClient};
use crate::transport::retry::RetryPolicy;
use crate::transport::Cancel;

const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
/// Largest git-stored repo file `copyFiles` downloads and re-uploads (read into memory).
const MAX_REUPLOAD_BYTES: usize = 64 * 1024 * 1024;
/// Most bytes of such files one `copyFiles` call holds at once.
const MAX_REUPLOAD_TOTAL: u64 = 256 * 1024 * 1024;
/// Keys whose numeric values (ms since the epoch) become `Date`s in results.
const DATE_KEYS: [&str; 4] = ["createdAt", "updatedAt", "mtime", "uploadedAt"];

// ---------------------------------------------------------------- argument helpers

fn invalid(what: &str, value: &JsValue, reason: &str) -> Error {
    let shown = if value.is_undefined() {
        "undefined".to_string()
    } else if let Some(s) = value.as_string() {
        s
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    };
    ValidationError::new(what, &shown, reason).into()
}

/// `options` as an object: `undefined`/`null` → an empty object; anything else but an object is
/// an error.
fn options_object(options: &JsValue, what: &str) -> Result<JsValue, Error> {
    if options.is_undefined() || options.is_null() {
        return Ok(Object::new().into());
    }
    if options.is_object() && !Array::is_array(options) {
        return Ok(options.clone());
    }
    Err(invalid(what, options, "must be an object"))
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

fn opt_string(obj: &JsValue, key: &str) -> Result<Option<String>, Error> {
    let v = get(obj, key);
    if !present(&v) {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| invalid(&format!("option `{key}`"), &v, "must be a string"))
}

fn string_arg(v: &JsValue, what: &str) -> Result<String, Error> {
    v.as_string()
        .ok_or_else(|| invalid(what, v, "must be a string"))
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

/// A non-negative safe integer.
fn opt_uint(obj: &JsValue, key: &str, max: f64) -> Result<Option<u64>, Error> {
    let v = get(obj, key);
    if !present(&v) {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && (0.0..=max).contains(&n) => Ok(Some(n as u64)),
        _ => Err(invalid(
            &format!("option `{key}`"),
            &v,
            &format!("must be an integer from 0 to {max}"),
        )),
    }
}

/// Milliseconds since the epoch from a number or a `Date`.
fn opt_time_ms(obj: &JsValue, key: &str) -> Result<Option<i64>, Error> {
    let v = get(obj, key);
    if !present(&v) {
        return Ok(None);
    }
    let ms = if let Some(d) = v.dyn_ref::<js_sys::Date>() {
        d.get_time()
    } else {
        v.as_f64().unwrap_or(f64::NAN)
    };
    if ms.is_finite() && (0.0..=MAX_SAFE_INTEGER).contains(&ms) {
        Ok(Some(ms.round() as i64))
    } else {
        Err(invalid(
            &format!("`{key}`"),
            &v,
            "must be a Date or a number of milliseconds since 1970",
        ))
    }
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

/// `options.signal`, checked to look like an `AbortSignal` (duck-typed so signals from other
/// realms work).
fn opt_signal(obj: &JsValue) -> Result<Option<AbortSignal>, Error> {
    let v = get(obj, "signal");
    if !present(&v) {
        return Ok(None);
    }
    let looks_right =
        get(&v, "aborted").as_bool().is_some() && get(&v, "addEventListener").is_function();
    if !looks_right {
        return Err(invalid("option `signal`", &v, "must be an AbortSignal"));
    }
    Ok(Some(v.unchecked_into()))
}

fn string_array(v: &JsValue, what: &str) -> Result<Vec<String>, Error> {
    if !Array::is_array(v) {
        return Err(invalid(what, v, "must be an array of strings"));
    }
    let arr: &Array = v.unchecked_ref();
    (0..arr.length())
        .map(|i| string_arg(&arr.get(i), &format!("{what}[{i}]")))
        .collect()
}

fn object_array(v: &JsValue, what: &str) -> Result<Vec<JsValue>, Error> {
    if !present(v) {
        return Ok(Vec::new());
    }
    if !Array::is_array(v) {
        return Err(invalid(what, v, "must be an array"));
    }
    let arr: &Array = v.unchecked_ref();
    (0..arr.length())
        .map(|i| {
            let item = arr.get(i);
            if item.is_object() {
                Ok(item)
            } else {
                Err(invalid(&format!("{what}[{i}]"), &item, "must be an object"))
            }
        })
        .collect()
}

fn bucket_id_arg(v: &JsValue, what: &str) -> Result<BucketId, Error> {
    Ok(string_arg(v, what)?.parse::<BucketId>()?)
}

/// Serialises `value` and parses it into JS objects, turning [`DATE_KEYS`] into `Date`s.
pub(crate) fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, Error> {
    let text =
        serde_json::to_string(value).map_err(|e| Error::invalid_response("", e.to_string()))?;
    let js =
        js_sys::JSON::parse(&text).map_err(|_| Error::invalid_response("", "JSON.parse failed"))?;
    fix_dates(&js);
    Ok(js)
}

fn fix_dates(v: &JsValue) {
    if Array::is_array(v) {
        let arr: &Array = v.unchecked_ref();
        for item in arr.iter() {
            fix_dates(&item);
        }
    } else if v.is_object() {
        for key in DATE_KEYS {
            let k = JsValue::from_str(key);
            if let Some(ms) = Reflect::get(v, &k).ok().and_then(|x| x.as_f64()) {
                let _ = Reflect::set(v, &k, &js_sys::Date::new(&JsValue::from_f64(ms)));
            }
        }
    }
}

// ---------------------------------------------------------------- calls

/// The per-call context: the options object and the cancellation from its `signal`.
pub(crate) struct Call {
    pub(crate) options: JsValue,
    pub(crate) cancel: Cancel,
}

impl Call {
    pub(crate) fn new(options: &JsValue) -> Result<Call, Error> {
        let options = options_object(options, "options")?;
        let signal = opt_signal(&options)?;
        Ok(Call {
            cancel: cancel_from_signal(signal.as_ref()),
            options,
        })
    }
}

/// The signal of `options`, if it has a usable one (only to give an `AbortError` its cause).
pub(crate) fn signal_of(options: &JsValue) -> Option<AbortSignal> {
    opt_signal(options).ok().flatten()
}

/// Runs `fut` as a Promise; errors become JS errors (an abort's cause is `signal.reason`).
pub(crate) fn run<F>(signal: Option<AbortSignal>, fut: F) -> Promise
where
    F: Future<Output = Result<JsValue, Error>> + 'static,
{
    future_to_promise(async move { fut.await.map_err(|e| to_js_error(&e, signal.as_ref())) })
}

fn retry_policy(v: &JsValue) -> Result<RetryPolicy, Error> {
    if !present(v) || v.as_bool() == Some(true) {
        return Ok(RetryPolicy::default());
    }
    if v.as_bool() == Some(false) {
        return Ok(RetryPolicy::none());
    }
    if !v.is_object() {
        return Err(invalid(
            "option `retry`",
            v,
            "must be an object or a boolean",
        ));
    }
    let d = RetryPolicy::default();
    let hour = 3_600_000.0;
    let timeout = opt_uint(v, "timeoutMs", hour)?;
    let p = RetryPolicy {
        max_retries: opt_uint(v, "retries", 20.0)?.map_or(d.max_retries, |n| n as u32),
        initial_delay_ms: opt_uint(v, "initialDelayMs", hour)?.unwrap_or(d.initial_delay_ms),
        max_delay_ms: opt_uint(v, "maxDelayMs", hour)?.unwrap_or(d.max_delay_ms),
        max_retry_after_ms: opt_uint(v, "maxRetryAfterMs", hour)?.unwrap_or(d.max_retry_after_ms),
        timeout_ms: match timeout {
            None => d.timeout_ms,
            Some(0) => None,
            Some(ms) => Some(ms),
        },
    };
    if p.max_delay_ms < p.initial_delay_ms {
        return Err(invalid(
            "option `retry.maxDelayMs`",
            &JsValue::from_f64(p.max_delay_ms as f64),
            "must be ≥ initialDelayMs",
        ));
    }
    Ok(p)
}

fn hub_from_options(options: &JsValue) -> Result<HubClient, Error> {
    let o = options_object(options, "client options")?;
    let token = opt_string(&o, "accessToken")?;
    let endpoint = opt_string(&o, "endpoint")?.unwrap_or_else(|| "https://huggingface.co".into());
    let fetch = opt_function(&o, "fetch")?;
    let retry = retry_policy(&get(&o, "retry"))?;
    let api = Api::new(&endpoint, token)?;
    let http = FetchClient::new(fetch)?;
    Ok(HubClient::new(Rc::new(http), api, retry))
}

/// The Rust half of `BucketClient` (the JS class in `js/index.js` wraps it).
#[wasm_bindgen(js_name = BucketClient)]
pub struct JsBucketClient {
    /// Shared with pagers and in-flight calls. Other binding files (the transfer engine's) reach
    /// the client through it.
    pub(crate) hub: Rc<HubClient>,
}

#[wasm_bindgen(js_class = BucketClient)]
impl JsBucketClient {
    /// `options`: `{ accessToken?, endpoint?, fetch?, retry? }`. Throws a `ValidationError`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<JsBucketClient, JsValue> {
        Ok(JsBucketClient {
            hub: Rc::new(hub_from_options(&options)?),
        })
    }

    /// The endpoint in use (no trailing `/`).
    #[wasm_bindgen(getter)]
    pub fn endpoint(&self) -> String {
        self.hub.api().endpoint().to_string()
    }

    /// `createBucket(name, { namespace?, private?, existOk?, region?, resourceGroupId?, signal? })`.
    #[wasm_bindgen(js_name = createBucket)]
    pub fn create_bucket(&self, name: JsValue, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(signal_of(&options), async move {
            let call = Call::new(&options)?;
            let name = string_arg(&name, "bucket name")?;
            let o = &call.options;
            let namespace = opt_string(o, "namespace")?;
            let opts = CreateBucketOptions {
                private: opt_bool(o, "private")?,
                region: opt_string(o, "region")?,
                resource_group_id: opt_string(o, "resourceGroupId")?,
            };
            let exist_ok = opt_bool(o, "existOk")?.unwrap_or(false);
            let made = hub
                .create_bucket(&name, namespace.as_deref(), &opts, exist_ok, &call.cancel)
                .await?;
            to_js(&made)
        })
    }

    /// `deleteBucket(bucketId, { missingOk?, signal? })`.
    #[wasm_bindgen(js_name = deleteBucket)]
    pub fn delete_bucket(&self, bucket_id: JsValue, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(signal_of(&options), async move {
            let call = Call::new(&options)?;
            let id = bucket_id_arg(&bucket_id, "bucket id")?;
            let missing_ok = opt_bool(&call.options, "missingOk")?.unwrap_or(false);
            hub.delete_bucket(&id, missing_ok, &call.cancel).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `bucketInfo(bucketId, { signal? })`.
    #[wasm_bindgen(js_name = bucketInfo)]
    pub fn bucket_info(&self, bucket_id: JsValue, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(signal_of(&options), async move {
            let call = Call::new(&options)?;
            let id = bucket_id_arg(&bucket_id, "bucket id")?;
            to_js(&hub.bucket_info(&id, &call.cancel).await?)
        })
    }

    /// A pager for `listBuckets({ namespace?, search?, limit? })` (pages fetched by `nextPage`).
    #[wasm_bindgen(js_name = listBucketsPager)]
    pub fn list_buckets_pager(&self, options: JsValue) -> Result<JsPager, JsValue> {
        let o = options_object(&options, "options")?;
        let namespace = opt_string(&o, "namespace")?;
        let search = opt_string(&o, "search")?;
        let limit = opt_uint(&o, "limit", 1_000_000.0)?.map(|n| n as u32);
        let pager = self
            .hub
            .list_buckets(namespace.as_deref(), search.as_deref(), limit)?;
        Ok(JsPager::new(self.hub.clone(), PagerKind::Buckets(pager)))
    }

    /// A pager for `listBucketTree(bucketId, { prefix?, recursive = true, limit? })`.
    #[wasm_bindgen(js_name = listBucketTreePager)]
    pub fn list_bucket_tree_pager(
        &self,
        bucket_id: JsValue,
        options: JsValue,
    ) -> Result<JsPager, JsValue> {
        let o = options_object(&options, "options")?;
        let id = bucket_id_arg(&bucket_id, "bucket id")?;
        let prefix = opt_string(&o, "prefix")?.unwrap_or_default();
        let recursive = opt_bool(&o, "recursive")?.unwrap_or(true);
        let limit = opt_uint(&o, "limit", 1_000_000.0)?.map(|n| n as u32);
        let listing = self.hub.list_tree(&id, &prefix, recursive, limit)?;
        Ok(JsPager::new(self.hub.clone(), PagerKind::Tree(listing)))
    }

    /// `getPathsInfo(bucketId, paths, { signal? })` → file entries (missing paths left out).
    #[wasm_bindgen(js_name = getPathsInfo)]
    pub fn get_paths_info(&self, bucket_id: JsValue, paths: JsValue, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(signal_of(&options), async move {
            let call = Call::new(&options)?;
            let id = bucket_id_arg(&bucket_id, "bucket id")?;
            let paths = string_array(&paths, "paths")?;
            let files = hub.paths_info(&id, &paths, &call.cancel).await?;
            to_js(&files.into_iter().map(TreeEntry::File).collect::<Vec<_>>())
        })
    }

    /// `whoami({ signal? })`.
    #[wasm_bindgen(js_name = whoami)]
    pub fn whoami(&self, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(signal_of(&options), async move {
            let call = Call::new(&options)?;
            to_js(&hub.whoami(&call.cancel).await?)
        })
    }

    /// `moveBucket({ fromId, toId, signal? })`.
    #[wasm_bindgen(js_name = moveBucket)]
    pub fn move_bucket(&self, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(signal_of(&options), async move {
            let call = Call::new(&options)?;
            let from = bucket_id_arg(&get(&call.options, "fromId"), "fromId")?;
            let to = bucket_id_arg(&get(&call.options, "toId"), "toId")?;
            hub.move_bucket(&from, &to, &call.cancel).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `batchBucketFiles(bucketId, { add?, copy?, delete?, signal? })` → report.
    #[wasm_bindgen(js_name = batchBucketFiles)]
    pub fn batch_bucket_files(&self, bucket_id: JsValue, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(signal_of(&options), async move {
            let call = Call::new(&options)?;
            let id = bucket_id_arg(&bucket_id, "bucket id")?;
            let o = &call.options;
            let mut lines = Vec::new();
            let mut uploads = Vec::new();
            for (i, item) in object_array(&get(o, "add"), "add")?.into_iter().enumerate() {
                let destination =
                    string_arg(&get(&item, "destination"), &format!("add[{i}].destination"))?;
                let mtime = opt_time_ms(&item, "mtime")?;
                let content_type = opt_string(&item, "contentType")?;
                let source = get(&item, "source");
                match (opt_string(&item, "xetHash")?, present(&source)) {
                    (Some(xet_hash), false) => lines.push(BatchLine::Add {
                        path: destination,
                        xet_hash,
                        mtime,
                        content_type,
                    }),
                    (None, true) => uploads.push(AddSource {
                        destination,
                        source,
                        mtime,
                        content_type,
                    }),
                    _ => {
                        return Err(invalid(
                            &format!("add[{i}]"),
                            &item,
                            "needs exactly one of `source` (content to upload) or `xetHash`",
                        ));
                    }
                }
            }
            for (i, item) in object_array(&get(o, "copy"), "copy")?
                .into_iter()
                .enumerate()
            {
                let destination = string_arg(
                    &get(&item, "destination"),
                    &format!("copy[{i}].destination"),
                )?;
                let xet_hash = string_arg(&get(&item, "xetHash"), &format!("copy[{i}].xetHash"))?;
                let source_id =
                    string_arg(&get(&item, "sourceId"), &format!("copy[{i}].sourceId"))?;
                let source_type = match opt_string(&item, "sourceType")? {
                    None => RepoType::Bucket,
                    Some(t) => match RepoType::from_singular(&t) {
                        Some(RepoType::Kernel) | None => {
                            return Err(invalid(
                                &format!("copy[{i}].sourceType"),
                                &JsValue::from_str(&t),
                                "must be 'bucket', 'model', 'dataset' or 'space'",
                            ));
                        }
                        Some(t) => t,
                    },
                };
                lines.push(BatchLine::Copy {
                    path: destination,
                    xet_hash,
                    source_type,
                    source_id,
                    mtime: opt_time_ms(&item, "mtime")?,
                    content_type: opt_string(&item, "contentType")?,
                });
            }
            let deletes = get(o, "delete");
            if present(&deletes) {
                lines.extend(
                    string_array(&deletes, "delete")?
                        .into_iter()
                        .map(|path| BatchLine::Delete { path }),
                );
            }
            // Validate everything before uploading anything.
            for l in &lines {
                crate::hub::validate_path("path", l.path())?;
            }
            for u in &uploads {
                crate::hub::validate_path("path", &u.destination)?;
            }
            if !uploads.is_empty() {
                // The transfer engine uploads the sources, then commits everything (adds first).
                return super::transfer::upload_and_commit(
                    &hub,
                    &id,
                    lines,
                    uploads,
                    &call.options,
                    &call.cancel,
                )
                .await;
            }
            to_js(&hub.batch(&id, lines, &call.cancel).await?)
        })
    }

    /// `copyFiles({ source, destination, signal?, onProgress?, tokenProvider? })` with `hf://`
    /// URIs → report (server-side copies by hash; git-stored repo files re-uploaded).
    #[wasm_bindgen(js_name = copyFiles)]
    pub fn copy_files(&self, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(signal_of(&options), async move {
            let call = Call::new(&options)?;
            let endpoint = Some(hub.api().endpoint());
            let source = HfUri::parse(
                &string_arg(&get(&call.options, "source"), "source")?,
                endpoint,
            )?;
            let destination = HfUri::parse(
                &string_arg(&get(&call.options, "destination"), "destination")?,
                endpoint,
            )?;
            let plan = hub.plan_copy(&source, &destination, &call.cancel).await?;
            if plan.git_files.is_empty() {
                return to_js(
                    &hub.batch(&plan.destination, plan.lines, &call.cancel)
                        .await?,
                );
            }
            // Repo files stored in git have no xetHash: download them (they are small) and upload
            // them through the transfer engine, committed with the copy lines.
            let now = hub.http().now_ms() as i64;
            let mut uploads = Vec::new();
            let mut skipped = Vec::new();
            let mut total = 0u64;
            for g in plan.git_files {
                let size = g.size.unwrap_or(0);
                if size > MAX_REUPLOAD_BYTES as u64 || total + size > MAX_REUPLOAD_TOTAL {
                    skipped.push(BatchFailure {
                        path: g.target,
                        error: format!(
                            "{}/{} has no xetHash and is too large to re-upload through memory ({size} bytes); download and upload it instead",
                            source.id, g.source_path
                        ),
                    });
                    continue;
                }
                let bytes = hub
                    .download_repo_file(&source, &g.source_path, MAX_REUPLOAD_BYTES, &call.cancel)
                    .await?;
                total += bytes.len() as u64;
                uploads.push(AddSource {
                    destination: g.target,
                    source: js_sys::Uint8Array::from(&bytes[..]).into(),
                    mtime: Some(now),
                    content_type: None,
                });
            }
            let report = if uploads.is_empty() {
                to_js(
                    &hub.batch(&plan.destination, plan.lines, &call.cancel)
                        .await?,
                )?
            } else {
                super::transfer::upload_and_commit(
                    &hub,
                    &plan.destination,
                    plan.lines,
                    uploads,
                    &call.options,
                    &call.cancel,
                )
                .await?
            };
            if !skipped.is_empty() {
                let list = get(&report, "skipped");
                if let Some(arr) = list.dyn_ref::<Array>() {
                    for s in &skipped {
                        arr.push(&to_js(s)?);
                    }
                }
                let _ = Reflect::set(&report, &JsValue::from_str("success"), &JsValue::FALSE);
            }
            Ok(report)
        })
    }
}

/// An `add` item whose content must be uploaded first (read by the transfer engine, issue 5).
#[allow(dead_code)]
pub(crate) struct AddSource {
    /// Destination path (checked).
    pub(crate) destination: String,
    /// The JS source (`Uint8Array`, `Blob`, `ReadableStream`, path string in Node, …).
    pub(crate) source: JsValue,
    /// Modification time, ms.
    pub(crate) mtime: Option<i64>,
    /// MIME type.
    pub(crate) content_type: Option<String>,
}

// ---------------------------------------------------------------- hf:// helpers

/// `parseHfUri(uri, { endpoint? })` → `{ type, id, revision?, path, trailingSlash }`.
#[wasm_bindgen(js_name = parseHfUri)]
pub fn parse_hf_uri(uri: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let o = options_object(&options, "options")?;
    let endpoint = opt_string(&o, "endpoint")?;
    let uri = HfUri::parse(&string_arg(&uri, "uri")?, endpoint.as_deref()).map_err(Error::from)?;
    let obj = Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&obj, &JsValue::from_str(k), &v);
    };
    set("type", JsValue::from_str(uri.repo_type.singular()));
    set("id", JsValue::from_str(&uri.id));
    if let Some(r) = &uri.revision {
        set("revision", JsValue::from_str(r));
    }
    set("path", JsValue::from_str(&uri.path));
    set("trailingSlash", JsValue::from_bool(uri.trailing_slash));
    Ok(obj.into())
}

/// `formatHfUri({ type?, id, revision?, path?, trailingSlash? })` → canonical `hf://` string.
#[wasm_bindgen(js_name = formatHfUri)]
pub fn format_hf_uri(parts: JsValue) -> Result<String, JsValue> {
    let o = options_object(&parts, "uri parts")?;
    let repo_type = match opt_string(&o, "type")? {
        None => RepoType::Bucket,
        Some(t) => RepoType::from_singular(&t).ok_or_else(|| {
            invalid(
                "type",
                &JsValue::from_str(&t),
                "must be 'bucket', 'model', 'dataset', 'space' or 'kernel'",
            )
        })?,
    };
    let id = string_arg(&get(&o, "id"), "id")?;
    let revision = opt_string(&o, "revision")?;
    if repo_type == RepoType::Bucket && revision.is_some() {
        return Err(invalid(
            "revision",
            &get(&o, "revision"),
            "buckets have no revisions",
        )
        .into());
    }
    let path = opt_string(&o, "path")?.unwrap_or_default();
    let trailing_slash = opt_bool(&o, "trailingSlash")?.unwrap_or(false);
    let uri = HfUri {
        repo_type,
        id,
        revision,
        path: path.trim_matches('/').to_string(),
        trailing_slash: trailing_slash || path.ends_with('/'),
    };
    let text = uri.to_string();
    // Round-trip through the parser: only well-formed URIs are produced.
    HfUri::parse(&text, None).map_err(Error::from)?;
    Ok(text)
}
