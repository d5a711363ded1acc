//! The OAI-PMH function's tests, in one binary: the protocol through the router, the same
//! requests as API Gateway events, bad input, pinned snapshots, and ECO's reference record.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod eco_fixture;
mod lambda_events;
mod protocol;
mod snapshots;
mod support;
