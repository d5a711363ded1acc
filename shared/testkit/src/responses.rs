//! Keeps every response body a test receives, so that all of them, errors included, can be
//! validated against the official schemas in one checker run at the end of the test.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use tempfile::TempDir;

use crate::peers::{self, CheckRun};

pub struct Responses {
    dir: TempDir,
    count: AtomicUsize,
}

impl Default for Responses {
    fn default() -> Self {
        Self::new()
    }
}

impl Responses {
    pub fn new() -> Self {
        match tempfile::Builder::new()
            .prefix("pokeco-oai-responses-")
            .tempdir()
        {
            Ok(dir) => Self {
                dir,
                count: AtomicUsize::new(0),
            },
            Err(e) => panic!("cannot create a folder for the response bodies: {e}"),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Stores one body as `NNN-<label>.xml` and returns its path.
    pub fn record(&self, label: &str, body: &[u8]) -> PathBuf {
        let n = self.count.fetch_add(1, Ordering::SeqCst);
        let safe: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(80)
            .collect();
        let path = self.dir.path().join(format!("{n:04}-{safe}.xml"));
        if let Err(e) = std::fs::write(&path, body) {
            panic!("cannot store a response body in {}: {e}", path.display());
        }
        path
    }

    /// Validates every stored body with `infra/checks/validate_oai.py`; panics on any invalid
    /// one, or when nothing was recorded (a test that checked nothing must not pass).
    pub fn validate_all(&self) -> CheckRun {
        if self.count() == 0 {
            panic!("no response was recorded, so nothing was validated");
        }
        let run = peers::validate_oai(&[self.dir.path()]);
        run.assert_success();
        let expected = format!("validate_oai: {} valid, 0 invalid", self.count());
        if !run.stdout.contains(&expected) {
            panic!("expected {expected:?} from the validator:\n{run}");
        }
        run
    }
}
