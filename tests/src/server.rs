//! The real `pokeco serve`, started in-process on 127.0.0.1 port 0 over a fresh data folder.

use std::net::SocketAddr;
use std::path::Path;

use pokeco::serve::{self, RunningServer, ServeConfig};
use pokeco_testkit::OAI_PREFIX;
use tempfile::TempDir;

/// The tokens every test server runs with.
pub const ADMIN_TOKEN: &str = "e2e-admin-token-of-16+";
pub const INGEST_TOKEN: &str = "e2e-ingest-token-of-16+";
/// The LMS base URL of the test servers' statements.
pub const LMS_URL: &str = "https://lms.example.org";

pub struct TestServer {
    running: Option<RunningServer>,
    // Kept for the server's lifetime: dropping it deletes the embedded store.
    data: TempDir,
}

impl TestServer {
    /// `pokeco serve --demo` with `POKECO_OAI_PAGE_SIZE=page_size`.
    pub async fn demo(page_size: usize) -> Self {
        Self::start(true, page_size, &[]).await
    }

    /// `pokeco serve` over an empty catalog.
    pub async fn empty(page_size: usize) -> Self {
        Self::start(false, page_size, &[]).await
    }

    /// `pokeco serve` tracking every course and syncing every second to the LRS at
    /// `lrs_url`, with `extra` settings on top.
    pub async fn delivering_to(lrs_url: &str, extra: &[(&str, &str)]) -> Self {
        let mut settings = vec![
            ("POKECO_LRS_URL", lrs_url),
            ("POKECO_LRS_USERNAME", "pokeco"),
            ("POKECO_SYNC_EVERY", "1"),
            ("POKECO_TRACKED_COURSES", "*"),
        ];
        settings.extend_from_slice(extra);
        Self::start(false, 100, &settings).await
    }

    async fn start(demo: bool, page_size: usize, settings: &[(&str, &str)]) -> Self {
        let data = match tempfile::Builder::new()
            .prefix("pokeco-e2e-data-")
            .tempdir()
        {
            Ok(dir) => dir,
            Err(e) => panic!("cannot create a data folder for the server: {e}"),
        };
        // An empty value hides the variable from the process environment, so a developer's
        // own POKECO_* settings cannot change what the tests see.
        let overrides = [
            ("POKECO_OAI_PAGE_SIZE", page_size.to_string()),
            ("POKECO_OAI_PREFIX", OAI_PREFIX.to_owned()),
            ("POKECO_BASE_URL", String::new()),
            ("POKECO_TOKEN_SECRET", String::new()),
            ("POKECO_TOKEN_TTL", String::new()),
            ("POKECO_OAI_FINAL_EMPTY_TOKEN", String::new()),
            ("POKECO_ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
            ("POKECO_INGEST_TOKEN", INGEST_TOKEN.to_owned()),
            ("POKECO_LMS_URL", LMS_URL.to_owned()),
            ("POKECO_ECO_HOMEPAGE", String::new()),
            ("POKECO_TRACKED_COURSES", String::new()),
            ("POKECO_LRS_URL", String::new()),
            ("POKECO_LRS_USERNAME", String::new()),
            ("POKECO_LRS_PASSWORD", String::new()),
            ("POKECO_LRS_MODE", String::new()),
            ("POKECO_LRS_TIMEOUT", String::new()),
            ("POKECO_SYNC_BATCH", String::new()),
            ("POKECO_SYNC_MAX", String::new()),
            ("POKECO_SYNC_EVERY", String::new()),
            ("POKECO_ECO_PUSH_URL", String::new()),
            ("POKECO_ECO_PUSH_TIMEOUT", String::new()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .chain(
            settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
        .collect();
        let config = ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data: data.path().to_path_buf(),
            demo,
            overrides,
        };
        match serve::start(config).await {
            Ok(running) => Self {
                running: Some(running),
                data,
            },
            Err(e) => panic!("pokeco serve did not start: {e}"),
        }
    }

    fn running(&self) -> &RunningServer {
        match &self.running {
            Some(running) => running,
            None => panic!("the server was already stopped"),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.running().base_url.clone()
    }

    /// The OAI-PMH endpoint, `http://127.0.0.1:PORT/oai`.
    pub fn oai_url(&self) -> String {
        format!("{}/oai", self.base_url())
    }

    /// The data folder (the embedded store and queue), which operator commands share.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    pub fn demo_courses(&self) -> Option<usize> {
        self.running().demo_courses
    }

    /// Stops the server and waits for it to end.
    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            if let Err(e) = running.stop().await {
                panic!("the server ended with an error: {e}");
            }
        }
    }
}
