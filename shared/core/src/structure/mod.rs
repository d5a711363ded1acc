//! Course structure: a course's blocks (usage key, category, display name, children) as the
//! LMS's Course Blocks API exports them, checked whole when they are read; the `tasks` view
//! ecoapi serves from it; the port that keeps one structure per course, [`StructureStore`],
//! implemented by the embedded SQLite store and the DynamoDB store and held to one contract
//! (feature `contract`); and the operators' rules over it, [`StructureService`].

mod blocks_api;
mod model;
mod service;
mod tasks;

use async_trait::async_trait;

pub use model::{
    usage_key_parts, Block, CourseStructure, MAX_BLOCKS, MAX_BLOCK_NAME_BYTES, MAX_STRUCTURE_BYTES,
    MAX_USAGE_KEY_BYTES,
};
pub use service::{StructureError, StructureService, StructureSummary};
pub use tasks::{activity_type, tasks_view, Task, TasksView};

use crate::catalog::CourseId;
use crate::store::StoreResult;

/// The course structures, one per course, independent of the catalog's records (the service
/// checks the course exists).
#[async_trait]
pub trait StructureStore: Send + Sync {
    /// Creates or replaces the structure of `structure.course()`; answers whether it replaced
    /// one. A reader sees the structure before or after the write, whole, never a mix of both
    /// nor a part of either.
    async fn put_structure(&self, structure: &CourseStructure) -> StoreResult<bool>;

    /// The structure of a course; `None` when none is loaded. Reads every commit.
    ///
    /// # Errors
    /// `Corrupt` when what is stored is not a structure of this course.
    async fn get_structure(&self, course: &CourseId) -> StoreResult<Option<CourseStructure>>;

    /// Removes the structure of a course.
    ///
    /// # Errors
    /// `NotFound` when none is loaded.
    async fn delete_structure(&self, course: &CourseId) -> StoreResult<()>;
}
