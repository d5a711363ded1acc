//! Course structures on SQLite, in the catalog's file (schema version 4): one row per course,
//! the structure's JSON as written by [`CourseStructure`]'s `Serialize`. A put is one
//! statement, so a reader sees the row before or after it.

use async_trait::async_trait;
use pokeco_core::catalog::CourseId;
use pokeco_core::store::{StoreError, StoreResult};
use pokeco_core::structure::{CourseStructure, StructureStore};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::store::{corrupt, to_json, unavailable, SqliteStore};

#[async_trait]
impl StructureStore for SqliteStore {
    async fn put_structure(&self, structure: &CourseStructure) -> StoreResult<bool> {
        let course = structure.course().to_string();
        let body = to_json(structure)?;
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let replaced = tx
                .prepare_cached("SELECT 1 FROM course_structures WHERE course_id = ?1")
                .and_then(|mut s| s.exists(params![course]))
                .map_err(unavailable)?;
            tx.execute(
                "INSERT INTO course_structures (course_id, body) VALUES (?1, ?2)
                 ON CONFLICT (course_id) DO UPDATE SET body = ?2",
                params![course, body],
            )
            .map_err(unavailable)?;
            tx.commit().map_err(unavailable)?;
            Ok(replaced)
        })
        .await
    }

    async fn get_structure(&self, course: &CourseId) -> StoreResult<Option<CourseStructure>> {
        let id = course.to_string();
        let body: Option<String> = self
            .with(move |conn| {
                conn.query_row(
                    "SELECT body FROM course_structures WHERE course_id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(unavailable)
            })
            .await?;
        // Read outside the connection's lock: a large structure takes a while.
        let Some(body) = body else {
            return Ok(None);
        };
        let structure = CourseStructure::from_json(body.as_bytes())
            .map_err(|r| corrupt(format!("structure of {course}: {r}")))?;
        if structure.course() != course {
            return Err(corrupt(format!(
                "the structure kept for {course} is of {}",
                structure.course()
            )));
        }
        Ok(Some(structure))
    }

    async fn delete_structure(&self, course: &CourseId) -> StoreResult<()> {
        let course = course.to_string();
        self.with(move |conn| {
            match conn
                .execute(
                    "DELETE FROM course_structures WHERE course_id = ?1",
                    params![course],
                )
                .map_err(unavailable)?
            {
                0 => Err(StoreError::NotFound),
                _ => Ok(()),
            }
        })
        .await
    }
}
