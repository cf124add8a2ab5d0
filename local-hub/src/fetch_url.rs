//! Signed, expiring `fetch_term` URLs: what reconstruction answers hand out for reading xorb
//! bytes, standing for the presigned storage URLs of the real service (xet-protocol.md §6.5).
//!
//! A URL is `{cas}/v1/fetch_term?term=T&exp=E&repo=R&sig=S`: `T` is the term (base64url of
//! `xorb hex[":" start "-" end ("," start "-" end)*]`, ends exclusive, the embedded server's
//! scheme), `E` the expiry (Unix seconds), `R` the `repo` claim of the CAS token the
//! reconstruction was answered to (percent-encoded), and `S` the base64url HMAC-SHA256 of
//! `fetch_term\n T \n E \n R` under a key drawn at start-up (so URLs die with the process).
//! The URL is the credential: `fetch_term` takes no CAS token, and changing the term (hash or
//! ranges), the expiry or the repo breaks the signature. As with presigned storage URLs, the
//! `Range` header is not signed: it selects bytes of the signed xorb.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use sha2::Sha256;

/// Lifetime of a fetch URL unless set otherwise: one hour, the lifetime the official client's
/// own tests give fetch URLs (`xet-data` 1.8.0 `file_reconstructor.rs`,
/// `set_fetch_term_url_expiration(Duration::from_secs(3600))`) and the lifetime of the Hub's
/// presigned transfer URLs. (The emulator's own default is "never".)
pub(crate) const DEFAULT_TTL_SECS: u64 = 3600;

/// Why a `fetch_term` URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UrlError {
    /// 400: a parameter is missing, repeated or malformed, or a term range is reversed or empty.
    #[error("invalid fetch term: {0}")]
    Malformed(&'static str),
    /// 403: the signature does not match the URL (changed, or from another process).
    #[error("invalid fetch URL signature")]
    BadSignature,
    /// 403: past its expiry.
    #[error("fetch URL expired")]
    Expired,
}

/// A checked term: one xorb and the byte ranges (ends exclusive) its URL was signed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    /// The xorb hash, 64 hex digits as written in the term.
    pub(crate) hash: String,
    /// Byte ranges of the stored xorb object, `start < end`; empty = the whole xorb.
    pub(crate) ranges: Vec<(u64, u64)>,
}

/// Signs and checks fetch URLs.
pub(crate) struct UrlSigner {
    keyed: Hmac<Sha256>,
    ttl_secs: AtomicU64,
}

fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parses a term value (the `term` parameter, undecoded: base64url has no `%`).
pub(crate) fn parse_term(raw: &str) -> Result<Term, UrlError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| UrlError::Malformed("the term is not base64url"))?;
    let text =
        String::from_utf8(bytes).map_err(|_| UrlError::Malformed("the term is not UTF-8"))?;
    let (hash, ranges_text) = match text.split_once(':') {
        Some((hash, ranges)) => (hash, Some(ranges)),
        None => (text.as_str(), None),
    };
    if !is_hash(hash) {
        return Err(UrlError::Malformed("the term's hash must be 64 hex digits"));
    }
    let mut ranges = Vec::new();
    for range in ranges_text.into_iter().flat_map(|r| r.split(',')) {
        if range.is_empty() {
            continue;
        }
        let (start, end) = range
            .split_once('-')
            .ok_or(UrlError::Malformed("invalid term range"))?;
        let start: u64 = start
            .parse()
            .map_err(|_| UrlError::Malformed("invalid term range start"))?;
        let end: u64 = end
            .parse()
            .map_err(|_| UrlError::Malformed("invalid term range end"))?;
        if start >= end {
            return Err(UrlError::Malformed("reversed or empty term range"));
        }
        ranges.push((start, end));
    }
    Ok(Term {
        hash: hash.to_string(),
        ranges,
    })
}

/// Encodes a term: the xorb hash and its byte ranges (ends exclusive).
fn encode_term(hash: &str, ranges: &[(u64, u64)]) -> String {
    let mut payload = hash.to_string();
    if !ranges.is_empty() {
        let list: Vec<String> = ranges.iter().map(|(a, b)| format!("{a}-{b}")).collect();
        payload.push(':');
        payload.push_str(&list.join(","));
    }
    URL_SAFE_NO_PAD.encode(payload.as_bytes())
}

