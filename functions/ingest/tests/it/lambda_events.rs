//! `POST /events` as Lambda receives it: an API Gateway v2 event, a gzipped body base64-encoded
//! by API Gateway, through lambda_http and the entry point's path layer.

use pokeco_http::lambda_path::for_lambda;
use pokeco_testkit::events::legacy_tracking_log;
use pokeco_testkit::lambda::{through_lambda, v2_event, with_binary_body};
use serde_json::{json, Value};

use crate::support::*;

#[tokio::test]
async fn a_gzipped_body_arrives_base64_encoded_and_is_read() {
    let s = setup().await;
    let app = for_lambda(s.app.clone());
    let headers = json!({
        "authorization": format!("Bearer {TOKEN}"),
        "content-encoding": "gzip",
        "content-type": "application/x-ndjson",
    });
    let event = v2_event("POST", "/events", "", headers, None);
    let event = with_binary_body(&event, &gzip(legacy_tracking_log().as_bytes()));
    let (status, body) = through_lambda(&app, &event).await;
    let report: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 200, "{report}");
    assert!(report["enqueued"].as_u64().unwrap() > 20, "{report}");
    assert_eq!(report["rejected"], 0);

    let plain = v2_event(
        "POST",
        "/events",
        "",
        json!({"authorization": "Bearer wrong-token-of-some-length"}),
        Some(&legacy_tracking_log()),
    );
    assert_eq!(through_lambda(&app, &plain).await.0, 401);
}
