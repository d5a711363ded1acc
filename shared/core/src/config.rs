//! Settings read from the environment (`POKECO_*`), the same way by the Lambda functions and
//! by `pokeco serve`. Reading goes through a lookup function so this stays pure and testable;
//! [`process_env`] is the one lookup of the real environment.

use crate::oai::{OaiPrefix, OaiSettings, TokenKey};
use crate::secret::BearerToken;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A lookup of settings by name; empty values count as unset.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, with empty (or blank) variables treated as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Values a caller supplies where the environment has none (`pokeco serve`'s defaults, or a
/// secret a Lambda read from SSM at cold start).
#[derive(Default)]
pub struct Fallbacks {
    pub base_url: Option<String>,
    pub oai_prefix: Option<String>,
    pub token_secret: Option<Vec<u8>>,
    pub admin_token: Option<String>,
}

fn get(lookup: Lookup<'_>, name: &str) -> Option<String> {
    lookup(name).filter(|v| !v.trim().is_empty())
}

fn invalid(name: &'static str, reason: impl ToString) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.to_string(),
    }
}

fn parse<T: std::str::FromStr>(
    lookup: Lookup<'_>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match get(lookup, name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e: T::Err| invalid(name, e)),
    }
}

/// `POKECO_OAI_PREFIX`, required: every entry point that names courses holds one.
pub fn oai_prefix(lookup: Lookup<'_>, fallback: Option<String>) -> Result<OaiPrefix, ConfigError> {
    let prefix = get(lookup, "POKECO_OAI_PREFIX")
        .or(fallback)
        .ok_or(ConfigError::Missing("POKECO_OAI_PREFIX"))?;
    OaiPrefix::new(&prefix).map_err(|e| invalid("POKECO_OAI_PREFIX", e))
}

/// A base URL, by the rule of template.yaml's `BaseUrl` pattern:
/// `https?://(<name>|[<ipv6>])(:<port>)?(/<path>)?` with `<name>` of letters, digits, `.`
/// and `-`, a port of 1 to 5 digits, and a path of URI path characters: no user, query or
/// fragment, nothing to escape.
fn base_url(url: &str) -> Result<String, &'static str> {
    const RULE: &str = "must be http(s)://host[:port][/path], without user, query or fragment";
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(RULE)?;
    let rest = match rest.strip_prefix('[') {
        Some(v6) => {
            let (addr, after) = v6.split_once(']').ok_or(RULE)?;
            let addr_ok = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
            if addr.is_empty() || !addr.bytes().all(addr_ok) {
                return Err(RULE);
            }
            after
        }
        None => {
            let end = rest.find([':', '/']).unwrap_or(rest.len());
            let name_ok = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
            if end == 0 || !rest[..end].bytes().all(name_ok) {
                return Err(RULE);
            }
            &rest[end..]
        }
    };
    let path = match rest.strip_prefix(':') {
        Some(port) => {
            let end = port.find('/').unwrap_or(port.len());
            let digits = &port[..end];
            if !(1..=5).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(RULE);
            }
            &port[end..]
        }
        None => rest,
    };
    let path_ok = |b: u8| b.is_ascii_alphanumeric() || b"._~!$&'()*+,;=:@%/-".contains(&b);
    if (path.is_empty() || path.starts_with('/')) && path.bytes().all(path_ok) {
        Ok(url.to_owned())
    } else {
        Err(RULE)
    }
}

/// The OAI-PMH endpoint's settings.
pub fn oai_settings(lookup: Lookup<'_>, fallbacks: Fallbacks) -> Result<OaiSettings, ConfigError> {
    let base_url = get(lookup, "POKECO_BASE_URL")
        .or(fallbacks.base_url)
        .map(|url| base_url(&url).map_err(|e| invalid("POKECO_BASE_URL", e)))
        .transpose()?;
    let prefix = oai_prefix(lookup, fallbacks.oai_prefix)?;
    let secret = get(lookup, "POKECO_TOKEN_SECRET")
        .map(String::into_bytes)
        .or(fallbacks.token_secret)
        .ok_or(ConfigError::Missing("POKECO_TOKEN_SECRET"))?;
    let token_key = TokenKey::new(&secret)
        .ok_or_else(|| invalid("POKECO_TOKEN_SECRET", "must be at least 16 bytes"))?;
    let admin_email = get(lookup, "POKECO_ADMIN_EMAIL")
        .unwrap_or_else(|| format!("admin@{}", email_domain(prefix.repository_id())));
    if !is_email(&admin_email) {
        return Err(invalid(
            "POKECO_ADMIN_EMAIL",
            "must look like name@domain.tld (no spaces, no second @)",
        ));
    }
    let page_size: usize = parse(lookup, "POKECO_OAI_PAGE_SIZE", 100)?;
    if !(1..=1000).contains(&page_size) {
        return Err(invalid("POKECO_OAI_PAGE_SIZE", "must lie in 1..=1000"));
    }
    let token_ttl: u32 = parse(lookup, "POKECO_TOKEN_TTL", 86_400)?;
    if token_ttl < 60 {
        return Err(invalid("POKECO_TOKEN_TTL", "must be at least 60 seconds"));
    }
    Ok(OaiSettings {
        repository_name: get(lookup, "POKECO_REPOSITORY_NAME").unwrap_or_else(|| "pok-eco".into()),
        base_url: base_url.map(|url| format!("{}/oai", url.trim_end_matches('/'))),
        admin_email,
        prefix,
        token_key,
        token_ttl,
        page_size,
        final_empty_token: parse(lookup, "POKECO_OAI_FINAL_EMPTY_TOKEN", false)?,
    })
}

