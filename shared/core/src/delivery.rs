//! Delivery to an LRS: statements go in batches; a batch the LRS refuses is split until the
//! statements it refuses are found, so they are parked with the LRS's answer and the others
//! land; when the LRS is unavailable nothing more is sent (the caller keeps the messages).

use async_trait::async_trait;

use crate::xapi::Statement;

/// What an LRS answered instead of storing a batch.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LrsError {
    /// Down, overloaded, timing out, or refusing our credentials: try again later.
    #[error("the LRS is unavailable: {0}")]
    Unavailable(String),
    /// The LRS refuses the batch as it is (400, 403, 413, 422): retrying it cannot help.
    #[error("the LRS refused the statements ({status}): {answer}")]
    Refused { status: u16, answer: String },
}

/// The port of an LRS.
#[async_trait]
pub trait Lrs: Send + Sync {
    /// Stores a batch. `Ok` when every statement is stored: new, or already held with its id.
    ///
    /// # Errors
    /// `Refused` for a batch the LRS will never take; `Unavailable` otherwise.
    async fn post(&self, statements: &[Statement]) -> Result<(), LrsError>;

    /// The most statements one request carries.
    fn batch_size(&self) -> usize;
}

/// A statement the LRS refuses, with its answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub statement: Statement,
    pub status: u16,
    pub answer: String,
}

/// The outcome of delivering statements.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Delivered {
    /// Statements the LRS holds now.
    pub stored: usize,
    /// Statements it refuses, each found alone.
    pub refused: Vec<Refusal>,
    /// HTTP requests made.
    pub requests: usize,
}

/// Posts `statements` in batches of the LRS's size, splitting refused batches.
///
/// # Errors
/// `Unavailable` as soon as the LRS is: what `Delivered` would have said is lost with it, and
/// the caller delivers the same statements again later (their ids make that harmless).
pub async fn deliver(lrs: &dyn Lrs, statements: &[Statement]) -> Result<Delivered, LrsError> {
    let mut done = Delivered::default();
    for batch in statements.chunks(lrs.batch_size().max(1)) {
        // Batches still to post, last first: a refused batch is replaced by its two halves.
        let mut pending = vec![batch];
        while let Some(part) = pending.pop() {
            done.requests += 1;
            match lrs.post(part).await {
                Ok(()) => done.stored += part.len(),
                Err(LrsError::Refused { status, answer }) if part.len() == 1 => {
                    done.refused.push(Refusal {
                        statement: part[0].clone(),
                        status,
                        answer,
                    });
                }
                Err(LrsError::Refused { .. }) => {
                    let (first, second) = part.split_at(part.len() / 2);
                    pending.push(second);
                    pending.push(first);
                }
                Err(e @ LrsError::Unavailable(_)) => return Err(e),
            }
        }
    }
    Ok(done)
}
