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

#![cfg(feature = "client")]
// `#[wasm_bindgen]` exports must be `pub` although the module is private.
#![allow(unreachable_pub)]

use std::rc::Rc;

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;

use super::adapters::{commit_setup, upload_call, CasShare};
use super::args::{
    bucket_id_arg, get, opt_bool, opt_string, options_object, repo_type_arg, run, set, string_arg,
    string_array, to_js, ClientArgs, CreateArgs, ListBucketsArgs, ListTreeArgs, TransferArgs,
    UploadMethod,
};
use super::iter::{JsPager, PagerKind};
use crate::error::Error;
use crate::hub::{Api, HfUri, HubClient, RepoType, TreeEntry};
use crate::transport::fetch::FetchClient;
use crate::upload::commit::copy_files;

pub(crate) fn hub_from_options(options: &JsValue) -> Result<HubClient, Error> {
    let args = ClientArgs::read(options)?;
    let endpoint = args
        .endpoint
        .unwrap_or_else(|| "https://huggingface.co".into());
    let api = Api::new(&endpoint, args.access_token)?;
    let http = FetchClient::new(args.fetch)?.with_whole_get(installed_whole_get().dyn_into().ok());
    Ok(HubClient::new(Rc::new(http), api, args.retry))
}

#[wasm_bindgen(module = "/js/transport-hooks.js")]
extern "C" {
    #[wasm_bindgen(js_name = installedWholeGet)]
    fn installed_whole_get() -> JsValue;
}

/// The Rust half of `BucketClient` (the JS class in `js/index.js` wraps it).
#[wasm_bindgen(js_name = BucketClient)]
pub struct JsBucketClient {
    /// Shared with pagers and in-flight calls. Other binding files (the transfer engine's) reach
    /// the client through it.
    pub(crate) hub: Rc<HubClient>,
    /// Read tokens and xorb footers shared by this client's downloads.
    pub(crate) share: CasShare,
}

