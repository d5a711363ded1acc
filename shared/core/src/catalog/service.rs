//! The catalog operations shared by the admin API and the `pokeco` command line: validate,
//! check references, write, read, list, delete. Both front ends call these, so a document
//! accepted by one is accepted by the other.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::validate::{
    referenced_sets, referenced_teachers, validate_course, validate_set, validate_teacher, Issue,
    Known, Rejection, Validated, Warning,
};
use super::{Course, CourseId, CourseRecord, OaiSet, SetSpec, Teacher, TeacherId};
use crate::datestamp::Datestamp;
use crate::oai::OaiPrefix;
use crate::order::Position;
use crate::store::{CatalogStore, RecordQuery, StoreError};
use crate::RESPONSE_BYTE_BUDGET;

/// Page size of a course listing when the caller names none, and the most it may ask for.
pub const DEFAULT_LIST_LIMIT: usize = 100;
pub const MAX_LIST_LIMIT: usize = 1000;
/// How many deleted records one listing request passes over before it answers a short page
/// (with `next`), so a catalog of mostly deleted courses cannot exhaust a function's time.
const MAX_SKIPPED: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The document or request was refused; every problem is listed with its path.
    #[error("{0}")]
    Invalid(Rejection),
    #[error("no {what} {id:?}")]
    NotFound { what: &'static str, id: String },
    /// The change would leave the catalog inconsistent: a live course names what is being
    /// deleted, or names something deleted meanwhile.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for CatalogError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(why) => Self::Conflict(why),
            other => Self::Store(other),
        }
    }
}

impl CatalogError {
    /// A refusal of the request as a whole (the query, a cursor).
    pub fn invalid(path: &str, message: impl Into<String>) -> Self {
        Self::Invalid(Rejection::single(path, message))
    }
}

type Result<T> = std::result::Result<T, CatalogError>;

/// A course as the API answers it: the catalog JSON plus the read-only fields.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CourseView {
    #[serde(flatten)]
    pub course: Course,
    pub oai_identifier: String,
    pub datestamp: Datestamp,
    pub deleted: bool,
}

/// The answer to a write: the stored value and the warnings it raised. `created` tells a new
/// record from a replaced one (201 or 200).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Written<T> {
    #[serde(flatten)]
    pub value: T,
    pub warnings: Vec<Warning>,
    #[serde(skip)]
    pub created: bool,
}

/// One page of a course listing; `next`, an opaque URL-safe cursor, is the `after` of the
/// following page and is absent on the last one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoursePage {
    pub courses: Vec<CourseView>,
    pub next: Option<String>,
}

/// Which courses a listing returns: in (datestamp, id) order, after the cursor `after` (an
/// earlier page's `next`), deleted ones only when asked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseListing {
    pub limit: Option<usize>,
    pub after: Option<String>,
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Clone)]
pub struct CatalogService {
    store: Arc<dyn CatalogStore>,
    prefix: OaiPrefix,
}

impl CatalogService {
    pub fn new(store: Arc<dyn CatalogStore>, prefix: OaiPrefix) -> Self {
        Self { store, prefix }
    }

    fn view(&self, record: CourseRecord) -> CourseView {
        CourseView {
            oai_identifier: self.prefix.identifier(record.course.course_id.as_str()),
            course: record.course,
            datestamp: record.datestamp,
            deleted: record.deleted,
        }
    }

