//! The test peers that `infra/test` prepares. The external checkers of `infra/checks`, run as
//! subprocesses: `POKECO_TEST_VENV` (the Python virtualenv with lxml and Sickle) and
//! `POKECO_TEST_NODE` (the folder whose node_modules holds xmldom 0.1.27). The real LRSs:
//! `POKECO_TEST_STRICT_LRS` and `POKECO_TEST_RALPH_LRS` (with its credentials).
//!
//! When a variable is missing the helpers panic: these tests must run through `infra/test`,
//! and a peer-backed test that silently passes without its peer proves nothing.

use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const VENV_VAR: &str = "POKECO_TEST_VENV";
pub const NODE_VAR: &str = "POKECO_TEST_NODE";

/// Long enough for a full harvest on a busy 2-core machine; short enough that a hung checker
/// fails the run instead of stalling CI.
const CHECK_TIMEOUT: Duration = Duration::from_secs(180);

fn required_dir(var: &str, marker: &str) -> PathBuf {
    let Some(value) = std::env::var_os(var).filter(|v| !v.is_empty()) else {
        panic!(
            "{var} is not set. The peer-backed tests need the checkers that infra/test installs: \
             run the tests through infra/test (it sets {var}); they are never skipped."
        );
    };
    let dir = PathBuf::from(value);
    if !dir.join(marker).exists() {
        panic!(
            "{var}={} has no {marker}: run infra/test, which installs it",
            dir.display()
        );
    }
    dir
}

fn required_var(var: &str, peer: &str) -> String {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!(
            "{var} is not set. These tests need {peer}, which infra/test starts: run the tests \
             through infra/test (it sets {var}); they are never skipped."
        ),
    }
}

/// The xAPI base URL of the strict LRS that `infra/test` starts (Learning Locker's statements
/// service, in memory): `POKECO_TEST_STRICT_LRS`. It takes any Basic credentials.
pub fn strict_lrs() -> String {
    required_var("POKECO_TEST_STRICT_LRS", "the strict LRS")
}

/// A real LRS to deliver to: its xAPI base URL and the Basic credentials it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LrsPeer {
    pub url: String,
    pub username: String,
    pub password: String,
}

/// Ralph LRS as `infra/test` starts it (fs backend, empty at the start of each run, lax
/// validation): `POKECO_TEST_RALPH_LRS`, `POKECO_TEST_RALPH_USER`,
/// `POKECO_TEST_RALPH_PASSWORD`.
pub fn ralph_lrs() -> LrsPeer {
    LrsPeer {
        url: required_var("POKECO_TEST_RALPH_LRS", "Ralph LRS"),
        username: required_var("POKECO_TEST_RALPH_USER", "Ralph LRS's user"),
        password: required_var("POKECO_TEST_RALPH_PASSWORD", "Ralph LRS's password"),
    }
}

impl LrsPeer {
    /// The strict LRS (it takes any Basic credentials).
    pub fn strict() -> Self {
        Self {
            url: strict_lrs(),
            username: "pokeco".to_owned(),
            password: "any".to_owned(),
        }
    }

    /// An xAPI GET on `url`; `None` for a 404.
    async fn get(&self, url: reqwest::Url) -> Option<serde_json::Value> {
        let answer = reqwest::Client::new()
            .get(url.clone())
            .basic_auth(&self.username, Some(&self.password))
            .header("X-Experience-API-Version", "1.0.3")
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        match answer.status().as_u16() {
            200 => Some(
                answer
                    .json()
                    .await
                    .unwrap_or_else(|e| panic!("GET {url}: {e}")),
            ),
            404 => None,
            status => panic!(
                "GET {url}: {status} {}",
                answer.text().await.unwrap_or_default()
            ),
        }
    }

    fn statements_url(&self, query: &[(&str, &str)]) -> reqwest::Url {
        reqwest::Url::parse_with_params(&format!("{}/statements", self.url), query)
            .unwrap_or_else(|e| panic!("{}: {e}", self.url))
    }

    /// Every copy of the statement `id` the LRS holds. GET `?statementId=` answers the bare
    /// statement or 404 on the strict LRS; Ralph wraps it in a StatementResult, empty when
    /// unknown.
    pub async fn held(&self, id: &str) -> Vec<serde_json::Value> {
        match self.get(self.statements_url(&[("statementId", id)])).await {
            None => Vec::new(),
            Some(serde_json::Value::Object(mut result)) if result.contains_key("statements") => {
                match result.remove("statements") {
                    Some(serde_json::Value::Array(statements)) => statements,
                    other => panic!("a StatementResult without statements: {other:?}"),
                }
            }
            Some(statement) => vec![statement],
        }
    }

