//! A small JSON reader and writer (RFC 8259) for the protocol's documents: the CAS's
//! reconstructions here, the Hub's answers and the request bodies in the client.
//!
//! [`parse`] reads a whole document into a [`Value`] tree and never panics: malformed input,
//! invalid UTF-8, lone surrogates and nesting deeper than 128 levels are a [`JsonError`] with
//! the byte offset. Numbers keep the text they were written as and are read exactly as integers
//! ([`Value::as_u64`], [`Value::as_i64`]); the protocol has no fractional numbers this crate or
//! the client reads. Typed reads of object members ([`Value::field`], [`Value::u64_at`], …)
//! say what was wrong as a [`ShapeError`] naming the member.
//!
//! [`write_str`] and [`ObjectWriter`] write JSON text; [`Value::write`] writes a tree back.
//!
//! ```
//! use xet::json::{parse, ObjectWriter, Value};
//! let v = parse(br#"{"id":"me/b","size":12,"tags":["a"],"note":null}"#).unwrap();
//! assert_eq!(v.str_at("id").unwrap(), "me/b");
//! assert_eq!(v.u64_at("size").unwrap(), 12);
//! assert_eq!(v.opt_string_at("note").unwrap(), None);
//! assert!(v.u64_at("id").is_err());
//! assert!(parse(b"{\"a\":1,}").is_err());
//!
//! let mut out = String::new();
//! ObjectWriter::new(&mut out).str("path", "a\"b").u64("size", 3).end();
//! assert_eq!(out, r#"{"path":"a\"b","size":3}"#);
//! assert_eq!(parse(out.as_bytes()).unwrap().str_at("path").unwrap(), "a\"b");
//! ```

use std::fmt;

/// Nesting deeper than this is refused: the documents of the protocol nest a few levels, and
/// the limit bounds the reader's recursion on any input.
pub const MAX_DEPTH: usize = 128;

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written in the document (validated against the JSON grammar).
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object's members in document order; lookups take the last of repeated names.
    Object(Vec<(String, Value)>),
}

/// Malformed JSON: what is wrong, and at which byte of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} at byte {offset}")]
pub struct JsonError {
    /// Offset of the offending byte (the input's length for a premature end).
    pub offset: usize,
    /// What is wrong.
    pub reason: &'static str,
}

/// Well-formed JSON of the wrong shape: a missing member, or one of the wrong type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ShapeError(pub String);

impl From<JsonError> for ShapeError {
    fn from(e: JsonError) -> ShapeError {
        ShapeError(e.to_string())
    }
}

impl ShapeError {
    fn expected(what: &str, kind: &str) -> ShapeError {
        ShapeError(format!("`{what}`: expected {kind}"))
    }
}

