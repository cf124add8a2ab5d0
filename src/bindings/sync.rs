//! The JS face of directory sync planning (workflows spec §1, issue 11): `SyncPlanner`, which the
//! Node glue (`js/node/sync.js`) feeds with pages of its local walk and drives through the
//! bucket's tree listing, and the plan-file helpers `formatSyncPlan` / `parseSyncPlan`.
//!
//! Thin by design: every rule (validation, filters, folder boundary, path safety, the decision
//! table, the plan format) lives in `crate::sync`; this file converts values and keeps state.

#![cfg(feature = "client")]
// `#[wasm_bindgen]` exports must be `pub` although the module is private.
#![allow(unreachable_pub)]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Promise};
use wasm_bindgen::prelude::*;

use super::args::{
    local_page, plan_arg, plan_header_arg, plan_operations_arg, run, set, string_arg, take_state,
    SyncArgs,
};
use super::client::{hub_from_options, JsBucketClient};
use crate::error::Error;
use crate::hub::{HubClient, TreeEntry, TreeListing};
use crate::sync::{
    check_relative_path, format_plan, iso_from_ms, local_mtime_ms, parse_filter_rules, parse_plan,
    relative_to_prefix, resolve_sides, CompareOptions, Direction, FileHasher, Filter, Operation,
    Plan, Planner, Sides, Summary,
};

/// One sync being planned. Free it (the JS glue does) when done.
#[wasm_bindgen(js_name = SyncPlanner)]
pub struct JsSyncPlanner {
    hub: Rc<HubClient>,
    sides: Sides,
    compare: CompareOptions,
    source: String,
    destination: String,
    include: Vec<String>,
    exclude: Vec<String>,
    planner: Rc<RefCell<Planner>>,
    listing: Rc<RefCell<Option<TreeListing>>>,
}

#[wasm_bindgen(js_class = SyncPlanner)]
impl JsSyncPlanner {
    /// `options`: the client options and `{ source, destination, delete?, ignoreTimes?,
    /// ignoreSizes?, existing?, ignoreExisting?, include?, exclude? }`. Throws the §1.3
    /// `ValidationError`s; sends nothing.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<JsSyncPlanner, JsValue> {
        let args = SyncArgs::read(&options)?;
        let hub = Rc::new(hub_from_options(&options)?);
        Ok(JsSyncPlanner::start(args, hub)?)
    }

    /// The same, listing the bucket with `client` (a `BucketClient`'s own: its endpoint, token
    /// and `fetch`) instead of a client made from `options`.
    #[wasm_bindgen(js_name = withClient)]
    pub fn with_client(
        client: &JsBucketClient,
        options: JsValue,
    ) -> Result<JsSyncPlanner, JsValue> {
        let args = SyncArgs::read(&options)?;
        Ok(JsSyncPlanner::start(args, client.hub.clone())?)
    }
}

impl JsSyncPlanner {
    fn start(args: SyncArgs, hub: Rc<HubClient>) -> Result<JsSyncPlanner, Error> {
        let sides = resolve_sides(
            args.source.as_deref(),
            args.destination.as_deref(),
            &args.compare,
        )?;
        let listing = hub.list_tree(&sides.bucket_id, &sides.prefix, true, None)?;
        let filter = Filter::new(args.include.clone(), args.exclude.clone(), Vec::new());
        Ok(JsSyncPlanner {
            hub,
            planner: Rc::new(RefCell::new(Planner::new(
                sides.direction,
                args.compare,
                filter,
            ))),
            listing: Rc::new(RefCell::new(Some(listing))),
            compare: args.compare,
            source: args.source.unwrap_or_default(),
            destination: args.destination.unwrap_or_default(),
            include: args.include,
            exclude: args.exclude,
            sides,
        })
    }
}

#[wasm_bindgen(js_class = SyncPlanner)]
impl JsSyncPlanner {
    /// `upload` or `download`.
    #[wasm_bindgen(getter)]
    pub fn direction(&self) -> String {
        self.sides.direction.as_str().into()
    }

    /// The local directory as given.
    #[wasm_bindgen(getter, js_name = localPath)]
    pub fn local_path(&self) -> String {
        self.sides.local.clone()
    }

