//! The admin function's tests, in one binary: the API through the router, and the same
//! routes as API Gateway v2 events through lambda_http.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod lambda_events;
mod pipeline;
mod structure;
mod support;
