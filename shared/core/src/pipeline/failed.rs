//! Statements an LRS refused: kept with its answer until an operator redrives or drops them.

use serde::{Deserialize, Serialize};

use crate::datestamp::Datestamp;
use crate::xapi::Statement;

/// The most bytes of an LRS's answer kept with a refused statement.
pub const MAX_ANSWER_BYTES: usize = 2048;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailedStatement {
    pub statement: Statement,
    /// The HTTP status of the refusal.
    pub status: u16,
    /// What the LRS said, cut to [`MAX_ANSWER_BYTES`].
    pub answer: String,
    pub failed_at: Datestamp,
}

impl FailedStatement {
    pub fn new(statement: Statement, status: u16, answer: &str, failed_at: Datestamp) -> Self {
        let mut end = answer.len().min(MAX_ANSWER_BYTES);
        while !answer.is_char_boundary(end) {
            end -= 1;
        }
        Self {
            statement,
            status,
            answer: answer[..end].to_owned(),
            failed_at,
        }
    }

    pub fn id(&self) -> &str {
        self.statement.id()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FailedPage {
    pub failed: Vec<FailedStatement>,
    pub more: bool,
}
