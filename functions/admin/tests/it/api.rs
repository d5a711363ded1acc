//! The router driven in process (no socket) over an in-memory SQLite store.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use pokeco_admin::BODY_LIMIT;
use serde_json::json;
use tower::ServiceExt;

use crate::support::*;

#[tokio::test]
async fn requests_without_the_right_token_are_refused() {
    let app = app();
    for token in [None, Some("wrong"), Some("")] {
        let a = send(&app, request(Method::GET, "/admin/courses", token, None)).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(a.headers[header::WWW_AUTHENTICATE], "Bearer");
        assert!(a.body["error"].as_str().unwrap().contains("bearer token"));
    }
    let basic = Request::builder()
        .uri("/admin/sets")
        .header(header::AUTHORIZATION, format!("Basic {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, basic).await.status, StatusCode::UNAUTHORIZED);
    // Authentication comes before the body is read: no 413 or 400 for a stranger.
    let big = json!({"x": "a".repeat(BODY_LIMIT)});
    let a = send(
        &app,
        request(Method::POST, "/admin/courses", None, Some(&big)),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);

    let a = send(
        &app,
        request(Method::GET, "/admin/courses", Some(TOKEN), None),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, json!({"courses": [], "next": null}));
}

#[tokio::test]
async fn unknown_routes_answer_json_404() {
    let app = app();
    for uri in ["/admin/nothing", "/admin/courses/", "/elsewhere"] {
        let a = send(&app, request(Method::GET, uri, None, None)).await;
        assert_eq!(a.status, 404, "{uri}");
        assert_eq!(a.body["error"], "no such route", "{uri}");
    }
    // The rest of the path is an id, however many slashes it holds.
    let a = call(&app, Method::GET, "/admin/courses/a/b/c/d", None).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body["error"], "no course \"a/b/c/d\"");
}

#[tokio::test]
async fn a_wrong_method_answers_json_405() {
    let app = app();
    for (method, uri) in [
        (Method::PATCH, "/admin/courses"),
        (Method::DELETE, "/admin/teachers"),
        (Method::POST, "/admin/sets/x"),
    ] {
        let a = call(&app, method, uri, None).await;
        assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{uri}");
        assert!(a.body["error"].is_string(), "{uri}");
    }
}

#[tokio::test]
async fn without_a_configured_token_every_route_answers_503() {
    {
        let app = app_with(None);
        for (method, uri) in [
            (Method::GET, "/admin/courses"),
            (Method::DELETE, "/admin/courses/a%2Fb%2Fc"),
            (Method::GET, "/admin/teachers"),
            (Method::PUT, "/admin/sets/x"),
        ] {
            let a = send(&app, request(method, uri, Some(TOKEN), None)).await;
            assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
            assert!(a.body["error"]
                .as_str()
                .unwrap()
                .contains("no token is configured (POKECO_ADMIN_TOKEN)"));
        }
    }
}

#[tokio::test]
async fn course_life_cycle_with_soft_delete() {
    let app = seeded().await;
    let uri = course_uri(COURSE);

    let a = call(&app, Method::PUT, &uri, Some(&course())).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["oai_identifier"], format!("{PREFIX}{COURSE}"));
    assert_eq!(a.body["deleted"], false);
    assert_eq!(a.body["warnings"], json!([]));
    assert_eq!(a.body["title"], course()["title"]);
    let first_datestamp = a.body["datestamp"].as_str().unwrap().to_owned();
    assert_eq!(first_datestamp.len(), 20);

    let a = call(&app, Method::PUT, &uri, Some(&course())).await;
    assert_eq!(a.status, StatusCode::OK, "a replacement is not a creation");

    let got = call(&app, Method::GET, &uri, None).await;
    assert_eq!(got.status, StatusCode::OK);
    let mut expected = course();
    for key in ["oai_identifier", "datestamp", "deleted"] {
        expected[key] = got.body[key].clone();
    }
    assert_eq!(
        got.body, expected,
        "a GET answers the catalog JSON and the read-only fields"
    );

    let gone = call(&app, Method::DELETE, &uri, None).await;
    assert_eq!(gone.status, StatusCode::OK);
    assert_eq!(gone.body["deleted"], true);
    assert!(gone.body["datestamp"].as_str().unwrap() >= first_datestamp.as_str());

    let got = call(&app, Method::GET, &uri, None).await;
    assert_eq!(
        (got.status, &got.body["deleted"]),
        (StatusCode::OK, &json!(true))
    );
    assert_eq!(got.body["title"], course()["title"], "the record stays");

    let live = call(&app, Method::GET, "/admin/courses", None).await;
    assert_eq!(live.body["courses"], json!([]));
    let all = call(&app, Method::GET, "/admin/courses?deleted=true", None).await;
    assert_eq!(all.body["courses"][0]["course_id"], COURSE);
    assert_eq!(all.body["courses"][0]["deleted"], true);

    let back = call(&app, Method::PUT, &uri, Some(&course())).await;
    assert_eq!(
        (back.status, &back.body["deleted"]),
        (StatusCode::OK, &json!(false))
    );
}

