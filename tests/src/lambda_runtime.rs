//! A function's real bootstrap run as Lambda runs it: a local Lambda Runtime API (the
//! `2018-06-01` interface a custom runtime polls) on a loopback port, and the bootstrap process
//! started against it with exactly the environment a function configuration gives, plus what
//! Lambda itself sets. Each [`LocalLambda::invoke`] hands one event to the next
//! `GET /runtime/invocation/next` and waits for the `response` (or `error`) the bootstrap posts.
//!
//! The emulator implements what a runtime uses: `invocation/next` (with the
//! `Lambda-Runtime-Aws-Request-Id`, `-Deadline-Ms`, `-Invoked-Function-Arn` and `-Trace-Id`
//! headers), `invocation/{id}/response`, `invocation/{id}/error` and `init/error`. A bootstrap
//! that exits, reports an init error or does not answer in time fails the test with its log.

// Test helpers: a failed expectation panics, as in a test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The variables Lambda sets itself and refuses in a function's configuration
/// (`InvalidParameterValueException: ... reserved keys`).
pub const RESERVED: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// Lambda's bound on a configuration's variables: 4 KB, names and values together.
pub const ENVIRONMENT_LIMIT: usize = 4 * 1024;

/// What a function is, as its deployed configuration says.
#[derive(Clone, Debug)]
pub struct FunctionConfig {
    pub name: String,
    pub arn: String,
    pub memory_mb: u64,
    pub timeout_s: u64,
    /// `Environment.Variables`, exactly as deployed.
    pub variables: BTreeMap<String, String>,
}

