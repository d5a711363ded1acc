//! The catalog port: what the OAI-PMH endpoint, the admin API and the command line need
//! of a store. Implemented by the embedded SQLite store and the DynamoDB store; one contract
//! suite (feature `contract`) holds both to the same answers.

use async_trait::async_trait;

use crate::catalog::{Course, CourseId, CourseRecord, OaiSet, SetSpec, Teacher, TeacherId};
use crate::datestamp::Datestamp;
use crate::keys::Position;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The store could not be reached or refused the request; the caller may retry.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store answered with something this code cannot read.
    #[error("corrupt item in store: {0}")]
    Corrupt(String),
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

#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Creates or replaces a course, live again if it was deleted, with datestamp `at`.
    async fn put_course(&self, course: Course, at: Datestamp) -> StoreResult<CourseRecord>;

    /// Marks a course deleted with datestamp `at`; the record stays. Returns `NotFound` when
    /// no record has this id. Deleting a deleted course moves its datestamp again.
    async fn delete_course(&self, id: &CourseId, at: Datestamp) -> StoreResult<CourseRecord>;

    /// A course record, deleted or not; `None` when there is none.
    async fn get_course(&self, id: &CourseId) -> StoreResult<Option<CourseRecord>>;

    /// One page of course records (deleted ones included), at most `query.limit` of them.
    async fn page_courses(&self, query: &RecordQuery) -> StoreResult<RecordPage>;

    /// How many records the query matches ignoring `after` and `limit`, when the store can
    /// tell cheaply; `None` otherwise.
    async fn count_courses(&self, query: &RecordQuery) -> StoreResult<Option<u64>>;

    /// The smallest datestamp of any record, or the store's creation time when it has none.
    async fn earliest_datestamp(&self) -> StoreResult<Datestamp>;

    /// Creates or replaces a teacher.
    async fn put_teacher(&self, teacher: Teacher) -> StoreResult<()>;

    /// The teachers with these ids that exist, in the order of `ids`; unknown ids are left out.
    async fn get_teachers(&self, ids: &[TeacherId]) -> StoreResult<Vec<Teacher>>;

    /// Every teacher, ordered by id.
    async fn list_teachers(&self) -> StoreResult<Vec<Teacher>>;

    /// Removes a teacher; `NotFound` when there is none.
    async fn delete_teacher(&self, id: &TeacherId) -> StoreResult<()>;

    /// Creates or replaces a set.
    async fn put_set(&self, set: OaiSet) -> StoreResult<()>;

    /// Every set, ordered by spec.
    async fn list_sets(&self) -> StoreResult<Vec<OaiSet>>;

    /// Removes a set; `NotFound` when there is none.
    async fn delete_set(&self, spec: &SetSpec) -> StoreResult<()>;
}
