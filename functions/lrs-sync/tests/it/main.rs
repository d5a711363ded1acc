//! The lrs-sync handler on the AWS path: statements queued in SQS and refused ones parked in
//! DynamoDB (both on moto), delivered to the strict LRS within the invocation's deadline.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::Client as Dynamo;
use aws_sdk_sqs::Client as Sqs;
use pokeco_aws::{create_queue, create_table, DynamoStore, SqsQueue};
use pokeco_core::config::{sync_settings, Fallbacks};
use pokeco_core::contract::statement;
use pokeco_core::pipeline::{PipelineService, PipelineStore};
use pokeco_core::queue::{pack, Depth, StatementQueue};
use pokeco_core::sync::runs::Basis;
use pokeco_core::sync::SyncService;
use pokeco_core::xapi::Statement;
use pokeco_lrs::{Destination, EcoPush, HttpLrs};
use pokeco_lrs_sync::handle;
use pokeco_testkit::eco::EcoBackend;
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

/// A fresh table and queue on moto (messages die after five receives).
async fn table_and_queue(name: &str) -> (Arc<DynamoStore>, Arc<SqsQueue>) {
    let config = config().await;
    let table = unique_name(name);
    create_table(&Dynamo::new(&config), &table).await.unwrap();
    let sqs = Sqs::new(&config);
    let url = create_queue(&sqs, &unique_name(name), 5).await.unwrap();
    (
        Arc::new(DynamoStore::from_config(&config, &table)),
        Arc::new(SqsQueue::new(sqs, url)),
    )
}

async fn held(id: &str) -> usize {
    LrsPeer::strict().held(id).await.len()
}

#[tokio::test]
async fn a_scheduled_run_delivers_the_queue_and_parks_what_the_lrs_refuses() {
    let (store, queue) = table_and_queue("sync").await;

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
    let runs = store.sync_runs().await.unwrap();
    assert_eq!(runs.len(), 1);
    let first = &runs[0];
    assert_eq!(first.report, report, "the run is recorded as it went");
    assert!(first.drained && first.clear_since == Some(first.started_at));
    assert!(
        report.lag_seconds.is_some(),
        "SQS tells when each message was sent"
    );

    // An invocation with no time left starts no round: the queue waits for the next one.
    queue.send(&pack(&all[..3]).bodies).await.unwrap();
    let late = handle(&service, SystemTime::now()).await.unwrap();
    assert_eq!(late.messages, 0);
    assert_eq!(queue.depth().await.unwrap().visible, 1);
    let runs = store.sync_runs().await.unwrap();
    assert_eq!(runs.len(), 2);
    assert!(!runs[0].drained);
    assert_eq!(runs[0].clear_since, first.clear_since, "carried over");
    // SQS cannot tell its oldest message's age: the last run that emptied the queue bounds it.
    let status = PipelineService::new(store.clone(), queue.clone(), BTreeSet::new())
        .status()
        .await
        .unwrap();
    assert_eq!(status.oldest_undelivered.basis, Basis::AtMost, "{status:?}");
}

/// Statements of these learners (their ECO subs as the actor's account name), `each` apiece.
fn statements_of(subs: &[&str], each: usize) -> Vec<Statement> {
    let mut all = statements(subs.len() * each);
    for (i, s) in all.iter_mut().enumerate() {
        let sub = subs[i % subs.len()];
        s.edit(|v| v["actor"]["account"]["name"] = sub.into())
            .unwrap();
    }
    all
}

#[tokio::test]
async fn a_run_announces_each_learner_to_eco_once_and_a_stranger_never_holds_it_up() {
    const KNOWN: &str = "5a1b2c3d4e5f60718293a4b5";
    const STRANGER: &str = "0123456789abcdef01234567";
    let eco = EcoBackend::start(&[KNOWN], None).await;
    let (store, queue) = table_and_queue("push").await;
    // Both learners in every one of several messages, so in several rounds; and statements of
    // an actor that is no ECO learner.
    let all = statements_of(&[KNOWN, STRANGER, "not-an-eco-sub"], 40);
    for chunk in all.chunks(10) {
        queue.send(&pack(chunk).bodies).await.unwrap();
    }

    let lookup = |name: &str| match name {
        "POKECO_LRS_URL" => Some(strict_lrs()),
        "POKECO_LRS_USERNAME" => Some("pokeco".to_owned()),
        "POKECO_ECO_PUSH_URL" => Some(eco.url.clone()),
        "POKECO_ECO_PUSH_TIMEOUT" => Some("1".to_owned()),
        _ => None,
    };
    let (lrs, settings) = sync_settings(&lookup, Fallbacks::default()).unwrap();
    let lrs = HttpLrs::new(Destination::from(&lrs.unwrap())).unwrap();
    let announcer = EcoPush::announcer(settings.eco_push.as_ref()).unwrap();
    let service = SyncService::new(queue.clone(), store.clone(), Arc::new(lrs), settings)
        .with_announcer(announcer);

    let report = handle(&service, SystemTime::now() + Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(report.delivered, 120, "{report:?}");
    assert!(report.messages > 2, "several rounds: {report:?}");
    assert_eq!((report.announced, report.unannounced), (1, 1), "{report:?}");
    let mut calls = eco.calls();
    calls.sort();
    assert_eq!(calls, [STRANGER, KNOWN], "each learner once a run");
    assert_eq!(store.sync_runs().await.unwrap()[0].report.announced, 1);

    // The next run with statements of the known learner announces them again.
    queue
        .send(&pack(&statements_of(&[KNOWN], 2)).bodies)
        .await
        .unwrap();
    let again = handle(&service, SystemTime::now() + Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!((again.announced, again.unannounced), (1, 0), "{again:?}");
    assert_eq!(eco.calls().iter().filter(|c| *c == KNOWN).count(), 2);
}
