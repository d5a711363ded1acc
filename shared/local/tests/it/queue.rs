//! The shared statement-queue contract (pokeco_core::contract) on the embedded SQLite queue.

use pokeco_local::SqliteQueue;

async fn fresh_queue() -> SqliteQueue {
    SqliteQueue::open_in_memory(2).expect("in-memory SQLite queue")
}

pokeco_core::statement_queue_contract!(fresh_queue);

/// Two handles on one queue file, as `pokeco serve` and `pokeco replay`: what one sends the
/// other receives, once.
#[tokio::test]
async fn two_processes_share_one_queue_file() {
    use pokeco_core::queue::StatementQueue;
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.sqlite");
    let replay = SqliteQueue::open(&path, 5).unwrap();
    let sync = SqliteQueue::open(&path, 5).unwrap();
    replay
        .send(&["[1]".to_owned(), "[2]".to_owned()])
        .await
        .unwrap();
    let got = sync.receive(10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(got.len(), 2);
    assert!(replay
        .receive(10, Duration::from_secs(60))
        .await
        .unwrap()
        .is_empty());
    sync.delete(&got.iter().map(|m| m.receipt.clone()).collect::<Vec<_>>())
        .await
        .unwrap();
    assert_eq!(replay.depth().await.unwrap(), Default::default());
}
