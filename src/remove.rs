//! Deleting many bucket files in one call (workflows spec §4, issue 11: `deleteBucketFiles`,
//! the engine of `hf-buckets rm -R`).
//!
//! Two ways to say what goes:
//! - a **prefix**: the bucket is listed recursively under it and only paths equal to it or
//!   below it *as a folder* are kept (the folder-boundary rule of [`crate::hub::in_prefix`],
//!   applied by [`TreeListing`]): `logs` and `logs/` select `logs/a.txt` and a file named
//!   `logs`, never `logs.txt` or `logs_old/…`; the empty prefix is the whole bucket;
//! - a list of **paths**: looked up with paths-info, so the report names what really existed
//!   (paths that are not files are reported `missing` and not sent).
//!
//! Then the `include`/`exclude` globs (the sync filter, [`Filter`], matched against the **full
//! bucket path** as the official `rm` does), then one batch of `deleteFile` lines, sent in
//! requests of ≤ 1,000 ([`HubClient::batch`]). `dry_run` stops before the batch.
//!
//! ```no_run
//! # async fn demo(hub: &hf_buckets::hub::HubClient) -> Result<(), hf_buckets::error::Error> {
//! use hf_buckets::remove::{DeleteOptions, Selection};
//! use hf_buckets::transport::Cancel;
//! let options = DeleteOptions {
//!     selection: Selection::Prefix("logs".into()),
//!     exclude: vec!["*.keep".into()],
//!     ..DeleteOptions::default()
//! };
//! let report = hub.delete_files(&"me/ckpts".parse()?, &options, &Cancel::new()).await?;
//! println!("{} files, {} bytes", report.deleted.len(), report.total_size);
//! # Ok(()) }
//! ```

use std::collections::BTreeSet;

use crate::error::Error;
use crate::hub::{BatchFailure, BatchLine, BucketId, HubClient, ToJson, TreeEntry};
use crate::sync::Filter;
use crate::transport::Cancel;
use xet::json::write_object;

/// Which files a [`HubClient::delete_files`] call starts from (before `include`/`exclude`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every file at or below this folder prefix (`""`: the whole bucket).
    Prefix(String),
    /// These paths (duplicates count once).
    Paths(Vec<String>),
}

impl Default for Selection {
    fn default() -> Self {
        Selection::Paths(Vec::new())
    }
}

/// Options of [`HubClient::delete_files`].
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// Where the files come from.
    pub selection: Selection,
    /// Globs a full path must match (any of them) when some are given.
    pub include: Vec<String>,
    /// Globs that keep a full path (any of them) from being deleted.
    pub exclude: Vec<String>,
    /// Only report what would be deleted.
    pub dry_run: bool,
}

/// What a [`HubClient::delete_files`] call did (or, dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteReport {
    /// Full paths deleted (dry run: that would be), in listing order (prefix) or as given.
    pub deleted: Vec<String>,
    /// Their total size in bytes.
    pub total_size: u64,
    /// Whether this was a dry run (nothing sent).
    pub dry_run: bool,
    /// Requested paths that are not files of the bucket (the `paths` selection only); not sent.
    pub missing: Vec<String>,
    /// Lines the server rejected, or did not get after a request with failures (not in
    /// `deleted`).
    pub failed: Vec<BatchFailure>,
    /// True when nothing failed.
    pub success: bool,
}

impl ToJson for DeleteReport {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| {
            o.raw("deleted", |out| self.deleted.write_json(out))
                .u64("totalSize", self.total_size)
                .bool("dryRun", self.dry_run)
                .raw("missing", |out| self.missing.write_json(out))
                .raw("failed", |out| self.failed.write_json(out))
                .bool("success", self.success);
        });
    }
}

/// The files kept for deletion, with their sizes: `filter` applied to the full paths, each
/// path once, in the order given.
fn select(files: impl IntoIterator<Item = (String, u64)>, filter: &Filter) -> Vec<(String, u64)> {
    let mut seen = BTreeSet::new();
    files
        .into_iter()
        .filter(|(path, _)| filter.matches(path))
        .filter(|(path, _)| seen.insert(path.clone()))
        .collect()
}

