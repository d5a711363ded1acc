//! Embedded adapters of pok-eco on SQLite: the catalog store and the statement queue behind
//! `pokeco serve` and the command line, with the pipeline's state (links, tracked courses, refused
//! statements), the course structures and the progress projection in the catalog's file. Files
//! in the data folder, no
//! server.

mod db;
mod pipeline;
mod progress;
mod queue;
mod store;
mod structure;

pub use queue::SqliteQueue;
pub use store::{SqliteStore, SCHEMA_VERSION};
