//! The `pokeco` binary as an operator runs it.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod catalog_check;
mod pipeline;
mod run;
mod structure;
