//! The catalog operations shared by the admin API and the `pokeco` command line: validate,
//! check references, write, read, delete. Both front ends call these, so a course accepted by
//! one is accepted by the other.

use std::sync::Arc;

use pokeco_core::catalog::{
    referenced_teachers, validate_course, validate_set, validate_teacher, Course, CourseId,
    CourseRecord, Issue, Known, OaiSet, Rejection, SetSpec, Teacher, TeacherId, Warning,
};
use pokeco_core::keys::{order_key, parse_order_key};
use pokeco_core::store::{CatalogStore, RecordQuery};
use pokeco_core::Datestamp;
use serde::Serialize;
use serde_json::Value;

use crate::AdminError;

/// Page size of a course listing when the caller names none, and the most it may ask for.
pub const DEFAULT_LIST_LIMIT: usize = 100;
pub const MAX_LIST_LIMIT: usize = 1000;

/// How many records a reference scan reads per store query.
const SCAN_PAGE: usize = 500;

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

/// One page of a course listing; `next` is the `after` of the following page.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoursePage {
    pub courses: Vec<CourseView>,
    pub next: Option<String>,
}

/// Which courses a listing returns: in (datestamp, id) order, after the position `after`
/// (an earlier page's `next`), deleted ones only when asked.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
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
    oai_prefix: String,
}

impl CatalogService {
    pub fn new(store: Arc<dyn CatalogStore>, oai_prefix: impl Into<String>) -> Self {
        Self {
            store,
            oai_prefix: oai_prefix.into(),
        }
    }

    fn view(&self, record: CourseRecord) -> CourseView {
        CourseView {
            oai_identifier: format!("{}{}", self.oai_prefix, record.course.course_id),
            course: record.course,
            datestamp: record.datestamp,
            deleted: record.deleted,
        }
    }

