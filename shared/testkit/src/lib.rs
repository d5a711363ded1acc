//! Helpers shared by pok-eco's tests, one copy each: the test data in `testdata/`, the OAI
//! prefix the tests run with, the sample events as a tracking log ([`events`]), an XML tree for reading answers ([`xml`]), the external
//! checkers of `infra/checks` run as real peers ([`peers`]), and a recorder that keeps every
//! response for one schema validation at the end of a test ([`responses`]), and ECO's backend
//! as the push meets it (`eco`).
//!
//! Helpers panic with a clear message instead of returning errors: a peer that is missing or
//! misbehaves must fail the test that needed it, never skip it.

// Test helpers: a failed expectation panics, as in a test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "eco")]
pub mod eco;
pub mod events;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(feature = "moto")]
pub mod moto;
pub mod peers;
pub mod responses;
pub mod xml;

use std::path::{Path, PathBuf};

/// The OAI identifier prefix every test runs with (the default of `pokeco serve`).
pub const OAI_PREFIX: &str = "oai:pok.example.org:";

/// The repository root (this crate lives in `<root>/shared/testkit`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .unwrap_or(manifest)
        .to_path_buf()
}

/// A file of the shared test data (`testdata/<relative>`), read whole.
pub fn test_data(relative: &str) -> Vec<u8> {
    let path = repo_root().join("testdata").join(relative);
    match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => panic!("cannot read test data {}: {e}", path.display()),
    }
}

/// [`test_data`] as text.
pub fn test_text(relative: &str) -> String {
    match String::from_utf8(test_data(relative)) {
        Ok(text) => text,
        Err(e) => panic!("test data {relative} is not UTF-8: {e}"),
    }
}

/// An OAI-PMH answer without what depends on the clock (its responseDate, and a resumption
/// token's text and expiry), so that two answers can be compared.
pub fn timeless(body: &str) -> String {
    let mut out = cut_between(body, "<responseDate>", "</responseDate>");
    if let Some(open) = out.find("<resumptionToken") {
        if let Some(close) = out[open..].find("</resumptionToken>") {
            out.replace_range(open..open + close, "<resumptionToken");
        }
    }
    out
}

fn cut_between(text: &str, open: &str, close: &str) -> String {
    match (text.find(open), text.find(close)) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{}", &text[..start + open.len()], &text[end..])
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeless_drops_the_clock_and_keeps_the_rest() {
        let a = r#"<x><responseDate>2024-01-01T00:00:00Z</responseDate><request/><resumptionToken cursor="0" expirationDate="2024-01-02T00:00:00Z">abc</resumptionToken></x>"#;
        let b = r#"<x><responseDate>2025-01-01T00:00:09Z</responseDate><request/><resumptionToken cursor="0" expirationDate="2025-01-02T00:00:09Z">xyz</resumptionToken></x>"#;
        assert_eq!(timeless(a), timeless(b));
        let c = a.replace("<request/>", "<request verb=\"Identify\"/>");
        assert_ne!(timeless(a), timeless(&c));
        assert!(test_text("eco/ListRecords.xml").starts_with("<?xml"));
    }
}
