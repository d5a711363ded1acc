//! The ecoapi through HTTP, on the embedded store and on DynamoDB (moto): every endpoint's
//! JSON as ECO reads it (types and formats field by field), and the access modes of learners'
//! figures, the network mode through an API Gateway event whose `sourceIp` is the request's
//! source.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use pokeco_core::access::{parse_networks, EcoapiAccess};
use pokeco_core::catalog::Teacher;
use pokeco_core::contract::minimal_course;
use pokeco_core::oai::OaiPrefix;
use pokeco_core::pipeline::{EcoSub, PipelineService, PipelineStore};
use pokeco_core::progress::{CourseProgress, Enrollment, Grade, ProgressStore, TimeBuckets};
use pokeco_core::queue::StatementQueue;
use pokeco_core::secret::BearerToken;
use pokeco_core::store::CatalogStore;
use pokeco_core::structure::{CourseStructure, StructureService, StructureStore};
use pokeco_core::sync::runs::SyncRun;
use pokeco_core::sync::SyncReport;
use pokeco_core::Datestamp;
use pokeco_ecoapi::{router, CourseFactsCache, EcoapiState};
use pokeco_http::lambda_path::for_lambda;
use pokeco_local::SqliteQueue;
use pokeco_testkit::lambda::{through_lambda, v2_event};
use pokeco_testkit::test_data;
use serde_json::{json, Value};
use tower::ServiceExt;

const SUB: &str = "5a1b2c3d4e5f60718293a4b5";
const TOKEN: &str = "ecoapi-token-for-the-tests";
const PREFIX: &str = "oai:it.polimi.pok:";
const FIS: &str = "course-v1:Polimi+FIS101+2015_M9";

/// What the ecoapi reads, as one store: the embedded one or DynamoDB.
trait Stores: CatalogStore + PipelineStore + ProgressStore + StructureStore + 'static {}
impl<S: CatalogStore + PipelineStore + ProgressStore + StructureStore + 'static> Stores for S {}

fn app_with<S: Stores>(store: &Arc<S>, access: EcoapiAccess) -> Router {
    app_watching(
        store,
        access,
        Arc::new(SqliteQueue::open_in_memory(5).unwrap()),
    )
}

fn app_watching<S: Stores>(
    store: &Arc<S>,
    access: EcoapiAccess,
    queue: Arc<SqliteQueue>,
) -> Router {
    let store = Arc::clone(store);
    router(EcoapiState {
        catalog: store.clone(),
        delivery: Some(PipelineService::new(store.clone(), queue, BTreeSet::new())),
        access,
        structures: StructureService::new(
            store.clone(),
            store.clone(),
            OaiPrefix::new(PREFIX).unwrap(),
        ),
        progress: store,
        buckets: TimeBuckets::DEFAULT,
        facts: CourseFactsCache::default(),
    })
}

