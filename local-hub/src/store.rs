//! Buckets and repos with their file tables, kept in memory and persisted under
//! `<data-dir>/hub/`: one JSON document per bucket (`buckets/<_id>.json`) and per repo
//! (`repos/<_id>.json`), written atomically (temp file, fsync, rename) while the write lock
//! is held, so the files on disk always equal some state the server answered with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::ApiError;

/// One file of a bucket (buckets-api.md §7.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FileEntry {
    pub(crate) xet_hash: String,
    pub(crate) size: u64,
    /// Client-supplied modification time, Unix ms.
    pub(crate) mtime: Option<i64>,
    /// When the server recorded the entry, Unix ms.
    pub(crate) uploaded_at: i64,
    pub(crate) content_type: Option<String>,
}

/// A bucket and its files.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Bucket {
    /// Internal object id (`_id`), also the file name on disk.
    pub(crate) oid: String,
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) private: bool,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) region: Option<String>,
    pub(crate) resource_group_id: Option<String>,
    #[serde(default)]
    pub(crate) cdn_regions: Vec<Value>,
    pub(crate) files: BTreeMap<String, FileEntry>,
}

impl Bucket {
    /// `namespace/name`.
    pub(crate) fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Total bytes of the current files.
    pub(crate) fn size(&self) -> u64 {
        self.files.values().map(|f| f.size).sum()
    }

    /// Whether a current file has the Xet hash `xet_hash` (lowercase hex).
    pub(crate) fn references(&self, xet_hash: &str) -> bool {
        self.files
            .values()
            .any(|f| f.xet_hash.eq_ignore_ascii_case(xet_hash))
    }
}

/// Repo kinds (buckets-api.md §14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RepoType {
    Model,
    Dataset,
    Space,
}

impl RepoType {
    /// From the singular (`dataset`) or URL plural (`datasets`) spelling.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "model" | "models" => Some(Self::Model),
            "dataset" | "datasets" => Some(Self::Dataset),
            "space" | "spaces" => Some(Self::Space),
            _ => None,
        }
    }

    /// Singular spelling, as in `sourceRepoType`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Dataset => "dataset",
            Self::Space => "space",
        }
    }
}

/// One file of a repo revision: Xet-backed (`xet_hash`) or stored inline (small git file).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RepoFile {
    pub(crate) size: u64,
    /// Git blob id (of the content, or of the LFS pointer for Xet files).
    pub(crate) oid: String,
    pub(crate) xet_hash: Option<String>,
    /// SHA-256 of the content (LFS `oid`) for Xet files.
    pub(crate) sha256: Option<String>,
    /// Size of the LFS pointer file for Xet files.
    pub(crate) pointer_size: Option<u64>,
    /// Base64 content of inline files.
    pub(crate) content_base64: Option<String>,
}

/// Git blob id of `content` (`sha1("blob <len>\0" + content)`).
pub(crate) fn git_blob_oid(content: &[u8]) -> String {
    use sha1::Digest as _;
    let mut hasher = sha1::Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    hex(&hasher.finalize())
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl RepoFile {
    /// A small file kept in the repo document itself (a regular git blob).
    pub(crate) fn inline(content: &[u8]) -> Self {
        use base64::Engine as _;
        Self {
            size: content.len() as u64,
            oid: git_blob_oid(content),
            xet_hash: None,
            sha256: None,
            pointer_size: None,
            content_base64: Some(base64::engine::general_purpose::STANDARD.encode(content)),
        }
    }

    /// An LFS file: Xet-backed when `xet_hash` is set, else its bytes are the blob
    /// `lfs/<sha256>` of the store (uploaded through the LFS batch API). Its git blob is
    /// the LFS pointer.
    pub(crate) fn lfs(sha256: String, size: u64, xet_hash: Option<String>) -> Self {
        let pointer = format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"
        );
        Self {
            size,
            oid: git_blob_oid(pointer.as_bytes()),
            xet_hash,
            sha256: Some(sha256),
            pointer_size: Some(pointer.len() as u64),
            content_base64: None,
        }
    }
}

/// A discussion or pull request of a repo (only what the commit API needs).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Discussion {
    pub(crate) title: String,
    pub(crate) author: String,
    pub(crate) created_at: i64,
    pub(crate) is_pull_request: bool,
}

