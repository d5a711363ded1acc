//! The catalog port: what the OAI-PMH endpoint, the admin API and the command line need
//! of a store. Implemented by the embedded SQLite store and the DynamoDB store; one contract
//! suite (feature `contract`) holds both to the same answers.

use async_trait::async_trait;

use crate::catalog::{Course, CourseId, CourseRecord, OaiSet, SetSpec, Teacher, TeacherId};
use crate::datestamp::Datestamp;
use crate::order::Position;

/// What a store can answer instead of a result. Each front end maps these to its protocol in
/// one place (`pokeco-http`'s `store_status` for HTTP).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A write's reference check failed when it committed: a course names a teacher or set
    /// that no longer exists, or a teacher or set being deleted is named by a live course.
    #[error("{0}")]
    Conflict(String),
    /// The store refused the request as invalid, permanently (a limit validation should have
    /// caught first): retrying cannot help.
    #[error("the store refused the request: {0}")]
    Rejected(String),
    /// The store could not be reached or was too busy; the caller may retry.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store answered with something this code cannot read.
    #[error("corrupt item in store: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which course records a page holds: those with `from <= datestamp <= until` (inclusive),
/// in the set or below it, strictly after `after`, in (datestamp, course id) order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordQuery {
    pub from: Option<Datestamp>,
    pub until: Option<Datestamp>,
    pub set: Option<SetSpec>,
    pub after: Option<Position>,
    pub limit: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecordPage {
    pub records: Vec<CourseRecord>,
    /// Whether records matching the query lie beyond the last one of this page.
    pub more: bool,
}

/// The catalog store. Writes are dated by the store: a change gets the writer's `now`, or the
/// harvest horizon when that is later, so no change is ever dated inside a window a harvester
/// has already listed (README, "Incremental harvests").
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Creates or replaces a course, live again if it was deleted, dated `max(now, horizon)`.
    ///
    /// # Errors
    /// `Conflict` when a teacher or set it names does not exist when the write commits.
    async fn put_course(&self, course: Course, now: Datestamp) -> StoreResult<CourseRecord>;

    /// Marks a course deleted, dated `max(now, horizon)`; the record stays. Deleting a deleted
    /// course moves its datestamp again.
    ///
    /// # Errors
    /// `NotFound` when no record has this id.
    async fn delete_course(&self, id: &CourseId, now: Datestamp) -> StoreResult<CourseRecord>;

    /// A course record, deleted or not; `None` when there is none. Reads every commit.
    async fn get_course(&self, id: &CourseId) -> StoreResult<Option<CourseRecord>>;

    /// One page of course records (deleted ones included), at most `query.limit` of them, and
    /// fewer only when the range ends. May miss writes of the last
    /// [`list_lag_seconds`](Self::list_lag_seconds).
    async fn page_courses(&self, query: &RecordQuery) -> StoreResult<RecordPage>;

    /// How many records the query matches ignoring `after` and `limit`. Exact when given;
    /// `None` only when counting would cost more than a few reads (never for a catalog of a
    /// few hundred records).
    async fn count_courses(&self, query: &RecordQuery) -> StoreResult<Option<u64>>;

    /// The smallest datestamp of any record, or the store's creation time when it has none.
    async fn earliest_datestamp(&self) -> StoreResult<Datestamp>;

    /// Raises the harvest horizon to `to`, never lowering it, and returns the horizon now in
    /// force. Every write that commits afterwards is dated at or after it.
    async fn advance_horizon(&self, to: Datestamp) -> StoreResult<Datestamp>;

    /// The seconds after a commit during which [`page_courses`](Self::page_courses) may still
    /// miss it (a list index that is updated asynchronously); 0 when lists see every commit.
    fn list_lag_seconds(&self) -> u32;

    /// Creates or replaces a teacher.
    async fn put_teacher(&self, teacher: Teacher) -> StoreResult<()>;

    /// The teachers with these ids that exist, in the order of `ids`; unknown ids are left
    /// out. Reads every commit.
    async fn get_teachers(&self, ids: &[TeacherId]) -> StoreResult<Vec<Teacher>>;

    /// Every teacher, ordered by id.
    async fn list_teachers(&self) -> StoreResult<Vec<Teacher>>;

    /// Removes a teacher.
    ///
    /// # Errors
    /// `NotFound` when there is none; `Conflict` while a live course names it.
    async fn delete_teacher(&self, id: &TeacherId) -> StoreResult<()>;

    /// Creates or replaces a set.
    async fn put_set(&self, set: OaiSet) -> StoreResult<()>;

    /// The sets with these specs that exist, in the order of `specs`; unknown ones are left
    /// out. Reads every commit.
    async fn get_sets(&self, specs: &[SetSpec]) -> StoreResult<Vec<OaiSet>>;

    /// Every set, ordered by spec.
    async fn list_sets(&self) -> StoreResult<Vec<OaiSet>>;

    /// Removes a set.
    ///
    /// # Errors
    /// `NotFound` when there is none; `Conflict` while a live course names it (a course in a
    /// subset does not hold its parent).
    async fn delete_set(&self, spec: &SetSpec) -> StoreResult<()>;
}
