//! ECO's LRS proxy (`POKECO_LRS_MODE=eco-proxy`): ECO's backend is not something these tests
//! can run, so a server here answers as eco-portal-contract.md §6 and pokeco-legacy.md §B.2
//! describe it: one statement object per request at the configured URL, `{"result": "ok", "id"}`
//! for one it keeps, any other body for one it does not.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use pokeco_core::delivery::deliver;
use pokeco_lrs::{Destination, HttpLrs, Mode};
use serde_json::{json, Value};

use crate::statement;

type Received = Arc<Mutex<Vec<Value>>>;

async fn proxy(State(received): State<Received>, Json(body): Json<Value>) -> Json<Value> {
    received.lock().unwrap().push(body.clone());
    match body["object"]["id"].as_str() {
        Some(id) if !id.ends_with("/refused") => json!({"result": "ok", "id": body["id"]}),
        _ => json!({"result": "error", "message": "Bad request"}),
    }
    .into()
}

#[tokio::test]
async fn one_statement_per_request_at_the_configured_url_and_ok_is_success() {
    let received: Received = Arc::default();
    let app = Router::new()
        .route("/xapi-proxy/queue", post(proxy))
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let lrs = HttpLrs::new(Destination {
        url: format!("http://{addr}/xapi-proxy/queue"),
        username: Some("eco".into()),
        password: Some("secret".into()),
        mode: Mode::EcoProxy,
        timeout: Duration::from_secs(5),
    })
    .unwrap();

    let mut statements: Vec<_> = (0..4).map(|i| statement("eco-proxy", i)).collect();
    statements[2]
        .edit(|v| v["object"]["id"] = "https://lms.example.org/q/refused".into())
        .unwrap();
    let done = deliver(&lrs, &statements).await.unwrap();
    assert_eq!((done.stored, done.refused.len(), done.requests), (3, 1, 4));
    assert_eq!(done.refused[0].statement.id(), statements[2].id());
    assert!(done.refused[0].answer.contains("Bad request"));
    let bodies = received.lock().unwrap().clone();
    assert_eq!(bodies.len(), 4);
    assert!(bodies.iter().all(Value::is_object), "never an array");
    assert_eq!(bodies[0]["id"], statements[0].id());
}
