//! Settings read from the environment (`POKECO_*`), the same way by the Lambda functions and
//! by `pokeco serve`. Reading goes through a lookup function so this stays pure and testable.

use crate::oai::{OaiPrefix, OaiSettings, TokenKey};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Values a caller supplies where the environment has none (`pokeco serve`'s defaults, or a
/// secret a Lambda read from SSM at cold start).
#[derive(Default)]
pub struct Fallbacks {
    pub base_url: Option<String>,
    pub oai_prefix: Option<String>,
    pub token_secret: Option<Vec<u8>>,
}

fn parse<T: std::str::FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match lookup(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        }),
    }
}

/// The OAI-PMH endpoint's settings.
pub fn oai_settings(
    lookup: impl Fn(&str) -> Option<String>,
    fallbacks: Fallbacks,
) -> Result<OaiSettings, ConfigError> {
    let base_url = lookup("POKECO_BASE_URL").or(fallbacks.base_url);
    if let Some(url) = &base_url {
        let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
        if !scheme_ok || url.contains(['?', '#']) || url.chars().any(char::is_whitespace) {
            return Err(ConfigError::Invalid {
                name: "POKECO_BASE_URL",
                reason: "must be an absolute http(s) URL without query or fragment".into(),
            });
        }
    }
    let prefix = lookup("POKECO_OAI_PREFIX")
        .or(fallbacks.oai_prefix)
        .ok_or(ConfigError::Missing("POKECO_OAI_PREFIX"))?;
    let prefix = OaiPrefix::new(&prefix).map_err(|e| ConfigError::Invalid {
        name: "POKECO_OAI_PREFIX",
        reason: e.to_string(),
    })?;
    let secret = lookup("POKECO_TOKEN_SECRET")
        .map(String::into_bytes)
        .or(fallbacks.token_secret)
        .ok_or(ConfigError::Missing("POKECO_TOKEN_SECRET"))?;
    let token_key = TokenKey::new(&secret).ok_or(ConfigError::Invalid {
        name: "POKECO_TOKEN_SECRET",
        reason: "must be at least 16 bytes".into(),
    })?;
    let admin_email = lookup("POKECO_ADMIN_EMAIL")
        .unwrap_or_else(|| format!("admin@{}", email_domain(prefix.repository_id())));
    if !is_email(&admin_email) {
        return Err(ConfigError::Invalid {
            name: "POKECO_ADMIN_EMAIL",
            reason: "must look like name@domain.tld".into(),
        });
    }
    let page_size: usize = parse(&lookup, "POKECO_OAI_PAGE_SIZE", 100)?;
    if !(1..=1000).contains(&page_size) {
        return Err(ConfigError::Invalid {
            name: "POKECO_OAI_PAGE_SIZE",
            reason: "must lie in 1..=1000".into(),
        });
    }
    let token_ttl: u32 = parse(&lookup, "POKECO_TOKEN_TTL", 86_400)?;
    if token_ttl < 60 {
        return Err(ConfigError::Invalid {
            name: "POKECO_TOKEN_TTL",
            reason: "must be at least 60 seconds".into(),
        });
    }
    Ok(OaiSettings {
        repository_name: lookup("POKECO_REPOSITORY_NAME").unwrap_or_else(|| "pok-eco".into()),
        base_url: base_url.map(|url| format!("{}/oai", url.trim_end_matches('/'))),
        admin_email,
        prefix,
        token_key,
        token_ttl,
        page_size,
        final_empty_token: parse(&lookup, "POKECO_OAI_FINAL_EMPTY_TOKEN", false)?,
    })
}

/// A repository id that is not a dotted domain still needs a valid default address.
fn email_domain(repository_id: &str) -> String {
    if repository_id.contains('.') {
        repository_id.to_owned()
    } else {
        format!("{repository_id}.invalid")
    }
}

/// The OAI-PMH schema's pattern for adminEmail: `\S+@(\S+\.)+\S+`.
fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && !s.chars().any(char::is_whitespace)
                && domain.split('.').count() >= 2
                && domain.split('.').all(|l| !l.is_empty())
        }
        None => false,
    }
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
        let s = oai_settings(env(&lambda_env()), Fallbacks::default()).unwrap();
        assert_eq!(s.base_url.as_deref(), Some("https://pok.example.org/oai"));
        assert_eq!(s.admin_email, "admin@it.polimi.pok");
        assert_eq!(
            (s.page_size, s.token_ttl, s.final_empty_token),
            (100, 86_400, false)
        );
    }

    #[test]
    fn required_settings_and_bad_values_are_named() {
        let err = oai_settings(env(&[]), Fallbacks::default()).unwrap_err();
        assert!(matches!(err, ConfigError::Missing("POKECO_OAI_PREFIX")));
        for (name, bad) in [
            ("POKECO_OAI_PAGE_SIZE", "0"),
            ("POKECO_OAI_PAGE_SIZE", "many"),
            ("POKECO_TOKEN_TTL", "5"),
            ("POKECO_TOKEN_SECRET", "short"),
            ("POKECO_ADMIN_EMAIL", "nobody"),
            ("POKECO_OAI_PREFIX", "it.polimi.pok"),
            ("POKECO_OAI_FINAL_EMPTY_TOKEN", "yes"),
            ("POKECO_BASE_URL", "pok.example.org"),
            ("POKECO_BASE_URL", "https://pok.example.org/?x=1"),
        ] {
            let mut e = lambda_env();
            e.push((name, bad));
            let err = oai_settings(env(&e), Fallbacks::default()).unwrap_err();
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn without_a_base_url_the_request_gives_it() {
        let e: Vec<_> = lambda_env()
            .into_iter()
            .filter(|(k, _)| *k != "POKECO_BASE_URL")
            .collect();
        assert_eq!(
            oai_settings(env(&e), Fallbacks::default())
                .unwrap()
                .base_url,
            None
        );
    }

    #[test]
    fn the_secret_is_not_in_debug_output() {
        let s = oai_settings(env(&lambda_env()), Fallbacks::default()).unwrap();
        assert!(!format!("{s:?}").contains("0123456789abcdef0123"));
    }
}
