//! Wire types of the bucket API (buckets spec §6–9, §14) and their checked Rust forms.
//!
//! Responses are parsed leniently where the spec says fields are optional and strictly where
//! every official client requires them (bucket `id`, `private`, `size`, `totalFiles`,
//! `createdAt`; file `path`, `size`, `xetHash`). Timestamps arrive as ISO-8601 strings with a
//! `Z` suffix (§3.4) and are kept as milliseconds since the Unix epoch. Serialising a type gives
//! the camelCase object handed to JavaScript (timestamps as numbers; `js/` turns them into
//! `Date`s).

use xet::json::{write_array, write_object, write_str, ObjectWriter, ShapeError, Value};

use super::uri::RepoType;

/// A type read from a JSON answer of the Hub or the CAS ([`xet::json`]).
pub trait FromJson: Sized {
    /// Reads `v`, or says what in it is of the wrong shape.
    fn from_json(v: &Value) -> Result<Self, ShapeError>;
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Value) -> Result<Self, ShapeError> {
        v.to_array("the answer")?.iter().map(T::from_json).collect()
    }
}

impl FromJson for Value {
    fn from_json(v: &Value) -> Result<Self, ShapeError> {
        Ok(v.clone())
    }
}

/// A type written as JSON: the objects handed to JavaScript (camelCase members, times as ms
/// since the epoch), and request bodies.
pub trait ToJson {
    /// Appends this value as JSON text.
    fn write_json(&self, out: &mut String);

