//! Ingest: what arrives at `POST /events` (or from a replayed log), read into edX events,
//! translated by the ECO profile and queued.

pub mod body;
mod service;

pub use body::{line_events, read_body, BodyError, BodyLimits, Encoding, Line, LineError};
pub use service::{
    IngestError, IngestReport, IngestService, RejectedLine, Skipped, MAX_REJECTED_LISTED,
    STRUCTURE_TTL,
};
