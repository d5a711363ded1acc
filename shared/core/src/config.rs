//! Settings read from the environment (`POKECO_*`), the same way by the Lambda functions and
//! by `pokeco serve`. Reading goes through a lookup function so this stays pure and testable;
//! [`process_env`] is the one lookup of the real environment.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::access::{parse_networks, EcoapiAccess};
use crate::oai::{OaiPrefix, OaiSettings, TokenKey};
use crate::pipeline::{Tracked, TrackedCourses};
use crate::progress::TimeBuckets;
use crate::secret::BearerToken;
use crate::sync::SyncSettings;
use crate::xapi::EcoProfile;

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
    pub ingest_token: Option<String>,
    pub lms_url: Option<String>,
    pub lrs_password: Option<String>,
    pub ecoapi_token: Option<String>,
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
    /// `POKECO_TRACKED_COURSES`, shown beside the ones the admin API manages.
    pub tracked: BTreeSet<Tracked>,
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
    Ok(AdminSettings {
        prefix,
        token,
        tracked: tracked_setting(lookup)?,
    })
}

/// `POKECO_SYNC_EVERY`: seconds between sync runs of `pokeco serve` (default 5).
pub fn sync_every(lookup: Lookup<'_>) -> Result<Duration, ConfigError> {
    match parse(lookup, "POKECO_SYNC_EVERY", 5u64)? {
        0 => Err(invalid("POKECO_SYNC_EVERY", "must be at least 1 second")),
        n => Ok(Duration::from_secs(n)),
    }
}

/// `POKECO_TRACKED_COURSES`: course ids separated by commas, or `*`; none when unset.
fn tracked_setting(lookup: Lookup<'_>) -> Result<BTreeSet<Tracked>, ConfigError> {
    Ok(get(lookup, "POKECO_TRACKED_COURSES")
        .map(|v| {
            TrackedCourses::parse_setting(&v).map_err(|e| invalid("POKECO_TRACKED_COURSES", e))
        })
        .transpose()?
        .unwrap_or_default())
}

/// The longest time-spent bucket `POKECO_PROGRESS_BUCKET` accepts: a day.
pub const MAX_PROGRESS_BUCKET_SECONDS: u32 = 86_400;

/// `POKECO_PROGRESS_BUCKET`: the length of a time-spent bucket in seconds, 1 to a day
/// (default 300). Ingest and the ecoapi function must read the same value, and a deployment
/// keeps it for good: the projection stores bucket indexes (changing it means replaying the
/// logs into an emptied projection).
pub fn progress_buckets(lookup: Lookup<'_>) -> Result<TimeBuckets, ConfigError> {
    let seconds: u32 = parse(lookup, "POKECO_PROGRESS_BUCKET", 300)?;
    if !(1..=MAX_PROGRESS_BUCKET_SECONDS).contains(&seconds) {
        return Err(invalid(
            "POKECO_PROGRESS_BUCKET",
            format!("must lie in 1..={MAX_PROGRESS_BUCKET_SECONDS} seconds"),
        ));
    }
    TimeBuckets::from_ms(seconds * 1000)
        .ok_or_else(|| invalid("POKECO_PROGRESS_BUCKET", "must be at least 1 second"))
}

/// ECO's portal, the default actor homePage base.
pub const DEFAULT_ECO_HOMEPAGE: &str = "https://portal.ecolearning.eu";

/// The ingest function's settings. Without a token `POST /events` answers 503.
#[derive(Debug)]
pub struct IngestSettings {
    pub profile: EcoProfile,
    /// `POKECO_TRACKED_COURSES`.
    pub tracked: BTreeSet<Tracked>,
    pub token: Option<BearerToken>,
    /// `POKECO_PROGRESS_BUCKET`.
    pub buckets: TimeBuckets,
}

