//! Users, organisations and `hf_` tokens, and the access rules built on them
//! (buckets-api.md §2, §6.1, §6.3): who may read and who may write a namespace.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::time;

/// What a Hub token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TokenRole {
    /// Read everything the user can see.
    Read,
    /// Also write where the user may write.
    Write,
}

/// A user's role in an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MemberRole {
    /// Sees private repos and buckets of the org.
    Read,
    /// Also writes to them.
    Write,
    /// Same as write for local-hub.
    Admin,
}

/// A user account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) fullname: String,
    pub(crate) email: Option<String>,
}

/// An organisation and its members.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Org {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) fullname: String,
    pub(crate) members: BTreeMap<String, MemberRole>,
    /// Buckets created in the org without a visibility are private (an enterprise setting).
    #[serde(default)]
    pub(crate) default_private: bool,
}

/// A Hub access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Token {
    pub(crate) user: String,
    pub(crate) role: TokenRole,
    pub(crate) display_name: String,
    pub(crate) created_at: i64,
}

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) user: String,
    pub(crate) role: TokenRole,
    pub(crate) display_name: String,
    pub(crate) created_at: i64,
}

/// Every account; persisted as `hub/accounts.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Accounts {
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) orgs: BTreeMap<String, Org>,
    pub(crate) tokens: BTreeMap<String, Token>,
    /// The write token of the default `demo` user, kept across restarts.
    #[serde(default)]
    pub(crate) demo_token: Option<String>,
}

