//! The admin routes as Lambda receives them: API Gateway HTTP API (v2) events, whose
//! `rawPath` API Gateway has already percent-decoded, turned into requests by lambda_http and
//! answered by the router as the Lambda entry point wraps it.

use axum::Router;
use pokeco_admin::router;
use pokeco_http::lambda_path::for_lambda;
use pokeco_testkit::lambda;
use serde_json::{json, Value};

use crate::support::*;

fn v2_event(method: &str, raw_path: &str, body: Option<&Value>) -> String {
    let headers = json!({
        "content-type": "application/json",
        "authorization": format!("Bearer {TOKEN}"),
    });
    let body = body.map(Value::to_string);
    lambda::v2_event(method, raw_path, "", headers, body.as_deref())
}

async fn through_lambda(app: &Router, event: &str) -> (u16, Value) {
    let (status, body) = lambda::through_lambda(app, event).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// A set and a teacher through the plain router, then the course through Lambda events.
async fn lambda_app() -> Router {
    let state = state(Some(TOKEN));
    let plain = router(state.clone());
    let set = json!({"spec": "EcoBase", "name": "ECO core project MOOC"});
    assert_eq!(
        call(
            &plain,
            axum::http::Method::PUT,
            "/admin/sets/EcoBase",
            Some(&set)
        )
        .await
        .status,
        201
    );
    let uri = format!("/admin/teachers/{TEACHER}");
    assert_eq!(
        call(&plain, axum::http::Method::PUT, &uri, Some(&teacher()))
            .await
            .status,
        201
    );
    for_lambda(router(state))
}

#[tokio::test]
async fn old_style_ids_in_decoded_raw_paths_reach_their_course() {
    let app = lambda_app().await;
    for id in [
        "Polimi/FIS101/2015_M9",
        "Org/C%41x/Run",
        "course-v1:Org+C%2B1+Run",
    ] {
        let mut doc = course();
        doc["course_id"] = json!(id);
        // The id in the path exactly as API Gateway hands it over: decoded.
        let path = format!("/admin/courses/{id}");
        let (status, body) = through_lambda(&app, &v2_event("PUT", &path, Some(&doc))).await;
        assert_eq!(status, 201, "{id}: {body}");
        assert_eq!(body["course_id"], id);
        let (status, body) = through_lambda(&app, &v2_event("GET", &path, None)).await;
        assert_eq!(
            (status, body["course_id"].as_str()),
            (200, Some(id)),
            "{id}"
        );
        let (status, body) = through_lambda(&app, &v2_event("DELETE", &path, None)).await;
        assert_eq!(
            (status, body["deleted"].as_bool()),
            (200, Some(true)),
            "{id}"
        );
    }
    // A `%` that is part of the id is never decoded a second time.
    let (status, _) =
        through_lambda(&app, &v2_event("GET", "/admin/courses/Org/CAx/Run", None)).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json_through_lambda() {
    let app = lambda_app().await;
    let (status, body) = through_lambda(&app, &v2_event("GET", "/admin/nothing", None)).await;
    assert_eq!((status, body["error"].is_string()), (404, true));
    let (status, body) = through_lambda(&app, &v2_event("PATCH", "/admin/courses", None)).await;
    assert_eq!((status, body["error"].is_string()), (405, true));
}

#[tokio::test]
async fn a_structure_of_an_old_style_course_travels_through_lambda() {
    let app = lambda_app().await;
    let id = "Polimi/FIS101/2015_M9";
    let mut doc = course();
    doc["course_id"] = json!(id);
    let course_path = format!("/admin/courses/{id}");
    let (status, _) = through_lambda(&app, &v2_event("PUT", &course_path, Some(&doc))).await;
    assert_eq!(status, 201);
    let structure =
        serde_json::to_value(pokeco_core::contract::course_structure(id, 1, 2, "x")).unwrap();
    let path = format!("{course_path}/structure");
    let (status, body) = through_lambda(&app, &v2_event("PUT", &path, Some(&structure))).await;
    assert_eq!((status, &body["blocks"]), (201, &json!(4)), "{body}");
    let (status, body) = through_lambda(&app, &v2_event("GET", &path, None)).await;
    assert_eq!((status, body), (200, structure));
    let (status, body) = through_lambda(&app, &v2_event("DELETE", &path, None)).await;
    assert_eq!((status, &body["deleted"]), (200, &json!(id)));
}
