//! The sync planner (workflows spec §1.1–§1.6): which side is the bucket (§1.3), the
//! folder-boundary rule and the safety check of remote paths (§1.4.2), and the decision table
//! with its 1-second window (§1.6). Pure: the caller feeds it the listings, it returns the
//! operations in code-point order of the path.
//!
//! Times are milliseconds since the epoch as `f64`, computed like the official client's
//! (`st_mtime × 1000` for local files, sub-ms kept; `datetime.timestamp() × 1000` for remote
//! ones, a missing `mtime` being 0), so the comparisons give the same answers bit for bit.
//!
//! ```
//! use hf_buckets::sync::{Action, CompareOptions, Direction, Filter, Planner};
//! let mut p = Planner::new(Direction::Upload, CompareOptions::default(), Filter::default());
//! p.add_local("a.txt", 3, 2_000_000.0);
//! p.add_remote("", "a.txt", 3, Some(1_000_000)).unwrap();
//! let ops = p.operations();
//! assert_eq!((ops[0].action, ops[0].reason.as_str()), (Action::Upload, "local newer"));
//! ```

use std::collections::BTreeMap;

use super::time::iso_from_ms;
use crate::hub::{BucketId, HfUri, RepoType, ValidationError};

/// The comparison window: a source counts as newer only when more than this much newer.
pub const TIME_WINDOW_MS: f64 = 1000.0;

/// Which way files move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Local directory → bucket.
    Upload,
    /// Bucket → local directory.
    Download,
}

impl Direction {
    /// `upload` or `download`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Upload => "upload",
            Direction::Download => "download",
        }
    }
}

/// What happens to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send the local file to the bucket.
    Upload,
    /// Fetch the bucket file into the local directory.
    Download,
    /// Remove the file from the receiver.
    Delete,
    /// Nothing to do.
    Skip,
}

impl Action {
    /// The plan-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Upload => "upload",
            Action::Download => "download",
            Action::Delete => "delete",
            Action::Skip => "skip",
        }
    }

    /// From the plan-file spelling.
    pub fn parse(s: &str) -> Option<Action> {
        [
            Action::Upload,
            Action::Download,
            Action::Delete,
            Action::Skip,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// One planned operation (a line of the plan file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// What to do.
    pub action: Action,
    /// Path relative to the local directory and to the bucket prefix.
    pub path: String,
    /// Why (`new file`, `size differs`, …; §1.6).
    pub reason: String,
    /// Source size (the receiver's for a delete), in bytes.
    pub size: Option<u64>,
    /// Local mtime, Python `isoformat()` in UTC, when the local side has the file.
    pub local_mtime: Option<String>,
    /// Remote mtime, likewise, when the bucket has the file.
    pub remote_mtime: Option<String>,
}

/// Counts of a plan (`total_size` = bytes transferred by uploads and downloads).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Number of uploads.
    pub uploads: u64,
    /// Number of downloads.
    pub downloads: u64,
    /// Number of deletes.
    pub deletes: u64,
    /// Number of skips.
    pub skips: u64,
    /// Sum of the sizes of uploads and downloads.
    pub total_size: u64,
}

impl Summary {
    /// The counts of `ops`.
    pub fn of(ops: &[Operation]) -> Summary {
        let mut s = Summary::default();
        for op in ops {
            s.add(op);
        }
        s
    }

    /// Counts one more operation.
    pub fn add(&mut self, op: &Operation) {
        match op.action {
            Action::Upload => self.uploads += 1,
            Action::Download => self.downloads += 1,
            Action::Delete => self.deletes += 1,
            Action::Skip => self.skips += 1,
        }
        if matches!(op.action, Action::Upload | Action::Download) {
            self.total_size = self.total_size.saturating_add(op.size.unwrap_or(0));
        }
    }
}

/// A sync plan: the two sides as given, when it was made, and its operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Source as given (a local path or an `hf://buckets/…` URI).
    pub source: String,
    /// Destination as given.
    pub dest: String,
    /// When the plan was made, Python `isoformat()` in UTC.
    pub timestamp: String,
    /// Operations in code-point order of the path.
    pub operations: Vec<Operation>,
}

impl Plan {
    /// The counts of the operations.
    pub fn summary(&self) -> Summary {
        Summary::of(&self.operations)
    }
}