    /// This value as JSON text.
    fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for Value {
    fn write_json(&self, out: &mut String) {
        self.write(out);
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        write_array(out, self, |o, item| item.write_json(o));
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

/// Reads `body` as JSON of `T`.
pub(crate) fn from_json_bytes<T: FromJson>(body: &[u8]) -> Result<T, ShapeError> {
    T::from_json(&xet::json::parse(body)?)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff…]Z` into ms since the epoch (no other offset is accepted,
/// like the official Python parser).
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || *b.last()? != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(10) != Some(&b'T') {
        return None;
    }
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let frac = s.get(19..s.len() - 1)?;
    let millis = if frac.is_empty() {
        0
    } else {
        let digits = frac.strip_prefix('.')?;
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut ms = 0i64;
        for (i, c) in digits.bytes().take(3).enumerate() {
            ms += i64::from(c - b'0') * [100, 10, 1][i];
        }
        ms
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    Some(((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + millis)
}

/// Days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn timestamp_at(v: &Value, name: &str) -> Result<i64, ShapeError> {
    timestamp_of(v.field(name)?, name)
}

fn opt_timestamp_at(v: &Value, name: &str) -> Result<Option<i64>, ShapeError> {
    v.opt_field(name)?
        .map(|t| timestamp_of(t, name))
        .transpose()
}

fn timestamp_of(v: &Value, name: &str) -> Result<i64, ShapeError> {
    let s = v.to_str(name)?;
    parse_timestamp(s).ok_or_else(|| ShapeError(format!("invalid timestamp {s:?}")))
}

/// Whether `s` is 64 hex digits.
pub fn is_xet_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// A xet hash, lowercased.
fn xet_hash_of(s: &str) -> Result<String, ShapeError> {
    if is_xet_hash(s) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(ShapeError(format!("invalid xetHash {s:?}")))
    }
}

/// A bucket (`GET /api/buckets/{id}` and list items, §6.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketInfo {
    /// `namespace/name`.
    pub id: String,
    /// Visibility.
    pub private: bool,
    /// Total bytes of the current files.
    pub size: u64,
    /// Number of current files.
    pub total_files: u64,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Last change, ms since the epoch.
    pub updated_at: Option<i64>,
    /// The namespace.
    pub author: Option<String>,
    /// Storage region, when the server says.
    pub region: Option<String>,
}

/// A file in a bucket (tree and paths-info entries, §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Full path from the bucket root.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Xet file hash, 64 lowercase hex digits.
    pub xet_hash: String,
    /// Client-supplied modification time, ms since the epoch.
    pub mtime: Option<i64>,
    /// When the server recorded the entry, ms since the epoch.
    pub uploaded_at: Option<i64>,
    /// MIME type given when the file was added.
    pub content_type: Option<String>,
}

/// A folder in a non-recursive listing (folders are implicit, §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// Path without a trailing `/`.
    pub path: String,
    /// Newest upload time below it, ms since the epoch.
    pub uploaded_at: Option<i64>,
}

/// One entry of a tree listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeEntry {
    /// A file.
    File(FileEntry),
    /// A folder (non-recursive listings only).
    Directory(DirectoryEntry),
}

/// A listing item as it comes over the wire (tree pages, paths-info): an entry, or one of a
/// `type` this client does not know, which is skipped (the Python client skips it too), so a
/// newer Hub's listings stay readable.
#[derive(Debug)]
pub(crate) enum WireEntry {
    /// A file.
    File(FileEntry),
    /// A folder.
    Directory(DirectoryEntry),
    /// Any other `type` (its fields are ignored).
    Unknown,
}

impl WireEntry {
    /// The entry, or `None` for an unknown type.
    pub(crate) fn known(self) -> Option<TreeEntry> {
        match self {
            WireEntry::File(f) => Some(TreeEntry::File(f)),
            WireEntry::Directory(d) => Some(TreeEntry::Directory(d)),
            WireEntry::Unknown => None,
        }
    }
}

/// What a `HEAD` on a bucket file tells (workflows §5.1, buckets spec §10.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMetadata {
    /// Size in bytes (`X-Linked-Size`, else the `Content-Length` of a non-redirect answer).
    pub size: u64,
    /// Xet file hash (`X-Xet-Hash`), 64 lowercase hex digits.
    pub xet_hash: String,
    /// `X-Linked-ETag`, else `ETag`, as sent (quotes kept).
    pub etag: Option<String>,
    /// `Last-Modified`, ms since the epoch.
    pub last_modified: Option<i64>,
    /// `Content-Type`.
    pub content_type: Option<String>,
}

impl TreeEntry {
    /// The entry's path.
    pub fn path(&self) -> &str {
        match self {
            TreeEntry::File(f) => &f.path,
            TreeEntry::Directory(d) => &d.path,
        }
    }
}

/// A file of a model/dataset/space repo (`/api/{type}s/{id}/tree/{rev}` and paths-info, §14).
/// Small files stored in git have no `xetHash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoEntry {
    /// `file` or `directory`.
    pub kind: String,
    /// Path in the repo.
    pub path: String,
    /// Size in bytes (absent for directories).
    pub size: Option<u64>,
    /// Xet hash, when the file is stored in Xet.
    pub xet_hash: Option<String>,
}

/// Answer of `POST /api/buckets/{ns}/{name}` (§6.2); also the body of a 409.
#[derive(Debug, Clone, Default)]
pub(crate) struct CreateBucketResponse {
    /// `{endpoint}/buckets/{ns}/{name}`.
    pub(crate) url: Option<String>,
    /// `ns/name`.
    pub(crate) name: Option<String>,
}

/// What `createBucket` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedBucket {
    /// `namespace/name` (the real namespace, also when `me` was used).
    pub bucket_id: String,
    /// Web URL of the bucket.
    pub url: String,
    /// `hf://buckets/namespace/name`.
    pub handle: String,
    /// False when `existOk` found the bucket already there.
    pub created: bool,
}

/// A Xet CAS access token (`xet-read-token` / `xet-write-token`, §8).
#[derive(Clone, PartialEq, Eq)]
pub struct XetToken {
    /// Bearer token for the CAS (never the Hub token).
    pub access_token: String,
    /// Expiry, Unix time in **seconds**.
    pub exp: u64,
    /// CAS base URL, no trailing slash.
    pub cas_url: String,
}

impl std::fmt::Debug for XetToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XetToken")
            .field("access_token", &"<redacted>")
            .field("exp", &self.exp)
            .field("cas_url", &self.cas_url)
            .finish()
    }
}

