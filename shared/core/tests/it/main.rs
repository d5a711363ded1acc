//! The core's integration tests, in one binary: the profiles and the progress projection on
//! the shared fixtures.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod eco_profile;
mod progress;
mod reader;