/// The modes of the comparison (§1.2); all off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompareOptions {
    /// Also delete receiver files absent from the (filtered) source.
    pub delete: bool,
    /// Compare sizes only.
    pub ignore_times: bool,
    /// Compare mtimes only.
    pub ignore_sizes: bool,
    /// Never create files on the receiver.
    pub existing: bool,
    /// Never touch files the receiver has.
    pub ignore_existing: bool,
    /// Compare the content of same-size files (local Xet file hash against the bucket's
    /// `xetHash`) instead of their mtimes; not an official mode (§1.1 has none).
    pub checksum: bool,
}

/// The two sides of a sync, resolved from `source` and `destination` (§1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sides {
    /// Which way files move.
    pub direction: Direction,
    /// The bucket.
    pub bucket_id: BucketId,
    /// Path prefix inside the bucket, without leading or trailing `/` (empty: the root).
    pub prefix: String,
    /// The local directory as given.
    pub local: String,
}

impl Sides {
    /// Whether the whole local directory must be walked: for an upload, and for a download
    /// with `delete`; a download without it only looks up the bucket's paths locally (§1.4.1).
    pub fn walks_local(&self, options: &CompareOptions) -> bool {
        self.direction == Direction::Upload || options.delete
    }
}

/// Whether `s` is a bucket URI: only `hf://` strings are parsed (an invalid one is an error);
/// anything else, `ns/name` and web URLs included, is a local path.
fn bucket_uri(what: &str, s: &str) -> Result<Option<HfUri>, ValidationError> {
    if !s.starts_with("hf://") {
        return Ok(None);
    }
    let uri = HfUri::parse(s, None).map_err(|e| ValidationError::new(what, s, e.reason))?;
    Ok((uri.repo_type == RepoType::Bucket).then_some(uri))
}

/// Checks the arguments of a sync (§1.3, in the official order) and says which side is the
/// bucket. `source`/`destination` are `None` when not given.
///
/// # Errors
/// A [`ValidationError`] whose reason is the official message (`Remote to remote sync is not
/// supported. One path must be local.`, `Cannot specify both ignoreTimes and ignoreSizes.`, …).
pub fn resolve_sides(
    source: Option<&str>,
    destination: Option<&str>,
    options: &CompareOptions,
) -> Result<Sides, ValidationError> {
    let (Some(source), Some(destination)) = (
        source.filter(|s| !s.is_empty()),
        destination.filter(|s| !s.is_empty()),
    ) else {
        let (what, value) = match source.filter(|s| !s.is_empty()) {
            None => ("source", source.unwrap_or("")),
            Some(_) => ("destination", destination.unwrap_or("")),
        };
        return Err(ValidationError::new(
            what,
            value,
            "Both source and destination are required.",
        ));
    };
    let src = bucket_uri("source", source)?;
    let dst = bucket_uri("destination", destination)?;
    let sides = match (src, dst) {
        (Some(_), Some(_)) => {
            return Err(ValidationError::new(
                "destination",
                destination,
                "Remote to remote sync is not supported. One path must be local.",
            ))
        }
        (None, None) => {
            return Err(ValidationError::new(
                "destination",
                destination,
                "One of source or destination must be a bucket path (hf://buckets/...).",
            ))
        }
        (None, Some(uri)) => Sides {
            direction: Direction::Upload,
            bucket_id: uri.id.parse()?,
            prefix: uri.path,
            local: source.to_string(),
        },
        (Some(uri), None) => Sides {
            direction: Direction::Download,
            bucket_id: uri.id.parse()?,
            prefix: uri.path,
            local: destination.to_string(),
        },
    };
    let both = |a: &str, b: &str| {
        ValidationError::new(
            format!("option {b}"),
            "true",
            format!("Cannot specify both {a} and {b}."),
        )
    };
    if options.ignore_times && options.ignore_sizes {
        return Err(both("ignoreTimes", "ignoreSizes"));
    }
    if options.existing && options.ignore_existing {
        return Err(both("existing", "ignoreExisting"));
    }
    if options.checksum && options.ignore_times {
        return Err(both("checksum", "ignoreTimes"));
    }
    if options.checksum && options.ignore_sizes {
        return Err(both("checksum", "ignoreSizes"));
    }
    Ok(sides)
}

