//! local-hub's CAS front (`local-hub/src/cas_front.rs`, `fetch_url.rs`, `cas_token.rs`): the route allowlist
//! over the raw path that is routed, `fetch_term` terms, and CAS token checks.
//!
//! Input: byte 0 picks the parser (mod 3), the rest is its input:
//! - 0, route: byte 1 picks the method (GET, HEAD, POST, PUT, DELETE, or the next bytes up to a
//!   space), then the raw path. An admitted path starts with `/`, has no empty, `.` or `..`
//!   segment and no `%`, only `[A-Za-z0-9_-]` in its segments, and a URL parser (as any proxy
//!   in front of local-hub would use) keeps it byte for byte: no normalisation can turn it
//!   into another route.
//! - 1, `fetch_term` query: the whole signed-URL check runs without a panic; an accepted term
//!   has a 64-hex-digit hash and non-empty ranges, and reads back the same when written in the
//!   server's scheme.
//! - 2, CAS token: no input is a valid token for a key the fuzzer does not know.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use local_hub::parse;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => route(rest),
        1 => term(rest),
        _ => token(rest),
    }
});

fn route(rest: &[u8]) {
    let Some((&pick, rest)) = rest.split_first() else {
        return;
    };
    let (method, path): (&[u8], &[u8]) = match pick % 6 {
        0 => (b"GET", rest),
        1 => (b"HEAD", rest),
        2 => (b"POST", rest),
        3 => (b"PUT", rest),
        4 => (b"DELETE", rest),
        _ => match rest.iter().position(|&b| b == b' ') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => return,
        },
    };
    let Ok(path) = std::str::from_utf8(path) else {
        return;
    };
    if parse::cas_route(method, path).is_err() {
        return;
    }
    let rest = path
        .strip_prefix('/')
        .expect("an admitted path starts with '/'");
    for segment in rest.split('/') {
        assert!(!segment.is_empty(), "empty segment admitted: {path:?}");
        assert!(
            segment != "." && segment != "..",
            "dot segment admitted: {path:?}"
        );
        assert!(
            segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "unexpected byte admitted: {path:?}"
        );
    }
    let url = url::Url::parse(&format!("http://127.0.0.1:1{path}")).expect("a valid URL");
    assert_eq!(
        url.path(),
        path,
        "the forwarding URL parser rewrote the path"
    );
    assert!(url.query().is_none() && url.fragment().is_none());
}

fn term(rest: &[u8]) {
    let Ok(query) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok((hash, ranges)) = parse::fetch_term(query) else {
        return;
    };
    assert!(
        hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{hash:?}"
    );
    for &(start, end) in &ranges {
        assert!(
            start < end,
            "empty or reversed range {start}-{end} accepted"
        );
    }
    let text = if ranges.is_empty() {
        hash.clone()
    } else {
        let list: Vec<String> = ranges.iter().map(|(s, e)| format!("{s}-{e}")).collect();
        format!("{hash}:{}", list.join(","))
    };
    let again = parse::fetch_term(&format!("term={}", URL_SAFE_NO_PAD.encode(text)));
    assert_eq!(again, Ok((hash, ranges)), "term round trip");
}

fn token(rest: &[u8]) {
    let Ok(token) = std::str::from_utf8(rest) else {
        return;
    };
    let key = b"a key the fuzzer never sees in any output: 0123456789abcdef";
    for now in [0, 1_700_000_000, u64::MAX] {
        assert_eq!(
            parse::cas_token_valid(key, token, now),
            Ok(false),
            "{token:?} passed"
        );
    }
}
