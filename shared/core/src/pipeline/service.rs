//! The operators' rules over the pipeline's state, shared by the admin API and the `pokeco`
//! command line: identity links (one by one or from a CSV export), tracked courses, and the
//! statements an LRS refused (list, show, drop, redrive).

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;

use serde::Serialize;

use super::{
    parse_links_csv, CsvProblem, EcoSub, EdxUserId, FailedPage, FailedStatement, Link, LinkPage,
    PipelineStore, Tracked, MAX_PAGE,
};
use crate::catalog::ids::Invalid;
use crate::datestamp::Datestamp;
use crate::queue::{QueueError, StatementQueue};
use crate::store::StoreError;
use crate::sync::runs::{Backlog, SyncRun};
use crate::sync::{redrive, Redriven, SyncError};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A value the caller sent is not valid (the sentence says which and why).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// The change contradicts the deployment's settings.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Queue(QueueError),
}

impl From<StoreError> for PipelineError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<SyncError> for PipelineError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Queue(q) => Self::Queue(q),
            SyncError::Store(s) => Self::Store(s),
        }
    }
}

type Result<T> = std::result::Result<T, PipelineError>;

/// What a links file gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinkImport {
    /// Links written (created or replaced).
    pub imported: usize,
    /// Lines not taken, with their number and reason.
    pub problems: Vec<CsvProblem>,
}

/// The tracked courses and where each comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrackedView {
    /// `POKECO_TRACKED_COURSES`: changed only by redeploying.
    pub setting: Vec<Tracked>,
    /// Managed through the admin API.
    pub managed: Vec<Tracked>,
}

/// How far delivery is behind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryStatus {
    /// Messages waiting (each carries many statements).
    pub queued_messages: u64,
    pub in_flight_messages: u64,
    pub dead_letter_messages: u64,
    /// Statements the LRS refused, kept for an operator.
    pub failed_statements: u64,
    /// The age of the oldest undelivered statement.
    pub oldest_undelivered: Backlog,
    /// The latest sync runs, the latest first.
    pub sync_runs: Vec<SyncRun>,
}

#[derive(Clone)]
pub struct PipelineService {
    store: Arc<dyn PipelineStore>,
    queue: Arc<dyn StatementQueue>,
    tracked_setting: BTreeSet<Tracked>,
}

/// A value the caller sent, or `Invalid` with the parser's sentence.
fn parsed<T: FromStr<Err = Invalid>>(s: &str) -> Result<T> {
    s.trim()
        .parse()
        .map_err(|e: Invalid| PipelineError::Invalid(e.0))
}

fn page_limit(limit: Option<usize>) -> Result<usize> {
    match limit.unwrap_or(100) {
        n @ 1..=MAX_PAGE => Ok(n),
        n => Err(PipelineError::Invalid(format!(
            "limit must lie in 1..={MAX_PAGE}, not {n}"
        ))),
    }
}

impl PipelineService {
    pub fn new(
        store: Arc<dyn PipelineStore>,
        queue: Arc<dyn StatementQueue>,
        tracked_setting: BTreeSet<Tracked>,
    ) -> Self {
        Self {
            store,
            queue,
            tracked_setting,
        }
    }

    /// Writes every link of a CSV export; bad lines are reported, the good ones written.
    ///
    /// # Errors
    /// `Store` (nothing is claimed written).
    pub async fn import_links(&self, csv: &str) -> Result<LinkImport> {
        let (links, problems) = parse_links_csv(csv);
        for chunk in links.chunks(MAX_PAGE) {
            self.store.put_links(chunk).await?;
        }
        Ok(LinkImport {
            imported: links.len(),
            problems,
        })
    }

    /// Links (or re-links) one edX user.
    ///
    /// # Errors
    /// `Invalid` for an id that is not one; `Store`.
    pub async fn put_link(&self, user: &str, sub: &str) -> Result<Link> {
        let link = Link {
            edx_user_id: parsed(user)?,
            eco_sub: EcoSub::parse_lenient(sub).map_err(|e| PipelineError::Invalid(e.0))?,
        };
        self.store.put_links(std::slice::from_ref(&link)).await?;
        Ok(link)
    }

    /// # Errors
    /// `NotFound` for a user with no link; `Invalid`; `Store`.
    pub async fn get_link(&self, user: &str) -> Result<Link> {
        let user = parsed(user)?;
        let mut found = self.store.eco_users(std::slice::from_ref(&user)).await?;
        match found.remove(&user) {
            Some(eco_sub) => Ok(Link {
                edx_user_id: user,
                eco_sub,
            }),
            None => Err(PipelineError::NotFound(format!(
                "edX user {user} is not linked"
            ))),
        }
    }

