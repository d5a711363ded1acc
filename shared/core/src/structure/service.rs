//! The operators' rules over course structures, shared by the admin API and the `pokeco`
//! command line: a structure is imported only for a live course of the catalog, read and
//! removed by course id; and the `tasks` view ecoapi answers from it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use super::{tasks_view, CourseStructure, StructureStore, TasksView};
use crate::catalog::{CourseId, CourseRecord, Rejection};
use crate::oai::OaiPrefix;
use crate::store::{CatalogStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StructureError {
    /// The document is not a structure of the course; every problem is listed.
    #[error("{0}")]
    Invalid(Rejection),
    /// The catalog has no such course (or, for an import and the tasks, only a deleted one).
    #[error("{0}")]
    NoCourse(String),
    /// The course is in the catalog, but no structure is loaded for it.
    #[error("{0}")]
    NoStructure(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, StructureError>;

/// What an import answers: the structure in figures, not the whole of it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StructureSummary {
    pub course_id: CourseId,
    pub root: String,
    /// How many blocks, all categories together.
    pub blocks: usize,
    /// How many blocks of each category.
    pub categories: BTreeMap<String, usize>,
    /// Whether it replaced a structure loaded before.
    pub replaced: bool,
}

impl StructureSummary {
    fn of(structure: &CourseStructure, replaced: bool) -> Self {
        let mut categories = BTreeMap::new();
        for b in structure.blocks() {
            *categories.entry(b.category.clone()).or_insert(0) += 1;
        }
        Self {
            course_id: structure.course().clone(),
            root: structure.root().to_owned(),
            blocks: structure.blocks().len(),
            categories,
            replaced,
        }
    }
}

#[derive(Clone)]
pub struct StructureService {
    catalog: Arc<dyn CatalogStore>,
    store: Arc<dyn StructureStore>,
    prefix: OaiPrefix,
}

impl StructureService {
    pub fn new(
        catalog: Arc<dyn CatalogStore>,
        store: Arc<dyn StructureStore>,
        prefix: OaiPrefix,
    ) -> Self {
        Self {
            catalog,
            store,
            prefix,
        }
    }

    /// The course's record, when `id` names one.
    async fn record(&self, id: &str) -> Result<(CourseId, Option<CourseRecord>)> {
        let Ok(course) = id.parse::<CourseId>() else {
            return Err(no_course(id));
        };
        let record = self.catalog.get_course(&course).await?;
        Ok((course, record))
    }

    /// A live course of the catalog.
    async fn live(&self, id: &str) -> Result<(CourseId, CourseRecord)> {
        match self.record(id).await? {
            (course, Some(record)) if !record.deleted => Ok((course, record)),
            (_, Some(_)) => Err(StructureError::NoCourse(format!(
                "course {id:?} is deleted from the catalog"
            ))),
            (_, None) => Err(no_course(id)),
        }
    }

    /// Reads the Course Blocks API's answer for a live course of the catalog and loads it,
    /// replacing the structure loaded before.
    ///
    /// # Errors
    /// `NoCourse`; `Invalid` with every problem of the document; `Store`.
    pub async fn import(&self, course: &str, json: &[u8]) -> Result<StructureSummary> {
        let (course, _) = self.live(course).await?;
        let structure =
            CourseStructure::from_course_blocks(&course, json).map_err(StructureError::Invalid)?;
        let replaced = self.store.put_structure(&structure).await?;
        Ok(StructureSummary::of(&structure, replaced))
    }

    /// The structure of a course of the catalog (deleted or not).
    ///
    /// # Errors
    /// `NoCourse`; `NoStructure`; `Store`.
    pub async fn get(&self, course: &str) -> Result<CourseStructure> {
        let (id, record) = self.record(course).await?;
        if record.is_none() {
            return Err(no_course(course));
        }
        self.store
            .get_structure(&id)
            .await?
            .ok_or_else(|| no_structure(&id))
    }

    /// Removes the structure of a course of the catalog (deleted or not).
    ///
    /// # Errors
    /// `NoCourse`; `NoStructure`; `Store`.
    pub async fn delete(&self, course: &str) -> Result<()> {
        let (id, record) = self.record(course).await?;
        if record.is_none() {
            return Err(no_course(course));
        }
        match self.store.delete_structure(&id).await {
            Err(StoreError::NotFound) => Err(no_structure(&id)),
            other => Ok(other?),
        }
    }

    /// The usage keys of the `problem` blocks of a course's structure, read straight from the
    /// store (no catalog check: the caller knows the course); `None` when none is loaded. For
    /// the ECO API's progress without a course grade.
    ///
    /// # Errors
    /// The store's.
    pub async fn problems(
        &self,
        course: &CourseId,
    ) -> std::result::Result<Option<HashSet<String>>, StoreError> {
        Ok(self.store.get_structure(course).await?.map(|s| {
            s.blocks_of("problem")
                .map(|b| b.id.clone())
                .collect::<HashSet<String>>()
        }))
    }

    /// The tasks of a live course, named by its id or its OAI identifier.
    ///
    /// # Errors
    /// `NoCourse` (ecoapi answers `404 {}`); `NoStructure` (404 with the reason); `Store`.
    pub async fn tasks(&self, course: &str) -> Result<TasksView> {
        let id = course.strip_prefix(self.prefix.as_str()).unwrap_or(course);
        let (course, record) = self.live(id).await?;
        let structure = self
            .store
            .get_structure(&course)
            .await?
            .ok_or_else(|| no_structure(&course))?;
        Ok(tasks_view(&structure, &self.prefix, record.course.end))
    }
}

fn no_course(id: &str) -> StructureError {
    StructureError::NoCourse(format!("no course {id:?} in the catalog"))
}

fn no_structure(id: &CourseId) -> StructureError {
    StructureError::NoStructure(format!(
        "no structure is loaded for course {id}: import the LMS's Course Blocks API answer \
         (pokeco structure import, or PUT /admin/courses/{{id}}/structure)"
    ))
}