    /// Validates a course, checks its teachers and sets exist, and writes it (live, with a
    /// new datestamp). `path_id`, when the id also came in the URL, must equal `course_id`.
    pub async fn put_course(
        &self,
        doc: &Value,
        path_id: Option<&str>,
    ) -> Result<Written<CourseView>, AdminError> {
        let teacher_ids: Vec<TeacherId> = self
            .store
            .get_teachers(&referenced_teachers(doc))
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        let sets: Vec<SetSpec> = self
            .store
            .list_sets()
            .await?
            .into_iter()
            .map(|s| s.spec)
            .collect();
        let known = Known {
            teachers: &teacher_ids,
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

    pub async fn get_course(&self, id: &str) -> Result<CourseView, AdminError> {
        let record = match id.parse::<CourseId>() {
            Ok(id) => self.store.get_course(&id).await?,
            Err(_) => None,
        };
        record
            .map(|r| self.view(r))
            .ok_or_else(|| not_found("course", id))
    }

    /// Marks a course deleted with a new datestamp; the record stays, for harvesters.
    pub async fn delete_course(&self, id: &str) -> Result<CourseView, AdminError> {
        let id_ = id
            .parse::<CourseId>()
            .map_err(|_| not_found("course", id))?;
        match self.store.delete_course(&id_, Datestamp::now()).await {
            Ok(record) => Ok(self.view(record)),
            Err(pokeco_core::store::StoreError::NotFound) => Err(not_found("course", id)),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_courses(&self, listing: &CourseListing) -> Result<CoursePage, AdminError> {
        let limit = listing.limit.unwrap_or(DEFAULT_LIST_LIMIT);
        if !(1..=MAX_LIST_LIMIT).contains(&limit) {
            return Err(AdminError::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIST_LIMIT}"),
            ));
        }
        let after = match &listing.after {
            Some(key) => Some(parse_order_key(key).ok_or_else(|| {
                AdminError::invalid("after", "is not a position from an earlier page's `next`")
            })?),
            None => None,
        };
        let query = RecordQuery {
            after,
            limit,
            ..RecordQuery::default()
        };
        let page = self.store.page_courses(&query).await?;
        let next = match (page.more, page.records.last()) {
            (true, Some(last)) => Some(order_key(last.datestamp, &last.course.course_id)),
            _ => None,
        };
        let courses = page
            .records
            .into_iter()
            .filter(|r| listing.deleted || !r.deleted)
            .map(|r| self.view(r))
            .collect();
        Ok(CoursePage { courses, next })
    }

    pub async fn put_teacher(
        &self,
        doc: &Value,
        path_id: Option<&str>,
    ) -> Result<Written<Teacher>, AdminError> {
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

    pub async fn get_teacher(&self, id: &str) -> Result<Teacher, AdminError> {
        let found = match id.parse::<TeacherId>() {
            Ok(id) => self.store.get_teachers(&[id]).await?.pop(),
            Err(_) => None,
        };
        found.ok_or_else(|| not_found("teacher", id))
    }

    pub async fn list_teachers(&self) -> Result<Vec<Teacher>, AdminError> {
        Ok(self.store.list_teachers().await?)
    }

    /// Removes a teacher, unless a live course still names them (409).
    pub async fn delete_teacher(&self, id: &str) -> Result<Teacher, AdminError> {
        let teacher = self.get_teacher(id).await?;
        let user = self
            .live_course_where(None, |c| c.teachers.contains(&teacher.id))
            .await?;
        if let Some(course) = user {
            return Err(AdminError::Conflict(format!(
                "the live course {course} names teacher {id:?}; change or delete the course first"
            )));
        }
        self.store
            .delete_teacher(&teacher.id)
            .await
            .map_err(|e| missing(e, "teacher", id))?;
        Ok(teacher)
    }

    pub async fn put_set(
        &self,
        doc: &Value,
        path_spec: Option<&str>,
    ) -> Result<Written<OaiSet>, AdminError> {
        let checked = same_id(validate_set(doc), doc, "spec", path_spec)?;
        let set = checked.value;
        let created = !self
            .store
            .list_sets()
            .await?
            .iter()
            .any(|s| s.spec == set.spec);
        self.store.put_set(set.clone()).await?;
        Ok(Written {
            value: set,
            warnings: checked.warnings,
            created,
        })
    }

    pub async fn get_set(&self, spec: &str) -> Result<OaiSet, AdminError> {
        let sets = self.store.list_sets().await?;
        sets.into_iter()
            .find(|s| s.spec.as_str() == spec)
            .ok_or_else(|| not_found("set", spec))
    }

    pub async fn list_sets(&self) -> Result<Vec<OaiSet>, AdminError> {
        Ok(self.store.list_sets().await?)
    }

    /// Removes a set, unless a live course still names it (409).
    pub async fn delete_set(&self, spec: &str) -> Result<OaiSet, AdminError> {
        let set = self.get_set(spec).await?;
        let user = self
            .live_course_where(Some(&set.spec), |c| c.sets.contains(&set.spec))
            .await?;
        if let Some(course) = user {
            return Err(AdminError::Conflict(format!(
                "the live course {course} is in set {spec:?}; change or delete the course first"
            )));
        }
        self.store
            .delete_set(&set.spec)
            .await
            .map_err(|e| missing(e, "set", spec))?;
        Ok(set)
    }

    /// The first live course (within `set`, when given) that `names` matches. The store has
    /// no reverse index of references, so this reads the catalog page by page: deletions of
    /// teachers and sets are rare operator actions.
    async fn live_course_where(
        &self,
        set: Option<&SetSpec>,
        names: impl Fn(&Course) -> bool,
    ) -> Result<Option<CourseId>, AdminError> {
        let mut query = RecordQuery {
            set: set.cloned(),
            limit: SCAN_PAGE,
            ..RecordQuery::default()
        };
        loop {
            let page = self.store.page_courses(&query).await?;
            if let Some(r) = page.records.iter().find(|r| !r.deleted && names(&r.course)) {
                return Ok(Some(r.course.course_id.clone()));
            }
            match (page.more, page.records.last()) {
                (true, Some(last)) => {
                    query.after = Some(pokeco_core::keys::Position {
                        datestamp: last.datestamp,
                        course_id: last.course.course_id.clone(),
                    });
                }
                _ => return Ok(None),
            }
        }
    }
}

/// Adds the problem "differs from the path" to a validation result when the document's id
/// field (`field`) is not the id the URL named.
fn same_id<T>(
    result: Result<pokeco_core::catalog::Validated<T>, Rejection>,
    doc: &Value,
    field: &str,
    path_id: Option<&str>,
) -> Result<pokeco_core::catalog::Validated<T>, AdminError> {
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
        (Ok(_), Some(m)) => Err(AdminError::Invalid(Rejection { problems: vec![m] })),
        (Err(mut r), Some(m)) => {
            r.problems.push(m);
            Err(AdminError::Invalid(r))
        }
        (Err(r), None) => Err(AdminError::Invalid(r)),
    }
}

fn not_found(what: &'static str, id: &str) -> AdminError {
    AdminError::NotFound {
        what,
        id: id.to_owned(),
    }
}

/// A store's `NotFound` (a concurrent delete) as this API's 404.
fn missing(e: pokeco_core::store::StoreError, what: &'static str, id: &str) -> AdminError {
    match e {
        pokeco_core::store::StoreError::NotFound => not_found(what, id),
        other => other.into(),
    }
}
