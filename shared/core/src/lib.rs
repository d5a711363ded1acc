//! The pure core of pok-eco: catalog types, validation and the catalog service, OAI-PMH
//! request parsing, resumption tokens and rendering, edX events and their xAPI translation,
//! course structures, settings, and the ports the adapters implement. No AWS types, no I/O
//! beyond reading the environment.

pub mod access;
pub mod catalog;
pub mod config;
#[cfg(feature = "contract")]
pub mod contract;
pub mod datestamp;
pub mod delivery;
pub mod ingest;
pub mod json;
pub mod oai;
pub mod order;
pub mod pipeline;
pub mod progress;
pub mod queue;
pub mod secret;
pub mod store;
pub mod structure;
pub mod sync;
pub mod xapi;

pub use datestamp::Datestamp;

/// The most bytes one page of a listing (an OAI-PMH list, an admin listing) holds before it
/// stops early and hands out a token or cursor for the rest. A Lambda answer is at most 6 MB;
/// the margin covers the envelope and API Gateway's own encoding.
pub const RESPONSE_BYTE_BUDGET: usize = 4 * 1024 * 1024;
