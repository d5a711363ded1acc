//! The pipeline's routes: identity links (one by one and from a CSV export), tracked courses,
//! delivery status and the statements an LRS refused.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request};
use axum::Router;
use pokeco_admin::router;
use pokeco_core::contract::statement;
use pokeco_core::pipeline::{FailedStatement, PipelineStore};
use pokeco_core::Datestamp;
use pokeco_local::{SqliteQueue, SqliteStore};
use serde_json::json;

use crate::support::*;

const SUB: &str = "5a1b2c3d4e5f60718293a4b5";

fn csv(body: &str, content_type: &str) -> Request<Body> {
    Request::post("/admin/links/import")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn links_are_imported_listed_read_changed_and_removed() {
    let app = app();
    let file = format!(
        "user_id,uid\n1,{SUB}\n2,{}\nthree,{SUB}\n10,{SUB}\n",
        SUB.to_uppercase()
    );
    let import = send(&app, csv(&file, "text/csv; charset=utf-8")).await;
    assert_eq!(import.status, 200, "{}", import.body);
    assert_eq!(import.body["imported"], 3);
    assert_eq!(import.body["problems"][0]["line"], 4);
    assert!(import.body["problems"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("three"));

    let first = call(&app, Method::GET, "/admin/links?limit=2", None).await;
    assert_eq!(first.status, 200);
    let users: Vec<&str> = first.body["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["edx_user_id"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["1", "10"]);
    let next = first.body["next"].as_str().unwrap();
    let rest = call(
        &app,
        Method::GET,
        &format!("/admin/links?after={next}"),
        None,
    )
    .await;
    assert_eq!(rest.body["links"][0]["edx_user_id"], "2");
    assert_eq!(rest.body["links"][0]["eco_sub"], SUB, "stored lower-case");
    assert!(rest.body["next"].is_null());

    let other = "00000000000000000000000a";
    let put = call(
        &app,
        Method::PUT,
        "/admin/links/2",
        Some(&json!({"eco_sub": other})),
    )
    .await;
    assert_eq!(put.status, 200);
    assert_eq!(
        call(&app, Method::GET, "/admin/links/2", None).await.body["eco_sub"],
        other
    );
    assert_eq!(
        call(&app, Method::DELETE, "/admin/links/2", None)
            .await
            .status,
        200
    );
    let gone = call(&app, Method::GET, "/admin/links/2", None).await;
    assert_eq!(gone.status, 404);
    assert!(gone.body["error"].as_str().unwrap().contains("not linked"));
}

#[tokio::test]
async fn bad_links_are_refused_with_a_reason() {
    let app = app();
    let bad_sub = call(
        &app,
        Method::PUT,
        "/admin/links/7",
        Some(&json!({"eco_sub": "xyz"})),
    )
    .await;
    assert_eq!(bad_sub.status, 400);
    assert!(bad_sub.body["error"].as_str().unwrap().contains("24"));
    let bad_user = call(
        &app,
        Method::PUT,
        "/admin/links/bob",
        Some(&json!({"eco_sub": SUB})),
    )
    .await;
    assert_eq!(bad_user.status, 400);
    let extra = json!({"eco_sub": SUB, "admin": true});
    assert_eq!(
        call(&app, Method::PUT, "/admin/links/7", Some(&extra))
            .await
            .status,
        400
    );
    assert_eq!(send(&app, csv("1,x", "application/json")).await.status, 415);
    let bad_limit = call(&app, Method::GET, "/admin/links?limit=0", None).await;
    assert_eq!(bad_limit.status, 400);
    let unauthenticated = send(&app, request(Method::GET, "/admin/links", None, None)).await;
    assert_eq!(unauthenticated.status, 401);
}

#[tokio::test]
async fn tracked_courses_from_the_setting_and_the_api() {
    let app = app();
    let listed = call(&app, Method::GET, "/admin/tracked-courses", None).await;
    assert_eq!(
        listed.body,
        json!({"setting": [TRACKED_BY_SETTING], "managed": []})
    );
    for course in ["course-v1:Org+A+1", "Org/B/Run", "*"] {
        let uri = format!("/admin/tracked-courses/{}", course.replace('/', "%2F"));
        let put = call(&app, Method::PUT, &uri, None).await;
        assert_eq!(put.status, 200, "{course}: {}", put.body);
        assert_eq!(put.body["tracked"], course);
    }
    let listed = call(&app, Method::GET, "/admin/tracked-courses", None).await;
    assert_eq!(
        listed.body["managed"],
        json!(["*", "Org/B/Run", "course-v1:Org+A+1"])
    );

    let removed = call(&app, Method::DELETE, "/admin/tracked-courses/*", None).await;
    assert_eq!(removed.status, 200);
    let by_setting = format!("/admin/tracked-courses/{TRACKED_BY_SETTING}");
    let conflict = call(&app, Method::DELETE, &by_setting, None).await;
    assert_eq!(conflict.status, 409);
    assert!(conflict.body["error"]
        .as_str()
        .unwrap()
        .contains("POKECO_TRACKED_COURSES"));
    let absent = call(
        &app,
        Method::DELETE,
        "/admin/tracked-courses/course-v1:X+Y+Z",
        None,
    )
    .await;
    assert_eq!(absent.status, 404);
    let bad = call(
        &app,
        Method::PUT,
        "/admin/tracked-courses/not-a-course",
        None,
    )
    .await;
    assert_eq!(bad.status, 400);
}

async fn with_failed() -> (Router, SqliteStore) {
    let store = SqliteStore::open_in_memory().unwrap();
    let queue = Arc::new(SqliteQueue::open_in_memory(3).unwrap());
    let failed: Vec<FailedStatement> = (1..=3)
        .map(|n| {
            FailedStatement::new(
                statement(n, 0),
                400,
                "{\"message\": \"bad verb\"}",
                Datestamp::now(),
            )
        })
        .collect();
    store.put_failed(&failed).await.unwrap();
    (router(state_over(Some(TOKEN), store.clone(), queue)), store)
}

#[tokio::test]
async fn refused_statements_are_shown_dropped_and_redriven() {
    let (app, store) = with_failed().await;
    let status = call(&app, Method::GET, "/admin/delivery", None).await;
    assert_eq!(
        status.body,
        json!({
            "queued_messages": 0, "in_flight_messages": 0, "dead_letter_messages": 0,
            "failed_statements": 3,
            "oldest_undelivered": {"seconds": 0, "basis": "empty"},
            "sync_runs": [],
        })
    );
    let list = call(&app, Method::GET, "/admin/failed?limit=2", None).await;
    assert_eq!(list.body["failed"].as_array().unwrap().len(), 2);
    assert_eq!(list.body["failed"][0]["status"], 400);
    assert_eq!(
        list.body["failed"][0]["answer"],
        "{\"message\": \"bad verb\"}"
    );
    let id = statement(1, 0).id().to_owned();
    let one = call(&app, Method::GET, &format!("/admin/failed/{id}"), None).await;
    assert_eq!(one.body["statement"]["id"], id);

    let dropped = call(&app, Method::DELETE, &format!("/admin/failed/{id}"), None).await;
    assert_eq!(dropped.status, 200);
    assert_eq!(
        call(&app, Method::GET, &format!("/admin/failed/{id}"), None)
            .await
            .status,
        404
    );

    let two = statement(2, 0).id().to_owned();
    let redriven = call(
        &app,
        Method::POST,
        "/admin/failed/redrive",
        Some(&json!({"ids": [two]})),
    )
    .await;
    assert_eq!(redriven.status, 200, "{}", redriven.body);
    assert_eq!(redriven.body, json!({"statements": 1, "dead_letters": 0}));
    let all = call(
        &app,
        Method::POST,
        "/admin/failed/redrive",
        Some(&json!({})),
    )
    .await;
    assert_eq!(all.body["statements"], 1);
    assert_eq!(store.count_failed().await.unwrap(), 0);
    let status = call(&app, Method::GET, "/admin/delivery", None).await;
    assert_eq!(status.body["queued_messages"], 2);
    let bad = call(
        &app,
        Method::POST,
        "/admin/failed/redrive",
        Some(&json!({"id": 1})),
    )
    .await;
    assert_eq!(bad.status, 400);
}
