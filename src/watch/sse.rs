//! A server-sent events parser with bounded memory (buckets-workflows §6.2, WHATWG SSE framing).
//!
//! Bytes go in as the network delivers them ([`SseParser::push`]); whole events come out. The
//! framing rules kept: lines end with `\n`, `\r\n` or `\r` (also when a `\r\n` pair is split
//! across chunks); a line starting with `:` is a comment (`: ping`); `field: value` loses one
//! space after the colon; `data` lines join with `\n`; an empty line dispatches the event, but
//! only if it had a `data` field (an event without `data` is not dispatched, as the spec says);
//! `id` and `retry` are read and dropped (the feed resumes by its own cursors); unknown fields
//! are ignored. A UTF-8 BOM at the very start is skipped; invalid UTF-8 is replaced, never a panic.
//!
//! Bounds: a line longer than [`MAX_LINE_BYTES`] or an event whose `data` exceeds
//! [`MAX_EVENT_BYTES`] is an [`SseError`], so a hostile server cannot make the client buffer
//! without limit. The follower treats it like a broken stream (it reconnects, then gives up).
//!
//! ```
//! use hf_buckets::watch::SseParser;
//! let mut p = SseParser::new();
//! let mut out = Vec::new();
//! p.push(b": ping\nevent: ready\ndata: {\"cursor\"", &mut out).unwrap();
//! assert!(out.is_empty());
//! p.push(b":\"c1\"}\n\n", &mut out).unwrap();
//! assert_eq!(out[0].event, "ready");
//! assert_eq!(out[0].data, r#"{"cursor":"c1"}"#);
//! ```

/// The longest line accepted (a `changes` event of 1000 entries is ~300 KB on one line).
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;
/// The most `data` bytes one event may carry (all its `data` lines together).
pub const MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event` field (`message` when absent, per SSE).
    pub event: String,
    /// The `data` lines joined with `\n`.
    pub data: String,
}

/// A stream that breaks the size bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// A line longer than [`MAX_LINE_BYTES`].
    #[error("an event-stream line is longer than {0} bytes")]
    LineTooLong(usize),
    /// An event with more than [`MAX_EVENT_BYTES`] of data.
    #[error("an event-stream event carries more than {0} bytes of data")]
    EventTooLarge(usize),
}

/// Incremental SSE parser; see the module docs.
#[derive(Debug)]
pub struct SseParser {
    line: Vec<u8>,
    after_cr: bool,
    started: bool,
    event: String,
    data: String,
    has_data: bool,
    max_line: usize,
    max_event: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        SseParser::new()
    }
}

impl SseParser {
    /// A parser with the default bounds.
    pub fn new() -> SseParser {
        SseParser::with_limits(MAX_LINE_BYTES, MAX_EVENT_BYTES)
    }

    /// A parser with other bounds (tests).
    pub fn with_limits(max_line: usize, max_event: usize) -> SseParser {
        SseParser {
            line: Vec::new(),
            after_cr: false,
            started: false,
            event: String::new(),
            data: String::new(),
            has_data: false,
            max_line,
            max_event,
        }
    }

    /// Parses `chunk`, appending the events it completes to `out`.
    ///
    /// # Errors
    /// [`SseError`] when a bound is exceeded; the parser must not be used afterwards.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        let mut rest = chunk;
        if !self.started && !rest.is_empty() {
            // A BOM may arrive split; only a full one at the start is skipped.
            self.started = true;
            if let Some(after) = rest.strip_prefix(b"\xEF\xBB\xBF") {
                rest = after;
            }
        }
        while !rest.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if rest[0] == b'\n' {
                    rest = &rest[1..];
                    continue;
                }
            }
            match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(i) => {
                    self.append(&rest[..i])?;
                    self.after_cr = rest[i] == b'\r';
                    rest = &rest[i + 1..];
                    let line = std::mem::take(&mut self.line);
                    self.line(&line, out)?;
                    // Keep the allocation of small lines; drop that of large ones.
                    if line.capacity() <= 64 * 1024 {
                        self.line = line;
                        self.line.clear();
                    }
                }
                None => {
                    self.append(rest)?;
                    rest = &[];
                }
            }
        }
        Ok(())
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        if self.line.len().saturating_add(bytes.len()) > self.max_line {
            return Err(SseError::LineTooLong(self.max_line));
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if line.is_empty() {
            if self.has_data {
                let event = if self.event.is_empty() {
                    "message".to_string()
                } else {
                    std::mem::take(&mut self.event)
                };
                out.push(SseEvent {
                    event,
                    data: std::mem::take(&mut self.data),
                });
            }
            self.event.clear();
            self.data.clear();
            self.has_data = false;
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match name {
            b"event" => self.event = value.into_owned(),
            b"data" => {
                let extra = value.len() + usize::from(self.has_data);
                if self.data.len().saturating_add(extra) > self.max_event {
                    return Err(SseError::EventTooLarge(self.max_event));
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
            }
            // `id`, `retry` and unknown fields: not used by the feed.
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            p.push(c, &mut out).unwrap();
        }
        out
    }

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn framing_rules() {
        let text = b"\xEF\xBB\xBF: ping\n\nevent: changes\ndata: {\"a\":\ndata:1}\n\n\
            event: ready\n\nevent:reset\r\ndata:{}\r\n\r\ndata\nid: 7\nretry: 10\nx: y\n\n\
            event: tail\ndata: no blank line";
        let want = vec![
            ev("changes", "{\"a\":\n1}"),
            ev("reset", "{}"),
            ev("message", ""),
        ];
        assert_eq!(parse_in(&[text]), want);
        // Every split point gives the same events (CR LF split across chunks included).
        for i in 0..text.len() {
            let (a, b) = text.split_at(i);
            assert_eq!(parse_in(&[a, b]), want, "split at {i}");
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(parse_in(&bytes), want);
    }

    #[test]
    fn lone_cr_ends_lines_and_values_keep_inner_spaces() {
        assert_eq!(
            parse_in(&[b"event: a\rdata:  two spaces \r\r"]),
            vec![ev("a", " two spaces ")]
        );
        // An event name from an event without data does not leak into the next one.
        assert_eq!(
            parse_in(&[b"event: x\n\ndata: y\n\n"]),
            vec![ev("message", "y")]
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(
            parse_in(&[b"data: \xff\xfe\n\n"]),
            vec![ev("message", "\u{fffd}\u{fffd}")]
        );
    }

    #[test]
    fn bounds() {
        let mut p = SseParser::with_limits(8, 10);
        let mut out = Vec::new();
        p.push(b"data: 12", &mut out).unwrap();
        assert_eq!(p.push(b"3", &mut out), Err(SseError::LineTooLong(8)));

        // Comments and data lines at the limit pass; the event's sum is bounded.
        let mut p = SseParser::with_limits(10, 10);
        p.push(b": 345678\ndata:12345\ndata:1234\n\n", &mut out)
            .unwrap();
        assert_eq!(out.pop(), Some(ev("message", "12345\n1234")));
        assert_eq!(
            p.push(b"data:12345\ndata:12345\n", &mut out),
            Err(SseError::EventTooLarge(10))
        );
        // Many small lines without a blank line: bounded too.
        let mut p = SseParser::with_limits(8, 10);
        let r = (0..20).try_for_each(|_| p.push(b"data:\n", &mut out));
        assert_eq!(r, Err(SseError::EventTooLarge(10)));
    }
}