/// The relative path of a bucket file under `prefix` (the folder-boundary rule, §1.4.2): the
/// rest after `prefix/`, the last segment when the file *is* the prefix, `None` for any other
/// path (`prefix.txt`, `prefix_old/…`).
pub fn relative_to_prefix<'a>(prefix: &str, path: &'a str) -> Option<&'a str> {
    if prefix.is_empty() {
        return Some(path);
    }
    if let Some(rest) = path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')) {
        return Some(rest);
    }
    (path == prefix).then(|| path.rsplit('/').next().unwrap_or(path))
}

/// The safety check of a relative path that will be joined onto a local directory (§1.4.2):
/// no `..` segment (split on `/` or `\`), no leading `/`, and no segment that Windows reads as
/// rooted, UNC (`\…`) or on a drive (`C:…`).
///
/// # Errors
/// A [`ValidationError`] on `filename` with the official reason.
pub fn check_relative_path(path: &str) -> Result<(), ValidationError> {
    if path.replace('\\', "/").split('/').any(|s| s == "..") {
        return Err(ValidationError::new(
            "filename",
            path,
            "Invalid filename: cannot contain a '..' path segment",
        ));
    }
    let anchored = path.starts_with('/')
        || path.split('/').any(|seg| {
            let mut c = seg.chars();
            let (first, second) = (c.next(), c.next());
            first == Some('\\')
                || (second == Some(':') && first.is_some_and(|f| f.is_ascii_alphabetic()))
        });
    if anchored {
        return Err(ValidationError::new(
            "filename",
            path,
            "Invalid filename: cannot be an absolute, drive-relative or UNC path",
        ));
    }
    Ok(())
}

/// A remote `mtime` (ms since the epoch, `None` when the server sent none) as the official
/// client computes it: `datetime.timestamp() × 1000`, 0 when missing.
pub fn remote_mtime_ms(mtime: Option<i64>) -> f64 {
    match mtime {
        Some(ms) => (ms as f64 * 1000.0 / 1e6) * 1000.0,
        None => 0.0,
    }
}

/// A local `stat` time as the official client computes it: `(sec + nsec × 1e-9) × 1000`.
pub fn local_mtime_ms(sec: i64, nsec: u32) -> f64 {
    (sec as f64 + f64::from(nsec) * 1e-9) * 1000.0
}

/// Builds one plan from the two listings (see the module docs).
#[derive(Debug, Clone)]
pub struct Planner {
    direction: Direction,
    options: CompareOptions,
    filter: super::Filter,
    local: BTreeMap<String, (u64, f64)>,
    remote: BTreeMap<String, (u64, f64)>,
    /// With `checksum`: the bucket's `xetHash` of each kept remote file.
    remote_hashes: BTreeMap<String, String>,
    /// With `checksum`: the Xet file hash of local files, as the caller computed them.
    local_hashes: BTreeMap<String, String>,
}

impl Planner {
    /// A planner for one sync.
    pub fn new(direction: Direction, options: CompareOptions, filter: super::Filter) -> Planner {
        Planner {
            direction,
            options,
            filter,
            local: BTreeMap::new(),
            remote: BTreeMap::new(),
            remote_hashes: BTreeMap::new(),
            local_hashes: BTreeMap::new(),
        }
    }

    /// Which way files move.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Replaces the filter (before any file is added).
    pub fn set_filter(&mut self, filter: super::Filter) {
        self.filter = filter;
    }

    /// Adds a local file (`path` relative, `/`-separated) unless the filter leaves it out.
    /// Returns whether it was kept.
    pub fn add_local(&mut self, path: &str, size: u64, mtime_ms: f64) -> bool {
        let keep = self.filter.matches(path);
        if keep {
            self.local.insert(path.to_string(), (size, mtime_ms));
        }
        keep
    }

    /// Adds a bucket file listed under `prefix`: applies the folder-boundary rule, checks the
    /// relative path, then the filter. Returns whether it was kept.
    ///
    /// # Errors
    /// A path that would escape the local directory ([`check_relative_path`]) aborts the plan.
    pub fn add_remote(
        &mut self,
        prefix: &str,
        path: &str,
        size: u64,
        mtime: Option<i64>,
    ) -> Result<bool, ValidationError> {
        self.add_remote_file(prefix, path, size, mtime, None)
    }

