//! The pure core of pok-eco: catalog types and validation, OAI-PMH request parsing,
//! resumption tokens and rendering, and the ports the adapters implement. No I/O, no AWS.

pub mod catalog;
pub mod config;
#[cfg(feature = "contract")]
pub mod contract;
pub mod datestamp;
pub mod keys;
pub mod oai;
pub mod store;

pub use datestamp::Datestamp;
