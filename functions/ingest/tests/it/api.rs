//! `POST /events` on the sample events: what each line became, what is queued, and the
//! refusals of the request as a whole.

use std::collections::BTreeMap;
use std::sync::Arc;

use pokeco_core::contract::minimal_course;
use pokeco_core::pipeline::{PipelineStore, Tracked};
use pokeco_core::store::CatalogStore;
use pokeco_core::xapi::Statement;
use pokeco_core::Datestamp;
use pokeco_local::SqliteQueue;
use pokeco_testkit::events::{legacy_events, legacy_tracking_log};
use serde_json::Value;

use crate::support::*;

fn count(report: &Value, path: &str) -> u64 {
    report
        .pointer(path)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{path} in {report}"))
}

#[tokio::test]
async fn the_samples_queue_exactly_the_profiles_statements() {
    let s = setup().await;
    let (status, report) = send(&s.app, post(legacy_tracking_log(), &[])).await;
    assert_eq!(status, 200, "{report}");
    let want = expected();
    assert!(want.len() > 20, "the samples give statements");
    assert_eq!(count(&report, "/enqueued"), want.len() as u64);
    assert_eq!(count(&report, "/events"), legacy_events().len() as u64);
    let skipped: u64 = report["skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        count(&report, "/enqueued") + skipped + count(&report, "/rejected"),
        count(&report, "/events"),
        "every line is counted once: {report}"
    );
    assert!(count(&report, "/skipped/no_course") > 0, "{report}");
    assert!(count(&report, "/skipped/no_rule") > 0, "{report}");
    let got: BTreeMap<String, Statement> = queued(s.queue.as_ref())
        .await
        .into_iter()
        .map(|s| (s.id().to_owned(), s))
        .collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn the_same_events_twice_give_the_same_statement_ids() {
    let s = setup().await;
    for _ in 0..2 {
        let (status, _) = send(&s.app, post(legacy_tracking_log(), &[])).await;
        assert_eq!(status, 200);
    }
    let queued = queued(s.queue.as_ref()).await;
    let mut ids: Vec<&str> = queued.iter().map(Statement::id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(queued.len(), 2 * ids.len(), "each id twice, nothing new");
    // Within one request a repeated event is counted, not queued twice.
    let twice = legacy_tracking_log().repeat(2);
    let (_, report) = send(&s.app, post(twice, &[])).await;
    assert_eq!(count(&report, "/duplicates"), ids.len() as u64);
    assert_eq!(count(&report, "/enqueued"), ids.len() as u64);
}

#[tokio::test]
async fn a_bad_line_costs_only_itself() {
    let s = setup().await;
    let log = legacy_tracking_log();
    let mut lines: Vec<&str> = log.lines().collect();
    lines.insert(3, "{not json");
    lines.insert(7, r#"{"event_type": "x", "time": "2016-01-01T00:00:00Z"}"#);
    let body = lines.join("\n");
    let (status, report) = send(&s.app, post(body, &[])).await;
    assert_eq!(status, 200);
    assert_eq!(count(&report, "/rejected"), 2);
    let rejected = report["rejected_lines"].as_array().unwrap();
    assert_eq!(rejected[0]["line"], 4);
    assert!(rejected[0]["reason"].as_str().unwrap().contains("JSON"));
    assert_eq!(rejected[1]["line"], 8);
    assert!(rejected[1]["reason"].as_str().unwrap().contains("context"));
    assert_eq!(count(&report, "/enqueued"), expected().len() as u64);
}

#[tokio::test]
async fn untracked_courses_and_unlinked_users_are_counted() {
    let queue = Arc::new(SqliteQueue::open_in_memory(3).unwrap());
    let s = setup_with("course-v1:Polimi+FIS101+2015_M9", queue).await;
    let (_, report) = send(&s.app, post(legacy_tracking_log(), &[])).await;
    assert_eq!(
        count(&report, "/skipped/course_not_tracked"),
        22,
        "{report}"
    );
    let only_fis: u64 = expected()
        .values()
        .filter(|st| {
            parent(st)["id"]
                .as_str()
                .unwrap()
                .ends_with("FIS101+2015_M9")
        })
        .count() as u64;
    assert_eq!(count(&report, "/enqueued"), only_fis);

    // A course tracked from the store (the admin API's) joins the setting's.
    s.store
        .track(&"course-v1:ORG+COURSE+RUN".parse::<Tracked>().unwrap())
        .await
        .unwrap();
    s.store.delete_link(&"42".parse().unwrap()).await.unwrap();
    let (_, report) = send(&s.app, post(legacy_tracking_log(), &[])).await;
    assert_eq!(count(&report, "/skipped/course_not_tracked"), 0, "{report}");
    assert!(count(&report, "/skipped/user_not_linked") > 0, "{report}");
}

#[tokio::test]
async fn the_course_activity_is_named_from_the_catalog() {
    let s = setup().await;
    s.store
        .put_course(minimal_course("course-v1:ORG+COURSE+RUN"), Datestamp::now())
        .await
        .unwrap();
    send(&s.app, post(legacy_tracking_log(), &[])).await;
    let named: Vec<Statement> = queued(s.queue.as_ref())
        .await
        .into_iter()
        .filter(|st| {
            parent(st)["id"]
                .as_str()
                .unwrap()
                .ends_with("ORG+COURSE+RUN")
        })
        .collect();
    assert!(!named.is_empty());
    for st in named {
        let parent = parent(&st);
        assert_eq!(parent["definition"]["name"]["en"], "Minimal", "{parent}");
        assert_eq!(
            parent["definition"]["description"]["en"],
            "Only what is required."
        );
    }
}

#[tokio::test]
async fn gzip_bodies_and_their_bounds() {
    let s = setup().await;
    let log = legacy_tracking_log();
    let gz = gzip(log.as_bytes());
    let (status, report) = send(&s.app, post(gz.clone(), &[("content-encoding", "gzip")])).await;
    assert_eq!(status, 200);
    assert_eq!(count(&report, "/enqueued"), expected().len() as u64);

    // A stream cut short keeps every complete line before the cut.
    let cut = &gz[..gz.len() * 2 / 3];
    let (status, report) = send(&s.app, post(cut.to_vec(), &[("content-encoding", "gzip")])).await;
    assert_eq!(status, 200, "{report}");
    let rejected = report["rejected_lines"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "only the cut line: {report}");
    assert!(rejected[0]["reason"].as_str().unwrap().contains("gzip"));
    assert!(count(&report, "/events") > 10);

    // A bomb: a few KB that inflate past the bound are refused without inflating them all.
    let bomb = gzip(&vec![b' '; pokeco_ingest::LIMITS.max_bytes + 1]);
    assert!(bomb.len() < 64 * 1024);
    let (status, answer) = send(&s.app, post(bomb, &[("content-encoding", "gzip")])).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("decompressed"));

    let (status, _) = send(&s.app, post(log.clone(), &[("content-encoding", "br")])).await;
    assert_eq!(status, 415);
    let big = vec![b'\n'; pokeco_ingest::BODY_LIMIT + 1];
    let (status, _) = send(&s.app, post(big, &[])).await;
    assert_eq!(status, 413);
    let many = "{}\n".repeat(pokeco_ingest::LIMITS.max_events + 1);
    let (status, answer) = send(&s.app, post(many, &[])).await;
    assert_eq!(status, 413);
    assert!(answer["error"].as_str().unwrap().contains("events"));
}

#[tokio::test]
async fn the_token_is_required_and_an_unconfigured_api_is_closed() {
    let s = setup().await;
    let bare = axum::http::Request::post("/events")
        .body(axum::body::Body::from(legacy_tracking_log()))
        .unwrap();
    let (status, answer) = send(&s.app, bare).await;
    assert_eq!(status, 401);
    assert!(answer["error"].as_str().unwrap().contains("Bearer"));
    let wrong = axum::http::Request::post("/events")
        .header("authorization", "Bearer not-the-ingest-token")
        .body(axum::body::Body::from("{}"))
        .unwrap();
    assert_eq!(send(&s.app, wrong).await.0, 401);
    assert!(queued(s.queue.as_ref()).await.is_empty());

    let closed = setup_closed().await;
    let (status, answer) = send(&closed, post(legacy_tracking_log(), &[])).await;
    assert_eq!(status, 503);
    assert!(answer["error"]
        .as_str()
        .unwrap()
        .contains("POKECO_INGEST_TOKEN"));
}