async fn get(app: &Router, uri: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = Request::get(uri);
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let answer = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = answer.status();
    let bytes = answer.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn ms(datestamp: &str) -> i64 {
    datestamp.parse::<Datestamp>().unwrap().unix() * 1000
}

/// A catalog with two courses (one ended, with a pass mark), and a learner's states in both
/// plus one in a course the catalog does not have.
async fn seeded<S: Stores>(store: Arc<S>) -> Arc<S> {
    let mut ended = minimal_course(FIS);
    ended.end = Some("2016-03-31T22:00:00Z".parse().unwrap());
    ended.grade_cutoffs = Some(serde_json::from_value(json!({"Pass": 0.5, "A": 0.9})).unwrap());
    store.put_course(ended, Datestamp::now()).await.unwrap();
    store
        .put_course(minimal_course("course-v1:ORG+COURSE+RUN"), Datestamp::now())
        .await
        .unwrap();
    let sub: EcoSub = SUB.parse().unwrap();
    let fis = CourseProgress {
        enrollment: Some(Enrollment {
            at_ms: ms("2016-01-10T08:00:00Z"),
            active: true,
        }),
        first_view_ms: Some(ms("2016-01-11T09:30:00Z")),
        last_view_ms: Some(ms("2016-03-20T18:00:05Z")),
        blocks: [
            "block-v1:Polimi+FIS101+2015_M9+type@problem+block@p1",
            "block-v1:Polimi+FIS101+2015_M9+type@video+block@v1",
        ]
        .map(str::to_owned)
        .into(),
        buckets: [1, 2, 3].into(),
        grade: Some(Grade {
            at_ms: ms("2016-03-20T18:00:05Z"),
            percent: 62.9,
        }),
        first_passed_ms: None,
        scores: Default::default(),
    };
    let demo = CourseProgress {
        enrollment: Some(Enrollment {
            at_ms: ms("2024-01-01T00:00:00Z"),
            active: true,
        }),
        ..CourseProgress::default()
    };
    let gone = CourseProgress {
        first_view_ms: Some(1000),
        last_view_ms: Some(1000),
        ..CourseProgress::default()
    };
    store
        .merge_progress(&[
            (sub.clone(), FIS.parse().unwrap(), fis),
            (
                sub.clone(),
                "course-v1:ORG+COURSE+RUN".parse().unwrap(),
                demo,
            ),
            (sub, "course-v1:GONE+X+Y".parse().unwrap(), gone),
        ])
        .await
        .unwrap();
    store
}

async fn the_heartbeat_answers_the_time_and_on_request_readiness<S: Stores>(store: Arc<S>) {
    let queue = Arc::new(SqliteQueue::open_in_memory(5).unwrap());
    let app = app_watching(&store, EcoapiAccess::Open, queue.clone());
    let (status, body) = get(&app, "/ecoapi/heartbeat", None).await;
    assert_eq!(status, 200);
    let alive = body["alive_at"].as_str().unwrap();
    assert!(alive.parse::<Datestamp>().is_ok(), "{alive}");
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    let (_, ready) = get(&app, "/ecoapi/heartbeat?ready=1", None).await;
    assert_eq!(ready["ready"]["store"]["ok"], true, "{ready}");
    let watched = &ready["ready"]["queue"];
    assert_eq!(watched["waiting"], 0, "{ready}");
    assert_eq!(watched["dead"], 0, "{ready}");
    assert_eq!(
        watched["oldest_undelivered"],
        json!({"seconds": 0, "basis": "empty"})
    );
    assert_eq!(watched["last_sync"], Value::Null, "no run yet");

    // A run delivered, then statements came: the embedded queue knows their age exactly.
    let report = SyncReport {
        delivered: 7,
        ..SyncReport::default()
    };
    let run = SyncRun::new(Datestamp::now(), true, Some(Datestamp::now()), report, None);
    store.put_sync_runs(&[run]).await.unwrap();
    queue.send(&["[]".to_owned()]).await.unwrap();
    let (_, ready) = get(&app, "/ecoapi/heartbeat?ready=1", None).await;
    let watched = &ready["ready"]["queue"];
    assert_eq!(watched["waiting"], 1, "{ready}");
    assert_eq!(watched["oldest_undelivered"]["basis"], "exact", "{ready}");
    assert!(
        watched["oldest_undelivered"]["seconds"].as_u64().unwrap() <= 2,
        "{ready}"
    );
    assert_eq!(watched["last_sync"]["delivered"], 7, "{ready}");
    assert_eq!(watched["last_sync"]["lag_seconds"], 0, "{ready}");
}

async fn a_teacher_as_the_old_api_gave_it_and_nothing_for_a_stranger<S: Stores>(store: Arc<S>) {
    let teacher: Teacher = serde_json::from_value(json!({
        "id": "6b5d3a5e-3f0a-4a64-9d1c-7f3b1f0e9a11",
        "first_name": "Ada", "last_name": "Rossi",
        "image": "https://www.pok.polimi.it/t/ada.jpg",
        "descriptions": {"en": "Physicist.", "it": "Fisica."}
    }))
    .unwrap();
    store.put_teacher(teacher).await.unwrap();
    let app = app_with(&store, EcoapiAccess::Closed);
    let (status, body) = get(
        &app,
        "/ecoapi/teachers/6b5d3a5e-3f0a-4a64-9d1c-7f3b1f0e9a11",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"name": "Ada Rossi", "imageUrl": "https://www.pok.polimi.it/t/ada.jpg",
               "desc": [{"language": "en", "label": "Physicist."},
                        {"language": "it", "label": "Fisica."}]})
    );
    for unknown in ["00000000-0000-4000-8000-000000000000", "not%20an%20id"] {
        let (status, body) = get(&app, &format!("/ecoapi/teachers/{unknown}"), None).await;
        assert_eq!((status, body), (StatusCode::OK, json!({})), "{unknown}");
    }
}

