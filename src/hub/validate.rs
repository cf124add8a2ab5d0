//! Checks on caller input, run before any request is sent (buckets spec §3.1–3.2).
//!
//! - Names (bucket names and namespaces) follow the Hub's repo-name rules: 1–96 characters from
//!   `A–Z a–z 0–9 - _ .`, starting and ending with a letter, digit or `_`, no `--` or `..`, and
//!   not ending in `.git` (the Python client's `validate_repo_id` refuses it too).
//! - A bucket id is `namespace/name` ([`BucketId`]); `hf://buckets/namespace/name` is accepted too.
//! - File paths: non-empty, at most [`MAX_PATH_BYTES`] bytes of UTF-8, `/`-separated, no leading or
//!   trailing `/`, no empty, `.` or `..` segment, no `\`, no control characters (the S3-gateway key
//!   rules, which share the bucket's storage), and no bidirectional-text controls (U+200E/F,
//!   U+202A–U+202E, U+2066–U+2069: they make a listed name read differently from the stored one).
//!
//! ```
//! use hf_buckets::hub::{BucketId, validate_path};
//! let id: BucketId = "alice/ckpts".parse().unwrap();
//! assert_eq!(id.namespace(), "alice");
//! assert!(validate_path("path", "run1/../x").is_err());
//! ```

use std::fmt;
use std::str::FromStr;

/// Longest bucket or namespace name.
pub const MAX_NAME_CHARS: usize = hub_names::MAX_NAME_CHARS;
/// Longest file path, in bytes of UTF-8 (the S3 key limit).
pub const MAX_PATH_BYTES: usize = hub_names::MAX_PATH_BYTES;

/// Invalid caller input; defined with the public error type, used by every check here.
pub use crate::error::ValidationError;

/// Checks a bucket name or a namespace (the rules of [`hub_names::check_name`], shared with
/// local-hub).
pub fn validate_name(what: &str, name: &str) -> Result<(), ValidationError> {
    hub_names::check_name(name).map_err(|p| problem(what, name, &p))
}

/// Checks a file path inside a bucket (the rules of [`hub_names::check_path`], shared with
/// local-hub; see the module docs).
pub fn validate_path(what: &str, path: &str) -> Result<(), ValidationError> {
    hub_names::check_path(path).map_err(|p| problem(what, path, &p))
}

fn problem(what: &str, value: &str, p: &hub_names::Problem) -> ValidationError {
    ValidationError::new(what, value, p.to_string())
}

/// The folder-boundary rule (buckets-workflows §1.4.2): `path` is at or below `prefix` (a
/// normalized prefix, see [`normalize_prefix`]) when it equals it or starts with `prefix/`; the
/// empty prefix holds every path. The server matches prefixes as plain strings, so listings and
/// the change feed filter with this.
pub fn in_prefix(path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || path == prefix
        || (path.len() > prefix.len()
            && path.starts_with(prefix)
            && path.as_bytes().get(prefix.len()) == Some(&b'/'))
}

/// Checks a listing prefix: empty (the bucket root) or a path; one trailing `/` is allowed and
/// removed. Returns the prefix without it.
pub fn normalize_prefix<'a>(what: &str, prefix: &'a str) -> Result<&'a str, ValidationError> {
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    if trimmed.is_empty() {
        if prefix.is_empty() {
            return Ok("");
        }
        return Err(ValidationError::new(
            what,
            prefix,
            "must not be '/' alone; use '' for the root",
        ));
    }
    validate_path(what, trimmed)?;
    Ok(trimmed)
}

/// A checked bucket id, `namespace/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BucketId {
    namespace: String,
    name: String,
}

impl BucketId {
    /// From its two checked parts.
    pub fn new(namespace: &str, name: &str) -> Result<BucketId, ValidationError> {
        validate_name("namespace", namespace)?;
        validate_name("bucket name", name)?;
        Ok(BucketId {
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    }

    /// The user or organization.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The bucket's name within its namespace.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for BucketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl FromStr for BucketId {
    type Err = ValidationError;
    /// `namespace/name`, or `hf://buckets/namespace/name` (nothing after the name).
    fn from_str(s: &str) -> Result<BucketId, ValidationError> {
        let raw = s.strip_prefix("hf://buckets/").unwrap_or(s);
        let mut parts = raw.split('/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(ns), Some(name), None) if !ns.is_empty() && !name.is_empty() => {
                validate_name("namespace", ns)
                    .map_err(|e| ValidationError::new("bucket id", s, e.reason))?;
                validate_name("bucket name", name)
                    .map_err(|e| ValidationError::new("bucket id", s, e.reason))?;
                Ok(BucketId {
                    namespace: ns.to_string(),
                    name: name.to_string(),
                })
            }
            _ => Err(ValidationError::new(
                "bucket id",
                s,
                "must have the form 'namespace/name'",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_prefix_is_the_folder_boundary_rule() {
        for (path, prefix, inside) in [
            ("logs/a", "logs", true),
            ("logs", "logs", true),
            ("logs.txt", "logs", false),
            ("logs_old/a", "logs", false),
            ("log", "logs", false),
            ("anything", "", true),
            ("a/b/c", "a/b", true),
            ("a/bc", "a/b", false),
        ] {
            assert_eq!(in_prefix(path, prefix), inside, "{path} in {prefix}");
        }
    }

    #[test]
    fn rules_come_from_hub_names_with_the_value_named() {
        // The rule tables live in crates/hub-names (shared with local-hub); here: each check
        // uses them and names what was refused and why.
        assert!(validate_name("bucket name", "ckpts").is_ok());
        assert!(validate_path("path", "run1/model.bin").is_ok());
        for (result, reason) in [
            (
                validate_name("bucket name", "w.git"),
                "must not end with '.git'",
            ),
            (validate_name("bucket name", "a b"), "contains ' '"),
            (validate_path("path", "a/../b"), "'.' or '..' segments"),
            (
                validate_path("path", "a\u{202E}b"),
                "bidirectional-text control",
            ),
            (
                validate_path("path", &"p".repeat(1025)),
                "longer than 1024 bytes",
            ),
        ] {
            let e = result.unwrap_err();
            assert!(e.to_string().contains(reason), "{e}");
        }
        let e = validate_name("bucket name", "a..b").unwrap_err();
        assert!(e.to_string().contains("bucket name"), "{e}");
    }

    #[test]
    fn prefixes() {
        assert_eq!(normalize_prefix("p", "").unwrap(), "");
        assert_eq!(normalize_prefix("p", "a/b/").unwrap(), "a/b");
        assert_eq!(normalize_prefix("p", "a").unwrap(), "a");
        assert!(normalize_prefix("p", "/").is_err());
        assert!(normalize_prefix("p", "a//").is_err());
        assert!(normalize_prefix("p", "../").is_err());
    }

    #[test]
    fn bucket_ids() {
        let id: BucketId = "alice/ckpts".parse().unwrap();
        assert_eq!((id.namespace(), id.name()), ("alice", "ckpts"));
        assert_eq!(id.to_string(), "alice/ckpts");
        assert_eq!("hf://buckets/alice/ckpts".parse::<BucketId>().unwrap(), id);
        for bad in [
            "",
            "alice",
            "alice/",
            "/ckpts",
            "a/b/c",
            "a/b c",
            "hf://buckets/a",
            "a/..",
            "me/x y",
        ] {
            let e = bad.parse::<BucketId>().unwrap_err();
            assert_eq!(e.what, "bucket id", "{bad}");
        }
        let long = format!("a/{}", "x".repeat(500));
        assert!(long.parse::<BucketId>().unwrap_err().value.chars().count() <= 201);
    }
}
