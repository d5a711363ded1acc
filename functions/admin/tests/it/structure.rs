//! `/admin/courses/{id}/structure` through HTTP: imports of the LMS's Course Blocks API answer
//! (the fixture of a real course's shape), reads, deletes, the course it needs, refusals and
//! sizes; and the catalog's grade cutoffs in a course's JSON.

use axum::body::Body;
use axum::http::{header, Method, Request};
use pokeco_admin::{BODY_LIMIT, STRUCTURE_BODY_LIMIT};
use pokeco_core::contract::{course_structure, large_structure};
use serde_json::{json, Value};

use crate::support::*;

/// The Course Blocks API's answer for the example course (`testdata/course-blocks/`).
fn eco101_blocks() -> Value {
    serde_json::from_str(&pokeco_testkit::test_text("course-blocks/eco101.json")).unwrap()
}

fn structure_uri(id: &str) -> String {
    format!("{}/structure", course_uri(id))
}

fn raw(method: Method, uri: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap()
}

/// An app holding the example course.
async fn with_course() -> axum::Router {
    let app = seeded().await;
    let put = call(&app, Method::PUT, &course_uri(COURSE), Some(&course())).await;
    assert_eq!(put.status, 201, "{}", put.body);
    app
}

#[tokio::test]
async fn a_structure_is_imported_read_replaced_and_deleted() {
    let app = with_course().await;
    let uri = structure_uri(COURSE);
    let blocks = eco101_blocks();

    let put = call(&app, Method::PUT, &uri, Some(&blocks)).await;
    assert_eq!(put.status, 201, "{}", put.body);
    assert_eq!(put.body["course_id"], COURSE);
    assert_eq!(put.body["root"], blocks["root"]);
    assert_eq!(put.body["blocks"], 35);
    assert_eq!(
        put.body["categories"],
        json!({"chapter": 3, "course": 1, "discussion": 2, "html": 4, "openassessment": 1,
               "problem": 6, "sequential": 6, "vertical": 9, "video": 3})
    );
    assert_eq!(put.body["replaced"], false);

    // Read back in the API's shape, with only what is kept of each block.
    let got = call(&app, Method::GET, &uri, None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["course_id"], COURSE);
    assert_eq!(got.body["root"], blocks["root"]);
    let read = got.body["blocks"].as_object().unwrap();
    let sent = blocks["blocks"].as_object().unwrap();
    assert_eq!(read.len(), sent.len());
    for (key, block) in sent {
        let mut kept = block.as_object().unwrap().clone();
        kept.retain(|k, _| ["id", "type", "display_name", "children"].contains(&k.as_str()));
        assert_eq!(read[key], Value::Object(kept), "{key}");
    }
    // ... in course order: the root first, then depth first.
    let order: Vec<&str> = read.keys().map(String::as_str).collect();
    assert_eq!(order[0], blocks["root"]);
    assert!(order[1].ends_with("type@chapter+block@week_1"), "{order:?}");
    assert!(order[2].contains("type@sequential"), "{order:?}");

    // What is read can be imported again; the course id it carries must be the course's.
    let again = call(&app, Method::PUT, &uri, Some(&got.body)).await;
    assert_eq!(
        (again.status.as_u16(), &again.body["replaced"]),
        (200, &json!(true))
    );
    let mut elsewhere = got.body.clone();
    elsewhere["course_id"] = json!("course-v1:PoliMi+OTHER+2024_T1");
    let refused = call(&app, Method::PUT, &uri, Some(&elsewhere)).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.problem_paths(), ["course_id"]);

    let deleted = call(&app, Method::DELETE, &uri, None).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body, json!({"deleted": COURSE}));
    let gone = call(&app, Method::GET, &uri, None).await;
    assert_eq!(gone.status, 404);
    assert!(
        gone.body["error"]
            .as_str()
            .unwrap()
            .contains("no structure"),
        "{}",
        gone.body
    );
    assert_eq!(call(&app, Method::DELETE, &uri, None).await.status, 404);
    // The course itself is untouched.
    let course = call(&app, Method::GET, &course_uri(COURSE), None).await;
    assert_eq!(
        (course.status.as_u16(), &course.body["deleted"]),
        (200, &json!(false))
    );
}

