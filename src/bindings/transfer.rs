//! The JS face of the transfer engine (issue 5): uploads with dedup and verified downloads.
//!
//! Exports (wrapped by `js/transfer-engine.js`, which `js/index.js` uses):
//! - `transferUpload(client, bucketId, options)` — `uploadBucketFile`: uploads one source, then
//!   (unless `commit: false`) commits it (`upload::commit`);
//! - `transferOpen(client, bucketId, options)` → a [`JsDownload`] whose `next()` yields the
//!   verified bytes of a file or a range, for a pull-based `ReadableStream`;
//! - `transferOpenBlob(client, bucketId, options)` → a [`JsBlobReader`] serving any byte range of
//!   a file (`download::reader`), for `openBucketBlob`;
//! - `checkTransferCall(method, bucketId, options)` — the worker mode's check of a call's
//!   arguments on the calling thread, with the call's own reader.
//!
//! Sources and token providers are adapted in `bindings/adapters.rs`; CAS tokens come from the
//! Hub (`xet-write-token` / `xet-read-token` with the client's Hub token) or from the caller's
//! `tokenProvider({ bucketId, scope, signal })`; the Hub token never goes to the CAS.

#![cfg(feature = "client")]
// `#[wasm_bindgen]` exports must be `pub` although the module is private.
#![allow(unreachable_pub)]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::adapters::{cas_client, download_progress, upload_call};
use super::args::{self, promise, run, take_state, BlobCall, OpenCall, OpenTarget, UploadMethod};
use super::client::JsBucketClient;
use crate::download::ahead::{read_ahead, Ahead, DEFAULT_READ_AHEAD_BYTES};
use crate::download::{BlobReader, DownloadOptions, FileDownload, ReaderOptions, Target};
use crate::hub::ValidationError;
use crate::transport::Cancel;

// ---------------------------------------------------------------- upload

/// `transferUpload(client, bucketId, { source, destination, contentType?, mtime?, commit?,
/// onProgress?, signal?, tokenProvider?, sha256?, xorbConcurrency? })` → `{ path, xetHash, size,
/// newBytes, dedupBytes, sha256?, upload, batch? }` (`uploadBucketFile`).
#[wasm_bindgen(js_name = transferUpload)]
pub fn transfer_upload(client: &JsBucketClient, bucket_id: JsValue, options: JsValue) -> Promise {
    upload_call(client.hub.clone(), UploadMethod::Single, bucket_id, options)
}

/// `checkTransferCall(method, bucketId, options)`: throws the `ValidationError` that `method`
/// (`uploadBucketFile`, `batchBucketFiles`, `getBucketFile`, `openBucketFile`) would reject these
/// arguments with, else returns. The worker mode runs it on the calling thread before it sends a
/// call away, so a call refuses the same input in a worker and here.
#[wasm_bindgen(js_name = checkTransferCall)]
pub fn check_transfer_call(
    method: &str,
    bucket_id: JsValue,
    options: JsValue,
) -> Result<(), JsValue> {
    Ok(args::check_transfer_call(method, &bucket_id, &options)?)
}

// ---------------------------------------------------------------- download

