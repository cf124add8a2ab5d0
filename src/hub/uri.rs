//! `hf://` URIs (buckets spec §13): parse and format, the same grammar as the official Python
//! client's `parse_hf_uri`.
//!
//! ```text
//! hf://[<TYPE>/]<NAMESPACE>/<NAME>[@<REVISION>][/<PATH>]     TYPE := models|datasets|spaces|kernels|buckets
//! ```
//! No type prefix means a model. Buckets take no `@revision`. For repos, `@` counts only right
//! after `namespace/name`; `refs/pr/N` and `refs/convert/<x>` revisions are matched whole, other
//! revisions with `/` are written `%2F` and URL-decoded. Web URLs of the Hub
//! (`https://huggingface.co/buckets/ns/name/tree/sub`) are accepted and normalised.
//! A trailing `/` is remembered ([`HfUri::trailing_slash`]): on a copy source it means "the
//! folder's contents", on a destination "into this folder".
//!
//! ```
//! use hf_buckets::hub::{HfUri, RepoType};
//! let u = HfUri::parse("hf://datasets/acme/corpus@refs/pr/3/data/", None).unwrap();
//! assert_eq!((u.repo_type, u.id.as_str(), u.revision.as_deref(), u.path.as_str()),
//!            (RepoType::Dataset, "acme/corpus", Some("refs/pr/3"), "data"));
//! assert!(u.trailing_slash);
//! assert_eq!(u.to_string(), "hf://datasets/acme/corpus@refs/pr/3/data/");
//! ```

use std::fmt;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::validate::{validate_name, validate_path, BucketId, ValidationError};

/// What an `hf://` URI points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepoType {
    /// A model repo (`hf://ns/name` or `hf://models/ns/name`).
    Model,
    /// A dataset repo.
    Dataset,
    /// A Space.
    Space,
    /// A kernel repo.
    Kernel,
    /// A Storage Bucket.
    Bucket,
}

impl RepoType {
    /// `model`, `dataset`, `space`, `kernel`, `bucket` (the wire's `sourceRepoType`).
    pub fn singular(self) -> &'static str {
        match self {
            RepoType::Model => "model",
            RepoType::Dataset => "dataset",
            RepoType::Space => "space",
            RepoType::Kernel => "kernel",
            RepoType::Bucket => "bucket",
        }
    }

    /// `models`, `datasets`, … (URI prefixes and `/api/{plural}/…` routes).
    pub fn plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
            RepoType::Space => "spaces",
            RepoType::Kernel => "kernels",
            RepoType::Bucket => "buckets",
        }
    }

    const ALL: [RepoType; 5] = [
        RepoType::Model,
        RepoType::Dataset,
        RepoType::Space,
        RepoType::Kernel,
        RepoType::Bucket,
    ];

    /// From the singular name.
    pub fn from_singular(s: &str) -> Option<RepoType> {
        RepoType::ALL.into_iter().find(|t| t.singular() == s)
    }

    /// From the plural name.
    pub fn from_plural(s: &str) -> Option<RepoType> {
        RepoType::ALL.into_iter().find(|t| t.plural() == s)
    }
}

/// A parsed `hf://` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HfUri {
    /// Bucket or repo type.
    pub repo_type: RepoType,
    /// `namespace/name`.
    pub id: String,
    /// Repo revision (decoded); always `None` for buckets.
    pub revision: Option<String>,
    /// Path inside, without leading or trailing `/`; empty for the root.
    pub path: String,
    /// Whether the URI ended with `/`.
    pub trailing_slash: bool,
}

const HF_PROTOCOL: &str = "hf://";
const HF_HOSTS: [&str; 3] = ["huggingface.co", "hf.co", "www.huggingface.co"];

/// Characters kept verbatim in URL path segments and queries (RFC 3986 unreserved).
pub(crate) const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Like [`SEGMENT`] but keeps `/` (multi-segment paths).
pub(crate) const PATH: &AsciiSet = &SEGMENT.remove(b'/');