#[tokio::test]
async fn a_structure_needs_a_live_course_of_the_catalog() {
    let app = seeded().await;
    let uri = structure_uri(COURSE);
    let put = call(&app, Method::PUT, &uri, Some(&eco101_blocks())).await;
    assert_eq!(put.status, 404);
    assert!(put.body["error"].as_str().unwrap().contains("no course"));
    assert_eq!(call(&app, Method::GET, &uri, None).await.status, 404);
    assert_eq!(call(&app, Method::DELETE, &uri, None).await.status, 404);

    let put = call(&app, Method::PUT, &course_uri(COURSE), Some(&course())).await;
    assert_eq!(put.status, 201);
    assert_eq!(
        call(&app, Method::DELETE, &course_uri(COURSE), None)
            .await
            .status,
        200
    );
    let put = call(&app, Method::PUT, &uri, Some(&eco101_blocks())).await;
    assert_eq!(put.status, 404);
    assert!(
        put.body["error"].as_str().unwrap().contains("deleted"),
        "{}",
        put.body
    );
}

#[tokio::test]
async fn an_invalid_structure_is_refused_with_its_reasons() {
    let app = with_course().await;
    let uri = structure_uri(COURSE);

    let mut missing_child = eco101_blocks();
    let root = missing_child["root"].as_str().unwrap().to_owned();
    missing_child["blocks"][&root]["children"]
        .as_array_mut()
        .unwrap()
        .push(json!(
            "block-v1:PoliMi+ECO101+2024_T1+type@chapter+block@gone"
        ));
    let r = call(&app, Method::PUT, &uri, Some(&missing_child)).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], "the request was refused");
    let path = r.problem_paths()[0];
    assert_eq!(path, format!("blocks[{}].children[3]", json!(root)));
    assert!(r.body["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("depth=all"));

    // Another course's blocks.
    let other = serde_json::to_value(course_structure("course-v1:Org+Other+1", 1, 1, "x")).unwrap();
    let mut other = other.as_object().unwrap().clone();
    other.remove("course_id");
    let r = call(&app, Method::PUT, &uri, Some(&Value::Object(other))).await;
    assert_eq!(r.status, 400);
    assert!(r.body["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("is not a usage key of course course-v1:PoliMi+ECO101+2024_T1"));

    let list_form = json!([eco101_blocks()["blocks"][&root]]);
    let r = call(&app, Method::PUT, &uri, Some(&list_form)).await;
    assert_eq!(r.status, 400);
    assert!(r.body["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("return_type"));

    let r = send(
        &app,
        raw(
            Method::PUT,
            &uri,
            "application/json",
            b"{\"root\":".to_vec(),
        ),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body["problems"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("not valid JSON"));
    let body = eco101_blocks().to_string().into_bytes();
    let r = send(&app, raw(Method::PUT, &uri, "text/plain", body)).await;
    assert_eq!(r.status, 415);
    // Nothing was loaded by any of these.
    assert_eq!(call(&app, Method::GET, &uri, None).await.status, 404);
}

#[tokio::test]
async fn structures_larger_than_a_course_document_are_taken_up_to_their_limit() {
    let app = with_course().await;
    let uri = structure_uri(COURSE);
    let large = serde_json::to_vec(&large_structure(COURSE, 5)).unwrap();
    assert!(large.len() > BODY_LIMIT, "{} bytes", large.len());
    let put = send(&app, raw(Method::PUT, &uri, "application/json", large)).await;
    assert_eq!(put.status, 201, "{}", put.body);
    assert_eq!(put.body["blocks"], 19_901);

    let mut over = eco101_blocks().to_string().into_bytes();
    over.resize(STRUCTURE_BODY_LIMIT + 1, b' ');
    let r = send(&app, raw(Method::PUT, &uri, "application/json", over)).await;
    assert_eq!(r.status, 413);
    assert!(r.body["error"]
        .as_str()
        .unwrap()
        .contains(&STRUCTURE_BODY_LIMIT.to_string()));
    // A course document keeps its own, smaller limit.
    let mut doc = course();
    doc["description"] = json!({"en": "a".repeat(BODY_LIMIT)});
    let r = call(&app, Method::PUT, &course_uri(COURSE), Some(&doc)).await;
    assert_eq!(r.status, 413);
}

#[tokio::test]
async fn old_style_course_ids_reach_their_structure_encoded_or_not() {
    let app = seeded().await;
    let id = "Polimi/FIS101/2015_M9";
    let mut doc = course();
    doc["course_id"] = json!(id);
    assert_eq!(
        call(&app, Method::PUT, &course_uri(id), Some(&doc))
            .await
            .status,
        201
    );
    let structure = serde_json::to_value(course_structure(id, 2, 2, "Fisica")).unwrap();
    let put = call(&app, Method::PUT, &structure_uri(id), Some(&structure)).await;
    assert_eq!(put.status, 201, "{}", put.body);
    assert_eq!(put.body["root"], "i4x://Polimi/FIS101/course/course");
    // As API Gateway hands paths over: decoded.
    let decoded = format!("/admin/courses/{id}/structure");
    let got = call(&app, Method::GET, &decoded, None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, structure);
    // A course whose run is `structure` is a course, not a structure path.
    let run_structure = "Polimi/FIS101/structure";
    let r = call(&app, Method::GET, &course_uri(run_structure), None).await;
    assert_eq!(r.status, 404);
    assert!(
        r.body["error"].as_str().unwrap().contains("no course"),
        "{}",
        r.body
    );
    let mut doc = course();
    doc["course_id"] = json!(run_structure);
    let r = call(&app, Method::PUT, &course_uri(run_structure), Some(&doc)).await;
    assert_eq!(
        (r.status.as_u16(), &r.body["course_id"]),
        (201, &json!(run_structure))
    );
}

#[tokio::test]
async fn structure_routes_need_the_token() {
    let app = with_course().await;
    let uri = structure_uri(COURSE);
    for method in [Method::GET, Method::PUT, Method::DELETE] {
        let r = send(
            &app,
            request(method.clone(), &uri, None, Some(&eco101_blocks())),
        )
        .await;
        assert_eq!(r.status, 401, "{method}");
        let r = send(&app, request(method.clone(), &uri, Some("wrong"), None)).await;
        assert_eq!(r.status, 401, "{method}");
    }
    assert_eq!(
        call(&app, Method::GET, &uri, None).await.status,
        404,
        "nothing was loaded"
    );
}

#[tokio::test]
async fn a_course_carries_its_grade_cutoffs() {
    let app = seeded().await;
    let mut doc = course();
    doc["grade_cutoffs"] = json!({"A": 0.85, "Pass": 0.6});
    let put = call(&app, Method::PUT, &course_uri(COURSE), Some(&doc)).await;
    assert_eq!(put.status, 201, "{}", put.body);
    assert_eq!(put.body["grade_cutoffs"], json!({"A": 0.85, "Pass": 0.6}));
    let got = call(&app, Method::GET, &course_uri(COURSE), None).await;
    assert_eq!(got.body["grade_cutoffs"], json!({"A": 0.85, "Pass": 0.6}));

    doc["grade_cutoffs"] = json!({"Pass": 0, "A": 2});
    let r = call(&app, Method::PUT, &course_uri(COURSE), Some(&doc)).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.problem_paths(), ["grade_cutoffs.Pass", "grade_cutoffs.A"]);

    // Left out, the course has none.
    doc.as_object_mut().unwrap().remove("grade_cutoffs");
    let put = call(&app, Method::PUT, &course_uri(COURSE), Some(&doc)).await;
    assert_eq!(put.status, 200);
    assert!(put.body.get("grade_cutoffs").is_none(), "{}", put.body);
}
