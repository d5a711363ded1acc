//! What every pok-eco HTTP function shares, so each answers alike: the JSON error body
//! ([`JsonError`]), the one mapping of store errors to HTTP ([`store_status`]), bearer
//! authentication ([`bearer`]), and the paths API Gateway hands Lambda already decoded
//! ([`lambda_path`]).

pub mod bearer;
mod error;
pub mod lambda_path;

pub use error::{store_message, store_status, JsonError, RETRY_AFTER_SECONDS};