fn is_special_ref(rev: &str) -> Option<usize> {
    // ^refs/(?:convert/[\w.-]+|pr/\d+)
    let rest = rev.strip_prefix("refs/")?;
    if let Some(r) = rest.strip_prefix("pr/") {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        return (n > 0).then_some(5 + 3 + n);
    }
    if let Some(r) = rest.strip_prefix("convert/") {
        let n = r
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
            .count();
        return (n > 0).then_some(5 + 8 + n);
    }
    None
}

impl HfUri {
    /// Parses an `hf://` URI or a Hub web URL. `endpoint` adds the host (and path prefix) of a
    /// custom Hub to the recognised web hosts.
    pub fn parse(uri: &str, endpoint: Option<&str>) -> Result<HfUri, ValidationError> {
        let err = |reason: &str| ValidationError::new("hf:// URI", uri, reason);
        let body = if let Some(body) = uri.strip_prefix(HF_PROTOCOL) {
            if body.is_empty() {
                return Err(err("nothing after 'hf://'"));
            }
            body.to_string()
        } else if looks_like_url(uri, endpoint) {
            url_to_body(uri, endpoint).map_err(|r| err(&r))?
        } else {
            return Err(err(
                "must start with 'hf://' (hf://[<type>/]<namespace>/<name>[@<revision>][/<path>])",
            ));
        };
        let trailing_slash = body.ends_with('/');
        let (repo_type, location) = split_type(&body).map_err(|r| err(&r))?;
        let location = location.trim_matches('/');
        let parsed = if repo_type == RepoType::Bucket {
            let mut parts = location.splitn(3, '/');
            let (ns, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            if ns.is_empty() || name.is_empty() {
                return Err(err("a bucket id must be 'namespace/name'"));
            }
            if ns.contains('@') || name.contains('@') {
                return Err(err("bucket URIs take no '@revision'"));
            }
            HfUri {
                repo_type,
                id: format!("{ns}/{name}"),
                revision: None,
                path: parts.next().unwrap_or("").to_string(),
                trailing_slash,
            }
        } else {
            parse_repo_location(location, repo_type, trailing_slash).map_err(|r| err(&r))?
        };
        let (ns, name) = parsed
            .id
            .split_once('/')
            .ok_or_else(|| err("id must be 'namespace/name'"))?;
        validate_name("namespace", ns).map_err(|e| err(&e.to_string()))?;
        validate_name("name", name).map_err(|e| err(&e.to_string()))?;
        if !parsed.path.is_empty() {
            validate_path("path", &parsed.path).map_err(|e| err(&e.reason))?;
        }
        Ok(parsed)
    }

    /// The bucket id, when this URI points into a bucket.
    pub fn bucket_id(&self) -> Option<BucketId> {
        if self.repo_type != RepoType::Bucket {
            return None;
        }
        self.id.parse().ok()
    }

    /// Whether this URI points into a bucket.
    pub fn is_bucket(&self) -> bool {
        self.repo_type == RepoType::Bucket
    }

    /// The Hub web URL (bucket: `/buckets/{id}[/tree/{path}]`; repo: `/{id}` or
    /// `/{type}s/{id}`, with `/blob/{rev}/{path}` or `/tree/{rev}`).
    pub fn to_url(&self, endpoint: &str) -> String {
        let base = endpoint.trim_end_matches('/');
        let path = utf8_percent_encode(&self.path, PATH).to_string();
        if self.repo_type == RepoType::Bucket {
            let mut url = format!("{base}/buckets/{}", self.id);
            if !path.is_empty() {
                url.push_str("/tree/");
                url.push_str(&path);
            }
            return url;
        }
        let mut url = match self.repo_type {
            RepoType::Model => format!("{base}/{}", self.id),
            t => format!("{base}/{}/{}", t.plural(), self.id),
        };
        let rev = self.revision.as_deref().map(|r| {
            if is_special_ref(r) == Some(r.len()) {
                r.to_string()
            } else {
                utf8_percent_encode(r, SEGMENT).to_string()
            }
        });
        if !path.is_empty() {
            url.push_str(&format!(
                "/blob/{}/{path}",
                rev.as_deref().unwrap_or("main")
            ));
        } else if let Some(rev) = rev {
            url.push_str(&format!("/tree/{rev}"));
        }
        url
    }
}

/// Canonical form: the type prefix is always written (`hf://models/…`).
impl fmt::Display for HfUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{HF_PROTOCOL}{}/{}", self.repo_type.plural(), self.id)?;
        if let Some(rev) = &self.revision {
            if rev.contains('/') && is_special_ref(rev) != Some(rev.len()) {
                write!(f, "@{}", rev.replace('/', "%2F"))?;
            } else {
                write!(f, "@{rev}")?;
            }
        }
        if !self.path.is_empty() {
            write!(f, "/{}", self.path)?;
        }
        if self.trailing_slash {
            write!(f, "/")?;
        }
        Ok(())
    }
}

