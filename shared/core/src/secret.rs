//! Bearer tokens of the write APIs (admin, ingest): checked in constant time, never printed.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A bearer token. Only its SHA-256 digest is kept: comparing fixed-size digests in constant
/// time does not leak the token's length, and the secret itself does not linger in memory or
/// in a debug print.
#[derive(Clone)]
pub struct BearerToken {
    digest: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a bearer token must be at least {} bytes", BearerToken::MIN_BYTES)]
pub struct TokenTooShort;

impl BearerToken {
    /// Shorter tokens are refused: they can be guessed.
    pub const MIN_BYTES: usize = 16;

    pub fn new(secret: &str) -> Result<Self, TokenTooShort> {
        let secret = secret.trim();
        if secret.len() < Self::MIN_BYTES {
            return Err(TokenTooShort);
        }
        Ok(Self {
            digest: Sha256::digest(secret.as_bytes()).into(),
        })
    }

    pub fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest.ct_eq(&self.digest).into()
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_exactly() {
        let t = BearerToken::new("s3cret-s3cret-s3cret").unwrap();
        assert!(t.matches("s3cret-s3cret-s3cret"));
        for wrong in [
            "",
            "s3cret-s3cret-s3cre",
            "s3cret-s3cret-s3cret ",
            "S3CRET-s3cret-s3cret",
        ] {
            assert!(!t.matches(wrong), "{wrong:?}");
        }
        assert_eq!(format!("{t:?}"), "BearerToken(<redacted>)");
    }

    #[test]
    fn short_and_blank_tokens_are_refused() {
        for short in ["", "   ", "fifteen-bytes!!", "  fifteen-bytes!!  "] {
            assert_eq!(
                BearerToken::new(short).unwrap_err(),
                TokenTooShort,
                "{short:?}"
            );
        }
        assert!(BearerToken::new("sixteen-bytes!!!").is_ok());
    }
}
