//! Stateless resumption tokens: the state of a list harvest, HMAC-signed, in a URL-safe
//! string (ECO pastes tokens into URLs without encoding them). No token table: the token
//! carries its own position, frozen upper bound and expiry.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::request::{ListVerb, MetadataFormat};
use crate::catalog::SetSpec;
use crate::datestamp::Datestamp;
use crate::order::Position;

type HmacSha256 = Hmac<Sha256>;

/// The secret tokens are signed with. Its bytes never appear in `Debug` output.
#[derive(Clone)]
pub struct TokenKey(Vec<u8>);

impl TokenKey {
    /// Keys shorter than 16 bytes are refused: a guessable key lets anyone forge positions.
    pub fn new(secret: &[u8]) -> Option<Self> {
        (secret.len() >= 16).then(|| Self(secret.to_vec()))
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length; this cannot fail.
        match HmacSha256::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        }
    }
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

/// Everything needed to serve the next page of a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenState {
    #[serde(rename = "v", with = "verb_code")]
    pub verb: ListVerb,
    #[serde(rename = "f", with = "format_code")]
    pub format: MetadataFormat,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub set: Option<SetSpec>,
    #[serde(rename = "fr", default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Datestamp>,
    /// The frozen upper bound: `until` as given, capped at the horizon.
    #[serde(rename = "u")]
    pub until: Datestamp,
    /// The moment up to which the list is complete, taken at the first request: the
    /// responseDate of every page, so a harvester that continues `from` it misses nothing.
    #[serde(rename = "h")]
    pub horizon: Datestamp,
    /// The last record served; `None` before the first page.
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Position>,
    /// Records already returned before the next page.
    #[serde(rename = "c")]
    pub cursor: u64,
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub complete_list_size: Option<u64>,
    #[serde(rename = "e")]
    pub expires: Datestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the resumptionToken is malformed")]
    Malformed,
    #[error("the resumptionToken was not issued by this repository")]
    BadSignature,
    #[error("the resumptionToken has expired")]
    Expired,
}

/// The longest token accepted. The longest token this repository issues (a position on the
/// longest course id, in the longest set) is far shorter; a test holds the two apart.
pub const MAX_TOKEN_BYTES: usize = 4096;

/// Token text: `base64url(json) "." base64url(hmac-sha256(json))`, no padding.
pub fn encode(state: &TokenState, key: &TokenKey) -> String {
    // Serializing plain data to JSON cannot fail.
    let payload = serde_json::to_vec(state).unwrap_or_default();
    let mut mac = key.mac();
    mac.update(&payload);
    let sig = mac.finalize().into_bytes();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(sig)
    )
}

/// Verifies and decodes a token. The signature is checked (in constant time) before the
/// payload is parsed, so no unsigned input reaches the JSON parser.
pub fn decode(token: &str, key: &TokenKey, now: Datestamp) -> Result<TokenState, TokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::Malformed);
    }
    let (payload, sig) = token.split_once('.').ok_or(TokenError::Malformed)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| TokenError::Malformed)?;
    let mut mac = key.mac();
    mac.update(&payload);
    mac.verify_slice(&sig)
        .map_err(|_| TokenError::BadSignature)?;
    let state: TokenState = serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
    if now > state.expires {
        return Err(TokenError::Expired);
    }
    Ok(state)
}