    /// Whether the whole local directory is walked (else only the bucket's paths are looked up).
    #[wasm_bindgen(getter, js_name = walksLocal)]
    pub fn walks_local(&self) -> bool {
        self.sides.walks_local(&self.compare)
    }

    /// Sets the filter-file rules (the text of the `filterFrom` file), before any file is added.
    #[wasm_bindgen(js_name = setFilterFile)]
    pub fn set_filter_file(&self, text: JsValue) -> Result<(), JsValue> {
        let text = string_arg(&text, "filter file")?;
        let filter = Filter::new(
            self.include.clone(),
            self.exclude.clone(),
            parse_filter_rules(&text),
        );
        self.planner.borrow_mut().set_filter(filter);
        Ok(())
    }

    /// Adds a page of local files `[path, size, mtimeSec, mtimeNsec, …]`; returns how many the
    /// filter kept.
    #[wasm_bindgen(js_name = addLocal)]
    pub fn add_local(&self, page: JsValue) -> Result<u32, JsValue> {
        let files = local_page(&page)?;
        let mut planner = self.planner.borrow_mut();
        let mut kept = 0;
        for (path, size, sec, nsec) in files {
            if planner.add_local(&path, size, local_mtime_ms(sec, nsec)) {
                kept += 1;
            }
        }
        Ok(kept)
    }

    /// Fetches the next page of the bucket listing into the plan: resolves to the number of
    /// files it held, or `null` at the end. A missing bucket is empty for an upload.
    /// `options`: `{ signal? }`.
    #[wasm_bindgen(js_name = nextRemotePage)]
    pub fn next_remote_page(&self, options: JsValue) -> Promise {
        let hub = self.hub.clone();
        let listing = self.listing.clone();
        let planner = self.planner.clone();
        let prefix = self.sides.prefix.clone();
        let upload = self.sides.direction == Direction::Upload;
        run(options, move |call| async move {
            let mut current = take_state(
                &listing,
                "nextRemotePage",
                "called again before the previous page arrived, or after the end",
            )?;
            let page = match current.next_page(&hub, &call.cancel).await {
                Ok(Some(page)) => page,
                Ok(None) => return Ok(JsValue::NULL),
                Err(e) if upload && e.status() == Some(404) => return Ok(JsValue::NULL),
                Err(e) => return Err(e),
            };
            let mut files = 0u32;
            {
                let mut planner = planner.borrow_mut();
                for entry in &page {
                    if let TreeEntry::File(f) = entry {
                        planner
                            .add_remote_file(&prefix, &f.path, f.size, f.mtime, Some(&f.xet_hash))
                            .map_err(Error::from)?;
                        files += 1;
                    }
                }
            }
            if let Ok(mut slot) = listing.try_borrow_mut() {
                *slot = Some(current);
            }
            Ok(JsValue::from(files))
        })
    }

    /// The kept bucket paths (relative), for a download that looks them up locally.
    #[wasm_bindgen(js_name = remotePaths)]
    pub fn remote_paths(&self) -> Array {
        self.planner
            .borrow()
            .remote_paths()
            .map(JsValue::from_str)
            .collect()
    }

    /// With `checksum`: the relative paths whose local file must be hashed (same size on both
    /// sides), after both listings are in.
    #[wasm_bindgen(js_name = checksumPaths)]
    pub fn checksum_paths(&self) -> Array {
        self.planner
            .borrow()
            .checksum_paths()
            .into_iter()
            .map(JsValue::from_str)
            .collect()
    }

    /// Records the Xet file hash of a local file (from a `SyncFileHasher`).
    #[wasm_bindgen(js_name = setLocalHash)]
    pub fn set_local_hash(&self, path: &str, xet_hash: &str) {
        self.planner.borrow_mut().set_local_hash(path, xet_hash);
    }

    /// The plan, stamped `now_ms` (ms since the epoch). Operations go to JS one at a time.
    pub fn finish(&self, now_ms: f64) -> JsValue {
        let ops = Array::new();
        let mut summary = Summary::default();
        let mut words = Words::default();
        self.planner.borrow().each_operation(|op| {
            summary.add(&op);
            ops.push(&operation_to_js(&op, &mut words));
        });
        let obj = Object::new();
        set(&obj, "source", self.source.as_str());
        set(&obj, "destination", self.destination.as_str());
        set(&obj, "timestamp", iso_from_ms(now_ms));
        set_plan_body(&obj, &self.sides, ops, &summary);
        obj.into()
    }
}