/// A 24-hex-digit id like the Hub's object ids.
pub(crate) fn object_id() -> String {
    let mut bytes = [0u8; 12];
    crate::random_fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Names of users, orgs, buckets and repos: letters, digits, `-`, `_`, `.`; no `--`/`..`;
/// no leading/trailing `-` or `.`; 1–96 characters (buckets-api.md §3.1).
pub(crate) fn valid_name(name: &str) -> bool {
    // The client's rules, from the one shared crate (so the two cannot drift).
    hub_names::check_name(name).is_ok()
}

impl Accounts {
    /// Adds a user if missing; returns whether it was added.
    pub(crate) fn ensure_user(&mut self, name: &str) -> Result<bool, String> {
        if self.users.contains_key(name) {
            return Ok(false);
        }
        if !valid_name(name) {
            return Err(format!("invalid user name {name:?}"));
        }
        if self.orgs.contains_key(name) {
            return Err(format!("{name:?} is already an organisation"));
        }
        self.users.insert(
            name.to_string(),
            User {
                id: object_id(),
                name: name.to_string(),
                fullname: name.to_string(),
                email: None,
            },
        );
        Ok(true)
    }

    /// Adds an org if missing.
    pub(crate) fn ensure_org(&mut self, name: &str) -> Result<(), String> {
        if self.orgs.contains_key(name) {
            return Ok(());
        }
        if !valid_name(name) {
            return Err(format!("invalid organisation name {name:?}"));
        }
        if self.users.contains_key(name) {
            return Err(format!("{name:?} is already a user"));
        }
        self.orgs.insert(
            name.to_string(),
            Org {
                id: object_id(),
                name: name.to_string(),
                fullname: name.to_string(),
                members: BTreeMap::new(),
                default_private: false,
            },
        );
        Ok(())
    }

    /// Adds (or replaces) a token for `user`, creating the user when needed.
    pub(crate) fn add_token(
        &mut self,
        user: &str,
        token: &str,
        role: TokenRole,
        display_name: &str,
    ) -> Result<(), String> {
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("a token must be non-empty visible ASCII".into());
        }
        self.ensure_user(user)?;
        self.tokens.insert(
            token.to_string(),
            Token {
                user: user.to_string(),
                role,
                display_name: display_name.to_string(),
                created_at: time::now_ms(),
            },
        );
        Ok(())
    }

    /// Reads `Authorization: Bearer …`. No header → anonymous; unknown token → 401.
    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
        let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(None);
        };
        let value = value
            .to_str()
            .map_err(|_| ApiError::InvalidCredentials)?
            .trim();
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or(ApiError::InvalidCredentials)?;
        let entry = self.tokens.get(token).ok_or(ApiError::InvalidCredentials)?;
        if !self.users.contains_key(&entry.user) {
            return Err(ApiError::InvalidCredentials);
        }
        Ok(Some(Caller {
            user: entry.user.clone(),
            role: entry.role,
            display_name: entry.display_name.clone(),
            created_at: entry.created_at,
        }))
    }

    /// A user or an org of that name exists.
    pub(crate) fn namespace_exists(&self, ns: &str) -> bool {
        self.users.contains_key(ns) || self.orgs.contains_key(ns)
    }

    /// Whether a bucket created in `ns` without a visibility is private.
    pub(crate) fn default_private(&self, ns: &str) -> bool {
        self.orgs.get(ns).is_some_and(|org| org.default_private)
    }

    /// The caller may see private content of `ns`.
    pub(crate) fn can_read_ns(&self, caller: Option<&Caller>, ns: &str) -> bool {
        let Some(caller) = caller else { return false };
        caller.user == ns
            || self
                .orgs
                .get(ns)
                .is_some_and(|org| org.members.contains_key(&caller.user))
    }

    /// The caller's user (ignoring the token role) may write to `ns`.
    pub(crate) fn user_can_write_ns(&self, caller: Option<&Caller>, ns: &str) -> bool {
        let Some(caller) = caller else { return false };
        caller.user == ns
            || self
                .orgs
                .get(ns)
                .and_then(|org| org.members.get(&caller.user))
                .is_some_and(|role| matches!(role, MemberRole::Write | MemberRole::Admin))
    }

    /// Write access: a write token and a user who may write to `ns`.
    #[cfg(test)]
    pub(crate) fn can_write_ns(&self, caller: Option<&Caller>, ns: &str) -> bool {
        caller.is_some_and(|c| c.role == TokenRole::Write) && self.user_can_write_ns(caller, ns)
    }

    /// The `whoami-v2` body (buckets-api.md §6.1).
    pub(crate) fn whoami(&self, caller: &Caller) -> Value {
        let user = self.users.get(&caller.user);
        let orgs: Vec<Value> = self
            .orgs
            .values()
            .filter_map(|org| {
                let role = org.members.get(&caller.user)?;
                Some(json!({
                    "type": "org", "id": org.id, "name": org.name, "fullname": org.fullname,
                    "email": null, "canPay": false, "avatarUrl": "", "periodEnd": null,
                    "roleInOrg": role,
                }))
            })
            .collect();
        json!({
            "type": "user",
            "id": user.map(|u| u.id.clone()).unwrap_or_default(),
            "name": caller.user,
            "fullname": user.map(|u| u.fullname.clone()).unwrap_or_default(),
            "email": user.and_then(|u| u.email.clone()),
            "emailVerified": user.is_some_and(|u| u.email.is_some()),
            "isPro": false,
            "canPay": false,
            "avatarUrl": "",
            "periodEnd": null,
            "orgs": orgs,
            "auth": {
                "type": "access_token",
                "accessToken": {
                    "displayName": caller.display_name,
                    "role": caller.role,
                    "createdAt": time::iso(caller.created_at),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        h
    }

    #[test]
    fn names() {
        for ok in ["a", "ckpts", "my-bucket_1.2", &"x".repeat(96)] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "a--b",
            "a..b",
            "-a",
            "a.",
            "a/b",
            "a b",
            &"x".repeat(97),
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn access_rules() {
        let mut a = Accounts::default();
        a.add_token("alice", "hf_a", TokenRole::Write, "t").unwrap();
        a.add_token("bob", "hf_b", TokenRole::Read, "t").unwrap();
        a.add_token("carol", "hf_c", TokenRole::Write, "t").unwrap();
        a.ensure_org("acme").unwrap();
        let org = a.orgs.get_mut("acme").unwrap();
        org.members.insert("alice".into(), MemberRole::Admin);
        org.members.insert("carol".into(), MemberRole::Read);
        let alice = a.authenticate(&headers("hf_a")).unwrap();
        let bob = a.authenticate(&headers("hf_b")).unwrap();
        let carol = a.authenticate(&headers("hf_c")).unwrap();
        assert!(a.can_write_ns(alice.as_ref(), "alice"));
        assert!(a.can_write_ns(alice.as_ref(), "acme"));
        assert!(!a.can_write_ns(bob.as_ref(), "bob"), "read token");
        assert!(a.user_can_write_ns(bob.as_ref(), "bob"));
        assert!(a.can_read_ns(carol.as_ref(), "acme"));
        assert!(!a.can_write_ns(carol.as_ref(), "acme"), "read member");
        assert!(!a.can_read_ns(None, "alice"));
        assert!(matches!(
            a.authenticate(&headers("nope")),
            Err(ApiError::InvalidCredentials)
        ));
        assert!(a.authenticate(&HeaderMap::new()).unwrap().is_none());
        assert!(a.ensure_user("acme").is_err());
    }
}