/// The four parameters of a fetch URL, each present exactly once.
struct Params<'a> {
    term: &'a str,
    exp: &'a str,
    repo: &'a str,
    sig: &'a str,
}

fn params(query: &str) -> Result<Params<'_>, UrlError> {
    let (mut term, mut exp, mut repo, mut sig) = (None, None, None, None);
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match key {
            "term" => &mut term,
            "exp" => &mut exp,
            "repo" => &mut repo,
            "sig" => &mut sig,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(UrlError::Malformed("a parameter is repeated"));
        }
    }
    Ok(Params {
        term: term.ok_or(UrlError::Malformed("missing 'term' query parameter"))?,
        exp: exp.ok_or(UrlError::Malformed("missing 'exp' query parameter"))?,
        repo: repo.ok_or(UrlError::Malformed("missing 'repo' query parameter"))?,
        sig: sig.ok_or(UrlError::Malformed("missing 'sig' query parameter"))?,
    })
}

impl UrlSigner {
    /// A signer keyed with `key` (drawn at start-up; HMAC takes any key length).
    pub(crate) fn new(key: &[u8]) -> Result<Self, String> {
        let keyed =
            <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|e| format!("HMAC key: {e}"))?;
        Ok(Self {
            keyed,
            ttl_secs: AtomicU64::new(DEFAULT_TTL_SECS),
        })
    }

    /// Lifetime of the URLs signed from now on, in seconds.
    pub(crate) fn ttl_secs(&self) -> u64 {
        self.ttl_secs.load(Ordering::SeqCst)
    }

    /// Sets the lifetime of the URLs signed from now on.
    pub(crate) fn set_ttl_secs(&self, secs: u64) {
        self.ttl_secs.store(secs, Ordering::SeqCst);
    }

    fn mac(&self, term: &str, exp: &str, repo: &str) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        for (i, part) in ["fetch_term", term, exp, repo].iter().enumerate() {
            if i > 0 {
                mac.update(b"\n");
            }
            mac.update(part.as_bytes());
        }
        mac
    }

    /// The query string (`term=…&exp=…&repo=…&sig=…`) of a URL for `ranges` (ends exclusive)
    /// of xorb `hash`, valid until `now_secs` + the lifetime, for a token whose claim is `repo`.
    pub(crate) fn sign(
        &self,
        hash: &str,
        ranges: &[(u64, u64)],
        repo: &str,
        now_secs: u64,
    ) -> String {
        let term = encode_term(hash, ranges);
        let exp = now_secs.saturating_add(self.ttl_secs()).to_string();
        let tag = self.mac(&term, &exp, repo).finalize().into_bytes();
        format!(
            "term={term}&exp={exp}&repo={}&sig={}",
            utf8_percent_encode(repo, NON_ALPHANUMERIC),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// Checks a `fetch_term` query: well-formed (400 otherwise, before anything is looked up),
    /// then signed by this process and not expired at `now_secs` (403).
    pub(crate) fn verify(&self, query: &str, now_secs: u64) -> Result<Term, UrlError> {
        let p = params(query)?;
        let term = parse_term(p.term)?;
        let exp: u64 = p
            .exp
            .parse()
            .map_err(|_| UrlError::Malformed("'exp' must be Unix seconds"))?;
        let repo = percent_decode_str(p.repo)
            .decode_utf8()
            .map_err(|_| UrlError::Malformed("'repo' is not UTF-8"))?;
        let tag = URL_SAFE_NO_PAD
            .decode(p.sig)
            .map_err(|_| UrlError::BadSignature)?;
        self.mac(p.term, p.exp, &repo)
            .verify_slice(&tag)
            .map_err(|_| UrlError::BadSignature)?;
        if now_secs >= exp {
            return Err(UrlError::Expired);
        }
        Ok(term)
    }
}

/// The first term range that ends past a stored xorb of `length` bytes, if any.
pub(crate) fn range_past_end(term: &Term, length: u64) -> Option<(u64, u64)> {
    term.ranges.iter().copied().find(|&(_, end)| end > length)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> UrlSigner {
        UrlSigner::new(&[3; 32]).unwrap()
    }

    fn replace(query: &str, key: &str, value: &str) -> String {
        query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k == key => format!("{k}={value}"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    #[test]
    fn signed_urls_verify_until_they_expire() {
        let s = signer();
        let h = "0f".repeat(32);
        let q = s.sign(&h, &[(0, 10), (20, 30)], "bucket:alice/b c", 1000);
        assert!(q.contains("repo=bucket%3Aalice%2Fb%20c"), "{q}");
        let term = s.verify(&q, 1000 + DEFAULT_TTL_SECS - 1).unwrap();
        assert_eq!(term.hash, h);
        assert_eq!(term.ranges, vec![(0, 10), (20, 30)]);
        assert_eq!(
            s.verify(&q, 1000 + DEFAULT_TTL_SECS),
            Err(UrlError::Expired)
        );
        // Another process's key.
        let other = UrlSigner::new(&[4; 32]).unwrap();
        assert_eq!(other.verify(&q, 1000), Err(UrlError::BadSignature));
        // A shorter lifetime applies to URLs signed afterwards.
        s.set_ttl_secs(5);
        let short = s.sign(&h, &[(0, 10)], "bucket:a/b", 1000);
        assert!(s.verify(&short, 1004).is_ok());
        assert_eq!(s.verify(&short, 1005), Err(UrlError::Expired));
    }

    #[test]
    fn tampering_breaks_the_signature() {
        let s = signer();
        let h = "0f".repeat(32);
        let q = s.sign(&h, &[(0, 10)], "bucket:alice/b", 1000);
        let tampered = [
            replace(&q, "term", &encode_term(&h, &[(0, 11)])),
            replace(&q, "term", &encode_term(&"1f".repeat(32), &[(0, 10)])),
            replace(&q, "term", &encode_term(&h, &[])),
            replace(&q, "exp", "99999999999"),
            replace(&q, "repo", "bucket%3Aalice%2Fother"),
            replace(&q, "sig", "AAAA"),
        ];
        for t in &tampered {
            assert_eq!(s.verify(t, 1000), Err(UrlError::BadSignature), "{t}");
        }
        // Not base64url at all: still a bad signature (403), never a 400 that tells more.
        assert_eq!(
            s.verify(&replace(&q, "sig", "!!"), 1000),
            Err(UrlError::BadSignature)
        );
    }

    #[test]
    fn malformed_queries_are_400_before_the_signature() {
        let s = signer();
        let h = "0f".repeat(32);
        let q = s.sign(&h, &[(0, 10)], "bucket:a/b", 1000);
        for bad in [
            replace(&q, "term", &encode_term(&h, &[(10, 5)])),
            replace(&q, "term", &URL_SAFE_NO_PAD.encode(format!("{h}:5-5"))),
            replace(&q, "term", &URL_SAFE_NO_PAD.encode(format!("{h}:a-5"))),
            replace(&q, "term", &URL_SAFE_NO_PAD.encode(format!("{h}:5"))),
            replace(&q, "term", &URL_SAFE_NO_PAD.encode("zz")),
            replace(&q, "term", "***"),
            replace(&q, "exp", "soon"),
            format!("{q}&term=x"),
            q.replace("&sig=", "&nosig="),
            String::new(),
        ] {
            assert!(
                matches!(s.verify(&bad, 1000), Err(UrlError::Malformed(_))),
                "{bad}"
            );
        }
        // Unknown parameters are ignored.
        assert!(s.verify(&format!("x=1&{q}"), 1000).is_ok());
    }

    #[test]
    fn ranges_past_the_end() {
        let term = Term {
            hash: "0f".repeat(32),
            ranges: vec![(0, 10), (20, 31)],
        };
        assert_eq!(range_past_end(&term, 31), None);
        assert_eq!(range_past_end(&term, 30), Some((20, 31)));
    }
}
