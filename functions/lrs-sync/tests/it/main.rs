//! The lrs-sync handler on the AWS path: statements queued in SQS and refused ones parked in
//! DynamoDB (both on moto), delivered to the strict LRS within the invocation's deadline.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::Client as Dynamo;
use aws_sdk_sqs::Client as Sqs;
use pokeco_aws::{create_queue, create_table, DynamoStore, SqsQueue};
use pokeco_core::config::{sync_settings, Fallbacks};
use pokeco_core::contract::statement;
use pokeco_core::pipeline::PipelineStore;
use pokeco_core::queue::{pack, Depth, StatementQueue};
use pokeco_core::sync::SyncService;
use pokeco_core::xapi::Statement;
use pokeco_lrs::{Destination, HttpLrs};
use pokeco_lrs_sync::handle;
use pokeco_testkit::moto::{config, unique_name};
use pokeco_testkit::peers::{strict_lrs, LrsPeer};

/// Statements with ids no other test uses (the strict LRS is shared by the whole run).
fn statements(n: usize) -> Vec<Statement> {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    (0..n)
        .map(|i| {
            let mut s = statement(i as u64, 0);
            let id = format!(
                "{:08x}-{:04x}-5000-8000-{:012x}",
                nanos,
                std::process::id() & 0xffff,
                i
            );
            s.edit(|v| v["id"] = id.into()).unwrap();
            s
        })
        .collect()
}

async fn held(id: &str) -> usize {
    LrsPeer::strict().held(id).await.len()
}

#[tokio::test]
async fn a_scheduled_run_delivers_the_queue_and_parks_what_the_lrs_refuses() {
    let config = config().await;
    let table = unique_name("sync");
    create_table(&Dynamo::new(&config), &table).await.unwrap();
    let store = Arc::new(DynamoStore::from_config(&config, &table));
    let sqs = Sqs::new(&config);
    let url = create_queue(&sqs, &unique_name("sync"), 5).await.unwrap();
    let queue = Arc::new(SqsQueue::new(sqs, url));

    let mut all = statements(250);
    // Queued by an older release: an extension key that is not an IRI (the strict LRS: 400).
    let bad = &mut all[17];
    bad.edit(|v| v["context"]["extensions"] = serde_json::json!({"time_with_millis": "x"}))
        .unwrap();
    let bad_id = bad.id().to_owned();
    queue.send(&pack(&all).bodies).await.unwrap();

    let lookup = |name: &str| match name {
        "POKECO_LRS_URL" => Some(strict_lrs()),
        "POKECO_LRS_USERNAME" => Some("pokeco".to_owned()),
        "POKECO_SYNC_BATCH" => Some("50".to_owned()),
        _ => None,
    };
    let (lrs, settings) = sync_settings(&lookup, Fallbacks::default()).unwrap();
    let lrs = HttpLrs::new(Destination::from(&lrs.unwrap())).unwrap();
    let service = SyncService::new(queue.clone(), store.clone(), Arc::new(lrs), settings);

    // The invocation's deadline as the runtime gives it: a minute from now.
    let report = handle(&service, SystemTime::now() + Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!((report.delivered, report.refused), (249, 1), "{report:?}");
    assert!(report.stopped.is_none());
    assert_eq!(queue.depth().await.unwrap(), Depth::default());
    let parked = store.get_failed(&bad_id).await.unwrap().unwrap();
    assert_eq!(parked.status, 400);
    assert!(
        parked.answer.contains("time_with_millis"),
        "{}",
        parked.answer
    );
    for s in all.iter().filter(|s| s.id() != bad_id).step_by(25) {
        assert_eq!(held(s.id()).await, 1, "{}", s.id());
    }
    assert_eq!(held(&bad_id).await, 0);

    // An invocation with no time left starts no round: the queue waits for the next one.
    queue.send(&pack(&all[..3]).bodies).await.unwrap();
    let late = handle(&service, SystemTime::now()).await.unwrap();
    assert_eq!(late.messages, 0);
    assert_eq!(queue.depth().await.unwrap().visible, 1);
}