    /// Validates a course, checks its teachers and sets exist, and writes it (live, with a
    /// new datestamp). `path_id`, when the id also came in the URL, must equal `course_id`.
    ///
    /// # Errors
    /// `Invalid` with every problem; `Conflict` when a teacher or set it names was deleted
    /// between the check and the write; `Store`.
    pub async fn put_course(
        &self,
        doc: &Value,
        path_id: Option<&str>,
    ) -> Result<Written<CourseView>> {
        let teachers: Vec<TeacherId> = self
            .store
            .get_teachers(&referenced_teachers(doc))
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        let sets: Vec<SetSpec> = self
            .store
            .get_sets(&referenced_sets(doc))
            .await?
            .into_iter()
            .map(|s| s.spec)
            .collect();
        let known = Known {
            teachers: &teachers,
            sets: &sets,
        };
        let checked = same_id(validate_course(doc, &known), doc, "course_id", path_id)?;
        let course = checked.value;
        let created = self.store.get_course(&course.course_id).await?.is_none();
        let record = self.store.put_course(course, Datestamp::now()).await?;
        Ok(Written {
            value: self.view(record),
            warnings: checked.warnings,
            created,
        })
    }

    /// # Errors
    /// `NotFound` for an id that is not a course id or names no record; `Store`.
    pub async fn get_course(&self, id: &str) -> Result<CourseView> {
        let record = match id.parse::<CourseId>() {
            Ok(id) => self.store.get_course(&id).await?,
            Err(_) => None,
        };
        record
            .map(|r| self.view(r))
            .ok_or_else(|| not_found("course", id))
    }

    /// Marks a course deleted with a new datestamp; the record stays, for harvesters.
    ///
    /// # Errors
    /// `NotFound`; `Store`.
    pub async fn delete_course(&self, id: &str) -> Result<CourseView> {
        let parsed = id
            .parse::<CourseId>()
            .map_err(|_| not_found("course", id))?;
        let record = self
            .store
            .delete_course(&parsed, Datestamp::now())
            .await
            .map_err(|e| missing(e, "course", id))?;
        Ok(self.view(record))
    }

