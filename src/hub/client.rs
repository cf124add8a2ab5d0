//! [`HubClient`]: every bucket operation, over an [`HttpClient`] with retries (flows 0–7).
//!
//! Each operation validates its input first (nothing is sent for invalid input), builds the
//! request with [`Api`], sends it through [`retry::send`] and parses the answer into the types of
//! [`super::types`]. Listings return a pager ([`Pager`] / [`TreeListing`]) that fetches one page
//! per call. Any occurrence of the Hub token in a server message is redacted.

use std::rc::Rc;

use super::api::{Api, CreateBucketOptions};
use super::paginate::Pager;
use super::types::{
    from_json_bytes, BatchFailure, BatchLine, BatchReport, BatchResponse, BucketInfo,
    CreateBucketResponse, CreatedBucket, FileEntry, FileMetadata, FromJson, RepoEntry, TreeEntry,
    WireEntry, XetToken,
};
use super::uri::{HfUri, RepoType};
use super::validate::{
    in_prefix, normalize_prefix, validate_name, validate_path, BucketId, ValidationError,
};
use super::HubError;
use crate::error::{Error, ErrorKind};
use crate::transport::retry::{self, RetryPolicy};
use crate::transport::{Cancel, HttpClient, Method, Request, Response, StatusError};
use xet::json::Value;

/// Most lines (and paths-info paths) per request (§7.2, §9.1).
pub const MAX_LINES_PER_REQUEST: usize = 1000;
/// The redirect statuses a metadata `HEAD` reads its headers from when it does not follow them.
const REDIRECTS: [u16; 5] = [301, 302, 303, 307, 308];
/// Largest JSON answer read whole (bucket info, paths-info of 1000 paths, batch report).
const MAX_JSON_BYTES: usize = 16 * 1024 * 1024;