pub fn ingest_settings(
    lookup: Lookup<'_>,
    fallbacks: Fallbacks,
) -> Result<IngestSettings, ConfigError> {
    let prefix = oai_prefix(lookup, fallbacks.oai_prefix)?;
    let homepage =
        get(lookup, "POKECO_ECO_HOMEPAGE").unwrap_or_else(|| DEFAULT_ECO_HOMEPAGE.to_owned());
    let homepage =
        base_url(homepage.trim_end_matches('/')).map_err(|e| invalid("POKECO_ECO_HOMEPAGE", e))?;
    let lms_url = get(lookup, "POKECO_LMS_URL")
        .or(fallbacks.lms_url)
        .ok_or(ConfigError::Missing("POKECO_LMS_URL"))?;
    let lms_url = base_url(&lms_url).map_err(|e| invalid("POKECO_LMS_URL", e))?;
    let tracked = tracked_setting(lookup)?;
    let token = get(lookup, "POKECO_INGEST_TOKEN")
        .or(fallbacks.ingest_token)
        .map(|t| BearerToken::new(&t).map_err(|e| invalid("POKECO_INGEST_TOKEN", e)))
        .transpose()?;
    let buckets = progress_buckets(lookup)?;
    Ok(IngestSettings {
        profile: EcoProfile {
            prefix,
            homepage,
            lms_url,
        },
        tracked,
        token,
        buckets,
    })
}

/// Where and how statements are delivered.
#[derive(Clone)]
pub struct LrsSettings {
    /// `POKECO_LRS_URL`: the xAPI base; statements go to `<url>/statements`.
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `POKECO_SYNC_BATCH`: statements per POST (1 with `eco_proxy`).
    pub batch: usize,
    /// `POKECO_LRS_MODE=eco-proxy`: ECO's LRS proxy, one statement per request.
    pub eco_proxy: bool,
    /// `POKECO_LRS_TIMEOUT`: seconds one request may take.
    pub timeout: Duration,
}

impl std::fmt::Debug for LrsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LrsSettings")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("batch", &self.batch)
            .field("eco_proxy", &self.eco_proxy)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The sync's settings; the LRS is `None` when `POKECO_LRS_URL` is unset (`pokeco serve`
/// then keeps statements queued).
pub fn sync_settings(
    lookup: Lookup<'_>,
    fallbacks: Fallbacks,
) -> Result<(Option<LrsSettings>, SyncSettings), ConfigError> {
    let batch: usize = parse(lookup, "POKECO_SYNC_BATCH", 100)?;
    if !(1..=1000).contains(&batch) {
        return Err(invalid("POKECO_SYNC_BATCH", "must lie in 1..=1000"));
    }
    let max: usize = parse(lookup, "POKECO_SYNC_MAX", 10_000)?;
    if max == 0 {
        return Err(invalid("POKECO_SYNC_MAX", "must be at least 1"));
    }
    let timeout: u64 = parse(lookup, "POKECO_LRS_TIMEOUT", 10)?;
    if !(1..=60).contains(&timeout) {
        return Err(invalid("POKECO_LRS_TIMEOUT", "must lie in 1..=60 seconds"));
    }
    let eco_proxy = match get(lookup, "POKECO_LRS_MODE").as_deref().map(str::trim) {
        None | Some("batch") => false,
        Some("eco-proxy") => true,
        Some(_) => return Err(invalid("POKECO_LRS_MODE", "must be batch or eco-proxy")),
    };
    let lrs = get(lookup, "POKECO_LRS_URL")
        .map(|url| -> Result<LrsSettings, ConfigError> {
            Ok(LrsSettings {
                url: base_url(url.trim_end_matches('/'))
                    .map_err(|e| invalid("POKECO_LRS_URL", e))?,
                username: get(lookup, "POKECO_LRS_USERNAME"),
                password: get(lookup, "POKECO_LRS_PASSWORD").or(fallbacks.lrs_password),
                batch: if eco_proxy { 1 } else { batch },
                eco_proxy,
                timeout: Duration::from_secs(timeout),
            })
        })
        .transpose()?;
    // A round posts up to ten messages of statements; with every request at its timeout it
    // would take far longer, but then the LRS is failing and the run stops at the first one.
    let round_time = Duration::from_secs(timeout * 3);
    Ok((
        lrs,
        SyncSettings {
            max_statements: max,
            visibility: round_time * 4,
            round_time,
            eco_push: eco_push(lookup)?,
        },
    ))
}

