//! The ingest router over the embedded store and queue, with the sample events' users linked
//! and every course tracked; requests go through the router without a socket.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use pokeco_core::catalog::CourseId;
use pokeco_core::ingest::IngestService;
use pokeco_core::oai::OaiPrefix;
use pokeco_core::pipeline::{Link, PipelineStore, Tracked};
use pokeco_core::progress::{group, observe, CourseProgress, ProgressStore, TimeBuckets};
use pokeco_core::queue::{unpack, StatementQueue};
use pokeco_core::secret::BearerToken;
use pokeco_core::store::CatalogStore;
use pokeco_core::xapi::{CourseNames, EcoProfile, EdxEvent, Lookups, Statement};
use pokeco_ingest::{router, IngestState};
use pokeco_local::{SqliteQueue, SqliteStore};
use pokeco_testkit::events::{legacy_events, LINKS, OPENEDX_LINK};
use pokeco_testkit::OAI_PREFIX;
use serde_json::Value;
use std::time::Duration;
use tower::ServiceExt;

pub const TOKEN: &str = "test-ingest-token";

pub fn profile() -> EcoProfile {
    EcoProfile {
        prefix: OaiPrefix::new(OAI_PREFIX).unwrap(),
        homepage: "https://portal.ecolearning.eu".to_owned(),
        lms_url: "https://lms.example.org".to_owned(),
    }
}

pub struct Setup {
    pub store: SqliteStore,
    pub queue: Arc<dyn StatementQueue>,
    pub app: Router,
}

/// Ingest with the sample users linked and `tracked` in the setting.
pub async fn setup_with(tracked: &str, queue: Arc<dyn StatementQueue>) -> Setup {
    setup_full(tracked, queue, Some(TOKEN)).await
}

/// Ingest with no token configured.
pub async fn setup_closed() -> Router {
    let queue = Arc::new(SqliteQueue::open_in_memory(3).unwrap());
    setup_full("*", queue, None).await.app
}

async fn setup_full(tracked: &str, queue: Arc<dyn StatementQueue>, token: Option<&str>) -> Setup {
    let store = SqliteStore::open_in_memory().unwrap();
    let app = app_over(
        Arc::new(store.clone()),
        Arc::new(store.clone()),
        Arc::new(store.clone()),
        Arc::clone(&queue),
        tracked,
        token,
    )
    .await;
    Setup { store, queue, app }
}

/// The router over any stores and queue, with the sample users linked.
pub async fn app_over(
    catalog: Arc<dyn CatalogStore>,
    pipeline: Arc<dyn PipelineStore>,
    progress: Arc<dyn ProgressStore>,
    queue: Arc<dyn StatementQueue>,
    tracked: &str,
    token: Option<&str>,
) -> Router {
    let links: Vec<Link> = LINKS
        .iter()
        .map(|(u, s)| Link {
            edx_user_id: u.parse().unwrap(),
            eco_sub: s.parse().unwrap(),
        })
        .collect();
    pipeline.put_links(&links).await.unwrap();
    let tracked: BTreeSet<Tracked> = tracked
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().unwrap())
        .collect();
    let service = IngestService::new(
        catalog,
        pipeline,
        progress,
        queue,
        profile(),
        tracked,
        TimeBuckets::DEFAULT,
    );
    router(IngestState {
        service,
        token: token.map(|t| BearerToken::new(t).unwrap()),
        on_report: None,
    })
}

pub async fn setup() -> Setup {
    setup_with("*", Arc::new(SqliteQueue::open_in_memory(3).unwrap())).await
}

pub fn post(body: impl Into<Body>, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::post("/events").header("authorization", format!("Bearer {TOKEN}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(body.into()).unwrap()
}

pub async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes)));
    (status, body)
}

/// Every statement waiting in the queue (received, so hidden for a minute, and read).
pub async fn queued(queue: &dyn StatementQueue) -> Vec<Statement> {
    let mut all = Vec::new();
    loop {
        let got = queue.receive(10, Duration::from_secs(60)).await.unwrap();
        if got.is_empty() {
            return all;
        }
        for m in got {
            all.extend(unpack(&m.body).unwrap());
        }
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The statements the profile itself gives for the samples, every course tracked.
pub fn expected() -> BTreeMap<String, Statement> {
    struct Linked(HashMap<&'static str, &'static str>);
    impl Lookups for Linked {
        fn eco_user(&self, u: &str) -> Option<&str> {
            self.0.get(u).copied()
        }
        fn course(&self, _: &CourseId) -> Option<&CourseNames> {
            None
        }
        fn block(&self, _: &CourseId, _: &str) -> Option<String> {
            None
        }
    }
    let lookups = Linked(LINKS.into_iter().collect());
    legacy_events()
        .iter()
        .filter_map(|e| EdxEvent::from_value(e).ok())
        .filter_map(|e| profile().translate(&e, &lookups).ok())
        .map(|s| (s.id().to_owned(), s))
        .collect()
}

/// A statement's course activity (its first parent).
pub fn parent(st: &Statement) -> serde_json::Value {
    st.to_value()["context"]["contextActivities"]["parent"][0].take()
}

/// Every link the progress tests use: the legacy samples' learners and the current shape's.
pub fn progress_links() -> Vec<(&'static str, &'static str)> {
    LINKS.into_iter().chain([OPENEDX_LINK]).collect()
}

/// The states the projection's pure rules give for these lines, every course tracked and
/// [`progress_links`] linked: what the store must hold after ingesting them.
pub fn expected_progress(log: &str) -> BTreeMap<(String, CourseId), CourseProgress> {
    let links: HashMap<&str, &str> = progress_links().into_iter().collect();
    let observed = log
        .lines()
        .filter_map(|line| EdxEvent::parse(line.as_bytes()).ok())
        .filter(|e| e.course_id.is_some())
        .filter_map(|e| observe(&e))
        .filter_map(|o| Some(((*links.get(o.user.as_deref()?)?).to_owned(), o)));
    group(observed, TimeBuckets::DEFAULT)
}

/// What the store holds for every linked learner, keyed as [`expected_progress`].
pub async fn stored_progress(
    store: &dyn ProgressStore,
) -> BTreeMap<(String, CourseId), CourseProgress> {
    let mut all = BTreeMap::new();
    for (_, sub) in progress_links() {
        for (course, state) in store.user_progress(&sub.parse().unwrap()).await.unwrap() {
            all.insert((sub.to_owned(), course), state);
        }
    }
    all
}

/// Links the current shape's learner too.
pub async fn link_openedx_learner(pipeline: &dyn PipelineStore) {
    let (user, sub) = OPENEDX_LINK;
    let link = Link {
        edx_user_id: user.parse().unwrap(),
        eco_sub: sub.parse().unwrap(),
    };
    pipeline.put_links(&[link]).await.unwrap();
}