/// Parses a whole JSON document (surrounding whitespace allowed, nothing else).
///
/// # Errors
/// [`JsonError`] for anything that is not one well-formed JSON value.
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut r = Reader { b: bytes, at: 0 };
    r.skip_ws();
    let v = r.value(0)?;
    r.skip_ws();
    if r.at != bytes.len() {
        return Err(r.err("trailing characters"));
    }
    Ok(v)
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn err(&self, reason: &'static str) -> JsonError {
        JsonError {
            offset: self.at,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'n') => self.word(b"null", Value::Null),
            Some(b't') => self.word(b"true", Value::Bool(true)),
            Some(b'f') => self.word(b"false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'[') => self.array(depth + 1),
            Some(b'{') => self.object(depth + 1),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a value")),
        }
    }

    fn word(&mut self, word: &'static [u8], value: Value) -> Result<Value, JsonError> {
        if self.b.get(self.at..self.at + word.len()) == Some(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.err("expected a value"))
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        self.at += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.err("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        self.at += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a member name"));
            }
            let name = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected `:`"));
            }
            self.at += 1;
            self.skip_ws();
            members.push((name, self.value(depth)?));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.err("expected `,` or `}`")),
            }
        }
    }

    /// Skips a run of digits; false when there was none.
    fn digits(&mut self) -> bool {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at > start
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !self.digits() {
                return Err(self.err("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if !self.digits() {
                return Err(self.err("invalid number"));
            }
        }
        let text = self.b.get(start..self.at).unwrap_or_default();
        // ASCII by construction.
        Ok(Value::Number(text.iter().map(|&c| char::from(c)).collect()))
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.at += 1;
            }
            // A run never splits a UTF-8 sequence: it ends at an ASCII byte or the input's end.
            let run = self.b.get(start..self.at).unwrap_or_default();
            match std::str::from_utf8(run) {
                Ok(s) => out.push_str(s),
                Err(e) => {
                    return Err(JsonError {
                        offset: start + e.valid_up_to(),
                        reason: "invalid UTF-8 in a string",
                    })
                }
            }
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    out.push(self.escape()?);
                }
                Some(_) => return Err(self.err("control character in a string")),
                None => return Err(self.err("unterminated string")),
            }
        }
    }

    fn escape(&mut self) -> Result<char, JsonError> {
        let Some(c) = self.peek() else {
            return Err(self.err("unterminated string"));
        };
        self.at += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    if self.b.get(self.at..self.at + 2) != Some(b"\\u") {
                        return Err(self.err("lone surrogate in a \\u escape"));
                    }
                    self.at += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.err("lone surrogate in a \\u escape"));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                match char::from_u32(code) {
                    Some(ch) => ch,
                    None => return Err(self.err("lone surrogate in a \\u escape")),
                }
            }
            _ => {
                self.at -= 1;
                return Err(self.err("invalid escape"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let Some(digits) = self.b.get(self.at..self.at + 4) else {
            return Err(self.err("invalid \\u escape"));
        };
        let mut code = 0;
        for &d in digits {
            match char::from(d).to_digit(16) {
                Some(v) => code = code * 16 + v,
                None => return Err(self.err("invalid \\u escape")),
            }
        }
        self.at += 4;
        Ok(code)
    }
}

impl Value {
    /// The member `name` of an object (the last one of that name), `None` for anything else.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is an integer from 0 to `u64::MAX` written without a fraction or an
    /// exponent.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// The number, if this is an integer in the `i64` range written without a fraction or an
    /// exponent.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    // ---- typed reads of object members (`what` names the member in errors)

    /// The member `name`, which must be present and not `null`.
    ///
    /// # Errors
    /// [`ShapeError`] when this is no object, or the member is missing or `null`.
    pub fn field(&self, name: &str) -> Result<&Value, ShapeError> {
        if !matches!(self, Value::Object(_)) {
            return Err(ShapeError::expected(name, "a member of an object"));
        }
        match self.get(name) {
            None | Some(Value::Null) => Err(ShapeError(format!("missing field `{name}`"))),
            Some(v) => Ok(v),
        }
    }

    /// The member `name`, `None` when it is missing or `null`.
    ///
    /// # Errors
    /// [`ShapeError`] when this is no object.
    pub fn opt_field(&self, name: &str) -> Result<Option<&Value>, ShapeError> {
        if !matches!(self, Value::Object(_)) {
            return Err(ShapeError::expected(name, "a member of an object"));
        }
        Ok(self.get(name).filter(|v| !v.is_null()))
    }

    /// This value as a string (`what` names it in the error).
    ///
    /// # Errors
    /// [`ShapeError`] for anything but a string.
    pub fn to_str(&self, what: &str) -> Result<&str, ShapeError> {
        self.as_str()
            .ok_or_else(|| ShapeError::expected(what, "a string"))
    }

    /// This value as an unsigned integer.
    ///
    /// # Errors
    /// [`ShapeError`] for anything but an integer from 0 to `u64::MAX`.
    pub fn to_u64(&self, what: &str) -> Result<u64, ShapeError> {
        self.as_u64()
            .ok_or_else(|| ShapeError::expected(what, "an unsigned integer"))
    }

    /// This value as an unsigned 32-bit integer.
    ///
    /// # Errors
    /// [`ShapeError`] for anything but an integer from 0 to `u32::MAX`.
    pub fn to_u32(&self, what: &str) -> Result<u32, ShapeError> {
        self.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| ShapeError::expected(what, "an unsigned 32-bit integer"))
    }

    /// This value as a signed integer.
    ///
    /// # Errors
    /// [`ShapeError`] for anything but an integer in the `i64` range.
    pub fn to_i64(&self, what: &str) -> Result<i64, ShapeError> {
        self.as_i64()
            .ok_or_else(|| ShapeError::expected(what, "an integer"))
    }

    /// This value as a boolean.
    ///
    /// # Errors
    /// [`ShapeError`] for anything but `true` or `false`.
    pub fn to_bool(&self, what: &str) -> Result<bool, ShapeError> {
        self.as_bool()
            .ok_or_else(|| ShapeError::expected(what, "a boolean"))
    }

    /// This value as an array.
    ///
    /// # Errors
    /// [`ShapeError`] for anything but an array.
    pub fn to_array(&self, what: &str) -> Result<&[Value], ShapeError> {
        self.as_array()
            .ok_or_else(|| ShapeError::expected(what, "an array"))
    }

    /// This value as an object's members.
    ///
    /// # Errors
    /// [`ShapeError`] for anything but an object.
    pub fn to_object(&self, what: &str) -> Result<&[(String, Value)], ShapeError> {
        self.as_object()
            .ok_or_else(|| ShapeError::expected(what, "an object"))
    }

    /// The string member `name`.
    ///
    /// # Errors
    /// [`ShapeError`] when it is missing or of another type.
    pub fn str_at(&self, name: &str) -> Result<&str, ShapeError> {
        self.field(name)?.to_str(name)
    }

    /// The unsigned integer member `name`.
    ///
    /// # Errors
    /// [`ShapeError`] when it is missing or of another type.
    pub fn u64_at(&self, name: &str) -> Result<u64, ShapeError> {
        self.field(name)?.to_u64(name)
    }

    /// The boolean member `name`.
    ///
    /// # Errors
    /// [`ShapeError`] when it is missing or of another type.
    pub fn bool_at(&self, name: &str) -> Result<bool, ShapeError> {
        self.field(name)?.to_bool(name)
    }

    /// The optional string member `name` (missing or `null`: `None`).
    ///
    /// # Errors
    /// [`ShapeError`] when it is of another type.
    pub fn opt_string_at(&self, name: &str) -> Result<Option<String>, ShapeError> {
        self.opt_field(name)?
            .map(|v| v.to_str(name).map(String::from))
            .transpose()
    }

    /// The optional unsigned integer member `name` (missing or `null`: `None`).
    ///
    /// # Errors
    /// [`ShapeError`] when it is of another type.
    pub fn opt_u64_at(&self, name: &str) -> Result<Option<u64>, ShapeError> {
        self.opt_field(name)?.map(|v| v.to_u64(name)).transpose()
    }

    /// Writes this value as JSON text (numbers as they were written).
    pub fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(n),
            Value::String(s) => write_str(out, s),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                for (i, (name, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(out, name);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write(&mut out);
        f.write_str(&out)
    }
}

/// Appends `s` as a JSON string: `"` and `\` escaped, control characters as `\n`, `\r`, `\t`,
/// `\b`, `\f` or `\u00XX`, everything else as it is.
pub fn write_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut plain = 0;
    for (i, c) in s.bytes().enumerate() {
        let escaped = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(plain..i).unwrap_or_default());
        plain = i + 1;
        if escaped.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 15)]));
        } else {
            out.push_str(escaped);
        }
    }
    out.push_str(s.get(plain..).unwrap_or_default());
    out.push('"');
}

