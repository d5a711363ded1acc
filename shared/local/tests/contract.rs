//! The shared catalog store contract (pokeco_core::contract) on the embedded SQLite store.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pokeco_core::store::{CatalogStore, RecordQuery};
use pokeco_local::SqliteStore;

async fn fresh_store() -> SqliteStore {
    SqliteStore::open_in_memory().expect("in-memory SQLite store")
}

pokeco_core::catalog_store_contract!(fresh_store);

/// A store in a file, as `pokeco serve` uses it, answers the same after it is reopened.
#[tokio::test]
async fn file_store_keeps_its_records_across_opens() {
    let dir = std::env::temp_dir().join(format!("pokeco-contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("catalog.sqlite");
    let pages = {
        let store = SqliteStore::open(&path).unwrap();
        pokeco_core::contract::scripted_pages(&store).await
    };
    let reopened = SqliteStore::open(&path).unwrap();
    let all: Vec<_> = pages
        .iter()
        .filter(|(label, _)| label.starts_with("all #"))
        .flat_map(|(_, p)| p.records.clone())
        .collect();
    let again = reopened
        .page_courses(&RecordQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(again.records, all);
    assert!(!again.more);
    drop(reopened);
    std::fs::remove_dir_all(&dir).unwrap();
}
