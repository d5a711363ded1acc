//! Shared set-up of the admin tests: the router over an in-memory store, requests without a
//! socket, and the catalog documents they write.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use pokeco_admin::{router, AdminState};
use pokeco_core::catalog::CatalogService;
use pokeco_core::oai::OaiPrefix;
use pokeco_core::pipeline::PipelineService;
use pokeco_core::secret::BearerToken;
use pokeco_core::structure::StructureService;
use pokeco_local::{SqliteQueue, SqliteStore};
pub use pokeco_testkit::OAI_PREFIX as PREFIX;
use serde_json::{json, Value};
use tower::ServiceExt;

pub const TOKEN: &str = "test-admin-token";
pub const TEACHER: &str = "0b7d4c52-3f6e-4a51-9c1e-2a9f8e6d4b10";
pub const COURSE: &str = "course-v1:PoliMi+ECO101+2024_T1";

/// The course POKECO_TRACKED_COURSES names in these tests.
pub const TRACKED_BY_SETTING: &str = "course-v1:Org+FromSetting+1";

pub fn state(token: Option<&str>) -> AdminState {
    let store = SqliteStore::open_in_memory().unwrap();
    let queue = Arc::new(SqliteQueue::open_in_memory(3).unwrap());
    state_over(token, store, queue)
}

/// The admin state over a given store and queue, which the test also reads and writes.
pub fn state_over(token: Option<&str>, store: SqliteStore, queue: Arc<SqliteQueue>) -> AdminState {
    let prefix = OaiPrefix::new(PREFIX).unwrap();
    AdminState {
        catalog: CatalogService::new(Arc::new(store.clone()), prefix.clone()),
        structure: StructureService::new(Arc::new(store.clone()), Arc::new(store.clone()), prefix),
        pipeline: PipelineService::new(
            Arc::new(store),
            queue,
            [TRACKED_BY_SETTING.parse().unwrap()].into(),
        ),
        token: token.map(|t| BearerToken::new(t).unwrap()),
    }
}

pub fn app_with(token: Option<&str>) -> Router {
    router(state(token))
}

pub fn app() -> Router {
    app_with(Some(TOKEN))
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn problem_paths(&self) -> Vec<&str> {
        self.body["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["path"].as_str().unwrap())
            .collect()
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "{status}: not JSON ({e}): {:?}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    Answer {
        status,
        headers,
        body,
    }
}

pub fn request(
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

pub async fn call(app: &Router, method: Method, uri: &str, body: Option<&Value>) -> Answer {
    send(app, request(method, uri, Some(TOKEN), body)).await
}

/// The example course of catalog.md.
pub fn course() -> Value {
    serde_json::from_str(&pokeco_testkit::test_text("course-eco101.json")).unwrap()
}

pub fn teacher() -> Value {
    json!({"id": TEACHER, "first_name": "Maria", "last_name": "Rossi",
        "descriptions": {"en": "Maria Rossi teaches ...", "it": "Maria Rossi insegna ..."}})
}

/// An app holding the set EcoBase and the teacher the example course names.
pub async fn seeded() -> Router {
    let app = app();
    let set = json!({"spec": "EcoBase", "name": "ECO core project MOOC"});
    assert_eq!(
        call(&app, Method::PUT, "/admin/sets/EcoBase", Some(&set))
            .await
            .status,
        201
    );
    let uri = format!("/admin/teachers/{TEACHER}");
    assert_eq!(
        call(&app, Method::PUT, &uri, Some(&teacher())).await.status,
        201
    );
    app
}

pub fn course_uri(id: &str) -> String {
    let encoded: String = id
        .replace('%', "%25")
        .replace('/', "%2F")
        .replace('+', "%2B");
    format!("/admin/courses/{encoded}")
}