    /// [`Planner::add_remote`] with the file's `xetHash`, kept for the `checksum` comparison.
    ///
    /// # Errors
    /// As [`Planner::add_remote`].
    pub fn add_remote_file(
        &mut self,
        prefix: &str,
        path: &str,
        size: u64,
        mtime: Option<i64>,
        xet_hash: Option<&str>,
    ) -> Result<bool, ValidationError> {
        let Some(rel) = relative_to_prefix(prefix, path) else {
            return Ok(false);
        };
        check_relative_path(rel)?;
        let keep = self.filter.matches(rel);
        if keep {
            self.remote
                .insert(rel.to_string(), (size, remote_mtime_ms(mtime)));
            if let (true, Some(hash)) = (self.options.checksum, xet_hash) {
                self.remote_hashes
                    .insert(rel.to_string(), hash.to_ascii_lowercase());
            }
        }
        Ok(keep)
    }

    /// With `checksum`: the paths whose local file must be hashed, the ones both sides have
    /// with the same size (the others are decided without content), in order.
    pub fn checksum_paths(&self) -> Vec<&str> {
        if !self.options.checksum || self.options.ignore_existing {
            return Vec::new();
        }
        self.local
            .iter()
            .filter(|(path, (size, _))| {
                self.remote
                    .get(*path)
                    .is_some_and(|(r_size, _)| r_size == size)
            })
            .map(|(path, _)| path.as_str())
            .collect()
    }

    /// Records the Xet file hash of a local file (for `checksum`).
    pub fn set_local_hash(&mut self, path: &str, xet_hash: &str) {
        self.local_hashes
            .insert(path.to_string(), xet_hash.to_ascii_lowercase());
    }

    /// The kept remote paths, in order (a download without `delete` stats only these locally).
    pub fn remote_paths(&self) -> impl Iterator<Item = &str> {
        self.remote.keys().map(String::as_str)
    }

    /// Number of kept local and remote files.
    pub fn counts(&self) -> (usize, usize) {
        (self.local.len(), self.remote.len())
    }

    /// The operations, one per path of the sorted union (code-point order), per §1.6.
    pub fn operations(&self) -> Vec<Operation> {
        let mut ops = Vec::new();
        self.each_operation(|op| ops.push(op));
        ops
    }

    /// [`Planner::operations`] handed over one at a time, so a caller converting them (the
    /// wasm binding, to JS objects) never holds a second copy of a 100,000-line plan.
    pub fn each_operation(&self, mut each: impl FnMut(Operation)) {
        let (source, receiver) = match self.direction {
            Direction::Upload => (&self.local, &self.remote),
            Direction::Download => (&self.remote, &self.local),
        };
        let mut paths: Vec<&String> = source.keys().chain(receiver.keys()).collect();
        paths.sort_unstable();
        paths.dedup();
        for path in paths {
            let op = match (source.get(path), receiver.get(path)) {
                (Some(&s), None) => Some(self.only_source(path, s)),
                (Some(&s), Some(&r)) => Some(self.both(path, s, r)),
                (None, Some(&r)) if self.options.delete => Some(self.delete(path, r)),
                _ => None,
            };
            if let Some(op) = op {
                each(op);
            }
        }
    }

    /// `(local_mtime, remote_mtime)` from source and receiver times.
    fn times(
        &self,
        source: Option<f64>,
        receiver: Option<f64>,
    ) -> (Option<String>, Option<String>) {
        let (local, remote) = match self.direction {
            Direction::Upload => (source, receiver),
            Direction::Download => (receiver, source),
        };
        (local.map(iso_from_ms), remote.map(iso_from_ms))
    }

    fn transfer(&self) -> Action {
        match self.direction {
            Direction::Upload => Action::Upload,
            Direction::Download => Action::Download,
        }
    }

    fn only_source(&self, path: &str, (size, mtime): (u64, f64)) -> Operation {
        let (local_mtime, remote_mtime) = self.times(Some(mtime), None);
        let (action, reason) = if self.options.existing {
            (Action::Skip, "new file (--existing)")
        } else {
            (self.transfer(), "new file")
        };
        Operation {
            action,
            path: path.to_string(),
            reason: reason.into(),
            size: Some(size),
            local_mtime,
            remote_mtime,
        }
    }

    fn delete(&self, path: &str, (size, mtime): (u64, f64)) -> Operation {
        let (local_mtime, remote_mtime) = self.times(None, Some(mtime));
        Operation {
            action: Action::Delete,
            path: path.to_string(),
            reason: "not in source (--delete)".into(),
            size: Some(size),
            local_mtime,
            remote_mtime,
        }
    }

