//! OAI-PMH 2.0: argument decoding, request parsing, resumption tokens, rendering of both
//! metadata formats, and the service that answers a request through the catalog port.

pub mod args;
pub mod metadata;
pub mod render;
pub mod request;
pub mod service;
pub mod settings;
pub mod token;
pub mod xml;

pub use args::{parse_urlencoded, ArgsError};
pub use request::{ErrorCode, MetadataFormat, OaiError};
pub use service::respond;
pub use settings::{OaiPrefix, OaiSettings};
pub use token::TokenKey;