fn split_type(body: &str) -> Result<(RepoType, &str), String> {
    let (first, rest) = match body.split_once('/') {
        Some((first, rest)) => (first, rest),
        None => (body, ""),
    };
    if let Some(t) = RepoType::from_plural(first) {
        if rest.trim_matches('/').is_empty() {
            return Err(format!("nothing after '{first}/'"));
        }
        return Ok((t, rest));
    }
    if let Some(t) = RepoType::from_singular(first) {
        return Err(format!("the type prefix must be plural: '{}/'", t.plural()));
    }
    Ok((RepoType::Model, body))
}

fn parse_repo_location(
    location: &str,
    repo_type: RepoType,
    trailing_slash: bool,
) -> Result<HfUri, String> {
    if location.is_empty() {
        return Err("missing repository id".into());
    }
    let at = location
        .find('@')
        .filter(|&i| location[..i].matches('/').count() <= 1);
    let Some(at) = at else {
        let mut parts = location.splitn(3, '/');
        let (ns, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if ns.is_empty() || name.is_empty() {
            return Err(format!(
                "a repository id must be 'namespace/name', got {location:?}"
            ));
        }
        return Ok(HfUri {
            repo_type,
            id: format!("{ns}/{name}"),
            revision: None,
            path: parts.next().unwrap_or("").to_string(),
            trailing_slash,
        });
    };
    let id = &location[..at];
    if id.matches('/').count() != 1 {
        return Err(format!(
            "a repository id must be 'namespace/name', got {id:?}"
        ));
    }
    let rev_and_path = &location[at + 1..];
    let (rev, path) = match is_special_ref(rev_and_path) {
        Some(n) => (
            &rev_and_path[..n],
            rev_and_path[n..]
                .strip_prefix('/')
                .unwrap_or(&rev_and_path[n..]),
        ),
        None => rev_and_path.split_once('/').unwrap_or((rev_and_path, "")),
    };
    let rev = percent_decode_str(rev)
        .decode_utf8()
        .map_err(|_| "the revision is not valid UTF-8 once decoded".to_string())?;
    if rev.is_empty() {
        return Err("empty revision after '@'".into());
    }
    // `.` and `..` would vanish from the URL the revision is put into (a client that resolves dot
    // segments turns `…/resolve/../x` into another route).
    hub_names::check_revision(&rev).map_err(|p| format!("the revision {rev:?} {p}"))?;
    Ok(HfUri {
        repo_type,
        id: id.to_string(),
        revision: Some(rev.into_owned()),
        path: path.to_string(),
        trailing_slash,
    })
}

/// Host (lower case) and path prefix of an endpoint such as `http://localhost:8080/hf`.
fn host_and_prefix(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split_once(']')
            .map_or(host, |(h, _)| h)
            .trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or(host)
    };
    let path = rest[end..].split(['?', '#']).next().unwrap_or("");
    (
        host.to_ascii_lowercase(),
        path.trim_matches('/').to_string(),
    )
}

fn looks_like_url(uri: &str, endpoint: Option<&str>) -> bool {
    let lower = uri.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return true;
    }
    let custom = endpoint.map(|e| host_and_prefix(e).0);
    HF_HOSTS
        .iter()
        .copied()
        .chain(custom.as_deref())
        .any(|h| lower == h || lower.starts_with(&format!("{h}/")))
}

