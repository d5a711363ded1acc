//! The end-to-end tests, in one binary: pok-eco through HTTP against the real checkers.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod checkers;
mod demo;
mod oai_http;
mod pipeline;
mod snapshots_valid;
mod stack;
mod template;
