//! The xAPI pipeline benchmarks: four figures, printed and never asserted.
//!
//! * `translate`: raw tracking-log line in, statement JSON out (parse, ECO profile, serialize)
//!   on one core, over the legacy sample events; with valgrind, instructions per event.
//! * `ingest`: `POST /events` end to end on a separate `pokeco serve` (embedded SQLite queue),
//!   NDJSON batches from a few concurrent clients; events/s and the server's peak RSS.
//! * `delivery`: `pokeco sync` draining queued statements into the strict LRS (Learning
//!   Locker's statements service) beside the LRS's own ceiling for the same batch size.
//! * `cost`: a model of the AWS bill per 10 million events, from the request counts and sizes
//!   one run makes.
//!
//! `cargo build --release -p pokeco && cargo run --release -p pokeco --bin pokeco-bench-xapi -- <figure>`

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The same allocator as `pokeco serve`, so the in-process figures match the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use pokeco::bench::{cpu_time, free_port, peak_rss_kib, pokeco_exe, Running};
use pokeco_core::catalog::{CourseId, Lang, LangMap};
use pokeco_core::config::DEFAULT_ECO_HOMEPAGE;
use pokeco_core::ingest::{line_events, read_body, BodyLimits, Encoding};
use pokeco_core::oai::OaiPrefix;
use pokeco_core::queue::{pack, StatementQueue, MAX_MESSAGE_BYTES};
use pokeco_core::xapi::{CourseNames, EcoProfile, Lookups, Statement, XAPI_VERSION};
use pokeco_local::SqliteQueue;
use serde_json::Value;

type AnyError = Box<dyn std::error::Error>;

#[derive(Parser)]
#[command(about = "Benchmarks of the xAPI pipeline (figures printed, never asserted)")]
struct Args {
    #[command(subcommand)]
    figure: Figure,
}

#[derive(Subcommand)]
enum Figure {
    /// Line in, statement JSON out, on one core; instructions per event under callgrind.
    Translate(TranslateArgs),
    /// POST /events end to end on `pokeco serve`.
    Ingest(IngestArgs),
    /// `pokeco sync` into the strict LRS beside the LRS's own ceiling.
    Delivery(DeliveryArgs),
    /// The AWS bill per 10 million events.
    Cost(CostArgs),
    /// The four figures, one after the other, with their defaults.
    All,
}

#[derive(clap::Args)]
struct TranslateArgs {
    /// Seconds of the throughput loop.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Events of the shorter callgrind run (its start-up cancels out against the longer one).
    #[arg(long, default_value_t = 10_000)]
    n1: u64,
    /// Events of the longer callgrind run.
    #[arg(long, default_value_t = 60_000)]
    n2: u64,
    /// Skip the callgrind runs.
    #[arg(long)]
    no_valgrind: bool,
    /// Keep the callgrind output of the longer run here (for `callgrind_annotate`).
    #[arg(long)]
    keep_callgrind: Option<PathBuf>,
    /// Translate exactly this many events and exit (what runs under callgrind).
    #[arg(long, hide = true)]
    count: Option<u64>,
}

#[derive(clap::Args)]
struct IngestArgs {
    /// Events posted in all.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Events per request (NDJSON lines).
    #[arg(long, default_value_t = 1_000)]
    batch: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
}

#[derive(clap::Args)]
struct DeliveryArgs {
    /// Statements queued for each batch size but 1.
    #[arg(long, default_value_t = 100_000)]
    statements: usize,
    /// Statements queued for batch size 1 (a few hundred a second: the full count would take
    /// many minutes).
    #[arg(long, default_value_t = 10_000)]
    statements_one: usize,
    /// Batch sizes (POKECO_SYNC_BATCH), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,100,500")]
    batches: Vec<usize>,
    /// Runs of each measurement (ceiling and sync alternate, each on a fresh LRS); the
    /// figures are medians, the RSS the largest.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
}

#[derive(clap::Args)]
struct CostArgs {
    /// Distinct edX users in one 1 000-event request (links read by BatchGetItem).
    #[arg(long, default_value_t = 250)]
    users_per_request: u64,
    /// Distinct linked courses in one request (one GetItem each).
    #[arg(long, default_value_t = 10)]
    courses_per_request: u64,
    /// Distinct blocks of a learner's progress state in a course (its DynamoDB item holds their
    /// usage keys, and a write is billed on the whole item).
    #[arg(long, default_value_t = 100)]
    blocks_per_state: u64,
    /// Distinct active time windows of a learner's progress state (5 minutes each by default).
    #[arg(long, default_value_t = 200)]
    buckets_per_state: u64,
    /// Statements per second the LRS takes from one sync run (Lambda bills the waiting):
    /// about the strict LRS's ceiling at batch 100 that `delivery` measures.
    #[arg(long, default_value_t = 1_000.0)]
    lrs_rate: f64,
}

