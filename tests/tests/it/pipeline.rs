//! The xAPI pipeline end to end, through HTTP: sample events posted to `pokeco serve`'s
//! `/events`, the sync delivering to a real LRS (the strict one, and Ralph), and the faults an
//! LRS and a sync meet, each ending with the LRS holding exactly the expected statements, none
//! twice, nothing lost.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pokeco_core::oai::OaiPrefix;
use pokeco_core::xapi::{EcoProfile, Statement};
use pokeco_e2e::fault_proxy::{Fault, FaultProxy};
use pokeco_e2e::learners::{Learners, HOMEPAGE};
use pokeco_e2e::server::{TestServer, ADMIN_TOKEN, INGEST_TOKEN, LMS_URL};
use pokeco_testkit::eco::EcoBackend;
use pokeco_testkit::events::legacy_events;
use pokeco_testkit::peers::{ralph_lrs, LrsPeer};
use pokeco_testkit::OAI_PREFIX;
use serde_json::{json, Value};

/// The course of the sample events.
const SAMPLES_COURSE: &str = "course-v1:ORG+COURSE+RUN";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn link(server: &TestServer, learners: &Learners) {
    let answer = http()
        .post(format!("{}/admin/links/import", server.base_url()))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(learners.csv())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

async fn post_events(server: &TestServer, body: Vec<u8>, gzip: bool) -> Value {
    let mut request = http()
        .post(format!("{}/events", server.base_url()))
        .bearer_auth(INGEST_TOKEN)
        .header("content-type", "application/x-ndjson");
    if gzip {
        request = request.header("content-encoding", "gzip");
    }
    let answer = request.body(body).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

fn tracking_log() -> Vec<u8> {
    pokeco_testkit::events::legacy_tracking_log().into_bytes()
}

async fn admin_get(server: &TestServer, path: &str) -> Value {
    http()
        .get(format!("{}{path}", server.base_url()))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The statements an LRS holds for the learners.
async fn held(peer: &LrsPeer, learners: &Learners) -> Vec<Value> {
    let mut all = Vec::new();
    for (_, sub) in &learners.links {
        let account = json!({"homePage": format!("{HOMEPAGE}?user={sub}"), "name": sub});
        let agent = json!({"objectType": "Agent", "account": account});
        all.extend(peer.of_agent(&agent).await);
    }
    all
}

/// Waits until `done` holds, for at most `limit`; panics with `what` otherwise.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The LRS holds exactly the expected statements: each id once, with its content.
async fn assert_exactly_delivered(peer: &LrsPeer, learners: &Learners) {
    let want = learners.expected(&legacy_events());
    let start = Instant::now();
    loop {
        let n = held(peer, learners).await.len();
        if n >= want.len() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{n} of {} statements delivered within a minute",
            want.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let got = held(peer, learners).await;
    let mut ids: Vec<&str> = got.iter().map(|s| s["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let want_ids: Vec<&str> = want.keys().map(String::as_str).collect();
    assert_eq!(ids, want_ids, "each expected statement once, no other");
    for stored in &got {
        let expected = serde_json::to_value(&want[stored["id"].as_str().unwrap()]).unwrap();
        for part in ["actor", "verb", "object", "context"] {
            assert_eq!(stored[part], expected[part], "{part} of {}", stored["id"]);
        }
    }
}

fn strict_peer() -> LrsPeer {
    LrsPeer::strict()
}

async fn serve_to(peer: &LrsPeer, url: &str, extra: &[(&str, &str)]) -> TestServer {
    let mut settings = vec![("POKECO_LRS_PASSWORD", peer.password.as_str())];
    settings.extend_from_slice(extra);
    let user = [("POKECO_LRS_USERNAME", peer.username.as_str())];
    settings.extend_from_slice(&user);
    TestServer::delivering_to(url, &settings).await
}

async fn samples_reach(peer: LrsPeer) {
    let server = serve_to(&peer, &peer.url, &[]).await;
    let learners = Learners::new();
    link(&server, &learners).await;
    let report = post_events(&server, tracking_log(), false).await;
    assert_eq!(
        report["enqueued"],
        learners.expected(&legacy_events()).len()
    );
    // The same events again, gzipped: the LRS still holds each statement once.
    let gz = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&tracking_log()).unwrap();
        e.finish().unwrap()
    };
    post_events(&server, gz, true).await;
    assert_exactly_delivered(&peer, &learners).await;
    let status = admin_get(&server, "/admin/delivery").await;
    assert_eq!(status["failed_statements"], 0, "{status}");
    server.stop().await;
}

#[tokio::test]
async fn the_samples_reach_the_strict_lrs_exactly_once() {
    samples_reach(strict_peer()).await;
}

#[tokio::test]
async fn the_samples_reach_ralph_exactly_once() {
    samples_reach(ralph_lrs()).await;
}

/// `host:port` of a peer's URL.
fn authority(url: &str) -> String {
    let parsed = reqwest::Url::parse(url).unwrap();
    format!("{}:{}", parsed.host_str().unwrap(), parsed.port().unwrap())
}

#[tokio::test]
async fn an_lrs_down_failing_or_hanging_loses_and_duplicates_nothing() {
    let peer = strict_peer();
    let proxy = FaultProxy::start(&authority(&peer.url), Fault::Down).await;
    let path = reqwest::Url::parse(&peer.url).unwrap().path().to_owned();
    let server = serve_to(&peer, &proxy.url(&path), &[("POKECO_LRS_TIMEOUT", "1")]).await;
    let learners = Learners::new();
    link(&server, &learners).await;
    post_events(&server, tracking_log(), false).await;

    for fault in [Fault::Down, Fault::Error500, Fault::Hang] {
        proxy.set(fault);
        // Several sync runs meet the fault.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(held(&peer, &learners).await.is_empty(), "{fault:?}");
        let status = admin_get(&server, "/admin/delivery").await;
        let queued = status["queued_messages"].as_u64().unwrap()
            + status["in_flight_messages"].as_u64().unwrap();
        assert!(
            queued > 0,
            "{fault:?}: the statements wait in the queue: {status}"
        );
        assert_eq!(
            status["failed_statements"], 0,
            "{fault:?}: nothing parked as refused"
        );
    }
    proxy.set(Fault::Forward);
    assert_exactly_delivered(&peer, &learners).await;
    server.stop().await;
}

#[tokio::test]
async fn a_refused_statement_is_parked_and_the_others_land() {
    use pokeco_core::queue::{pack, StatementQueue};
    let peer = strict_peer();
    let server = serve_to(&peer, &peer.url, &[]).await;
    let learners = Learners::new();
    let mut statements: Vec<Statement> =
        learners.expected(&legacy_events()).into_values().collect();
    // A statement an older release queued: its extension key is not an IRI, which the
    // strict LRS refuses (400).
    let mut old = statements[0].to_value();
    old["id"] = json!("00000000-0000-5000-8000-0000000000aa");
    let extensions = old["context"]["extensions"].take();
    old["context"]["extensions"] = json!({
        "time_with_millis": extensions.as_object().unwrap().values().next().unwrap()
    });
    let old = Statement::from_value(&old).unwrap();
    statements.insert(3, old.clone());
    let queue = pokeco_local::SqliteQueue::open(
        &server.data_dir().join(pokeco::serve::QUEUE_FILE),
        pokeco::serve::MAX_RECEIVES,
    )
    .unwrap();
    queue.send(&pack(&statements).bodies).await.unwrap();

    assert_exactly_delivered(&peer, &learners).await;
    let failed = admin_get(&server, "/admin/failed").await;
    let failed = failed["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["statement"]["id"], old.id());
    assert_eq!(failed[0]["status"], 400);
    assert!(
        failed[0]["answer"]
            .as_str()
            .unwrap()
            .contains("time_with_millis"),
        "{}",
        failed[0]
    );

    // Redriven, it is refused again and parked again: still one, never lost.
    let redriven = http()
        .post(format!("{}/admin/failed/redrive", server.base_url()))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"ids": [old.id()]}))
        .send()
        .await
        .unwrap();
    assert_eq!(redriven.status(), 200);
    eventually(
        Duration::from_secs(30),
        "refused again after a redrive",
        || async {
            let status = admin_get(&server, "/admin/delivery").await;
            status["failed_statements"] == 1
                && status["queued_messages"] == 0
                && status["in_flight_messages"] == 0
        },
    )
    .await;
    server.stop().await;
}

/// A sync that dies after its POST and before deleting its messages: they come back after
/// their visibility timeout and are delivered again, which the statement ids make harmless.
#[tokio::test]
async fn a_sync_stopped_between_post_and_delete_duplicates_nothing() {
    use async_trait::async_trait;
    use pokeco_core::queue::{pack, Depth, QueueError, QueueResult, Received, StatementQueue};
    use pokeco_core::sync::{SyncService, SyncSettings};

    /// The embedded queue, whose first delete fails as a crash would leave it undone.
    struct CrashOnFirstDelete {
        queue: pokeco_local::SqliteQueue,
        crashed: std::sync::atomic::AtomicBool,
    }

    #[async_trait]
    impl StatementQueue for CrashOnFirstDelete {
        async fn send(&self, bodies: &[String]) -> QueueResult<()> {
            self.queue.send(bodies).await
        }
        async fn receive(&self, max: usize, v: Duration) -> QueueResult<Vec<Received>> {
            self.queue.receive(max, v).await
        }
        async fn delete(&self, receipts: &[String]) -> QueueResult<()> {
            if !self.crashed.swap(true, Ordering::SeqCst) {
                return Err(QueueError::Unavailable("the sync died here".into()));
            }
            self.queue.delete(receipts).await
        }
        async fn depth(&self) -> QueueResult<Depth> {
            self.queue.depth().await
        }
        async fn redrive_dead_letters(&self) -> QueueResult<u64> {
            self.queue.redrive_dead_letters().await
        }
    }

    let peer = strict_peer();
    let learners = Learners::new();
    let queue = Arc::new(CrashOnFirstDelete {
        queue: pokeco_local::SqliteQueue::open_in_memory(5).unwrap(),
        crashed: Default::default(),
    });
    let statements: Vec<Statement> = learners.expected(&legacy_events()).into_values().collect();
    queue.send(&pack(&statements).bodies).await.unwrap();
    let store = Arc::new(pokeco_local::SqliteStore::open_in_memory().unwrap());
    let lrs = pokeco_lrs::HttpLrs::new(pokeco_lrs::Destination {
        url: peer.url.clone(),
        username: Some(peer.username.clone()),
        password: Some(peer.password.clone()),
        mode: pokeco_lrs::Mode::Batch(7),
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let settings = SyncSettings {
        max_statements: 10_000,
        visibility: Duration::from_secs(1),
        round_time: Duration::ZERO,
        eco_push: None,
    };
    let sync = SyncService::new(queue.clone(), store, Arc::new(lrs), settings);
    let soon = || Instant::now() + Duration::from_secs(30);

    let first = sync.run(soon()).await;
    assert!(first.is_err(), "the first run dies after posting");
    assert_eq!(held(&peer, &learners).await.len(), statements.len());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = sync.run(soon()).await.unwrap();
    assert_eq!(second.delivered, statements.len() as u64, "{second:?}");
    assert_eq!(queue.depth().await.unwrap(), Depth::default());
    assert_exactly_delivered(&peer, &learners).await;
}

/// `pokeco replay` on the data folder of a running `pokeco serve`: a log, gzipped, and a copy
/// cut short; then the same log once more, which adds nothing to the LRS.
#[tokio::test]
async fn a_replayed_log_reaches_the_lrs_once_while_the_server_runs() {
    use std::io::Write;
    let peer = strict_peer();
    let server = serve_to(&peer, &peer.url, &[]).await;
    let learners = Learners::new();
    link(&server, &learners).await;
    let dir = tempfile::tempdir().unwrap();
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&tracking_log()).unwrap();
        e.finish().unwrap()
    };
    let whole = dir.path().join("tracking.log.1.gz");
    let cut = dir.path().join("tracking.log.2.gz");
    std::fs::write(&whole, &gz).unwrap();
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();

    let backends = pokeco::backends::open(server.data_dir()).await.unwrap();
    let service = pokeco_core::ingest::IngestService::new(
        backends.catalog,
        backends.pipeline,
        backends.progress,
        backends.queue,
        EcoProfile {
            prefix: OaiPrefix::new(OAI_PREFIX).unwrap(),
            homepage: HOMEPAGE.to_owned(),
            lms_url: LMS_URL.to_owned(),
        },
        ["*".parse().unwrap()].into(),
        pokeco_core::progress::TimeBuckets::DEFAULT,
    );
    let files = [whole.clone(), cut.clone()];
    let summary = pokeco::replay::replay(&service, &files).await.unwrap();
    let want = learners.expected(&legacy_events()).len() as u64;
    assert_eq!(summary.files[0].report.enqueued, want);
    assert!(summary.files[0].unreadable.is_none());
    let cut_report = &summary.files[1];
    assert!(cut_report.unreadable.is_some(), "the cut file is reported");
    assert!(cut_report.report.events > 0, "its complete lines are read");
    assert_exactly_delivered(&peer, &learners).await;

    let again = pokeco::replay::replay(&service, &files[..1]).await.unwrap();
    assert_eq!(again.enqueued, want);
    eventually(
        Duration::from_secs(30),
        "the second replay delivered",
        || async {
            let status = admin_get(&server, "/admin/delivery").await;
            status["queued_messages"] == 0 && status["in_flight_messages"] == 0
        },
    )
    .await;
    assert_exactly_delivered(&peer, &learners).await;
    server.stop().await;
}

/// The push to ECO end to end: after the sync delivers a learner's statements, ECO (its one
/// route, as the contract describes it) is told, polls `users/{sub}/courses` back from the
/// running server, and reads the learner's figures; a learner ECO does not know holds
/// nothing up.
#[tokio::test]
async fn eco_is_told_of_learners_whose_figures_moved_and_reads_them_back() {
    let peer = strict_peer();
    let learners = Learners::new();
    // edX user 1 browses the samples' course; user 42 another, which ECO does not know.
    let (known, stranger) = (&learners.links[1].1, &learners.links[0].1);
    // The server's address is known only once it runs; ECO learns it before the first push.
    let ecoapi = Arc::new(std::sync::OnceLock::new());
    let eco = EcoBackend::start_lazy(&[known.as_str()], Arc::clone(&ecoapi)).await;
    let server = serve_to(
        &peer,
        &peer.url,
        &[
            ("POKECO_ECO_PUSH_URL", &eco.url),
            ("POKECO_ECO_PUSH_TIMEOUT", "1"),
        ],
    )
    .await;
    ecoapi.set(format!("{}/ecoapi", server.base_url())).unwrap();
    link(&server, &learners).await;
    // ECO's list names only courses of the catalog.
    let course = pokeco_core::contract::minimal_course(SAMPLES_COURSE);
    let created = http()
        .post(format!("{}/admin/courses", server.base_url()))
        .bearer_auth(ADMIN_TOKEN)
        .json(&course)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    // Without the unenrollments, which take the course off the learners' lists.
    let staying: String = legacy_events()
        .iter()
        .filter(|e| e["event_type"] != "edx.course.enrollment.deactivated")
        .map(|e| format!("{e}\n"))
        .collect();
    post_events(&server, staying.into_bytes(), false).await;

    eventually(
        Duration::from_secs(60),
        "ECO read the learner back",
        || async { eco.courses(known).is_some() },
    )
    .await;
    let courses = eco.courses(known).unwrap();
    assert_eq!(courses[0]["id"], SAMPLES_COURSE, "{courses}");
    assert!(courses[0]["viewCount"].as_u64().unwrap() > 0, "{courses}");
    assert!(
        eco.calls().contains(stranger),
        "the stranger was announced too"
    );
    // The run ends once the stranger's announcement has timed out, and is recorded then.
    eventually(Duration::from_secs(30), "a run announced both", || async {
        let status = admin_get(&server, "/admin/delivery").await;
        status["sync_runs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["announced"] == 1 && r["unannounced"] == 1)
    })
    .await;
    server.stop().await;
}
