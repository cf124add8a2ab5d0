//! Request builders for every Hub route the client uses (buckets spec §0), without I/O.
//!
//! [`Api`] knows the endpoint and the token and turns checked arguments into
//! [`Request`](crate::transport::Request)s: method, absolute URL (path segments
//! percent-encoded), headers (`Authorization` only when a token is set) and body. Whether a
//! request may be replayed is set here, per route (§4.3): paths-info and batch are marked
//! retry-safe; create and move are not.
//!
//! ```
//! use hf_buckets::hub::{Api, BucketId};
//! let api = Api::new("https://huggingface.co/", Some("hf_x".into())).unwrap();
//! let id: BucketId = "alice/ckpts".parse().unwrap();
//! let req = api.tree(&id, "run 1", false, None);
//! assert_eq!(req.url, "https://huggingface.co/api/buckets/alice/ckpts/tree/run%201?recursive=false");
//! ```

use percent_encoding::utf8_percent_encode;

use super::types::{BatchLine, ToJson};
use super::uri::{RepoType, PATH, SEGMENT};
use super::validate::{BucketId, ValidationError};
use crate::error::Error;
use crate::transport::redirect::{same_origin, Redirects};
use crate::transport::{Method, Request};
use xet::json::{write_object, ObjectWriter};

/// The Hub's own origins (workflows §5.1): a token for one of them may go to the others.
pub const HUB_ORIGINS: [&str; 3] = [
    "https://huggingface.co",
    "https://hub-ci.huggingface.co",
    "https://hf.co",
];

/// The hosts whose URLs a proxy or mirror passes through unchanged, rewritten to the endpoint.
/// Most bytes of a Hub answer read whole (a listing page is the largest: see `paginate`).
pub(crate) const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

const CANONICAL_ORIGINS: [&str; 2] = ["https://huggingface.co", "https://hub-ci.huggingface.co"];