/// A model, dataset or space repo with named revisions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Repo {
    pub(crate) oid: String,
    pub(crate) kind: RepoType,
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) private: bool,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    /// revision → path → file.
    pub(crate) revisions: BTreeMap<String, BTreeMap<String, RepoFile>>,
    /// revision → its head commit id (40 hex digits); see [`Repo::head`].
    #[serde(default)]
    pub(crate) heads: BTreeMap<String, String>,
    /// Discussions and pull requests by number (from 1); PR `n` has revision `refs/pr/n`.
    #[serde(default)]
    pub(crate) discussions: BTreeMap<u64, Discussion>,
}

impl Repo {
    /// `namespace/name`.
    pub(crate) fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Whether a file of any revision has the Xet hash `xet_hash` (lowercase hex).
    pub(crate) fn references(&self, xet_hash: &str) -> bool {
        self.revisions.values().any(|files| {
            files.values().any(|f| {
                f.xet_hash
                    .as_deref()
                    .is_some_and(|h| h.eq_ignore_ascii_case(xet_hash))
            })
        })
    }

    /// The head commit id of `rev`: the one recorded by the last commit, else (seeded
    /// revisions) one derived from the repo's object id and the revision name.
    pub(crate) fn head(&self, rev: &str) -> String {
        if let Some(head) = self.heads.get(rev) {
            return head.clone();
        }
        use sha1::Digest as _;
        hex(&sha1::Sha1::digest(
            format!("seed {} {rev}", self.oid).as_bytes(),
        ))
    }

    /// The revision a client names: a branch, `refs/heads/<branch>`, or a commit id of a
    /// revision's head.
    pub(crate) fn resolve_revision(&self, rev: &str) -> Option<&str> {
        let branch = rev.strip_prefix("refs/heads/").unwrap_or(rev);
        if let Some((name, _)) = self.revisions.get_key_value(branch) {
            return Some(name);
        }
        if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            return self
                .revisions
                .keys()
                .find(|name| self.head(name) == rev)
                .map(String::as_str);
        }
        None
    }
}

/// Key of a repo in [`Db::repos`].
pub(crate) fn repo_key(kind: RepoType, id: &str) -> String {
    format!("{}:{id}", kind.as_str())
}

/// Everything in memory. Keys: `namespace/name` for buckets, [`repo_key`] for repos.
#[derive(Debug, Default)]
pub(crate) struct Db {
    pub(crate) buckets: BTreeMap<String, Bucket>,
    pub(crate) repos: BTreeMap<String, Repo>,
}

/// SHA-256 → Xet file, learnt from the file metadata of the CAS server's shards (the Xet
/// client records each file's SHA-256 there; repo commits name LFS files by it).
#[derive(Debug, Default)]
pub(crate) struct Sha256Index {
    /// Shard files already read.
    pub(crate) scanned: std::collections::HashSet<PathBuf>,
    /// SHA-256 (hex) → Xet hash (hex).
    pub(crate) files: std::collections::HashMap<String, String>,
}

/// The database plus its directory.
pub(crate) struct Store {
    root: PathBuf,
    db: RwLock<Db>,
    /// See [`Sha256Index`]; rebuilt from the shards after a restart.
    pub(crate) sha256_index: tokio::sync::Mutex<Sha256Index>,
}

fn read_dir_json<T: for<'de> Deserialize<'de>>(dir: &Path) -> Result<Vec<T>, String> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("reading {}: {e}", dir.display()))?;
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue; // leftover temp files of an interrupted write are ignored
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        out.push(
            serde_json::from_slice(&bytes)
                .map_err(|e| format!("parsing {}: {e}", path.display()))?,
        );
    }
    Ok(out)
}

/// Writes `bytes` to `path` atomically and durably: a temp file in the same directory, fsync,
/// rename, then fsync of the directory (so the rename itself survives a crash).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_data()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// fsync of a directory (Unix; elsewhere a rename is durable without it).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

