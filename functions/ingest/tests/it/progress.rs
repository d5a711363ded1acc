//! `POST /events` feeds the progress projection: the samples of both shapes become one state
//! per (ECO user, course) of linked learners, grade events included; the same events again
//! change nothing; a failing progress store is answered as a failing queue is; and what a
//! batch of 1 000 events costs in store writes.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use pokeco_core::catalog::CourseId;
use pokeco_core::pipeline::{EcoSub, Link, PipelineStore};
use pokeco_core::progress::{CourseFacts, CourseProgress, Figures, ProgressStore, TimeBuckets};
use pokeco_core::store::{StoreError, StoreResult};
use pokeco_core::Datestamp;
use pokeco_local::{SqliteQueue, SqliteStore};
use pokeco_testkit::events::{
    legacy_events, legacy_tracking_log, openedx_events, openedx_tracking_log, OPENEDX_LINK,
};
use serde_json::Value;

use crate::support::*;

const DEMO: &str = "course-v1:edX+DemoX+Demo_Course";
const FIS: &str = "course-v1:Polimi+FIS101+2015_M9";
const ORG: &str = "course-v1:ORG+COURSE+RUN";

fn count(report: &Value, name: &str) -> u64 {
    report[name]
        .as_u64()
        .unwrap_or_else(|| panic!("{name} in {report}"))
}

/// The `users/{sub}/courses` entries of a learner, as the ecoapi will compute them.
async fn figures(store: &dyn ProgressStore, sub: &str) -> Value {
    let now = Datestamp::parse_oai("2025-01-01").unwrap().0;
    let entries: Vec<Figures> = store
        .user_progress(&sub.parse().unwrap())
        .await
        .unwrap()
        .iter()
        .filter_map(|(course, state)| {
            Figures::of(
                course,
                state,
                &CourseFacts::default(),
                TimeBuckets::DEFAULT,
                now,
            )
        })
        .collect();
    serde_json::to_value(entries).unwrap()
}

#[tokio::test]
async fn both_shapes_feed_the_projection_and_the_same_events_again_move_nothing() {
    let s = setup().await;
    link_openedx_learner(&s.store).await;
    let (legacy, current) = (legacy_tracking_log(), openedx_tracking_log());

    let (status, report) = send(&s.app, post(legacy.clone(), &[])).await;
    assert_eq!(status, 200, "{report}");
    // Learner 42 in FIS101, learner 1 in ORG+COURSE+RUN.
    assert_eq!(count(&report, "progress_states"), 2, "{report}");
    assert_eq!(count(&report, "progress_updates"), 2, "{report}");
    let (status, report) = send(&s.app, post(current.clone(), &[])).await;
    assert_eq!(status, 200, "{report}");
    // Learner 3 in the demo course; learner 16 (the forum sample) is not linked.
    assert_eq!(count(&report, "progress_states"), 1, "{report}");
    // Grade and pass events give no ECO statement, yet they feed the projection.
    assert!(count(&report["skipped"], "no_rule") >= 4, "{report}");

    let want = expected_progress(&format!("{legacy}{current}"));
    assert_eq!(want.len(), 3);
    let stored = stored_progress(&s.store).await;
    assert_eq!(stored, want);
    let demo = &stored[&(OPENEDX_LINK.1.to_owned(), DEMO.parse().unwrap())];
    assert!(
        demo.grade.is_some() && demo.first_passed_ms.is_some(),
        "{demo:?}"
    );
    // Enrolled by the enterprise sample, whose context names no user: the payload's learner.
    assert!(demo.enrollment.is_some());

    // The samples end with learner 3 unenrolled (deactivated at 06:39, after the activations
    // at 06:36): out of the list, every figure kept. Enrolled again later: back.
    assert!(demo.enrollment.is_some_and(|e| !e.active));
    assert_eq!(
        figures(&s.store, OPENEDX_LINK.1).await,
        serde_json::json!([])
    );
    let mut again = openedx_events()
        .into_iter()
        .find(|e| e["name"] == "edx.course.enrollment.activated")
        .unwrap();
    again["timestamp"] = "2024-01-01T00:00:00Z".into();
    let back = format!("{again}\n");
    let (_, report) = send(&s.app, post(back.clone(), &[])).await;
    assert_eq!(count(&report, "progress_updates"), 1, "{report}");

    // What ECO will read, figure by figure.
    assert_eq!(
        figures(&s.store, OPENEDX_LINK.1).await,
        serde_json::json!([{
            "id": DEMO,
            // The latest grade_calculated (2023-08-23) is the letter-grade one, 100 %.
            "progressPercentage": 100,
            "firstViewDate": "2020-07-14T14:06:42Z",
            "lastViewDate": "2023-08-22T20:16:25Z",
            // passed.first_time and now_passed, both at 06:36:01.917.
            "completedDate": "2020-07-15T06:36:01Z",
            // The sequential, the video, two problems (problem_check, block_completion).
            "viewCount": 4,
            // Windows 14:05 and 14:35 of 2020-07-14; 06:05, 06:40 and 06:50 of the 15th;
            // 20:15 of 2023-08-22.
            "spentTime": "1800000",
        }])
    );
    // The legacy learners both left: 42 left FIS101 on 2016-12-01, and learner 1's
    // activation and deactivation share a millisecond, where deactivation wins. Their
    // activity is kept all the same.
    for (sub, course) in [(LINKS_42, FIS), ("000000000000000000000001", ORG)] {
        assert_eq!(figures(&s.store, sub).await, serde_json::json!([]), "{sub}");
        let state = &stored[&(sub.to_owned(), course.parse().unwrap())];
        assert!(state.enrollment.is_some_and(|e| !e.active), "{state:?}");
        assert!(
            !state.buckets.is_empty() && !state.blocks.is_empty(),
            "{state:?}"
        );
    }

    // The same events again, in one body and another order: nothing is news.
    let want = expected_progress(&format!("{legacy}{current}{back}"));
    assert_eq!(stored_progress(&s.store).await, want);
    let (status, report) = send(&s.app, post(format!("{back}{current}{legacy}"), &[])).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(count(&report, "progress_states"), 3, "{report}");
    assert_eq!(count(&report, "progress_updates"), 0, "{report}");
    assert_eq!(stored_progress(&s.store).await, want);
}

