//! `pokeco progress`: one learner's progress projection, shown as stored or forgotten (a
//! learner who asked to be erased; their identity link is removed with `pokeco link delete`).

use clap::Subcommand;
use pokeco_core::catalog::Invalid;
use pokeco_core::pipeline::EcoSub;
use pokeco_core::progress::ProgressStore;
use pokeco_core::store::StoreError;
use serde_json::{Map, Value};

#[derive(Debug, Subcommand)]
pub enum ProgressCommand {
    /// Prints a learner's stored states, one per course, as JSON.
    Show { sub: String },
    /// Deletes every state of a learner; ingest builds them again from their next events.
    Forget { sub: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ProgressCliError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot print the answer: {0}")]
    Output(#[from] serde_json::Error),
}

fn learner(sub: &str) -> Result<EcoSub, ProgressCliError> {
    sub.trim()
        .parse()
        .map_err(|e: Invalid| ProgressCliError::Invalid(e.0))
}

/// Runs one verb, printing its answer.
///
/// # Errors
/// A malformed ECO user id, or the store's.
pub async fn run(cmd: ProgressCommand, store: &dyn ProgressStore) -> Result<(), ProgressCliError> {
    match cmd {
        ProgressCommand::Show { sub } => {
            let states = store.user_progress(&learner(&sub)?).await?;
            let mut courses = Map::new();
            for (course, state) in states {
                courses.insert(course.to_string(), serde_json::to_value(state)?);
            }
            println!("{}", serde_json::to_string_pretty(&Value::Object(courses))?);
        }
        ProgressCommand::Forget { sub } => {
            let deleted = store.delete_user_progress(&learner(&sub)?).await?;
            println!("{deleted} course states of {} deleted", sub.trim());
        }
    }
    Ok(())
}