async fn a_learners_courses_with_every_figure_as_eco_reads_it<S: Stores>(store: Arc<S>) {
    let store = seeded(store).await;
    let app = app_with(&store, EcoapiAccess::Open);
    let (status, body) = get(&app, &format!("/ecoapi/users/{SUB}/courses"), None).await;
    assert_eq!(status, 200, "{body}");
    let courses = body.as_array().unwrap();
    assert_eq!(
        courses.len(),
        2,
        "a course not in the catalog is left out: {body}"
    );
    let fis = courses.iter().find(|c| c["id"] == FIS).unwrap();
    assert_eq!(
        *fis,
        json!({
            "id": FIS,
            "progressPercentage": 62,
            "firstViewDate": "2016-01-11T09:30:00Z",
            "lastViewDate": "2016-03-20T18:00:05Z",
            // Above the lowest non-zero cutoff (0.5) in an ended course: its end.
            "completedDate": "2016-03-31T22:00:00Z",
            "viewCount": 2,
            "spentTime": "900000",
        })
    );
    let demo = courses
        .iter()
        .find(|c| c["id"] == "course-v1:ORG+COURSE+RUN")
        .unwrap();
    assert_eq!(demo["progressPercentage"], 0);
    assert_eq!(demo["firstViewDate"], "");
    assert_eq!(demo["completedDate"], "");
    assert_eq!(demo["spentTime"], "0");
    assert!(demo["viewCount"].is_u64());

    // An id ECO sends in upper case is the same learner.
    let upper = SUB.to_ascii_uppercase();
    let (_, same) = get(&app, &format!("/ecoapi/users/{upper}/courses"), None).await;
    assert_eq!(same, body);
    for nobody in ["000000000000000000000009", "not-an-objectid"] {
        let (status, body) = get(&app, &format!("/ecoapi/users/{nobody}/courses"), None).await;
        assert_eq!((status, body), (StatusCode::OK, json!([])), "{nobody}");
    }
}

async fn learners_figures_answer_only_the_chosen_access<S: Stores>(store: Arc<S>) {
    let store = seeded(store).await;
    let path = format!("/ecoapi/users/{SUB}/courses");

    let closed = app_with(&store, EcoapiAccess::Closed);
    let (status, body) = get(&closed, &path, None).await;
    assert_eq!(status, 503);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("POKECO_ECOAPI_ACCESS"),
        "{body}"
    );
    // The rest of the API stays public.
    assert_eq!(get(&closed, "/ecoapi/heartbeat", None).await.0, 200);

    let token = app_with(
        &store,
        EcoapiAccess::Token(BearerToken::new(TOKEN).unwrap()),
    );
    assert_eq!(get(&token, &path, None).await.0, 401);
    assert_eq!(
        get(&token, &path, Some("a-wrong-token-of-length")).await.0,
        401
    );
    assert_eq!(get(&token, &path, Some(TOKEN)).await.0, 200);

    // The test events come from 192.0.2.1 (API Gateway's sourceIp); a header cannot pretend
    // otherwise.
    let through = |nets: &str| {
        let nets = parse_networks(nets).unwrap();
        for_lambda(app_with(&store, EcoapiAccess::Networks(nets)))
    };
    let event = v2_event(
        "GET",
        &path,
        "",
        json!({"x-forwarded-for": "10.1.2.3"}),
        None,
    );
    let (status, body) = through_lambda(&through("10.0.0.0/8"), &event).await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    let (status, body) = through_lambda(&through("192.0.2.0/24"), &event).await;
    assert_eq!(status, 200);
    let courses: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(courses.as_array().unwrap().len(), 2);
}