/// The admin API's settings. Without a token the API is closed (every route answers 503).
#[derive(Debug)]
pub struct AdminSettings {
    pub prefix: OaiPrefix,
    pub token: Option<BearerToken>,
}

pub fn admin_settings(
    lookup: Lookup<'_>,
    fallbacks: Fallbacks,
) -> Result<AdminSettings, ConfigError> {
    let prefix = oai_prefix(lookup, fallbacks.oai_prefix)?;
    let token = get(lookup, "POKECO_ADMIN_TOKEN")
        .or(fallbacks.admin_token)
        .map(|t| BearerToken::new(&t).map_err(|e| invalid("POKECO_ADMIN_TOKEN", e)))
        .transpose()?;
    Ok(AdminSettings { prefix, token })
}

/// A repository id that is not a dotted domain still needs a valid default address.
fn email_domain(repository_id: &str) -> String {
    if repository_id.contains('.') {
        repository_id.to_owned()
    } else {
        format!("{repository_id}.invalid")
    }
}

/// `^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`, the AdminEmail pattern of
/// template.yaml: within the OAI-PMH schema's `\S+@(\S+\.)+\S+`.
fn is_email(s: &str) -> bool {
    let Some((user, domain)) = s.split_once('@') else {
        return false;
    };
    let user_ok = !user.is_empty()
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    user_ok
        && labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn lambda_env() -> Vec<(&'static str, &'static str)> {
        vec![
            ("POKECO_BASE_URL", "https://pok.example.org/"),
            ("POKECO_OAI_PREFIX", "oai:it.polimi.pok:"),
            ("POKECO_TOKEN_SECRET", "0123456789abcdef0123"),
        ]
    }

    #[test]
    fn reads_settings_with_defaults() {
        let s = oai_settings(&env(&lambda_env()), Fallbacks::default()).unwrap();
        assert_eq!(s.base_url.as_deref(), Some("https://pok.example.org/oai"));
        assert_eq!(s.admin_email, "admin@it.polimi.pok");
        assert_eq!(
            (s.page_size, s.token_ttl, s.final_empty_token),
            (100, 86_400, false)
        );
    }

    #[test]
    fn required_settings_and_bad_values_are_named() {
        let err = oai_settings(&env(&[]), Fallbacks::default()).unwrap_err();
        assert!(matches!(err, ConfigError::Missing("POKECO_OAI_PREFIX")));
        for (name, bad) in [
            ("POKECO_OAI_PAGE_SIZE", "0"),
            ("POKECO_OAI_PAGE_SIZE", "many"),
            ("POKECO_TOKEN_TTL", "5"),
            ("POKECO_TOKEN_SECRET", "short"),
            ("POKECO_ADMIN_EMAIL", "nobody"),
            ("POKECO_ADMIN_EMAIL", "ops@localhost"),
            ("POKECO_ADMIN_EMAIL", "a@b@c.org"),
            ("POKECO_OAI_PREFIX", "it.polimi.pok"),
            ("POKECO_OAI_FINAL_EMPTY_TOKEN", "yes"),
            ("POKECO_BASE_URL", "pok.example.org"),
            ("POKECO_BASE_URL", "https://pok.example.org/?x=1"),
            ("POKECO_BASE_URL", "https://user@pok.example.org/"),
        ] {
            let mut e = lambda_env();
            e.push((name, bad));
            let err = oai_settings(&env(&e), Fallbacks::default()).unwrap_err();
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn blank_values_count_as_unset() {
        let mut e = lambda_env();
        e.push(("POKECO_REPOSITORY_NAME", "  "));
        e.push(("POKECO_OAI_PAGE_SIZE", ""));
        let s = oai_settings(&env(&e), Fallbacks::default()).unwrap();
        assert_eq!((s.repository_name.as_str(), s.page_size), ("pok-eco", 100));
    }

    #[test]
    fn without_a_base_url_the_request_gives_it() {
        let e: Vec<_> = lambda_env()
            .into_iter()
            .filter(|(k, _)| *k != "POKECO_BASE_URL")
            .collect();
        let s = oai_settings(&env(&e), Fallbacks::default()).unwrap();
        assert_eq!(s.base_url, None);
    }

    #[test]
    fn the_secret_is_not_in_debug_output() {
        let s = oai_settings(&env(&lambda_env()), Fallbacks::default()).unwrap();
        assert!(!format!("{s:?}").contains("0123456789abcdef0123"));
    }

    #[test]
    fn admin_settings_refuse_a_short_token_and_allow_none() {
        let e = [
            ("POKECO_OAI_PREFIX", "oai:x.org:"),
            ("POKECO_ADMIN_TOKEN", "short"),
        ];
        let err = admin_settings(&env(&e), Fallbacks::default()).unwrap_err();
        assert!(err.to_string().contains("POKECO_ADMIN_TOKEN"), "{err}");
        let open = admin_settings(&env(&e[..1]), Fallbacks::default()).unwrap();
        assert!(open.token.is_none());
        let from_ssm = Fallbacks {
            admin_token: Some("a-token-read-from-ssm".into()),
            ..Fallbacks::default()
        };
        let s = admin_settings(&env(&e[..1]), from_ssm).unwrap();
        assert!(s.token.unwrap().matches("a-token-read-from-ssm"));
        assert_eq!(s.prefix.as_str(), "oai:x.org:");
    }
}
