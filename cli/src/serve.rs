//! `pokeco serve`: every function's router on one port (OAI-PMH, admin, ingest), over the
//! embedded SQLite store and queue in the data folder, and the sync every `POKECO_SYNC_EVERY`
//! seconds against the configured LRS; the settings and defaults of catalog.md.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use pokeco_admin::AdminState;
use pokeco_core::access::EcoapiAccess;
use pokeco_core::catalog::CatalogService;
use pokeco_core::config::{self, ConfigError, Fallbacks};
use pokeco_core::delivery::LrsError;
use pokeco_core::ingest::IngestService;
use pokeco_core::pipeline::PipelineService;
use pokeco_core::queue::QueueError;
use pokeco_core::store::{CatalogStore, StoreError};
use pokeco_core::structure::StructureService;
use pokeco_core::sync::SyncService;
use pokeco_ecoapi::{CourseFactsCache, EcoapiState};
use pokeco_ingest::IngestState;
use pokeco_local::{SqliteQueue, SqliteStore};
use pokeco_lrs::HttpLrs;
use pokeco_oai_pmh::OaiState;
use rand::RngCore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
pub const DEFAULT_DATA: &str = ".pokeco";
pub const DEFAULT_OAI_PREFIX: &str = "oai:pok.example.org:";
/// The embedded catalog's file in the data folder (the pipeline's state lives there too).
pub const CATALOG_FILE: &str = "catalog.sqlite";
/// The embedded statement queue's file in the data folder.
pub const QUEUE_FILE: &str = "queue.sqlite";
/// Receives after which a message becomes a dead letter (SQS's maxReceiveCount, the
/// template's default): a run that finds the LRS down has received one message.
pub const MAX_RECEIVES: u32 = 50;
/// The LMS base URL when POKECO_LMS_URL is unset: an Open edX devstack.
pub const DEFAULT_LMS_URL: &str = "http://localhost:18000";