mod verb_code {
    use super::ListVerb;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &ListVerb, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match v {
            ListVerb::ListIdentifiers => "I",
            ListVerb::ListRecords => "R",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ListVerb, D::Error> {
        match <&str>::deserialize(d)? {
            "I" => Ok(ListVerb::ListIdentifiers),
            "R" => Ok(ListVerb::ListRecords),
            other => Err(serde::de::Error::custom(format!(
                "unknown verb code {other}"
            ))),
        }
    }
}

mod format_code {
    use super::MetadataFormat;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(f: &MetadataFormat, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(f.prefix())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<MetadataFormat, D::Error> {
        let prefix = <&str>::deserialize(d)?;
        MetadataFormat::from_prefix(prefix).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> TokenKey {
        TokenKey::new(b"0123456789abcdef-test-secret").unwrap()
    }

    fn state() -> TokenState {
        TokenState {
            verb: ListVerb::ListRecords,
            format: MetadataFormat::OaiLom,
            set: Some("EcoBase".parse().unwrap()),
            from: None,
            until: "2024-09-20T10:00:00Z".parse().unwrap(),
            horizon: "2024-09-20T10:00:00Z".parse().unwrap(),
            after: Some(Position {
                datestamp: "2024-09-01T08:30:00Z".parse().unwrap(),
                course_id: "course-v1:PoliMi+ECO101+2024_T1".parse().unwrap(),
            }),
            cursor: 100,
            complete_list_size: Some(250),
            expires: "2024-09-21T10:00:00Z".parse().unwrap(),
        }
    }

    fn now() -> Datestamp {
        "2024-09-20T10:00:01Z".parse().unwrap()
    }

    #[test]
    fn the_longest_token_issued_is_accepted() {
        let mut s = state();
        let id = format!(
            "a/b/{}",
            "%".repeat(crate::catalog::MAX_COURSE_ID_BYTES - 4)
        );
        s.after = Some(Position {
            datestamp: Datestamp::MAX,
            course_id: id.parse().unwrap(),
        });
        s.set = Some(
            format!("{}:{}", "(".repeat(127), "~".repeat(128))
                .parse()
                .unwrap(),
        );
        s.from = Some(Datestamp::MIN);
        s.cursor = u64::MAX;
        s.complete_list_size = Some(u64::MAX);
        let t = encode(&s, &key());
        assert!(t.len() <= MAX_TOKEN_BYTES / 2, "{} bytes", t.len());
        assert_eq!(decode(&t, &key(), now()).unwrap(), s);
    }

    #[test]
    fn round_trips_and_is_url_safe() {
        let t = encode(&state(), &key());
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'));
        assert_eq!(decode(&t, &key(), now()).unwrap(), state());
    }

    #[test]
    fn rejects_tampering_other_keys_and_expiry() {
        let t = encode(&state(), &key());
        let other = TokenKey::new(b"another-secret-of-16+").unwrap();
        assert_eq!(decode(&t, &other, now()), Err(TokenError::BadSignature));
        let mut forged = state();
        forged.cursor = 0;
        let forged_payload = encode(&forged, &key());
        let spliced = format!(
            "{}.{}",
            forged_payload.split_once('.').unwrap().0,
            t.split_once('.').unwrap().1
        );
        assert_eq!(
            decode(&spliced, &key(), now()),
            Err(TokenError::BadSignature)
        );
        let late = "2024-09-21T10:00:01Z".parse().unwrap();
        assert_eq!(decode(&t, &key(), late), Err(TokenError::Expired));
        assert_eq!(
            decode("c2.b4f1e0a9", &key(), now()),
            Err(TokenError::Malformed)
        );
        assert_eq!(decode("", &key(), now()), Err(TokenError::Malformed));
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(TokenKey::new(b"short").is_none());
        assert_eq!(format!("{:?}", key()), "TokenKey(..)");
    }

    proptest! {
        #[test]
        fn decoder_never_panics(s in ".{0,300}") {
            let _ = decode(&s, &key(), now());
        }

        #[test]
        fn decoder_rejects_any_flipped_byte(i in 0usize..200, b in any::<u8>()) {
            let t = encode(&state(), &key());
            let mut bytes = t.into_bytes();
            let i = i % bytes.len();
            prop_assume!(bytes[i] != b);
            bytes[i] = b;
            if let Ok(s) = String::from_utf8(bytes) {
                prop_assert!(decode(&s, &key(), now()).is_err());
            }
        }
    }
}
