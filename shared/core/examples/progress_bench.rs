//! Progress projection merges per second on one core, in the pure rules: observations folded
//! into one state per (user, course) per ingest batch of 1 000 ([`group`]), then each batch's
//! states merged into the states a store holds ([`CourseProgress::merge`]). Printed, never
//! asserted; the figure is the median of the rounds.
//!
//! The observations are the facts of the sample events (testdata/edx-events), observed once.
//! They are re-addressed to synthetic learners, courses, blocks and times. 50 sessions run
//! at once, each one learner in one course for 1–60 events 5–120 s apart. This is roughly how
//! a tracking log interleaves its learners.
//!
//! `cargo run --release -p pokeco-core --example progress_bench -- [events] [rounds]`

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pokeco_core::catalog::CourseId;
use pokeco_core::progress::{group, observe, CourseProgress, Fact, Observation, TimeBuckets};
use pokeco_core::xapi::EdxEvent;

type AnyError = Box<dyn std::error::Error>;

const BATCH: usize = 1_000;
const USERS: u64 = 10_000;
const COURSES: u64 = 5;
const BLOCKS_PER_COURSE: u64 = 200;
const SESSIONS: usize = 50;

fn main() -> Result<(), AnyError> {
    let mut args = std::env::args().skip(1);
    let events: usize = args.next().map_or(Ok(500_000), |a| a.parse())?;
    let rounds: usize = args.next().map_or(Ok(9), |a| a.parse())?;
    let facts = sample_facts()?;
    let input = synthetic(&facts, events)?;
    let buckets = TimeBuckets::DEFAULT;

    let mut fold_times = Vec::with_capacity(rounds);
    let mut total_times = Vec::with_capacity(rounds);
    let mut writes = 0;
    let mut states = 0;
    for _ in 0..rounds {
        let mut store: BTreeMap<(String, CourseId), CourseProgress> = BTreeMap::new();
        let (mut fold, mut merge) = (Duration::ZERO, Duration::ZERO);
        writes = 0;
        for batch in input.chunks(BATCH) {
            // The copy stands for the batch ingest has just parsed: not timed.
            let batch = batch.to_vec();
            let start = Instant::now();
            let grouped = group(batch, buckets);
            let folded = Instant::now();
            writes += grouped.len();
            for (key, state) in grouped {
                store.entry(key).or_default().merge(&state);
            }
            fold += folded - start;
            merge += folded.elapsed();
        }
        states = store.len();
        fold_times.push(fold);
        total_times.push(fold + merge);
    }
    let rate = |times: &mut Vec<Duration>| {
        times.sort_unstable();
        let median = times[times.len() / 2].as_secs_f64();
        input.len() as f64 / median
    };
    println!(
        "progress projection, one core, {} observations in batches of {BATCH}, median of {rounds} rounds",
        input.len()
    );
    println!(
        "  fold (group per batch):           {:>12.0} observations/s",
        rate(&mut fold_times)
    );
    println!(
        "  fold + merge into stored states:  {:>12.0} observations/s",
        rate(&mut total_times)
    );
    println!(
        "  states written per {BATCH} observations: {:.0} (synthetic interleaving of {SESSIONS} sessions); {states} (user, course) states in all",
        writes as f64 * BATCH as f64 / input.len() as f64
    );
    let kinds = input.iter().fold([0usize; 6], |mut k, (_, o)| {
        k[match o.fact {
            Fact::Visit { block: Some(_) } => 0,
            Fact::Visit { block: None } => 1,
            Fact::Enrollment { .. } => 2,
            Fact::Grade { .. } => 3,
            Fact::Passed => 4,
            Fact::Answered { .. } => 5,
        }] += 1;
        k
    });
    println!(
        "  mix: {} visits with a block, {} without, {} enrollments, {} grades, {} passes, {} answers",
        kinds[0], kinds[1], kinds[2], kinds[3], kinds[4], kinds[5]
    );
    Ok(())
}

/// The repository's test data (this crate lives in `<root>/shared/core`).
fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/edx-events")
}

/// The facts of every sample event of both shapes that the projection keeps.
fn sample_facts() -> Result<Vec<Fact>, AnyError> {
    let mut facts = Vec::new();
    for dir in ["openedx", "legacy"] {
        for entry in std::fs::read_dir(testdata().join(dir))? {
            let path = entry?.path();
            if path.file_name().is_some_and(|n| n == "INDEX.json") {
                continue;
            }
            let Ok(event) = EdxEvent::parse(&std::fs::read(&path)?) else {
                continue;
            };
            facts.extend(observe(&event).map(|o| o.fact));
        }
    }
    facts.sort_by_key(|f| format!("{f:?}"));
    if facts.is_empty() {
        return Err("no sample event gives a fact".into());
    }
    Ok(facts)
}

/// xorshift64*: reproducible input without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

struct Session {
    sub: String,
    course: u64,
    time_ms: i64,
    left: u64,
}

fn session(rng: &mut Rng, time_ms: i64) -> Session {
    Session {
        sub: format!("{:024x}", 0x5a1b_2c3d_0000 + rng.below(USERS)),
        course: rng.below(COURSES),
        time_ms,
        left: 1 + rng.below(60),
    }
}

fn synthetic(facts: &[Fact], n: usize) -> Result<Vec<(String, Observation)>, AnyError> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start = 1_704_067_200_000; // 2024-01-01
    let courses: Vec<CourseId> = (0..COURSES)
        .map(|c| format!("course-v1:Bench+C{c}+2024").parse())
        .collect::<Result<_, _>>()?;
    let mut sessions: Vec<Session> = (0..SESSIONS).map(|_| session(&mut rng, start)).collect();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let s = &mut sessions[usize::try_from(rng.below(SESSIONS as u64))?];
        s.time_ms += i64::try_from(5_000 + rng.below(115_000))?;
        let fact = match &facts[usize::try_from(rng.below(facts.len() as u64))?] {
            Fact::Visit { block: Some(_) } => Fact::Visit {
                block: Some(format!(
                    "block-v1:Bench+C{}+2024+type@problem+block@b{}",
                    s.course,
                    rng.below(BLOCKS_PER_COURSE)
                )),
            },
            Fact::Answered {
                earned, possible, ..
            } => Fact::Answered {
                problem: format!(
                    "block-v1:Bench+C{}+2024+type@problem+block@b{}",
                    s.course,
                    rng.below(BLOCKS_PER_COURSE)
                ),
                earned: *earned,
                possible: *possible,
            },
            other => other.clone(),
        };
        out.push((
            s.sub.clone(),
            Observation {
                user: None,
                course: courses[usize::try_from(s.course)?].clone(),
                time_ms: s.time_ms,
                fact,
            },
        ));
        s.left -= 1;
        if s.left == 0 {
            let now = s.time_ms;
            *s = session(&mut rng, now);
        }
    }
    Ok(out)
}