#[tokio::test]
async fn post_takes_the_id_from_the_body_and_old_style_ids_travel_percent_encoded() {
    let app = seeded().await;
    let mut doc = course();
    doc["course_id"] = json!("Polimi/FIS101/2015_M9");
    let a = call(&app, Method::POST, "/admin/courses", Some(&doc)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(
        a.body["oai_identifier"],
        format!("{PREFIX}Polimi/FIS101/2015_M9")
    );

    let got = call(
        &app,
        Method::GET,
        "/admin/courses/Polimi%2FFIS101%2F2015_M9",
        None,
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["course_id"], "Polimi/FIS101/2015_M9");
    let a = call(
        &app,
        Method::PUT,
        "/admin/courses/Polimi%2FFIS101%2F2015_M9",
        Some(&doc),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let a = call(
        &app,
        Method::DELETE,
        "/admin/courses/Polimi%2FFIS101%2F2015_M9",
        None,
    )
    .await;
    assert_eq!(
        (a.status, &a.body["deleted"]),
        (StatusCode::OK, &json!(true))
    );
    // A `+` in a path is a plain character, not a space.
    let a = call(
        &app,
        Method::PUT,
        &format!("/admin/courses/{COURSE}"),
        Some(&course()),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
}

#[tokio::test]
async fn the_id_in_the_body_must_equal_the_id_in_the_path() {
    let app = seeded().await;
    let a = call(&app, Method::PUT, &course_uri("a/b/c"), Some(&course())).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.problem_paths(), ["course_id"]);
    let a = call(
        &app,
        Method::PUT,
        "/admin/teachers/someone-else",
        Some(&teacher()),
    )
    .await;
    assert_eq!(a.problem_paths(), ["id"]);
    let set = json!({"spec": "b", "name": "B"});
    let a = call(&app, Method::PUT, "/admin/sets/a", Some(&set)).await;
    assert_eq!(a.problem_paths(), ["spec"]);
    assert_eq!(
        call(&app, Method::GET, "/admin/sets/a", None).await.status,
        404
    );
}

#[tokio::test]
async fn invalid_documents_answer_400_with_every_problem() {
    let app = seeded().await;
    let mut doc = course();
    doc["title"] = json!({"EN": "t"});
    doc["languages"] = json!(["en", "it", "EN"]);
    doc["organizers"] = json!(["Poli\nMi"]);
    doc["teachers"] = json!(["nobody"]);
    doc["sets"] = json!(["EcoBase", "physics"]);
    doc["colour"] = json!("red");
    let a = call(&app, Method::PUT, &course_uri(COURSE), Some(&doc)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.body["error"], "the request was refused");
    assert_eq!(
        a.problem_paths(),
        [
            "colour",
            "title.EN",
            "languages[2]",
            "organizers[0]",
            "teachers[0]",
            "sets[1]"
        ]
    );
    assert!(a.body["problems"][0]["message"].is_string());
    assert_eq!(
        call(&app, Method::GET, &course_uri(COURSE), None)
            .await
            .status,
        404
    );

    let a = call(
        &app,
        Method::POST,
        "/admin/teachers",
        Some(&json!({"id": "x"})),
    )
    .await;
    assert_eq!(a.problem_paths(), ["first_name", "last_name"]);
    let a = call(
        &app,
        Method::POST,
        "/admin/sets",
        Some(&json!({"spec": "a b", "name": ""})),
    )
    .await;
    assert_eq!(a.problem_paths(), ["spec", "name"]);
}

#[tokio::test]
async fn writes_answer_their_warnings() {
    let app = seeded().await;
    let mut doc = course();
    doc["languages"] = json!(["en", "nl"]);
    doc["sets"] = json!([]);
    doc["image"] = json!("https://pok.example.org/logo.svg");
    let a = call(&app, Method::POST, "/admin/courses", Some(&doc)).await;
    assert_eq!(a.status, StatusCode::CREATED);
    let paths: Vec<&str> = a.body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["languages[1]", "image", "sets"]);
    let got = call(&app, Method::GET, &course_uri(COURSE), None).await;
    assert!(
        got.body.get("warnings").is_none(),
        "warnings belong to the write, not the record"
    );
}

#[tokio::test]
async fn malformed_bodies_answer_json_400() {
    let app = seeded().await;
    let raw = |body: &'static str, content_type: Option<&str>| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/admin/courses")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
        if let Some(ct) = content_type {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        b.body(Body::from(body)).unwrap()
    };
    for body in ["{", r#"{"course_id": "\ud800"}"#, ""] {
        let a = send(&app, raw(body, Some("application/json"))).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(a.problem_paths(), [""], "{body}");
    }
    for ct in [
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        None,
    ] {
        let a = send(&app, raw("{}", ct)).await;
        assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct:?}");
        assert!(a.body["error"].as_str().unwrap().contains("JSON"), "{ct:?}");
    }
    let a = send(&app, raw("[1]", Some("application/json; charset=utf-8"))).await;
    assert_eq!(a.problem_paths(), [""]);
    assert!(a.body["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("JSON object"));
}

#[tokio::test]
async fn bodies_over_one_mebibyte_answer_413() {
    let app = seeded().await;
    let mut doc = course();
    doc["description"] = json!({"en": "a".repeat(BODY_LIMIT)});
    let a = call(&app, Method::POST, "/admin/courses", Some(&doc)).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(a.body["error"].as_str().unwrap().contains("1048576"));
    // Just under the limit is read (and then refused for its 64 KiB string limit).
    doc["description"] = json!({"en": "a".repeat(BODY_LIMIT - 2_000)});
    let a = call(&app, Method::POST, "/admin/courses", Some(&doc)).await;
    assert_eq!(
        (a.status, a.problem_paths()),
        (StatusCode::BAD_REQUEST, vec!["description.en"])
    );
}

#[tokio::test]
async fn unknown_records_answer_json_404() {
    let app = seeded().await;
    for (method, uri) in [
        (Method::GET, course_uri("a/b/c")),
        (Method::DELETE, course_uri("a/b/c")),
        (Method::GET, "/admin/courses/not-a-course-id".to_owned()),
        (Method::GET, "/admin/teachers/nobody".to_owned()),
        (Method::DELETE, "/admin/teachers/nobody".to_owned()),
        (Method::GET, "/admin/sets/none".to_owned()),
        (Method::DELETE, "/admin/sets/none".to_owned()),
    ] {
        let a = call(&app, method, &uri, None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            a.body["error"].as_str().unwrap().starts_with("no "),
            "{}",
            a.body
        );
    }
}

#[tokio::test]
async fn teachers_and_sets_named_by_a_live_course_cannot_be_deleted() {
    let app = seeded().await;
    let uri = course_uri(COURSE);
    assert_eq!(
        call(&app, Method::PUT, &uri, Some(&course())).await.status,
        201
    );
    let teacher_uri = format!("/admin/teachers/{TEACHER}");

    let a = call(&app, Method::DELETE, &teacher_uri, None).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a.body["error"].as_str().unwrap().contains(COURSE));
    let a = call(&app, Method::DELETE, "/admin/sets/EcoBase", None).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(
        call(&app, Method::GET, &teacher_uri, None).await.status,
        200
    );

    // A deleted course no longer holds them.
    assert_eq!(call(&app, Method::DELETE, &uri, None).await.status, 200);
    let a = call(&app, Method::DELETE, &teacher_uri, None).await;
    assert_eq!((a.status, &a.body["id"]), (StatusCode::OK, &json!(TEACHER)));
    assert_eq!(
        call(&app, Method::GET, &teacher_uri, None).await.status,
        404
    );
    let a = call(&app, Method::DELETE, "/admin/sets/EcoBase", None).await;
    assert_eq!(a.status, StatusCode::OK);
    let sets = call(&app, Method::GET, "/admin/sets", None).await;
    assert_eq!(sets.body, json!({"sets": []}));
}

#[tokio::test]
async fn a_subset_member_does_not_hold_its_parent_set() {
    let app = seeded().await;
    for (spec, name) in [("math", "Maths"), ("math:algebra", "Algebra")] {
        let doc = json!({"spec": spec, "name": name});
        assert_eq!(
            call(&app, Method::POST, "/admin/sets", Some(&doc))
                .await
                .status,
            201
        );
    }
    let mut doc = course();
    doc["sets"] = json!(["EcoBase", "math:algebra"]);
    assert_eq!(
        call(&app, Method::POST, "/admin/courses", Some(&doc))
            .await
            .status,
        201
    );
    assert_eq!(
        call(&app, Method::DELETE, "/admin/sets/math%3Aalgebra", None)
            .await
            .status,
        409
    );
    assert_eq!(
        call(&app, Method::DELETE, "/admin/sets/math", None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn teachers_and_sets_round_trip() {
    let app = seeded().await;
    let got = call(
        &app,
        Method::GET,
        &format!("/admin/teachers/{TEACHER}"),
        None,
    )
    .await;
    assert_eq!(got.body, teacher());
    let mut changed = teacher();
    changed["last_name"] = json!("Bianchi");
    let a = call(&app, Method::POST, "/admin/teachers", Some(&changed)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["warnings"], json!([]));
    let list = call(&app, Method::GET, "/admin/teachers", None).await;
    assert_eq!(list.body["teachers"][0]["last_name"], "Bianchi");
    let got = call(&app, Method::GET, "/admin/sets/EcoBase", None).await;
    assert_eq!(
        got.body,
        json!({"spec": "EcoBase", "name": "ECO core project MOOC"})
    );
}

#[tokio::test]
async fn course_listings_page_with_next() {
    let app = seeded().await;
    for id in ["a/b/c1", "a/b/c2", "a/b/c3"] {
        let mut doc = course();
        doc["course_id"] = json!(id);
        assert_eq!(
            call(&app, Method::POST, "/admin/courses", Some(&doc))
                .await
                .status,
            201
        );
    }
    let mut seen = Vec::new();
    let mut uri = "/admin/courses?limit=2".to_owned();
    loop {
        let a = call(&app, Method::GET, &uri, None).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let page = a.body["courses"].as_array().unwrap();
        assert!(page.len() <= 2);
        seen.extend(
            page.iter()
                .map(|c| c["course_id"].as_str().unwrap().to_owned()),
        );
        match a.body["next"].as_str() {
            // Opaque and URL-safe: pasted into the query as it is.
            Some(next) => uri = format!("/admin/courses?limit=2&after={next}"),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, ["a/b/c1", "a/b/c2", "a/b/c3"]);

    for bad in [
        "limit=0",
        "limit=1001",
        "limit=x",
        "after=garbage",
        "colour=red",
    ] {
        let a = call(&app, Method::GET, &format!("/admin/courses?{bad}"), None).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(a.body["problems"].is_array(), "{bad}");
    }
}

/// Deleted courses are passed over without shortening a page: every page but the last holds
/// `limit` live courses, and `next` is absent exactly on the last.
#[tokio::test]
async fn listing_pages_are_full_of_live_courses() {
    let app = seeded().await;
    for i in 0..9 {
        let mut doc = course();
        doc["course_id"] = json!(format!("org/c{i}/run"));
        assert_eq!(
            call(&app, Method::POST, "/admin/courses", Some(&doc))
                .await
                .status,
            201
        );
    }
    for i in [0, 1, 2, 5, 6] {
        let uri = course_uri(&format!("org/c{i}/run"));
        assert_eq!(call(&app, Method::DELETE, &uri, None).await.status, 200);
    }
    let (mut live, mut uri) = (Vec::new(), "/admin/courses?limit=2".to_owned());
    loop {
        let a = call(&app, Method::GET, &uri, None).await;
        let page = a.body["courses"].as_array().unwrap();
        live.extend(
            page.iter()
                .map(|c| c["course_id"].as_str().unwrap().to_owned()),
        );
        match a.body["next"].as_str() {
            Some(next) => {
                assert_eq!(page.len(), 2, "a page with a next is full");
                uri = format!("/admin/courses?limit=2&after={next}");
            }
            None => break,
        }
    }
    // Deleting moved those courses to the end of the order; the live ones keep theirs.
    assert_eq!(
        live,
        ["org/c3/run", "org/c4/run", "org/c7/run", "org/c8/run"]
    );
    let all = call(
        &app,
        Method::GET,
        "/admin/courses?limit=100&deleted=true",
        None,
    )
    .await;
    assert_eq!(all.body["courses"].as_array().unwrap().len(), 9);
}

/// A listing stops at the response byte budget, however large its `limit`.
#[tokio::test]
async fn listing_pages_stop_at_the_byte_budget() {
    let app = seeded().await;
    let text = "x".repeat(60_000);
    for i in 0..30 {
        let mut doc = course();
        doc["course_id"] = json!(format!("org/c{i:02}/run"));
        doc["description"] = json!({"en": text, "it": text, "fr": text});
        assert_eq!(
            call(&app, Method::POST, "/admin/courses", Some(&doc))
                .await
                .status,
            201
        );
    }
    let (mut seen, mut uri) = (0, "/admin/courses?limit=1000".to_owned());
    let mut pages = 0;
    loop {
        let response = app
            .clone()
            .oneshot(request(Method::GET, &uri, Some(TOKEN), None))
            .await
            .unwrap();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert!(
            bytes.len() <= pokeco_core::RESPONSE_BYTE_BUDGET,
            "{} bytes",
            bytes.len()
        );
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        seen += body["courses"].as_array().unwrap().len();
        pages += 1;
        match body["next"].as_str() {
            Some(next) => uri = format!("/admin/courses?limit=1000&after={next}"),
            None => break,
        }
    }
    assert_eq!((seen, pages), (30, 2));
}
