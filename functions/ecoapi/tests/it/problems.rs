//! `progressPercentage` without a course grade: the share of the course structure's problems
//! the learner answered right, through HTTP on both stores.

use std::sync::Arc;

use pokeco_core::access::EcoapiAccess;
use pokeco_core::contract::minimal_course;
use pokeco_core::pipeline::EcoSub;
use pokeco_core::progress::{CourseProgress, Grade, Score};
use pokeco_core::structure::CourseStructure;
use pokeco_core::Datestamp;
use pokeco_testkit::test_data;
use serde_json::json;

use super::{app_with, get, ms, Stores, SUB};

const ECO101: &str = "course-v1:PoliMi+ECO101+2024_T1";
const OTHER: &str = "course-v1:PoliMi+NOSTRUCT+2024_T1";

fn problem(name: &str) -> String {
    format!("block-v1:PoliMi+ECO101+2024_T1+type@problem+block@{name}")
}

fn score(at: &str, problem: String, earned: f64, possible: f64) -> Score {
    Score {
        at_ms: ms(at),
        problem,
        earned,
        possible,
    }
}

async fn without_a_grade_progress_is_the_share_of_the_problems_answered<S: Stores>(store: Arc<S>) {
    for id in [ECO101, OTHER] {
        let mut course = minimal_course(id);
        course.end = Some("2024-06-30T22:00:00Z".parse().unwrap());
        course.grade_cutoffs = Some(serde_json::from_value(json!({"Pass": 0.2})).unwrap());
        store.put_course(course, Datestamp::now()).await.unwrap();
    }
    // Six problems.
    let structure = CourseStructure::from_course_blocks(
        &ECO101.parse().unwrap(),
        &test_data("course-blocks/eco101.json"),
    )
    .unwrap();
    store.put_structure(&structure).await.unwrap();
    let answered = CourseProgress {
        scores: [
            // Wrong, then right: right.
            score(
                "2024-03-01T10:00:00Z",
                problem("1ae46012c3ed3c8accf517ef91414cb2"),
                0.0,
                1.0,
            ),
            score(
                "2024-03-01T10:05:00Z",
                problem("1ae46012c3ed3c8accf517ef91414cb2"),
                1.0,
                1.0,
            ),
            score(
                "2024-03-01T10:00:00Z",
                problem("22fe62411311a4c1c50aceb57da49514"),
                1.0,
                2.0,
            ),
            score(
                "2024-03-01T10:00:00Z",
                problem("fa26c97983baa08dbdf296007f96a1c4"),
                0.0,
                3.0,
            ),
            // Not a problem of the structure: ignored.
            score("2024-03-01T10:00:00Z", problem("gone"), 1.0, 1.0),
        ]
        .into(),
        ..CourseProgress::default()
    };
    let sub: EcoSub = SUB.parse().unwrap();
    store
        .merge_progress(&[
            (sub.clone(), ECO101.parse().unwrap(), answered.clone()),
            (sub.clone(), OTHER.parse().unwrap(), answered.clone()),
        ])
        .await
        .unwrap();
    let app = app_with(&store, EcoapiAccess::Open);
    let path = format!("/ecoapi/users/{SUB}/courses");
    let (status, body) = get(&app, &path, None).await;
    assert_eq!(status, 200, "{body}");
    let figures = |id: &str| {
        let c = body.as_array().unwrap().iter().find(|c| c["id"] == id);
        let c = c.unwrap_or_else(|| panic!("{id} listed: {body}"));
        (c["progressPercentage"].clone(), c["completedDate"].clone())
    };
    // (1 + 0.5 + 0) / 6 = 25 %, above the 20 % cutoff of an ended course: completed at its end.
    assert_eq!(figures(ECO101), (json!(25), json!("2024-06-30T22:00:00Z")));
    // No structure: 0, not completed.
    assert_eq!(figures(OTHER), (json!(0), json!("")));

    // A course grade, once seen, wins (a new app: the facts are kept a minute).
    let graded = CourseProgress {
        grade: Some(Grade {
            at_ms: ms("2024-03-02T00:00:00Z"),
            percent: 10.0,
        }),
        ..CourseProgress::default()
    };
    store
        .merge_progress(&[(sub, ECO101.parse().unwrap(), graded)])
        .await
        .unwrap();
    let app = app_with(&store, EcoapiAccess::Open);
    let (_, body) = get(&app, &path, None).await;
    let eco101 = body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == ECO101)
        .unwrap();
    assert_eq!(
        (&eco101["progressPercentage"], &eco101["completedDate"]),
        (&json!(10), &json!(""))
    );
}

on_both_stores!(without_a_grade_progress_is_the_share_of_the_problems_answered);