impl Store {
    /// Loads (or starts) the store under `<root>` (= `<data-dir>/hub`).
    pub(crate) fn load(root: &Path) -> Result<Self, String> {
        let buckets_dir = root.join("buckets");
        let repos_dir = root.join("repos");
        for dir in [&buckets_dir, &repos_dir, &root.join("lfs")] {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
        let mut db = Db::default();
        for bucket in read_dir_json::<Bucket>(&buckets_dir)? {
            db.buckets.insert(bucket.id(), bucket);
        }
        for repo in read_dir_json::<Repo>(&repos_dir)? {
            db.repos.insert(repo_key(repo.kind, &repo.id()), repo);
        }
        Ok(Self {
            root: root.to_path_buf(),
            db: RwLock::new(db),
            sha256_index: Default::default(),
        })
    }

    pub(crate) async fn read(&self) -> RwLockReadGuard<'_, Db> {
        self.db.read().await
    }

    pub(crate) async fn write(&self) -> RwLockWriteGuard<'_, Db> {
        self.db.write().await
    }

    async fn write_file(
        &self,
        path: PathBuf,
        value: Result<Vec<u8>, serde_json::Error>,
    ) -> Result<(), ApiError> {
        let bytes = value.map_err(|e| ApiError::Internal(format!("serialising state: {e}")))?;
        tokio::task::spawn_blocking(move || write_atomic(&path, &bytes))
            .await
            .map_err(|e| ApiError::Internal(format!("persisting state: {e}")))?
            .map_err(|e| ApiError::Internal(format!("persisting state: {e}")))
    }

    async fn remove_file(&self, path: PathBuf) -> Result<(), ApiError> {
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(ApiError::Internal(format!("removing state: {e}"))),
        }
    }

    /// Persists one bucket. Call while holding the write guard.
    pub(crate) async fn save_bucket(&self, bucket: &Bucket) -> Result<(), ApiError> {
        let path = self
            .root
            .join("buckets")
            .join(format!("{}.json", bucket.oid));
        self.write_file(path, serde_json::to_vec(bucket)).await
    }

    /// Removes a bucket's document. Call while holding the write guard.
    pub(crate) async fn delete_bucket_file(&self, oid: &str) -> Result<(), ApiError> {
        self.remove_file(self.root.join("buckets").join(format!("{oid}.json")))
            .await
    }

    /// Persists one repo. Call while holding the write guard.
    pub(crate) async fn save_repo(&self, repo: &Repo) -> Result<(), ApiError> {
        let path = self.root.join("repos").join(format!("{}.json", repo.oid));
        self.write_file(path, serde_json::to_vec(repo)).await
    }

    /// Removes a repo's document. Call while holding the write guard.
    pub(crate) async fn delete_repo_file(&self, oid: &str) -> Result<(), ApiError> {
        self.remove_file(self.root.join("repos").join(format!("{oid}.json")))
            .await
    }

    /// Directory of the LFS blobs uploaded through the LFS batch API (`lfs/<sha256>`).
    pub(crate) fn lfs_dir(&self) -> PathBuf {
        self.root.join("lfs")
    }

    /// Directory where the embedded CAS server keeps its shards (`<data-dir>/cas/shards`).
    pub(crate) fn cas_shard_dir(&self) -> PathBuf {
        self.root
            .parent()
            .unwrap_or(&self.root)
            .join("cas")
            .join("shards")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn save_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::load(dir.path()).unwrap();
        let mut bucket = Bucket {
            oid: "0123456789abcdef01234567".into(),
            namespace: "alice".into(),
            name: "b".into(),
            private: true,
            created_at: 1,
            updated_at: 2,
            region: None,
            resource_group_id: None,
            cdn_regions: vec![],
            files: BTreeMap::new(),
        };
        bucket.files.insert(
            "a.txt".into(),
            FileEntry {
                xet_hash: "0".repeat(64),
                size: 0,
                mtime: Some(5),
                uploaded_at: 6,
                content_type: None,
            },
        );
        store.save_bucket(&bucket).await.unwrap();
        std::fs::write(dir.path().join("buckets").join(".tmp-leftover"), b"{").unwrap();
        let again = Store::load(dir.path()).unwrap();
        let db = again.read().await;
        let loaded = db.buckets.get("alice/b").unwrap();
        assert!(loaded.private);
        assert_eq!(loaded.files.get("a.txt").map(|f| f.mtime), Some(Some(5)));
        drop(db);
        again.delete_bucket_file(&bucket.oid).await.unwrap();
        assert!(Store::load(dir.path())
            .unwrap()
            .read()
            .await
            .buckets
            .is_empty());
    }
}
