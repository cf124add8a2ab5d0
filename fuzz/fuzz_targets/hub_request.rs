//! local-hub's hand-written parsing of Hub requests (`local-hub/src/http_util.rs`, `faults.rs`):
//! `Range` headers, `Host` names, listing queries and cursors, path percent-coding, and fault
//! rules' path globs.
//!
//! Input: byte 0 picks the parser (mod 5), the rest is its input:
//! - 0, `Range`: bytes 1..9 the resource size (u64 LE), then the header value. A range served
//!   lies inside the resource, is not empty, and is no longer than the header's `a-b` asks.
//! - 1, `Host`: byte 1 picks the bound address, then the header value. An accepted host names
//!   the server (a loopback name or address, the bound address, or any IP literal on a
//!   wildcard bind), and its name is a DNS name or an IP literal: nothing a URL built from it
//!   (`casUrl`, `Link`) could read as a path, userinfo, query or fragment.
//! - 2, listing query: `limit` is within 1..=1000; a cursor the server decodes, encoded the
//!   way the server hands it out (in a `Link` query), decodes to the same path.
//! - 3, path percent-coding: decoding an encoded path gives it back, and the encoding holds
//!   only unreserved characters, `/` and `%XX`.
//! - 4, glob: `pattern NUL text`; the matcher agrees with a reference dynamic program.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use local_hub::parse;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 5 {
        0 => range(rest),
        1 => host(rest),
        2 => listing(rest),
        3 => paths(rest),
        _ => glob(rest),
    }
});

fn range(rest: &[u8]) {
    let Some((size, header)) = rest.split_first_chunk::<8>() else {
        return;
    };
    let size = u64::from_le_bytes(*size) >> (size[0] % 64);
    let Ok(Some((start, end))) = parse::range(header, size) else {
        return;
    };
    assert!(start < end && end <= size, "{start}..{end} of {size}");
    // `bytes=a-b` never serves more than b - a + 1 bytes.
    let text = String::from_utf8_lossy(header);
    if let Some((a, b)) = text
        .trim()
        .strip_prefix("bytes=")
        .and_then(|s| s.trim().split_once('-'))
    {
        if let (Ok(a), Ok(b)) = (a.trim().parse::<u64>(), b.trim().parse::<u64>()) {
            assert!(end - start <= b - a + 1, "{start}..{end} for {a}-{b}");
        }
    }
}

fn host(rest: &[u8]) {
    let Some((&pick, value)) = rest.split_first() else {
        return;
    };
    let Ok(value) = std::str::from_utf8(value) else {
        return;
    };
    let bind = match pick % 4 {
        0 => IpAddr::V4(Ipv4Addr::LOCALHOST),
        1 => IpAddr::V6(Ipv6Addr::LOCALHOST),
        2 => IpAddr::V4(Ipv4Addr::new(192, 168, 7, 9)),
        _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    if !parse::host_allowed(bind, &[], value) {
        return;
    }
    let name = parse::hostname(value).to_ascii_lowercase();
    let literal = name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        assert!(
            ip.is_loopback() || ip == bind || bind.is_unspecified(),
            "{value:?} accepted on {bind}"
        );
        return;
    }
    assert!(
        name == "localhost" || name.ends_with(".localhost"),
        "{value:?} accepted on {bind}"
    );
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'),
        "{value:?} accepted: not a DNS name"
    );
}

fn listing(rest: &[u8]) {
    let Ok(raw) = std::str::from_utf8(rest) else {
        return;
    };
    let l = parse::listing(raw);
    if let Ok(n) = l.limit {
        assert!((1..=1000).contains(&n), "limit {n}");
    }
    if let Ok(Some(path)) = l.cursor {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("cursor", &parse::encode_cursor(&path))
            .finish();
        let again = parse::listing(&query).cursor;
        assert_eq!(again, Ok(Some(path)), "cursor round trip");
    }
}

fn paths(rest: &[u8]) {
    let Ok(path) = std::str::from_utf8(rest) else {
        return;
    };
    let encoded = parse::encode_path(path);
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~%".contains(&b)),
        "{encoded:?}"
    );
    assert_eq!(parse::decode_path(&encoded).as_deref(), Ok(path));
    // Decoding anything gives UTF-8 or an error, never a panic.
    let _ = parse::decode_path(path);
}

fn glob(rest: &[u8]) {
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (pattern, subject) = text.split_once('\0').unwrap_or((text, ""));
    if pattern.len() > 64 || subject.len() > 256 {
        return;
    }
    assert_eq!(
        parse::glob_match(pattern, subject),
        reference_glob(pattern.as_bytes(), subject.as_bytes()),
        "{pattern:?} vs {subject:?}"
    );
}

/// `*` matches any run of bytes; everything else itself.
fn reference_glob(p: &[u8], t: &[u8]) -> bool {
    // m[i][j]: p[..i] matches t[..j].
    let mut m = vec![vec![false; t.len() + 1]; p.len() + 1];
    m[0][0] = true;
    for i in 1..=p.len() {
        for j in 0..=t.len() {
            m[i][j] = if p[i - 1] == b'*' {
                m[i - 1][j] || (j > 0 && m[i][j - 1])
            } else {
                j > 0 && m[i - 1][j - 1] && p[i - 1] == t[j - 1]
            };
        }
    }
    m[p.len()][t.len()]
}
