//! The integration tests of the ingest function, in one binary.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod aws;
mod bad_input;
mod lambda_events;
mod progress;
mod shippers;
mod structure;
mod support;