fn url_to_body(url: &str, endpoint: Option<&str>) -> Result<String, String> {
    let (host, mut path) = host_and_prefix(url);
    let custom = endpoint.map(host_and_prefix);
    let known =
        HF_HOSTS.contains(&host.as_str()) || custom.as_ref().is_some_and(|(h, _)| *h == host);
    if !known {
        return Err(format!(
            "unrecognised host {host:?}; expected a Hugging Face URL"
        ));
    }
    if let Some((h, prefix)) = &custom {
        if *h == host && !prefix.is_empty() {
            if path == *prefix {
                path.clear();
            } else if let Some(rest) = path.strip_prefix(&format!("{prefix}/")) {
                path = rest.to_string();
            }
        }
    }
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let type_prefix = match segments.first() {
        Some(first) if RepoType::from_plural(first).is_some() => Some(segments.remove(0)),
        _ => None,
    };
    if segments.len() < 2 {
        return Err("expected a '<namespace>/<name>' repository or bucket page".into());
    }
    let id = format!("{}/{}", segments[0], segments[1]);
    let rest = &segments[2..];
    let decode = |s: &&str| -> Result<String, String> {
        let d = percent_decode_str(s)
            .decode_utf8()
            .map_err(|_| "a URL segment is not valid UTF-8".to_string())?;
        Ok(d.replace('/', "%2F"))
    };
    if type_prefix == Some("buckets") {
        let Some((action, tail)) = rest.split_first() else {
            return Ok(format!("buckets/{id}"));
        };
        if !matches!(*action, "tree" | "resolve") {
            return Err(format!("unsupported bucket URL route '/{action}/'"));
        }
        let tail: Vec<String> = tail.iter().map(decode).collect::<Result<_, _>>()?;
        return Ok(if tail.is_empty() {
            format!("buckets/{id}")
        } else {
            format!("buckets/{id}/{}", tail.join("/"))
        });
    }
    let prefix = type_prefix.map(|t| format!("{t}/")).unwrap_or_default();
    let Some((action, tail)) = rest.split_first() else {
        return Ok(format!("{prefix}{id}"));
    };
    if !matches!(*action, "blame" | "blob" | "raw" | "resolve" | "tree") {
        return Err(format!("unsupported URL route '/{action}/'"));
    }
    if tail.is_empty() {
        return Ok(format!("{prefix}{id}"));
    }
    let tail: Vec<String> = tail.iter().map(decode).collect::<Result<_, _>>()?;
    Ok(format!("{prefix}{id}@{}", tail.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> HfUri {
        HfUri::parse(s, None).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn buckets() {
        let u = p("hf://buckets/alice/ckpts");
        assert_eq!(
            (
                u.repo_type,
                u.id.as_str(),
                u.path.as_str(),
                u.trailing_slash
            ),
            (RepoType::Bucket, "alice/ckpts", "", false)
        );
        assert_eq!(u.bucket_id().unwrap().to_string(), "alice/ckpts");
        let u = p("hf://buckets/alice/ckpts/run1/model.bin");
        assert_eq!(u.path, "run1/model.bin");
        let u = p("hf://buckets/alice/ckpts/run1/");
        assert_eq!((u.path.as_str(), u.trailing_slash), ("run1", true));
        assert_eq!(u.to_string(), "hf://buckets/alice/ckpts/run1/");
        assert!(p("hf://buckets/alice/ckpts/").trailing_slash);
        assert_eq!(p("hf://buckets/a/b/x@y.txt").path, "x@y.txt");
        for bad in [
            "hf://buckets/alice",
            "hf://buckets/",
            "hf://buckets/alice/ckpts@v1",
            "hf://bucket/alice/x",
            "hf://buckets/a/b//c",
            "hf://buckets/a/b/../c",
            "buckets/a/b",
            "hf://",
            "hf://buckets/a b/c",
        ] {
            assert!(HfUri::parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn repos() {
        let u = p("hf://acme/model");
        assert_eq!(
            (
                u.repo_type,
                u.id.as_str(),
                u.revision.clone(),
                u.path.as_str()
            ),
            (RepoType::Model, "acme/model", None, "")
        );
        assert_eq!(u.to_string(), "hf://models/acme/model");
        let u = p("hf://datasets/acme/ds@v1.0/data/train.parquet");
        assert_eq!(
            (u.revision.as_deref(), u.path.as_str()),
            (Some("v1.0"), "data/train.parquet")
        );
        let u = p("hf://datasets/acme/ds@refs/convert/parquet/default/x");
        assert_eq!(
            (u.revision.as_deref(), u.path.as_str()),
            (Some("refs/convert/parquet"), "default/x")
        );
        let u = p("hf://datasets/acme/ds@feature%2Fx/a");
        assert_eq!(
            (u.revision.as_deref(), u.path.as_str()),
            (Some("feature/x"), "a")
        );
        assert_eq!(u.to_string(), "hf://datasets/acme/ds@feature%2Fx/a");
        let u = p("hf://spaces/acme/app/dir/file@2.txt");
        assert_eq!(
            (u.revision.clone(), u.path.as_str()),
            (None, "dir/file@2.txt")
        );
        assert!(p("hf://datasets/acme/ds/data/").trailing_slash);
        for bad in [
            "hf://gpt2",
            "hf://dataset/acme/ds",
            "hf://datasets/acme/ds@",
            "hf://datasets/",
            "hf://a/b@/x",
        ] {
            assert!(HfUri::parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn web_urls() {
        assert_eq!(
            p("https://huggingface.co/buckets/ns/b/tree/sub/dir?x=1#f").to_string(),
            "hf://buckets/ns/b/sub/dir"
        );
        assert_eq!(
            p("https://huggingface.co/buckets/ns/b/resolve/a%20b.bin").path,
            "a b.bin"
        );
        assert_eq!(
            p("https://hf.co/datasets/acme/ds/blob/main/train.csv").to_string(),
            "hf://datasets/acme/ds@main/train.csv"
        );
        assert_eq!(p("huggingface.co/acme/m").to_string(), "hf://models/acme/m");
        assert!(HfUri::parse("https://huggingface.co/buckets/ns/b/settings", None).is_err());
        assert!(HfUri::parse("https://example.com/ns/b", None).is_err());
        let u = HfUri::parse(
            "http://127.0.0.1:8080/hf/buckets/ns/b/tree/x",
            Some("http://127.0.0.1:8080/hf"),
        )
        .unwrap();
        assert_eq!(u.to_string(), "hf://buckets/ns/b/x");
    }

    #[test]
    fn dot_revisions_are_refused() {
        for bad in [
            "hf://acme/m@./x",
            "hf://acme/m@../x",
            "hf://datasets/acme/ds@..",
            "hf://acme/m@%2E%2E/x",
            "hf://acme/m@a%2F..%2Fb/x",
            "hf://acme/m@a%2F%2Fb",
        ] {
            assert!(HfUri::parse(bad, None).is_err(), "{bad}");
        }
        assert_eq!(p("hf://acme/m@v1.0/x").revision.as_deref(), Some("v1.0"));
        assert_eq!(p("hf://acme/m@..a/x").revision.as_deref(), Some("..a"));
    }

    #[test]
    fn to_web_url() {
        assert_eq!(
            p("hf://buckets/ns/b/a b").to_url("https://huggingface.co/"),
            "https://huggingface.co/buckets/ns/b/tree/a%20b"
        );
        assert_eq!(
            p("hf://datasets/acme/ds@feature%2Fx/a").to_url("https://h"),
            "https://h/datasets/acme/ds/blob/feature%2Fx/a"
        );
        assert_eq!(
            p("hf://acme/m@refs/pr/1").to_url("https://h"),
            "https://h/acme/m/tree/refs/pr/1"
        );
        assert_eq!(
            p("hf://acme/m/x").to_url("https://h"),
            "https://h/acme/m/blob/main/x"
        );
    }
}