    /// One page of courses: `limit` of them unless the list ends first, the page reaches the
    /// response byte budget, or it has passed over many deleted records (then `next` is set).
    ///
    /// # Errors
    /// `Invalid` for a limit out of range or a cursor that is not an earlier `next`; `Store`.
    pub async fn list_courses(&self, listing: &CourseListing) -> Result<CoursePage> {
        let limit = listing.limit.unwrap_or(DEFAULT_LIST_LIMIT);
        if !(1..=MAX_LIST_LIMIT).contains(&limit) {
            return Err(CatalogError::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIST_LIMIT}"),
            ));
        }
        let mut after = match &listing.after {
            Some(cursor) => Some(Position::from_cursor(cursor).ok_or_else(|| {
                CatalogError::invalid("after", "is not a cursor from an earlier page's `next`")
            })?),
            None => None,
        };
        let mut courses = Vec::new();
        let (mut bytes, mut skipped) = (0, 0);
        loop {
            let query = RecordQuery {
                after: after.clone(),
                limit: limit - courses.len(),
                ..RecordQuery::default()
            };
            let page = self.store.page_courses(&query).await?;
            let (mut more, mut full) = (page.more, false);
            for record in page.records {
                let position = Position::of(&record);
                if record.deleted && !listing.deleted {
                    skipped += 1;
                    after = Some(position);
                    continue;
                }
                let view = self.view(record);
                let size = serde_json::to_vec(&view).map_or(0, |v| v.len());
                if !courses.is_empty() && bytes + size > RESPONSE_BYTE_BUDGET {
                    (more, full) = (true, true);
                    break;
                }
                bytes += size;
                courses.push(view);
                after = Some(position);
            }
            if !more || full || courses.len() == limit || skipped >= MAX_SKIPPED {
                let next = after.filter(|_| more).map(|p| p.to_cursor());
                return Ok(CoursePage { courses, next });
            }
        }
    }

    /// # Errors
    /// `Invalid` with every problem; `Store`.
    pub async fn put_teacher(
        &self,
        doc: &Value,
        path_id: Option<&str>,
    ) -> Result<Written<Teacher>> {
        let checked = same_id(validate_teacher(doc), doc, "id", path_id)?;
        let teacher = checked.value;
        let created = self
            .store
            .get_teachers(std::slice::from_ref(&teacher.id))
            .await?
            .is_empty();
        self.store.put_teacher(teacher.clone()).await?;
        Ok(Written {
            value: teacher,
            warnings: checked.warnings,
            created,
        })
    }

    /// # Errors
    /// `NotFound`; `Store`.
    pub async fn get_teacher(&self, id: &str) -> Result<Teacher> {
        let found = match id.parse::<TeacherId>() {
            Ok(id) => self.store.get_teachers(&[id]).await?.pop(),
            Err(_) => None,
        };
        found.ok_or_else(|| not_found("teacher", id))
    }

    /// # Errors
    /// `Store`.
    pub async fn list_teachers(&self) -> Result<Vec<Teacher>> {
        Ok(self.store.list_teachers().await?)
    }

    /// Removes a teacher.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` while a live course names them; `Store`.
    pub async fn delete_teacher(&self, id: &str) -> Result<Teacher> {
        let teacher = self.get_teacher(id).await?;
        self.store
            .delete_teacher(&teacher.id)
            .await
            .map_err(|e| missing(e, "teacher", id))?;
        Ok(teacher)
    }

    /// # Errors
    /// `Invalid` with every problem; `Store`.
    pub async fn put_set(&self, doc: &Value, path_spec: Option<&str>) -> Result<Written<OaiSet>> {
        let checked = same_id(validate_set(doc), doc, "spec", path_spec)?;
        let set = checked.value;
        let created = self
            .store
            .get_sets(std::slice::from_ref(&set.spec))
            .await?
            .is_empty();
        self.store.put_set(set.clone()).await?;
        Ok(Written {
            value: set,
            warnings: checked.warnings,
            created,
        })
    }

    /// # Errors
    /// `NotFound`; `Store`.
    pub async fn get_set(&self, spec: &str) -> Result<OaiSet> {
        let found = match spec.parse::<SetSpec>() {
            Ok(spec) => self.store.get_sets(&[spec]).await?.pop(),
            Err(_) => None,
        };
        found.ok_or_else(|| not_found("set", spec))
    }

    /// # Errors
    /// `Store`.
    pub async fn list_sets(&self) -> Result<Vec<OaiSet>> {
        Ok(self.store.list_sets().await?)
    }

    /// Removes a set.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` while a live course names it; `Store`.
    pub async fn delete_set(&self, spec: &str) -> Result<OaiSet> {
        let set = self.get_set(spec).await?;
        self.store
            .delete_set(&set.spec)
            .await
            .map_err(|e| missing(e, "set", spec))?;
        Ok(set)
    }
}

/// Adds the problem "differs from the path" to a validation result when the document's id
/// field (`field`) is not the id the URL named.
fn same_id<T>(
    result: std::result::Result<Validated<T>, Rejection>,
    doc: &Value,
    field: &str,
    path_id: Option<&str>,
) -> Result<Validated<T>> {
    let body_id = doc.get(field).and_then(Value::as_str);
    let mismatch = match (path_id, body_id) {
        (Some(p), Some(b)) if p != b => Some(Issue::new(
            field,
            format!("{b:?} differs from {p:?}, the id in the path"),
        )),
        _ => None,
    };
    match (result, mismatch) {
        (Ok(v), None) => Ok(v),
        (Ok(_), Some(m)) => Err(CatalogError::Invalid(Rejection { problems: vec![m] })),
        (Err(mut r), Some(m)) => {
            r.problems.push(m);
            Err(CatalogError::Invalid(r))
        }
        (Err(r), None) => Err(CatalogError::Invalid(r)),
    }
}

fn not_found(what: &'static str, id: &str) -> CatalogError {
    CatalogError::NotFound {
        what,
        id: id.to_owned(),
    }
}

/// A store's `NotFound` (a concurrent delete) as the catalog's, naming the record.
fn missing(e: StoreError, what: &'static str, id: &str) -> CatalogError {
    match e {
        StoreError::NotFound => not_found(what, id),
        other => other.into(),
    }
}
