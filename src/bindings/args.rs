//! Reading JS arguments: the only place that looks inside a JS options object. Each call converts
//! its options ONCE, at the edge, into the Rust structs below; a wrong type or value is a
//! `ValidationError` naming the option (never a panic), and the rest of the crate sees Rust types
//! only. One rule per option (documented in `js/index.d.ts` and `js/transfer.d.ts`):
//!
//! - `signal`: an `AbortSignal` (duck-typed, so signals of other realms work);
//! - `mtime`: a valid `Date` or an integer number of milliseconds since 1970 (0 to 2^53 − 1); an
//!   invalid `Date`, a fraction, a negative number or anything else is refused;
//! - `contentType`, `destination`, paths, ids: strings; `null`/`undefined` mean "not given";
//! - `endpoint`: an absolute `http(s)://` URL, or a relative one (`/hub`) resolved against the
//!   global `location` of a page or worker; where there is none (Node) a relative endpoint is
//!   refused, saying why.
//!
//! Results go back the other way through [`to_js`] (JSON text → `JSON.parse`, timestamps as `Date`s).

#![cfg(feature = "client")]

use std::future::Future;
use std::pin::Pin;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use super::error::to_js_error;
use crate::error::Error;
use crate::hub::{
    BatchLine, BucketId, CreateBucketOptions, RepoType, ToJson, ValidationError, MAX_LIST_LIMIT,
};
use crate::remove::{DeleteOptions, Selection};
use crate::sync::{Action, CompareOptions, Operation, Plan};
use crate::transport::fetch::cancel_from_signal;
use crate::transport::retry::RetryPolicy;
use crate::transport::Cancel;
use crate::upload::commit::CommitOptions;
use crate::watch::{Timing, WatchOptions};

pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
/// Keys whose numeric values (ms since the epoch) become `Date`s in results.
const DATE_KEYS: [&str; 5] = [
    "createdAt",
    "updatedAt",
    "mtime",
    "uploadedAt",
    "lastModified",
];

// ---------------------------------------------------------------- readers

fn shown(value: &JsValue) -> String {
    if value.is_undefined() {
        "undefined".into()
    } else if let Some(s) = value.as_string() {
        s
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

/// A `ValidationError` about `value`.
pub(crate) fn invalid(what: &str, value: &JsValue, reason: &str) -> Error {
    ValidationError::new(what, &shown(value), reason).into()
}

/// `options` as an object: `undefined`/`null` → an empty object; anything else but a plain
/// object is an error.
pub(crate) fn options_object(options: &JsValue, what: &str) -> Result<JsValue, Error> {
    if !present(options) {
        return Ok(Object::new().into());
    }
    if options.is_object() && !Array::is_array(options) {
        return Ok(options.clone());
    }
    Err(invalid(what, options, "must be an object"))
}

/// `obj[key]`, or `undefined` when `obj` is no object.
pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Neither `undefined` nor `null`.
pub(crate) fn present(v: &JsValue) -> bool {
    !(v.is_undefined() || v.is_null())
}

/// Sets `obj[key]` (on a fresh plain object this cannot fail).
pub(crate) fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

fn option_name(key: &str) -> String {
    format!("option `{key}`")
}

/// `obj[key]` read by `read` (which gets the value and its name for errors), or `None` when
/// it is `undefined`/`null`: the one "optional option" rule.
pub(crate) fn opt_with<T>(
    obj: &JsValue,
    key: &str,
    read: impl FnOnce(&JsValue, &str) -> Result<T, Error>,
) -> Result<Option<T>, Error> {
    // The name is formatted only for a value that is there.
    present_value(obj, key)
        .map(|v| read(&v, &option_name(key)))
        .transpose()
}

/// `obj[key]`, `None` when it is `undefined`/`null`.
fn present_value(obj: &JsValue, key: &str) -> Option<JsValue> {
    let v = get(obj, key);
    present(&v).then_some(v)
}

/// [`opt_with`] with the name errors give it (`add[0].mtime`, say).
fn opt_named<T>(
    obj: &JsValue,
    key: &str,
    what: &str,
    read: impl FnOnce(&JsValue, &str) -> Result<T, Error>,
) -> Result<Option<T>, Error> {
    present_value(obj, key).map(|v| read(&v, what)).transpose()
}

pub(crate) fn opt_string(obj: &JsValue, key: &str) -> Result<Option<String>, Error> {
    opt_with(obj, key, string_arg)
}

pub(crate) fn string_arg(v: &JsValue, what: &str) -> Result<String, Error> {
    v.as_string()
        .ok_or_else(|| invalid(what, v, "must be a string"))
}

pub(crate) fn opt_bool(obj: &JsValue, key: &str) -> Result<Option<bool>, Error> {
    opt_with(obj, key, |v, what| {
        v.as_bool()
            .ok_or_else(|| invalid(what, v, "must be a boolean"))
    })
}

/// A safe integer from 0 to `max`.
pub(crate) fn uint(v: &JsValue, what: &str, max: f64) -> Result<u64, Error> {
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && (0.0..=max).contains(&n) => Ok(n as u64),
        _ => Err(invalid(
            what,
            v,
            &format!("must be an integer from 0 to {}", max as u64),
        )),
    }
}

pub(crate) fn opt_uint(obj: &JsValue, key: &str, max: f64) -> Result<Option<u64>, Error> {
    opt_with(obj, key, |v, what| uint(v, what, max))
}

/// Milliseconds since the epoch from a valid `Date` or an integer number (the one `mtime` rule).
pub(crate) fn opt_time_ms(obj: &JsValue, key: &str, what: &str) -> Result<Option<i64>, Error> {
    opt_named(obj, key, what, |v, what| {
        let ms = match v.dyn_ref::<js_sys::Date>() {
            Some(d) => d.get_time(),
            None => v.as_f64().unwrap_or(f64::NAN),
        };
        if ms.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&ms) {
            Ok(ms as i64)
        } else {
            Err(invalid(
                what,
                v,
                "must be a valid Date or an integer number of milliseconds since 1970",
            ))
        }
    })
}

