//! Ingest: what arrives at `POST /events` (or from a replayed log), read into edX events.

pub mod body;

pub use body::{read_body, BodyError, BodyLimits, Encoding, Line, LineError};
