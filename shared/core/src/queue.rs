//! The statement queue port: between ingest and delivery, at least once. Implemented by the
//! embedded SQLite queue and by SQS; one contract suite (feature `contract`) holds both to
//! the same semantics: a received message is hidden for a visibility timeout, comes back if
//! it is not deleted in time, and moves to the dead-letter queue after too many receives.
//!
//! One message carries many statements: a JSON array, packed up to [`MAX_MESSAGE_BYTES`].

use std::time::Duration;

use async_trait::async_trait;

use crate::datestamp::Datestamp;
use crate::xapi::Statement;

/// The largest message body: SQS's classic limit (256 KiB), kept for both queues.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The queue could not be reached or refused for now; nothing was taken.
    #[error("queue unavailable: {0}")]
    Unavailable(String),
    /// A message larger than [`MAX_MESSAGE_BYTES`], or a body the queue cannot carry.
    #[error("the queue refused the message: {0}")]
    Rejected(String),
    #[error("corrupt message in queue: {0}")]
    Corrupt(String),
}

pub type QueueResult<T> = Result<T, QueueError>;

/// A message handed out by [`StatementQueue::receive`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The message's id, stable across receives.
    pub id: String,
    /// The handle of this receive: only it deletes the message.
    pub receipt: String,
    pub body: String,
    /// How often the message was received, this time included.
    pub receive_count: u32,
    /// When the message was first sent (the sync's lag is measured from it).
    pub sent_at: Option<Datestamp>,
}

/// How full a queue is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Depth {
    /// Messages waiting to be received.
    pub visible: u64,
    /// Messages received and not yet deleted.
    pub in_flight: u64,
    /// Messages in the dead-letter queue.
    pub dead: u64,
    /// When the oldest message waiting or in flight was sent, where the queue can tell
    /// without receiving (the embedded queue; SQS cannot).
    pub oldest_sent: Option<Datestamp>,
}

#[async_trait]
pub trait StatementQueue: Send + Sync {
    /// Sends every body as one message; when this returns `Ok`, every one is durably queued.
    ///
    /// # Errors
    /// `Rejected` for a body over [`MAX_MESSAGE_BYTES`] (nothing sent); `Unavailable` when the
    /// queue failed: some bodies may be queued, and sending them again only duplicates
    /// statements whose ids the LRS already has.
    async fn send(&self, bodies: &[String]) -> QueueResult<()>;

    /// Up to `max` messages, each hidden from other receivers for `visibility`. A message
    /// received more than the queue's maximum receive count goes to the dead-letter queue
    /// instead of being handed out.
    async fn receive(&self, max: usize, visibility: Duration) -> QueueResult<Vec<Received>>;

    /// Deletes the messages of these receipts. A receipt that no longer holds its message (it
    /// came back and was received again) deletes nothing.
    async fn delete(&self, receipts: &[String]) -> QueueResult<()>;

    /// How many messages wait, are in flight, are dead.
    async fn depth(&self) -> QueueResult<Depth>;

    /// Moves every dead letter back to the queue, receive counts reset; returns how many.
    async fn redrive_dead_letters(&self) -> QueueResult<u64>;
}

/// Refuses, before anything is sent, a body larger than a message holds.
///
/// # Errors
/// `Rejected` naming the size.
pub fn check_sizes(bodies: &[String]) -> QueueResult<()> {
    match bodies.iter().find(|b| b.len() > MAX_MESSAGE_BYTES) {
        Some(big) => Err(QueueError::Rejected(format!(
            "a message of {} bytes, more than {MAX_MESSAGE_BYTES}",
            big.len()
        ))),
        None => Ok(()),
    }
}

/// Statements packed into message bodies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Packed {
    /// JSON arrays, each as large as [`MAX_MESSAGE_BYTES`] allows, in statement order.
    pub bodies: Vec<String>,
    /// Ids of statements that alone exceed a message (left out).
    pub too_large: Vec<String>,
}

/// Statements as message bodies: JSON arrays, each as large as [`MAX_MESSAGE_BYTES`] allows.
/// A statement too large for any message is left out and named, never fatal to the others.
pub fn pack(statements: &[Statement]) -> Packed {
    let mut packed = Packed::default();
    let mut current = String::from("[");
    for statement in statements {
        let json = statement.json();
        if json.len() + 2 > MAX_MESSAGE_BYTES {
            packed.too_large.push(statement.id().to_owned());
            continue;
        }
        if current.len() + json.len() + 1 > MAX_MESSAGE_BYTES {
            current.push(']');
            packed
                .bodies
                .push(std::mem::replace(&mut current, String::from("[")));
        }
        if current.len() > 1 {
            current.push(',');
        }
        current.push_str(json);
    }
    if current.len() > 1 {
        current.push(']');
        packed.bodies.push(current);
    }
    packed
}

/// The statements of a message body.
///
/// # Errors
/// `Corrupt` for a body that is not a JSON array of statements.
pub fn unpack(body: &str) -> QueueResult<Vec<Statement>> {
    serde_json::from_str(body).map_err(|e| QueueError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(i: usize, padding: usize) -> Statement {
        serde_json::from_value(serde_json::json!({
            "id": format!("00000000-0000-5000-8000-{i:012}"),
            "actor": {"objectType": "Agent", "account": {"homePage": "https://p?user=u", "name": "u"}},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "x".repeat(padding)}},
            "object": {"objectType": "Activity", "id": "https://x/o", "definition": {"type": "https://x/t"}},
            "context": {"contextActivities": {"parent": []}, "extensions": {}},
            "timestamp": "2016-11-07T09:20:11+00:00", "version": "1.0.3"
        }))
        .unwrap()
    }

    #[test]
    fn packs_as_many_statements_as_a_message_holds_in_order() {
        let statements: Vec<Statement> = (0..3000).map(|i| statement(i, 700)).collect();
        let bodies = pack(&statements).bodies;
        assert!(
            bodies.len() > 1 && bodies.len() < 15,
            "{} bodies",
            bodies.len()
        );
        assert!(bodies.iter().all(|b| b.len() <= MAX_MESSAGE_BYTES));
        // Full messages: the next statement would not have fitted.
        let one = serde_json::to_string(&statements[0]).unwrap().len();
        assert!(bodies[..bodies.len() - 1]
            .iter()
            .all(|b| b.len() + one + 1 > MAX_MESSAGE_BYTES));
        let back: Vec<Statement> = bodies.iter().flat_map(|b| unpack(b).unwrap()).collect();
        assert_eq!(back, statements);
        assert_eq!(pack(&[]), Packed::default());
    }

    #[test]
    fn a_statement_larger_than_a_message_is_left_out_alone() {
        let packed = pack(&[
            statement(1, 10),
            statement(2, MAX_MESSAGE_BYTES),
            statement(3, 10),
        ]);
        assert_eq!(packed.too_large, [statement(2, 0).id().to_owned()]);
        let back = unpack(&packed.bodies[0]).unwrap();
        assert_eq!(back, [statement(1, 10), statement(3, 10)]);
        assert!(matches!(unpack("not json"), Err(QueueError::Corrupt(_))));
    }
}