/// Writes one JSON object member by member into a string.
pub struct ObjectWriter<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    /// Starts an object at the end of `out`.
    pub fn new(out: &'a mut String) -> ObjectWriter<'a> {
        out.push('{');
        ObjectWriter { out, first: true }
    }

    /// Starts the member `name`; its value is written next, into [`ObjectWriter::out`].
    pub fn name(&mut self, name: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(self.out, name);
        self.out.push(':');
        self.out
    }

    /// A string member.
    pub fn str(&mut self, name: &str, value: &str) -> &mut Self {
        write_str(self.name(name), value);
        self
    }

    /// A string member, left out when `None`.
    pub fn opt_str(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.str(name, v);
        }
        self
    }

    /// An unsigned integer member.
    pub fn u64(&mut self, name: &str, value: u64) -> &mut Self {
        let out = self.name(name);
        out.push_str(&value.to_string());
        self
    }

    /// A signed integer member.
    pub fn i64(&mut self, name: &str, value: i64) -> &mut Self {
        let out = self.name(name);
        out.push_str(&value.to_string());
        self
    }

    /// A signed integer member, left out when `None`.
    pub fn opt_i64(&mut self, name: &str, value: Option<i64>) -> &mut Self {
        if let Some(v) = value {
            self.i64(name, v);
        }
        self
    }

    /// A boolean member.
    pub fn bool(&mut self, name: &str, value: bool) -> &mut Self {
        self.name(name)
            .push_str(if value { "true" } else { "false" });
        self
    }

    /// A member whose value `write` appends as JSON text.
    pub fn raw(&mut self, name: &str, write: impl FnOnce(&mut String)) -> &mut Self {
        write(self.name(name));
        self
    }

    /// Ends the object.
    pub fn end(&mut self) {
        self.out.push('}');
    }
}