pub struct ServeConfig {
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub demo: bool,
    /// `POKECO_*` values that win over the process environment (flags, tests).
    pub overrides: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot use the data folder {path}: {source}")]
    Data {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the embedded store failed: {0}")]
    Store(#[from] StoreError),
    #[error("the embedded queue failed: {0}")]
    Queue(#[from] QueueError),
    #[error("cannot set up the LRS client: {0}")]
    Lrs(#[from] LrsError),
    #[error("cannot set up the ECO push client: {0}")]
    EcoPush(#[from] reqwest::Error),
    #[error("loading the demo catalog failed: {0}")]
    Demo(#[from] crate::demo::DemoError),
}

/// A server running in the background of this process.
pub struct RunningServer {
    pub addr: SocketAddr,
    /// `http://<addr>`, or POKECO_BASE_URL when set.
    pub base_url: String,
    pub admin_token: String,
    /// Whether the admin token was generated for this run (and so must be shown once).
    pub admin_token_generated: bool,
    pub ingest_token: String,
    pub ingest_token_generated: bool,
    /// The LRS statements are delivered to; `None` keeps them queued.
    pub lrs_url: Option<String>,
    pub demo_courses: Option<usize>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    sync: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// Stops accepting, finishes in-flight requests, and waits for the server to end.
    pub async fn stop(mut self) -> std::io::Result<()> {
        // A sync stopped between its POST and its delete only delivers those statements
        // again on the next start: their ids make that harmless.
        if let Some(sync) = self.sync.take() {
            sync.abort();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.await.map_err(std::io::Error::other)?
    }

    /// Waits until the server ends (it ends on its own only on an I/O error).
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// The settings: `overrides` first (an empty value hides the variable), then the process
/// environment.
fn lookup(overrides: &[(String, String)]) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| {
        match overrides.iter().rev().find(|(k, _)| k == name) {
            Some((_, v)) => Some(v.clone()),
            None => config::process_env(name),
        }
        .filter(|v| !v.trim().is_empty())
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// The resumption-token secret of this data folder: generated once and kept, so tokens
/// survive a restart.
fn token_secret(data: &Path) -> Result<Vec<u8>, ServeError> {
    let path = data.join("token-secret");
    let io = |source| ServeError::Data {
        path: path.clone(),
        source,
    };
    // Only a missing file is replaced: rewriting an unreadable or edited one would
    // silently end every harvest in progress.
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => Ok(s.trim().as_bytes().to_vec()),
        Ok(_) => Err(io(std::io::Error::other(
            "token-secret holds fewer than 32 characters",
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = random_hex(32);
            write_private(&path, &secret).map_err(io)?;
            Ok(secret.into_bytes())
        }
        Err(e) => Err(io(e)),
    }
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(content.as_bytes())
}

/// Every function's router, as they are mounted in template.yaml. Unknown routes answer
/// the admin router's JSON 404.
pub fn app(oai: OaiState, admin: AdminState, ingest: IngestState, ecoapi: EcoapiState) -> Router {
    Router::new()
        .merge(pokeco_oai_pmh::router(oai))
        .merge(pokeco_ingest::router(ingest))
        .merge(pokeco_ecoapi::router(ecoapi))
        .merge(pokeco_admin::router(admin))
}

/// A token from the settings, or a new one for this run (and whether it is new).
fn token_or_generate(value: Option<String>) -> (String, bool) {
    match value {
        Some(t) => (t, false),
        None => (random_hex(24), true),
    }
}

/// Runs the sync every `every` (runs never overlap); a run drains for about a minute at most,
/// the next one goes on.
fn spawn_sync(service: SyncService, every: Duration, round_time: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let deadline = Instant::now() + round_time + Duration::from_secs(60);
            match service.run(deadline).await {
                Ok(report) if report.messages > 0 || report.stopped.is_some() => {
                    tracing::info!(
                        delivered = report.delivered,
                        refused = report.refused,
                        requests = report.requests,
                        stopped = report.stopped.as_deref(),
                        announced = report.announced,
                        unannounced = report.unannounced,
                        "sync run"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "sync run failed"),
            }
        }
    })
}

/// Opens the store, loads the demo if asked, binds and starts serving in the background.
pub async fn start(config: ServeConfig) -> Result<RunningServer, ServeError> {
    let data = config.data.clone();
    std::fs::create_dir_all(&data).map_err(|source| ServeError::Data {
        path: data.clone(),
        source,
    })?;
    let env = lookup(&config.overrides);
    let sqlite = SqliteStore::open(&data.join(CATALOG_FILE))?;
    let store: Arc<dyn CatalogStore> = Arc::new(sqlite.clone());
    let queue = Arc::new(SqliteQueue::open(&data.join(QUEUE_FILE), MAX_RECEIVES)?);

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: config.listen,
        source,
    })?;

    let token_secret = match env("POKECO_TOKEN_SECRET") {
        Some(_) => None,
        None => Some(token_secret(&data)?),
    };
    let settings = config::oai_settings(
        &env,
        Fallbacks {
            base_url: Some(format!("http://{addr}")),
            oai_prefix: Some(DEFAULT_OAI_PREFIX.to_owned()),
            token_secret,
            ..Fallbacks::default()
        },
    )?;
    let base_url = match &settings.base_url {
        Some(url) => url.trim_end_matches("/oai").to_owned(),
        None => format!("http://{addr}"),
    };

    let (admin_token, admin_token_generated) = token_or_generate(env("POKECO_ADMIN_TOKEN"));
    let (ingest_token, ingest_token_generated) = token_or_generate(env("POKECO_INGEST_TOKEN"));
    let ingest_settings = config::ingest_settings(
        &env,
        Fallbacks {
            oai_prefix: Some(DEFAULT_OAI_PREFIX.to_owned()),
            lms_url: Some(DEFAULT_LMS_URL.to_owned()),
            ingest_token: Some(ingest_token.clone()),
            ..Fallbacks::default()
        },
    )?;
    let (lrs, sync_settings) = config::sync_settings(&env, Fallbacks::default())?;
    let announcer = pokeco_lrs::EcoPush::announcer(sync_settings.eco_push.as_ref())?;
    let sync_every = config::sync_every(&env)?;
    let admin_settings = config::admin_settings(
        &env,
        Fallbacks {
            oai_prefix: Some(DEFAULT_OAI_PREFIX.to_owned()),
            admin_token: Some(admin_token.clone()),
            ..Fallbacks::default()
        },
    )?;
    let ecoapi_settings = config::ecoapi_settings(
        &env,
        Fallbacks {
            oai_prefix: Some(DEFAULT_OAI_PREFIX.to_owned()),
            ..Fallbacks::default()
        },
    )?;
    // With no mode set, learners' figures answer this machine only.
    let ecoapi_access = match ecoapi_settings.access {
        EcoapiAccess::Closed => EcoapiAccess::loopback(),
        chosen => chosen,
    };
    let ecoapi = EcoapiState {
        catalog: Arc::clone(&store),
        delivery: Some(PipelineService::new(
            Arc::new(sqlite.clone()),
            queue.clone(),
            BTreeSet::new(),
        )),
        access: ecoapi_access,
        structures: StructureService::new(
            Arc::clone(&store),
            Arc::new(sqlite.clone()),
            ecoapi_settings.prefix,
        ),
        progress: Arc::new(sqlite.clone()),
        buckets: ecoapi_settings.buckets,
        facts: CourseFactsCache::default(),
    };
    let catalog = CatalogService::new(Arc::clone(&store), admin_settings.prefix.clone());
    let structure = StructureService::new(
        Arc::clone(&store),
        Arc::new(sqlite.clone()),
        admin_settings.prefix,
    );
    let demo_courses = if config.demo {
        Some(crate::demo::load(&catalog, &structure, &base_url).await?)
    } else {
        None
    };
    let pipeline = PipelineService::new(
        Arc::new(sqlite.clone()),
        queue.clone(),
        ingest_settings.tracked.clone(),
    );
    let admin = AdminState {
        catalog,
        structure,
        pipeline,
        token: admin_settings.token,
    };
    let ingest = IngestState {
        service: IngestService::new(
            Arc::clone(&store),
            Arc::new(sqlite.clone()),
            Arc::new(sqlite.clone()),
            queue.clone(),
            ingest_settings.profile,
            ingest_settings.tracked,
            ingest_settings.buckets,
        )
        .with_structures(Arc::new(sqlite.clone())),
        token: ingest_settings.token,
        on_report: None,
    };
    if config.demo {
        crate::demo::learner(&admin.pipeline, &ingest.service).await?;
    }
    let lrs_url = lrs.as_ref().map(|l| l.url.clone());
    let sync = match lrs {
        Some(lrs) => {
            let lrs = Arc::new(HttpLrs::new(pokeco_lrs::Destination::from(&lrs))?);
            let round_time = sync_settings.round_time;
            let service = SyncService::new(queue, Arc::new(sqlite), lrs, sync_settings)
                .with_announcer(announcer);
            Some(spawn_sync(service, sync_every, round_time))
        }
        None => None,
    };
    let oai = OaiState::new(store, settings);
    let (tx, rx) = oneshot::channel::<()>();
    let mut router = app(oai, admin, ingest, ecoapi);
    if config.demo {
        router = router.merge(crate::demo::images());
    }
    let task = tokio::spawn(async move {
        // The peer's address is what the ecoapi's network access mode checks.
        let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, service)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    Ok(RunningServer {
        addr,
        base_url,
        admin_token,
        admin_token_generated,
        ingest_token,
        ingest_token_generated,
        lrs_url,
        demo_courses,
        shutdown: Some(tx),
        task,
        sync,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pokeco-serve-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_token_secret_is_generated_once_and_kept() {
        let dir = scratch("keep");
        let first = token_secret(&dir).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(token_secret(&dir).unwrap(), first);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_token_secret_is_refused_not_replaced() {
        let dir = scratch("short");
        std::fs::write(dir.join("token-secret"), "short").unwrap();
        assert!(matches!(token_secret(&dir), Err(ServeError::Data { .. })));
        assert_eq!(
            std::fs::read_to_string(dir.join("token-secret")).unwrap(),
            "short"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
