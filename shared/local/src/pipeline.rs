//! The pipeline's state on SQLite, in the catalog's file: links, tracked courses, refused
//! statements (schema version 3), and the record of sync runs (a JSON list in `meta`).

use std::collections::HashMap;

use async_trait::async_trait;
use pokeco_core::pipeline::{
    EcoSub, EdxUserId, FailedPage, FailedStatement, Link, LinkPage, PipelineStore, Tracked,
};
use pokeco_core::store::{StoreError, StoreResult};
use pokeco_core::sync::runs::SyncRun;
use rusqlite::{params, Connection, OptionalExtension, Params, TransactionBehavior};

use crate::store::{corrupt, to_json, unavailable, SqliteStore};

/// Runs `sql` once for each row of parameters, all in one transaction.
fn execute_each<P: Params>(
    conn: &mut Connection,
    sql: &str,
    rows: impl IntoIterator<Item = P>,
) -> StoreResult<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)?;
    {
        let mut each = tx.prepare_cached(sql).map_err(unavailable)?;
        for row in rows {
            each.execute(row).map_err(unavailable)?;
        }
    }
    tx.commit().map_err(unavailable)
}

fn limit_plus_one(limit: usize) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}

#[async_trait]
impl PipelineStore for SqliteStore {
    async fn put_links(&self, links: &[Link]) -> StoreResult<()> {
        let rows: Vec<(String, String)> = links
            .iter()
            .map(|l| (l.edx_user_id.to_string(), l.eco_sub.to_string()))
            .collect();
        self.with(move |conn| {
            execute_each(
                conn,
                "INSERT OR REPLACE INTO links (edx_user_id, eco_sub) VALUES (?1, ?2)",
                rows,
            )
        })
        .await
    }

    async fn delete_link(&self, user: &EdxUserId) -> StoreResult<()> {
        let user = user.to_string();
        self.with(move |conn| {
            match conn
                .execute("DELETE FROM links WHERE edx_user_id = ?1", params![user])
                .map_err(unavailable)?
            {
                0 => Err(StoreError::NotFound),
                _ => Ok(()),
            }
        })
        .await
    }

    async fn eco_users(&self, users: &[EdxUserId]) -> StoreResult<HashMap<EdxUserId, EcoSub>> {
        let users = users.to_vec();
        self.with(move |conn| {
            let mut get = conn
                .prepare_cached("SELECT eco_sub FROM links WHERE edx_user_id = ?1")
                .map_err(unavailable)?;
            let mut found = HashMap::new();
            for user in users {
                let sub: Option<String> = get
                    .query_row(params![user.as_str()], |r| r.get(0))
                    .optional()
                    .map_err(unavailable)?;
                if let Some(sub) = sub {
                    found.insert(user, sub.parse().map_err(corrupt)?);
                }
            }
            Ok(found)
        })
        .await
    }

    async fn page_links(&self, after: Option<&EdxUserId>, limit: usize) -> StoreResult<LinkPage> {
        let after = after.map(ToString::to_string).unwrap_or_default();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT edx_user_id, eco_sub FROM links WHERE edx_user_id > ?1
                     ORDER BY edx_user_id LIMIT ?2",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![after, limit_plus_one(limit)], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(unavailable)?;
            let mut links = Vec::new();
            for row in rows {
                let (user, sub) = row.map_err(unavailable)?;
                links.push(Link {
                    edx_user_id: user.parse().map_err(corrupt)?,
                    eco_sub: sub.parse().map_err(corrupt)?,
                });
            }
            let more = links.len() > limit;
            links.truncate(limit);
            Ok(LinkPage { links, more })
        })
        .await
    }

    async fn tracked(&self) -> StoreResult<Vec<Tracked>> {
        self.with(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT course FROM tracked_courses ORDER BY course")
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(unavailable)?;
            rows.map(|r| r.map_err(unavailable)?.parse().map_err(corrupt))
                .collect()
        })
        .await
    }

    async fn track(&self, course: &Tracked) -> StoreResult<()> {
        let course = course.to_string();
        self.with(move |conn| {
            conn.execute(
                "INSERT OR IGNORE INTO tracked_courses (course) VALUES (?1)",
                params![course],
            )
            .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn untrack(&self, course: &Tracked) -> StoreResult<()> {
        let course = course.to_string();
        self.with(move |conn| {
            match conn
                .execute(
                    "DELETE FROM tracked_courses WHERE course = ?1",
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

    async fn put_failed(&self, failed: &[FailedStatement]) -> StoreResult<()> {
        let rows: Vec<(String, String)> = failed
            .iter()
            .map(|f| Ok((f.id().to_owned(), to_json(f)?)))
            .collect::<StoreResult<_>>()?;
        self.with(move |conn| {
            execute_each(
                conn,
                "INSERT OR REPLACE INTO failed_statements (id, body) VALUES (?1, ?2)",
                rows,
            )
        })
        .await
    }

    async fn get_failed(&self, id: &str) -> StoreResult<Option<FailedStatement>> {
        let id = id.to_owned();
        self.with(move |conn| {
            let body: Option<String> = conn
                .query_row(
                    "SELECT body FROM failed_statements WHERE id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            body.map(|b| serde_json::from_str(&b).map_err(corrupt))
                .transpose()
        })
        .await
    }

    async fn page_failed(&self, after: Option<&str>, limit: usize) -> StoreResult<FailedPage> {
        let after = after.unwrap_or_default().to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT body FROM failed_statements WHERE id > ?1 ORDER BY id LIMIT ?2",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![after, limit_plus_one(limit)], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(unavailable)?;
            let mut failed: Vec<FailedStatement> = rows
                .map(|r| serde_json::from_str(&r.map_err(unavailable)?).map_err(corrupt))
                .collect::<StoreResult<_>>()?;
            let more = failed.len() > limit;
            failed.truncate(limit);
            Ok(FailedPage { failed, more })
        })
        .await
    }

    async fn count_failed(&self) -> StoreResult<u64> {
        self.with(|conn| {
            conn.query_row("SELECT COUNT(*) FROM failed_statements", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(unavailable)
        })
        .await
    }

    async fn delete_failed(&self, ids: &[String]) -> StoreResult<()> {
        let ids = ids.to_vec();
        self.with(move |conn| {
            execute_each(
                conn,
                "DELETE FROM failed_statements WHERE id = ?1",
                ids.into_iter().map(|id| [id]),
            )
        })
        .await
    }

    async fn put_sync_runs(&self, runs: &[SyncRun]) -> StoreResult<()> {
        let json = to_json(&runs)?;
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('sync_runs', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [json],
            )
            .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn sync_runs(&self) -> StoreResult<Vec<SyncRun>> {
        self.with(|conn| read_sync_runs(conn)).await
    }
}

fn read_sync_runs(conn: &Connection) -> StoreResult<Vec<SyncRun>> {
    conn.query_row("SELECT value FROM meta WHERE key = 'sync_runs'", [], |r| {
        r.get::<_, String>(0)
    })
    .optional()
    .map_err(unavailable)?
    .map_or(Ok(Vec::new()), |text| {
        serde_json::from_str(&text).map_err(corrupt)
    })
}
