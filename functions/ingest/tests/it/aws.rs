//! `POST /events` on the AWS path: links, tracked courses and course names in DynamoDB, the
//! statements sent to SQS (both on moto), exactly as on the embedded store.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_dynamodb::Client as Dynamo;
use aws_sdk_sqs::Client as Sqs;
use pokeco_aws::{create_queue, create_table, DynamoStore, SqsQueue};
use pokeco_core::contract::minimal_course;
use pokeco_core::pipeline::{PipelineStore, Tracked};
use pokeco_core::store::CatalogStore;
use pokeco_core::xapi::Statement;
use pokeco_core::Datestamp;
use pokeco_testkit::events::legacy_tracking_log;
use pokeco_testkit::moto::{config, unique_name};

use crate::support::*;

#[tokio::test]
async fn the_samples_go_from_dynamodb_lookups_to_sqs() {
    let config = config().await;
    let table = unique_name("ingest");
    create_table(&Dynamo::new(&config), &table).await.unwrap();
    let store = Arc::new(DynamoStore::from_config(&config, &table));
    let sqs = Sqs::new(&config);
    let url = create_queue(&sqs, &unique_name("ingest"), 5).await.unwrap();
    let queue = Arc::new(SqsQueue::new(sqs, url));
    store
        .put_course(minimal_course("course-v1:ORG+COURSE+RUN"), Datestamp::now())
        .await
        .unwrap();
    // Tracked through the store (the admin API's way), not the setting.
    for course in [
        "course-v1:ORG+COURSE+RUN",
        "course-v1:Polimi+FIS101+2015_M9",
    ] {
        store
            .track(&course.parse::<Tracked>().unwrap())
            .await
            .unwrap();
    }
    let app = app_over(
        store.clone(),
        store.clone(),
        store.clone(),
        queue.clone(),
        "",
        Some(TOKEN),
    )
    .await;

    let (status, report) = send(&app, post(legacy_tracking_log(), &[])).await;
    assert_eq!(status, 200, "{report}");
    // The same statements as on the embedded store; only the course names differ.
    let want = expected();
    assert_eq!(report["enqueued"], want.len());
    let got: BTreeMap<String, Statement> = queued(queue.as_ref())
        .await
        .into_iter()
        .map(|s| (s.id().to_owned(), s))
        .collect();
    assert_eq!(got.len(), want.len());
    for (id, st) in &want {
        let (g, st) = (got[id].to_value(), st.to_value());
        assert_eq!((&g["actor"], &g["verb"]), (&st["actor"], &st["verb"]));
        assert_eq!(g["object"]["id"], st["object"]["id"]);
        assert_eq!(
            g["context"]["contextActivities"]["parent"][0]["id"],
            st["context"]["contextActivities"]["parent"][0]["id"]
        );
    }
    let named = got
        .values()
        .map(parent)
        .filter(|p| p["id"].as_str().unwrap().ends_with("ORG+COURSE+RUN"))
        .all(|p| p["definition"]["name"]["en"] == "Minimal");
    assert!(named, "course names read from DynamoDB");
}

/// The progress projection on DynamoDB: the samples of both shapes give exactly the states
/// the pure rules give, and the same events again write nothing.
#[tokio::test]
async fn the_samples_feed_the_projection_in_dynamodb() {
    let config = config().await;
    let table = unique_name("ingest-progress");
    create_table(&Dynamo::new(&config), &table).await.unwrap();
    let store = Arc::new(DynamoStore::from_config(&config, &table));
    let sqs = Sqs::new(&config);
    let url = create_queue(&sqs, &unique_name("ingest-progress"), 5)
        .await
        .unwrap();
    let queue = Arc::new(SqsQueue::new(sqs, url));
    let app = app_over(
        store.clone(),
        store.clone(),
        store.clone(),
        queue,
        "*",
        Some(TOKEN),
    )
    .await;
    link_openedx_learner(store.as_ref()).await;
    let log = format!(
        "{}{}",
        legacy_tracking_log(),
        pokeco_testkit::events::openedx_tracking_log()
    );
    let (status, report) = send(&app, post(log.clone(), &[])).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["progress_updates"], 3, "{report}");
    let want = expected_progress(&log);
    assert_eq!(stored_progress(store.as_ref()).await, want);

    let (status, report) = send(&app, post(log, &[])).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (&report["progress_states"], &report["progress_updates"]),
        (&3.into(), &0.into()),
        "{report}"
    );
    assert_eq!(stored_progress(store.as_ref()).await, want);
}