/// The Hub client: endpoint + token ([`Api`]), transport and retry policy.
pub struct HubClient {
    http: Rc<dyn HttpClient>,
    api: Api,
    retry: RetryPolicy,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient")
            .field("api", &self.api)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl HubClient {
    /// A client over `http`.
    pub fn new(http: Rc<dyn HttpClient>, api: Api, retry: RetryPolicy) -> HubClient {
        HubClient { http, api, retry }
    }

    /// The request builder (endpoint, token).
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// The transport.
    pub fn http(&self) -> &Rc<dyn HttpClient> {
        &self.http
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Sends with retries; statuses in `accept` come back as responses, other errors as
    /// [`Error::Hub`] with the token scrubbed from the server's message.
    pub async fn send(
        &self,
        request: Request,
        cancel: &Cancel,
        accept: &[u16],
    ) -> Result<Response, Error> {
        retry::send(&*self.http, &self.retry, request, cancel, accept)
            .await
            .map_err(|e| self.scrub(e.into()))
    }

    /// Sends once, without retries, waiting at most `timeout_ms` for the response headers;
    /// an error status is an [`Error::Hub`] (token scrubbed). For callers with their own
    /// reconnect policy (the change feed).
    pub async fn send_once(
        &self,
        request: Request,
        cancel: &Cancel,
        timeout_ms: u64,
    ) -> Result<Response, Error> {
        let policy = RetryPolicy {
            timeout_ms: Some(timeout_ms),
            ..RetryPolicy::none()
        };
        retry::attempt(&*self.http, &policy, request, cancel, &[])
            .await
            .map_err(|e| self.scrub(e.into()))
    }

    fn scrub(&self, e: Error) -> Error {
        match self.api.token() {
            Some(token) => e.redact(token),
            None => e,
        }
    }

    async fn json<T: FromJson>(&self, request: Request, cancel: &Cancel) -> Result<T, Error> {
        let (url, body) = self.json_body(request, cancel).await?;
        read_json(&url, &body)
    }

    /// The whole answer to `request`, with its URL: the part of [`HubClient::json`] that does
    /// not depend on the type read, so there is one state machine for all JSON calls.
    async fn json_body(
        &self,
        request: Request,
        cancel: &Cancel,
    ) -> Result<(String, crate::transport::Bytes), Error> {
        let url = request.url.clone();
        let resp = self.send(request, cancel, &[]).await?;
        Ok((url, resp.bytes_limited(MAX_JSON_BYTES).await?))
    }

    /// `whoami-v2`: the user behind the token (`{type, name, fullname, orgs: [...], auth, …}`).
    pub async fn whoami(&self, cancel: &Cancel) -> Result<Value, Error> {
        let req = self.api.whoami();
        let url = req.url.clone();
        let v: Value = self.json(req, cancel).await?;
        if v.get("name").and_then(|n| n.as_str()).is_none() {
            return Err(Error::invalid_response(&url, "whoami answer has no `name`"));
        }
        Ok(v)
    }

    /// Creates a bucket. `name` is `name` (then `namespace`, default: the token's user) or
    /// `namespace/name`. With `exist_ok`, an existing bucket is not an error (§6.2).
    pub async fn create_bucket(
        &self,
        name: &str,
        namespace: Option<&str>,
        options: &CreateBucketOptions,
        exist_ok: bool,
        cancel: &Cancel,
    ) -> Result<CreatedBucket, Error> {
        let (ns, bare) = match name.split_once('/') {
            Some(_) => {
                let id: BucketId = name.parse()?;
                if let Some(n) = namespace.filter(|n| *n != id.namespace()) {
                    return Err(ValidationError::new(
                        "namespace",
                        n,
                        format!("differs from the one in {name:?}"),
                    )
                    .into());
                }
                (id.namespace().to_string(), id.name().to_string())
            }
            None => {
                validate_name("bucket name", name)?;
                let ns = namespace.unwrap_or("me");
                validate_name("namespace", ns)?;
                (ns.to_string(), name.to_string())
            }
        };
        if let Some(r) = &options.region {
            validate_name("region", r)?;
        }
        let req = self.api.create_bucket(&ns, &bare, options);
        let url = req.url.clone();
        let resp = match self.send(req, cancel, &[409]).await {
            Ok(r) => r,
            Err(e)
                if exist_ok
                    && matches!(e.kind(), ErrorKind::Auth | ErrorKind::Forbidden)
                    && ns != "me" =>
            {
                // Python's exist_ok: no right to create, but the bucket may already be there.
                let id = BucketId::new(&ns, &bare)?;
                return match self.bucket_info(&id, cancel).await {
                    Ok(_) => Ok(self.created(id, None, false)),
                    Err(_) => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        if resp.status == 409 {
            if !exist_ok {
                let status = StatusError::read(Method::Post, resp, self.http.now_ms()).await;
                return Err(self.scrub(HubError::from(status).into()));
            }
            let body: CreateBucketResponse = parse_json(&url, resp).await.unwrap_or_default();
            let id = match self.id_from_create(&body, &ns, &bare) {
                Some(id) => id,
                None => self.my_bucket(&bare, cancel).await?,
            };
            return Ok(self.created(id, body.url, false));
        }
        let body: CreateBucketResponse = parse_json(&url, resp).await?;
        let id = match self.id_from_create(&body, &ns, &bare) {
            Some(id) => id,
            None if ns == "me" => self.my_bucket(&bare, cancel).await?,
            None => BucketId::new(&ns, &bare)?,
        };
        Ok(self.created(id, body.url, true))
    }

    fn created(&self, id: BucketId, url: Option<String>, created: bool) -> CreatedBucket {
        let url = url.unwrap_or_else(|| format!("{}/buckets/{id}", self.api.endpoint()));
        CreatedBucket {
            handle: format!("hf://buckets/{id}"),
            bucket_id: id.to_string(),
            url,
            created,
        }
    }

    /// The bucket id in a create answer: from `url` (`…/buckets/ns/name`), else `name`, else
    /// the explicit namespace.
    fn id_from_create(
        &self,
        body: &CreateBucketResponse,
        ns: &str,
        name: &str,
    ) -> Option<BucketId> {
        let from_url = body.url.as_deref().and_then(|u| {
            let rest = &u[u.rfind("/buckets/")? + "/buckets/".len()..];
            rest.trim_end_matches('/').parse::<BucketId>().ok()
        });
        from_url
            .or_else(|| body.name.as_deref().and_then(|n| n.parse().ok()))
            .filter(|id: &BucketId| id.name() == name && (ns == "me" || id.namespace() == ns))
            .or_else(|| {
                if ns == "me" {
                    None
                } else {
                    BucketId::new(ns, name).ok()
                }
            })
    }

    async fn my_bucket(&self, name: &str, cancel: &Cancel) -> Result<BucketId, Error> {
        let me = self.whoami(cancel).await?;
        let user = me.get("name").and_then(|n| n.as_str()).unwrap_or_default();
        Ok(BucketId::new(user, name)?)
    }

    /// Deletes a bucket (irreversible). With `missing_ok`, a 404 is not an error. Returns
    /// whether a bucket was deleted.
    pub async fn delete_bucket(
        &self,
        id: &BucketId,
        missing_ok: bool,
        cancel: &Cancel,
    ) -> Result<bool, Error> {
        match self.send(self.api.delete_bucket(id), cancel, &[]).await {
            Ok(_) => Ok(true),
            Err(e) if missing_ok && e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Bucket metadata (§6.3).
    pub async fn bucket_info(&self, id: &BucketId, cancel: &Cancel) -> Result<BucketInfo, Error> {
        self.json(self.api.bucket_info(id), cancel).await
    }

    /// A pager over the buckets of `namespace` (default: the token's user), filtered by `search`,
    /// `limit` per page (the Hub's default when `None`). Pages are `Vec<BucketInfo>`.
    pub fn list_buckets(
        &self,
        namespace: Option<&str>,
        search: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Pager, Error> {
        let ns = namespace.unwrap_or("me");
        validate_name("namespace", ns)?;
        if limit == Some(0) {
            return Err(ValidationError::new("limit", "0", "must be at least 1").into());
        }
        Ok(Pager::new(self.api.list_buckets(ns, search, limit)))
    }

    /// A pager over a bucket's files (and, non-recursive, folders) under `prefix`, keeping only
    /// entries at or below the prefix as a folder (the server matches it as a plain string).
    pub fn list_tree(
        &self,
        id: &BucketId,
        prefix: &str,
        recursive: bool,
        limit: Option<u32>,
    ) -> Result<TreeListing, Error> {
        let prefix = normalize_prefix("prefix", prefix)?.to_string();
        if limit == Some(0) {
            return Err(ValidationError::new("limit", "0", "must be at least 1").into());
        }
        Ok(TreeListing {
            pager: Pager::new(self.api.tree(id, &prefix, recursive, limit)),
            prefix,
        })
    }

    /// Files among `paths` (missing ones and folders are left out), in requests of ≤ 1000 paths.
    pub async fn paths_info(
        &self,
        id: &BucketId,
        paths: &[String],
        cancel: &Cancel,
    ) -> Result<Vec<FileEntry>, Error> {
        for p in paths {
            validate_path("path", p)?;
        }
        let mut out = Vec::new();
        for chunk in paths.chunks(MAX_LINES_PER_REQUEST) {
            let entries: Vec<WireEntry> = self.json(self.api.paths_info(id, chunk), cancel).await?;
            out.extend(entries.into_iter().filter_map(|e| match e {
                WireEntry::File(f) => Some(f),
                WireEntry::Directory(_) | WireEntry::Unknown => None,
            }));
        }
        Ok(out)
    }

    /// The entry of the file at `path` (checked); a `404 EntryNotFound` [`HubError`] when the
    /// bucket has no such file.
    pub async fn file_entry(
        &self,
        id: &BucketId,
        path: &str,
        cancel: &Cancel,
    ) -> Result<FileEntry, Error> {
        validate_path("path", path)?;
        let entries = self.paths_info(id, &[path.to_string()], cancel).await?;
        entries.into_iter().find(|e| e.path == path).ok_or_else(|| {
            Error::from(HubError {
                status: 404,
                code: Some("EntryNotFound".into()),
                message: format!("{path} does not exist in bucket {id}"),
                request_id: None,
                retry_after_ms: None,
                method: "POST",
                url: String::new(),
            })
        })
    }

    /// Whether the bucket has a file at `path` (checked), asked with paths-info. A missing bucket
    /// is `false` as well (`404`, or `401 RepoNotFound` without a token): the Python client's
    /// `file_exists` answers `False` for a missing repo, and a reader without access cannot tell
    /// a missing bucket from a hidden one. Every other failure is an error.
    pub async fn file_exists(
        &self,
        id: &BucketId,
        path: &str,
        cancel: &Cancel,
    ) -> Result<bool, Error> {
        match self.file_entry(id, path, cancel).await {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) if e.status() == Some(401) && e.code() == Some("RepoNotFound") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The metadata of the file at `path` (checked) from a `HEAD` on its `resolve` URL
    /// (workflows §5.1). A missing file is a `404 EntryNotFound` [`HubError`], a missing bucket a
    /// `404 RepoNotFound` one (read from `X-Error-Code`, a HEAD has no body). Redirects: see
    /// [`Api::file_head`]; from a 3xx, the headers of that 3xx are read (no `Content-Length`).
    pub async fn file_metadata(
        &self,
        id: &BucketId,
        path: &str,
        cancel: &Cancel,
    ) -> Result<FileMetadata, Error> {
        validate_path("path", path)?;
        let request = self.api.file_head(id, path);
        let url = request.url.clone();
        let resp = self.send(request, cancel, &REDIRECTS).await?;
        let header = |name: &str| {
            resp.header(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
        };
        let redirect = (300..400).contains(&resp.status);
        let size = header("x-linked-size")
            .or_else(|| header("content-length").filter(|_| !redirect))
            .ok_or_else(|| Error::invalid_response(&url, "the answer gives no file size"))?;
        let size = size.parse::<u64>().map_err(|_| {
            Error::invalid_response(&url, format!("file size {size:?} is not a number"))
        })?;
        let xet_hash = header("x-xet-hash")
            .filter(|h| super::types::is_xet_hash(h))
            .ok_or_else(|| {
                Error::invalid_response(&url, "the answer has no valid X-Xet-Hash header")
            })?
            .to_ascii_lowercase();
        Ok(FileMetadata {
            size,
            xet_hash,
            etag: header("x-linked-etag").or_else(|| header("etag")),
            last_modified: header("last-modified")
                .and_then(|d| crate::transport::parse_http_date(&d))
                .and_then(|ms| i64::try_from(ms).ok()),
            content_type: header("content-type"),
        })
    }

    /// Changes a bucket's visibility (`PUT …/settings`, workflows §5.2); any 2xx is success and
    /// its body is ignored.
    pub async fn update_bucket_settings(
        &self,
        id: &BucketId,
        private: bool,
        cancel: &Cancel,
    ) -> Result<(), Error> {
        self.send(self.api.update_settings(id, private), cancel, &[])
            .await
            .map(|_| ())
    }

    /// Renames a bucket or moves it to another namespace (§6.7).
    pub async fn move_bucket(
        &self,
        from: &BucketId,
        to: &BucketId,
        cancel: &Cancel,
    ) -> Result<(), Error> {
        if from == to {
            return Err(
                ValidationError::new("toId", &to.to_string(), "is the same as fromId").into(),
            );
        }
        self.send(self.api.move_bucket(from, to), cancel, &[])
            .await
            .map(|_| ())
    }

    /// A Xet CAS token for the bucket (§8). `write` for uploads.
    pub async fn xet_token(
        &self,
        id: &BucketId,
        write: bool,
        cancel: &Cancel,
    ) -> Result<XetToken, Error> {
        let req = self.api.xet_token(id, write);
        let url = req.url.clone();
        let token: XetToken = self.json(req, cancel).await?;
        if super::api::origin_of(&token.cas_url).is_none() {
            return Err(Error::invalid_response(
                &url,
                "casUrl is not an absolute http(s) URL",
            ));
        }
        Ok(token)
    }

    /// Applies add/copy/delete lines (§9): checked, ordered adds → copies → deletes, sent in
    /// requests of ≤ 1000 lines. Per-line failures (in a 422 or a 200 body) are reported; after
    /// a request with failures the rest is not sent (so deletes never follow a failed add) and is
    /// listed in `skipped`. Whole-request errors are returned as errors (earlier requests of the
    /// call have taken effect: batches are not transactions).
    pub async fn batch(
        &self,
        id: &BucketId,
        mut lines: Vec<BatchLine>,
        cancel: &Cancel,
    ) -> Result<BatchReport, Error> {
        check_lines(&lines)?;
        lines.sort_by_key(BatchLine::rank);
        let mut report = BatchReport {
            success: true,
            ..BatchReport::default()
        };
        let mut sent = 0usize;
        for chunk in lines.chunks(MAX_LINES_PER_REQUEST) {
            let req = self.api.batch(id, chunk)?;
            let url = req.url.clone();
            let resp = self.send(req, cancel, &[422]).await?;
            let status = resp.status;
            let code = resp.header("x-error-code").map(String::from);
            let request_id = resp.header("x-request-id").map(String::from);
            let body = resp.bytes_limited(MAX_JSON_BYTES).await?;
            let parsed: Option<BatchResponse> = if body.iter().all(u8::is_ascii_whitespace) {
                None
            } else {
                from_json_bytes(&body).ok()
            };
            let answer = match (status, parsed) {
                (422, Some(a)) => a,
                (422, None) => {
                    let message = super::error::message_from_body(&body, "").unwrap_or_default();
                    return Err(Error::from(HubError {
                        status,
                        code,
                        message: self.api.scrub(&message),
                        request_id,
                        retry_after_ms: None,
                        method: "POST",
                        url: crate::transport::redact_url(&url),
                    }));
                }
                (_, Some(a)) => a,
                (_, None) if body.iter().all(u8::is_ascii_whitespace) => BatchResponse::default(),
                (_, None) => return Err(Error::invalid_response(&url, "batch answer is not JSON")),
            };
            let failed_here = answer.failed.len();
            let n = chunk.len() as u64;
            report.processed += answer.processed.unwrap_or(n);
            report.succeeded += answer
                .succeeded
                .unwrap_or(n.saturating_sub(failed_here as u64));
            report
                .failed
                .extend(answer.failed.into_iter().map(|f| BatchFailure {
                    error: self.api.scrub(&f.error),
                    path: f.path,
                }));
            sent += chunk.len();
            if failed_here > 0 || status == 422 {
                break;
            }
        }
        let rest = lines.get(sent..).unwrap_or_default();
        report.skipped.extend(rest.iter().map(|l| BatchFailure {
            path: l.path().to_string(),
            error: format!(
                "{} not sent: an earlier request of this batch had failures",
                l.wire_type()
            ),
        }));
        report.success = report.failed.is_empty() && report.skipped.is_empty();
        Ok(report)
    }

    /// Works out a copy (flow 5) without changing anything: the `copyFile` lines, and the repo
    /// files that have no `xetHash`. Destination rules are the official Python client's: a
    /// trailing `/` on the source copies the folder's contents; without it the folder is nested
    /// into a destination folder that already exists; a destination that names no existing file
    /// is a folder when it exists as one or ends with `/`. `.gitattributes` files are left out.
    /// [`Error::NotFound`] when the source matches no file.
    pub async fn plan_copy(
        &self,
        source: &HfUri,
        destination: &HfUri,
        cancel: &Cancel,
    ) -> Result<CopyPlan, Error> {
        let Some(dest_id) = destination.bucket_id() else {
            return Err(ValidationError::new(
                "destination",
                &destination.to_string(),
                "must be a bucket (hf://buckets/…): copying into a model, dataset or space needs a commit",
            )
            .into());
        };
        let dest = self.copy_destination(&dest_id, destination, cancel).await?;
        let now = self.http.now_ms() as i64;
        let merge = source.trailing_slash;
        let mut lines = Vec::new();
        let mut git_files = Vec::new();
        if let Some(src_id) = source.bucket_id() {
            let single = if source.path.is_empty() {
                None
            } else {
                self.paths_info(&src_id, std::slice::from_ref(&source.path), cancel)
                    .await?
                    .into_iter()
                    .next()
            };
            let mut push = |f: FileEntry, target: String| {
                lines.push(BatchLine::Copy {
                    path: target,
                    xet_hash: f.xet_hash,
                    source_type: RepoType::Bucket,
                    source_id: src_id.to_string(),
                    mtime: Some(now),
                    content_type: f.content_type,
                });
            };
            if let Some(f) = single {
                let target = dest.target(&f.path, None, true, merge)?;
                push(f, target);
            } else {
                let root = Some(source.path.as_str()).filter(|p| !p.is_empty());
                let mut listing = self.list_tree(&src_id, &source.path, true, None)?;
                while let Some(page) = listing.next_page(self, cancel).await? {
                    for entry in page {
                        if let TreeEntry::File(f) = entry {
                            let target = dest.target(&f.path, root, false, merge)?;
                            push(f, target);
                        }
                    }
                }
            }
        } else {
            let rev = source.revision.as_deref().unwrap_or("main");
            let mut files: Vec<(RepoEntry, String)> = Vec::new();
            let single = if source.path.is_empty() {
                None
            } else {
                let req = self.api.repo_paths_info(
                    source.repo_type,
                    &source.id,
                    rev,
                    std::slice::from_ref(&source.path),
                );
                let entries: Vec<RepoEntry> = self.json(req, cancel).await?;
                match entries.as_slice() {
                    [one] if one.kind == "file" => entries.into_iter().next(),
                    _ => None,
                }
            };
            if let Some(f) = single {
                let target = dest.target(&f.path, None, true, merge)?;
                files.push((f, target));
            } else {
                let root = Some(source.path.as_str()).filter(|p| !p.is_empty());
                let mut pager = Pager::new(self.api.repo_tree(
                    source.repo_type,
                    &source.id,
                    rev,
                    &source.path,
                    true,
                ));
                while let Some(page) = pager.next_page::<RepoEntry>(self, cancel).await? {
                    for e in page {
                        let under = root
                            .is_none_or(|r| e.path == r || e.path.starts_with(&format!("{r}/")));
                        if e.kind == "file" && under {
                            let target = dest.target(&e.path, root, false, merge)?;
                            files.push((e, target));
                        }
                    }
                }
            }
            for (f, target) in files {
                if f.path.rsplit('/').next() == Some(".gitattributes") {
                    continue;
                }
                match f.xet_hash {
                    Some(hash) => lines.push(BatchLine::Copy {
                        path: target,
                        xet_hash: hash,
                        source_type: source.repo_type,
                        source_id: source.id.clone(),
                        mtime: Some(now),
                        content_type: None,
                    }),
                    None => git_files.push(GitFile {
                        source_path: f.path,
                        target,
                        size: f.size,
                    }),
                }
            }
        }
        if lines.is_empty() && git_files.is_empty() {
            return Err(Error::NotFound {
                message: format!("no file found at {source}"),
            });
        }
        Ok(CopyPlan {
            destination: dest_id,
            lines,
            git_files,
        })
    }

    /// The bytes of a repo file (`GET {endpoint}/{type}s/{id}/resolve/{rev}/{path}`), at most
    /// `max_bytes` (used to re-upload small git-stored files that cannot be copied by hash).
    pub async fn download_repo_file(
        &self,
        source: &HfUri,
        path: &str,
        max_bytes: usize,
        cancel: &Cancel,
    ) -> Result<crate::transport::Bytes, Error> {
        validate_path("path", path)?;
        let rev = source.revision.as_deref().unwrap_or("main");
        let url = self
            .api
            .repo_resolve_url(source.repo_type, &source.id, rev, path);
        let resp = self
            .send(
                self.api.request(Method::Get, url).whole_answer(max_bytes),
                cancel,
                &[],
            )
            .await?;
        Ok(resp.bytes_limited(max_bytes).await?)
    }

    /// Whether the destination names a folder, and whether that folder exists (§ flow 5 step 2).
    async fn copy_destination(
        &self,
        id: &BucketId,
        destination: &HfUri,
        cancel: &Cancel,
    ) -> Result<CopyDestination, Error> {
        let path = destination.path.clone();
        if path.is_empty() {
            return Ok(CopyDestination {
                path,
                is_dir: true,
                exists_as_dir: true,
            });
        }
        if !self
            .paths_info(id, std::slice::from_ref(&path), cancel)
            .await?
            .is_empty()
        {
            return Ok(CopyDestination {
                path,
                is_dir: false,
                exists_as_dir: false,
            });
        }
        let mut listing = self.list_tree(id, &path, false, None)?;
        let mut exists = false;
        while let Some(page) = listing.next_page(self, cancel).await? {
            if !page.is_empty() {
                exists = true;
                break;
            }
        }
        Ok(CopyDestination {
            path,
            is_dir: exists || destination.trailing_slash,
            exists_as_dir: exists,
        })
    }
}

/// Reads a whole JSON answer.
async fn parse_json<T: FromJson>(url: &str, resp: Response) -> Result<T, Error> {
    let body = resp.bytes_limited(MAX_JSON_BYTES).await?;
    read_json(url, &body)
}

/// Reads the JSON answer `body` of `url` as a `T`.
fn read_json<T: FromJson>(url: &str, body: &[u8]) -> Result<T, Error> {
    from_json_bytes(body).map_err(|e| Error::invalid_response(url, format!("unexpected JSON: {e}")))
}

/// Checks batch lines before anything is sent.
fn check_lines(lines: &[BatchLine]) -> Result<(), Error> {
    use std::collections::HashSet;
    let mut written: HashSet<&str> = HashSet::new();
    let mut deleted: HashSet<&str> = HashSet::new();
    for line in lines {
        validate_path("path", line.path())?;
        match line {
            BatchLine::Add { xet_hash, .. } | BatchLine::Copy { xet_hash, .. } => {
                ValidationError::check_hash("xetHash", xet_hash)?;
                if let BatchLine::Copy { source_id, .. } = line {
                    let mut parts = source_id.split('/');
                    match (parts.next(), parts.next(), parts.next()) {
                        (Some(ns), Some(name), None) => {
                            validate_name("namespace", ns)?;
                            validate_name("name", name)?;
                        }
                        _ => {
                            return Err(ValidationError::new(
                                "sourceId",
                                source_id,
                                "must be 'namespace/name'",
                            )
                            .into())
                        }
                    }
                }
                written.insert(line.path());
            }
            BatchLine::Delete { path } => {
                deleted.insert(path);
            }
        }
    }
    if let Some(p) = written.intersection(&deleted).next() {
        return Err(
            ValidationError::new("path", p, "is both written and deleted in one batch").into(),
        );
    }
    Ok(())
}

/// What a copy will do (see [`HubClient::plan_copy`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPlan {
    /// The destination bucket.
    pub destination: BucketId,
    /// `copyFile` lines (server-side, by hash).
    pub lines: Vec<BatchLine>,
    /// Repo files without a `xetHash`: their bytes must be downloaded and uploaded again.
    pub git_files: Vec<GitFile>,
}

/// A repo file stored in git (no `xetHash`) that a copy needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitFile {
    /// Path in the source repo.
    pub source_path: String,
    /// Destination path in the bucket.
    pub target: String,
    /// Size, when the listing gave it.
    pub size: Option<u64>,
}

struct CopyDestination {
    path: String,
    is_dir: bool,
    exists_as_dir: bool,
}

impl CopyDestination {
    /// Where `src_file` lands (the Python client's `_resolve_copy_target_path` rules).
    fn target(
        &self,
        src_file: &str,
        src_root: Option<&str>,
        single: bool,
        merge: bool,
    ) -> Result<String, Error> {
        let base = src_file.rsplit('/').next().unwrap_or(src_file);
        let dest = self.path.as_str();
        let joined = |rel: &str| {
            if dest.is_empty() {
                rel.to_string()
            } else {
                format!("{dest}/{rel}")
            }
        };
        let target = if single {
            if dest.is_empty() {
                base.to_string()
            } else if self.is_dir {
                format!("{dest}/{base}")
            } else {
                dest.to_string()
            }
        } else {
            let rel = match src_root {
                None => src_file.to_string(),
                Some(root) => match src_file
                    .strip_prefix(root)
                    .and_then(|r| r.strip_prefix('/'))
                {
                    Some(r) => r.to_string(),
                    None if src_file == root => base.to_string(),
                    None => {
                        return Err(Error::invalid_response(
                            "",
                            format!("listing of {root:?} returned {src_file:?}"),
                        ));
                    }
                },
            };
            match src_root {
                Some(root) if self.exists_as_dir && !merge => {
                    let root_base = root.rsplit('/').next().unwrap_or(root);
                    joined(&format!("{root_base}/{rel}"))
                }
                _ => joined(&rel),
            }
        };
        validate_path("destination path", &target)?;
        Ok(target)
    }
}

/// A tree listing: pages of entries at or below the prefix.
pub struct TreeListing {
    pager: Pager,
    prefix: String,
}

impl TreeListing {
    /// The next page (possibly empty after filtering), or `None` at the end.
    pub async fn next_page(
        &mut self,
        hub: &HubClient,
        cancel: &Cancel,
    ) -> Result<Option<Vec<TreeEntry>>, Error> {
        let Some(page) = self.pager.next_page::<WireEntry>(hub, cancel).await? else {
            return Ok(None);
        };
        let mut page: Vec<TreeEntry> = page.into_iter().filter_map(WireEntry::known).collect();
        if !self.prefix.is_empty() {
            page.retain(|e| in_prefix(e.path(), &self.prefix));
        }
        Ok(Some(page))
    }

    /// Whether the last page was fetched.
    pub fn is_done(&self) -> bool {
        self.pager.is_done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::retry::tests::Scripted;

    fn hub(t: &Rc<Scripted>) -> HubClient {
        let api = Api::new("http://hub", Some("hf_tok".into())).unwrap();
        HubClient::new(
            t.clone(),
            api,
            RetryPolicy {
                max_retries: 2,
                ..RetryPolicy::default()
            },
        )
    }
    fn id() -> BucketId {
        "alice/b".parse().unwrap()
    }
    const H: &str = "0000000000000000000000000000000000000000000000000000000000000000";
    fn file(p: &str) -> String {
        format!(
            r#"{{"type":"file","path":"{p}","size":0,"xetHash":"{H}","uploadedAt":"2026-01-01T00:00:00.000Z"}}"#
        )
    }

    #[tokio::test(flavor = "current_thread")]
    async fn file_metadata_reads_head_headers() {
        let t = Scripted::new();
        let hash = "AB".repeat(32);
        t.push(
            200,
            &[
                ("x-linked-size", "12"),
                ("content-length", "99"),
                ("x-xet-hash", &hash),
                ("etag", "\"e\""),
                ("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ("content-type", "text/plain"),
            ],
            "",
        );
        let h = hub(&t);
        let c = Cancel::new();
        let m = h.file_metadata(&id(), "d/a b", &c).await.unwrap();
        assert_eq!(
            m,
            FileMetadata {
                size: 12,
                xet_hash: hash.to_ascii_lowercase(),
                etag: Some("\"e\"".into()),
                last_modified: Some(784_111_777_000),
                content_type: Some("text/plain".into()),
            }
        );
        let seen = t.seen.borrow_mut().remove(0);
        assert_eq!(seen.method, Method::Head);
        assert_eq!(seen.url, "http://hub/buckets/alice/b/resolve/d/a%20b");
        assert_eq!(seen.header_value("accept-encoding"), Some("identity"));

        // Content-Length counts only on a non-redirect answer; a 3xx's headers are read.
        t.push(200, &[("content-length", "5"), ("x-xet-hash", H)], "");
        assert_eq!(h.file_metadata(&id(), "a", &c).await.unwrap().size, 5);
        t.push(302, &[("content-length", "5"), ("x-xet-hash", H)], "");
        let e = h.file_metadata(&id(), "a", &c).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
        t.push(302, &[("x-linked-size", "7"), ("x-xet-hash", H)], "");
        assert_eq!(h.file_metadata(&id(), "a", &c).await.unwrap().size, 7);
        t.push(200, &[("content-length", "5"), ("x-xet-hash", "zz")], "");
        let e = h.file_metadata(&id(), "a", &c).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");

        for code in ["EntryNotFound", "RepoNotFound"] {
            t.push(404, &[("x-error-code", code)], "");
            let e = h.file_metadata(&id(), "a", &c).await.unwrap_err();
            assert_eq!((e.kind(), e.code()), (ErrorKind::NotFound, Some(code)));
        }
        t.seen.borrow_mut().clear();
        assert!(h.file_metadata(&id(), "../a", &c).await.is_err());
        assert!(t.seen.borrow().is_empty());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn file_exists_and_settings() {
        let t = Scripted::new();
        let h = hub(&t);
        let c = Cancel::new();
        t.push(200, &[], &format!("[{}]", file("a")));
        assert!(h.file_exists(&id(), "a", &c).await.unwrap());
        t.push(200, &[], r#"[{"type":"directory","path":"a"}]"#);
        assert!(!h.file_exists(&id(), "a", &c).await.unwrap());
        t.push(404, &[("x-error-code", "RepoNotFound")], "");
        assert!(!h.file_exists(&id(), "a", &c).await.unwrap());
        t.push(401, &[("x-error-code", "RepoNotFound")], "");
        assert!(!h.file_exists(&id(), "a", &c).await.unwrap());
        t.push(401, &[], "bad token");
        assert_eq!(
            h.file_exists(&id(), "a", &c).await.unwrap_err().kind(),
            ErrorKind::Auth
        );
        t.push(403, &[], "");
        assert!(h.file_exists(&id(), "a", &c).await.is_err());

        t.seen.borrow_mut().clear();
        t.push(200, &[], "{}");
        h.update_bucket_settings(&id(), false, &c).await.unwrap();
        let r = t.seen.borrow_mut().remove(0);
        assert_eq!(
            (r.method, r.url.as_str()),
            (Method::Put, "http://hub/api/buckets/alice/b/settings")
        );
        assert_eq!(r.body.as_deref(), Some(&br#"{"private":false}"#[..]));
        t.push(404, &[("x-error-code", "RepoNotFound")], "");
        let e = h.update_bucket_settings(&id(), true, &c).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn listings_skip_unknown_types_and_follow_canonical_links() {
        let t = Scripted::new();
        let h = hub(&t);
        let c = Cancel::new();
        t.push(
            200,
            &[(
                "link",
                "<https://huggingface.co/api/buckets/alice/b/tree?cursor=2>; rel=\"next\"",
            )],
            &format!(
                r#"[{}, {{"type":"symlink","path":"l","target":{{"x":1}}}}, {}]"#,
                file("a"),
                file("b")
            ),
        );
        t.push(200, &[], r#"[{"type":"submodule","path":"s"}]"#);
        let mut listing = h.list_tree(&id(), "", true, None).unwrap();
        let first = listing.next_page(&h, &c).await.unwrap().unwrap();
        let paths: Vec<&str> = first.iter().map(TreeEntry::path).collect();
        assert_eq!(paths, ["a", "b"]);
        assert!(listing.next_page(&h, &c).await.unwrap().unwrap().is_empty());
        assert!(listing.next_page(&h, &c).await.unwrap().is_none());
        {
            let seen = t.seen.borrow();
            assert_eq!(seen[1].url, "http://hub/api/buckets/alice/b/tree?cursor=2");
            assert_eq!(seen[1].header_value("authorization"), Some("Bearer hf_tok"));
        }

        t.push(
            200,
            &[(
                "link",
                "<https://evil.example/api/x?cursor=2>; rel=\"next\"",
            )],
            &format!("[{}]", file("a")),
        );
        let mut listing = h.list_tree(&id(), "", true, None).unwrap();
        assert_eq!(listing.next_page(&h, &c).await.unwrap().unwrap().len(), 1);
        let e = listing.next_page(&h, &c).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        assert!(!e.to_string().contains("cursor"), "{e}");
        assert_eq!(t.seen.borrow().len(), 3);

        t.push(
            200,
            &[],
            &format!(r#"[{}, {{"type":"symlink","path":"x"}}]"#, file("a")),
        );
        assert_eq!(
            h.paths_info(&id(), &["a".into()], &c).await.unwrap().len(),
            1
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn invalid_input_sends_nothing() {
        let t = Scripted::new();
        let h = hub(&t);
        let c = Cancel::new();
        assert!(h
            .create_bucket("bad name", None, &Default::default(), false, &c)
            .await
            .is_err());
        assert!(h
            .create_bucket("a/b/c", None, &Default::default(), false, &c)
            .await
            .is_err());
        assert!(h
            .create_bucket("x/b", Some("y"), &Default::default(), false, &c)
            .await
            .is_err());
        assert!(h.paths_info(&id(), &["../x".into()], &c).await.is_err());
        assert!(h.list_tree(&id(), "/abs", true, None).is_err());
        assert!(h.list_buckets(Some("a b"), None, None).is_err());
        assert!(h.list_buckets(None, None, Some(0)).is_err());
        let bad = vec![BatchLine::Add {
            path: "a".into(),
            xet_hash: "zz".into(),
            mtime: None,
            content_type: None,
        }];
        assert_eq!(
            h.batch(&id(), bad, &c).await.unwrap_err().kind(),
            ErrorKind::Validation
        );
        let both = vec![
            BatchLine::Add {
                path: "a".into(),
                xet_hash: H.into(),
                mtime: None,
                content_type: None,
            },
            BatchLine::Delete { path: "a".into() },
        ];
        assert!(h.batch(&id(), both, &c).await.is_err());
        assert!(t.seen.borrow().is_empty());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn create_me_resolves_namespace_and_exist_ok() {
        let t = Scripted::new();
        t.push(
            200,
            &[],
            r#"{"url":"http://hub/buckets/alice/b","id":"x","name":"alice/b"}"#,
        );
        let h = hub(&t);
        let c = Cancel::new();
        let made = h
            .create_bucket("b", None, &Default::default(), false, &c)
            .await
            .unwrap();
        assert_eq!(
            (made.bucket_id.as_str(), made.handle.as_str(), made.created),
            ("alice/b", "hf://buckets/alice/b", true)
        );
        assert_eq!(t.seen.borrow()[0].url, "http://hub/api/buckets/me/b");

        t.push(
            409,
            &[],
            r#"{"error":"exists","url":"http://hub/buckets/alice/b"}"#,
        );
        let made = h
            .create_bucket("b", None, &Default::default(), true, &c)
            .await
            .unwrap();
        assert_eq!((made.bucket_id.as_str(), made.created), ("alice/b", false));

        t.push(
            409,
            &[("x-error-code", "RepoExists")],
            r#"{"error":"exists"}"#,
        );
        let e = h
            .create_bucket("b", None, &Default::default(), false, &c)
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::Conflict, Some("RepoExists"))
        );

        // 409 without url under `me`: whoami resolves the user.
        t.push(409, &[], "{}");
        t.push(200, &[], r#"{"type":"user","name":"alice"}"#);
        let made = h
            .create_bucket("b", None, &Default::default(), true, &c)
            .await
            .unwrap();
        assert_eq!(made.bucket_id, "alice/b");
    }

    /// A server that echoes the request's token in its error body (a 409 on create, a 403, a 500
    /// after retries): the message keeps the server's words, never the token.
    #[tokio::test(flavor = "current_thread")]
    async fn errors_never_carry_the_hub_token() {
        let t = Scripted::new();
        let h = hub(&t);
        let c = Cancel::new();
        let echo = r#"{"error":"conflict for Bearer hf_tok"}"#;
        t.push(409, &[("x-error-message", "token hf_tok in use")], echo);
        let e = h
            .create_bucket("b", None, &Default::default(), false, &c)
            .await
            .unwrap_err();
        for status in [403, 500, 500, 500] {
            t.push(status, &[], echo);
        }
        let e2 = h.bucket_info(&id(), &c).await.unwrap_err();
        let e3 = h.bucket_info(&id(), &c).await.unwrap_err();
        for e in [e, e2, e3] {
            let shown = format!("{e} {e:?}");
            assert!(shown.contains("conflict for Bearer <redacted>"), "{shown}");
            assert!(!shown.contains("hf_tok"), "{shown}");
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn delete_missing_ok_only_404() {
        let t = Scripted::new();
        let h = hub(&t);
        let c = Cancel::new();
        t.push(404, &[("x-error-code", "RepoNotFound")], "{}");
        assert!(!h.delete_bucket(&id(), true, &c).await.unwrap());
        t.push(403, &[], "{}");
        assert_eq!(
            h.delete_bucket(&id(), true, &c).await.unwrap_err().kind(),
            ErrorKind::Forbidden
        );
        t.push(404, &[], "{}");
        assert_eq!(
            h.delete_bucket(&id(), false, &c).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn tree_pages_follow_links_and_filter_prefix() {
        let t = Scripted::new();
        let h = hub(&t);
        let c = Cancel::new();
        let next =
            "<http://hub/api/buckets/alice/b/tree/logs?recursive=true&cursor=abc>; rel=\"next\"";
        t.push(
            200,
            &[("link", next)],
            &format!("[{},{}]", file("logs/a"), file("logs.txt")),
        );
        t.push(
            200,
            &[],
            &format!("[{},{}]", file("logs/b/c"), file("logs_old/x")),
        );
        let mut l = h.list_tree(&id(), "logs/", true, None).unwrap();
        let p1: Vec<String> = l
            .next_page(&h, &c)
            .await
            .unwrap()
            .unwrap()
            .iter()
            .map(|e| e.path().to_string())
            .collect();
        assert_eq!(p1, ["logs/a"]);
        assert!(!l.is_done());
        let p2: Vec<String> = l
            .next_page(&h, &c)
            .await
            .unwrap()
            .unwrap()
            .iter()
            .map(|e| e.path().to_string())
            .collect();
        assert_eq!(p2, ["logs/b/c"]);
        assert!(l.next_page(&h, &c).await.unwrap().is_none());
        let seen = t.seen.borrow();
        assert_eq!(
            seen[0].url,
            "http://hub/api/buckets/alice/b/tree/logs?recursive=true"
        );
        assert_eq!(
            seen[1].url,
            "http://hub/api/buckets/alice/b/tree/logs?recursive=true&cursor=abc"
        );
        assert_eq!(seen[1].header_value("authorization"), Some("Bearer hf_tok"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn paths_info_batches_by_1000() {
        let t = Scripted::new();
        let h = hub(&t);
        let paths: Vec<String> = (0..2001).map(|i| format!("f{i}")).collect();
        t.push(200, &[], &format!("[{}]", file("f0")));
        t.push(200, &[], "[]");
        t.push(200, &[], &format!("[{}]", file("f2000")));
        let got = h.paths_info(&id(), &paths, &Cancel::new()).await.unwrap();
        assert_eq!(
            got.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            ["f0", "f2000"]
        );
        let seen = t.seen.borrow();
        let sizes: Vec<usize> = seen
            .iter()
            .map(|r| {
                serde_json::from_slice::<serde_json::Value>(r.body.as_deref().unwrap()).unwrap()
                    ["paths"]
                    .as_array()
                    .unwrap()
                    .len()
            })
            .collect();
        assert_eq!(sizes, [1000, 1000, 1]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn batch_orders_chunks_and_stops_after_failures() {
        let t = Scripted::new();
        let h = hub(&t);
        let mut lines: Vec<BatchLine> = (0..1500)
            .map(|i| BatchLine::Delete {
                path: format!("d{i}"),
            })
            .collect();
        lines.extend((0..600).map(|i| BatchLine::Add {
            path: format!("a{i}"),
            xet_hash: H.into(),
            mtime: None,
            content_type: None,
        }));
        t.push(
            200,
            &[],
            r#"{"success":true,"processed":1000,"succeeded":1000,"failed":[]}"#,
        );
        t.push(422, &[], r#"{"success":false,"processed":1000,"succeeded":999,"failed":[{"path":"d450","error":"nope"}]}"#);
        let r = h.batch(&id(), lines, &Cancel::new()).await.unwrap();
        assert!(!r.success);
        assert_eq!((r.processed, r.succeeded), (2000, 1999));
        assert_eq!(
            r.failed,
            [BatchFailure {
                path: "d450".into(),
                error: "nope".into()
            }]
        );
        assert_eq!(r.skipped.len(), 100);
        assert!(r.skipped[0].error.starts_with("deleteFile not sent"));
        let seen = t.seen.borrow();
        assert_eq!(seen.len(), 2);
        let first = std::str::from_utf8(seen[0].body.as_deref().unwrap()).unwrap();
        let kinds: Vec<&str> = first
            .lines()
            .map(|l| if l.contains("addFile") { "a" } else { "d" })
            .collect();
        assert_eq!(kinds.iter().filter(|k| **k == "a").count(), 600);
        assert!(kinds[..600].iter().all(|k| *k == "a"), "adds first");
        assert!(first.ends_with('\n'));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn batch_failures_in_a_200_body_count() {
        let t = Scripted::new();
        let h = hub(&t);
        t.push(200, &[], r#"{"success":false,"processed":1,"succeeded":0,"failed":[{"path":"x","error":"bad hf_tok"}]}"#);
        let r = h
            .batch(
                &id(),
                vec![BatchLine::Delete { path: "x".into() }],
                &Cancel::new(),
            )
            .await
            .unwrap();
        assert!(!r.success);
        assert_eq!(r.failed[0].error, "bad <redacted>");
    }

    fn dest(path: &str, is_dir: bool, exists_as_dir: bool) -> CopyDestination {
        CopyDestination {
            path: path.into(),
            is_dir,
            exists_as_dir,
        }
    }

    #[test]
    fn copy_targets_match_python_rules() {
        // single file
        assert_eq!(
            dest("", true, true)
                .target("m/w.bin", None, true, false)
                .unwrap(),
            "w.bin"
        );
        assert_eq!(
            dest("bk", true, false)
                .target("m/w.bin", None, true, false)
                .unwrap(),
            "bk/w.bin"
        );
        assert_eq!(
            dest("bk/x.bin", false, false)
                .target("m/w.bin", None, true, false)
                .unwrap(),
            "bk/x.bin"
        );
        // folder, destination exists as a folder: nest unless merging (trailing slash)
        assert_eq!(
            dest("bk", true, true)
                .target("models/a/b", Some("models"), false, false)
                .unwrap(),
            "bk/models/a/b"
        );
        assert_eq!(
            dest("bk", true, true)
                .target("models/a/b", Some("models"), false, true)
                .unwrap(),
            "bk/a/b"
        );
        // folder, destination missing: rename semantics
        assert_eq!(
            dest("bk", true, false)
                .target("models/a/b", Some("models"), false, false)
                .unwrap(),
            "bk/a/b"
        );
        // whole bucket into root
        assert_eq!(
            dest("", true, true)
                .target("x/y", None, false, false)
                .unwrap(),
            "x/y"
        );
        assert_eq!(
            dest("", true, true)
                .target("d/e/x", Some("d/e"), false, false)
                .unwrap(),
            "e/x"
        );
        assert!(dest("", true, true)
            .target("other/x", Some("d"), false, false)
            .is_err());
    }
}