impl HubClient {
    /// Deletes the files `options` selects (see the module docs) and reports them. Checks the
    /// prefix or paths before any request (a [`crate::hub::ValidationError`]).
    ///
    /// # Errors
    /// A listing or lookup error (a missing bucket is a 404), or a whole-request batch error
    /// (earlier requests of the batch stay applied). Rejected lines are not errors: they are in
    /// the report's `failed`.
    pub async fn delete_files(
        &self,
        id: &BucketId,
        options: &DeleteOptions,
        cancel: &Cancel,
    ) -> Result<DeleteReport, Error> {
        let filter = Filter::new(options.include.clone(), options.exclude.clone(), Vec::new());
        let mut missing = Vec::new();
        let candidates: Vec<(String, u64)> = match &options.selection {
            Selection::Prefix(prefix) => {
                let mut listing = self.list_tree(id, prefix, true, None)?;
                let mut files = Vec::new();
                while let Some(page) = listing.next_page(self, cancel).await? {
                    files.extend(page.into_iter().filter_map(|e| match e {
                        TreeEntry::File(f) => Some((f.path, f.size)),
                        TreeEntry::Directory(_) => None,
                    }));
                }
                files
            }
            Selection::Paths(paths) => {
                let unique: Vec<String> = {
                    let mut seen = BTreeSet::new();
                    paths
                        .iter()
                        .filter(|p| seen.insert(p.as_str()))
                        .cloned()
                        .collect()
                };
                let found = self.paths_info(id, &unique, cancel).await?;
                let mut files = Vec::with_capacity(found.len());
                for path in unique {
                    match found.iter().find(|f| f.path == path) {
                        Some(f) => files.push((path, f.size)),
                        None => missing.push(path),
                    }
                }
                files
            }
        };
        let selected = select(candidates, &filter);
        let mut report = DeleteReport {
            dry_run: options.dry_run,
            missing,
            success: true,
            ..DeleteReport::default()
        };
        if selected.is_empty() || options.dry_run {
            report.total_size = selected.iter().map(|(_, size)| size).sum();
            report.deleted = selected.into_iter().map(|(path, _)| path).collect();
            return Ok(report);
        }
        let lines = selected
            .iter()
            .map(|(path, _)| BatchLine::Delete { path: path.clone() })
            .collect();
        let batch = self.batch(id, lines, cancel).await?;
        let failed: BTreeSet<&str> = batch
            .failed
            .iter()
            .chain(&batch.skipped)
            .map(|f| f.path.as_str())
            .collect();
        for (path, size) in &selected {
            if !failed.contains(path.as_str()) {
                report.deleted.push(path.clone());
                report.total_size += size;
            }
        }
        report.failed = batch.failed.into_iter().chain(batch.skipped).collect();
        report.success = report.failed.is_empty();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;
    use crate::hub::Api;
    use crate::transport::retry::tests::Scripted;
    use crate::transport::retry::RetryPolicy;

    const H: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    fn file(p: &str, size: u64) -> String {
        format!(
            r#"{{"type":"file","path":"{p}","size":{size},"xetHash":"{H}","mtime":"2026-01-01T00:00:00.000Z"}}"#
        )
    }

    fn hub(t: &Rc<Scripted>) -> HubClient {
        let api = Api::new("http://hub", Some("hf_tok".into())).unwrap();
        HubClient::new(t.clone(), api, RetryPolicy::default())
    }

    fn id() -> BucketId {
        "alice/b".parse().unwrap()
    }

    fn body(t: &Scripted, i: usize) -> String {
        String::from_utf8(t.seen.borrow()[i].body.clone().unwrap().to_vec()).unwrap()
    }

    fn prefix(p: &str) -> DeleteOptions {
        DeleteOptions {
            selection: Selection::Prefix(p.into()),
            ..DeleteOptions::default()
        }
    }

    #[test]
    fn select_filters_full_paths_once_in_order() {
        let f = Filter::new(vec!["*.log".into()], vec!["logs/keep*".into()], Vec::new());
        let files = [
            ("logs/b.log", 2),
            ("logs/keep.log", 3),
            ("a.txt", 1),
            ("logs/b.log", 2),
        ]
        .map(|(p, s)| (p.to_string(), s));
        assert_eq!(select(files, &f), [("logs/b.log".to_string(), 2)]);
        // The globs see the full bucket path: `logs` alone matches only a root file `logs`.
        let f = Filter::new(vec!["logs".into()], Vec::new(), Vec::new());
        let files = [("logs", 1), ("logs/a", 1)].map(|(p, s)| (p.to_string(), s));
        assert_eq!(select(files, &f), [("logs".to_string(), 1)]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_prefix_keeps_to_its_folder_and_deletes_in_one_batch() {
        for given in ["logs", "logs/"] {
            let t = Scripted::new();
            let h = hub(&t);
            t.push(
                200,
                &[],
                &format!(
                    "[{},{},{},{}]",
                    file("logs", 1),
                    file("logs.txt", 2),
                    file("logs/a.log", 3),
                    file("logs_old/x", 4)
                ),
            );
            t.push(
                200,
                &[],
                r#"{"success":true,"processed":2,"succeeded":2,"failed":[]}"#,
            );
            let report = h
                .delete_files(&id(), &prefix(given), &Cancel::new())
                .await
                .unwrap();
            assert_eq!(report.deleted, ["logs", "logs/a.log"], "prefix {given}");
            assert_eq!(report.total_size, 4);
            assert!(report.success && !report.dry_run);
            assert_eq!(
                body(&t, 1),
                "{\"type\":\"deleteFile\",\"path\":\"logs\"}\n{\"type\":\"deleteFile\",\"path\":\"logs/a.log\"}\n"
            );
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn dry_run_and_empty_selections_send_no_batch() {
        let t = Scripted::new();
        let h = hub(&t);
        t.push(200, &[], &format!("[{}]", file("logs/a.log", 3)));
        let options = DeleteOptions {
            dry_run: true,
            ..prefix("logs")
        };
        let report = h
            .delete_files(&id(), &options, &Cancel::new())
            .await
            .unwrap();
        assert_eq!(
            (report.deleted.len(), report.total_size, report.dry_run),
            (1, 3, true)
        );
        t.push(200, &[], &format!("[{}]", file("logs/a.log", 3)));
        let options = DeleteOptions {
            exclude: vec!["*".into()],
            ..prefix("logs")
        };
        let report = h
            .delete_files(&id(), &options, &Cancel::new())
            .await
            .unwrap();
        assert!(report.deleted.is_empty() && report.success);
        assert_eq!(t.seen.borrow().len(), 2, "two listings, no batch");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn paths_are_looked_up_and_missing_ones_not_sent() {
        let t = Scripted::new();
        let h = hub(&t);
        t.push(200, &[], &format!("[{}]", file("a.bin", 5)));
        t.push(
            200,
            &[],
            r#"{"success":true,"processed":1,"succeeded":1,"failed":[]}"#,
        );
        let options = DeleteOptions {
            selection: Selection::Paths(vec!["a.bin".into(), "gone".into(), "a.bin".into()]),
            ..DeleteOptions::default()
        };
        let report = h
            .delete_files(&id(), &options, &Cancel::new())
            .await
            .unwrap();
        assert_eq!(report.deleted, ["a.bin"]);
        assert_eq!(report.missing, ["gone"]);
        assert_eq!(
            body(&t, 1),
            "{\"type\":\"deleteFile\",\"path\":\"a.bin\"}\n"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn many_files_go_in_requests_of_1000_and_failures_are_reported() {
        let t = Scripted::new();
        let h = hub(&t);
        let entries: Vec<String> = (0..2500).map(|i| file(&format!("d/f{i:04}"), 1)).collect();
        t.push(200, &[], &format!("[{}]", entries.join(",")));
        t.push(
            200,
            &[],
            r#"{"success":true,"processed":1000,"succeeded":1000,"failed":[]}"#,
        );
        t.push(
            200,
            &[],
            r#"{"success":false,"processed":1000,"succeeded":999,"failed":[{"path":"d/f1500","error":"locked"}]}"#,
        );
        let report = h
            .delete_files(&id(), &prefix("d"), &Cancel::new())
            .await
            .unwrap();
        let seen = t.seen.borrow().len();
        assert_eq!(
            seen, 3,
            "listing + two batch requests; the third is not sent after a failure"
        );
        assert_eq!(body(&t, 1).lines().count(), 1000);
        assert_eq!(report.deleted.len(), 1999);
        assert_eq!(report.total_size, 1999);
        assert_eq!(report.failed.len(), 501);
        assert_eq!(report.failed[0].path, "d/f1500");
        assert!(!report.success);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn bad_prefixes_and_paths_fail_before_any_request() {
        let t = Scripted::new();
        let h = hub(&t);
        let err = h
            .delete_files(&id(), &prefix("a/../b"), &Cancel::new())
            .await
            .unwrap_err();
        assert_eq!(err.kind().as_str(), "Validation");
        let options = DeleteOptions {
            selection: Selection::Paths(vec!["/abs".into()]),
            ..DeleteOptions::default()
        };
        let err = h
            .delete_files(&id(), &options, &Cancel::new())
            .await
            .unwrap_err();
        assert_eq!(err.kind().as_str(), "Validation");
        assert!(t.seen.borrow().is_empty());
    }
}