    /// # Errors
    /// `NotFound` for a user with no link; `Invalid`; `Store`.
    pub async fn delete_link(&self, user: &str) -> Result<()> {
        let user = parsed(user)?;
        self.store.delete_link(&user).await.map_err(|e| match e {
            StoreError::NotFound => {
                PipelineError::NotFound(format!("edX user {user} is not linked"))
            }
            other => other.into(),
        })
    }

    /// # Errors
    /// `Invalid` for a bad cursor or limit; `Store`.
    pub async fn list_links(&self, after: Option<&str>, limit: Option<usize>) -> Result<LinkPage> {
        let after = after.map(parsed::<EdxUserId>).transpose()?;
        Ok(self
            .store
            .page_links(after.as_ref(), page_limit(limit)?)
            .await?)
    }

    /// # Errors
    /// `Store`.
    pub async fn tracked(&self) -> Result<TrackedView> {
        Ok(TrackedView {
            setting: self.tracked_setting.iter().cloned().collect(),
            managed: self.store.tracked().await?,
        })
    }

    /// Tracks a course (or `*`).
    ///
    /// # Errors
    /// `Invalid` for a value that is neither a course id nor `*`; `Store`.
    pub async fn track(&self, course: &str) -> Result<Tracked> {
        let tracked: Tracked = parsed(course)?;
        self.store.track(&tracked).await?;
        Ok(tracked)
    }

    /// # Errors
    /// `Conflict` for a course only the setting tracks; `NotFound`; `Invalid`; `Store`.
    pub async fn untrack(&self, course: &str) -> Result<()> {
        let tracked: Tracked = parsed(course)?;
        match self.store.untrack(&tracked).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) if self.tracked_setting.contains(&tracked) => {
                Err(PipelineError::Conflict(format!(
                    "{tracked} is tracked by POKECO_TRACKED_COURSES: change the setting"
                )))
            }
            Err(StoreError::NotFound) => {
                Err(PipelineError::NotFound(format!("{tracked} is not tracked")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// # Errors
    /// `Invalid` for a bad limit; `Store`.
    pub async fn list_failed(
        &self,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<FailedPage> {
        let mut page = self.store.page_failed(after, page_limit(limit)?).await?;
        // A refused statement may be a quarter megabyte: a page ends early rather than
        // outgrow an answer.
        let mut bytes = 0;
        let fits = page
            .failed
            .iter()
            .take_while(|f| {
                bytes += serde_json::to_string(f).map_or(0, |j| j.len());
                bytes <= crate::RESPONSE_BYTE_BUDGET
            })
            .count()
            .max(1);
        if fits < page.failed.len() {
            page.failed.truncate(fits);
            page.more = true;
        }
        Ok(page)
    }

    /// # Errors
    /// `NotFound`; `Store`.
    pub async fn get_failed(&self, id: &str) -> Result<FailedStatement> {
        self.store
            .get_failed(id)
            .await?
            .ok_or_else(|| PipelineError::NotFound(format!("no failed statement {id}")))
    }

    /// Forgets a refused statement for good.
    ///
    /// # Errors
    /// `NotFound`; `Store`.
    pub async fn drop_failed(&self, id: &str) -> Result<()> {
        self.get_failed(id).await?;
        Ok(self.store.delete_failed(&[id.to_owned()]).await?)
    }

    /// Queues refused statements again: these ids, or every one and the dead letters too.
    ///
    /// # Errors
    /// `Store` or `Queue`; what was moved before stays moved.
    pub async fn redrive(&self, ids: Option<&[String]>) -> Result<Redriven> {
        Ok(redrive(self.store.as_ref(), self.queue.as_ref(), ids).await?)
    }

    /// # Errors
    /// `Store` or `Queue`.
    pub async fn status(&self) -> Result<DeliveryStatus> {
        let depth = self.queue.depth().await.map_err(PipelineError::Queue)?;
        let sync_runs = self.store.sync_runs().await?;
        Ok(DeliveryStatus {
            queued_messages: depth.visible,
            in_flight_messages: depth.in_flight,
            dead_letter_messages: depth.dead,
            failed_statements: self.store.count_failed().await?,
            oldest_undelivered: Backlog::of(&depth, sync_runs.first(), Datestamp::now()),
            sync_runs,
        })
    }
}
