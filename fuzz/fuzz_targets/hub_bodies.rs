//! local-hub's hand-written request bodies and names: bucket batches and repo commits
//! (NDJSON, `local-hub/src/routes/files.rs`, `commits.rs`) and the shared name, path and
//! revision rules (`crates/hub-names`, used by local-hub and the client).
//!
//! Input: byte 0 picks the parser (mod 3), the rest is its input:
//! - 0, batch body: at most 1000 operations, never more than the body's non-empty lines.
//! - 1, commit body: never more operations than non-empty lines.
//! - 2, each line checked as a name, a path and a revision: an accepted path is 1–1024 bytes
//!   with no empty, `.` or `..` segment, no `\`, control or bidi character; an accepted name
//!   is 1–96 characters from `[A-Za-z0-9_.-]`, not ending in `.git`; an accepted revision
//!   has no empty, `.` or `..` segment.
#![no_main]

use libfuzzer_sys::fuzz_target;
use local_hub::parse;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let lines = rest
        .split(|&b| b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty())
        .count();
    match which % 3 {
        0 => {
            if let Ok(paths) = parse::batch(rest) {
                assert!(
                    paths.len() <= 1000 && paths.len() <= lines,
                    "{} ops",
                    paths.len()
                );
            }
        }
        1 => {
            if let Ok((_, ops)) = parse::commit(rest) {
                assert!(ops <= lines, "{ops} ops from {lines} lines");
            }
        }
        _ => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            for line in text.split('\n') {
                names(line);
            }
        }
    }
});

fn names(s: &str) {
    let dot_segment = |s: &str| s.split('/').any(|g| g.is_empty() || g == "." || g == "..");
    if hub_names::check_path(s).is_ok() {
        assert!(!s.is_empty() && s.len() <= 1024, "{s:?}");
        assert!(!dot_segment(s), "{s:?}");
        assert!(
            !s.chars()
                .any(|c| c == '\\' || c.is_control() || hub_names::is_bidi_control(c)),
            "{s:?}"
        );
    }
    if hub_names::check_name(s).is_ok() {
        assert!((1..=96).contains(&s.chars().count()), "{s:?}");
        assert!(
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'),
            "{s:?}"
        );
        assert!(!s.to_ascii_lowercase().ends_with(".git"), "{s:?}");
    }
    if hub_names::check_revision(s).is_ok() {
        assert!(!dot_segment(s), "{s:?}");
    }
}
