//! AWS adapters of pok-eco: the catalog on one DynamoDB table ([`DynamoStore`]), the table's
//! creation, the SDK configuration and secrets from SSM Parameter Store.

mod config;
mod items;
pub mod keys;
pub mod lambda;
pub mod secrets;
mod store;
mod table;

pub use config::load_config;
pub use store::DynamoStore;
pub use table::create_table;