pub(crate) fn opt_function(obj: &JsValue, key: &str) -> Result<Option<Function>, Error> {
    opt_with(obj, key, |v, what| {
        v.clone()
            .dyn_into::<Function>()
            .map_err(|v| invalid(what, &v, "must be a function"))
    })
}

/// `options.signal`, checked to look like an `AbortSignal`.
fn opt_signal(obj: &JsValue) -> Result<Option<AbortSignal>, Error> {
    opt_with(obj, "signal", |v, what| {
        let looks_right =
            get(v, "aborted").as_bool().is_some() && get(v, "addEventListener").is_function();
        if !looks_right {
            return Err(invalid(what, v, "must be an AbortSignal"));
        }
        Ok(v.clone().unchecked_into())
    })
}

pub(crate) fn string_array(v: &JsValue, what: &str) -> Result<Vec<String>, Error> {
    if !Array::is_array(v) {
        return Err(invalid(what, v, "must be an array of strings"));
    }
    let arr: &Array = v.unchecked_ref();
    (0..arr.length())
        .map(|i| string_arg(&arr.get(i), &format!("{what}[{i}]")))
        .collect()
}

/// An optional array of objects (absent → empty).
fn object_array(v: &JsValue, what: &str) -> Result<Vec<JsValue>, Error> {
    if !present(v) {
        return Ok(Vec::new());
    }
    if !Array::is_array(v) {
        return Err(invalid(what, v, "must be an array"));
    }
    let arr: &Array = v.unchecked_ref();
    let mut items = Vec::with_capacity(arr.length() as usize);
    for i in 0..arr.length() {
        let item = arr.get(i);
        if !item.is_object() {
            return Err(not_an_object(what, i, &item));
        }
        items.push(item);
    }
    Ok(items)
}

/// The error of [`object_array`], out of its loop (V8 counts a loop's whole body, cold paths
/// included, at each turn when it decides what to optimise).
#[cold]
#[inline(never)]
fn not_an_object(what: &str, i: u32, item: &JsValue) -> Error {
    invalid(&format!("{what}[{i}]"), item, "must be an object")
}

pub(crate) fn bucket_id_arg(v: &JsValue, what: &str) -> Result<BucketId, Error> {
    Ok(string_arg(v, what)?.parse::<BucketId>()?)
}

/// A repo type given by its singular name; `kernel` only when `kernels` is true.
pub(crate) fn repo_type_arg(
    v: Option<String>,
    what: &str,
    kernels: bool,
) -> Result<RepoType, Error> {
    let Some(t) = v else {
        return Ok(RepoType::Bucket);
    };
    match RepoType::from_singular(&t) {
        Some(RepoType::Kernel) if !kernels => None,
        other => other,
    }
    .ok_or_else(|| {
        let allowed = if kernels {
            "must be 'bucket', 'model', 'dataset', 'space' or 'kernel'"
        } else {
            "must be 'bucket', 'model', 'dataset' or 'space'"
        };
        invalid(what, &JsValue::from_str(&t), allowed)
    })
}

// ---------------------------------------------------------------- results

