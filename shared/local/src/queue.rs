//! The statement queue port on SQLite, with the semantics of SQS: at least once, a visibility
//! timeout, a receive count, and a dead-letter state after too many receives. Its own file in
//! the data folder, so the catalog's writes and the queue's never wait for each other.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use pokeco_core::queue::{check_sizes, Depth, QueueError, QueueResult, Received, StatementQueue};
use pokeco_core::Datestamp;
use rusqlite::{params, Connection, TransactionBehavior};

use crate::db::Db;

// Messages are written once and read once: a page cache of 256 KiB instead of SQLite's 2 MiB
// default keeps the sync's memory small at no cost (`pokeco-bench-xapi delivery`).
const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -256;
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    visible_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    dead INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_waiting ON messages (dead, visible_at, id);
PRAGMA user_version = 1;
";

/// The SQLite statement queue. Cheap to clone; clones share one connection.
#[derive(Clone)]
pub struct SqliteQueue {
    db: Db,
    max_receives: u32,
}

fn unavailable(e: rusqlite::Error) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

/// Milliseconds since the epoch.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A receipt names the message and the receive it came from, so an older one deletes nothing.
fn receipt(id: i64, count: u32) -> String {
    format!("{id}.{count}")
}

impl SqliteQueue {
    /// Opens (creating if needed) the queue in `path`. A message received `max_receives`
    /// times goes to the dead letters on its next receive, as SQS's `maxReceiveCount` does.
    ///
    /// # Errors
    /// `Unavailable` when the file cannot be opened or set up.
    pub fn open(path: &Path, max_receives: u32) -> QueueResult<Self> {
        Self::init(Connection::open(path).map_err(unavailable)?, max_receives)
    }

    /// A queue in memory only, for tests.
    ///
    /// # Errors
    /// As [`SqliteQueue::open`].
    pub fn open_in_memory(max_receives: u32) -> QueueResult<Self> {
        Self::init(
            Connection::open_in_memory().map_err(unavailable)?,
            max_receives,
        )
    }

    fn init(conn: Connection, max_receives: u32) -> QueueResult<Self> {
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        Ok(Self {
            db: Db::new(conn),
            max_receives: max_receives.max(1),
        })
    }
}

#[async_trait]
impl StatementQueue for SqliteQueue {
    async fn send(&self, bodies: &[String]) -> QueueResult<()> {
        check_sizes(bodies)?;
        let bodies = bodies.to_vec();
        self.db
            .with(move |conn| {
                let tx = conn.transaction().map_err(unavailable)?;
                {
                    let mut insert = tx
                        .prepare_cached(
                            "INSERT INTO messages (body, sent_at, visible_at) VALUES (?1, ?2, ?2)",
                        )
                        .map_err(unavailable)?;
                    let now = now_ms();
                    for body in &bodies {
                        insert.execute(params![body, now]).map_err(unavailable)?;
                    }
                }
                tx.commit().map_err(unavailable)
            })
            .await
    }

    async fn receive(&self, max: usize, visibility: Duration) -> QueueResult<Vec<Received>> {
        let max_receives = self.max_receives;
        let hidden_ms = i64::try_from(visibility.as_millis()).unwrap_or(i64::MAX);
        self.db
            .with(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(unavailable)?;
                let now = now_ms();
                let mut out = Vec::new();
                loop {
                    let waiting: Vec<(i64, String, u32, i64)> = {
                        let mut select = tx
                            .prepare_cached(
                                "SELECT id, body, receive_count, sent_at FROM messages
                                 WHERE dead = 0 AND visible_at <= ?1 ORDER BY id LIMIT ?2",
                            )
                            .map_err(unavailable)?;
                        let want = i64::try_from(max - out.len()).unwrap_or(i64::MAX);
                        let rows = select
                            .query_map(params![now, want], |r| {
                                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                            })
                            .map_err(unavailable)?;
                        rows.collect::<Result<_, _>>().map_err(unavailable)?
                    };
                    if waiting.is_empty() {
                        break;
                    }
                    for (id, body, count, sent_ms) in waiting {
                        if count >= max_receives {
                            tx.execute("UPDATE messages SET dead = 1 WHERE id = ?1", params![id])
                                .map_err(unavailable)?;
                            continue;
                        }
                        let count = count + 1;
                        tx.execute(
                            "UPDATE messages SET receive_count = ?2, visible_at = ?3 WHERE id = ?1",
                            params![id, count, now.saturating_add(hidden_ms)],
                        )
                        .map_err(unavailable)?;
                        out.push(Received {
                            id: id.to_string(),
                            receipt: receipt(id, count),
                            body,
                            receive_count: count,
                            sent_at: Datestamp::from_unix(sent_ms.div_euclid(1000)),
                        });
                    }
                    if out.len() >= max {
                        break;
                    }
                }
                tx.commit().map_err(unavailable)?;
                Ok(out)
            })
            .await
    }

    async fn delete(&self, receipts: &[String]) -> QueueResult<()> {
        let receipts = receipts.to_vec();
        self.db
            .with(move |conn| {
                let tx = conn.transaction().map_err(unavailable)?;
                for r in &receipts {
                    let Some((id, count)) = r.split_once('.') else {
                        continue;
                    };
                    tx.execute(
                        "DELETE FROM messages WHERE id = ?1 AND receive_count = ?2 AND dead = 0",
                        params![id, count],
                    )
                    .map_err(unavailable)?;
                }
                tx.commit().map_err(unavailable)
            })
            .await
    }

    async fn depth(&self) -> QueueResult<Depth> {
        self.db
            .with(|conn| {
                let now = now_ms();
                conn.query_row(
                    "SELECT
                        COALESCE(SUM(dead = 0 AND visible_at <= ?1), 0),
                        COALESCE(SUM(dead = 0 AND visible_at > ?1), 0),
                        COALESCE(SUM(dead = 1), 0),
                        MIN(CASE WHEN dead = 0 THEN sent_at END)
                     FROM messages",
                    params![now],
                    |r| {
                        Ok(Depth {
                            visible: r.get::<_, i64>(0)?.unsigned_abs(),
                            in_flight: r.get::<_, i64>(1)?.unsigned_abs(),
                            dead: r.get::<_, i64>(2)?.unsigned_abs(),
                            oldest_sent: r
                                .get::<_, Option<i64>>(3)?
                                .and_then(|ms| Datestamp::from_unix(ms.div_euclid(1000))),
                        })
                    },
                )
                .map_err(unavailable)
            })
            .await
    }

    async fn redrive_dead_letters(&self) -> QueueResult<u64> {
        self.db
            .with(|conn| {
                let moved = conn
                    .execute(
                        "UPDATE messages SET dead = 0, receive_count = 0, visible_at = ?1
                         WHERE dead = 1",
                        params![now_ms()],
                    )
                    .map_err(unavailable)?;
                Ok(moved as u64)
            })
            .await
    }
}
