//! JSON by hand where ingest spends its time: a strict reader that picks a few fields out of
//! a tracking-log line without building its tree, and string escaping that writes what
//! `serde_json` writes. Everything else uses `serde_json`.

pub mod read;
pub mod write;

pub use read::{Key, Raw};