/// The Hub endpoint and credentials; builds requests.
#[derive(Clone)]
pub struct Api {
    endpoint: String,
    origin: String,
    token: Option<String>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("endpoint", &self.endpoint)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

pub(crate) use crate::transport::origin_of;

fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

fn path(s: &str) -> String {
    utf8_percent_encode(s, PATH).to_string()
}

impl Api {
    /// `endpoint` must be an absolute `http(s)://` URL (a trailing `/` is ignored). The token, if
    /// any, must be printable ASCII without spaces; it is never shown in errors.
    pub fn new(endpoint: &str, token: Option<String>) -> Result<Api, ValidationError> {
        let endpoint = endpoint.trim_end_matches('/').to_string();
        let origin = origin_of(&endpoint)
            .ok_or_else(|| {
                ValidationError::new(
                    "endpoint",
                    &endpoint,
                    "must be an absolute http:// or https:// URL",
                )
            })?
            .to_string();
        if endpoint.contains(['?', '#'])
            || endpoint
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ValidationError::new(
                "endpoint",
                &endpoint,
                "must not contain a query, fragment or spaces",
            ));
        }
        let token = token.filter(|t| !t.is_empty());
        if let Some(t) = &token {
            if !t.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
                return Err(ValidationError::new(
                    "accessToken",
                    "<redacted>",
                    "must be printable ASCII without spaces",
                ));
            }
        }
        Ok(Api {
            endpoint,
            origin,
            token,
        })
    }

    /// The endpoint, without a trailing `/`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Whether a token is set.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The Hub token, for redacting it from errors ([`crate::error::Error::redact`]).
    pub(crate) fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Replaces any occurrence of the token in `text` (defence in depth for error messages).
    pub fn scrub(&self, text: &str) -> String {
        match &self.token {
            Some(t) if text.contains(t.as_str()) => text.replace(t.as_str(), "<redacted>"),
            _ => text.to_string(),
        }
    }

    /// A request to `url` with the Hub headers (`Authorization` when a token is set). Its
    /// answer is read whole (JSON, at most [`MAX_ANSWER_BYTES`]), which lets the transport take
    /// a cheaper path; [`Api::events`] streams instead.
    pub fn request(&self, method: Method, url: String) -> Request {
        let req = Request::new(method, url)
            .header("accept", "application/json")
            .whole_answer(MAX_ANSWER_BYTES);
        match &self.token {
            Some(t) => req.header("authorization", format!("Bearer {t}")),
            None => req,
        }
    }

    /// A request with the JSON object that `members` writes as its body.
    fn json(
        &self,
        method: Method,
        url: String,
        members: impl FnOnce(&mut ObjectWriter<'_>),
    ) -> Request {
        let mut body = String::new();
        write_object(&mut body, members);
        self.request(method, url)
            .body("application/json", body.into_bytes())
    }

    /// `GET /api/whoami-v2`.
    pub fn whoami(&self) -> Request {
        self.request(Method::Get, format!("{}/api/whoami-v2", self.endpoint))
    }

    /// `POST /api/buckets/{namespace or me}/{name}` with `{private?, region?, resourceGroupId?}`.
    pub fn create_bucket(
        &self,
        namespace: &str,
        name: &str,
        options: &CreateBucketOptions,
    ) -> Request {
        let url = format!(
            "{}/api/buckets/{}/{}",
            self.endpoint,
            seg(namespace),
            seg(name)
        );
        self.json(Method::Post, url, |o| {
            if let Some(p) = options.private {
                o.bool("private", p);
            }
            o.opt_str("region", options.region.as_deref())
                .opt_str("resourceGroupId", options.resource_group_id.as_deref());
        })
        .retry_safe(false)
    }

    /// `GET /api/buckets/{id}`.
    pub fn bucket_info(&self, id: &BucketId) -> Request {
        self.request(Method::Get, self.bucket_url(id, ""))
    }

    /// `GET /api/buckets/{id}/events[?cursor=…|?since=…]` with `Accept: text/event-stream`
    /// (buckets-workflows §6.1); `resume` is `("cursor", c)` or `("since", iso)`.
    pub fn events(&self, id: &BucketId, resume: Option<(&str, &str)>) -> Request {
        let mut url = self.bucket_url(id, "/events");
        if let Some((key, value)) = resume {
            url.push('?');
            url.push_str(key);
            url.push('=');
            url.push_str(&seg(value));
        }
        let mut req = self.request(Method::Get, url);
        req.whole_answer = None; // an endless stream of events
        req.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("accept"));
        req.header("accept", "text/event-stream")
    }

    /// `DELETE /api/buckets/{id}`.
    pub fn delete_bucket(&self, id: &BucketId) -> Request {
        self.request(Method::Delete, self.bucket_url(id, ""))
    }

    /// `PUT /api/buckets/{id}/settings` with `{"private": …}` (the only field the official client
    /// sends, workflows §5.2).
    pub fn update_settings(&self, id: &BucketId, private: bool) -> Request {
        self.json(Method::Put, self.bucket_url(id, "/settings"), |o| {
            o.bool("private", private);
        })
    }

    /// `HEAD {endpoint}/buckets/{id}/resolve/{path}` with `Accept-Encoding: identity` (workflows
    /// §5.1: `Content-Length` is the file's size only for an unencoded answer). Redirects are
    /// followed to the endpoint's origin and, when the endpoint is one of the Hub's own origins,
    /// to the others ([`HUB_ORIGINS`]); a redirect elsewhere (a CDN) is answered by the 3xx itself.
    pub fn file_head(&self, id: &BucketId, file: &str) -> Request {
        let hub_origins: &'static [&'static str] = if self.is_hub() { &HUB_ORIGINS } else { &[] };
        self.request(Method::Head, self.resolve_url(id, file))
            .header("accept-encoding", "identity")
            .redirects(Redirects::Metadata(hub_origins))
    }

    /// Whether `url` may receive this client's token: the endpoint's origin, or, when the endpoint
    /// is one of the Hub's own origins, any of them ([`HUB_ORIGINS`]).
    pub fn is_trusted(&self, url: &str) -> bool {
        let Some(origin) = origin_of(url) else {
            return false;
        };
        same_origin(origin, &self.origin)
            || (self.is_hub() && HUB_ORIGINS.iter().any(|h| same_origin(h, origin)))
    }

    /// Whether the endpoint is one of the Hub's own origins.
    fn is_hub(&self) -> bool {
        HUB_ORIGINS.iter().any(|h| same_origin(h, &self.origin))
    }

    /// `GET /api/buckets/{namespace or me}[?search=][&limit=]`.
    pub fn list_buckets(
        &self,
        namespace: &str,
        search: Option<&str>,
        limit: Option<u32>,
    ) -> Request {
        let mut url = format!("{}/api/buckets/{}", self.endpoint, seg(namespace));
        let mut sep = '?';
        if let Some(s) = search.filter(|s| !s.is_empty()) {
            url.push(sep);
            url.push_str("search=");
            url.push_str(&seg(s));
            sep = '&';
        }
        if let Some(l) = limit {
            url.push(sep);
            url.push_str(&format!("limit={l}"));
        }
        self.request(Method::Get, url)
    }

    /// `POST /api/repos/move` with `{fromRepo, toRepo, type: "bucket"}`.
    pub fn move_bucket(&self, from: &BucketId, to: &BucketId) -> Request {
        self.json(
            Method::Post,
            format!("{}/api/repos/move", self.endpoint),
            |o| {
                o.str("fromRepo", &from.to_string())
                    .str("toRepo", &to.to_string())
                    .str("type", "bucket");
            },
        )
        .retry_safe(false)
    }

    /// `GET /api/buckets/{id}/tree[/{prefix}]?recursive=…[&limit=…]` (prefix already checked).
    pub fn tree(
        &self,
        id: &BucketId,
        prefix: &str,
        recursive: bool,
        limit: Option<u32>,
    ) -> Request {
        let mut url = self.bucket_url(id, "/tree");
        if !prefix.is_empty() {
            url.push('/');
            url.push_str(&path(prefix));
        }
        url.push_str(if recursive {
            "?recursive=true"
        } else {
            "?recursive=false"
        });
        if let Some(l) = limit {
            url.push_str(&format!("&limit={l}"));
        }
        self.request(Method::Get, url)
    }

    /// `POST /api/buckets/{id}/paths-info` with `{paths}` (≤ 1000 paths; retry-safe).
    pub fn paths_info(&self, id: &BucketId, paths: &[String]) -> Request {
        self.json(Method::Post, self.bucket_url(id, "/paths-info"), |o| {
            o.raw("paths", |out| paths.write_json(out));
        })
        .retry_safe(true)
    }

    /// `POST /api/buckets/{id}/batch`, NDJSON, one line per operation, final newline (retry-safe:
    /// adds, copies and deletes of the same lines are idempotent, §9.3).
    pub fn batch(&self, id: &BucketId, lines: &[BatchLine]) -> Result<Request, Error> {
        let mut body = String::with_capacity(lines.len() * 160);
        for line in lines {
            line.write_json(&mut body);
            body.push('\n');
        }
        Ok(self
            .request(Method::Post, self.bucket_url(id, "/batch"))
            .body("application/x-ndjson", body.into_bytes())
            .retry_safe(true))
    }

    /// `GET /api/buckets/{id}/xet-write-token` or `…/xet-read-token`.
    pub fn xet_token(&self, id: &BucketId, write: bool) -> Request {
        let route = if write {
            "/xet-write-token"
        } else {
            "/xet-read-token"
        };
        self.request(Method::Get, self.bucket_url(id, route))
    }

    /// `GET /api/{type}s/{id}/tree/{revision}[/{path}]?recursive=…&expand=false` (repos, §14).
    pub fn repo_tree(
        &self,
        repo_type: RepoType,
        id: &str,
        revision: &str,
        prefix: &str,
        recursive: bool,
    ) -> Request {
        let mut url = format!(
            "{}/api/{}/{}/tree/{}",
            self.endpoint,
            repo_type.plural(),
            path(id),
            seg(revision)
        );
        if !prefix.is_empty() {
            url.push('/');
            url.push_str(&path(prefix));
        }
        url.push_str(if recursive {
            "?recursive=true&expand=false"
        } else {
            "?recursive=false&expand=false"
        });
        self.request(Method::Get, url)
    }

    /// `POST /api/{type}s/{id}/paths-info/{revision}` with JSON `{paths, expand: false}`.
    pub fn repo_paths_info(
        &self,
        repo_type: RepoType,
        id: &str,
        revision: &str,
        paths: &[String],
    ) -> Request {
        let url = format!(
            "{}/api/{}/{}/paths-info/{}",
            self.endpoint,
            repo_type.plural(),
            path(id),
            seg(revision)
        );
        self.json(Method::Post, url, |o| {
            o.raw("paths", |out| paths.write_json(out))
                .bool("expand", false);
        })
        .retry_safe(true)
    }

    /// `{endpoint}/buckets/{id}/resolve/{path}` (file content route, no `/api`).
    pub fn resolve_url(&self, id: &BucketId, file: &str) -> String {
        format!(
            "{}/buckets/{}/{}/resolve/{}",
            self.endpoint,
            seg(id.namespace()),
            seg(id.name()),
            path(file)
        )
    }

    /// `{endpoint}/[{type}s/]{id}/resolve/{revision}/{path}` (repo file content, §14; models have
    /// no type prefix).
    pub fn repo_resolve_url(
        &self,
        repo_type: RepoType,
        id: &str,
        revision: &str,
        file: &str,
    ) -> String {
        let prefix = match repo_type {
            RepoType::Model => String::new(),
            t => format!("{}/", t.plural()),
        };
        format!(
            "{}/{prefix}{}/resolve/{}/{}",
            self.endpoint,
            path(id),
            seg(revision),
            path(file)
        )
    }

    /// A GET of a pagination `Link` (§5). A relative link is resolved against the endpoint. A
    /// link to the Hub's canonical host (`https://huggingface.co`, or the CI host) is rewritten
    /// to the endpoint when the endpoint is another host (a proxy or mirror that passes the Hub's
    /// own links through), as the Python client does with `fix_hf_endpoint_in_url`. Then only a
    /// link the token may go to ([`Api::is_trusted`]) is followed; any other origin is an
    /// [`Error::InvalidResponse`] and nothing is sent there.
    pub fn next_page(&self, link: &str) -> Result<Request, Error> {
        let url = if link.starts_with('/') && !link.starts_with("//") {
            format!("{}{link}", self.origin)
        } else {
            self.canonical_to_endpoint(link)
        };
        match self.is_trusted(&url) {
            true => Ok(self.request(Method::Get, url)),
            false => Err(Error::invalid_response(
                &self.endpoint,
                format!(
                    "pagination link to another origin refused: {}",
                    crate::transport::redact_url(&url)
                ),
            )),
        }
    }

    /// `url` with a leading canonical Hub origin ([`CANONICAL_ORIGINS`]) replaced by the endpoint,
    /// unless the endpoint is one of the Hub's own origins.
    fn canonical_to_endpoint(&self, url: &str) -> String {
        if self.is_hub() {
            return url.to_string();
        }
        for canonical in CANONICAL_ORIGINS {
            let Some(head) = url.get(..canonical.len()) else {
                continue;
            };
            let rest = &url[canonical.len()..];
            if head.eq_ignore_ascii_case(canonical)
                && (rest.is_empty() || rest.starts_with(['/', '?', '#']))
            {
                return format!("{}{rest}", self.endpoint);
            }
        }
        url.to_string()
    }

    fn bucket_url(&self, id: &BucketId, route: &str) -> String {
        format!(
            "{}/api/buckets/{}/{}{route}",
            self.endpoint,
            seg(id.namespace()),
            seg(id.name())
        )
    }
}

