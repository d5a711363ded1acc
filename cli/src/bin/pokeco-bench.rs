//! The harvest benchmark: loads a large varied catalog into the embedded store, starts
//! `pokeco serve` on it as a separate process, harvests every record through HTTP with
//! `oai_lom` following the tokens, and prints records per second, time per page and the
//! server's peak RSS. Then it times the ECO API's `users/{sub}/courses` on the same server, for
//! a learner with 50 courses, the same learner without course grades (progress from the
//! courses' structures, 40 answers a course), one with both grades and answers, and an
//! unknown one. Figures are reported, not asserted.
//!
//! `cargo run --release -p pokeco --bin pokeco-bench -- [--courses 100000] [--page-size 100]`

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The same allocator as `pokeco serve`, so the in-process figures match the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use pokeco::bench::{cpu_time, free_port, peak_rss_kib, pokeco_exe, Running};
use pokeco_core::catalog::CourseId;
use pokeco_core::catalog::{Course, OaiSet, Teacher, TeacherId};
use pokeco_core::oai::{parse_urlencoded, respond, OaiPrefix, OaiSettings, TokenKey};
use pokeco_core::pipeline::EcoSub;
use pokeco_core::progress::{CourseProgress, Enrollment, Grade, ProgressStore, Score};
use pokeco_core::store::{CatalogStore, RecordQuery};
use pokeco_core::structure::{Block, CourseStructure, StructureStore};
use pokeco_core::Datestamp;
use pokeco_local::SqliteStore;
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// Courses in the catalog.
    #[arg(long, default_value_t = 100_000)]
    courses: usize,
    /// Records per OAI-PMH page.
    #[arg(long, default_value_t = 100)]
    page_size: usize,
    /// Pages rendered in-process for the per-page figure.
    #[arg(long, default_value_t = 2_000)]
    render_rounds: usize,
}

type AnyError = Box<dyn std::error::Error>;

const LANGS: [&str; 6] = ["en", "it", "fr", "de", "es", "pt"];
const TITLES: [&str; 6] = [
    "Introduction to Open Education & MOOCs",
    "Introduzione all'educazione aperta: unità e attività",
    "Éducation ouverte : ressources, licences « libres »",
    "Offene Bildung für Ingenieure – Grundlagen & Übungen",
    "Educación abierta: diseño de cursos en línea <básico>",
    "Educação aberta — avaliação e certificação",
];

fn teacher(i: usize) -> Teacher {
    let first = ["Maria", "Luca", "Chiara", "Jürgen", "Zoë"][i % 5];
    serde_json::from_value(json!({
        "id": format!("00000000-0000-4000-8000-{i:012}"),
        "first_name": first,
        "last_name": format!("Rossi-Ferrà {i}"),
        "descriptions": {"en": "Teaches.", "it": "Insegna."}
    }))
    .unwrap_or_else(|e| panic!("bench teacher: {e}"))
}

fn course(i: usize, teachers: usize) -> Course {
    let l1 = LANGS[i % 6];
    let l2 = LANGS[(i / 6 + 1) % 6];
    let mut title = serde_json::Map::new();
    let mut description = serde_json::Map::new();
    for (k, l) in [(i % 6, l1), ((i / 6 + 1) % 6, l2)] {
        title.insert(l.into(), json!(format!("{} #{i}", TITLES[k])));
        description.insert(
            l.into(),
            json!(format!(
                "{} — {} lezioni, 4 ore/settimana, \"pratica\" & teoria.",
                TITLES[k],
                i % 12 + 1
            )),
        );
    }
    let mut langs = vec![l1];
    if l2 != l1 {
        langs.push(l2);
    }
    let organizers = ["Politecnico di Milano", "Università di Bologna"][..(i % 2 + 1)].to_vec();
    let teacher_ids: Vec<String> = (0..(i % 3 + 1))
        .map(|k| format!("00000000-0000-4000-8000-{:012}", (i + k) % teachers))
        .collect();
    let areas = ["ECO:ES", "ECO:SS", "ECO:HUM", "ECO:NSM", "ECO:BS", "ECO:TS"];
    let sets: &[&str] = match i % 4 {
        0 => &["EcoBase"],
        1 => &["EcoBase", "polimi:science"],
        2 => &["polimi"],
        _ => &[],
    };
    serde_json::from_value(json!({
        "course_id": format!("course-v1:Bench+C{i}+2025_T{}", i % 3 + 1),
        "title": title,
        "description": description,
        "languages": langs,
        "url": format!("https://pok.example.org/courses/course-v1:Bench+C{i}/about"),
        "image": format!("https://pok.example.org/static/c{i}.png"),
        "organizers": organizers,
        "teachers": teacher_ids,
        "interest_area": areas[i % 6],
        "start": "2025-03-03T00:00:00Z",
        "end": "2025-05-31T23:59:59Z",
        "units": i % 10 + 1,
        "study_load": i % 6 + 1,
        "typical_learning_time": "PT24H",
        "sets": sets,
    }))
    .unwrap_or_else(|e| panic!("bench course: {e}"))
}