/// One line of a batch request (§9.2). Order in a request: adds, copies, deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchLine {
    /// Make `path` point at content already in the CAS.
    Add {
        /// Destination path.
        path: String,
        /// Xet file hash.
        xet_hash: String,
        /// Modification time, ms since the epoch.
        mtime: Option<i64>,
        /// MIME type.
        content_type: Option<String>,
    },
    /// Server-side copy by hash from a bucket or repo.
    Copy {
        /// Destination path.
        path: String,
        /// Hash of the source file.
        xet_hash: String,
        /// Where the hash comes from.
        source_type: RepoType,
        /// `namespace/name` of the source.
        source_id: String,
        /// Modification time, ms since the epoch.
        mtime: Option<i64>,
        /// MIME type.
        content_type: Option<String>,
    },
    /// Remove one file.
    Delete {
        /// Path to remove.
        path: String,
    },
}

impl BatchLine {
    /// The destination (or deleted) path.
    pub fn path(&self) -> &str {
        match self {
            BatchLine::Add { path, .. }
            | BatchLine::Copy { path, .. }
            | BatchLine::Delete { path } => path,
        }
    }

    /// 0 for adds, 1 for copies, 2 for deletes: the required order.
    pub fn rank(&self) -> u8 {
        match self {
            BatchLine::Add { .. } => 0,
            BatchLine::Copy { .. } => 1,
            BatchLine::Delete { .. } => 2,
        }
    }

    /// `addFile`, `copyFile` or `deleteFile`.
    pub fn wire_type(&self) -> &'static str {
        ["addFile", "copyFile", "deleteFile"][usize::from(self.rank())]
    }
}

/// A failed line, as the server reports it (§9.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchFailure {
    /// The line's path.
    pub path: String,
    /// The server's reason.
    pub error: String,
}

/// Body of a batch answer (200 or 422).
#[derive(Debug, Clone, Default)]
pub(crate) struct BatchResponse {
    /// Lines processed.
    pub(crate) processed: Option<u64>,
    /// Lines that succeeded.
    pub(crate) succeeded: Option<u64>,
    /// Failed lines.
    pub(crate) failed: Vec<BatchFailure>,
}

/// Outcome of a `batchBucketFiles` or `copyFiles` call, over all the requests it made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// True when every line was sent and succeeded and nothing was skipped.
    pub success: bool,
    /// Lines the server processed.
    pub processed: u64,
    /// Lines that took effect.
    pub succeeded: u64,
    /// Lines the server rejected (the others took effect: batches are not transactions).
    pub failed: Vec<BatchFailure>,
    /// Lines not sent: after a request with failures, the remaining requests are not sent (so
    /// deletes never run after a failed add or copy); for `copyFiles`, also source files that
    /// cannot be copied server-side.
    pub skipped: Vec<BatchFailure>,
}

impl ToJson for BucketInfo {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| {
            o.str("id", &self.id)
                .bool("private", self.private)
                .u64("size", self.size)
                .u64("totalFiles", self.total_files)
                .i64("createdAt", self.created_at)
                .opt_i64("updatedAt", self.updated_at)
                .opt_str("author", self.author.as_deref())
                .opt_str("region", self.region.as_deref());
        });
    }
}

impl FileEntry {
    fn members(&self, o: &mut ObjectWriter<'_>) {
        o.str("path", &self.path)
            .u64("size", self.size)
            .str("xetHash", &self.xet_hash)
            .opt_i64("mtime", self.mtime)
            .opt_i64("uploadedAt", self.uploaded_at)
            .opt_str("contentType", self.content_type.as_deref());
    }
}

