//! edX tracking events and the xAPI statements the profiles make of them. A profile is a pure
//! function from (event, lookups) to a statement; what it reads of the store comes through
//! [`eco::Lookups`].

pub mod eco;
pub mod event;
pub mod statement;

pub use eco::{EcoProfile, Lookups, Skip};
pub use event::{EdxEvent, EventError};
pub use statement::{Statement, XAPI_VERSION};