fn main() -> Result<(), AnyError> {
    let args = Args::parse();
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    match args.figure {
        Figure::Translate(a) => translate(&a),
        Figure::Ingest(a) => runtime()?.block_on(ingest(&a)),
        Figure::Delivery(a) => runtime()?.block_on(delivery(&a)),
        Figure::Cost(a) => cost(&a),
        Figure::All => {
            translate(&TranslateArgs {
                seconds: 3.0,
                n1: 10_000,
                n2: 60_000,
                no_valgrind: false,
                keep_callgrind: None,
                count: None,
            })?;
            println!();
            runtime()?.block_on(ingest(&IngestArgs {
                events: 1_000_000,
                batch: 1_000,
                clients: 4,
            }))?;
            println!();
            runtime()?.block_on(delivery(&DeliveryArgs {
                statements: 100_000,
                statements_one: 10_000,
                batches: vec![1, 100, 500],
                repeat: 1,
            }))?;
            println!();
            cost(&CostArgs {
                users_per_request: 250,
                courses_per_request: 10,
                blocks_per_state: 100,
                buckets_per_state: 200,
                lrs_rate: 1_000.0,
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The sample events, the profile and its lookups.

/// The repository root (this crate lives in `<root>/cli`).
fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Every legacy sample event (`testdata/edx-events/legacy`), in the order of INDEX.json.
fn samples() -> Result<Vec<Value>, AnyError> {
    let dir = repo_root().join("testdata/edx-events/legacy");
    let index: Vec<Value> = serde_json::from_slice(&std::fs::read(dir.join("INDEX.json"))?)?;
    index
        .iter()
        .map(|entry| {
            let file = entry["file"]
                .as_str()
                .ok_or("an INDEX entry without file")?;
            Ok(serde_json::from_slice(&std::fs::read(dir.join(file))?)?)
        })
        .collect()
}

/// The samples as tracking.log holds them: one compact JSON object per line.
fn sample_lines() -> Result<Vec<String>, AnyError> {
    Ok(samples()?.iter().map(Value::to_string).collect())
}

/// The profile as `pokeco serve` builds it with its defaults.
fn profile() -> Result<EcoProfile, AnyError> {
    Ok(EcoProfile {
        prefix: OaiPrefix::new(pokeco::serve::DEFAULT_OAI_PREFIX)?,
        homepage: DEFAULT_ECO_HOMEPAGE.to_owned(),
        lms_url: pokeco::serve::DEFAULT_LMS_URL.to_owned(),
    })
}

/// The edX users of the samples and their ECO identities.
const LINKS: [(&str, &str); 2] = [
    ("42", "5a1b2c3d4e5f60718293a4b5"),
    ("1", "000000000000000000000001"),
];

/// Small in-memory maps: the samples' two users linked, every course titled.
struct BenchLookups {
    users: HashMap<String, String>,
    names: CourseNames,
}

impl BenchLookups {
    fn new() -> Result<Self, AnyError> {
        let text = |pairs: [(&str, &str); 2]| -> Result<LangMap, AnyError> {
            pairs
                .iter()
                .map(|(lang, text)| Ok((lang.parse::<Lang>()?, (*text).to_owned())))
                .collect()
        };
        Ok(Self {
            users: LINKS
                .iter()
                .map(|(u, s)| ((*u).to_owned(), (*s).to_owned()))
                .collect(),
            names: CourseNames {
                title: text([
                    ("en", "Introduction to Open Education & MOOCs"),
                    ("it", "Introduzione all'educazione aperta"),
                ])?,
                description: text([
                    (
                        "en",
                        "Open licences, MOOC design and assessment, in twelve lessons.",
                    ),
                    (
                        "it",
                        "Licenze aperte, progettazione e valutazione dei MOOC.",
                    ),
                ])?,
            },
        })
    }
}

impl Lookups for BenchLookups {
    fn eco_user(&self, edx_user_id: &str) -> Option<&str> {
        self.users.get(edx_user_id).map(String::as_str)
    }

    fn course(&self, _id: &CourseId) -> Option<&CourseNames> {
        Some(&self.names)
    }

    fn block(&self, _course: &CourseId, _url_name: &str) -> Option<String> {
        None
    }
}

/// One raw line in, the statements' JSON out; returns how many statements and bytes.
fn translate_line(line: &[u8], profile: &EcoProfile, lookups: &BenchLookups) -> (u64, u64) {
    let (mut statements, mut bytes) = (0, 0);
    for event in line_events(line).into_iter().flatten() {
        if let Ok(statement) = profile.translate(&event, lookups) {
            statements += 1;
            bytes += std::hint::black_box(statement.json()).len() as u64;
        }
    }
    (statements, bytes)
}

/// The statements of `lines` (in order; lines that give none are skipped).
fn statements_of<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    profile: &EcoProfile,
    lookups: &BenchLookups,
) -> Vec<Statement> {
    lines
        .into_iter()
        .flat_map(|line| line_events(line.as_bytes()))
        .flatten()
        .filter_map(|event| profile.translate(&event, lookups).ok())
        .collect()
}

/// The samples with their time replaced, so that every generated event (and statement) is a
/// new one: line `i` is sample `i % samples` at a time that encodes `i`.
struct Generator {
    /// Each sample cut at its time value: what comes before, what comes after.
    templates: Vec<(String, String)>,
}

const TIME_MARK: &str = "@@POKECO-TIME@@";

impl Generator {
    fn new() -> Result<Self, AnyError> {
        let templates = samples()?
            .into_iter()
            .map(|mut sample| {
                let key = if sample.get("time").is_some() {
                    "time"
                } else {
                    "timestamp"
                };
                sample[key] = Value::String(TIME_MARK.to_owned());
                let line = sample.to_string();
                line.split_once(TIME_MARK)
                    .map(|(head, tail)| (head.to_owned(), tail.to_owned()))
                    .ok_or_else(|| AnyError::from("a sample without a time"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { templates })
    }

    /// Appends line `i` (with its `\n`).
    fn line(&self, i: u64, out: &mut String) {
        let (head, tail) = &self.templates[(i % self.templates.len() as u64) as usize];
        out.push_str(head);
        let (micros, seconds) = (i % 1_000_000, i / 1_000_000);
        let _ = write!(
            out,
            "2016-11-07T{:02}:{:02}:{:02}.{micros:06}+00:00",
            9 + seconds / 3600 % 12,
            seconds / 60 % 60,
            seconds % 60
        );
        out.push_str(tail);
        out.push('\n');
    }

    /// An NDJSON body of lines `start..start + n`.
    fn body(&self, start: u64, n: u64) -> String {
        let mut body = String::with_capacity(n as usize * 1_100);
        for i in start..start + n {
            self.line(i, &mut body);
        }
        body
    }

    /// `n` distinct statements, from as many generated lines as it takes.
    fn statements(&self, n: usize, profile: &EcoProfile, lookups: &BenchLookups) -> Vec<Statement> {
        let mut out = Vec::with_capacity(n);
        let mut line = String::new();
        let mut i = 0;
        while out.len() < n {
            line.clear();
            self.line(i, &mut line);
            out.extend(statements_of([line.trim_end()], profile, lookups));
            i += 1;
        }
        out.truncate(n);
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Processes: the server, the LRS, /proc.

fn mb(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "unknown (no /proc)".to_owned(),
        |k| format!("{:.1} MB", k as f64 / 1024.0),
    )
}

/// Polls `url` until it answers 2xx.
async fn wait_ready(client: &reqwest::Client, url: &str, what: &str) -> Result<(), AnyError> {
    let start = Instant::now();
    loop {
        if let Ok(r) = client.get(url).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if start.elapsed() > Duration::from_secs(60) {
            return Err(format!("{what} did not start").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A scratch folder removed when the benchmark ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Result<Self, AnyError> {
        let dir =
            std::env::temp_dir().join(format!("pokeco-bench-xapi-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// 1. translate

fn translate(args: &TranslateArgs) -> Result<(), AnyError> {
    let lines = sample_lines()?;
    let profile = profile()?;
    let lookups = BenchLookups::new()?;
    if let Some(n) = args.count {
        // Under callgrind: exactly n events, cycling over the samples.
        let mut statements = 0;
        for i in 0..n {
            let line = &lines[(i % lines.len() as u64) as usize];
            statements += translate_line(line.as_bytes(), &profile, &lookups).0;
        }
        println!("{n} events, {statements} statements");
        return Ok(());
    }

    let pass = |out: &mut (u64, u64)| {
        for line in &lines {
            let (s, b) = translate_line(line.as_bytes(), &profile, &lookups);
            out.0 += s;
            out.1 += b;
        }
    };
    let mut one = (0, 0);
    pass(&mut one);
    let (per_pass_statements, per_pass_bytes) = one;
    // Warm-up, then rounds of ~50 ms; the median round is the figure (a noisy clock).
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(300) {
        pass(&mut (0, 0));
    }
    let mut per_round = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..per_round {
            pass(&mut (0, 0));
        }
        if t.elapsed() > Duration::from_millis(50) {
            break;
        }
        per_round *= 2;
    }
    let (mut rates, mut events, start) = (Vec::new(), 0u64, Instant::now());
    while start.elapsed().as_secs_f64() < args.seconds {
        let t = Instant::now();
        for _ in 0..per_round {
            pass(&mut (0, 0));
        }
        let n = per_round * lines.len() as u64;
        events += n;
        rates.push(n as f64 / t.elapsed().as_secs_f64());
    }
    let total = start.elapsed();
    rates.sort_by(f64::total_cmp);
    let median = rates.get(rates.len() / 2).copied().unwrap_or_default();
    let ratio = per_pass_statements as f64 / lines.len() as f64;

    println!(
        "translate (line -> EdxEvent -> ECO statement -> JSON), one core, {} sample events:",
        lines.len()
    );
    println!(
        "  statements per event        {ratio:.3} ({per_pass_statements} of {})",
        lines.len()
    );
    println!(
        "  mean statement JSON         {:.0} bytes",
        per_pass_bytes as f64 / per_pass_statements.max(1) as f64
    );
    println!(
        "  events                      {events} in {total:.2?} ({} rounds)",
        rates.len()
    );
    println!("  events/s                    {median:.0} (median round; target >= 500 000)");
    println!("  statements/s                {:.0}", median * ratio);
    println!("  time per event              {:.2} us", 1e6 / median);

    if args.no_valgrind {
        return Ok(());
    }
    if Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .map(|s| !s.success())
        .unwrap_or(true)
    {
        println!("  instructions per event      unknown (valgrind not found)");
        return Ok(());
    }
    if args.n2 <= args.n1 {
        return Err("--n2 must be larger than --n1".into());
    }
    let scratch = Scratch::new("callgrind")?;
    let i1 = callgrind(args.n1, &scratch.0)?;
    let i2 = callgrind(args.n2, &scratch.0)?;
    let per_event = (i2 as f64 - i1 as f64) / (args.n2 - args.n1) as f64;
    println!(
        "  callgrind: {} events {i1} Ir, {} events {i2} Ir",
        args.n1, args.n2
    );
    println!(
        "  instructions per event      {per_event:.0} ((I(n2) - I(n1)) / (n2 - n1); target < 10 000)"
    );
    println!(
        "  instructions per statement  {:.0}",
        per_event / ratio.max(f64::MIN_POSITIVE)
    );
    if let Some(dir) = &args.keep_callgrind {
        std::fs::create_dir_all(dir)?;
        let kept = dir.join(format!("callgrind.out.{}", args.n2));
        std::fs::copy(scratch.0.join(format!("callgrind.{}", args.n2)), &kept)?;
        println!("  kept {}", kept.display());
    }
    Ok(())
}

/// Instructions (Ir) of `translate --count n` under callgrind.
fn callgrind(n: u64, dir: &Path) -> Result<u64, AnyError> {
    let out = dir.join(format!("callgrind.{n}"));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(std::env::current_exe()?)
        .args(["translate", "--count", &n.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("valgrind failed ({status})").into());
    }
    let text = std::fs::read_to_string(&out)?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("no totals in {}", out.display()).into())
}

// ---------------------------------------------------------------------------------------------
// 2. ingest

const INGEST_TOKEN: &str = "bench-ingest-token-0123456789";
const ADMIN_TOKEN: &str = "bench-admin-token-0123456789";

async fn ingest(args: &IngestArgs) -> Result<(), AnyError> {
    let generator = Arc::new(Generator::new()?);
    let scratch = Scratch::new("ingest")?;
    let port = free_port()?;
    let server = Running(
        Command::new(pokeco_exe()?)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
            .arg(&scratch.0)
            .env("POKECO_INGEST_TOKEN", INGEST_TOKEN)
            .env("POKECO_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("POKECO_TRACKED_COURSES", "*")
            .env_remove("POKECO_LRS_URL")
            .env_remove("POKECO_TABLE")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()?,
    );
    let pid = server.0.id();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_ready(
        &client,
        &format!("{base}/oai?verb=Identify"),
        "pokeco serve",
    )
    .await?;

    let mut csv = String::from("user_id,uid\n");
    for (user, sub) in LINKS {
        let _ = writeln!(csv, "{user},{sub}");
    }
    let linked = client
        .post(format!("{base}/admin/links/import"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;

    let batch = args.batch.max(1);
    let requests = args.events.div_ceil(batch);
    let next = Arc::new(AtomicU64::new(0));
    let rss_before = peak_rss_kib(pid);
    let cpu_before = cpu_time(pid);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.clients.max(1) {
        let (client, next, generator) = (client.clone(), next.clone(), generator.clone());
        let (url, events) = (format!("{base}/events"), args.events);
        tasks.push(tokio::spawn(async move {
            let mut enqueued = 0u64;
            let mut last: Option<(u64, Value)> = None;
            loop {
                let r = next.fetch_add(1, Ordering::Relaxed);
                if r >= requests {
                    break;
                }
                let first = r * batch;
                let body = generator.body(first, batch.min(events - first));
                let answer = client
                    .post(&url)
                    .bearer_auth(INGEST_TOKEN)
                    .header("content-type", "application/x-ndjson")
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = answer.status();
                let text = answer.text().await.map_err(|e| e.to_string())?;
                if !status.is_success() {
                    return Err(format!("POST /events answered {status}: {text}"));
                }
                let report: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                enqueued += report["enqueued"].as_u64().unwrap_or(0);
                if last.as_ref().is_none_or(|(n, _)| r > *n) {
                    last = Some((r, report));
                }
            }
            Ok::<_, String>((enqueued, last))
        }));
    }
    let (mut enqueued, mut last): (u64, Option<(u64, Value)>) = (0, None);
    for task in tasks {
        let (e, l) = task.await??;
        enqueued += e;
        if let Some((r, report)) = l {
            if last.as_ref().is_none_or(|(n, _)| r > *n) {
                last = Some((r, report));
            }
        }
    }
    let total = start.elapsed();
    let cpu = cpu_time(pid)
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let rss = peak_rss_kib(pid);
    let depth: Value = client
        .get(format!("{base}/admin/delivery"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await?
        .json()
        .await?;
    drop(server);
    let queue_bytes = std::fs::metadata(scratch.0.join(pokeco::serve::QUEUE_FILE))
        .map(|m| m.len())
        .unwrap_or(0);

    println!(
        "ingest (POST /events on pokeco serve, SQLite queue, {} clients, {} events/request):",
        args.clients, batch
    );
    println!("  links imported              {}", linked.trim());
    println!("  events                      {}", args.events);
    println!("  requests                    {requests}");
    println!("  total                       {total:.2?} (wall, clients included)");
    println!(
        "  events/s                    {:.0}",
        args.events as f64 / total.as_secs_f64()
    );
    match cpu {
        Some(cpu) => println!(
            "  server CPU                  {cpu:.2?} ({:.1} ms per request, user + system)",
            cpu.as_secs_f64() * 1e3 / requests as f64
        ),
        None => println!("  server CPU                  unknown (no /proc)"),
    }
    println!(
        "  server peak RSS             {} (after start-up: {})",
        mb(rss),
        mb(rss_before)
    );
    println!("  statements enqueued         {enqueued}");
    println!(
        "  queue after                 {} messages, {:.0} MB on disk",
        depth["queued_messages"],
        queue_bytes as f64 / 1e6
    );
    if let Some((_, report)) = last {
        println!(
            "  last answer                 events {} enqueued {} duplicates {} rejected {} skipped {}",
            report["events"],
            report["enqueued"],
            report["duplicates"],
            report["rejected"],
            report["skipped"]
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 3. delivery

/// The strict LRS on `port`, its logs in `logs`.
fn start_lrs(port: u16, logs: &Path) -> Result<Running, AnyError> {
    let server = repo_root().join("infra/node/node_modules/xapi-statements/dist/server.js");
    if !server.exists() {
        return Err(format!("{} not found (npm install in infra/node)", server.display()).into());
    }
    Ok(Running(
        Command::new("node")
            .arg(server)
            .env("AUTH_REPO", "test")
            .env("EVENTS_REPO", "test")
            .env("MODELS_REPO", "memory")
            .env("STORAGE_REPO", "memory")
            .env("EXPRESS_PORT", port.to_string())
            .env("EXPRESS_MORGAN_DIRECTORY", logs)
            .env("WINSTON_CONSOLE_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    ))
}

/// A fresh strict LRS, ready; its xAPI base URL.
async fn fresh_lrs(logs: &Path) -> Result<(Running, String), AnyError> {
    let port = free_port()?;
    let lrs = start_lrs(port, logs)?;
    let base = format!("http://127.0.0.1:{port}/xAPI");
    wait_ready(
        &reqwest::Client::new(),
        &format!("{base}/about"),
        "the strict LRS",
    )
    .await?;
    Ok((lrs, base))
}

/// The LRS's ceiling: pre-built arrays POSTed one after the other over one kept-alive
/// connection; statements per second.
async fn ceiling(base: &str, bodies: Vec<Vec<u8>>, statements: usize) -> Result<f64, AnyError> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()?;
    let url = format!("{base}/statements");
    let start = Instant::now();
    for body in bodies {
        let answer = client
            .post(&url)
            .header("X-Experience-API-Version", XAPI_VERSION)
            .header("content-type", "application/json")
            .basic_auth("bench", Some("bench"))
            .body(body)
            .send()
            .await?;
        let status = answer.status();
        let text = answer.text().await?;
        if !status.is_success() {
            return Err(format!("the LRS answered {status}: {text}").into());
        }
    }
    Ok(statements as f64 / start.elapsed().as_secs_f64())
}

/// What one `pokeco sync` run did.
struct SyncRun {
    wall: Duration,
    report: Value,
    peak_rss_kib: Option<u64>,
}

/// Runs `pokeco sync` on `data` against `lrs` and waits for it.
fn run_sync(data: &Path, lrs: &str, batch: usize) -> Result<SyncRun, AnyError> {
    let pokeco = pokeco_exe()?;
    // GNU time reads the child's peak RSS from wait4 (ru_maxrss), without unsafe code here.
    let gnu_time = Path::new("/usr/bin/time");
    let rss_file = data.join("rss.txt");
    let mut command = if gnu_time.exists() {
        let mut c = Command::new(gnu_time);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(&pokeco);
        c
    } else {
        Command::new(&pokeco)
    };
    command
        .arg("sync")
        .env("POKECO_DATA", data)
        .env("POKECO_LRS_URL", lrs)
        .env("POKECO_SYNC_BATCH", batch.to_string())
        .env("POKECO_LRS_USERNAME", "bench")
        .env("POKECO_LRS_PASSWORD", "bench")
        .env("RUST_LOG", "warn")
        .env_remove("POKECO_TABLE")
        .env_remove("POKECO_QUEUE_URL")
        .env_remove("POKECO_LRS_MODE")
        .stdout(Stdio::piped());
    let start = Instant::now();
    let child = command.spawn()?;
    let out = child.wait_with_output()?;
    let wall = start.elapsed();
    let report: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("pokeco sync printed no report ({}): {e}", out.status))?;
    let peak_rss_kib = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.lines().last()?.trim().parse().ok());
    Ok(SyncRun {
        wall,
        report,
        peak_rss_kib,
    })
}

async fn delivery(args: &DeliveryArgs) -> Result<(), AnyError> {
    let most = args
        .batches
        .iter()
        .map(|b| {
            if *b == 1 {
                args.statements_one
            } else {
                args.statements
            }
        })
        .max()
        .unwrap_or(0);
    let t = Instant::now();
    let statements = Generator::new()?.statements(most, &profile()?, &BenchLookups::new()?);
    println!(
        "built {} distinct statements in {:.2?}",
        statements.len(),
        t.elapsed()
    );
    let scratch = Scratch::new("delivery")?;
    let logs = scratch.0.join("lrs-logs");
    std::fs::create_dir_all(&logs)?;

    let mut rows = Vec::new();
    for &batch in &args.batches {
        let n = if batch == 1 {
            args.statements_one
        } else {
            args.statements
        };
        let statements = &statements[..n];
        let (mut ceilings, mut rates, mut peak, mut last) = (Vec::new(), Vec::new(), None, None);
        for round in 0..args.repeat.max(1) {
            // The ceiling, on a fresh LRS.
            let bodies = statements
                .chunks(batch.max(1))
                .map(serde_json::to_vec)
                .collect::<Result<Vec<_>, _>>()?;
            let (lrs, base) = fresh_lrs(&logs).await?;
            ceilings.push(ceiling(&base, bodies, n).await?);
            drop(lrs);

            // The sync, on another fresh LRS, from a queue filled beforehand.
            let data = scratch.0.join(format!("data-{batch}-{round}"));
            std::fs::create_dir_all(&data)?;
            {
                let queue = SqliteQueue::open(
                    &data.join(pokeco::serve::QUEUE_FILE),
                    pokeco::serve::MAX_RECEIVES,
                )?;
                queue.send(&pack(statements).bodies).await?;
            }
            let (lrs, base) = fresh_lrs(&logs).await?;
            // Blocking is fine: nothing else runs on this runtime meanwhile.
            let run = run_sync(&data, &base, batch)?;
            drop(lrs);
            let _ = std::fs::remove_dir_all(&data);
            let delivered = run.report["delivered"].as_u64().unwrap_or(0);
            if delivered != n as u64 || run.report["refused"].as_u64().unwrap_or(0) > 0 {
                println!("  warning: batch {batch}: the sync reported {}", run.report);
            }
            rates.push(delivered as f64 / run.wall.as_secs_f64());
            peak = peak.max(run.peak_rss_kib);
            last = Some(run.report);
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or_default()
        };
        let requests = last.map(|r| r["requests"].clone()).unwrap_or_default();
        rows.push((batch, n, requests, peak, median(rates), median(ceilings)));
    }

    println!(
        "delivery (pokeco sync -> strict LRS on loopback, one kept-alive connection each; {} run(s), medians):",
        args.repeat.max(1)
    );
    println!(
        "  {:>5}  {:>10}  {:>9}  {:>12}  {:>14}  {:>6}  {:>13}",
        "batch",
        "statements",
        "requests",
        "sync stmt/s",
        "ceiling stmt/s",
        "ratio",
        "sync peak RSS"
    );
    for (batch, n, requests, peak, rate, ceiling) in &rows {
        println!(
            "  {batch:>5}  {n:>10}  {requests:>9}  {rate:>12.0}  {ceiling:>14.0}  {:>5.0}%  {:>13}",
            100.0 * rate / ceiling,
            mb(*peak)
        );
    }
    println!(
        "  (sync stmt/s: the whole `pokeco sync` process, start-up and SQLite receive/delete included;"
    );
    println!(
        "   ceiling: the same statements as pre-built JSON arrays; targets: >= 90 % of the ceiling, RSS < 32 MB)"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 4. cost

/// AWS list prices, us-east-1 (N. Virginia), on-demand, no free tier, as published in June
/// 2025 (DynamoDB on-demand after its halving of 2024-11-01).
mod price {
    /// HTTP API, per request (first 300 million a month), metered in 512 KB increments.
    pub const HTTP_API_REQUEST: f64 = 1.00 / 1e6;
    pub const HTTP_API_METER_BYTES: usize = 512 * 1024;
    /// Lambda, arm64 (the template's default architecture), per GB-second.
    pub const LAMBDA_GB_SECOND_ARM: f64 = 0.000_013_333_4;
    /// Lambda, per request.
    pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
    /// SQS standard queue, per request; every 64 KB chunk of a payload is one request.
    pub const SQS_REQUEST: f64 = 0.40 / 1e6;
    pub const SQS_CHUNK_BYTES: usize = 64 * 1024;
    /// DynamoDB on-demand, per read request unit (4 KB strongly consistent).
    pub const DYNAMODB_RRU: f64 = 0.125 / 1e6;
    /// DynamoDB on-demand, per write request unit (1 KB; an UpdateItem is billed on the larger
    /// of the item before and after).
    pub const DYNAMODB_WRU: f64 = 0.625 / 1e6;
    /// CloudWatch Logs ingestion, per GB.
    pub const LOGS_GB: f64 = 0.50;
    /// Data transfer out of AWS to the internet, per GB (first 10 TB, after the free 100 GB
    /// a month).
    pub const TRANSFER_OUT_GB: f64 = 0.09;
    pub const DATE: &str = "2025-06";
    pub const REGION: &str = "us-east-1";
}

/// Latencies of the AWS calls an ingest invocation waits on (assumed, same-region).
const DDB_CALL_MS: f64 = 5.0;
const SQS_SEND_MS: f64 = 15.0;
/// Lambda gives a function a full vCPU at 1 769 MB, a share in proportion below.
const LAMBDA_FULL_VCPU_MB: f64 = 1769.0;
/// Bytes of log lines per invocation (START, END, REPORT, one summary).
const LOG_BYTES_PER_INVOCATION: f64 = 600.0;
/// POKECO_SYNC_MAX default: statements one sync run handles.
const SYNC_MAX: f64 = 10_000.0;
/// SQS: messages per receive and per delete batch.
const SQS_BATCH: usize = 10;

/// The function's MemorySize in template.yaml: its own, else the Globals'.
fn template_memory(template: &str, resource: &str) -> (f64, String) {
    let block = |name: &str, indent: usize| -> Option<f64> {
        let head = format!("{}{name}:", " ".repeat(indent));
        let mut lines = template
            .lines()
            .skip_while(|l| l.trim_end() != head)
            .skip(1);
        lines
            .by_ref()
            .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
            .find_map(|l| l.trim().strip_prefix("MemorySize:")?.trim().parse().ok())
    };
    match block(resource, 2) {
        Some(mb) => (mb, format!("{resource}.MemorySize")),
        None => match block("Globals", 0) {
            Some(mb) => (mb, "Globals.Function.MemorySize".to_owned()),
            None => (128.0, "Lambda's default".to_owned()),
        },
    }
}

/// DynamoDB's size of a number: about one byte per two significant digits, plus one.
fn number_bytes(n: u64) -> usize {
    n.to_string().len().div_ceil(2) + 1
}

/// The size DynamoDB bills for one progress item (shared/aws/src/progress.rs): its keys, seven
/// scalars, the usage keys of its blocks and the numbers of its time windows.
fn progress_item_bytes(blocks: u64, buckets: u64) -> usize {
    // An edX usage key: the course key, the category, and a 32-hex block id.
    const USAGE_KEY: usize =
        "block-v1:PoliMi+ECO101+2024_T1+type@problem+block@0123456789abcdef0123456789abcdef".len();
    let keys =
        "pk".len() + "PROGRESS#".len() + 24 + "sk".len() + "course-v1:PoliMi+ECO101+2024_T1".len();
    let scalars = [
        "enrolled_at",
        "first_view",
        "last_view",
        "grade_at",
        "first_passed",
    ]
    .iter()
    .map(|name| name.len() + number_bytes(1_700_000_000_000))
    .sum::<usize>()
        + "enrolled".len()
        + 1
        + "grade".len()
        + number_bytes(57);
    // Window numbers since 1970 in 5-minute windows: about 5.9 million now.
    let sets = "blocks".len()
        + blocks as usize * USAGE_KEY
        + "buckets".len()
        + buckets as usize * number_bytes(5_900_000);
    keys + scalars + sets
}

/// SQS billed requests of sending `bodies` as SqsQueue does: batches of up to ten messages
/// and 256 KiB, each billed per 64 KB chunk.
fn sqs_send_units(bodies: &[usize]) -> (u64, u64) {
    let (mut calls, mut units, mut start) = (0, 0, 0);
    while start < bodies.len() {
        let (mut end, mut bytes) = (start, 0);
        while end < bodies.len()
            && end - start < SQS_BATCH
            && bytes + bodies[end] <= MAX_MESSAGE_BYTES
        {
            bytes += bodies[end];
            end += 1;
        }
        end = end.max(start + 1);
        calls += 1;
        units += bytes.div_ceil(price::SQS_CHUNK_BYTES).max(1) as u64;
        start = end;
    }
    (calls, units)
}

fn cost(args: &CostArgs) -> Result<(), AnyError> {
    const EVENTS: f64 = 10_000_000.0;
    const PER_REQUEST: u64 = 1_000;
    let profile = profile()?;
    let lookups = BenchLookups::new()?;

    // Measured on the samples: statements per event, bytes per statement.
    let lines = sample_lines()?;
    let sample_statements = statements_of(lines.iter().map(String::as_str), &profile, &lookups);
    let ratio = sample_statements.len() as f64 / lines.len() as f64;
    let statement_bytes = sample_statements
        .iter()
        .map(|s| serde_json::to_vec(s).map(|j| j.len()))
        .sum::<Result<usize, _>>()? as f64
        / sample_statements.len().max(1) as f64;

    // One 1 000-event request, measured in-process: body size, CPU, messages.
    let generator = Generator::new()?;
    let body = generator.body(0, PER_REQUEST);
    let gzipped = {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(body.as_bytes())?;
        gz.finish()?.len()
    };
    let limits = BodyLimits {
        max_bytes: 32 * 1024 * 1024,
        max_events: 20_000,
    };
    let request_cpu = |body: &str| -> Result<(Duration, Vec<usize>), AnyError> {
        let t = Instant::now();
        let parsed = read_body(body.as_bytes(), Encoding::Identity, limits)?;
        let statements: Vec<Statement> = parsed
            .into_iter()
            .filter_map(|l| l.event.ok())
            .filter_map(|e| profile.translate(&e, &lookups).ok())
            .collect();
        let packed = pack(&statements);
        Ok((t.elapsed(), packed.bodies.iter().map(String::len).collect()))
    };
    let mut times = Vec::new();
    let mut message_sizes = Vec::new();
    for _ in 0..30 {
        let (t, sizes) = request_cpu(&body)?;
        times.push(t);
        message_sizes = sizes;
    }
    times.sort();
    let cpu_ms = times[times.len() / 2].as_secs_f64() * 1e3;

    let template = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap_or_default();
    let (ingest_mb, ingest_mb_from) = template_memory(&template, "IngestFunction");
    let (sync_mb, sync_mb_from) = template_memory(&template, "LrsSyncFunction");

    // Per 10 million events.
    let requests = EVENTS / PER_REQUEST as f64;
    let statements = EVENTS * ratio;
    let api_units_per_request = body.len().div_ceil(price::HTTP_API_METER_BYTES) as f64;
    let api_units_per_request_gz = gzipped.div_ceil(price::HTTP_API_METER_BYTES) as f64;
    let (send_calls, send_units) = sqs_send_units(&message_sizes);
    let messages = requests * message_sizes.len() as f64;
    let message_bytes =
        message_sizes.iter().sum::<usize>() as f64 / message_sizes.len().max(1) as f64;
    // A sync run receives one message first, then ten at a time, and ends on an empty
    // receive; each receive is billed per 64 KB of what it returns, each round deletes its
    // messages with one batch call.
    let sync_runs = (statements / SYNC_MAX).ceil();
    let chunks = |bytes: f64| (bytes / price::SQS_CHUNK_BYTES as f64).ceil();
    let full_receives = ((messages - sync_runs).max(0.0) / SQS_BATCH as f64).ceil();
    let receive_calls = sync_runs * 2.0 + full_receives;
    let receive_units = sync_runs * (chunks(message_bytes) + 1.0)
        + full_receives * chunks(message_bytes * SQS_BATCH as f64);
    let delete_units = sync_runs + full_receives;

    let dynamo_calls_per_request =
        1.0 + (args.users_per_request as f64 / 100.0).ceil() + args.courses_per_request as f64;
    let rru_per_request = 1.0 + args.users_per_request as f64 + args.courses_per_request as f64;
    // The progress projection: each learner of a request has one state (one course), read
    // (BatchGetItem, consistent) and, as its last view moves with nearly every event, written
    // with one UpdateItem, billed on the whole item.
    let state_bytes = progress_item_bytes(args.blocks_per_state, args.buckets_per_state);
    let states = args.users_per_request as f64;
    let progress_rru = states * state_bytes.div_ceil(4096) as f64;
    let progress_wru = states * state_bytes.div_ceil(1024) as f64;
    let progress_calls = (states / 100.0).ceil() + states / 16.0;

    let ingest_ms = cpu_ms * (LAMBDA_FULL_VCPU_MB / ingest_mb).max(1.0)
        + (dynamo_calls_per_request + progress_calls) * DDB_CALL_MS
        + send_calls as f64 * SQS_SEND_MS;
    let ingest_gb_s = requests * (ingest_ms.ceil() / 1e3) * (ingest_mb / 1024.0);
    let sync_seconds = statements / args.lrs_rate;
    let sync_gb_s = sync_seconds * (sync_mb / 1024.0);
    let invocations = requests + sync_runs;
    let egress_gb = statements * statement_bytes / 1e9;

    let lines_out: Vec<(&str, String, f64)> = vec![
        (
            "HTTP API requests",
            format!(
                "{requests:.0} x {api_units_per_request:.0} ({:.0} KB plain per 512 KB meter; gzip {:.0} KB: x {api_units_per_request_gz:.0})",
                body.len() as f64 / 1024.0,
                gzipped as f64 / 1024.0
            ),
            requests * api_units_per_request * price::HTTP_API_REQUEST,
        ),
        (
            "Lambda GB-s, ingest",
            format!(
                "{requests:.0} x {:.0} ms x {ingest_mb:.0} MB = {ingest_gb_s:.0} GB-s",
                ingest_ms.ceil()
            ),
            ingest_gb_s * price::LAMBDA_GB_SECOND_ARM,
        ),
        (
            "Lambda GB-s, sync",
            format!(
                "{sync_runs:.0} runs, {sync_seconds:.0} s at {:.0} stmt/s x {sync_mb:.0} MB = {sync_gb_s:.0} GB-s",
                args.lrs_rate
            ),
            sync_gb_s * price::LAMBDA_GB_SECOND_ARM,
        ),
        (
            "Lambda requests",
            format!("{invocations:.0} invocations"),
            invocations * price::LAMBDA_REQUEST,
        ),
        (
            "SQS sends",
            format!(
                "{requests:.0} x {send_calls} calls = {:.0} units ({} msgs/request, {:.0} KB each)",
                requests * send_units as f64,
                message_sizes.len(),
                message_bytes / 1024.0
            ),
            requests * send_units as f64 * price::SQS_REQUEST,
        ),
        (
            "SQS receives",
            format!("{receive_calls:.0} calls = {receive_units:.0} units"),
            receive_units * price::SQS_REQUEST,
        ),
        (
            "SQS deletes",
            format!("{delete_units:.0} batch calls"),
            delete_units * price::SQS_REQUEST,
        ),
        (
            "DynamoDB reads",
            format!(
                "{requests:.0} x {rru_per_request:.0} RRU (1 Query + {} links + {} courses)",
                args.users_per_request, args.courses_per_request
            ),
            requests * rru_per_request * price::DYNAMODB_RRU,
        ),
        (
            "DynamoDB progress",
            format!(
                "{requests:.0} x {states:.0} states of {:.1} KB: {progress_rru:.0} RRU + {progress_wru:.0} WRU a request ({} blocks, {} windows)",
                state_bytes as f64 / 1024.0,
                args.blocks_per_state,
                args.buckets_per_state
            ),
            requests * (progress_rru * price::DYNAMODB_RRU + progress_wru * price::DYNAMODB_WRU),
        ),
        (
            "CloudWatch Logs",
            format!(
                "{invocations:.0} x {LOG_BYTES_PER_INVOCATION:.0} B"
            ),
            invocations * LOG_BYTES_PER_INVOCATION / 1e9 * price::LOGS_GB,
        ),
    ];
    let total: f64 = lines_out.iter().map(|(_, _, usd)| usd).sum();
    let egress = egress_gb * price::TRANSFER_OUT_GB;

    println!(
        "cost per 10 million events, AWS {} list prices of {} (on-demand, free tiers left out):",
        price::REGION,
        price::DATE
    );
    println!(
        "  measured: {ratio:.3} statements/event, {statement_bytes:.0} B/statement, {:.2} ms CPU per 1 000-event request on one core here",
        cpu_ms
    );
    println!(
        "  memory: ingest {ingest_mb:.0} MB ({ingest_mb_from}), sync {sync_mb:.0} MB ({sync_mb_from}); arm64"
    );
    println!(
        "  assumed: {DDB_CALL_MS} ms per DynamoDB call, {SQS_SEND_MS} ms per SQS send, CPU share MemorySize/{LAMBDA_FULL_VCPU_MB}, LRS {:.0} stmt/s",
        args.lrs_rate
    );
    for (what, how, usd) in &lines_out {
        println!("  {what:<20} ${usd:>8.4}   {how}");
    }
    println!("  {:<20} ${total:>8.4}   (target < $1)", "total");
    println!(
        "  {:<20} ${egress:>8.4}   {egress_gb:.1} GB of statements to an LRS outside AWS (after the free 100 GB/month; not in the total)",
        "data out to the LRS"
    );
    println!(
        "  prices: HTTP API ${}/M, Lambda ${}/GB-s + ${}/M, SQS ${}/M per 64 KB, DynamoDB ${}/M RRU + ${}/M WRU, Logs ${}/GB, out ${}/GB",
        price::HTTP_API_REQUEST * 1e6,
        price::LAMBDA_GB_SECOND_ARM,
        price::LAMBDA_REQUEST * 1e6,
        price::SQS_REQUEST * 1e6,
        price::DYNAMODB_RRU * 1e6,
        price::DYNAMODB_WRU * 1e6,
        price::LOGS_GB,
        price::TRANSFER_OUT_GB
    );
    Ok(())
}
