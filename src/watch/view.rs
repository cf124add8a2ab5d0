//! The watcher's compact view of the watched prefix: path → size, Xet hash, mtime, uploadedAt.
//!
//! It is what a consumer that applies every emitted event holds, so that a `reset` (resume point
//! older than the server's buffer) can be turned into the add/update/delete events that bring
//! the consumer to a fresh listing ([`View::reconcile`]).
//!
//! The view is **exact** once it was built from a listing (the `initial` option, or after a
//! first reconcile). Changes are then emitted relative to it ([`View::apply`]): an `add` of a
//! path the view holds becomes an `update` of the fields that differ, a change that alters
//! nothing (a replayed batch the listing already showed) is dropped. Before that the view is
//! **partial** (only the paths the feed touched): changes pass through as the feed sent them, and
//! a reconcile can only delete paths the view knows.
//!
//! Memory: one entry per file of the prefix in exact mode, about 200 bytes plus the path.

use std::collections::HashMap;

use super::feed::{Change, Op};
use crate::hub::FileEntry;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct FileState {
    size: Option<u64>,
    xet_hash: Option<String>,
    mtime: Option<i64>,
    uploaded_at: Option<i64>,
}

impl FileState {
    fn of(c: &Change) -> FileState {
        FileState {
            size: c.size,
            xet_hash: c.xet_hash.clone(),
            mtime: c.mtime,
            uploaded_at: c.uploaded_at,
        }
    }

    /// Sets the fields `new` has and returns the change made, `None` if nothing changed.
    fn merge(&mut self, path: &str, new: &FileState) -> Option<Change> {
        let mut change = Change {
            path: path.to_string(),
            op: Op::Update,
            size: None,
            xet_hash: None,
            mtime: None,
            uploaded_at: None,
        };
        let mut changed = false;
        if new.size.is_some() && new.size != self.size {
            self.size = new.size;
            change.size = new.size;
            changed = true;
        }
        if new.xet_hash.is_some() && new.xet_hash != self.xet_hash {
            self.xet_hash.clone_from(&new.xet_hash);
            change.xet_hash.clone_from(&new.xet_hash);
            changed = true;
        }
        if new.mtime.is_some() && new.mtime != self.mtime {
            self.mtime = new.mtime;
            change.mtime = new.mtime;
            changed = true;
        }
        if new.uploaded_at.is_some() && new.uploaded_at != self.uploaded_at {
            self.uploaded_at = new.uploaded_at;
            change.uploaded_at = new.uploaded_at;
            changed = true;
        }
        changed.then_some(change)
    }

    fn add(&self, path: &str) -> Change {
        Change {
            path: path.to_string(),
            op: Op::Add,
            size: self.size,
            xet_hash: self.xet_hash.clone(),
            mtime: self.mtime,
            uploaded_at: self.uploaded_at,
        }
    }
}

/// See the module docs.
#[derive(Debug, Default)]
pub struct View {
    files: HashMap<String, FileState>,
    exact: bool,
}

impl View {
    /// An empty, partial view.
    pub fn new() -> View {
        View::default()
    }

    /// Whether the view came from a listing.
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// Files held.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is held.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Applies one change from the feed; returns the change to emit (see the module docs).
    pub fn apply(&mut self, c: Change) -> Option<Change> {
        if !self.exact {
            match c.op {
                Op::Delete => {
                    self.files.remove(&c.path);
                }
                Op::Add => {
                    self.files.insert(c.path.clone(), FileState::of(&c));
                }
                Op::Update => {
                    let state = FileState::of(&c);
                    self.files
                        .entry(c.path.clone())
                        .or_default()
                        .merge(&c.path, &state);
                }
            }
            return Some(c);
        }
        match c.op {
            Op::Delete => self.files.remove(&c.path).map(|_| c),
            Op::Add | Op::Update => {
                let new = FileState::of(&c);
                match self.files.get_mut(&c.path) {
                    Some(old) => old.merge(&c.path, &new),
                    None => {
                        let add = new.add(&c.path);
                        self.files.insert(c.path, new);
                        Some(add)
                    }
                }
            }
        }
    }

