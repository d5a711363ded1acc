//! An HTTP proxy in front of the AWS emulator that records every call going through it: the
//! service and action (from `X-Amz-Target`, the JSON protocols DynamoDB, SQS and SSM speak)
//! and the request's JSON body. Each function of the stack test gets its own, as its
//! `AWS_ENDPOINT_URL`, so what a function called can be held against what its role allows.
//! Requests and answers pass unchanged.

// Test helpers: a failed expectation panics, as in a test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use tokio::task::JoinHandle;

/// One call: `dynamodb:Query`, with its request body.
#[derive(Clone, Debug)]
pub struct Call {
    /// The IAM service prefix: `dynamodb`, `sqs`, `ssm`, or what the target names.
    pub service: String,
    /// The API action, e.g. `Query`, `SendMessageBatch`, `GetParameter`.
    pub action: String,
    pub body: Value,
}

struct Shared {
    upstream: String,
    client: reqwest::Client,
    calls: Mutex<Vec<Call>>,
}

pub struct AwsRecorder {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

/// `DynamoDB_20120810.Query` → (`dynamodb`, `Query`).
fn service_action(headers: &HeaderMap) -> (String, String) {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (prefix, action) = target.split_once('.').unwrap_or(("", target));
    let service = match prefix {
        p if p.starts_with("DynamoDB") => "dynamodb",
        "AmazonSQS" => "sqs",
        "AmazonSSM" => "ssm",
        other => other,
    };
    (service.to_owned(), action.to_owned())
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let (service, action) = service_action(&parts.headers);
    shared.calls.lock().unwrap().push(Call {
        service,
        action,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut upstream = shared
        .client
        .request(parts.method.clone(), format!("{}{path}", shared.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        if !matches!(
            name.as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding"
        ) {
            upstream = upstream.header(name, value);
        }
    }
    match upstream.send().await {
        Ok(answer) => {
            let status = answer.status();
            let mut headers = answer.headers().clone();
            headers.remove("content-length");
            headers.remove("transfer-encoding");
            headers.remove("connection");
            let bytes: Bytes = answer.bytes().await.unwrap_or_default();
            (status, headers, Body::from(bytes)).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

impl AwsRecorder {
    /// A recording proxy on a loopback port 0 in front of `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Self {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
            calls: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("cannot bind the AWS recorder: {e}"));
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .fallback(forward)
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, task }
    }

    /// `http://127.0.0.1:PORT`, to give as `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap().clone()
    }
}

impl Drop for AwsRecorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}
