//! The pipeline's own state, beside the catalog: who is who (identity links), which courses
//! are tracked, and the statements an LRS refused. One port, [`PipelineStore`], implemented by
//! the embedded SQLite store and the DynamoDB store and held to one contract (feature
//! `contract`).

mod failed;
mod identity;
mod service;
mod tracked;

use std::collections::HashMap;

use async_trait::async_trait;

pub use failed::{FailedPage, FailedStatement, MAX_ANSWER_BYTES};
pub use identity::{parse_links_csv, CsvProblem, EcoSub, EdxUserId, Link, LinkPage};
pub use service::{DeliveryStatus, LinkImport, PipelineError, PipelineService, TrackedView};
pub use tracked::{Tracked, TrackedCourses};

use crate::store::StoreResult;
use crate::sync::runs::SyncRun;

/// The most items one page of links or failed statements holds.
pub const MAX_PAGE: usize = 1000;

#[async_trait]
pub trait PipelineStore: Send + Sync {
    /// Creates or replaces these links (one per edX user).
    async fn put_links(&self, links: &[Link]) -> StoreResult<()>;

    /// Removes the link of an edX user.
    ///
    /// # Errors
    /// `NotFound` when the user has none.
    async fn delete_link(&self, user: &EdxUserId) -> StoreResult<()>;

    /// The ECO identities of those of `users` that are linked. Reads every commit.
    async fn eco_users(&self, users: &[EdxUserId]) -> StoreResult<HashMap<EdxUserId, EcoSub>>;

    /// Up to `limit` links in edX-user-id order, strictly after `after`.
    async fn page_links(&self, after: Option<&EdxUserId>, limit: usize) -> StoreResult<LinkPage>;

    /// The tracked courses kept in the store (the setting's are added by [`TrackedCourses`]).
    async fn tracked(&self) -> StoreResult<Vec<Tracked>>;

    /// Adds a course (or `*`) to the tracked ones; adding one already there changes nothing.
    async fn track(&self, course: &Tracked) -> StoreResult<()>;

    /// Removes a course (or `*`) from the tracked ones.
    ///
    /// # Errors
    /// `NotFound` when it is not there.
    async fn untrack(&self, course: &Tracked) -> StoreResult<()>;

    /// Keeps refused statements, replacing one already kept with the same statement id.
    async fn put_failed(&self, failed: &[FailedStatement]) -> StoreResult<()>;

    /// A refused statement by its statement id.
    async fn get_failed(&self, id: &str) -> StoreResult<Option<FailedStatement>>;

    /// Up to `limit` refused statements in statement-id order, strictly after `after`.
    async fn page_failed(&self, after: Option<&str>, limit: usize) -> StoreResult<FailedPage>;

    /// How many refused statements are kept.
    async fn count_failed(&self) -> StoreResult<u64>;

    /// Forgets these refused statements (unknown ids are ignored).
    async fn delete_failed(&self, ids: &[String]) -> StoreResult<()>;

    /// Replaces the kept sync runs ([`keep`](crate::sync::runs::keep) says which). Runs never
    /// overlap (the schedule's function has a concurrency of one), so a record is never
    /// written against another.
    async fn put_sync_runs(&self, runs: &[SyncRun]) -> StoreResult<()>;

    /// The kept sync runs, the latest first.
    async fn sync_runs(&self) -> StoreResult<Vec<SyncRun>>;
}
