//! An LRS that is down, answers 500, or hangs past the timeout is unavailable: delivery stops
//! at once and reports it, and nothing is counted as stored or refused.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use pokeco_core::delivery::{deliver, LrsError};

use crate::{lrs, statement};

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/xAPI")
}

fn unavailable<T: std::fmt::Debug>(r: Result<T, LrsError>, what: &str) {
    assert!(matches!(r, Err(LrsError::Unavailable(_))), "{what}: {r:?}");
}

#[tokio::test]
async fn an_lrs_that_is_down_is_unavailable() {
    // A port nothing listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/xAPI", closed.local_addr().unwrap());
    drop(closed);
    let statements = [statement("down", 0)];
    unavailable(
        deliver(&lrs(&url, 10, Duration::from_secs(2)), &statements).await,
        "down",
    );
}

#[tokio::test]
async fn server_errors_and_throttling_are_unavailable() {
    for status in [
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::TOO_MANY_REQUESTS,
        StatusCode::UNAUTHORIZED,
    ] {
        let url =
            serve(Router::new().route("/xAPI/statements", post(move || async move { status })))
                .await;
        let statements = [statement("5xx", 0), statement("5xx", 1)];
        unavailable(
            deliver(&lrs(&url, 10, Duration::from_secs(2)), &statements).await,
            status.as_str(),
        );
    }
}

#[tokio::test]
async fn an_lrs_that_hangs_is_given_up_after_the_timeout() {
    let url = serve(Router::new().route(
        "/xAPI/statements",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK
        }),
    ))
    .await;
    let started = Instant::now();
    let statements = [statement("hang", 0)];
    unavailable(
        deliver(&lrs(&url, 10, Duration::from_secs(1)), &statements).await,
        "hang",
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}
