//! The optional push to ECO (`POKECO_ECO_PUSH_URL`): after a sync run delivered statements of
//! a learner, ECO is asked to poll that learner's figures again (`POST
//! {url}/updatecourseprogress/{sub}`), at most once per learner per run.
//!
//! ECO answers only once it has called `users/{sub}/courses` back, and never for a learner it
//! does not know, so announcements run beside the sync, each with a short timeout, and the run
//! waits for them only at its end, up to its deadline.

use std::time::Instant;

use async_trait::async_trait;
use serde::Deserialize;

use crate::pipeline::EcoSub;
use crate::xapi::Statement;

/// What the announcements of a run came to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Announced {
    /// ECO answered with a success.
    pub answered: u64,
    /// ECO failed, refused, or did not answer in time (a learner it does not know).
    pub unanswered: u64,
}

#[async_trait]
pub trait Announcer: Send + Sync {
    /// Starts telling ECO that this learner's figures changed, and returns at once.
    fn announce(&self, sub: &EcoSub);

    /// Waits for the announcements started until each has answered or timed out, or until
    /// `deadline`; those still waiting then are abandoned (the learner's next change
    /// announces them again).
    async fn settle(&self, deadline: Instant) -> Announced;
}

#[derive(Deserialize)]
struct Actor<'a> {
    #[serde(borrow)]
    actor: Agent<'a>,
}

#[derive(Deserialize)]
struct Agent<'a> {
    #[serde(borrow)]
    account: Account<'a>,
}

#[derive(Deserialize)]
struct Account<'a> {
    name: &'a str,
}

/// The ECO learner a statement is about: its actor's account name, when that is an ECO sub
/// (statements of other profiles name no ECO learner).
pub fn learner(statement: &Statement) -> Option<EcoSub> {
    let actor: Actor<'_> = serde_json::from_str(statement.json()).ok()?;
    actor.actor.account.name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(actor: &str) -> Statement {
        Statement::from_json(format!(
            r#"{{"id":"9a3c7b54-1f2e-5d3c-8b4a-0e1f2a3b4c5d","actor":{actor},"verb":{{"id":"v"}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn the_learner_is_the_actor_account_name_when_it_is_an_eco_sub() {
        let s = statement(
            r#"{"objectType":"Agent","account":{"homePage":"https://portal.ecolearning.eu?user=5a1b2c3d4e5f60718293a4b5","name":"5a1b2c3d4e5f60718293a4b5"}}"#,
        );
        assert_eq!(
            learner(&s).map(|sub| sub.as_str().to_owned()),
            Some("5a1b2c3d4e5f60718293a4b5".to_owned())
        );
        let other = statement(r#"{"account":{"homePage":"https://lms","name":"ext-42"}}"#);
        assert_eq!(learner(&other), None);
        assert_eq!(learner(&statement(r#"{"mbox":"mailto:a@b.c"}"#)), None);
    }
}