async fn load(store: &SqliteStore, courses: usize) -> Result<(), AnyError> {
    let teachers = 500.min(courses.max(1));
    for (spec, name) in [
        ("EcoBase", "ECO core"),
        ("polimi", "PoliMi"),
        ("polimi:science", "Science"),
    ] {
        store
            .put_set(OaiSet {
                spec: spec.parse()?,
                name: name.into(),
            })
            .await?;
    }
    for t in 0..teachers {
        store.put_teacher(teacher(t)).await?;
    }
    let base = Datestamp::now().unix() - courses as i64;
    for i in 0..courses {
        let at = Datestamp::from_unix(base + i as i64 / 3).ok_or("datestamp")?;
        store.put_course(course(i, teachers), at).await?;
    }
    // The ECO API's busiest learner: LEARNER_COURSES courses, each with a grade, some blocks
    // and an hour of activity.
    let sub: EcoSub = LEARNER.parse()?;
    let ungraded_sub: EcoSub = UNGRADED.parse()?;
    let answered_sub: EcoSub = ANSWERED.parse()?;
    let mut states = Vec::new();
    for i in 0..LEARNER_COURSES.min(courses) {
        let id = course(i, teachers).course_id;
        let state = CourseProgress {
            enrollment: Some(Enrollment {
                at_ms: 1_740_000_000_000,
                active: true,
            }),
            first_view_ms: Some(1_740_000_100_000),
            last_view_ms: Some(1_745_000_000_000),
            blocks: (0..40)
                .map(|b| format!("block-v1:Bench+C{i}+2025_T1+type@problem+block@p{b}"))
                .collect(),
            buckets: (5_800_000..5_800_012).collect(),
            grade: Some(Grade {
                at_ms: 1_745_000_000_000,
                percent: 70.0,
            }),
            first_passed_ms: None,
            scores: BTreeSet::new(),
        };
        // The same courses for a learner the LMS never graded: progress from the answers of
        // 40 of each structure's problems.
        let mut ungraded = state.clone();
        ungraded.grade = None;
        let locator = id.as_str().trim_start_matches("course-v1:");
        ungraded.scores = (0..40)
            .map(|n| Score {
                at_ms: 1_745_000_000_000 + n,
                problem: format!("block-v1:{locator}+type@problem+block@p{n}"),
                earned: (n % 3) as f64,
                possible: 2.0,
            })
            .collect();
        // Graded and answered, as a learner of an LMS that sends both: the scores are read
        // and not used.
        let mut answered = ungraded.clone();
        answered.grade = state.grade;
        states.push((answered_sub.clone(), id.clone(), answered));
        states.push((ungraded_sub.clone(), id.clone(), ungraded));
        states.push((sub.clone(), id.clone(), state));
        store.put_structure(&structure(&id)?).await?;
    }
    store.merge_progress(&states).await?;
    Ok(())
}

/// A course's structure for the bench: one chapter of [`STRUCTURE_PROBLEMS`] problems.
fn structure(id: &CourseId) -> Result<CourseStructure, AnyError> {
    let locator = id.as_str().trim_start_matches("course-v1:");
    let key = |kind: &str, name: &str| format!("block-v1:{locator}+type@{kind}+block@{name}");
    let block = |kind: &str, name: &str, children: Vec<String>| Block {
        id: key(kind, name),
        category: kind.to_owned(),
        name: format!("{kind} {name}"),
        children,
    };
    let problems: Vec<Block> = (0..STRUCTURE_PROBLEMS)
        .map(|p| block("problem", &format!("p{p}"), Vec::new()))
        .collect();
    let chapter = block(
        "chapter",
        "ch",
        problems.iter().map(|b| b.id.clone()).collect(),
    );
    let root = block("course", "course", vec![chapter.id.clone()]);
    let mut blocks = vec![root.clone(), chapter];
    blocks.extend(problems);
    CourseStructure::new(id.clone(), root.id, blocks).map_err(|e| e.to_string().into())
}