impl ToJson for FileEntry {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| self.members(o));
    }
}

impl DirectoryEntry {
    fn members(&self, o: &mut ObjectWriter<'_>) {
        o.str("path", &self.path)
            .opt_i64("uploadedAt", self.uploaded_at);
    }
}

impl ToJson for DirectoryEntry {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| self.members(o));
    }
}

impl ToJson for TreeEntry {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| match self {
            TreeEntry::File(f) => f.members(o.str("type", "file")),
            TreeEntry::Directory(d) => d.members(o.str("type", "directory")),
        });
    }
}

impl ToJson for FileMetadata {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| {
            o.u64("size", self.size)
                .str("xetHash", &self.xet_hash)
                .opt_str("etag", self.etag.as_deref())
                .opt_i64("lastModified", self.last_modified)
                .opt_str("contentType", self.content_type.as_deref());
        });
    }
}

impl ToJson for CreatedBucket {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| {
            o.str("bucketId", &self.bucket_id)
                .str("url", &self.url)
                .str("handle", &self.handle)
                .bool("created", self.created);
        });
    }
}

/// One line of the batch request's JSON Lines body.
impl ToJson for BatchLine {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| {
            o.str("type", self.wire_type()).str("path", self.path());
            match self {
                BatchLine::Add {
                    xet_hash,
                    mtime,
                    content_type,
                    ..
                } => {
                    o.str("xetHash", xet_hash)
                        .opt_i64("mtime", *mtime)
                        .opt_str("contentType", content_type.as_deref());
                }
                BatchLine::Copy {
                    xet_hash,
                    source_type,
                    source_id,
                    mtime,
                    content_type,
                    ..
                } => {
                    o.str("xetHash", xet_hash)
                        .str("sourceRepoType", source_type.singular())
                        .str("sourceRepoId", source_id)
                        .opt_i64("mtime", *mtime)
                        .opt_str("contentType", content_type.as_deref());
                }
                BatchLine::Delete { .. } => {}
            }
        });
    }
}

impl ToJson for BatchFailure {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| {
            o.str("path", &self.path).str("error", &self.error);
        });
    }
}

impl BatchReport {
    /// The report's members (also written flat into a commit report's object).
    pub(crate) fn members(&self, o: &mut ObjectWriter<'_>) {
        o.bool("success", self.success)
            .u64("processed", self.processed)
            .u64("succeeded", self.succeeded)
            .raw("failed", |out| self.failed.write_json(out))
            .raw("skipped", |out| self.skipped.write_json(out));
    }
}

impl ToJson for BatchReport {
    fn write_json(&self, out: &mut String) {
        write_object(out, |o| self.members(o));
    }
}

impl FromJson for BucketInfo {
    fn from_json(v: &Value) -> Result<Self, ShapeError> {
        Ok(BucketInfo {
            id: v.str_at("id")?.to_owned(),
            private: v.bool_at("private")?,
            size: v.u64_at("size")?,
            total_files: v.u64_at("totalFiles")?,
            created_at: timestamp_at(v, "createdAt")?,
            updated_at: opt_timestamp_at(v, "updatedAt")?,
            author: v.opt_string_at("author")?,
            region: v.opt_string_at("region")?,
        })
    }
}

impl FromJson for FileEntry {
    fn from_json(v: &Value) -> Result<Self, ShapeError> {
        Ok(FileEntry {
            path: v.str_at("path")?.to_owned(),
            size: v.u64_at("size")?,
            xet_hash: xet_hash_of(v.str_at("xetHash")?)?,
            mtime: opt_timestamp_at(v, "mtime")?,
            uploaded_at: opt_timestamp_at(v, "uploadedAt")?,
            content_type: v.opt_string_at("contentType")?,
        })
    }
}

impl FromJson for DirectoryEntry {
    fn from_json(v: &Value) -> Result<Self, ShapeError> {
        Ok(DirectoryEntry {
            path: v.str_at("path")?.to_owned(),
            uploaded_at: opt_timestamp_at(v, "uploadedAt")?,
        })
    }
}