/// A download in progress: `next()` resolves to the next verified piece (`Uint8Array`) or
/// `undefined` at the end. `js/transfer-engine.js` turns it into a `ReadableStream`. The
/// download runs ahead of `next()` on its own task (`download::ahead`), a few pieces at most.
#[wasm_bindgen(js_name = Download)]
pub struct JsDownload {
    inner: Rc<RefCell<Option<Ahead>>>,
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
        promise(self.signal.clone(), async move {
            let dl = take_state(
                &inner,
                "next()",
                "called while another call is pending, or after the end",
            )?;
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

    /// Copies the next bytes into `target` (a view of at least one byte) and resolves to their
    /// count, or to `undefined` at the end (after the final checks): the allocation-free form
    /// of `next()`, for a consumer that reuses its buffers. Calls must not overlap.
    #[wasm_bindgen(js_name = nextInto)]
    pub fn next_into(&self, target: Uint8Array) -> Promise {
        let inner = self.inner.clone();
        promise(self.signal.clone(), async move {
            let room = target.length() as usize;
            if room == 0 {
                return Err(ValidationError::new(
                    "target",
                    "0 bytes",
                    "must hold at least one byte",
                )
                .into());
            }
            let dl = take_state(
                &inner,
                "nextInto()",
                "called while another call is pending, or after the end",
            )?;
            match dl.next_up_to(room).await {
                Ok(Some(b)) => {
                    *inner.borrow_mut() = Some(dl);
                    let n = b.len();
                    target.subarray(0, n as u32).copy_from(&b);
                    Ok(JsValue::from(n as f64))
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

/// `transferOpen(client, bucketId, { path | xetHash+size, range?, verify?, signal?,
/// onProgress?, tokenProvider? })` → `Download`.
#[wasm_bindgen(js_name = transferOpen)]
pub fn transfer_open(client: &JsBucketClient, bucket_id: JsValue, options: JsValue) -> Promise {
    let hub = client.hub.clone();
    let share = client.share.clone();
    run(options, |call| async move {
        let OpenCall { id, open, transfer } = OpenCall::read(&bucket_id, &call.options)?;
        let (file_hash, size) = match open.target {
            OpenTarget::Path(path) => {
                let entry = hub.file_entry(&id, &path, &call.cancel).await?;
                (entry.xet_hash, entry.size)
            }
            OpenTarget::Hash { xet_hash, size } => (xet_hash, size),
        };
        let file_hash = ValidationError::check_hash("xetHash", &file_hash)?;
        let range = open.range.map(|(start, end)| (start, end.unwrap_or(size)));
        let progress = download_progress(transfer.on_progress);
        let cas = cas_client(
            &hub,
            &id,
            false,
            transfer.token_provider,
            call.signal.clone(),
            Some(&share),
        );
        let dl = FileDownload::open(
            cas,
            Target {
                file_hash,
                size,
                range,
            },
            DownloadOptions {
                verify: open.verify,
                ..DownloadOptions::default()
            },
            progress,
            &call.cancel,
        )
        .await?;
        let len = dl.len();
        let (ahead, driver) = read_ahead(dl, DEFAULT_READ_AHEAD_BYTES, &call.cancel);
        wasm_bindgen_futures::spawn_local(driver);
        Ok(JsDownload {
            inner: Rc::new(RefCell::new(Some(ahead))),
            len,
            file_size: size,
            xet_hash: file_hash.to_hex(),
            signal: call.signal,
            _cancel: call.cancel,
        }
        .into())
    })
}

// ---------------------------------------------------------------- random access

/// Random access to one file (`download::reader::BlobReader`): `read(start, end, { signal })`
/// resolves to the verified bytes `[start, end)`. `js/transfer-engine.js` wraps it in a
/// `Blob`-like object; reads may overlap.
#[wasm_bindgen(js_name = BlobReader)]
pub struct JsBlobReader {
    inner: Rc<BlobReader>,
}

#[wasm_bindgen(js_class = BlobReader)]
impl JsBlobReader {
    /// Size of the file.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.inner.size() as f64
    }

    /// The file's Xet hash.
    #[wasm_bindgen(getter, js_name = xetHash)]
    pub fn xet_hash(&self) -> String {
        self.inner.file_hash().to_hex()
    }

    /// The bytes `[start, end)` (end clamped to the size) as a `Uint8Array`.
    pub fn read(&self, start: JsValue, end: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        run(options, move |call| async move {
            let start = args::uint(&start, "start", args::MAX_SAFE_INTEGER)?;
            let end = args::uint(&end, "end", args::MAX_SAFE_INTEGER)?;
            let bytes = inner.read(start, end, &call.cancel).await?;
            Ok(Uint8Array::from(&bytes[..]).into())
        })
    }

    /// `{ dataRequests, footerReads, bytesFetched, cacheHits, cachedBytes }` so far.
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        let s = self.inner.stats();
        let mut json = String::new();
        xet::json::write_object(&mut json, |o| {
            o.u64("dataRequests", s.data_requests)
                .u64("footerReads", s.footer_reads)
                .u64("bytesFetched", s.bytes_fetched)
                .u64("cacheHits", s.cache_hits)
                .u64("cachedBytes", s.cached_bytes);
        });
        js_sys::JSON::parse(&json)
    }
}

/// `transferOpenBlob(client, bucketId, { path | xetHash+size, cacheBytes?, signal?,
/// tokenProvider? })` → `BlobReader` (`openBucketBlob`).
#[wasm_bindgen(js_name = transferOpenBlob)]
pub fn transfer_open_blob(
    client: &JsBucketClient,
    bucket_id: JsValue,
    options: JsValue,
) -> Promise {
    let hub = client.hub.clone();
    let share = client.share.clone();
    run(options, |call| async move {
        let BlobCall {
            id,
            target,
            cache_bytes,
            token_provider,
        } = BlobCall::read(&bucket_id, &call.options)?;
        let (file_hash, size) = match target {
            OpenTarget::Path(path) => {
                let entry = hub.file_entry(&id, &path, &call.cancel).await?;
                (entry.xet_hash, entry.size)
            }
            OpenTarget::Hash { xet_hash, size } => (xet_hash, size),
        };
        let file_hash = ValidationError::check_hash("xetHash", &file_hash)?;
        // Later reads outlive this call's signal: token requests get none.
        let cas = cas_client(&hub, &id, false, token_provider, None, Some(&share));
        let options = ReaderOptions {
            cache_bytes: cache_bytes.unwrap_or(ReaderOptions::default().cache_bytes),
        };
        let reader = BlobReader::open(cas, file_hash, size, options, &call.cancel).await?;
        Ok(JsBlobReader {
            inner: Rc::new(reader),
        }
        .into())
    })
}