/// Options of a create-bucket call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateBucketOptions {
    /// Visibility (`None`: the namespace default).
    pub private: Option<bool>,
    /// Storage region (`us`, `eu`; plan-gated).
    pub region: Option<String>,
    /// Enterprise resource group.
    pub resource_group_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Api {
        Api::new("http://127.0.0.1:9/", Some("hf_secret".into())).unwrap()
    }
    fn id() -> BucketId {
        "alice/ckpts".parse().unwrap()
    }

    #[test]
    fn endpoint_and_token_checks() {
        assert!(Api::new("huggingface.co", None).is_err());
        assert!(Api::new("ftp://x", None).is_err());
        assert!(Api::new("https://", None).is_err());
        assert!(Api::new("https://h/x?y", None).is_err());
        let e = Api::new("https://h", Some("hf_ x".into())).unwrap_err();
        assert!(!e.to_string().contains("hf_ x"), "{e}");
        assert!(!Api::new("https://h", Some(String::new()))
            .unwrap()
            .has_token());
        assert_eq!(
            Api::new("https://h/sub/", None).unwrap().endpoint(),
            "https://h/sub"
        );
    }

    #[test]
    fn routes() {
        let a = api();
        let r = a.whoami();
        assert_eq!(
            (r.method, r.url.as_str()),
            (Method::Get, "http://127.0.0.1:9/api/whoami-v2")
        );
        assert_eq!(r.header_value("Authorization"), Some("Bearer hf_secret"));
        let anon = Api::new("http://h", None).unwrap();
        assert_eq!(anon.whoami().header_value("authorization"), None);

        let r = a.create_bucket(
            "me",
            "b",
            &CreateBucketOptions {
                private: Some(true),
                ..Default::default()
            },
        );
        assert_eq!(r.url, "http://127.0.0.1:9/api/buckets/me/b");
        assert_eq!(r.body.as_deref(), Some(&br#"{"private":true}"#[..]));
        assert!(!r.retry_safe);
        let r = a.create_bucket("me", "b", &CreateBucketOptions::default());
        assert_eq!(r.body.as_deref(), Some(&b"{}"[..]));

        assert_eq!(
            a.list_buckets("me", Some("a b&c"), None).url,
            "http://127.0.0.1:9/api/buckets/me?search=a%20b%26c"
        );
        assert_eq!(
            a.list_buckets("org", Some("x"), Some(2)).url,
            "http://127.0.0.1:9/api/buckets/org?search=x&limit=2"
        );
        assert_eq!(
            a.list_buckets("org", None, Some(2)).url,
            "http://127.0.0.1:9/api/buckets/org?limit=2"
        );
        assert_eq!(a.delete_bucket(&id()).method, Method::Delete);
        let r = a.move_bucket(&id(), &"acme/x".parse().unwrap());
        assert_eq!(r.url, "http://127.0.0.1:9/api/repos/move");
        let body: serde_json::Value = serde_json::from_slice(r.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"fromRepo":"alice/ckpts","toRepo":"acme/x","type":"bucket"})
        );

        assert_eq!(
            a.tree(&id(), "", true, Some(10)).url,
            "http://127.0.0.1:9/api/buckets/alice/ckpts/tree?recursive=true&limit=10"
        );
        assert_eq!(
            a.tree(&id(), "a/b#c", true, None).url,
            "http://127.0.0.1:9/api/buckets/alice/ckpts/tree/a/b%23c?recursive=true"
        );
        let r = a.paths_info(&id(), &["x".into()]);
        assert!(r.retry_safe);
        assert_eq!(r.header_value("content-type"), Some("application/json"));
        assert_eq!(
            a.repo_tree(RepoType::Dataset, "acme/ds", "refs/pr/1", "data", true).url,
            "http://127.0.0.1:9/api/datasets/acme/ds/tree/refs%2Fpr%2F1/data?recursive=true&expand=false"
        );
        assert_eq!(
            a.repo_paths_info(RepoType::Model, "acme/m", "main", &[])
                .url,
            "http://127.0.0.1:9/api/models/acme/m/paths-info/main"
        );
        assert_eq!(
            a.xet_token(&id(), true).url,
            "http://127.0.0.1:9/api/buckets/alice/ckpts/xet-write-token"
        );
        assert_eq!(
            a.repo_resolve_url(RepoType::Dataset, "acme/ds", "refs/pr/2", "d/x y.md"),
            "http://127.0.0.1:9/datasets/acme/ds/resolve/refs%2Fpr%2F2/d/x%20y.md"
        );
        assert_eq!(
            a.repo_resolve_url(RepoType::Model, "acme/m", "main", "c.json"),
            "http://127.0.0.1:9/acme/m/resolve/main/c.json"
        );
        assert_eq!(
            a.resolve_url(&id(), "d/a b"),
            "http://127.0.0.1:9/buckets/alice/ckpts/resolve/d/a%20b"
        );
    }

    #[test]
    fn batch_body_is_ndjson() {
        let lines = vec![
            BatchLine::Delete { path: "a".into() },
            BatchLine::Delete { path: "b".into() },
        ];
        let r = api().batch(&id(), &lines).unwrap();
        assert_eq!(r.header_value("content-type"), Some("application/x-ndjson"));
        assert_eq!(
            std::str::from_utf8(r.body.as_deref().unwrap()).unwrap(),
            "{\"type\":\"deleteFile\",\"path\":\"a\"}\n{\"type\":\"deleteFile\",\"path\":\"b\"}\n"
        );
        assert!(r.retry_safe);
    }

    #[test]
    fn next_page_rewrites_canonical_host_for_other_endpoints() {
        let proxy = Api::new("http://127.0.0.1:9/hf", Some("hf_secret".into())).unwrap();
        for (link, url) in [
            (
                "https://huggingface.co/api/buckets/a/b/tree?cursor=x",
                "http://127.0.0.1:9/hf/api/buckets/a/b/tree?cursor=x",
            ),
            (
                "https://HUB-CI.huggingface.co/api/x",
                "http://127.0.0.1:9/hf/api/x",
            ),
        ] {
            assert_eq!(proxy.next_page(link).unwrap().url, url, "{link}");
        }
        for bad in [
            "https://huggingface.co.evil/api/x",
            "https://huggingface.co@evil/api/x",
            "https://hf.co/api/x",
            "http://huggingface.co/api/x",
        ] {
            assert!(proxy.next_page(bad).is_err(), "{bad}");
        }
        // On the Hub itself, links stay as they are and its own origins are trusted.
        let hub = Api::new("https://huggingface.co", Some("hf_secret".into())).unwrap();
        for link in ["https://hf.co/api/x", "https://hub-ci.huggingface.co/api/x"] {
            assert_eq!(hub.next_page(link).unwrap().url, link);
        }
        assert!(hub.next_page("https://evil/api/x").is_err());
        assert!(
            hub.is_trusted("https://huggingface.co/x")
                && !hub.is_trusted("http://huggingface.co/x")
        );
        assert!(!proxy.is_trusted("https://huggingface.co/x"));
    }

    #[test]
    fn settings_and_head_requests() {
        let r = api().update_settings(&id(), true);
        assert_eq!(
            (r.method, r.url.as_str()),
            (
                Method::Put,
                "http://127.0.0.1:9/api/buckets/alice/ckpts/settings"
            )
        );
        assert_eq!(r.body.as_deref(), Some(&br#"{"private":true}"#[..]));
        let r = api().file_head(&id(), "a/b c#");
        assert_eq!(r.method, Method::Head);
        assert_eq!(
            r.url,
            "http://127.0.0.1:9/buckets/alice/ckpts/resolve/a/b%20c%23"
        );
    }

    #[test]
    fn next_page_same_origin_only() {
        let a = api();
        assert_eq!(
            a.next_page("http://127.0.0.1:9/api/x?cursor=1")
                .unwrap()
                .url,
            "http://127.0.0.1:9/api/x?cursor=1"
        );
        assert_eq!(
            a.next_page("/api/x?cursor=1").unwrap().url,
            "http://127.0.0.1:9/api/x?cursor=1"
        );
        for bad in [
            "http://evil/api/x",
            "//evil/x",
            "http://127.0.0.1:99/api",
            "https://127.0.0.1:9/api",
            "garbage",
        ] {
            let e = a.next_page(bad).unwrap_err();
            assert!(!format!("{e}").contains("hf_secret"));
        }
    }
}
