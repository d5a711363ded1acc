//! The progress projection on SQLite, in the catalog's file (schema version 5, its scores
//! version 6): one row per (ECO user, course). A batch is read, merged by the core's rule and written in one
//! `IMMEDIATE` transaction, so processes sharing the data folder (`pokeco serve` and
//! `pokeco replay`) serialize their merges and none is lost.

use std::collections::BTreeSet;

use async_trait::async_trait;
use pokeco_core::catalog::CourseId;
use pokeco_core::pipeline::EcoSub;
use pokeco_core::progress::{
    by_key, plan_merge, CourseProgress, Enrollment, Grade, ProgressStore, Score,
};
use pokeco_core::store::{StoreError, StoreResult};
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use crate::store::{corrupt, to_json, unavailable, SqliteStore};

/// The columns of a state, after the key columns, in the order [`state_of`] reads them.
const STATE_COLUMNS: &str = "enrolled_at, enrolled, first_view, last_view, grade_at, grade, \
     first_passed, blocks, buckets, scores";

/// A state from the row's columns, starting at `at`.
fn state_of(row: &Row<'_>, at: usize) -> StoreResult<CourseProgress> {
    let get_i64 = |i: usize| row.get::<_, Option<i64>>(at + i).map_err(unavailable);
    let enrollment = match (
        get_i64(0)?,
        row.get::<_, Option<bool>>(at + 1).map_err(unavailable)?,
    ) {
        (Some(at_ms), Some(active)) => Some(Enrollment { at_ms, active }),
        (None, None) => None,
        _ => {
            return Err(StoreError::Corrupt(
                "a progress row has half an enrollment".into(),
            ))
        }
    };
    let grade = match (
        get_i64(4)?,
        row.get::<_, Option<f64>>(at + 5).map_err(unavailable)?,
    ) {
        (Some(at_ms), Some(percent)) => Some(Grade { at_ms, percent }),
        (None, None) => None,
        _ => {
            return Err(StoreError::Corrupt(
                "a progress row has half a grade".into(),
            ))
        }
    };
    let json = |i: usize| {
        row.get_ref(at + i)
            .map_err(unavailable)?
            .as_str()
            .map_err(corrupt)
    };
    let scores = serde_json::from_str::<Vec<&str>>(json(9)?)
        .map_err(corrupt)?
        .into_iter()
        .map(|entry| {
            Score::from_entry(entry)
                .ok_or_else(|| StoreError::Corrupt(format!("a progress row has a score {entry:?}")))
        })
        .collect::<StoreResult<BTreeSet<Score>>>()?;
    Ok(CourseProgress {
        enrollment,
        first_view_ms: get_i64(2)?,
        last_view_ms: get_i64(3)?,
        blocks: serde_json::from_str::<BTreeSet<String>>(json(7)?).map_err(corrupt)?,
        buckets: serde_json::from_str::<BTreeSet<i64>>(json(8)?).map_err(corrupt)?,
        grade,
        first_passed_ms: get_i64(6)?,
        scores,
    })
}

/// The scores as the row keeps them: a JSON array of their entries.
fn scores_json(scores: &BTreeSet<Score>) -> StoreResult<String> {
    to_json(&scores.iter().map(Score::to_entry).collect::<Vec<_>>())
}

#[async_trait]
impl ProgressStore for SqliteStore {
    async fn merge_progress(
        &self,
        batch: &[(EcoSub, CourseId, CourseProgress)],
    ) -> StoreResult<u64> {
        let states = by_key(batch);
        if states.is_empty() {
            return Ok(0);
        }
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let mut changed = 0;
            {
                let mut get = tx
                    .prepare_cached(&format!(
                        "SELECT {STATE_COLUMNS} FROM progress WHERE eco_sub = ?1 AND course_id = ?2"
                    ))
                    .map_err(unavailable)?;
                let mut put = tx
                    .prepare_cached(&format!(
                        "INSERT OR REPLACE INTO progress (eco_sub, course_id, {STATE_COLUMNS})
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
                    ))
                    .map_err(unavailable)?;
                for ((sub, course), incoming) in states {
                    let stored = get
                        .query_row(params![sub.as_str(), course.as_str()], |row| {
                            Ok(state_of(row, 0))
                        })
                        .optional()
                        .map_err(unavailable)?
                        .transpose()?;
                    let Some(plan) = plan_merge(stored.as_ref(), &incoming) else {
                        continue;
                    };
                    let s = &plan.merged;
                    put.execute(params![
                        sub.as_str(),
                        course.as_str(),
                        s.enrollment.map(|e| e.at_ms),
                        s.enrollment.map(|e| e.active),
                        s.first_view_ms,
                        s.last_view_ms,
                        s.grade.map(|g| g.at_ms),
                        s.grade.map(|g| g.percent),
                        s.first_passed_ms,
                        to_json(&s.blocks)?,
                        to_json(&s.buckets)?,
                        scores_json(&s.scores)?,
                    ])
                    .map_err(unavailable)?;
                    changed += 1;
                }
            }
            tx.commit().map_err(unavailable)?;
            Ok(changed)
        })
        .await
    }

    async fn user_progress(&self, sub: &EcoSub) -> StoreResult<Vec<(CourseId, CourseProgress)>> {
        let sub = sub.to_string();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT course_id, {STATE_COLUMNS} FROM progress WHERE eco_sub = ?1
                     ORDER BY course_id"
                ))
                .map_err(unavailable)?;
            let mut rows = stmt.query(params![sub]).map_err(unavailable)?;
            let mut all = Vec::new();
            while let Some(row) = rows.next().map_err(unavailable)? {
                let course: String = row.get(0).map_err(unavailable)?;
                all.push((course.parse().map_err(corrupt)?, state_of(row, 1)?));
            }
            Ok(all)
        })
        .await
    }

    async fn delete_user_progress(&self, sub: &EcoSub) -> StoreResult<u64> {
        let sub = sub.to_string();
        self.with(move |conn| {
            conn.execute("DELETE FROM progress WHERE eco_sub = ?1", params![sub])
                .map(|n| n as u64)
                .map_err(unavailable)
        })
        .await
    }
}
