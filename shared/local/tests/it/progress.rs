//! The shared progress-store contract on the embedded SQLite store.

use pokeco_local::SqliteStore;

async fn fresh_store() -> SqliteStore {
    SqliteStore::open_in_memory().expect("in-memory SQLite store")
}

pokeco_core::progress_store_contract!(fresh_store);
