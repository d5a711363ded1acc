//! ECO's backend as pok-eco's push meets it (eco-portal-contract §5.6), on a loopback port:
//! `POST /updatecourseprogress/{sub}` re-polls the learner's courses from the platform
//! (`GET {ecoapi}/users/{sub}/courses`) and answers `200` with an empty body, for a learner
//! ECO knows; for one it does not know, it never answers. ECO's backend (Node and MongoDB,
//! with its identity provider) cannot run here; this is its one route, as the spec describes it.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use serde_json::Value;

#[derive(Default)]
struct Seen {
    /// Every announcement, in arrival order.
    calls: Vec<String>,
    /// What each known learner's re-poll read, the latest.
    courses: HashMap<String, Value>,
}

struct Backend {
    known: HashSet<String>,
    ecoapi: Arc<OnceLock<String>>,
    http: reqwest::Client,
    seen: Mutex<Seen>,
}

/// The running stand-in; stops with the test's runtime.
#[derive(Clone)]
pub struct EcoBackend {
    pub url: String,
    backend: Arc<Backend>,
}

impl EcoBackend {
    /// ECO knowing these learners; `ecoapi` is the platform's `.../ecoapi` base URL to re-poll
    /// (`None`: answer without re-polling).
    pub async fn start(known: &[&str], ecoapi: Option<String>) -> Self {
        let lock = OnceLock::new();
        if let Some(url) = ecoapi {
            lock.set(url).unwrap();
        }
        Self::start_lazy(known, Arc::new(lock)).await
    }

    /// The same, with the ecoapi base URL set later (once the platform's server runs); until
    /// it is, known learners are answered without re-polling.
    pub async fn start_lazy(known: &[&str], ecoapi: Arc<OnceLock<String>>) -> Self {
        let backend = Arc::new(Backend {
            known: known.iter().map(|s| (*s).to_owned()).collect(),
            ecoapi,
            http: reqwest::Client::new(),
            seen: Mutex::new(Seen::default()),
        });
        let app = Router::new()
            .route("/updatecourseprogress/{sub}", post(update))
            .with_state(Arc::clone(&backend));
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, backend }
    }

    /// Every announcement received, in arrival order.
    pub fn calls(&self) -> Vec<String> {
        self.backend.seen.lock().unwrap().calls.clone()
    }

    /// What the re-poll of a known learner read last.
    pub fn courses(&self, sub: &str) -> Option<Value> {
        self.backend.seen.lock().unwrap().courses.get(sub).cloned()
    }
}

async fn update(State(backend): State<Arc<Backend>>, Path(sub): Path<String>) -> StatusCode {
    backend.seen.lock().unwrap().calls.push(sub.clone());
    if !backend.known.contains(&sub) {
        // ECO's handler finds no user and never ends the response.
        std::future::pending::<()>().await;
    }
    if let Some(ecoapi) = backend.ecoapi.get() {
        let courses: Value = backend
            .http
            .get(format!("{ecoapi}/users/{sub}/courses"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        backend.seen.lock().unwrap().courses.insert(sub, courses);
    }
    StatusCode::OK
}
