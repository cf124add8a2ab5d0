//! Short-lived CAS access tokens (buckets-api.md §8): `xet_<payload>.<mac>`, where the
//! payload is base64url JSON `{scope, repo, exp, iat}` and the MAC is HMAC-SHA256 under a
//! secret kept in the data directory. The CAS front verifies them on every request.

use std::sync::atomic::{AtomicI64, Ordering};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::store::RepoType;

const PREFIX: &str = "xet_";

/// What a CAS token was issued for, read from its `repo` claim: reconstructions are answered
/// only for files this bucket or repo references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject<'a> {
    /// `bucket:{ns}/{name}`.
    Bucket(&'a str),
    /// `{model|dataset|space}:{ns}/{name}@{rev}` (any revision of the repo counts).
    Repo(RepoType, &'a str),
}

/// The `repo` claim of a bucket's CAS token.
pub(crate) fn bucket_claim(bucket_id: &str) -> String {
    format!("bucket:{bucket_id}")
}

/// The `repo` claim of a repo's CAS token.
pub(crate) fn repo_claim(kind: RepoType, repo_id: &str, rev: &str) -> String {
    format!("{}:{repo_id}@{rev}", kind.as_str())
}

/// Reads a `repo` claim written by [`bucket_claim`] or [`repo_claim`]; `None` for any other
/// (e.g. the LFS upload URLs' claims), which reads nothing.
pub(crate) fn subject(claim: &str) -> Option<Subject<'_>> {
    let (kind, rest) = claim.split_once(':')?;
    if kind == "bucket" {
        return Some(Subject::Bucket(rest));
    }
    let kind = match kind {
        "model" => RepoType::Model,
        "dataset" => RepoType::Dataset,
        "space" => RepoType::Space,
        _ => return None,
    };
    let (id, _rev) = rest.split_once('@')?;
    Some(Subject::Repo(kind, id))
}

/// What a CAS token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Scope {
    /// Reconstructions, dedup queries, HEAD routes.
    Read,
    /// Everything, including xorb and shard uploads.
    Write,
}

/// The signed content of a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    /// Read or write.
    pub(crate) scope: Scope,
    /// What the token was issued for, e.g. `bucket:alice/ckpts` or `dataset:acme/corpus@main`.
    pub(crate) repo: String,
    /// Expiry, Unix seconds.
    pub(crate) exp: u64,
    /// Issue time, Unix microseconds (used to revoke every token issued before a moment).
    pub(crate) iat: i64,
    /// Random nonce so that two tokens issued in the same millisecond differ.
    pub(crate) n: String,
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum TokenError {
    #[error("missing CAS access token")]
    Missing,
    #[error("malformed CAS access token")]
    Malformed,
    #[error("invalid CAS access token signature")]
    BadSignature,
    #[error("CAS access token expired")]
    Expired,
    #[error("CAS access token has read scope; this route needs write")]
    WrongScope,
}

/// Issues and checks tokens.
pub(crate) struct Signer {
    keyed: Hmac<Sha256>,
    /// Tokens issued before this instant (Unix µs) count as expired.
    revoked_before_us: AtomicI64,
}

impl Signer {
    /// A signer keyed with `key` (HMAC accepts any key length; the error is kept for form).
    pub(crate) fn new(key: &[u8]) -> Result<Self, String> {
        let keyed =
            <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|e| format!("HMAC key: {e}"))?;
        Ok(Self {
            keyed,
            revoked_before_us: AtomicI64::new(i64::MIN),
        })
    }

    fn mac(&self, data: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(data);
        mac
    }

    /// Signs `claims` into a token string.
    pub(crate) fn issue(&self, claims: &Claims) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let tag = self.mac(payload.as_bytes()).finalize().into_bytes();
        format!("{PREFIX}{payload}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// Checks signature, expiry (against `now_secs`) and revocation.
    pub(crate) fn verify(&self, token: &str, now_secs: u64) -> Result<Claims, TokenError> {
        let rest = token.strip_prefix(PREFIX).ok_or(TokenError::Malformed)?;
        let (payload, tag) = rest.split_once('.').ok_or(TokenError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| TokenError::Malformed)?;
        self.mac(payload.as_bytes())
            .verify_slice(&tag)
            .map_err(|_| TokenError::BadSignature)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
        if now_secs >= claims.exp || claims.iat < self.revoked_before_us.load(Ordering::SeqCst) {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    /// Makes every token issued before `us` (Unix µs) count as expired.
    pub(crate) fn revoke_all_issued_before(&self, us: i64) {
        self.revoked_before_us.fetch_max(us, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: u64, iat: i64) -> Claims {
        Claims {
            scope: Scope::Read,
            repo: "bucket:a/b".into(),
            exp,
            iat,
            n: "x".into(),
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let signer = Signer::new(&[7; 32]).unwrap();
        let token = signer.issue(&claims(100, 5));
        assert_eq!(signer.verify(&token, 99).map(|c| c.scope), Ok(Scope::Read));
        assert_eq!(signer.verify(&token, 100).err(), Some(TokenError::Expired));
        let other = Signer::new(&[8; 32]).unwrap();
        assert_eq!(
            other.verify(&token, 1).err(),
            Some(TokenError::BadSignature)
        );
        assert_eq!(
            signer.verify("garbage", 1).err(),
            Some(TokenError::Malformed)
        );
        assert_eq!(
            signer.verify("xet_a.b.c", 1).err(),
            Some(TokenError::Malformed)
        );
        let mut flipped = token.clone().into_bytes();
        if let Some(b) = flipped.get_mut(6) {
            *b = if *b == b'A' { b'B' } else { b'A' };
        }
        let flipped = String::from_utf8(flipped).unwrap_or_default();
        assert!(signer.verify(&flipped, 1).is_err());
    }

    #[test]
    fn subjects() {
        assert_eq!(
            subject(&bucket_claim("alice/b")),
            Some(Subject::Bucket("alice/b"))
        );
        assert_eq!(
            subject(&repo_claim(RepoType::Dataset, "acme/d", "refs/pr/1")),
            Some(Subject::Repo(RepoType::Dataset, "acme/d"))
        );
        assert_eq!(subject("lfs-upload:model:a/b:00:1"), None);
        assert_eq!(subject("model:a/b"), None);
        assert_eq!(subject("nothing"), None);
    }

    #[test]
    fn revocation() {
        let signer = Signer::new(&[1; 32]).unwrap();
        let token = signer.issue(&claims(u64::MAX, 10));
        assert!(signer.verify(&token, 1).is_ok());
        signer.revoke_all_issued_before(11);
        assert_eq!(signer.verify(&token, 1).err(), Some(TokenError::Expired));
    }
}
