//! Embedded adapters of pok-eco on SQLite: the catalog store behind `pokeco serve` and the
//! command line. One file in the data folder, no server.

mod store;

pub use store::{SqliteStore, SCHEMA_VERSION};
