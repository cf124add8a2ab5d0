//! The JS face of `deleteBucketFiles` (workflows spec §4, issue 11): arguments read by
//! `args::delete_files_args`, the work done by [`HubClient::delete_files`](crate::hub::HubClient)
//! (`crate::remove`), the report returned as a plain object.

#![cfg(feature = "client")]
// `#[wasm_bindgen]` exports must be `pub` although the module is private.
#![allow(unreachable_pub)]

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::args::{bucket_id_arg, delete_files_args, run, to_js};
use super::client::JsBucketClient;

#[wasm_bindgen(js_class = BucketClient)]
impl JsBucketClient {
    /// `deleteBucketFiles(bucketId, { prefix | paths, include?, exclude?, dryRun?, signal? })`
    /// → `{ deleted, totalSize, dryRun, missing, failed, success }`.
    #[wasm_bindgen(js_name = deleteBucketFiles)]
    pub fn delete_bucket_files(&self, bucket_id: JsValue, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        run(options, |call| async move {
            let id = bucket_id_arg(&bucket_id, "bucket id")?;
            let options = delete_files_args(&call.options)?;
            to_js(&hub.delete_files(&id, &options, &call.cancel).await?)
        })
    }
}
