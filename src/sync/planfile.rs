//! The JSON Lines plan file (workflows spec §1.7), byte-compatible with the official writer:
//! a header line, then one line per operation; `", "` and `": "` separators, non-ASCII and
//! control characters written as `\uXXXX` (Python's `json.dumps` defaults), times as Python's
//! `datetime.isoformat()` in UTC (`+00:00`, microseconds only when not zero).
//!
//! The reader follows the official `--apply` rules: an empty text or a first line that is not a
//! header is an error; lines whose `type` is not `operation` are skipped; only `action`, `path`,
//! `size`, `reason`, `local_mtime` and `remote_mtime` are read; the header summary is ignored.
//! Each `path` must pass [`check_relative_path`]. Blank lines are skipped.
//!
//! ```
//! use hf_buckets::sync::{format_plan, iso_from_ms, parse_plan, Plan};
//! let plan = Plan { source: "./loc".into(), dest: "hf://buckets/a/b".into(),
//!                   timestamp: iso_from_ms(0.0), operations: Vec::new() };
//! let text = format_plan(&plan);
//! assert!(text.starts_with("{\"type\": \"header\", \"source\": \"./loc\""));
//! assert_eq!(parse_plan(&text).unwrap(), plan);
//! ```

use std::fmt::Write as _;

use xet::json::Value;

