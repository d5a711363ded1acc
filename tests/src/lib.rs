//! Helpers of pok-eco's end-to-end tests: the external checkers in `infra/checks` run as real
//! peers ([`peers`]), a static OAI server to prove those checkers on fixtures ([`static_oai`]),
//! the real `pokeco serve` bound to a loopback port 0 ([`server`]) and a recorder that keeps
//! every response body for schema validation ([`responses`]).
//!
//! Helpers panic with a clear message instead of returning errors: a peer that is missing or
//! misbehaves must fail the test that needed it, never skip it.

pub mod peers;
pub mod responses;
pub mod server;
pub mod static_oai;

use std::path::{Path, PathBuf};

/// The repository root (this crate lives in `<root>/tests`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// A file of this crate's test data (`tests/data/<relative>`), read whole.
pub fn test_data(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(relative);
    match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => panic!("cannot read test data {}: {e}", path.display()),
    }
}