/// Appends the object whose members `members` writes.
pub fn write_object(out: &mut String, members: impl FnOnce(&mut ObjectWriter<'_>)) {
    let mut o = ObjectWriter::new(out);
    members(&mut o);
    o.end();
}

/// Appends the items of `items` as a JSON array, each written by `write`.
pub fn write_array<T>(out: &mut String, items: &[T], mut write: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(out, item);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_kind_of_value() {
        let v = parse(
            br#" { "a" : [1, -2, 3.5e-1, 0, true, false, null, "x\u00e9\ud83d\ude00\n\"\\\/"],
                   "b": {}, "c": [], "a2": -0 } "#,
        )
        .unwrap();
        let a = v.get("a").unwrap().as_array().unwrap();
        assert_eq!(a[0].as_u64(), Some(1));
        assert_eq!(a[1].as_i64(), Some(-2));
        assert_eq!(a[1].as_u64(), None);
        assert_eq!(a[2], Value::Number("3.5e-1".into()));
        assert_eq!(a[2].as_u64(), None);
        assert_eq!(a[4].as_bool(), Some(true));
        assert!(a[6].is_null());
        assert_eq!(a[7].as_str(), Some("xé😀\n\"\\/"));
        assert_eq!(v.get("b"), Some(&Value::Object(vec![])));
        assert_eq!(v.get("c"), Some(&Value::Array(vec![])));
        assert_eq!(v.get("a2").unwrap().as_i64(), Some(0));
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            &b""[..],
            b" ",
            b"{",
            b"[1,]",
            b"{\"a\":1,}",
            b"{\"a\" 1}",
            b"{a:1}",
            b"01",
            b"1.",
            b".5",
            b"1e",
            b"-",
            b"+1",
            b"tru",
            b"nul",
            b"\"abc",
            b"\"a\x01b\"",
            b"\"\\x\"",
            b"\"\\u12\"",
            b"\"\\ud800\"",
            b"\"\\udc00\"",
            b"\"\\ud800\\u0041\"",
            b"\"\xff\"",
            b"\"\xc3\"",
            b"1 2",
            b"[1] x",
            b"NaN",
            b"'a'",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let e = parse(b"[1, ?]").unwrap_err();
        assert_eq!(e.offset, 4);
        assert_eq!(e.to_string(), "expected a value at byte 4");
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(deep(MAX_DEPTH).as_bytes()).is_ok());
        assert_eq!(
            parse(deep(MAX_DEPTH + 1).as_bytes()).unwrap_err().reason,
            "nested too deeply"
        );
        // Far deeper input fails the same way, without exhausting the stack.
        assert!(parse(deep(1_000_000).as_bytes()).is_err());
        let objects = "{\"a\":".repeat(MAX_DEPTH + 1) + &"}".repeat(MAX_DEPTH + 1);
        assert!(parse(objects.as_bytes()).is_err());
    }

    #[test]
    fn integers_are_exact() {
        assert_eq!(
            parse(b"18446744073709551615").unwrap().as_u64(),
            Some(u64::MAX)
        );
        assert_eq!(parse(b"18446744073709551616").unwrap().as_u64(), None);
        assert_eq!(
            parse(b"-9223372036854775808").unwrap().as_i64(),
            Some(i64::MIN)
        );
        assert_eq!(parse(b"1e3").unwrap().as_u64(), None);
        assert_eq!(parse(b"1.0").unwrap().as_u64(), None);
    }

    #[test]
    fn typed_reads_name_the_member() {
        let v = parse(br#"{"s":"x","n":5,"b":true,"z":null,"neg":-1,"big":4294967296}"#).unwrap();
        assert_eq!(v.str_at("s").unwrap(), "x");
        assert_eq!(v.u64_at("n").unwrap(), 5);
        assert!(v.bool_at("b").unwrap());
        assert_eq!(v.u64_at("z").unwrap_err().to_string(), "missing field `z`");
        assert_eq!(
            v.u64_at("nope").unwrap_err().to_string(),
            "missing field `nope`"
        );
        assert_eq!(
            v.u64_at("s").unwrap_err().to_string(),
            "`s`: expected an unsigned integer"
        );
        assert!(v.u64_at("neg").is_err());
        assert!(v.field("big").unwrap().to_u32("big").is_err());
        assert_eq!(v.opt_string_at("z").unwrap(), None);
        assert_eq!(v.opt_string_at("nope").unwrap(), None);
        assert!(v.opt_string_at("n").is_err());
        assert_eq!(v.opt_u64_at("n").unwrap(), Some(5));
        assert!(Value::Array(vec![]).field("a").is_err());
        // The last of repeated names wins.
        assert_eq!(parse(br#"{"a":1,"a":2}"#).unwrap().u64_at("a").unwrap(), 2);
    }

    #[test]
    fn writes_what_it_reads() {
        let text = "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f} é😀/";
        let mut out = String::new();
        write_str(&mut out, text);
        assert_eq!(out, r#""a\"b\\c\n\r\t\b\f\u0001\u001f é😀/""#);
        assert_eq!(parse(out.as_bytes()).unwrap().as_str(), Some(text));
        let doc = br#"{"a":[1,-2.5e3,true,null,"x"],"b":{"c":{}},"d":[]}"#;
        let v = parse(doc).unwrap();
        assert_eq!(v.to_string().as_bytes(), &doc[..]);
        let mut out = String::new();
        ObjectWriter::new(&mut out)
            .str("s", "x")
            .opt_str("none", None)
            .u64("u", u64::MAX)
            .i64("i", -3)
            .opt_i64("t", Some(7))
            .bool("b", false)
            .raw("r", |o| {
                write_array(o, &[1u8, 2], |o, n| o.push_str(&n.to_string()))
            })
            .end();
        assert_eq!(
            out,
            r#"{"s":"x","u":18446744073709551615,"i":-3,"t":7,"b":false,"r":[1,2]}"#
        );
    }
}