    /// Replaces the view with `listing` (files of the prefix) and returns the changes that turn
    /// the old view into it: deletes first, then adds and updates, each in path order. The view
    /// is exact afterwards.
    pub fn reconcile(&mut self, listing: Vec<FileEntry>) -> Vec<Change> {
        let mut next: HashMap<String, FileState> = HashMap::with_capacity(listing.len());
        for f in listing {
            next.insert(
                f.path,
                FileState {
                    size: Some(f.size),
                    xet_hash: Some(f.xet_hash),
                    mtime: f.mtime,
                    uploaded_at: f.uploaded_at,
                },
            );
        }
        let mut deletes: Vec<Change> = self
            .files
            .keys()
            .filter(|p| !next.contains_key(*p))
            .map(|p| Change {
                path: p.clone(),
                op: Op::Delete,
                size: None,
                xet_hash: None,
                mtime: None,
                uploaded_at: None,
            })
            .collect();
        deletes.sort_by(|a, b| a.path.cmp(&b.path));
        let mut rest: Vec<Change> = next
            .iter()
            .filter_map(|(path, new)| match self.files.get(path) {
                Some(old) => {
                    // Fields the listing lacks (mtime never set) are cleared, not "unchanged".
                    let mut old = old.clone();
                    let mut change = old.merge(path, new);
                    if new.mtime.is_none() && old.mtime.is_some() {
                        // The feed cannot say "cleared": re-add the file with its fields.
                        change = Some(new.add(path));
                    }
                    change
                }
                None => Some(new.add(path)),
            })
            .collect();
        rest.sort_by(|a, b| a.path.cmp(&b.path));
        self.files = next;
        self.exact = true;
        deletes.extend(rest);
        deletes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(op: Op, path: &str, size: Option<u64>, hash: Option<&str>) -> Change {
        Change {
            path: path.into(),
            op,
            size,
            xet_hash: hash.map(String::from),
            mtime: None,
            uploaded_at: None,
        }
    }

    fn file(path: &str, size: u64, hash: &str) -> FileEntry {
        FileEntry {
            path: path.into(),
            size,
            xet_hash: hash.into(),
            mtime: None,
            uploaded_at: None,
            content_type: None,
        }
    }

    #[test]
    fn partial_view_passes_changes_through() {
        let mut v = View::new();
        let upd = ch(Op::Update, "a", Some(2), None);
        assert_eq!(v.apply(upd.clone()), Some(upd));
        let del = ch(Op::Delete, "missing", None, None);
        assert_eq!(v.apply(del.clone()), Some(del));
        assert_eq!(v.len(), 1);
        assert!(!v.is_exact());
    }

    #[test]
    fn exact_view_emits_only_what_changes_it() {
        let mut v = View::new();
        let adds = v.reconcile(vec![file("a", 1, "h1")]);
        assert_eq!(adds, vec![ch(Op::Add, "a", Some(1), Some("h1"))]);
        // A replayed add the listing already had: nothing.
        assert_eq!(v.apply(ch(Op::Add, "a", Some(1), Some("h1"))), None);
        // An add of a held path: an update of what differs.
        assert_eq!(
            v.apply(ch(Op::Add, "a", Some(1), Some("h2"))),
            Some(ch(Op::Update, "a", None, Some("h2")))
        );
        // An update of a path not held: an add.
        assert_eq!(
            v.apply(ch(Op::Update, "b", Some(5), Some("h5"))),
            Some(ch(Op::Add, "b", Some(5), Some("h5")))
        );
        assert_eq!(v.apply(ch(Op::Delete, "zz", None, None)), None);
        assert_eq!(
            v.apply(ch(Op::Delete, "b", None, None)),
            Some(ch(Op::Delete, "b", None, None))
        );
    }

    #[test]
    fn reconcile_gives_the_differences() {
        let mut v = View::new();
        v.reconcile(vec![
            file("keep", 1, "k"),
            file("gone", 2, "g"),
            file("chg", 3, "c"),
        ]);
        let out = v.reconcile(vec![
            file("keep", 1, "k"),
            file("chg", 4, "c"),
            file("new", 5, "n"),
        ]);
        assert_eq!(
            out,
            vec![
                ch(Op::Delete, "gone", None, None),
                ch(Op::Update, "chg", Some(4), None),
                ch(Op::Add, "new", Some(5), Some("n")),
            ]
        );
        assert_eq!(v.len(), 3);
        // Applying `out` to the old view gives the listing: checked by the follower tests.
    }
}
