//! The cold start shared by every pok-eco Lambda function: JSON logs, the AWS SDK
//! configuration loaded once, the store and the queue, and secrets given as SSM parameter names.
//! And the embedded-metric lines the functions log. A crate of its own so that the `pokeco`
//! command line links none of it.

pub mod metrics;
mod secrets;
mod startup;

pub use secrets::{read_parameter, SecretError};
pub use startup::{catalog_store, secret, start, statement_queue, StartupError};
