//! The Hub's rules for names, file paths and revisions, shared by the client (`hf-buckets`,
//! `src/hub/validate.rs`) and the local Hub (`local-hub`), so that the two cannot drift apart
//! (buckets spec §3.1–3.2, §13). No dependencies, no I/O.
//!
//! - Names (bucket, repo, user and organisation names): 1–[`MAX_NAME_CHARS`] characters from
//!   `A–Z a–z 0–9 - _ .`, starting and ending with a letter, digit or `_`, no `--` or `..`, and
//!   not ending in `.git` (as the Python client's `validate_repo_id`).
//! - File paths: 1–[`MAX_PATH_BYTES`] bytes of UTF-8, `/`-separated, no leading or trailing `/`,
//!   no empty, `.` or `..` segment, no `\`, no control characters, no bidirectional-text controls
//!   (U+200E/F, U+202A–E, U+2066–9: a listed name would read differently from the stored one).
//! - Revisions: non-empty, no empty, `.` or `..` segment (they would vanish from a URL).
//!
//! ```
//! assert!(hub_names::check_name("ckpts").is_ok());
//! assert!(hub_names::check_name("weights.git").is_err());
//! assert!(hub_names::check_path("run1/../x").is_err());
//! assert_eq!(
//!     hub_names::check_path("a\u{202E}b").unwrap_err().to_string(),
//!     "must not contain bidirectional-text control characters (U+200E/F, U+202A–E, U+2066–9)"
//! );
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 96;
/// Longest file path, in bytes of UTF-8 (the S3 key limit).
pub const MAX_PATH_BYTES: usize = 1024;

/// Why a name, path or revision is refused; `Display` is the reason, phrased to follow the
/// value ("… must not be empty").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// Empty.
    Empty,
    /// A name longer than [`MAX_NAME_CHARS`].
    NameTooLong,
    /// A path longer than [`MAX_PATH_BYTES`].
    PathTooLong,
    /// A character outside the allowed set.
    Character(char),
    /// `--` or `..` in a name.
    DoubleSeparator,
    /// A name that starts or ends with `-` or `.`.
    Ends,
    /// A name ending in `.git`.
    GitSuffix,
    /// A path starting with `/`.
    LeadingSlash,
    /// A path ending with `/`.
    TrailingSlash,
    /// `\` in a path.
    Backslash,
    /// A control character.
    Control,
    /// A bidirectional-text control character.
    Bidi,
    /// An empty segment (`//`).
    EmptySegment,
    /// A `.` or `..` segment.
    DotSegment,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Empty => f.write_str("must not be empty"),
            Problem::NameTooLong => write!(f, "is longer than {MAX_NAME_CHARS} characters"),
            Problem::PathTooLong => write!(f, "is longer than {MAX_PATH_BYTES} bytes"),
            Problem::Character(c) => write!(
                f,
                "contains {c:?}; only letters, digits, '-', '_' and '.' are allowed"
            ),
            Problem::DoubleSeparator => f.write_str("must not contain '--' or '..'"),
            Problem::Ends => f.write_str("must start and end with a letter, a digit or '_'"),
            Problem::GitSuffix => f.write_str("must not end with '.git'"),
            Problem::LeadingSlash => f.write_str("must not start with '/'"),
            Problem::TrailingSlash => f.write_str("must not end with '/'"),
            Problem::Backslash => f.write_str("must not contain '\\'"),
            Problem::Control => f.write_str("must not contain control characters"),
            Problem::Bidi => f.write_str(
                "must not contain bidirectional-text control characters (U+200E/F, U+202A–E, U+2066–9)",
            ),
            Problem::EmptySegment => f.write_str("must not contain '//'"),
            Problem::DotSegment => f.write_str("must not contain '.' or '..' segments"),
        }
    }
}

impl std::error::Error for Problem {}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Characters that reorder displayed text (Unicode bidi controls).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks a bucket, repo, user or organisation name.
pub fn check_name(name: &str) -> Result<(), Problem> {
    if name.is_empty() {
        return Err(Problem::Empty);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Problem::NameTooLong);
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(is_word(*c) || *c == '-' || *c == '.'))
    {
        return Err(Problem::Character(c));
    }
    if name.contains("--") || name.contains("..") {
        return Err(Problem::DoubleSeparator);
    }
    if !(name.chars().next().is_some_and(is_word) && name.chars().last().is_some_and(is_word)) {
        return Err(Problem::Ends);
    }
    if name.to_ascii_lowercase().ends_with(".git") {
        return Err(Problem::GitSuffix);
    }
    Ok(())
}

/// Checks a file path inside a bucket or repo.
pub fn check_path(path: &str) -> Result<(), Problem> {
    if path.is_empty() {
        return Err(Problem::Empty);
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(Problem::PathTooLong);
    }
    if path.starts_with('/') {
        return Err(Problem::LeadingSlash);
    }
    if path.ends_with('/') {
        return Err(Problem::TrailingSlash);
    }
    if path.contains('\\') {
        return Err(Problem::Backslash);
    }
    if path.chars().any(char::is_control) {
        return Err(Problem::Control);
    }
    if path.chars().any(is_bidi_control) {
        return Err(Problem::Bidi);
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err(Problem::EmptySegment),
            "." | ".." => return Err(Problem::DotSegment),
            _ => {}
        }
    }
    Ok(())
}

/// Checks a repo revision (decoded): non-empty, no empty, `.` or `..` segment.
pub fn check_revision(revision: &str) -> Result<(), Problem> {
    if revision.is_empty() {
        return Err(Problem::Empty);
    }
    for segment in revision.split('/') {
        match segment {
            "" => return Err(Problem::EmptySegment),
            "." | ".." => return Err(Problem::DotSegment),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "a",
            "ckpts",
            "my-bucket_2.0",
            "_x_",
            "A1",
            "a.gitx",
            "git",
            &"x".repeat(96),
        ] {
            assert_eq!(check_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            ".a",
            "a.",
            "a--b",
            "a..b",
            "a b",
            "a/b",
            "é",
            "a\0",
            "a.git",
            "w.GIT",
            &"x".repeat(97),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn paths() {
        for ok in [
            "a",
            "a/b.txt",
            ".keep",
            "dir/.hidden",
            "a..b",
            "x y/ü €.bin",
            "...",
            &"p".repeat(1024),
        ] {
            assert_eq!(check_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "/a",
            "a/",
            "a//b",
            "..",
            "../a",
            "a/../b",
            "a/..",
            "./a",
            "a/./b",
            ".",
            "a\\b",
            "a\0b",
            "a\nb",
            "evil\u{202E}txt.exe",
            "a\u{2066}b",
            "a\u{200F}",
            &"p".repeat(1025),
        ] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn revisions() {
        for ok in ["main", "v1.0", "refs/pr/1", "feature/x", "..a"] {
            assert_eq!(check_revision(ok), Ok(()), "{ok}");
        }
        for bad in ["", ".", "..", "a/..", "./a", "a//b", "a/"] {
            assert!(check_revision(bad).is_err(), "{bad:?}");
        }
    }
}