#[wasm_bindgen(js_class = BucketClient)]
impl JsBucketClient {
    /// `options`: `{ accessToken?, endpoint?, fetch?, retry? }`. Throws a `ValidationError`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<JsBucketClient, JsValue> {
        Ok(JsBucketClient {
            hub: Rc::new(hub_from_options(&options)?),
            share: CasShare::default(),
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
        run(options, |call| async move {
            let name = string_arg(&name, "bucket name")?;
            let args = CreateArgs::read(&call.options)?;
            let made = hub
                .create_bucket(
                    &name,
                    args.namespace.as_deref(),
                    &args.options,
                    args.exist_ok,
                    &call.cancel,
                )
                .await?;
            to_js(&made)
        })
    }

    /// `deleteBucket(bucketId, { missingOk?, signal? })`.
    #[wasm_bindgen(js_name = deleteBucket)]
    pub fn delete_bucket(&self, bucket_id: JsValue, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(options, |call| async move {
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
        run(options, |call| async move {
            let id = bucket_id_arg(&bucket_id, "bucket id")?;
            to_js(&hub.bucket_info(&id, &call.cancel).await?)
        })
    }

    /// A pager for `listBuckets({ namespace?, search?, limit? })` (pages fetched by `nextPage`).
    #[wasm_bindgen(js_name = listBucketsPager)]
    pub fn list_buckets_pager(&self, options: JsValue) -> Result<JsPager, JsValue> {
        let args = ListBucketsArgs::read(&options)?;
        let pager = self.hub.list_buckets(
            args.namespace.as_deref(),
            args.search.as_deref(),
            args.limit,
        )?;
        Ok(JsPager::new(self.hub.clone(), PagerKind::Buckets(pager)))
    }

    /// A pager for `listBucketTree(bucketId, { prefix?, recursive = true, limit? })`.
    #[wasm_bindgen(js_name = listBucketTreePager)]
    pub fn list_bucket_tree_pager(
        &self,
        bucket_id: JsValue,
        options: JsValue,
    ) -> Result<JsPager, JsValue> {
        let args = ListTreeArgs::read(&options)?;
        let id = bucket_id_arg(&bucket_id, "bucket id")?;
        let listing = self
            .hub
            .list_tree(&id, &args.prefix, args.recursive, args.limit)?;
        Ok(JsPager::new(self.hub.clone(), PagerKind::Tree(listing)))
    }

    /// `getPathsInfo(bucketId, paths, { signal? })` → file entries (missing paths left out).
    #[wasm_bindgen(js_name = getPathsInfo)]
    pub fn get_paths_info(&self, bucket_id: JsValue, paths: JsValue, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(options, |call| async move {
            let id = bucket_id_arg(&bucket_id, "bucket id")?;
            let paths = string_array(&paths, "paths")?;
            let files = hub.paths_info(&id, &paths, &call.cancel).await?;
            to_js(&files.into_iter().map(TreeEntry::File).collect::<Vec<_>>())
        })
    }

    /// `updateBucketSettings(bucketId, { private, signal? })`.
    #[wasm_bindgen(js_name = updateBucketSettings)]
    pub fn update_bucket_settings(&self, bucket_id: JsValue, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(options, |call| async move {
            let id = bucket_id_arg(&bucket_id, "bucket id")?;
            let private = opt_bool(&call.options, "private")?.ok_or_else(|| {
                super::args::invalid(
                    "private",
                    &get(&call.options, "private"),
                    "must be true or false",
                )
            })?;
            hub.update_bucket_settings(&id, private, &call.cancel)
                .await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `getFileMetadata(bucketId, path, { signal? })` → `{ size, xetHash, etag?, lastModified?,
    /// contentType? }`.
    #[wasm_bindgen(js_name = getFileMetadata)]
    pub fn get_file_metadata(
        &self,
        bucket_id: JsValue,
        path: JsValue,
        options: JsValue,
    ) -> Promise {
        let hub = self.hub.clone();
        run(options, |call| async move {
            let id = bucket_id_arg(&bucket_id, "bucket id")?;
            let path = string_arg(&path, "path")?;
            to_js(&hub.file_metadata(&id, &path, &call.cancel).await?)
        })
    }

    /// `fileExists(bucketId, path, { signal? })` → boolean.
    #[wasm_bindgen(js_name = fileExists)]
    pub fn file_exists(&self, bucket_id: JsValue, path: JsValue, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(options, |call| async move {
            let id = bucket_id_arg(&bucket_id, "bucket id")?;
            let path = string_arg(&path, "path")?;
            Ok(JsValue::from_bool(
                hub.file_exists(&id, &path, &call.cancel).await?,
            ))
        })
    }

    /// `whoami({ signal? })`.
    #[wasm_bindgen(js_name = whoami)]
    pub fn whoami(&self, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(options, |call| async move {
            to_js(&hub.whoami(&call.cancel).await?)
        })
    }

    /// `moveBucket({ fromId, toId, signal? })`.
    #[wasm_bindgen(js_name = moveBucket)]
    pub fn move_bucket(&self, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(options, |call| async move {
            let from = bucket_id_arg(&get(&call.options, "fromId"), "fromId")?;
            let to = bucket_id_arg(&get(&call.options, "toId"), "toId")?;
            hub.move_bucket(&from, &to, &call.cancel).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `batchBucketFiles(bucketId, { add?, copy?, delete?, signal?, commit?, sha256?,
    /// xorbConcurrency?, onProgress?, tokenProvider? })` → report (`upload` beside it when some
    /// `add` items carry a `source`).
    #[wasm_bindgen(js_name = batchBucketFiles)]
    pub fn batch_bucket_files(&self, bucket_id: JsValue, options: JsValue) -> Promise {
        upload_call(self.hub.clone(), UploadMethod::Batch, bucket_id, options)
    }

    /// `copyFiles({ source, destination, signal?, onProgress?, tokenProvider? })` with `hf://`
    /// URIs → report (server-side copies by hash; git-stored repo files re-uploaded, see
    /// `upload::commit::copy_files`).
    #[wasm_bindgen(js_name = copyFiles)]
    pub fn copy_files(&self, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(options, |call| async move {
            let endpoint = Some(hub.api().endpoint());
            let uri = |key: &str| -> Result<HfUri, Error> {
                Ok(HfUri::parse(
                    &string_arg(&get(&call.options, key), key)?,
                    endpoint,
                )?)
            };
            let source = uri("source")?;
            let destination = uri("destination")?;
            let transfer = TransferArgs::read(&call.options)?;
            let (cas_for, opts) = commit_setup(&hub, transfer, Vec::new(), call.signal);
            let report =
                copy_files(&hub, &cas_for, &source, &destination, opts, &call.cancel).await?;
            to_js(&report)
        })
    }
}

// ---------------------------------------------------------------- hf:// helpers

/// `parseHfUri(uri, { endpoint? })` → `{ type, id, revision?, path, trailingSlash }`.
#[wasm_bindgen(js_name = parseHfUri)]
pub fn parse_hf_uri(uri: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let o = options_object(&options, "options")?;
    let endpoint = opt_string(&o, "endpoint")?;
    let uri = HfUri::parse(&string_arg(&uri, "uri")?, endpoint.as_deref()).map_err(Error::from)?;
    let obj = Object::new();
    set(&obj, "type", uri.repo_type.singular());
    set(&obj, "id", uri.id.as_str());
    if let Some(r) = &uri.revision {
        set(&obj, "revision", r.as_str());
    }
    set(&obj, "path", uri.path.as_str());
    set(&obj, "trailingSlash", uri.trailing_slash);
    Ok(obj.into())
}

/// `formatHfUri({ type?, id, revision?, path?, trailingSlash? })` → canonical `hf://` string.
#[wasm_bindgen(js_name = formatHfUri)]
pub fn format_hf_uri(parts: JsValue) -> Result<String, JsValue> {
    let o = options_object(&parts, "uri parts")?;
    let repo_type = repo_type_arg(opt_string(&o, "type")?, "type", true)?;
    let id = string_arg(&get(&o, "id"), "id")?;
    let revision = opt_string(&o, "revision")?;
    if repo_type == RepoType::Bucket && revision.is_some() {
        return Err(super::args::invalid(
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