/// The problems of each course structure the bench loads.
const STRUCTURE_PROBLEMS: usize = 200;

/// The learner with [`LEARNER_COURSES`] courses, and one nobody linked.
const LEARNER: &str = "00000000000000000000b0b0";
/// The same courses without a course grade: figures from the structures' problems.
const UNGRADED: &str = "00000000000000000000b0b1";
/// The same courses with a course grade and the answers of the ungraded one.
const ANSWERED: &str = "00000000000000000000b0b2";
const UNKNOWN: &str = "00000000000000000000dead";
const LEARNER_COURSES: usize = 50;

/// `n` timings of GET `url`, sorted.
async fn timings(client: &reqwest::Client, url: &str, n: usize) -> Result<Vec<Duration>, AnyError> {
    let mut all = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let answer = client.get(url).send().await?;
        if !answer.status().is_success() {
            return Err(format!("{url}: {}", answer.status()).into());
        }
        std::hint::black_box(answer.bytes().await?);
        all.push(t.elapsed());
    }
    all.sort();
    Ok(all)
}

fn start_server(data: &Path, port: u16, page_size: usize) -> Result<Running, AnyError> {
    let child = Command::new(pokeco_exe()?)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(data)
        .env("POKECO_OAI_PAGE_SIZE", page_size.to_string())
        .env("POKECO_ADMIN_TOKEN", "bench-admin-token-not-used")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    Ok(Running(child))
}

fn token_of(body: &str) -> Option<&str> {
    let start = body.find("<resumptionToken")?;
    let rest = &body[start..];
    let open_end = rest.find('>')?;
    let close = rest.find("</resumptionToken>")?;
    Some(&rest[open_end + 1..close]).filter(|t| !t.is_empty())
}

async fn harvest(base: &str) -> Result<(usize, usize, Vec<Duration>), AnyError> {
    let client = reqwest::Client::new();
    let mut url = format!("{base}/oai?verb=ListRecords&metadataPrefix=oai_lom");
    let (mut records, mut bytes, mut pages) = (0, 0, Vec::new());
    loop {
        let t = Instant::now();
        let body = client
            .get(&url)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        pages.push(t.elapsed());
        records += body.matches("<record>").count();
        bytes += body.len();
        match token_of(&body) {
            Some(token) => {
                url = format!(
                    "{base}/oai?verb=ListRecords&metadataPrefix=oai_lom&resumptionToken={token}"
                )
            }
            None => break,
        }
    }
    Ok((records, bytes, pages))
}

/// Where the time of one page goes, in-process (medians of batch means).
struct PageFigures {
    whole: Duration,
    courses_read: Duration,
    teachers_read: Duration,
}

/// The median over ten batches of the mean time of `f`: this machine's clock is noisy, and
/// one slow batch should not move the figure.
async fn mean<F, Fut, T>(rounds: usize, mut f: F) -> Result<Duration, AnyError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AnyError>>,
{
    let per_batch = (rounds / 10).max(1);
    let mut batches = Vec::with_capacity(10);
    for _ in 0..10 {
        let t = Instant::now();
        for _ in 0..per_batch {
            std::hint::black_box(f().await?);
        }
        batches.push(t.elapsed() / per_batch as u32);
    }
    batches.sort();
    Ok(batches[batches.len() / 2])
}