const LINKS_42: &str = "5a1b2c3d4e5f60718293a4b5";

/// A progress store that always fails, and counts the calls.
struct Failing {
    error: fn() -> StoreError,
    calls: AtomicUsize,
}

#[async_trait]
impl ProgressStore for Failing {
    async fn merge_progress(&self, _: &[(EcoSub, CourseId, CourseProgress)]) -> StoreResult<u64> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err((self.error)())
    }
    async fn user_progress(&self, _: &EcoSub) -> StoreResult<Vec<(CourseId, CourseProgress)>> {
        Err((self.error)())
    }
    async fn delete_user_progress(&self, _: &EcoSub) -> StoreResult<u64> {
        Err((self.error)())
    }
}

#[tokio::test]
async fn a_failing_progress_store_is_answered_as_a_failing_queue() {
    for (error, status) in [
        (
            (|| StoreError::Unavailable("throttled".into())) as fn() -> StoreError,
            503,
        ),
        (|| StoreError::Corrupt("unreadable".into()), 500),
    ] {
        let store = SqliteStore::open_in_memory().unwrap();
        let queue = Arc::new(SqliteQueue::open_in_memory(3).unwrap());
        let failing = Arc::new(Failing {
            error,
            calls: AtomicUsize::new(0),
        });
        let app = app_over(
            Arc::new(store.clone()),
            Arc::new(store.clone()),
            failing.clone(),
            queue,
            "*",
            Some(TOKEN),
        )
        .await;
        let (got, answer) = send(&app, post(legacy_tracking_log(), &[])).await;
        assert_eq!(got, status, "{answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains("send the events again"), "{message}");
        assert_eq!(
            failing.calls.load(Ordering::SeqCst),
            1,
            "one merge per request"
        );
        // Nothing is claimed: no report, so a shipper sends the whole request again.
        assert!(answer.get("enqueued").is_none(), "{answer}");
    }
}

/// A batch without a linked learner's observation never calls the progress store.
#[tokio::test]
async fn a_batch_with_nothing_to_merge_does_not_call_the_store() {
    let store = SqliteStore::open_in_memory().unwrap();
    let failing = Arc::new(Failing {
        error: || StoreError::Unavailable("down".into()),
        calls: AtomicUsize::new(0),
    });
    let app = app_over(
        Arc::new(store.clone()),
        Arc::new(store.clone()),
        failing.clone(),
        Arc::new(SqliteQueue::open_in_memory(3).unwrap()),
        "*",
        Some(TOKEN),
    )
    .await;
    // The forum sample's learner (16) is not linked.
    let forum = openedx_events()
        .into_iter()
        .find(|e| e["name"] == "edx.forum.thread.created")
        .unwrap();
    let (status, report) = send(&app, post(format!("{forum}\n"), &[])).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(count(&report, "progress_states"), 0);
    assert_eq!(failing.calls.load(Ordering::SeqCst), 0);
}

/// The sample `event` with another learner: the context's user, and the payload's (an object,
/// or the JSON text of one, as legacy browser events carry it) where it names one.
fn as_learner(event: &Value, learner: u64) -> Value {
    let mut e = event.clone();
    if e["context"].is_object() {
        e["context"]["user_id"] = Value::from(learner);
    }
    for key in ["event", "data"] {
        match e.get_mut(key) {
            Some(Value::Object(p)) if p.contains_key("user_id") => {
                p.insert("user_id".into(), Value::from(learner));
            }
            Some(text @ Value::String(_)) => {
                let parsed = text
                    .as_str()
                    .and_then(|t| serde_json::from_str::<Value>(t).ok());
                if let Some(Value::Object(mut p)) = parsed {
                    if p.contains_key("user_id") {
                        p.insert("user_id".into(), Value::from(learner));
                        *text = Value::from(Value::Object(p).to_string());
                    }
                }
            }
            _ => {}
        }
    }
    e
}

/// Issue 7 §5: store writes per 1 000 ingested events. A write is one state merged into the
/// store (one UpdateItem on DynamoDB, one row in SQLite's transaction); the reads are one
/// BatchGetItem per 100 states. Printed for the README; `--nocapture` shows it.
#[tokio::test]
async fn store_writes_for_a_batch_of_1000_sample_events() {
    let samples: Vec<Value> = legacy_events()
        .into_iter()
        .chain(openedx_events())
        .collect();

    // The samples as they are, over and over: three linked learners, one course each.
    let s = setup().await;
    link_openedx_learner(&s.store).await;
    let log: String = samples
        .iter()
        .cycle()
        .take(1000)
        .map(|e| format!("{e}\n"))
        .collect();
    let (status, report) = send(&s.app, post(log.clone(), &[])).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(count(&report, "events"), 1000);
    let want = expected_progress(&log);
    assert_eq!(count(&report, "progress_states"), want.len() as u64);
    assert_eq!(count(&report, "progress_updates"), want.len() as u64);
    println!(
        "1000 sample events, 3 linked learners: {} progress states, {} store writes",
        count(&report, "progress_states"),
        count(&report, "progress_updates")
    );
    let (_, again) = send(&s.app, post(log, &[])).await;
    assert_eq!(count(&again, "progress_updates"), 0);

    // The same events spread over 100 linked learners, sample after sample (each learner
    // gets about ten events, as in a busy minute of a real log).
    let s = setup().await;
    let learners: Vec<(u64, EcoSub)> = (0..100)
        .map(|n| {
            (
                1000 + n,
                format!("{:024x}", 0xeca0_0000 + n).parse().unwrap(),
            )
        })
        .collect();
    let links: Vec<Link> = learners
        .iter()
        .map(|(u, sub)| Link {
            edx_user_id: u.to_string().parse().unwrap(),
            eco_sub: sub.clone(),
        })
        .collect();
    s.store.put_links(&links).await.unwrap();
    let spread: Vec<Value> = samples
        .iter()
        .cycle()
        .take(1000)
        .enumerate()
        .map(|(i, e)| as_learner(e, learners[i % learners.len()].0))
        .collect();
    let log: String = spread.iter().map(|e| format!("{e}\n")).collect();
    let (status, report) = send(&s.app, post(log, &[])).await;
    assert_eq!(status, 200, "{report}");
    // One state per (learner, course) with an observation, counted here from the store.
    let mut keys = BTreeSet::new();
    for (_, sub) in &learners {
        for (course, _) in s.store.user_progress(sub).await.unwrap() {
            keys.insert((sub.clone(), course));
        }
    }
    assert!(
        keys.len() > 100,
        "learners have several courses: {}",
        keys.len()
    );
    assert_eq!(count(&report, "progress_states"), keys.len() as u64);
    assert_eq!(count(&report, "progress_updates"), keys.len() as u64);
    println!(
        "1000 sample events, 100 linked learners: {} progress states, {} store writes \
         ({} BatchGetItem reads on DynamoDB)",
        keys.len(),
        count(&report, "progress_updates"),
        keys.len().div_ceil(100)
    );
}