impl FromJson for WireEntry {
    fn from_json(v: &Value) -> Result<Self, ShapeError> {
        Ok(match v.str_at("type")? {
            "file" => WireEntry::File(FileEntry::from_json(v)?),
            "directory" => WireEntry::Directory(DirectoryEntry::from_json(v)?),
            _ => WireEntry::Unknown,
        })
    }
}

impl FromJson for TreeEntry {
    fn from_json(v: &Value) -> Result<Self, ShapeError> {
        WireEntry::from_json(v)?.known().ok_or_else(|| {
            ShapeError(format!(
                "unknown entry type {:?}",
                v.get("type").and_then(Value::as_str).unwrap_or_default()
            ))
        })
    }
}

impl FromJson for RepoEntry {
    fn from_json(v: &Value) -> Result<Self, ShapeError> {
        Ok(RepoEntry {
            kind: v.str_at("type")?.to_owned(),
            path: v.str_at("path")?.to_owned(),
            size: v.opt_u64_at("size")?,
            xet_hash: v
                .opt_field("xetHash")?
                .map(|h| xet_hash_of(h.to_str("xetHash")?))
                .transpose()?,
        })
    }
}

impl FromJson for CreateBucketResponse {
    fn from_json(v: &Value) -> Result<Self, ShapeError> {
        Ok(CreateBucketResponse {
            url: v.opt_string_at("url")?,
            name: v.opt_string_at("name")?,
        })
    }
}

impl FromJson for XetToken {
    fn from_json(v: &Value) -> Result<Self, ShapeError> {
        Ok(XetToken {
            access_token: v.str_at("accessToken")?.to_owned(),
            exp: v.u64_at("exp")?,
            cas_url: v.str_at("casUrl")?.to_owned(),
        })
    }
}

impl FromJson for BatchFailure {
    fn from_json(v: &Value) -> Result<Self, ShapeError> {
        Ok(BatchFailure {
            path: v.str_at("path")?.to_owned(),
            error: v.opt_string_at("error")?.unwrap_or_default(),
        })
    }
}

