//! edX tracking events and the xAPI statements the profiles make of them. A profile is a pure
//! function from (event, lookups) to a statement; what it reads of the store comes through
//! [`eco::Lookups`].

pub mod eco;
pub mod event;
pub mod statement;

pub use eco::{CourseNames, EcoProfile, Lookups, Skip};

/// A profile: what statements an event gives, a pure function of the event and what it looks
/// up. Ingest holds one as a value, so another profile is a module, not a branch in a handler.
pub trait Profile: Send + Sync {
    /// The statements of one event, in order (most events give one).
    ///
    /// # Errors
    /// The [`Skip`] that says why the event gives none.
    fn statements(&self, event: &EdxEvent, lookups: &dyn Lookups) -> Result<Vec<Statement>, Skip>;
}

impl Profile for EcoProfile {
    fn statements(&self, event: &EdxEvent, lookups: &dyn Lookups) -> Result<Vec<Statement>, Skip> {
        self.translate(event, lookups).map(|s| vec![s])
    }
}
pub use event::{EdxEvent, EventError, Field, Payload};
pub use statement::{Statement, StatementError, XAPI_VERSION};
