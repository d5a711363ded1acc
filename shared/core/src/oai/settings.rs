//! What the endpoint needs to know about its deployment.

use super::token::TokenKey;

/// The OAI identifier prefix, `oai:<repository id>:`. Identifiers are `<prefix><course id>`,
/// the repository id is the LOM catalog and the oai-identifier description's domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OaiPrefix {
    prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("OAI prefix must look like oai:<repository id>: (e.g. oai:it.polimi.pok:), got {0:?}")]
pub struct PrefixError(String);

impl OaiPrefix {
    pub fn new(prefix: &str) -> Result<Self, PrefixError> {
        let id = prefix
            .strip_prefix("oai:")
            .and_then(|rest| rest.strip_suffix(':'))
            .ok_or_else(|| PrefixError(prefix.to_owned()))?;
        let ok = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
        if ok {
            Ok(Self {
                prefix: prefix.to_owned(),
            })
        } else {
            Err(PrefixError(prefix.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.prefix
    }

    /// The middle part: `it.polimi.pok` for `oai:it.polimi.pok:`.
    pub fn repository_id(&self) -> &str {
        &self.prefix[4..self.prefix.len() - 1]
    }

    pub fn identifier(&self, course_id: &str) -> String {
        format!("{}{course_id}", self.prefix)
    }

    /// Whether the repository id is a domain name, as the oai-identifier schema requires
    /// (`[a-zA-Z][a-zA-Z0-9-]*` labels, at least two).
    pub fn is_domain(&self) -> bool {
        let labels: Vec<&str> = self.repository_id().split('.').collect();
        labels.len() >= 2
            && labels.iter().all(|l| {
                l.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    }
}

#[derive(Clone, Debug)]
pub struct OaiSettings {
    pub repository_name: String,
    /// The endpoint's own URL (`<POKECO_BASE_URL>/oai`): Identify's baseURL and the text of
    /// `<request>`. `None`: taken from each request's `Host` (a Lambda behind an API whose
    /// URL the template cannot name without a cycle).
    pub base_url: Option<String>,
    pub admin_email: String,
    pub prefix: OaiPrefix,
    pub token_key: TokenKey,
    /// Seconds a resumption token stays valid.
    pub token_ttl: u32,
    pub page_size: usize,
    /// Whether the last page of a resumed list carries the empty `<resumptionToken/>` the
    /// protocol asks for. Off by default: ECO's harvester drops a page that carries one.
    pub final_empty_token: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let p = OaiPrefix::new("oai:it.polimi.pok:").unwrap();
        assert_eq!(p.repository_id(), "it.polimi.pok");
        assert!(p.is_domain());
        assert_eq!(p.identifier("a/b/c"), "oai:it.polimi.pok:a/b/c");
        assert!(!OaiPrefix::new("oai:localhost:").unwrap().is_domain());
        for bad in [
            "it.polimi.pok",
            "oai:it.polimi.pok",
            "oai::",
            "oai:a b:",
            "oai:a:b:",
        ] {
            assert!(OaiPrefix::new(bad).is_err(), "{bad}");
        }
    }
}
