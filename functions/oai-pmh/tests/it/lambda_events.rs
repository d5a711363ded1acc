//! The same requests through the Lambda entry point: API Gateway HTTP API (v2) events are
//! turned into requests by lambda_http exactly as in AWS, then answered by the same router.
//! Repeated arguments and odd escapes in `rawQueryString` answer as they do locally.

use axum::body::Body;
use pokeco_testkit::lambda;
use serde_json::json;

use crate::support::*;

fn v2_event(method: &str, raw_query: &str, body: Option<&str>, content_type: &str) -> String {
    lambda::v2_event(
        method,
        "/oai",
        raw_query,
        json!({"content-type": content_type}),
        body,
    )
}

async fn through_lambda(app: &axum::Router, event: &str) -> (u16, String) {
    let (status, body) = lambda::through_lambda(app, event).await;
    (status, String::from_utf8(body).unwrap())
}

#[tokio::test]
async fn v2_events_answer_as_local_requests_do() {
    let app = app(2).await;
    for raw in [
        "verb=Identify",
        "verb=ListRecords&metadataPrefix=oai_lom",
        "verb=ListRecords&metadataPrefix=oai_lom&metadataPrefix=oai_lom",
        "verb=Identify&verb=Identify",
        "verb=ListRecords&metadataPrefix=oai%zz",
        "verb=ListRecords&metadataPrefix=oai%5Flom&set=a%3Ab",
        "verb=ListRecords&metadataPrefix=oai_lom&from=2024-01-01%",
        "verb=GetRecord&identifier=oai%3Apok.example.org%3Acourse-v1%3AOrg%2BC0%2B2024&metadataPrefix=oai_dc",
        "verb=ListSets&&&",
        "",
    ] {
        let local = get(&app, raw).await;
        let (status, body) = through_lambda(&app, &v2_event("GET", raw, None, "text/plain")).await;
        assert_eq!(status, 200, "{raw}");
        assert_eq!(body, local.body, "{raw}");
    }
}

#[tokio::test]
async fn v2_post_events_are_form_requests() {
    let app = app(2).await;
    let form = "verb=ListIdentifiers&metadataPrefix=oai_dc&set=EcoBase";
    let event = v2_event("POST", "", Some(form), "application/x-www-form-urlencoded");
    let (status, body) = through_lambda(&app, &event).await;
    assert_eq!(status, 200);
    assert_eq!(body, get(&app, form).await.body);
}

#[tokio::test]
async fn tokens_resume_through_lambda() {
    let app = app(2).await;
    let (_, first) = through_lambda(
        &app,
        &v2_event(
            "GET",
            "verb=ListIdentifiers&metadataPrefix=oai_lom",
            None,
            "",
        ),
    )
    .await;
    let token = xml::parse(&first).descendants("resumptionToken")[0].text();
    let raw = format!("verb=ListIdentifiers&metadataPrefix=oai_lom&resumptionToken={token}");
    let (_, second) = through_lambda(&app, &v2_event("GET", &raw, None, "")).await;
    let root = xml::parse(&second);
    assert!(root.descendants("error").is_empty(), "{second}");
    assert_eq!(root.descendants("header").len(), 2);
}

#[tokio::test]
async fn without_a_base_url_the_endpoint_comes_from_the_host() {
    let mut s = settings(2);
    s.base_url = None;
    let app = app_with(catalog().await, s);
    let (_, body) = through_lambda(&app, &v2_event("GET", "verb=Identify", None, "")).await;
    let root = xml::parse(&body);
    let endpoint = "https://abc123.execute-api.eu-west-1.amazonaws.com/oai";
    assert_eq!(root.descendants("request")[0].text(), endpoint);
    assert_eq!(root.descendants("baseURL")[0].text(), endpoint);
    // A Host that is not a host name is not reflected.
    let req = axum::http::Request::get("/oai?verb=Identify")
        .header("host", "evil\"><x")
        .body(Body::empty())
        .unwrap();
    let a = send(&app, req).await;
    assert_eq!(a.texts("baseURL"), ["https://localhost/oai"]);
}