/// JS strings of the words a plan repeats on every line (actions, reasons), made once per plan:
/// 100,000 operations then share a few strings instead of holding 200,000 copies.
#[derive(Default)]
struct Words(Vec<(String, JsValue)>);

impl Words {
    fn get(&mut self, word: &str) -> JsValue {
        if let Some((_, v)) = self.0.iter().find(|(w, _)| w == word) {
            return v.clone();
        }
        let v = JsValue::from_str(word);
        self.0.push((word.to_string(), v.clone()));
        v
    }
}

/// One `SyncOperation` of `js/sync.d.ts`.
fn operation_to_js(op: &Operation, words: &mut Words) -> JsValue {
    let o = Object::new();
    set(&o, "action", words.get(op.action.as_str()));
    set(&o, "path", op.path.as_str());
    set(&o, "reason", words.get(&op.reason));
    if let Some(size) = op.size {
        set(&o, "size", size as f64);
    }
    if let Some(t) = &op.local_mtime {
        set(&o, "localMtime", t.as_str());
    }
    if let Some(t) = &op.remote_mtime {
        set(&o, "remoteMtime", t.as_str());
    }
    o.into()
}

/// The plan as the JS object of `js/index.d.ts` (`SyncPlan`).
fn plan_to_js(plan: &Plan, sides: &Sides) -> JsValue {
    let obj = Object::new();
    set(&obj, "source", plan.source.as_str());
    set(&obj, "destination", plan.dest.as_str());
    set(&obj, "timestamp", plan.timestamp.as_str());
    let mut words = Words::default();
    let ops: Array = plan
        .operations
        .iter()
        .map(|op| operation_to_js(op, &mut words))
        .collect();
    set_plan_body(&obj, sides, ops, &plan.summary());
    obj.into()
}

/// The rest of a plan object, after `source`, `destination` and `timestamp` (in this order, so
/// plans from the planner and from a plan file have one shape).
fn set_plan_body(obj: &Object, sides: &Sides, ops: Array, summary: &Summary) {
    set_sides(obj, sides);
    set(obj, "operations", ops);
    set(obj, "summary", summary_to_js(summary));
}

/// The sides of a plan as the plan object has them (`direction`, `bucketId`, `prefix`, `localPath`).
fn set_sides(obj: &Object, sides: &Sides) {
    set(obj, "direction", sides.direction.as_str());
    set(obj, "bucketId", sides.bucket_id.to_string());
    set(obj, "prefix", sides.prefix.as_str());
    set(obj, "localPath", sides.local.as_str());
}

/// `SyncSummary` of `js/sync.d.ts`.
fn summary_to_js(s: &Summary) -> Object {
    let summary = Object::new();
    set(&summary, "uploads", s.uploads as f64);
    set(&summary, "downloads", s.downloads as f64);
    set(&summary, "deletes", s.deletes as f64);
    set(&summary, "skips", s.skips as f64);
    set(&summary, "totalSize", s.total_size as f64);
    summary
}

/// `formatSyncPlan(plan)` → the JSON Lines text of the official plan file.
#[wasm_bindgen(js_name = formatSyncPlan)]
pub fn format_sync_plan(plan: JsValue) -> Result<String, JsValue> {
    Ok(format_plan(&plan_arg(&plan)?))
}

/// `parseSyncPlan(text)` → a plan object (the `--apply` reading rules).
#[wasm_bindgen(js_name = parseSyncPlan)]
pub fn parse_sync_plan(text: JsValue) -> Result<JsValue, JsValue> {
    let text = string_arg(&text, "plan text")?;
    let plan = parse_plan(&text).map_err(Error::from)?;
    let sides = resolve_sides(
        Some(&plan.source),
        Some(&plan.dest),
        &CompareOptions::default(),
    )
    .map_err(Error::from)?;
    Ok(plan_to_js(&plan, &sides))
}