    fn both(
        &self,
        path: &str,
        (s_size, s_mtime): (u64, f64),
        (r_size, r_mtime): (u64, f64),
    ) -> Operation {
        let (local_mtime, remote_mtime) = self.times(Some(s_mtime), Some(r_mtime));
        let (source_newer_label, receiver_newer_label) = match self.direction {
            Direction::Upload => ("local newer", "remote newer"),
            Direction::Download => ("remote newer", "local newer"),
        };
        let o = &self.options;
        let size_differs = s_size != r_size;
        let source_newer = s_mtime - r_mtime > TIME_WINDOW_MS;
        let (transfer, reason) = if o.ignore_existing {
            (false, "exists on receiver (--ignore-existing)")
        } else if o.checksum {
            let local = self.local_hashes.get(path);
            if size_differs {
                (true, "size differs")
            } else if local.is_some() && local == self.remote_hashes.get(path) {
                (false, "identical (checksum)")
            } else {
                (true, "content differs (checksum)")
            }
        } else if o.ignore_sizes {
            if source_newer {
                (true, source_newer_label)
            } else if r_mtime - s_mtime > TIME_WINDOW_MS {
                (false, receiver_newer_label)
            } else {
                (false, "same mtime")
            }
        } else if o.ignore_times {
            if size_differs {
                (true, "size differs")
            } else {
                (false, "same size")
            }
        } else if size_differs {
            (true, "size differs")
        } else if source_newer {
            (true, source_newer_label)
        } else {
            (false, "identical")
        };
        Operation {
            action: if transfer {
                self.transfer()
            } else {
                Action::Skip
            },
            path: path.to_string(),
            reason: reason.into(),
            size: Some(s_size),
            local_mtime,
            remote_mtime,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Filter;
    use super::*;

    const T: f64 = 1_700_000_000_000.0;

    fn opts(f: impl FnOnce(&mut CompareOptions)) -> CompareOptions {
        let mut o = CompareOptions::default();
        f(&mut o);
        o
    }

    /// (modes, source side (size, mtime), receiver side, expected (action, reason)).
    type Row = (
        CompareOptions,
        Option<(u64, f64)>,
        Option<(u64, f64)>,
        Option<(Action, &'static str)>,
    );

    /// Plans one path that exists on `source` (size, mtime) and/or the receiver, both ways.
    fn one(
        direction: Direction,
        o: CompareOptions,
        source: Option<(u64, f64)>,
        receiver: Option<(u64, f64)>,
    ) -> Option<(Action, String)> {
        let mut p = Planner::new(direction, o, Filter::default());
        let (local, remote) = match direction {
            Direction::Upload => (source, receiver),
            Direction::Download => (receiver, source),
        };
        if let Some((s, m)) = local {
            p.add_local("f", s, m);
        }
        if let Some((s, m)) = remote {
            // Remote times are whole ms on the wire.
            p.add_remote("", "f", s, Some(m as i64)).unwrap();
        }
        let ops = p.operations();
        assert!(ops.len() <= 1);
        ops.first().map(|op| (op.action, op.reason.clone()))
    }

    #[test]
    fn checksum_compares_content_of_same_size_files_only() {
        let o = opts(|o| o.checksum = true);
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        for direction in [Direction::Upload, Direction::Download] {
            let mut p = Planner::new(direction, o, Filter::default());
            // same size, same hash, local much newer: skipped (an mtime-only change)
            p.add_local("same", 3, T + 60_000.0);
            p.add_remote_file("", "same", 3, Some(T as i64), Some(&a))
                .unwrap();
            // same size and mtime, other content: sent
            p.add_local("changed", 3, T);
            p.add_remote_file("", "changed", 3, Some(T as i64), Some(&a))
                .unwrap();
            // size differs: sent without hashing
            p.add_local("bigger", 4, T);
            p.add_remote_file("", "bigger", 3, Some(T as i64), Some(&a))
                .unwrap();
            // not hashed (unreadable): sent
            p.add_local("unread", 3, T);
            p.add_remote_file("", "unread", 3, Some(T as i64), Some(&a))
                .unwrap();
            assert_eq!(p.checksum_paths(), ["changed", "same", "unread"]);
            p.set_local_hash("same", &a.to_uppercase());
            p.set_local_hash("changed", &b);
            let got: Vec<_> = p
                .operations()
                .into_iter()
                .map(|op| (op.path, op.action == Action::Skip, op.reason))
                .collect();
            let want = [
                ("bigger", false, "size differs"),
                ("changed", false, "content differs (checksum)"),
                ("same", true, "identical (checksum)"),
                ("unread", false, "content differs (checksum)"),
            ];
            let want: Vec<_> = want
                .iter()
                .map(|(p, skip, r)| (p.to_string(), *skip, r.to_string()))
                .collect();
            assert_eq!(got, want, "{direction:?}");
        }
        // Only with checksum, and not with the other comparison modes.
        let plain = Planner::new(
            Direction::Upload,
            CompareOptions::default(),
            Filter::default(),
        );
        assert!(plain.checksum_paths().is_empty());
        for other in [
            opts(|o| o.ignore_times = true),
            opts(|o| o.ignore_sizes = true),
        ] {
            let both = CompareOptions {
                checksum: true,
                ..other
            };
            let e = resolve_sides(Some("./d"), Some("hf://buckets/a/b"), &both).unwrap_err();
            assert!(
                e.to_string().contains("Cannot specify both checksum and"),
                "{e}"
            );
        }
    }

    #[test]
    fn decision_table_of_spec_1_6() {
        use Action::{Delete, Skip};
        let none = CompareOptions::default();
        let existing = opts(|o| o.existing = true);
        let ign_ex = opts(|o| o.ignore_existing = true);
        let ign_t = opts(|o| o.ignore_times = true);
        let ign_s = opts(|o| o.ignore_sizes = true);
        let del = opts(|o| o.delete = true);
        let (newer, older, same) = (T + 1001.0, T - 1001.0, T + 1000.0);
        for dir in [Direction::Upload, Direction::Download] {
            let tr = if dir == Direction::Upload {
                Action::Upload
            } else {
                Action::Download
            };
            let (src_newer, rcv_newer) = if dir == Direction::Upload {
                ("local newer", "remote newer")
            } else {
                ("remote newer", "local newer")
            };
            let rows: Vec<Row> = vec![
                // only on source
                (none, Some((1, T)), None, Some((tr, "new file"))),
                (
                    existing,
                    Some((1, T)),
                    None,
                    Some((Skip, "new file (--existing)")),
                ),
                // both, --ignore-existing (even when sizes differ)
                (
                    ign_ex,
                    Some((1, newer)),
                    Some((2, T)),
                    Some((Skip, "exists on receiver (--ignore-existing)")),
                ),
                // both, default: size first, then newer, else identical
                (
                    none,
                    Some((1, newer)),
                    Some((2, T)),
                    Some((tr, "size differs")),
                ),
                (
                    none,
                    Some((1, older)),
                    Some((2, T)),
                    Some((tr, "size differs")),
                ),
                (none, Some((1, newer)), Some((1, T)), Some((tr, src_newer))),
                (
                    none,
                    Some((1, same)),
                    Some((1, T)),
                    Some((Skip, "identical")),
                ),
                (
                    none,
                    Some((1, older)),
                    Some((1, T)),
                    Some((Skip, "identical")),
                ),
                // --ignore-times
                (
                    ign_t,
                    Some((1, newer)),
                    Some((1, T)),
                    Some((Skip, "same size")),
                ),
                (
                    ign_t,
                    Some((1, T)),
                    Some((2, T)),
                    Some((tr, "size differs")),
                ),
                // --ignore-sizes
                (ign_s, Some((1, newer)), Some((2, T)), Some((tr, src_newer))),
                (
                    ign_s,
                    Some((1, older)),
                    Some((1, T)),
                    Some((Skip, rcv_newer)),
                ),
                (
                    ign_s,
                    Some((1, same)),
                    Some((2, T)),
                    Some((Skip, "same mtime")),
                ),
                (
                    ign_s,
                    Some((1, T - 1000.0)),
                    Some((2, T)),
                    Some((Skip, "same mtime")),
                ),
                // only on receiver
                (none, None, Some((1, T)), None),
                (
                    del,
                    None,
                    Some((1, T)),
                    Some((Delete, "not in source (--delete)")),
                ),
                (
                    opts(|o| {
                        o.delete = true;
                        o.existing = true;
                    }),
                    None,
                    Some((1, T)),
                    Some((Delete, "not in source (--delete)")),
                ),
                (
                    opts(|o| {
                        o.delete = true;
                        o.ignore_existing = true;
                    }),
                    None,
                    Some((1, T)),
                    Some((Delete, "not in source (--delete)")),
                ),
            ];
            for (i, (o, s, r, want)) in rows.into_iter().enumerate() {
                let got = one(dir, o, s, r);
                let want = want.map(|(a, r)| (a, r.to_string()));
                assert_eq!(got, want, "{dir:?} row {i}");
            }
        }
    }

    #[test]
    fn the_window_is_strict_and_uses_sub_ms_local_times() {
        // 1000.5 ms newer locally: newer; exactly 1000 ms: not.
        let up = |m: f64| {
            one(
                Direction::Upload,
                CompareOptions::default(),
                Some((1, m)),
                Some((1, T)),
            )
        };
        assert_eq!(up(T + 1000.5).unwrap().1, "local newer");
        assert_eq!(up(T + 1000.0).unwrap().1, "identical");
        // A remote file without mtime is always older than a local one (re-uploaded).
        let mut p = Planner::new(
            Direction::Upload,
            CompareOptions::default(),
            Filter::default(),
        );
        p.add_local("a", 1, T);
        p.add_remote("", "a", 1, None).unwrap();
        let op = &p.operations()[0];
        assert_eq!(
            (op.action, op.reason.as_str()),
            (Action::Upload, "local newer")
        );
        assert_eq!(
            op.remote_mtime.as_deref(),
            Some("1970-01-01T00:00:00+00:00")
        );
    }

    #[test]
    fn operations_carry_sizes_and_times_of_the_right_side() {
        let mut p = Planner::new(
            Direction::Download,
            opts(|o| o.delete = true),
            Filter::default(),
        );
        p.add_remote("", "both", 7, Some(1_771_408_800_900))
            .unwrap();
        p.add_local("both", 5, 1_771_408_800_000.0);
        p.add_local("gone", 9, 1_771_408_800_000.0);
        p.add_remote("", "new", 4, Some(1_771_408_800_000)).unwrap();
        let ops = p.operations();
        let got: Vec<_> = ops
            .iter()
            .map(|o| {
                (
                    o.action,
                    o.path.as_str(),
                    o.size,
                    o.local_mtime.as_deref(),
                    o.remote_mtime.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Action::Download,
                    "both",
                    Some(7),
                    Some("2026-02-18T10:00:00+00:00"),
                    Some("2026-02-18T10:00:00.900000+00:00")
                ),
                (
                    Action::Delete,
                    "gone",
                    Some(9),
                    Some("2026-02-18T10:00:00+00:00"),
                    None
                ),
                (
                    Action::Download,
                    "new",
                    Some(4),
                    None,
                    Some("2026-02-18T10:00:00+00:00")
                ),
            ]
        );
        assert_eq!(
            Summary::of(&ops),
            Summary {
                uploads: 0,
                downloads: 2,
                deletes: 1,
                skips: 0,
                total_size: 11
            }
        );
    }

    #[test]
    fn order_is_by_code_point() {
        let mut p = Planner::new(
            Direction::Upload,
            CompareOptions::default(),
            Filter::default(),
        );
        for path in [
            "logs/a.log",
            "logs.txt",
            "README.md",
            ".hidden/h",
            "é",
            "Z",
            "logs",
        ] {
            p.add_local(path, 0, T);
        }
        let paths: Vec<String> = p.operations().into_iter().map(|o| o.path).collect();
        assert_eq!(
            paths,
            [
                ".hidden/h",
                "README.md",
                "Z",
                "logs",
                "logs.txt",
                "logs/a.log",
                "é"
            ]
        );
    }

    #[test]
    fn folder_boundary_rule() {
        assert_eq!(relative_to_prefix("logs", "logs/a/b.log"), Some("a/b.log"));
        assert_eq!(relative_to_prefix("logs", "logs"), Some("logs"));
        assert_eq!(relative_to_prefix("a/logs", "a/logs"), Some("logs"));
        assert_eq!(relative_to_prefix("logs", "logs.txt"), None);
        assert_eq!(relative_to_prefix("logs", "logs_old/x"), None);
        assert_eq!(relative_to_prefix("", "x/y"), Some("x/y"));
        let mut p = Planner::new(
            Direction::Download,
            CompareOptions::default(),
            Filter::default(),
        );
        assert!(p.add_remote("sub", "sub/a", 1, None).unwrap());
        assert!(!p.add_remote("sub", "submarine.txt", 1, None).unwrap());
        assert_eq!(p.remote_paths().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn filters_apply_to_both_sides_so_excluded_files_are_never_deleted() {
        let f = Filter::new(Vec::new(), vec!["*.tmp".into()], Vec::new());
        let mut p = Planner::new(Direction::Upload, opts(|o| o.delete = true), f);
        assert!(!p.add_local("x.tmp", 1, T));
        assert!(!p.add_remote("", "old/y.tmp", 1, None).unwrap());
        assert!(p.add_remote("", "old/z.bin", 1, None).unwrap());
        let ops = p.operations();
        assert_eq!(ops.len(), 1);
        assert_eq!(
            (ops[0].action, ops[0].path.as_str()),
            (Action::Delete, "old/z.bin")
        );
    }

    #[test]
    fn unsafe_remote_paths_abort() {
        // Each checked against the official `_validate_relative_filename`.
        for bad in [
            "a/b:c",
            "../x",
            "a/../x",
            "a\\..\\x",
            "/etc/passwd",
            "C:x",
            "a/c:\\x",
            "\\\\host\\share",
            "a/\\x",
        ] {
            let mut p = Planner::new(
                Direction::Download,
                CompareOptions::default(),
                Filter::default(),
            );
            assert!(p.add_remote("", bad, 1, None).is_err(), "{bad}");
        }
        for ok in ["a..b", "...", "1:x", "a/.x", "a/ab:c", "é:x"] {
            assert!(check_relative_path(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn sides_and_validation_messages() {
        let o = CompareOptions::default();
        let s = resolve_sides(Some("./loc"), Some("hf://buckets/alice/ckpts/sub/"), &o).unwrap();
        assert_eq!(
            s,
            Sides {
                direction: Direction::Upload,
                bucket_id: "alice/ckpts".parse().unwrap(),
                prefix: "sub".into(),
                local: "./loc".into()
            }
        );
        let s = resolve_sides(Some("hf://buckets/alice/ckpts"), Some("alice/ckpts"), &o).unwrap();
        assert_eq!(
            (s.direction, s.prefix.as_str(), s.local.as_str()),
            (Direction::Download, "", "alice/ckpts")
        );
        let msg = |r: Result<Sides, ValidationError>| r.unwrap_err().reason;
        assert_eq!(
            msg(resolve_sides(None, Some("x"), &o)),
            "Both source and destination are required."
        );
        assert_eq!(
            msg(resolve_sides(
                Some("hf://buckets/a/b"),
                Some("hf://buckets/a/c"),
                &o
            )),
            "Remote to remote sync is not supported. One path must be local."
        );
        assert_eq!(
            msg(resolve_sides(
                Some("a/b"),
                Some("https://huggingface.co/buckets/a/b"),
                &o
            )),
            "One of source or destination must be a bucket path (hf://buckets/...)."
        );
        // A non-bucket hf:// URI is local; a malformed one is an error.
        assert!(resolve_sides(Some("hf://datasets/a/b"), Some("x"), &o).is_err());
        assert!(resolve_sides(Some("x"), Some("hf://buckets/a/b//c"), &o).is_err());
        let both = opts(|o| {
            o.ignore_times = true;
            o.ignore_sizes = true;
        });
        assert_eq!(
            msg(resolve_sides(Some("x"), Some("hf://buckets/a/b"), &both)),
            "Cannot specify both ignoreTimes and ignoreSizes."
        );
        let both = opts(|o| {
            o.existing = true;
            o.ignore_existing = true;
        });
        assert_eq!(
            msg(resolve_sides(Some("x"), Some("hf://buckets/a/b"), &both)),
            "Cannot specify both existing and ignoreExisting."
        );
    }

    #[test]
    fn time_conversions_match_python() {
        // Python: os.stat → st_mtime = sec + nsec*1e-9; × 1000.
        assert_eq!(
            local_mtime_ms(1_700_000_000, 123_456_789),
            1_700_000_000_123.456_8
        );
        // Python: datetime(…, 900000 µs).timestamp() * 1000
        assert_eq!(
            remote_mtime_ms(Some(1_771_408_800_900)),
            1_771_408_800_900.0
        );
        assert_eq!(remote_mtime_ms(None), 0.0);
    }
}