impl FromJson for BatchResponse {
    fn from_json(v: &Value) -> Result<Self, ShapeError> {
        Ok(BatchResponse {
            processed: v.opt_u64_at("processed")?,
            succeeded: v.opt_u64_at("succeeded")?,
            failed: v
                .opt_field("failed")?
                .map(Vec::<BatchFailure>::from_json)
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01T00:00:00.5Z"), Some(500));
        assert_eq!(
            parse_timestamp("2026-02-17T14:29:03.512Z"),
            Some(1_771_338_543_512)
        );
        assert_eq!(
            parse_timestamp("2026-02-17T14:29:03.512345Z"),
            Some(1_771_338_543_512)
        );
        for bad in [
            "",
            "2026-02-17T14:29:03+00:00",
            "2026-02-17 14:29:03Z",
            "2026-13-17T14:29:03Z",
            "2026-02-17T14:29:03.Z",
            "2026-02-17T14:29:03xZ",
            "２０２６-02-17T14:29:03Z",
            "2026-02-17T14:29:0Z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn tree_entries() {
        let page: Vec<TreeEntry> = from_json_bytes(
            r#"[{"type":"file","path":"README.md","size":14,"xetHash":"9C1B0C2B3F8A6E1D4C7A2B5E8F0A3C6D9E2B5A8C1F4D7E0A3B6C9D2E5F8A1B4C",
                 "mtime":"2026-02-17T14:29:03.512Z","uploadedAt":"2026-02-17T14:29:05.000Z","contentType":"text/markdown","extra":1},
                {"type":"directory","path":"data","uploadedAt":"2026-02-17T14:31:40.000Z"},
                {"type":"file","path":"a","size":0,"xetHash":"0000000000000000000000000000000000000000000000000000000000000000","mtime":null}]"#
                .as_bytes(),
        )
        .unwrap();
        let TreeEntry::File(f) = &page[0] else {
            panic!()
        };
        assert_eq!(
            f.xet_hash,
            "9c1b0c2b3f8a6e1d4c7a2b5e8f0a3c6d9e2b5a8c1f4d7e0a3b6c9d2e5f8a1b4c"
        );
        assert_eq!(f.mtime, Some(1_771_338_543_512));
        assert_eq!(page[1].path(), "data");
        let out = serde_json::from_str::<serde_json::Value>(&page[1].to_json()).unwrap();
        assert_eq!(
            out,
            serde_json::json!({"type":"directory","path":"data","uploadedAt":1_771_338_700_000i64})
        );
        let out = serde_json::from_str::<serde_json::Value>(&page[2].to_json()).unwrap();
        assert_eq!(out["type"], "file");
        assert!(out.get("mtime").is_none());
        for bad in [
            r#"[{"type":"file","path":"a","size":1,"xetHash":"zz"}]"#,
            r#"[{"type":"file","path":"a","xetHash":"0000000000000000000000000000000000000000000000000000000000000000"}]"#,
            r#"[{"type":"symlink","path":"a"}]"#,
            r#"[{"type":"file","path":"a","size":-1,"xetHash":"0000000000000000000000000000000000000000000000000000000000000000"}]"#,
        ] {
            assert!(
                from_json_bytes::<Vec<TreeEntry>>(bad.as_bytes()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn bucket_info_camel_case() {
        let b: BucketInfo = from_json_bytes(
            r#"{"id":"alice/ckpts","private":true,"createdAt":"2026-02-12T17:42:12.000Z","updatedAt":"2026-03-01T09:00:00.000Z",
                "size":73400320,"totalFiles":42,"author":"alice","repoType":"bucket","cdnRegions":[]}"#
                .as_bytes(),
        )
        .unwrap();
        let v = serde_json::from_str::<serde_json::Value>(&b.to_json()).unwrap();
        assert_eq!(v["totalFiles"], 42);
        assert_eq!(v["createdAt"], 1_770_918_132_000i64);
        assert!(from_json_bytes::<BucketInfo>(br#"{"id":"a/b"}"#).is_err());
    }

    #[test]
    fn batch_lines_serialize_exactly() {
        let h = "4df9f7d0359a41bb7c33868341842357bcfeaa1eb1784e99cde009d36ca0de45".to_string();
        let lines = [
            BatchLine::Add {
                path: "a b.bin".into(),
                xet_hash: h.clone(),
                mtime: Some(1_767_225_600_123),
                content_type: None,
            },
            BatchLine::Copy {
                path: "ref/base".into(),
                xet_hash: h.clone(),
                source_type: RepoType::Model,
                source_id: "acme/base".into(),
                mtime: None,
                content_type: Some("text/plain".into()),
            },
            BatchLine::Delete {
                path: "old\"q".into(),
            },
        ];
        let text: Vec<String> = lines.iter().map(ToJson::to_json).collect();
        assert_eq!(
            text[0],
            format!(
                r#"{{"type":"addFile","path":"a b.bin","xetHash":"{h}","mtime":1767225600123}}"#
            )
        );
        assert_eq!(
            text[1],
            format!(
                r#"{{"type":"copyFile","path":"ref/base","xetHash":"{h}","sourceRepoType":"model","sourceRepoId":"acme/base","contentType":"text/plain"}}"#
            )
        );
        assert_eq!(text[2], r#"{"type":"deleteFile","path":"old\"q"}"#);
    }

    #[test]
    fn xet_token_debug_redacts() {
        let t: XetToken =
            from_json_bytes(br#"{"accessToken":"secret","exp":1,"casUrl":"http://c"}"#).unwrap();
        assert!(!format!("{t:?}").contains("secret"));
    }
}