/// `checkSyncPlan(plan)`: the checks of applying a plan object, the same as reading it back from
/// its plan file (`parseSyncPlan(formatSyncPlan(plan))`: one local side and one bucket side,
/// known actions, sizes, safe paths), reading one operation at a time instead of copying the
/// plan twice. Returns `{ direction, bucketId, prefix, localPath, summary }`; the executor then
/// takes the operations from the plan object itself.
#[wasm_bindgen(js_name = checkSyncPlan)]
pub fn check_sync_plan(plan: JsValue) -> Result<JsValue, JsValue> {
    let (source, dest, _) = plan_header_arg(&plan)?;
    let sides = resolve_sides(Some(&source), Some(&dest), &CompareOptions::default())
        .map_err(Error::from)?;
    let mut summary = Summary::default();
    plan_operations_arg(&plan, |op| {
        check_relative_path(&op.path)?;
        summary.add(&op);
        Ok(())
    })?;
    let obj = Object::new();
    set_sides(&obj, &sides);
    set(&obj, "summary", summary_to_js(&summary));
    Ok(obj.into())
}

/// `checkSyncPath(path)`: throws the `ValidationError` of the §1.4.2 safety check when `path`
/// (relative, bucket side) would escape the local directory it is joined onto. Used by the
/// executor for plans it did not make and for `downloadBucketFiles`.
#[wasm_bindgen(js_name = checkSyncPath)]
pub fn check_sync_path(path: JsValue) -> Result<(), JsValue> {
    let path = string_arg(&path, "path")?;
    Ok(check_relative_path(&path).map_err(Error::from)?)
}

/// `relativeToPrefix(prefix, path)`: the folder-boundary rule (§1.4.2), `undefined` for a path
/// outside `prefix`.
#[wasm_bindgen(js_name = relativeToPrefix)]
pub fn relative_to_prefix_js(prefix: JsValue, path: JsValue) -> Result<Option<String>, JsValue> {
    let prefix = string_arg(&prefix, "prefix")?;
    let path = string_arg(&path, "path")?;
    Ok(relative_to_prefix(prefix.trim_matches('/'), &path).map(str::to_owned))
}

/// The §1.5 filters (`include`, `exclude`, filter-file text) as a predicate on relative paths.
#[wasm_bindgen(js_name = SyncPathFilter)]
pub struct JsSyncPathFilter {
    filter: Filter,
}

#[wasm_bindgen(js_class = SyncPathFilter)]
impl JsSyncPathFilter {
    /// `options`: `{ include?: string[], exclude?: string[] }`; `rules`: the text of a filter
    /// file, or `undefined`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue, rules: JsValue) -> Result<JsSyncPathFilter, JsValue> {
        let o = super::args::options_object(&options, "options")?;
        let list = |key: &str| {
            super::args::opt_with(&o, key, super::args::string_array).map(Option::unwrap_or_default)
        };
        let rules = if super::args::present(&rules) {
            parse_filter_rules(&string_arg(&rules, "filter file")?)
        } else {
            Vec::new()
        };
        Ok(JsSyncPathFilter {
            filter: Filter::new(list("include")?, list("exclude")?, rules),
        })
    }

    /// Whether `path` takes part.
    pub fn matches(&self, path: &str) -> bool {
        self.filter.matches(path)
    }
}

/// The streaming Xet file hash of a local file (`checksum` syncs): `push` its bytes in order,
/// then `finish` (which frees it) for the hash in hex.
#[wasm_bindgen(js_name = SyncFileHasher)]
pub struct JsSyncFileHasher {
    hasher: FileHasher,
}

impl Default for JsSyncFileHasher {
    fn default() -> Self {
        JsSyncFileHasher::new()
    }
}

#[wasm_bindgen(js_class = SyncFileHasher)]
impl JsSyncFileHasher {
    /// A hasher at the start of a file.
    #[wasm_bindgen(constructor)]
    pub fn new() -> JsSyncFileHasher {
        JsSyncFileHasher {
            hasher: FileHasher::new(),
        }
    }

    /// Feeds the next bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.hasher.push(bytes);
    }

    /// Feeds the next bytes with the packed chunks a chunking worker found in them.
    #[wasm_bindgen(js_name = pushSegment)]
    pub fn push_segment(&mut self, bytes: &[u8], chunks: &[u8]) {
        self.hasher.push_segment(bytes, Some(chunks));
    }

    /// The file's Xet hash (64 hex digits).
    pub fn finish(self) -> String {
        self.hasher.finish()
    }
}