    /// Every statement of `agent` the LRS holds, following `more`.
    pub async fn of_agent(&self, agent: &serde_json::Value) -> Vec<serde_json::Value> {
        let agent = agent.to_string();
        let mut url = self.statements_url(&[("agent", agent.as_str()), ("limit", "100")]);
        let mut all = Vec::new();
        loop {
            let page = self.get(url.clone()).await.unwrap_or_default();
            if let Some(statements) = page["statements"].as_array() {
                all.extend(statements.iter().cloned());
            }
            match page["more"].as_str() {
                // `more` is a path (and query) on the LRS's host.
                Some(more) if !more.is_empty() => {
                    url = url
                        .join(more)
                        .unwrap_or_else(|e| panic!("more {more}: {e}"));
                }
                _ => return all,
            }
        }
    }
}

/// The Python virtualenv of the test peers (`POKECO_TEST_VENV`).
pub fn venv() -> PathBuf {
    required_dir(VENV_VAR, "bin/python")
}

/// The Node folder of the test peers (`POKECO_TEST_NODE`), with xmldom installed.
pub fn node_dir() -> PathBuf {
    required_dir(NODE_VAR, "node_modules/xmldom/package.json")
}

fn check_script(name: &str) -> PathBuf {
    crate::repo_root().join("infra").join("checks").join(name)
}

/// What one checker run did.
#[derive(Debug)]
pub struct CheckRun {
    pub command: String,
    /// The exit code; `None` when the process was ended by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl CheckRun {
    pub fn succeeded(&self) -> bool {
        self.code == Some(0)
    }

    /// Panics, showing everything the checker printed, unless it exited 0.
    pub fn assert_success(&self) -> &Self {
        if !self.succeeded() {
            panic!("checker failed, expected success:\n{self}");
        }
        self
    }

    /// Panics unless the checker reported a failure (exit 1) whose output mentions `needle`.
    pub fn assert_failure_mentioning(&self, needle: &str) -> &Self {
        if self.code != Some(1) {
            panic!("checker should have failed (exit 1) mentioning {needle:?}:\n{self}");
        }
        if !self.stderr.contains(needle) && !self.stdout.contains(needle) {
            panic!("checker failed, but without mentioning {needle:?}:\n{self}");
        }
        self
    }
}

impl fmt::Display for CheckRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "$ {}", self.command)?;
        writeln!(f, "exit code: {:?}", self.code)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

fn read_back(mut file: File) -> String {
    let mut text = String::new();
    // A checker that printed invalid UTF-8 still gets its output shown, lossily.
    let mut bytes = Vec::new();
    if file.seek(SeekFrom::Start(0)).is_ok() && file.read_to_end(&mut bytes).is_ok() {
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    text
}

fn scratch_file() -> File {
    match tempfile::tempfile() {
        Ok(file) => file,
        Err(e) => panic!("cannot create a temporary file for a checker's output: {e}"),
    }
}

fn stdio_of(file: &File) -> Stdio {
    match file.try_clone() {
        Ok(clone) => Stdio::from(clone),
        Err(e) => panic!("cannot share a temporary file with a checker: {e}"),
    }
}

/// Runs `program args...` with a time limit. Output goes to files, not pipes, so a chatty
/// checker can never block on a full pipe while we wait for it.
fn run(program: &Path, args: &[OsString]) -> CheckRun {
    let command = std::iter::once(program.as_os_str())
        .chain(args.iter().map(OsString::as_os_str))
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let (out, err) = (scratch_file(), scratch_file());
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdio_of(&out))
        .stderr(stdio_of(&err))
        .spawn()
    {
        Ok(child) => child,
        Err(e) => panic!("cannot start `{command}`: {e}"),
    };
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > CHECK_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`{command}` did not finish within {CHECK_TIMEOUT:?}; killed it. Output so far:\n{}\n{}",
                    read_back(out),
                    read_back(err)
                );
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("cannot wait for `{command}`: {e}"),
        }
    };
    CheckRun {
        command,
        code: status.code(),
        stdout: read_back(out),
        stderr: read_back(err),
    }
}

fn python(script: &str, args: Vec<OsString>) -> CheckRun {
    let interpreter = venv().join("bin").join("python");
    let mut all = vec![check_script(script).into_os_string()];
    all.extend(args);
    run(&interpreter, &all)
}

/// Validates OAI-PMH documents (files, or folders of `*.xml`) offline against the official
/// schemas with `infra/checks/validate_oai.py`.
pub fn validate_oai<P: AsRef<Path>>(paths: &[P]) -> CheckRun {
    python(
        "validate_oai.py",
        paths
            .iter()
            .map(|p| p.as_ref().as_os_str().to_owned())
            .collect(),
    )
}