/// The optional push to ECO: `POKECO_ECO_PUSH_URL` (ECO's backend base URL) and
/// `POKECO_ECO_PUSH_TIMEOUT` (seconds an announcement may take, default 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcoPushSettings {
    pub url: String,
    pub timeout: Duration,
}

/// `None` when `POKECO_ECO_PUSH_URL` is unset: nothing is announced.
fn eco_push(lookup: Lookup<'_>) -> Result<Option<EcoPushSettings>, ConfigError> {
    let timeout: u64 = parse(lookup, "POKECO_ECO_PUSH_TIMEOUT", 3)?;
    if !(1..=30).contains(&timeout) {
        return Err(invalid(
            "POKECO_ECO_PUSH_TIMEOUT",
            "must lie in 1..=30 seconds",
        ));
    }
    get(lookup, "POKECO_ECO_PUSH_URL")
        .map(|url| {
            Ok(EcoPushSettings {
                url: base_url(url.trim().trim_end_matches('/'))
                    .map_err(|e| invalid("POKECO_ECO_PUSH_URL", e))?,
                timeout: Duration::from_secs(timeout),
            })
        })
        .transpose()
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

/// The ecoapi function's settings.
#[derive(Debug)]
pub struct EcoapiSettings {
    pub prefix: OaiPrefix,
    pub access: EcoapiAccess,
    /// `POKECO_PROGRESS_BUCKET`, as ingest reads it: the time spent is counted in these.
    pub buckets: TimeBuckets,
}

/// `POKECO_ECOAPI_ACCESS` (`token`, `cidr` or `open`; unset: learner data closed), with
/// `POKECO_ECOAPI_TOKEN` or `POKECO_ECOAPI_CIDRS` as the mode needs.
///
/// # Errors
/// An unknown mode, or a mode without what it needs.
pub fn ecoapi_settings(
    lookup: Lookup<'_>,
    fallbacks: Fallbacks,
) -> Result<EcoapiSettings, ConfigError> {
    const ACCESS: &str = "POKECO_ECOAPI_ACCESS";
    let prefix = oai_prefix(lookup, fallbacks.oai_prefix)?;
    // Each mode's setting is read whatever the mode, so a stray one is seen as read.
    let token = get(lookup, "POKECO_ECOAPI_TOKEN").or(fallbacks.ecoapi_token);
    let cidrs = get(lookup, "POKECO_ECOAPI_CIDRS");
    let access = match get(lookup, ACCESS).map(|m| m.trim().to_ascii_lowercase()) {
        None => EcoapiAccess::Closed,
        Some(mode) => match mode.as_str() {
            "open" => EcoapiAccess::Open,
            "token" => {
                let token = token.ok_or(ConfigError::Missing("POKECO_ECOAPI_TOKEN"))?;
                EcoapiAccess::Token(
                    BearerToken::new(&token).map_err(|e| invalid("POKECO_ECOAPI_TOKEN", e))?,
                )
            }
            "cidr" => {
                let cidrs = cidrs.ok_or(ConfigError::Missing("POKECO_ECOAPI_CIDRS"))?;
                EcoapiAccess::Networks(
                    parse_networks(&cidrs).map_err(|e| invalid("POKECO_ECOAPI_CIDRS", e))?,
                )
            }
            other => return Err(invalid(ACCESS, format!("{other:?}: token, cidr or open"))),
        },
    };
    Ok(EcoapiSettings {
        prefix,
        access,
        buckets: progress_buckets(lookup)?,
    })
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
    fn ingest_settings_with_defaults_and_bad_values() {
        let base = [
            ("POKECO_OAI_PREFIX", "oai:x.org:"),
            ("POKECO_LMS_URL", "https://lms.x.org"),
        ];
        let s = ingest_settings(&env(&base), Fallbacks::default()).unwrap();
        assert_eq!(s.profile.homepage, DEFAULT_ECO_HOMEPAGE);
        assert!(s.tracked.is_empty() && s.token.is_none());
        assert_eq!(s.buckets, TimeBuckets::DEFAULT);
        let mut hourly = base.to_vec();
        hourly.push(("POKECO_PROGRESS_BUCKET", " 3600 "));
        let s = ingest_settings(&env(&hourly), Fallbacks::default()).unwrap();
        assert_eq!(s.buckets.ms(), 3_600_000);
        let err = ingest_settings(&env(&base[..1]), Fallbacks::default()).unwrap_err();
        assert!(matches!(err, ConfigError::Missing("POKECO_LMS_URL")));
        for (name, bad) in [
            ("POKECO_TRACKED_COURSES", "course-v1:A+B+C,oops"),
            ("POKECO_INGEST_TOKEN", "short"),
            ("POKECO_ECO_HOMEPAGE", "portal"),
            ("POKECO_LMS_URL", "lms.x.org"),
            ("POKECO_PROGRESS_BUCKET", "0"),
            ("POKECO_PROGRESS_BUCKET", "86401"),
            ("POKECO_PROGRESS_BUCKET", "5m"),
        ] {
            let mut e = base.to_vec();
            e.push((name, bad));
            let err = ingest_settings(&env(&e), Fallbacks::default()).unwrap_err();
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn sync_settings_with_defaults_modes_and_a_hidden_password() {
        let (lrs, sync) = sync_settings(&env(&[]), Fallbacks::default()).unwrap();
        assert!(lrs.is_none());
        assert_eq!(sync.max_statements, 10_000);
        assert!(sync.visibility > sync.round_time);
        let e = [
            ("POKECO_LRS_URL", "https://lrs.x.org/xAPI/"),
            ("POKECO_LRS_USERNAME", "u"),
            ("POKECO_LRS_PASSWORD", "a-password-of-the-lrs"),
            ("POKECO_LRS_MODE", "eco-proxy"),
        ];
        let lrs = sync_settings(&env(&e), Fallbacks::default())
            .unwrap()
            .0
            .unwrap();
        assert_eq!((lrs.url.as_str(), lrs.batch), ("https://lrs.x.org/xAPI", 1));
        assert!(!format!("{lrs:?}").contains("a-password-of-the-lrs"));
        for (name, bad) in [
            ("POKECO_SYNC_BATCH", "0"),
            ("POKECO_SYNC_MAX", "0"),
            ("POKECO_LRS_MODE", "fast"),
            ("POKECO_LRS_TIMEOUT", "600"),
            ("POKECO_LRS_URL", "lrs"),
        ] {
            let err = sync_settings(&env(&[(name, bad)]), Fallbacks::default()).unwrap_err();
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn the_eco_push_is_off_unless_its_url_is_set() {
        assert_eq!(eco_push(&env(&[])).unwrap(), None);
        let e = [("POKECO_ECO_PUSH_URL", "https://api.ecolearning.eu/")];
        assert_eq!(
            eco_push(&env(&e)).unwrap(),
            Some(EcoPushSettings {
                url: "https://api.ecolearning.eu".to_owned(),
                timeout: Duration::from_secs(3),
            })
        );
        for (name, bad) in [
            ("POKECO_ECO_PUSH_URL", "api.ecolearning.eu"),
            ("POKECO_ECO_PUSH_TIMEOUT", "0"),
            ("POKECO_ECO_PUSH_TIMEOUT", "31"),
        ] {
            let err = eco_push(&env(&[(name, bad)])).unwrap_err();
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
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