use super::plan::{check_relative_path, resolve_sides, Action, CompareOptions, Operation, Plan};
use crate::hub::ValidationError;

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii`).
fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// `"key": ` then the value pushed by the caller; `first` says whether to write `, ` before.
fn key(out: &mut String, first: bool, k: &str) {
    if !first {
        out.push_str(", ");
    }
    push_str(out, k);
    out.push_str(": ");
}

/// The plan as JSON Lines (header, then one line per operation, each ending in `\n`).
pub fn format_plan(plan: &Plan) -> String {
    let mut out = String::new();
    let s = plan.summary();
    out.push('{');
    key(&mut out, true, "type");
    push_str(&mut out, "header");
    key(&mut out, false, "source");
    push_str(&mut out, &plan.source);
    key(&mut out, false, "dest");
    push_str(&mut out, &plan.dest);
    key(&mut out, false, "timestamp");
    push_str(&mut out, &plan.timestamp);
    key(&mut out, false, "summary");
    let _ = writeln!(
        out,
        "{{\"uploads\": {}, \"downloads\": {}, \"deletes\": {}, \"skips\": {}, \"total_size\": {}}}}}",
        s.uploads, s.downloads, s.deletes, s.skips, s.total_size
    );
    for op in &plan.operations {
        out.push('{');
        key(&mut out, true, "type");
        push_str(&mut out, "operation");
        key(&mut out, false, "action");
        push_str(&mut out, op.action.as_str());
        key(&mut out, false, "path");
        push_str(&mut out, &op.path);
        key(&mut out, false, "reason");
        push_str(&mut out, &op.reason);
        if let Some(size) = op.size {
            key(&mut out, false, "size");
            let _ = write!(out, "{size}");
        }
        if let Some(t) = &op.local_mtime {
            key(&mut out, false, "local_mtime");
            push_str(&mut out, t);
        }
        if let Some(t) = &op.remote_mtime {
            key(&mut out, false, "remote_mtime");
            push_str(&mut out, t);
        }
        out.push_str("}\n");
    }
    out
}

fn bad(line: usize, text: &str, reason: impl Into<String>) -> ValidationError {
    ValidationError::new(format!("plan line {line}"), text, reason)
}

fn opt_str(v: &Value, k: &str, line: usize, text: &str) -> Result<Option<String>, ValidationError> {
    match v.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(line, text, format!("`{k}` must be a string"))),
    }
}

fn req_str(v: &Value, k: &str, line: usize, text: &str) -> Result<String, ValidationError> {
    opt_str(v, k, line, text)?.ok_or_else(|| bad(line, text, format!("`{k}` is missing")))
}

/// Reads a plan file (see the module docs for the rules). The two sides must still name one
/// bucket and one local path.
///
/// # Errors
/// A [`ValidationError`] naming the line (`plan line N`) and what is wrong with it.
pub fn parse_plan(text: &str) -> Result<Plan, ValidationError> {
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty());
    let Some((n, first)) = lines.next() else {
        return Err(ValidationError::new("plan", "", "Empty plan file"));
    };
    let header =
        xet::json::parse(first.as_bytes()).map_err(|e| bad(n, first, format!("not JSON: {e}")))?;
    if header.get("type").and_then(Value::as_str) != Some("header") {
        return Err(bad(
            n,
            first,
            "Invalid plan file: expected header as first line",
        ));
    }
    let source = req_str(&header, "source", n, first)?;
    let dest = req_str(&header, "dest", n, first)?;
    let timestamp = opt_str(&header, "timestamp", n, first)?.unwrap_or_default();
    resolve_sides(Some(&source), Some(&dest), &CompareOptions::default())?;
    let mut operations = Vec::new();
    for (n, line) in lines {
        let v = xet::json::parse(line.as_bytes())
            .map_err(|e| bad(n, line, format!("not JSON: {e}")))?;
        if v.get("type").and_then(Value::as_str) != Some("operation") {
            continue;
        }
        let action = req_str(&v, "action", n, line)?;
        let action = Action::parse(&action)
            .ok_or_else(|| bad(n, line, format!("unknown action {action:?}")))?;
        let path = req_str(&v, "path", n, line)?;
        check_relative_path(&path)?;
        let size = match v.get("size") {
            None | Some(Value::Null) => None,
            Some(s) => Some(
                s.as_u64()
                    .ok_or_else(|| bad(n, line, "`size` must be a non-negative integer"))?,
            ),
        };
        operations.push(Operation {
            action,
            path,
            reason: opt_str(&v, "reason", n, line)?.unwrap_or_default(),
            size,
            local_mtime: opt_str(&v, "local_mtime", n, line)?,
            remote_mtime: opt_str(&v, "remote_mtime", n, line)?,
        });
    }
    Ok(Plan {
        source,
        dest,
        timestamp,
        operations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_like_json_dumps() {
        let mut s = String::new();
        push_str(&mut s, "a\"b\\c\nd\te\u{1}é😀\u{7f}~");
        assert_eq!(s, r#""a\"b\\c\nd\te\u0001\u00e9\ud83d\ude00\u007f~""#);
    }

    fn sample() -> Plan {
        Plan {
            source: "./loc".into(),
            dest: "hf://buckets/alice/ckpts".into(),
            timestamp: "2026-12-03T14:17:53.005074+00:00".into(),
            operations: vec![
                Operation {
                    action: Action::Skip,
                    path: "README.md".into(),
                    reason: "identical".into(),
                    size: Some(14),
                    local_mtime: Some("2026-02-17T14:29:03+00:00".into()),
                    remote_mtime: Some("2026-02-17T14:29:03.512000+00:00".into()),
                },
                Operation {
                    action: Action::Upload,
                    path: "logs.txt".into(),
                    reason: "new file".into(),
                    size: Some(550),
                    local_mtime: Some("2026-02-17T14:29:03+00:00".into()),
                    remote_mtime: None,
                },
                Operation {
                    action: Action::Delete,
                    path: "logs/a.log".into(),
                    reason: "not in source (--delete)".into(),
                    size: Some(1_500_000),
                    local_mtime: None,
                    remote_mtime: Some("2026-02-18T10:00:00+00:00".into()),
                },
            ],
        }
    }

    #[test]
    fn writer_matches_the_official_bytes() {
        let want = concat!(
            r#"{"type": "header", "source": "./loc", "dest": "hf://buckets/alice/ckpts", "timestamp": "2026-12-03T14:17:53.005074+00:00", "summary": {"uploads": 1, "downloads": 0, "deletes": 1, "skips": 1, "total_size": 550}}"#,
            "\n",
            r#"{"type": "operation", "action": "skip", "path": "README.md", "reason": "identical", "size": 14, "local_mtime": "2026-02-17T14:29:03+00:00", "remote_mtime": "2026-02-17T14:29:03.512000+00:00"}"#,
            "\n",
            r#"{"type": "operation", "action": "upload", "path": "logs.txt", "reason": "new file", "size": 550, "local_mtime": "2026-02-17T14:29:03+00:00"}"#,
            "\n",
            r#"{"type": "operation", "action": "delete", "path": "logs/a.log", "reason": "not in source (--delete)", "size": 1500000, "remote_mtime": "2026-02-18T10:00:00+00:00"}"#,
            "\n",
        );
        assert_eq!(format_plan(&sample()), want);
        assert_eq!(parse_plan(want).unwrap(), sample());
    }

    #[test]
    fn reader_rules() {
        let h =
            r#"{"type": "header", "source": "hf://buckets/a/b", "dest": "./d", "timestamp": "t"}"#;
        assert!(parse_plan("")
            .unwrap_err()
            .reason
            .contains("Empty plan file"));
        assert!(parse_plan("\n\n").is_err());
        let e = parse_plan(r#"{"type": "operation", "action": "skip", "path": "a"}"#).unwrap_err();
        assert!(e.reason.contains("expected header"), "{e}");
        // Other line types are skipped; unknown keys ignored; sizes may be absent.
        let text = format!(
            "{h}\n{{\"type\": \"note\"}}\n{{\"type\": \"operation\", \"action\": \"download\", \"path\": \"x/é\", \"extra\": 1}}\n"
        );
        let plan = parse_plan(&text).unwrap();
        assert_eq!(plan.operations.len(), 1);
        assert_eq!(
            (plan.operations[0].path.as_str(), plan.operations[0].size),
            ("x/é", None)
        );
        // Unsafe paths, unknown actions, bad JSON, bad sizes.
        for bad in [
            r#"{"type": "operation", "action": "download", "path": "../x"}"#,
            r#"{"type": "operation", "action": "move", "path": "x"}"#,
            r#"{"type": "operation", "action": "skip", "path": "x", "size": -1}"#,
            r#"{"type": "operation", "action": "skip"}"#,
            "{not json",
        ] {
            assert!(parse_plan(&format!("{h}\n{bad}\n")).is_err(), "{bad}");
        }
        // Both sides local (or both remote) cannot be applied.
        let e =
            parse_plan(r#"{"type": "header", "source": "./a", "dest": "./b", "timestamp": "t"}"#);
        assert!(e.is_err());
    }
}