async fn a_courses_tasks_by_id_or_oai_identifier<S: Stores>(store: Arc<S>) {
    const ECO101: &str = "course-v1:PoliMi+ECO101+2024_T1";
    let mut course = minimal_course(ECO101);
    course.end = Some("2024-06-30T22:00:00Z".parse().unwrap());
    store.put_course(course, Datestamp::now()).await.unwrap();
    let app = app_with(&store, EcoapiAccess::Closed);

    let (status, body) = get(&app, &format!("/ecoapi/tasks/{ECO101}"), None).await;
    assert_eq!(status, 404);
    assert!(
        body["error"].as_str().unwrap().contains("no structure"),
        "{body}"
    );

    let structure = CourseStructure::from_course_blocks(
        &ECO101.parse().unwrap(),
        &test_data("course-blocks/eco101.json"),
    )
    .unwrap();
    store.put_structure(&structure).await.unwrap();
    for id in [ECO101.to_owned(), format!("{PREFIX}{ECO101}")] {
        let (status, body) = get(&app, &format!("/ecoapi/tasks/{id}"), None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["moocId"], format!("{PREFIX}{ECO101}"));
        let tasks = body["tasks"].as_array().unwrap();
        assert_eq!(tasks.len(), structure.blocks().len());
        let video = tasks
            .iter()
            .find(|t| t["id"].as_str().unwrap().contains("type@video"))
            .unwrap();
        assert_eq!(video["type"], "http://activitystrea.ms/schema/1.0/video");
        assert_eq!(video["completedTimestamp"], "2024-06-30T22:00:00+00:00");
    }
    for unknown in ["course-v1:NO+SUCH+COURSE", "not%20a%20course"] {
        let (status, body) = get(&app, &format!("/ecoapi/tasks/{unknown}"), None).await;
        assert_eq!(
            (status, body),
            (StatusCode::NOT_FOUND, json!({})),
            "{unknown}"
        );
    }
}

/// Each check above as a test on each store.
macro_rules! on_both_stores {
    ($($check:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $check() {
                    let store = std::sync::Arc::new(pokeco_local::SqliteStore::open_in_memory().unwrap());
                    super::$check(store).await;
                }
            )+
        }
        mod dynamodb {
            $(
                #[tokio::test]
                async fn $check() {
                    let config = pokeco_testkit::moto::config().await;
                    let table = pokeco_testkit::moto::unique_name("ecoapi");
                    pokeco_aws::create_table(&aws_sdk_dynamodb::Client::new(&config), &table)
                        .await
                        .unwrap();
                    let store = std::sync::Arc::new(pokeco_aws::DynamoStore::from_config(&config, &table));
                    super::$check(store).await;
                }
            )+
        }
    };
}

on_both_stores!(
    the_heartbeat_answers_the_time_and_on_request_readiness,
    a_teacher_as_the_old_api_gave_it_and_nothing_for_a_stranger,
    a_learners_courses_with_every_figure_as_eco_reads_it,
    learners_figures_answer_only_the_chosen_access,
    a_courses_tasks_by_id_or_oai_identifier,
);

mod problems;
