//! Whatever the body, ingest answers 200, 4xx or (when the queue fails) 503: never a 500, never
//! a panic; and a queue failure claims nothing.

use std::sync::Arc;

use aws_sdk_sqs::Client;
use pokeco_aws::SqsQueue;
use pokeco_testkit::events::legacy_tracking_log;
use pokeco_testkit::moto::{config, unique_name};
use proptest::prelude::*;

use crate::support::*;

fn status_of(body: Vec<u8>, gzip_header: bool) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let s = setup().await;
        let headers: &[(&str, &str)] = if gzip_header {
            &[("content-encoding", "gzip")]
        } else {
            &[]
        };
        send(&s.app, post(body, headers)).await.0.as_u16()
    })
}

/// Lines that look like events, with their fields broken in every way.
fn event_like() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("null".to_owned()),
        Just("42".to_owned()),
        Just("\"\"".to_owned()),
        Just("{}".to_owned()),
        Just("[]".to_owned()),
        "\"[^\"\\\\]{0,30}\"".prop_map(|s| s),
        Just("\"{\\\"id\\\": \\\"i4x://a/b/problem/c\\\"\"".to_owned()),
    ];
    (
        prop::sample::select(vec!["problem_check", "/courses/x/courseware", "edx.video.played", "seq_goto", ""]),
        value.clone(),
        value.clone(),
        value,
    )
        .prop_map(|(t, time, course, event)| {
            format!(
                r#"{{"event_type":"{t}","time":{time},"context":{{"course_id":{course},"user_id":42}},"event":{event}}}"#
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_bytes_are_a_client_error_at_worst(body in prop::collection::vec(any::<u8>(), 0..2048), gz in any::<bool>()) {
        let status = status_of(body, gz);
        prop_assert!(status == 200 || (400..500).contains(&status), "{status}");
    }

    #[test]
    fn broken_events_are_counted_never_fatal(lines in prop::collection::vec(event_like(), 1..40)) {
        let status = status_of(lines.join("\n").into_bytes(), false);
        prop_assert_eq!(status, 200);
    }

    #[test]
    fn any_cut_of_a_gzip_stream_is_answered(cut in 0usize..4000) {
        let gz = gzip(legacy_tracking_log().as_bytes());
        let status = status_of(gz[..cut.min(gz.len())].to_vec(), true);
        prop_assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn a_queue_failure_is_a_503_that_claims_nothing() {
    // A real SQS queue (moto), deleted under the function: every send fails.
    let client = Client::new(&config().await);
    let url = client
        .create_queue()
        .queue_name(unique_name("gone"))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    client.delete_queue().queue_url(&url).send().await.unwrap();
    let s = setup_with("*", Arc::new(SqsQueue::new(client, url))).await;
    let response = {
        use tower::ServiceExt;
        s.app
            .clone()
            .oneshot(post(legacy_tracking_log(), &[]))
            .await
            .unwrap()
    };
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let (_, body) = send(&s.app, post(legacy_tracking_log(), &[])).await;
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("nothing is claimed"), "{body}");
    assert!(body.get("enqueued").is_none());
}
