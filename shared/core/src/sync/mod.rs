//! The sync run (lrs-sync on AWS, every `POKECO_SYNC_EVERY` seconds in `pokeco serve`):
//! drain the queue into the LRS within a deadline. A message is deleted only once every
//! statement it carries is stored or parked as refused, so a run that dies at any point loses
//! nothing: the message comes back after its visibility timeout, and the statement ids make
//! the second delivery harmless. After too many receives a message goes to the dead letters.
//! Every run is recorded ([`runs`]), and may announce its learners to ECO ([`announce`]).

pub mod announce;
pub mod runs;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use self::announce::{learner, Announcer};
use self::runs::{keep, SyncRun};
use crate::config::EcoPushSettings;
use crate::datestamp::Datestamp;
use crate::delivery::{deliver, Lrs, LrsError};
use crate::pipeline::{FailedStatement, PipelineStore, MAX_PAGE};
use crate::queue::{pack, unpack, QueueError, StatementQueue};
use crate::store::StoreError;
use crate::xapi::Statement;

/// SQS hands out at most ten messages per receive.
const RECEIVE_MAX: usize = 10;

#[derive(Clone, Debug)]
pub struct SyncSettings {
    /// `POKECO_SYNC_MAX`: a run stops receiving once it has handled this many statements.
    pub max_statements: usize,
    /// How long a received message stays hidden: longer than a round may take.
    pub visibility: Duration,
    /// A round starts only while this much time is left before the deadline.
    pub round_time: Duration,
    /// `POKECO_ECO_PUSH_URL`: where the learners of a run are announced, if anywhere.
    pub eco_push: Option<EcoPushSettings>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the queue is unavailable: {0}")]
    Queue(#[from] QueueError),
    /// Refused statements could not be parked; their messages stay in the queue.
    #[error("the store is unavailable: {0}")]
    Store(#[from] StoreError),
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// Messages received and deleted.
    pub messages: u64,
    /// Statements the LRS holds now (new, or already held).
    pub delivered: u64,
    /// Statements the LRS refused, parked in the failed store.
    pub refused: u64,
    /// Statements that appeared twice in one round (the same events ingested twice).
    pub duplicates: u64,
    /// Ids of messages that are not statement arrays: left to reach the dead letters.
    pub corrupt: Vec<String>,
    /// HTTP requests made to the LRS.
    pub requests: u64,
    /// Why the run ended before the queue was empty: the LRS was unavailable.
    pub stopped: Option<String>,
    /// Learners announced to ECO whose announcement ECO answered.
    #[serde(default)]
    pub announced: u64,
    /// Learners announced to ECO that failed or were not answered in time.
    #[serde(default)]
    pub unannounced: u64,
    /// How late the run delivered: seconds from the sending of the oldest message it received
    /// to its end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_seconds: Option<u64>,
}

#[derive(Clone)]
pub struct SyncService {
    queue: Arc<dyn StatementQueue>,
    pipeline: Arc<dyn PipelineStore>,
    lrs: Arc<dyn Lrs>,
    settings: SyncSettings,
    announcer: Option<Arc<dyn Announcer>>,
}

impl SyncService {
    pub fn new(
        queue: Arc<dyn StatementQueue>,
        pipeline: Arc<dyn PipelineStore>,
        lrs: Arc<dyn Lrs>,
        settings: SyncSettings,
    ) -> Self {
        Self {
            queue,
            pipeline,
            lrs,
            settings,
            announcer: None,
        }
    }

    /// Announces the learners of each run's statements to ECO.
    #[must_use]
    pub fn with_announcer(mut self, announcer: Option<Arc<dyn Announcer>>) -> Self {
        self.announcer = announcer;
        self
    }

    /// Drains the queue until it is empty, `max_statements` are handled, the deadline nears,
    /// or the LRS is unavailable (then `stopped` says so and the rest waits for a later run);
    /// then records the run in the store.
    ///
    /// # Errors
    /// The queue or the store failed; what was delivered before stays delivered.
    pub async fn run(&self, deadline: Instant) -> Result<SyncReport, SyncError> {
        let started_at = Datestamp::now();
        let mut report = SyncReport::default();
        let mut drained = false;
        let mut oldest_sent: Option<Datestamp> = None;
        let mut announced = HashSet::new();
        let mut first = true;
        while ((report.delivered + report.refused) as usize) < self.settings.max_statements
            && deadline.saturating_duration_since(Instant::now()) > self.settings.round_time
        {
            // The first round takes one message: when the LRS is down, a run adds a receive
            // (toward the dead letters) to one message, not to ten.
            let max = if std::mem::take(&mut first) {
                1
            } else {
                RECEIVE_MAX
            };
            let messages = self.queue.receive(max, self.settings.visibility).await?;
            if messages.is_empty() {
                drained = true;
                break;
            }
            oldest_sent = messages
                .iter()
                .filter_map(|m| m.sent_at)
                .chain(oldest_sent)
                .min();
            let mut statements: Vec<Statement> = Vec::new();
            let mut seen = HashSet::new();
            let mut receipts = Vec::with_capacity(messages.len());
            for message in messages {
                match unpack(&message.body) {
                    Ok(batch) => {
                        for s in batch {
                            if seen.insert(s.id().to_owned()) {
                                statements.push(s);
                            } else {
                                report.duplicates += 1;
                            }
                        }
                        receipts.push(message.receipt);
                    }
                    Err(_) => report.corrupt.push(message.id),
                }
            }
            let done = match deliver(self.lrs.as_ref(), &statements).await {
                Ok(done) => done,
                Err(LrsError::Unavailable(why) | LrsError::Refused { answer: why, .. }) => {
                    report.stopped = Some(why);
                    break;
                }
            };
            report.requests += done.requests as u64;
            if !done.refused.is_empty() {
                let now = Datestamp::now();
                let failed: Vec<FailedStatement> = done
                    .refused
                    .into_iter()
                    .map(|r| {
                        report.refused += 1;
                        FailedStatement::new(r.statement, r.status, &r.answer, now)
                    })
                    .collect();
                self.pipeline.put_failed(&failed).await?;
            }
            report.delivered += done.stored as u64;
            self.queue.delete(&receipts).await?;
            report.messages += receipts.len() as u64;
            // Ingest moved these learners' figures before it queued their statements.
            if let Some(announcer) = &self.announcer {
                for sub in statements.iter().filter_map(learner) {
                    if announced.insert(sub.clone()) {
                        announcer.announce(&sub);
                    }
                }
            }
        }
        if let Some(announcer) = &self.announcer {
            let settled = announcer.settle(deadline).await;
            report.announced = settled.answered;
            report.unannounced = settled.unanswered;
        }
        let previous = self.pipeline.sync_runs().await?;
        let run = SyncRun::new(
            started_at,
            drained,
            oldest_sent,
            report.clone(),
            previous.first(),
        );
        self.pipeline.put_sync_runs(&keep(previous, &run)).await?;
        report.lag_seconds = run.report.lag_seconds;
        Ok(report)
    }
}

/// What a redrive moved back to the queue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Redriven {
    /// Refused statements queued again (and dropped from the failed store).
    pub statements: u64,
    /// Dead letters moved back to the queue.
    pub dead_letters: u64,
}

/// Queues refused statements again (these ids, or all when `ids` is `None`) and, for all,
/// moves the dead letters back too. A statement leaves the failed store only once it is queued.
///
/// # Errors
/// The store's or the queue's; what was moved before stays moved.
pub async fn redrive(
    pipeline: &dyn PipelineStore,
    queue: &dyn StatementQueue,
    ids: Option<&[String]>,
) -> Result<Redriven, SyncError> {
    let mut moved = Redriven::default();
    let requeue = |failed: Vec<FailedStatement>| async {
        let ids: Vec<String> = failed.iter().map(|f| f.id().to_owned()).collect();
        let statements: Vec<Statement> = failed.into_iter().map(|f| f.statement).collect();
        queue.send(&pack(&statements).bodies).await?;
        pipeline.delete_failed(&ids).await?;
        Ok::<u64, SyncError>(ids.len() as u64)
    };
    match ids {
        Some(ids) => {
            let mut found = Vec::new();
            for id in ids {
                if let Some(f) = pipeline.get_failed(id).await? {
                    found.push(f);
                }
            }
            moved.statements += requeue(found).await?;
        }
        None => {
            loop {
                // Each page leaves the store once queued, so the next page starts at the top.
                let page = pipeline.page_failed(None, MAX_PAGE).await?;
                if page.failed.is_empty() {
                    break;
                }
                moved.statements += requeue(page.failed).await?;
            }
            moved.dead_letters = queue.redrive_dead_letters().await?;
        }
    }
    Ok(moved)
}