/// Answers one page of `page_size` records in-process (store read + render), and times the
/// two store reads it makes on their own.
async fn render_page(page_size: usize, rounds: usize) -> Result<PageFigures, AnyError> {
    let store = Arc::new(SqliteStore::open_in_memory()?);
    load(&store, page_size).await?;
    let settings = OaiSettings {
        repository_name: "bench".into(),
        base_url: None,
        admin_email: "admin@pok.example.org".into(),
        prefix: OaiPrefix::new("oai:pok.example.org:")?,
        token_key: TokenKey::new(b"bench secret of sixteen+ bytes").ok_or("key")?,
        token_ttl: 3600,
        page_size,
        final_empty_token: false,
    };
    let query = b"verb=ListRecords&metadataPrefix=oai_lom";
    let now = Datestamp::now();
    let endpoint = "http://127.0.0.1/oai";
    let answer = || async {
        let args = parse_urlencoded(query);
        Ok::<_, AnyError>(respond(store.as_ref(), &settings, endpoint, args, now).await?)
    };
    let body = answer().await?;
    assert_eq!(body.matches("<record>").count(), page_size, "a full page");
    let whole = mean(rounds, answer).await?;

    let q = RecordQuery {
        until: Some(now),
        limit: page_size,
        ..RecordQuery::default()
    };
    let page = store.page_courses(&q).await?;
    let courses_read = mean(rounds, || async { Ok(store.page_courses(&q).await?) }).await?;
    let mut ids: Vec<TeacherId> = page
        .records
        .iter()
        .flat_map(|r| r.course.teachers.clone())
        .collect();
    ids.sort();
    ids.dedup();
    let teachers_read = mean(rounds, || async { Ok(store.get_teachers(&ids).await?) }).await?;
    Ok(PageFigures {
        whole,
        courses_read,
        teachers_read,
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), AnyError> {
    let args = Args::parse();
    let data: PathBuf = std::env::temp_dir().join(format!("pokeco-bench-{}", std::process::id()));
    std::fs::create_dir_all(&data)?;
    let _cleanup = Cleanup(data.clone());

    let t = Instant::now();
    let store = SqliteStore::open(&data.join(pokeco::serve::CATALOG_FILE))?;
    load(&store, args.courses).await?;
    drop(store);
    println!("loaded {} courses in {:.2?}", args.courses, t.elapsed());

    let port = free_port()?;
    let server = start_server(&data, port, args.page_size)?;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let ready = Instant::now();
    while client
        .get(format!("{base}/oai?verb=Identify"))
        .send()
        .await
        .is_err()
    {
        if ready.elapsed() > Duration::from_secs(30) {
            return Err("the server did not start".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let cpu_before = cpu_time(server.0.id());
    let t = Instant::now();
    let (records, bytes, mut pages) = harvest(&base).await?;
    let total = t.elapsed();
    let cpu = cpu_time(server.0.id())
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let rss = peak_rss_kib(server.0.id());
    let users = |sub: &str| format!("{base}/ecoapi/users/{sub}/courses");
    let busy: serde_json::Value = client.get(users(LEARNER)).send().await?.json().await?;
    let listed = busy.as_array().map_or(0, Vec::len);
    timings(&client, &users(LEARNER), 200).await?;
    let learner = timings(&client, &users(LEARNER), 2_000).await?;
    timings(&client, &users(UNGRADED), 200).await?;
    let ungraded = timings(&client, &users(UNGRADED), 2_000).await?;
    let answered = timings(&client, &users(ANSWERED), 2_000).await?;
    let unknown = timings(&client, &users(UNKNOWN), 2_000).await?;
    drop(server);
    if records != args.courses {
        return Err(format!("harvested {records} records, expected {}", args.courses).into());
    }
    pages.sort();
    println!(
        "harvest (oai_lom, {} records/page, one core client over loopback):",
        args.page_size
    );
    println!("  records          {records}");
    println!("  pages            {}", pages.len());
    println!("  bytes            {:.1} MB", bytes as f64 / 1e6);
    println!("  total            {total:.2?} (wall, client included)");
    match cpu {
        Some(cpu) => println!("  server CPU       {cpu:.2?} (user + system)"),
        None => println!("  server CPU       unknown (no /proc)"),
    }
    println!(
        "  records/s        {:.0}",
        records as f64 / total.as_secs_f64()
    );
    println!(
        "  time per page    p50 {:.2?}  p99 {:.2?}  max {:.2?}",
        percentile(&pages, 0.5),
        percentile(&pages, 0.99),
        pages.last().copied().unwrap_or_default()
    );
    match rss {
        Some(kib) => println!("  server peak RSS  {:.1} MB", kib as f64 / 1024.0),
        None => println!("  server peak RSS  unknown (no /proc)"),
    }
    println!("ecoapi users/{{sub}}/courses on the same server, 2 000 requests each, one client:");
    for (who, t) in [
        (format!("a learner with {listed} courses"), &learner),
        ("the same, none graded".to_owned(), &ungraded),
        ("graded, 40 answers a course".to_owned(), &answered),
        ("an unknown learner".to_owned(), &unknown),
    ] {
        println!(
            "  {who:<28} p50 {:.2?}  p99 {:.2?}  (target p99 < 2 ms)",
            percentile(t, 0.5),
            percentile(t, 0.99)
        );
    }
    let page = render_page(args.page_size, args.render_rounds).await?;
    println!(
        "in-process, one page of {} oai_lom records:",
        args.page_size
    );
    println!("  whole answer     {:.2?}", page.whole);
    println!("  courses read     {:.2?}", page.courses_read);
    println!("  teachers read    {:.2?}", page.teachers_read);
    Ok(())
}

struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