/// What a harvest checker is asked to find: at least so many pages, exactly so many records.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    min_pages: Option<u32>,
    count: Option<usize>,
}

impl Expect {
    fn args(&self) -> Vec<OsString> {
        let mut args = Vec::new();
        if let Some(pages) = self.min_pages {
            args.extend(["--min-pages".into(), pages.to_string().into()]);
        }
        if let Some(count) = self.count {
            args.extend(["--expect-count".into(), count.to_string().into()]);
        }
        args
    }
}

/// The expectations every harvest checker takes.
pub trait HarvestCheck: Sized {
    fn expect(&mut self) -> &mut Expect;

    fn min_pages(mut self, pages: u32) -> Self {
        self.expect().min_pages = Some(pages);
        self
    }

    /// The exact number of records, deleted ones included.
    fn expect_count(mut self, count: usize) -> Self {
        self.expect().count = Some(count);
        self
    }
}

/// A full harvest with Sickle (`infra/checks/harvest_sickle.py`): ListRecords, then
/// ListIdentifiers, following every token the protocol's way.
#[derive(Debug, Clone)]
pub struct SickleHarvest {
    base_url: String,
    prefix: String,
    expect: Expect,
    set: Option<String>,
    post: bool,
}

impl HarvestCheck for SickleHarvest {
    fn expect(&mut self) -> &mut Expect {
        &mut self.expect
    }
}

impl SickleHarvest {
    /// `base_url` is the OAI endpoint itself, e.g. `http://127.0.0.1:PORT/oai`.
    pub fn new(base_url: &str, prefix: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            prefix: prefix.to_owned(),
            expect: Expect::default(),
            set: None,
            post: false,
        }
    }

    pub fn set(mut self, spec: &str) -> Self {
        self.set = Some(spec.to_owned());
        self
    }

    /// Sends form-encoded POST requests instead of GET.
    pub fn post(mut self) -> Self {
        self.post = true;
        self
    }

    pub fn run(&self) -> CheckRun {
        let mut args: Vec<OsString> =
            vec![self.base_url.clone().into(), self.prefix.clone().into()];
        args.extend(self.expect.args());
        if let Some(set) = &self.set {
            args.extend(["--set".into(), set.clone().into()]);
        }
        if self.post {
            args.push("--post".into());
        }
        python("harvest_sickle.py", args)
    }
}

/// A harvest the way ECO's own harvester does it (`infra/checks/eco_harvest.mjs`, xmldom
/// 0.1.27), checking every record against ECO's requirements.
#[derive(Debug, Clone)]
pub struct EcoHarvest {
    base_url: String,
    expect: Expect,
}

impl HarvestCheck for EcoHarvest {
    fn expect(&mut self) -> &mut Expect {
        &mut self.expect
    }
}

impl EcoHarvest {
    /// `base_url` is the OAI endpoint itself, e.g. `http://127.0.0.1:PORT/oai`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            expect: Expect::default(),
        }
    }

    pub fn run(&self) -> CheckRun {
        // The script finds xmldom through POKECO_TEST_NODE, inherited from our environment;
        // check it first so that a missing install fails with the clear message.
        node_dir();
        let mut args: Vec<OsString> = vec![
            check_script("eco_harvest.mjs").into_os_string(),
            self.base_url.clone().into(),
        ];
        args.extend(self.expect.args());
        run(Path::new("node"), &args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "run the tests through infra/test")]
    fn a_missing_peer_variable_panics_instead_of_skipping() {
        required_dir("POKECO_TEST_SURELY_NEVER_SET", "bin/python");
    }

    #[test]
    #[should_panic(expected = "run the tests through infra/test")]
    fn a_missing_lrs_variable_panics_instead_of_skipping() {
        required_var("POKECO_TEST_SURELY_NEVER_SET", "an LRS");
    }

    #[test]
    #[should_panic(expected = "has no bin/python")]
    fn a_peer_variable_pointing_at_nothing_panics() {
        let dir = tempfile::tempdir().unwrap();
        std::env::set_var("POKECO_TEST_FAKE_VENV_FOR_UNIT_TEST", dir.path());
        required_dir("POKECO_TEST_FAKE_VENV_FOR_UNIT_TEST", "bin/python");
    }

    #[test]
    fn run_reports_exit_code_and_both_streams() {
        let result = run(
            Path::new("sh"),
            &["-c".into(), "echo out; echo err >&2; exit 3".into()],
        );
        assert_eq!(result.code, Some(3));
        assert_eq!(result.stdout, "out\n");
        assert_eq!(result.stderr, "err\n");
        assert!(!result.succeeded());
    }
}
