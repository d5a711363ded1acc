//! Requests as Lambda receives them: API Gateway HTTP API (v2) events, turned into requests by
//! lambda_http exactly as in AWS, and answered by a function's router.

use axum::body::Body;
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

/// An API Gateway v2 event for `method` on `raw_path` (as API Gateway hands it over: already
/// percent-decoded) with `raw_query`, these `headers` and `body`.
pub fn v2_event(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: Value,
    body: Option<&str>,
) -> String {
    let mut headers = headers;
    if let Some(h) = headers.as_object_mut() {
        h.entry("host")
            .or_insert(json!("abc123.execute-api.eu-west-1.amazonaws.com"));
    }
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "pokeco-tests"},
            "requestId": "id", "routeKey": "$default", "stage": "$default",
            "time": "27/Nov/2026:04:00:00 +0000", "timeEpoch": 1_795_000_000_000u64
        },
        "body": body,
        "isBase64Encoded": false
    })
    .to_string()
}

/// `event` with a binary body, as API Gateway hands one over: base64, `isBase64Encoded`.
pub fn with_binary_body(event: &str, body: &[u8]) -> String {
    use base64::Engine;
    let mut event: Value = serde_json::from_str(event).expect("a v2 event");
    event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
    event["isBase64Encoded"] = json!(true);
    event.to_string()
}

/// The status and body `app` answers to `event`.
pub async fn through_lambda(app: &Router, event: &str) -> (u16, Vec<u8>) {
    let req = lambda_http::request::from_str(event).expect("a v2 event");
    let (parts, body) = req.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let req = axum::http::Request::from_parts(parts, Body::from(bytes));
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, body.to_vec())
}
