//! The DynamoDB store's tests, in one binary: the shared contract and what only DynamoDB can
//! break, on moto; and the failures moto never produces, on a scripted SDK client.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod contract;
mod dynamo;
mod limits;
mod mocked;
mod pipeline;
mod progress;
mod queue;
mod structure;