/// The AWS the bootstrap talks to: an emulator's endpoint, a region and dummy credentials.
#[derive(Clone, Debug)]
pub struct AwsTarget {
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// How one invocation ended.
#[derive(Debug)]
pub enum Outcome {
    /// The body of `invocation/{id}/response`.
    Response(Bytes),
    /// The body of `invocation/{id}/error` (an error object) and its error-type header.
    Error { kind: String, body: Bytes },
}

struct Invocation {
    id: String,
    event: Bytes,
    deadline_ms: u128,
}

struct Shared {
    function_arn: String,
    next: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: Mutex<Option<String>>,
}

/// A bootstrap process under a local Runtime API. Dropping it kills the process.
pub struct LocalLambda {
    config: FunctionConfig,
    addr: SocketAddr,
    shared: Arc<Shared>,
    queue: mpsc::UnboundedSender<Invocation>,
    child: Mutex<Child>,
    log: PathBuf,
    server: JoinHandle<()>,
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    let mut queue = shared.next.lock().await;
    let Some(invocation) = queue.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("lambda-runtime-aws-request-id", invocation.id.clone());
    set(
        "lambda-runtime-deadline-ms",
        invocation.deadline_ms.to_string(),
    );
    set(
        "lambda-runtime-invoked-function-arn",
        shared.function_arn.clone(),
    );
    set(
        "lambda-runtime-trace-id",
        format!(
            "Root=1-00000000-{:024x};Parent=0000000000000001;Sampled=0",
            invocation.deadline_ms
        ),
    );
    set("content-type", "application/json".to_owned());
    (StatusCode::OK, headers, invocation.event).into_response()
}

fn answer(shared: &Shared, id: &str, outcome: Outcome) -> StatusCode {
    let waiting = shared.waiting.lock().map(|mut w| w.remove(id));
    match waiting {
        Ok(Some(sender)) => {
            let _ = sender.send(outcome);
            StatusCode::ACCEPTED
        }
        // An id handed out and answered already, or never handed out.
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn response(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    answer(&shared, &id, Outcome::Response(body))
}

/// The error type a bootstrap names with its error (empty when it names none).
fn error_type(headers: &HeaderMap) -> &str {
    headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn error(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let kind = error_type(&headers).to_owned();
    answer(&shared, &id, Outcome::Error { kind, body })
}

async fn init_error(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let kind = error_type(&headers);
    if let Ok(mut slot) = shared.init_error.lock() {
        *slot = Some(format!("{kind}: {}", String::from_utf8_lossy(&body)));
    }
    StatusCode::ACCEPTED
}

fn tail(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        let mut bytes = Vec::new();
        if file.read_to_end(&mut bytes).is_ok() {
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

impl LocalLambda {
    /// Starts `bootstrap` under a new Runtime API with `config`'s variables and nothing else of
    /// this process's environment but what Lambda sets. Its output goes to `log`.
    pub async fn start(
        bootstrap: &Path,
        config: FunctionConfig,
        aws: &AwsTarget,
        log: PathBuf,
    ) -> Self {
        for name in config.variables.keys() {
            assert!(
                !RESERVED.contains(&name.as_str()),
                "{}: Lambda refuses the reserved variable {name} in a configuration",
                config.name
            );
        }
        let size: usize = config
            .variables
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum();
        assert!(
            size <= ENVIRONMENT_LIMIT,
            "{}: {size} bytes of variables, over Lambda's {ENVIRONMENT_LIMIT}",
            config.name
        );

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("cannot bind a Runtime API: {e}"));
        let addr = listener.local_addr().unwrap();
        let (queue, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            function_arn: config.arn.clone(),
            next: tokio::sync::Mutex::new(receiver),
            waiting: Mutex::new(HashMap::new()),
            init_error: Mutex::new(None),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });

        if !bootstrap.is_file() {
            panic!(
                "{} is missing: the stack test runs the functions' debug bootstraps, which `cargo \
                 test --workspace` (infra/test) builds; run it so, or name the function packages \
                 with -p beside pokeco-e2e",
                bootstrap.display()
            );
        }
        let out = File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let err = out.try_clone().unwrap();
        let task_root = bootstrap.parent().unwrap_or(Path::new("/"));
        let mut command = Command::new(bootstrap);
        command
            .env_clear()
            .envs(&config.variables)
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &config.name)
            .env(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                config.memory_mb.to_string(),
            )
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", config.name),
            )
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/30/[$LATEST]stacktest",
            )
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
            .env("_HANDLER", "bootstrap")
            .env("LAMBDA_TASK_ROOT", task_root)
            .env("LAMBDA_RUNTIME_DIR", task_root)
            .env("TZ", ":UTC")
            .env("AWS_REGION", &aws.region)
            .env("AWS_DEFAULT_REGION", &aws.region)
            .env("AWS_ACCESS_KEY_ID", &aws.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &aws.secret_access_key)
            .env("AWS_SESSION_TOKEN", "stack-test-session")
            // Not Lambda's: these keep the SDK on the emulator and off any real AWS.
            .env("AWS_ENDPOINT_URL", &aws.endpoint)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .current_dir(task_root)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bootstrap.display()));
        Self {
            config,
            addr,
            shared,
            queue,
            child: Mutex::new(child),
            log,
            server,
        }
    }

    pub fn config(&self) -> &FunctionConfig {
        &self.config
    }

    /// `127.0.0.1:PORT`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn runtime_api(&self) -> SocketAddr {
        self.addr
    }

    /// What the bootstrap printed so far (its JSON log lines).
    pub fn log(&self) -> String {
        tail(&self.log)
    }

    fn failure(&self, what: &str) -> String {
        format!(
            "{} ({}): {what}\n--- its output ---\n{}",
            self.config.name,
            self.log.display(),
            self.log()
        )
    }

    /// Hands `event` to the bootstrap and waits for its answer, for at most the function's
    /// timeout; the deadline header says the same. Panics when the process exits, reports an
    /// init error, or does not answer in time.
    pub async fn invoke(&self, event: &[u8]) -> Outcome {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = format!(
            "00000000-0000-4000-8000-{:012x}",
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let timeout = Duration::from_secs(self.config.timeout_s);
        let (sender, mut receiver) = oneshot::channel();
        self.shared
            .waiting
            .lock()
            .unwrap()
            .insert(id.clone(), sender);
        let sent = self.queue.send(Invocation {
            id: id.clone(),
            event: Bytes::copy_from_slice(event),
            deadline_ms: now_ms() + timeout.as_millis(),
        });
        assert!(
            sent.is_ok(),
            "{}",
            self.failure("the Runtime API is closed")
        );
        let started = Instant::now();
        loop {
            tokio::select! {
                outcome = &mut receiver => {
                    return outcome.unwrap_or_else(|_| panic!("{}", self.failure("no answer")));
                }
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
            if let Some(init) = self.shared.init_error.lock().unwrap().clone() {
                panic!("{}", self.failure(&format!("init error: {init}")));
            }
            if let Ok(Some(status)) = self.child.lock().unwrap().try_wait() {
                panic!(
                    "{}",
                    self.failure(&format!("the bootstrap exited: {status}"))
                );
            }
            if started.elapsed() > timeout {
                panic!(
                    "{}",
                    self.failure(&format!("no answer within the function's {timeout:?}"))
                );
            }
        }
    }
}

impl Drop for LocalLambda {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.server.abort();
    }
}