/// Writes `value` as JSON and parses it into JS objects, turning [`DATE_KEYS`] into `Date`s.
pub(crate) fn to_js<T: ToJson + ?Sized>(value: &T) -> Result<JsValue, Error> {
    let text = value.to_json();
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

/// The state of a stateful object (a pager, a download) taken out for one call in flight (no
/// borrow across an await); while another call holds it, or once it is done, the
/// `ValidationError` "`what` `reason`".
pub(crate) fn take_state<T>(
    cell: &std::cell::RefCell<Option<T>>,
    what: &str,
    reason: &str,
) -> Result<T, Error> {
    let taken = cell.try_borrow_mut().ok().and_then(|mut s| s.take());
    taken.ok_or_else(|| ValidationError::new(what, "", reason).into())
}

/// The per-call context: the options object and the cancellation from its `signal`.
pub(crate) struct Call {
    /// The options object (an empty one when none was given).
    pub(crate) options: JsValue,
    /// The signal, for token providers and abort causes.
    pub(crate) signal: Option<AbortSignal>,
    /// Fires when `signal` aborts.
    pub(crate) cancel: Cancel,
}

impl Call {
    pub(crate) fn new(options: &JsValue) -> Result<Call, Error> {
        let options = options_object(options, "options")?;
        let signal = opt_signal(&options)?;
        Ok(Call {
            cancel: cancel_from_signal(signal.as_ref()),
            signal,
            options,
        })
    }
}

/// Runs `fut` as a Promise; errors become JS errors (an abort's cause is `signal.reason`).
pub(crate) fn promise<F>(signal: Option<AbortSignal>, fut: F) -> Promise
where
    F: Future<Output = Result<JsValue, Error>> + 'static,
{
    boxed_promise(signal, Box::pin(fut))
}

/// [`promise`] past its one generic step: the call's future is boxed, so the promise adapter
/// (and the error conversion) exists once in the wasm instead of once per exported call.
fn boxed_promise(
    signal: Option<AbortSignal>,
    fut: Pin<Box<dyn Future<Output = Result<JsValue, Error>>>>,
) -> Promise {
    future_to_promise(async move { fut.await.map_err(|e| to_js_error(&e, signal.as_ref())) })
}

/// Runs `body` over the call's [`Call`] (read from `options`) as a [`promise`].
pub(crate) fn run<F, Fut>(options: JsValue, body: F) -> Promise
where
    F: FnOnce(Call) -> Fut + 'static,
    Fut: Future<Output = Result<JsValue, Error>> + 'static,
{
    // Only to give an `AbortError` its cause; a bad signal is reported by `Call::new`.
    let signal = opt_signal(&options).ok().flatten();
    promise(signal, async move { body(Call::new(&options)?).await })
}

// ---------------------------------------------------------------- per-call options

/// `retry` of the client options: `true`/absent (defaults), `false` (none) or
/// `{ retries?, initialDelayMs?, maxDelayMs?, maxRetryAfterMs?, timeoutMs? }`.
pub(crate) fn retry_policy(v: &JsValue) -> Result<RetryPolicy, Error> {
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

/// The options of `new BucketClient(options)`.
pub(crate) struct ClientArgs {
    pub(crate) access_token: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) fetch: Option<Function>,
    pub(crate) retry: RetryPolicy,
}

impl ClientArgs {
    pub(crate) fn read(options: &JsValue) -> Result<ClientArgs, Error> {
        let o = options_object(options, "client options")?;
        Ok(ClientArgs {
            access_token: opt_string(&o, "accessToken")?,
            endpoint: endpoint_option(&o)?,
            fetch: opt_function(&o, "fetch")?,
            retry: retry_policy(&get(&o, "retry"))?,
        })
    }
}

#[wasm_bindgen]
extern "C" {
    /// The global `URL` class (pages, workers and Node all have it).
    #[wasm_bindgen(js_name = URL)]
    type JsUrl;
    #[wasm_bindgen(constructor, js_class = "URL", catch)]
    fn new_with_base(url: &str, base: &str) -> Result<JsUrl, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn href(this: &JsUrl) -> String;
}

/// Whether `s` starts with a URL scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`).
fn has_scheme(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `self.location.href` of a page or worker; `None` where there is none (Node).
fn global_location() -> Option<String> {
    get(&get(&js_sys::global(), "location"), "href").as_string()
}

/// The `endpoint` option: a URL with a scheme is kept as given (`Api::new` checks it is
/// http(s)); a relative one is resolved against the page's or worker's `location`.
fn endpoint_option(o: &JsValue) -> Result<Option<String>, Error> {
    let Some(endpoint) = opt_string(o, "endpoint")? else {
        return Ok(None);
    };
    if endpoint.is_empty() || has_scheme(&endpoint) {
        return Ok(Some(endpoint));
    }
    let what = option_name("endpoint");
    let shown = JsValue::from_str(&endpoint);
    let Some(base) = global_location() else {
        return Err(invalid(
            &what,
            &shown,
            "is relative and there is no page or worker location to resolve it against \
             (as in Node): pass an absolute http:// or https:// URL",
        ));
    };
    match JsUrl::new_with_base(&endpoint, &base) {
        Ok(url) => Ok(Some(url.href())),
        Err(_) => Err(invalid(
            &what,
            &shown,
            &format!("is relative and cannot be resolved against the location {base}"),
        )),
    }
}

/// `createBucket(name, { namespace?, private?, existOk?, region?, resourceGroupId? })`.
pub(crate) struct CreateArgs {
    pub(crate) namespace: Option<String>,
    pub(crate) options: CreateBucketOptions,
    pub(crate) exist_ok: bool,
}

impl CreateArgs {
    pub(crate) fn read(o: &JsValue) -> Result<CreateArgs, Error> {
        Ok(CreateArgs {
            namespace: opt_string(o, "namespace")?,
            options: CreateBucketOptions {
                private: opt_bool(o, "private")?,
                region: opt_string(o, "region")?,
                resource_group_id: opt_string(o, "resourceGroupId")?,
            },
            exist_ok: opt_bool(o, "existOk")?.unwrap_or(false),
        })
    }
}

/// `listBuckets({ namespace?, search?, limit? })`.
pub(crate) struct ListBucketsArgs {
    pub(crate) namespace: Option<String>,
    pub(crate) search: Option<String>,
    pub(crate) limit: Option<u32>,
}

impl ListBucketsArgs {
    pub(crate) fn read(options: &JsValue) -> Result<ListBucketsArgs, Error> {
        let o = options_object(options, "options")?;
        Ok(ListBucketsArgs {
            namespace: opt_string(&o, "namespace")?,
            search: opt_string(&o, "search")?,
            limit: list_limit(&o)?,
        })
    }
}

/// `limit` of a listing: 0 to [`MAX_LIST_LIMIT`] entries.
fn list_limit(o: &JsValue) -> Result<Option<u32>, Error> {
    Ok(opt_uint(o, "limit", f64::from(MAX_LIST_LIMIT))?.map(|n| n as u32))
}

/// `listBucketTree(bucketId, { prefix?, recursive = true, limit? })`.
pub(crate) struct ListTreeArgs {
    pub(crate) prefix: String,
    pub(crate) recursive: bool,
    pub(crate) limit: Option<u32>,
}

impl ListTreeArgs {
    pub(crate) fn read(options: &JsValue) -> Result<ListTreeArgs, Error> {
        let o = options_object(options, "options")?;
        Ok(ListTreeArgs {
            prefix: opt_string(&o, "prefix")?.unwrap_or_default(),
            recursive: opt_bool(&o, "recursive")?.unwrap_or(true),
            limit: list_limit(&o)?,
        })
    }
}

/// `deleteBucketFiles(bucketId, { prefix | paths, include?, exclude?, dryRun? })`: exactly one
/// of `prefix` (`''` for the whole bucket) and `paths`.
pub(crate) fn delete_files_args(options: &JsValue) -> Result<DeleteOptions, Error> {
    let o = options_object(options, "options")?;
    let patterns = |key: &str| opt_with(&o, key, string_array).map(Option::unwrap_or_default);
    let selection = match (
        opt_string(&o, "prefix")?,
        opt_with(&o, "paths", string_array)?,
    ) {
        (Some(prefix), None) => Selection::Prefix(prefix),
        (None, Some(paths)) => Selection::Paths(paths),
        (Some(_), Some(_)) => {
            return Err(invalid("options", &o, "give `prefix` or `paths`, not both"));
        }
        (None, None) => {
            return Err(invalid(
                "options",
                &o,
                "give `prefix` (`''` for every file) or `paths`",
            ));
        }
    };
    Ok(DeleteOptions {
        selection,
        include: patterns("include")?,
        exclude: patterns("exclude")?,
        dry_run: opt_bool(&o, "dryRun")?.unwrap_or(false),
    })
}

/// `watchBucket(bucketId, { prefix?, cursor?, since?, initial?, timing? })`; `since` is an
/// ISO-8601 string or a `Date`, `timing` overrides the reconnect constants (tests).
pub(crate) fn watch_options(options: &JsValue) -> Result<WatchOptions, Error> {
    let o = options_object(options, "options")?;
    let since = opt_with(&o, "since", |v, what| match v.dyn_ref::<js_sys::Date>() {
        Some(d) if d.get_time().is_finite() => Ok(String::from(d.to_iso_string())),
        Some(_) => Err(invalid(what, v, "must be a valid Date")),
        None => string_arg(v, what),
    })?;
    let d = Timing::default();
    let t = get(&o, "timing");
    if present(&t) && (!t.is_object() || Array::is_array(&t)) {
        return Err(invalid("option `timing`", &t, "must be an object"));
    }
    let hour = 3_600_000.0;
    let ms = |key: &str, default: u64| -> Result<u64, Error> {
        Ok(opt_uint(&t, key, hour)?.unwrap_or(default))
    };
    let timing = Timing {
        healthy_delay_ms: ms("healthyDelayMs", d.healthy_delay_ms)?,
        backoff_initial_ms: ms("backoffMs", d.backoff_initial_ms)?,
        backoff_max_ms: ms("backoffMaxMs", d.backoff_max_ms)?,
        read_timeout_ms: ms("readTimeoutMs", d.read_timeout_ms)?,
        connect_timeout_ms: ms("connectTimeoutMs", d.connect_timeout_ms)?,
        max_unhealthy: opt_uint(&t, "maxUnhealthy", 100.0)?
            .map_or(d.max_unhealthy, |n| n.max(1) as u32),
    };
    Ok(WatchOptions {
        prefix: opt_string(&o, "prefix")?.unwrap_or_default(),
        cursor: opt_string(&o, "cursor")?,
        since,
        initial: opt_bool(&o, "initial")?.unwrap_or(false),
        timing,
    })
}

/// An `add` item whose content must be uploaded: `{ source, destination, mtime?, contentType? }`.
pub(crate) struct AddSource {
    /// Destination path.
    pub(crate) destination: String,
    /// The JS source (`Uint8Array`, `Blob`, `ReadableStream`, path string in Node, …).
    pub(crate) source: JsValue,
    /// Modification time, ms.
    pub(crate) mtime: Option<i64>,
    /// MIME type.
    pub(crate) content_type: Option<String>,
}

/// One `add` item: content to upload, or a hash already stored.
enum AddItem {
    Upload(AddSource),
    Stored(BatchLine),
}

/// Reads `{ destination, source | xetHash, mtime?, contentType? }`. Its errors name the fields
/// alone (`mtime`); the caller puts the item's name before them with [`within`] (`add[3].mtime`),
/// so that a batch of many items formats no names unless one is wrong. Out of line: the loop
/// over a batch's items stays small, and V8 does not optimise the whole call reader for it.
#[inline(never)]
fn add_item(item: &JsValue, allow_hash: bool) -> Result<AddItem, Error> {
    let destination = string_arg(&get(item, "destination"), "destination")?;
    let mtime = opt_time_ms(item, "mtime", "mtime")?;
    let content_type = opt_named(item, "contentType", "contentType", string_arg)?;
    let source = get(item, "source");
    let xet_hash = if allow_hash {
        opt_named(item, "xetHash", "xetHash", string_arg)?
    } else {
        None
    };
    match (xet_hash, present(&source)) {
        (Some(xet_hash), false) => Ok(AddItem::Stored(BatchLine::Add {
            path: destination,
            xet_hash,
            mtime,
            content_type,
        })),
        (None, true) => Ok(AddItem::Upload(AddSource {
            destination,
            source,
            mtime,
            content_type,
        })),
        _ if !allow_hash => Err(invalid("source", &source, "is required")),
        _ => Err(invalid(
            "",
            item,
            "needs exactly one of `source` (content to upload) or `xetHash`",
        )),
    }
}

/// The `add` items, read into `lines` or `uploads`. A loop of its own that owns nothing: an
/// error leaves it with no clean-up inlined into its body (V8 counts a loop's whole body at each
/// turn when it decides what to optimise).
#[inline(never)]
fn read_adds(
    items: &[JsValue],
    lines: &mut Vec<BatchLine>,
    uploads: &mut Vec<AddSource>,
) -> Result<(), Error> {
    for (i, item) in items.iter().enumerate() {
        match add_item(item, true).map_err(|e| within(e, || format!("add[{i}]")))? {
            AddItem::Upload(u) => uploads.push(u),
            AddItem::Stored(l) => lines.push(l),
        }
    }
    Ok(())
}

/// `error` with `name()` put before the name of what it is about (`mtime` → `add[3].mtime`; an
/// error about the item itself gets the item's name).
fn within(error: Error, name: impl FnOnce() -> String) -> Error {
    match error {
        Error::Validation(mut e) => {
            e.what = if e.what.is_empty() {
                name()
            } else {
                format!("{}.{}", name(), e.what)
            };
            Error::Validation(e)
        }
        other => other,
    }
}

/// `batchBucketFiles(bucketId, { add?, copy?, delete? })`: the lines, and the sources to upload.
struct BatchArgs {
    lines: Vec<BatchLine>,
    uploads: Vec<AddSource>,
}

impl BatchArgs {
    fn read(o: &JsValue) -> Result<BatchArgs, Error> {
        let mut lines = Vec::new();
        let mut uploads = Vec::new();
        read_adds(
            &object_array(&get(o, "add"), "add")?,
            &mut lines,
            &mut uploads,
        )?;
        for (i, item) in object_array(&get(o, "copy"), "copy")?.iter().enumerate() {
            let what = |k: &str| format!("copy[{i}].{k}");
            lines.push(BatchLine::Copy {
                path: string_arg(&get(item, "destination"), &what("destination"))?,
                xet_hash: string_arg(&get(item, "xetHash"), &what("xetHash"))?,
                source_id: string_arg(&get(item, "sourceId"), &what("sourceId"))?,
                source_type: repo_type_arg(
                    opt_string(item, "sourceType")?,
                    &what("sourceType"),
                    false,
                )?,
                mtime: opt_time_ms(item, "mtime", &what("mtime"))?,
                content_type: opt_string(item, "contentType")?,
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
        Ok(BatchArgs { lines, uploads })
    }
}

/// `uploadBucketFile(bucketId, { source, destination, mtime?, contentType?, … })`: the file.
fn single_file(o: &JsValue) -> Result<AddSource, Error> {
    match add_item(o, false).map_err(|e| within(e, || "options".into()))? {
        AddItem::Upload(u) => Ok(u),
        AddItem::Stored(_) => Err(invalid("options", o, "needs `source`")),
    }
}

/// The two calls that upload content: `uploadBucketFile` (one `source`) and `batchBucketFiles`
/// (`add` items with a `source`, beside stored lines).
#[derive(Clone, Copy)]
pub(crate) enum UploadMethod {
    Single,
    Batch,
}

/// Everything an upload call reads, read once: the same reader serves the call itself and the
/// worker mode's check on the calling thread ([`check_transfer_call`]), so both refuse the same
/// input with the same error.
pub(crate) struct UploadCall {
    pub(crate) id: BucketId,
    pub(crate) lines: Vec<BatchLine>,
    pub(crate) uploads: Vec<AddSource>,
    pub(crate) transfer: TransferArgs,
}

impl UploadCall {
    /// `options` is the call's options object (see [`Call::new`]).
    pub(crate) fn read(
        method: UploadMethod,
        bucket_id: &JsValue,
        options: &JsValue,
    ) -> Result<UploadCall, Error> {
        let id = bucket_id_arg(bucket_id, "bucket id")?;
        let (lines, uploads) = match method {
            UploadMethod::Single => (Vec::new(), vec![single_file(options)?]),
            UploadMethod::Batch => {
                let batch = BatchArgs::read(options)?;
                (batch.lines, batch.uploads)
            }
        };
        let transfer = TransferArgs::read(options)?;
        Ok(UploadCall {
            id,
            lines,
            uploads,
            transfer,
        })
    }

    /// The destinations of the uploads, in order.
    pub(crate) fn names(&self) -> Vec<String> {
        self.uploads.iter().map(|u| u.destination.clone()).collect()
    }
}

/// The transfer options shared by uploads: `{ commit?, sha256?, xorbConcurrency?, onProgress?,
/// tokenProvider?, shardCache? }` (and downloads: `onProgress`, `tokenProvider`).
/// The options become [`CommitOptions`] here (all but `progress`, which the adapters build over
/// `on_progress`).
pub(crate) struct TransferArgs {
    pub(crate) commit: CommitOptions,
    pub(crate) on_progress: Option<Function>,
    pub(crate) token_provider: Option<Function>,
    /// `shardCache` (default true): use the platform's local shard cache, if it has one.
    pub(crate) shard_cache: bool,
}

impl TransferArgs {
    pub(crate) fn read(o: &JsValue) -> Result<TransferArgs, Error> {
        let mut commit = CommitOptions::default();
        if let Some(sha) = opt_bool(o, "sha256")? {
            commit.upload.planner.sha256 = sha;
        }
        if let Some(n) = opt_uint(o, "xorbConcurrency", MAX_SAFE_INTEGER)? {
            commit.upload = commit.upload.with_xorb_concurrency(n);
        }
        commit.no_commit = opt_bool(o, "commit")? == Some(false);
        let on_progress = opt_function(o, "onProgress")?;
        let token_provider = opt_function(o, "tokenProvider")?;
        let shard_cache = opt_bool(o, "shardCache")? != Some(false);
        Ok(TransferArgs {
            commit,
            on_progress,
            token_provider,
            shard_cache,
        })
    }
}

/// Everything `openBucketFile`/`getBucketFile` read, read once (like [`UploadCall`]).
pub(crate) struct OpenCall {
    pub(crate) id: BucketId,
    pub(crate) open: OpenArgs,
    pub(crate) transfer: TransferArgs,
}

impl OpenCall {
    /// `options` is the call's options object (see [`Call::new`]).
    pub(crate) fn read(bucket_id: &JsValue, options: &JsValue) -> Result<OpenCall, Error> {
        Ok(OpenCall {
            id: bucket_id_arg(bucket_id, "bucket id")?,
            open: OpenArgs::read(options)?,
            transfer: TransferArgs::read(options)?,
        })
    }
}

/// Everything `openBucketBlob` reads: `{ path | xetHash + size, cacheBytes?, tokenProvider? }`
/// (the JS glue puts the `path` argument into the options). A `range` is refused: a blob is
/// narrowed with `slice()`.
pub(crate) struct BlobCall {
    pub(crate) id: BucketId,
    pub(crate) target: OpenTarget,
    pub(crate) cache_bytes: Option<u64>,
    pub(crate) token_provider: Option<Function>,
}

impl BlobCall {
    pub(crate) fn read(bucket_id: &JsValue, options: &JsValue) -> Result<BlobCall, Error> {
        let id = bucket_id_arg(bucket_id, "bucket id")?;
        let open = OpenArgs::read(options)?;
        if open.range.is_some() {
            return Err(invalid(
                "option `range`",
                &get(options, "range"),
                "is not an option of openBucketBlob (use slice())",
            ));
        }
        Ok(BlobCall {
            id,
            target: open.target,
            cache_bytes: opt_uint(options, "cacheBytes", MAX_SAFE_INTEGER)?,
            token_provider: opt_function(options, "tokenProvider")?,
        })
    }
}

/// Reads the arguments of the transfer call named `method` (`uploadBucketFile`,
/// `batchBucketFiles`, `getBucketFile`, `openBucketFile`) as the call itself does, and drops
/// them: the `ValidationError` the call would reject with, or nothing.
pub(crate) fn check_transfer_call(
    method: &str,
    bucket_id: &JsValue,
    options: &JsValue,
) -> Result<(), Error> {
    let call = Call::new(options)?;
    match method {
        "uploadBucketFile" => {
            UploadCall::read(UploadMethod::Single, bucket_id, &call.options).map(drop)
        }
        "batchBucketFiles" => {
            UploadCall::read(UploadMethod::Batch, bucket_id, &call.options).map(drop)
        }
        "getBucketFile" | "openBucketFile" => OpenCall::read(bucket_id, &call.options).map(drop),
        _ => Err(invalid(
            "method",
            &JsValue::from_str(method),
            "is not a transfer call",
        )),
    }
}

/// What `openBucketFile`/`getBucketFile` read: `{ path } | { xetHash, size }`, `range?`.
pub(crate) enum OpenTarget {
    Path(String),
    Hash { xet_hash: String, size: u64 },
}

/// `{ path | xetHash + size, range?, verify? }`; the range's end defaults to the file size.
pub(crate) struct OpenArgs {
    pub(crate) target: OpenTarget,
    pub(crate) range: Option<(u64, Option<u64>)>,
    pub(crate) verify: crate::download::Verify,
}

impl OpenArgs {
    fn read(o: &JsValue) -> Result<OpenArgs, Error> {
        let target = match (opt_string(o, "path")?, opt_string(o, "xetHash")?) {
            (Some(path), None) => OpenTarget::Path(path),
            (None, Some(xet_hash)) => {
                let size = get(o, "size");
                if !present(&size) {
                    return Err(invalid(
                        "option `size`",
                        &size,
                        "is required with `xetHash`",
                    ));
                }
                OpenTarget::Hash {
                    xet_hash,
                    size: uint(&size, "option `size`", MAX_SAFE_INTEGER)?,
                }
            }
            _ => {
                return Err(invalid(
                    "options",
                    o,
                    "need exactly one of `path` or `xetHash` (with `size`)",
                ))
            }
        };
        let r = get(o, "range");
        let range = if !present(&r) {
            None
        } else if !r.is_object() {
            return Err(invalid(
                "option `range`",
                &r,
                "must be { start, end } (end exclusive)",
            ));
        } else {
            let start = uint(&get(&r, "start"), "range.start", MAX_SAFE_INTEGER)?;
            let end = get(&r, "end");
            let end = if present(&end) {
                Some(uint(&end, "range.end", MAX_SAFE_INTEGER)?)
            } else {
                None
            };
            Some((start, end))
        };
        let verify = match opt_string(o, "verify")? {
            None => crate::download::Verify::default(),
            Some(name) => crate::download::Verify::from_name(&name).ok_or_else(|| {
                invalid(
                    "option `verify`",
                    &get(o, "verify"),
                    "must be 'full' or 'structural'",
                )
            })?,
        };
        Ok(OpenArgs {
            target,
            range,
            verify,
        })
    }
}

/// `planSync({ source, destination, delete?, ignoreTimes?, ignoreSizes?, existing?,
/// ignoreExisting?, checksum?, include?, exclude? })` (`filterFrom` is read by the JS glue, which passes
/// the file's text to the planner).
pub(crate) struct SyncArgs {
    pub(crate) source: Option<String>,
    pub(crate) destination: Option<String>,
    pub(crate) compare: CompareOptions,
    pub(crate) include: Vec<String>,
    pub(crate) exclude: Vec<String>,
}

impl SyncArgs {
    pub(crate) fn read(options: &JsValue) -> Result<SyncArgs, Error> {
        let o = options_object(options, "options")?;
        let flag = |key: &str| Ok::<_, Error>(opt_bool(&o, key)?.unwrap_or(false));
        let patterns = |key: &str| opt_with(&o, key, string_array).map(Option::unwrap_or_default);
        Ok(SyncArgs {
            source: opt_string(&o, "source")?,
            destination: opt_string(&o, "destination")?,
            compare: CompareOptions {
                delete: flag("delete")?,
                ignore_times: flag("ignoreTimes")?,
                ignore_sizes: flag("ignoreSizes")?,
                existing: flag("existing")?,
                ignore_existing: flag("ignoreExisting")?,
                checksum: flag("checksum")?,
            },
            include: patterns("include")?,
            exclude: patterns("exclude")?,
        })
    }
}

/// A page of local files from the JS walk: a flat array `[path, size, mtimeSec, mtimeNsec, …]`
/// (the `stat` fields, so the planner computes the time the one official way).
pub(crate) fn local_page(v: &JsValue) -> Result<Vec<(String, u64, i64, u32)>, Error> {
    if !Array::is_array(v) {
        return Err(invalid("local page", v, "must be an array"));
    }
    let arr: &Array = v.unchecked_ref();
    if arr.length() % 4 != 0 {
        return Err(invalid("local page", v, "must hold 4 values per file"));
    }
    let int = |x: JsValue, what: &str, lo: f64, hi: f64| match x.as_f64() {
        Some(n) if n.fract() == 0.0 && (lo..=hi).contains(&n) => Ok(n),
        _ => Err(invalid(what, &x, "must be an integer in range")),
    };
    (0..arr.length() / 4)
        .map(|i| {
            let at = |k: u32| arr.get(i * 4 + k);
            Ok((
                string_arg(&at(0), "local path")?,
                int(at(1), "local size", 0.0, MAX_SAFE_INTEGER)? as u64,
                int(at(2), "local mtime", -MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)? as i64,
                int(at(3), "local mtime ns", 0.0, 999_999_999.0)? as u32,
            ))
        })
        .collect()
}

/// The header of a plan object (`source`, `destination`, `timestamp`), as `planSync` and
/// `parseSyncPlan` return it.
pub(crate) fn plan_header_arg(v: &JsValue) -> Result<(String, String, String), Error> {
    let o = options_object(v, "plan")?;
    Ok((
        string_arg(&get(&o, "source"), "plan.source")?,
        string_arg(&get(&o, "destination"), "plan.destination")?,
        string_arg(&get(&o, "timestamp"), "plan.timestamp")?,
    ))
}

/// Reads the operations of a plan object one at a time (only what the plan file holds), handing
/// each to `each`: a plan of 100,000 lines is checked without a second copy of it.
pub(crate) fn plan_operations_arg(
    v: &JsValue,
    mut each: impl FnMut(Operation) -> Result<(), Error>,
) -> Result<(), Error> {
    let ops = get(v, "operations");
    if !present(&ops) {
        return Ok(());
    }
    if !Array::is_array(&ops) {
        return Err(invalid("plan.operations", &ops, "must be an array"));
    }
    let arr: &Array = ops.unchecked_ref();
    for i in 0..arr.length() {
        let op = arr.get(i);
        let what = |k: &str| format!("plan.operations[{i}]{k}");
        if !op.is_object() {
            return Err(invalid(&what(""), &op, "must be an object"));
        }
        let action = string_arg(&get(&op, "action"), &what(".action"))?;
        let action = Action::parse(&action).ok_or_else(|| {
            invalid(
                &what(".action"),
                &get(&op, "action"),
                "must be 'upload', 'download', 'delete' or 'skip'",
            )
        })?;
        let text = |k: &str| opt_named(&op, k, &what(&format!(".{k}")), string_arg);
        each(Operation {
            action,
            path: string_arg(&get(&op, "path"), &what(".path"))?,
            reason: text("reason")?.unwrap_or_default(),
            size: opt_named(&op, "size", &what(".size"), |v, w| {
                uint(v, w, MAX_SAFE_INTEGER)
            })?,
            local_mtime: text("localMtime")?,
            remote_mtime: text("remoteMtime")?,
        })?;
    }
    Ok(())
}

/// A plan object as `planSync`/`parseSyncPlan` return it (only what the plan file holds).
pub(crate) fn plan_arg(v: &JsValue) -> Result<Plan, Error> {
    let (source, dest, timestamp) = plan_header_arg(v)?;
    let mut operations = Vec::new();
    plan_operations_arg(v, |op| {
        operations.push(op);
        Ok(())
    })?;
    Ok(Plan {
        source,
        dest,
        timestamp,
        operations,
    })
}
