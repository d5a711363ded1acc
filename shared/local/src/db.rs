//! One SQLite connection shared by the clones of an adapter, used off the async executor.

use std::sync::{Arc, Mutex};

use rusqlite::Connection;

/// An adapter error that can say "the database failed".
pub(crate) trait DbError: Send + 'static {
    fn unavailable(why: String) -> Self;
}

impl DbError for pokeco_core::store::StoreError {
    fn unavailable(why: String) -> Self {
        Self::Unavailable(why)
    }
}

impl DbError for pokeco_core::queue::QueueError {
    fn unavailable(why: String) -> Self {
        Self::Unavailable(why)
    }
}

#[derive(Clone)]
pub(crate) struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    pub(crate) fn new(conn: Connection) -> Self {
        Self {
            conn: Arc::new(Mutex::new(conn)),
        }
    }

    /// Runs `f` on the connection off the async executor.
    pub(crate) async fn with<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: DbError,
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| E::unavailable("database lock poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| E::unavailable(format!("database task failed: {e}")))?
    }
}
