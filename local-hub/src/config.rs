//! The `--config FILE` document and the `--token` flag: users, orgs, memberships, tokens,
//! and repos to seed. The same user/org/repo shapes are accepted by the admin API.

use serde::Deserialize;

use crate::accounts::{Accounts, MemberRole, TokenRole};

/// A token given inside a user entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UserToken {
    pub(crate) token: String,
    pub(crate) role: TokenRole,
    #[serde(default)]
    pub(crate) display_name: Option<String>,
}

/// A user (created if missing; fields given here replace the stored ones).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UserSpec {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) fullname: Option<String>,
    #[serde(default)]
    pub(crate) email: Option<String>,
    #[serde(default)]
    pub(crate) tokens: Vec<UserToken>,
}

/// A membership inside an org entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MemberSpec {
    pub(crate) user: String,
    pub(crate) role: MemberRole,
}

/// An organisation (created if missing); members are created as users when missing.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct OrgSpec {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) fullname: Option<String>,
    #[serde(default)]
    pub(crate) members: Vec<MemberSpec>,
    /// New buckets of the org are private unless the request says otherwise.
    #[serde(default)]
    pub(crate) default_private: Option<bool>,
}

/// A top-level token entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TokenSpec {
    pub(crate) user: String,
    pub(crate) token: String,
    pub(crate) role: TokenRole,
    #[serde(default)]
    pub(crate) display_name: Option<String>,
}

/// One file of a seeded repo: Xet-backed (`xetHash`, must be in the CAS) or inline
/// (`content` as UTF-8 text or `contentBase64`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SeedFile {
    pub(crate) path: String,
    #[serde(default)]
    pub(crate) xet_hash: Option<String>,
    #[serde(default)]
    pub(crate) content: Option<String>,
    #[serde(default)]
    pub(crate) content_base64: Option<String>,
}

/// A repo to create (if missing) and files to put into one of its revisions.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RepoSeed {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) private: Option<bool>,
    #[serde(default)]
    pub(crate) revision: Option<String>,
    #[serde(default)]
    pub(crate) files: Vec<SeedFile>,
}

/// The whole config file.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ConfigFile {
    #[serde(default)]
    pub(crate) users: Vec<UserSpec>,
    #[serde(default)]
    pub(crate) orgs: Vec<OrgSpec>,
    #[serde(default)]
    pub(crate) tokens: Vec<TokenSpec>,
    #[serde(default)]
    pub(crate) admin_token: Option<String>,
    #[serde(default)]
    pub(crate) cas_token_ttl_secs: Option<u64>,
    #[serde(default)]
    pub(crate) repos: Vec<RepoSeed>,
}

impl ConfigFile {
    /// Reads and parses the file.
    pub(crate) fn read(path: &std::path::Path) -> Result<Self, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("reading config {}: {e}", path.display()))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| format!("parsing config {}: {e}", path.display()))
    }
}

/// Applies one user entry.
pub(crate) fn apply_user(accounts: &mut Accounts, spec: &UserSpec) -> Result<(), String> {
    accounts.ensure_user(&spec.name)?;
    if let Some(user) = accounts.users.get_mut(&spec.name) {
        if let Some(fullname) = &spec.fullname {
            user.fullname = fullname.clone();
        }
        if spec.email.is_some() {
            user.email = spec.email.clone();
        }
    }
    for token in &spec.tokens {
        accounts.add_token(
            &spec.name,
            &token.token,
            token.role,
            token.display_name.as_deref().unwrap_or("config"),
        )?;
    }
    Ok(())
}

/// Applies one org entry.
pub(crate) fn apply_org(accounts: &mut Accounts, spec: &OrgSpec) -> Result<(), String> {
    accounts.ensure_org(&spec.name)?;
    for member in &spec.members {
        accounts.ensure_user(&member.user)?;
    }
    if let Some(org) = accounts.orgs.get_mut(&spec.name) {
        if let Some(fullname) = &spec.fullname {
            org.fullname = fullname.clone();
        }
        if let Some(default_private) = spec.default_private {
            org.default_private = default_private;
        }
        for member in &spec.members {
            org.members.insert(member.user.clone(), member.role);
        }
    }
    Ok(())
}

/// Applies users, orgs and tokens of the config file.
pub(crate) fn apply_accounts(accounts: &mut Accounts, config: &ConfigFile) -> Result<(), String> {
    for user in &config.users {
        apply_user(accounts, user)?;
    }
    for org in &config.orgs {
        apply_org(accounts, org)?;
    }
    for token in &config.tokens {
        accounts.add_token(
            &token.user,
            &token.token,
            token.role,
            token.display_name.as_deref().unwrap_or("config"),
        )?;
    }
    Ok(())
}

/// Parses `USER:TOKEN:read|write`.
pub(crate) fn parse_token_flag(flag: &str) -> Result<(String, String, TokenRole), String> {
    let (user, rest) = flag
        .split_once(':')
        .ok_or_else(|| format!("--token {flag:?}: expected USER:TOKEN:ROLE"))?;
    let (token, role) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("--token {flag:?}: expected USER:TOKEN:ROLE"))?;
    let role = match role {
        "read" => TokenRole::Read,
        "write" => TokenRole::Write,
        other => {
            return Err(format!(
                "--token {flag:?}: role must be read or write, not {other:?}"
            ))
        }
    };
    Ok((user.to_string(), token.to_string(), role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_flag() {
        assert_eq!(
            parse_token_flag("alice:hf_x:write").ok(),
            Some(("alice".into(), "hf_x".into(), TokenRole::Write))
        );
        assert!(parse_token_flag("alice:hf_x:admin").is_err());
        assert!(parse_token_flag("alice").is_err());
    }

    #[test]
    fn config_document() {
        let config: ConfigFile = serde_json::from_str(
            r#"{"users":[{"name":"alice","tokens":[{"token":"hf_a","role":"write"}]}],
                "orgs":[{"name":"acme","members":[{"user":"alice","role":"admin"},{"user":"bob","role":"read"}]}],
                "tokens":[{"user":"carol","token":"hf_c","role":"read"}]}"#,
        )
        .unwrap_or_default();
        let mut accounts = Accounts::default();
        apply_accounts(&mut accounts, &config).unwrap();
        assert!(accounts.users.contains_key("bob"));
        assert_eq!(
            accounts.tokens.get("hf_c").map(|t| t.role),
            Some(TokenRole::Read)
        );
        assert_eq!(accounts.orgs.get("acme").map(|o| o.members.len()), Some(2));
        assert!(serde_json::from_str::<ConfigFile>(r#"{"userz":[]}"#).is_err());
    }
}
