//! Shared set-up of the OAI-PMH tests: a catalog in an in-memory store, settings, and
//! requests through the router without a socket.

pub use pokeco_testkit::{xml, OAI_PREFIX as PREFIX};

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use pokeco_core::catalog::{Course, OaiSet, Teacher};
use pokeco_core::oai::{OaiPrefix, OaiSettings, TokenKey};
use pokeco_core::store::CatalogStore;
use pokeco_core::Datestamp;
use pokeco_local::SqliteStore;
use pokeco_oai_pmh::{router, OaiState};
use serde_json::json;
use tower::ServiceExt;

pub fn settings(page_size: usize) -> OaiSettings {
    OaiSettings {
        repository_name: "pok-eco test".into(),
        base_url: Some("http://127.0.0.1:8765/oai".into()),
        admin_email: "admin@pok.example.org".into(),
        prefix: OaiPrefix::new(PREFIX).unwrap(),
        token_key: TokenKey::new(b"a test secret of enough length").unwrap(),
        token_ttl: 3600,
        page_size,
        final_empty_token: false,
    }
}

pub fn ds(s: &str) -> Datestamp {
    s.parse().unwrap()
}

pub fn course(id: &str, sets: &[&str]) -> Course {
    serde_json::from_value(json!({
        "course_id": id,
        "title": {"en": format!("Course {id}"), "it": format!("Corso {id} à")},
        "description": {"en": "A description with <markup> & \"quotes\"."},
        "languages": ["en", "it"],
        "url": format!("https://pok.example.org/courses/{id}/about"),
        "organizers": ["Politecnico di Milano"],
        "teachers": ["0b7d4c52-3f6e-4a51-9c1e-2a9f8e6d4b10"],
        "interest_area": "ECO:ES",
        "start": "2024-09-16T00:00:00Z",
        "sets": sets,
    }))
    .unwrap()
}

pub fn teacher() -> Teacher {
    serde_json::from_value(json!({
        "id": "0b7d4c52-3f6e-4a51-9c1e-2a9f8e6d4b10",
        "first_name": "Maria", "last_name": "Rossi",
        "descriptions": {"en": "Maria Rossi teaches."}
    }))
    .unwrap()
}

/// Seven courses, one hour apart from 2024-01-01T00:00:00Z, the fifth deleted at 10:00, in
/// sets `EcoBase`, `a`, `a:b` and `ab`.
pub async fn catalog() -> Arc<SqliteStore> {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    for (spec, name) in [
        ("EcoBase", "ECO core"),
        ("a", "A"),
        ("a:b", "A, B"),
        ("ab", "AB"),
    ] {
        store
            .put_set(OaiSet {
                spec: spec.parse().unwrap(),
                name: name.into(),
            })
            .await
            .unwrap();
    }
    store.put_teacher(teacher()).await.unwrap();
    let sets: [&[&str]; 7] = [
        &["EcoBase"],
        &["a"],
        &["a:b"],
        &["ab"],
        &["EcoBase", "a"],
        &[],
        &["a:b", "EcoBase"],
    ];
    for (i, sets) in sets.iter().enumerate() {
        let at = Datestamp::from_unix(ds("2024-01-01T00:00:00Z").unix() + 3600 * i as i64).unwrap();
        store
            .put_course(course(&format!("course-v1:Org+C{i}+2024"), sets), at)
            .await
            .unwrap();
    }
    store
        .delete_course(
            &"course-v1:Org+C4+2024".parse().unwrap(),
            ds("2024-01-01T10:00:00Z"),
        )
        .await
        .unwrap();
    store
}

/// The clock of every test router: a fixed second, so two answers to one request are equal
/// byte for byte, tokens included.
pub fn now() -> Datestamp {
    ds("2026-11-27T04:00:00Z")
}

pub fn app_with(store: Arc<dyn CatalogStore>, settings: OaiSettings) -> Router {
    router(OaiState {
        store,
        settings: Arc::new(settings),
        now,
    })
}

pub async fn app(page_size: usize) -> Router {
    app_with(catalog().await, settings(page_size))
}

pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    pub fn root(&self) -> xml::Element {
        xml::parse(&self.body)
    }

    /// The OAI error code, if the answer is an error.
    pub fn error(&self) -> Option<String> {
        self.root()
            .descendants("error")
            .first()
            .and_then(|e| e.attr("code").map(String::from))
    }

    pub fn texts(&self, local: &str) -> Vec<String> {
        self.root()
            .descendants(local)
            .iter()
            .map(|e| e.text())
            .collect()
    }

    pub fn token(&self) -> Option<xml::Element> {
        self.root()
            .descendants("resumptionToken")
            .first()
            .map(|e| (*e).clone())
    }

    /// The `<request>` element's attributes.
    pub fn request_attrs(&self) -> Vec<(String, String)> {
        self.root().descendants("request")[0].attrs.clone()
    }
}

pub async fn send(app: &Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        content_type,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

pub async fn get(app: &Router, query: &str) -> Answer {
    send(
        app,
        Request::get(format!("/oai?{query}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

pub async fn post(app: &Router, form: &str) -> Answer {
    let req = Request::post("/oai")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap();
    send(app, req).await
}
