//! The integration tests of the embedded store, in one binary.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod contract;
mod files;
mod pipeline;
mod progress;
mod queue;
mod structure;
