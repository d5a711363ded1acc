//! The state of one (ECO user, course): a product of join-semilattices, so that merging is
//! commutative, associative and idempotent part by part, and so is the whole.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};

use crate::catalog::CourseId;

use super::observation::{Fact, Observation};

/// The length of a time-spent bucket. The state keeps bucket indexes (`time_ms / length`),
/// so a deployment keeps one length for good, or rebuilds the projection by replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeBuckets(NonZeroU32);

impl TimeBuckets {
    /// Five minutes: a learner active at least once in a 5-minute window spent it.
    pub const DEFAULT: Self = Self(match NonZeroU32::new(5 * 60 * 1000) {
        Some(ms) => ms,
        None => unreachable!(),
    });

    /// `None` for zero.
    pub fn from_ms(ms: u32) -> Option<Self> {
        NonZeroU32::new(ms).map(Self)
    }

    pub fn ms(self) -> u32 {
        self.0.get()
    }

    /// The bucket a time falls in (floor division: times before 1970 too).
    pub fn index(self, time_ms: i64) -> i64 {
        time_ms.div_euclid(i64::from(self.0.get()))
    }
}

impl Default for TimeBuckets {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The enrollment as of its latest event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    pub at_ms: i64,
    pub active: bool,
}

/// The course grade as of its latest event.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    pub at_ms: i64,
    /// 0–100.
    pub percent: f64,
}

/// One score of a problem: a `problem_check`'s grade at its time. A state keeps every score
/// it is told, as a grow-only set; a problem's score is the latest of its own at read time
/// ([`CourseProgress::latest_scores`]), so no merge ever has to choose between two.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Score {
    pub at_ms: i64,
    /// The problem's usage key.
    pub problem: String,
    /// Points earned, `0..=possible`.
    pub earned: f64,
    /// Points the problem is worth, above 0.
    pub possible: f64,
}

impl Score {
    /// Whether the score is one a state keeps: a problem id as usage keys are (no space,
    /// control character, quote or backslash, so that its JSON needs no escape), finite
    /// points, `possible` above 0 and `earned` within `0..=possible`.
    pub fn is_valid(&self) -> bool {
        !self.problem.is_empty()
            && self
                .problem
                .bytes()
                .all(|b| b > b' ' && b != b'"' && b != b'\\')
            && self.possible.is_finite()
            && self.possible > 0.0
            && self.earned >= 0.0
            && self.earned <= self.possible
    }

    /// The fraction of the points earned, 0–1.
    pub fn fraction(&self) -> f64 {
        self.earned / self.possible
    }

    /// The score as one string, `<at_ms> <earned> <possible> <problem>`: how both stores keep
    /// it (a DynamoDB string set, a JSON array in SQLite). Rust writes each number as the
    /// shortest text that reads back as the same double, so [`Score::from_entry`] gives the
    /// same score back.
    pub fn to_entry(&self) -> String {
        format!(
            "{} {} {} {}",
            self.at_ms, self.earned, self.possible, self.problem
        )
    }

    /// The score of an entry [`Score::to_entry`] wrote; `None` for anything else.
    pub fn from_entry(entry: &str) -> Option<Self> {
        let mut parts = entry.splitn(4, ' ');
        let score = Self {
            at_ms: parts.next()?.parse().ok()?,
            earned: parts.next()?.parse().ok()?,
            possible: parts.next()?.parse().ok()?,
            problem: parts.next()?.to_owned(),
        };
        score.is_valid().then_some(score)
    }
}

/// A total order, so scores form a set: by problem, so that a problem's scores are adjacent
/// and its latest is the last of them; then time, then the points, compared as
/// `f64::total_cmp` does.
impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.problem
            .cmp(&other.problem)
            .then(self.at_ms.cmp(&other.at_ms))
            .then(self.earned.total_cmp(&other.earned))
            .then(self.possible.total_cmp(&other.possible))
    }
}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Score {}

/// A last-writer-wins register: the greater by this order wins a merge. A total order (time,
/// then a tie-break on the value) makes the merge a max, whatever order values arrive in.
trait Lww: Copy {
    fn order(&self, other: &Self) -> Ordering;
}

impl Lww for Enrollment {
    /// At the same millisecond, deactivated wins: leaving the list is the safer answer.
    fn order(&self, other: &Self) -> Ordering {
        (self.at_ms, !self.active).cmp(&(other.at_ms, !other.active))
    }
}

impl Lww for Grade {
    /// At the same millisecond, the higher grade wins.
    fn order(&self, other: &Self) -> Ordering {
        self.at_ms
            .cmp(&other.at_ms)
            .then(self.percent.total_cmp(&other.percent))
    }
}

fn lww<T: Lww>(mine: &mut Option<T>, theirs: Option<T>) {
    if let Some(t) = theirs {
        match mine {
            Some(m) if m.order(&t) != Ordering::Less => {}
            _ => *mine = Some(t),
        }
    }
}

fn min(mine: &mut Option<i64>, theirs: Option<i64>) {
    *mine = match (*mine, theirs) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
}

fn max(mine: &mut Option<i64>, theirs: Option<i64>) {
    *mine = (*mine).max(theirs);
}

/// What the projection knows of one learner in one course. Every field is plain data with its
/// own merge; see the module doc for how a store applies them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CourseProgress {
    /// Last writer wins, deactivated on a tie.
    pub enrollment: Option<Enrollment>,
    /// Min of visit times.
    pub first_view_ms: Option<i64>,
    /// Max of visit times.
    pub last_view_ms: Option<i64>,
    /// Grow-only set of the usage keys of visited blocks.
    pub blocks: BTreeSet<String>,
    /// Grow-only set of the indexes of the time buckets with a visit.
    pub buckets: BTreeSet<i64>,
    /// Last writer wins, the higher grade on a tie.
    pub grade: Option<Grade>,
    /// Min of pass times.
    pub first_passed_ms: Option<i64>,
    /// Grow-only set of the scores of `problem_check`s (the latest of a problem counts).
    #[serde(default)]
    pub scores: BTreeSet<Score>,
}

impl CourseProgress {
    /// The state of one observation alone.
    pub fn from_observation(observation: &Observation, buckets: TimeBuckets) -> Self {
        let mut state = Self::default();
        state.merge_observation(observation, buckets);
        state
    }

    /// Folds one observation in; the same as merging [`CourseProgress::from_observation`],
    /// without building it.
    pub fn merge_observation(&mut self, observation: &Observation, buckets: TimeBuckets) {
        self.merge_fact_at(observation.time_ms, &observation.fact, buckets);
    }

    /// Folds one fact at a time in, taking a block by value (no copy when it is new).
    pub fn merge_fact(&mut self, time_ms: i64, fact: Fact, buckets: TimeBuckets) {
        if let Fact::Visit { block: Some(block) } = fact {
            self.visit(time_ms, buckets);
            self.blocks.insert(block);
        } else {
            self.merge_fact_at(time_ms, &fact, buckets);
        }
    }

    fn merge_fact_at(&mut self, time_ms: i64, fact: &Fact, buckets: TimeBuckets) {
        match fact {
            Fact::Enrollment { active } => lww(
                &mut self.enrollment,
                Some(Enrollment {
                    at_ms: time_ms,
                    active: *active,
                }),
            ),
            Fact::Visit { block } => {
                self.visit(time_ms, buckets);
                if let Some(block) = block {
                    // Looked up first: most visits are to a block already seen.
                    if !self.blocks.contains(block) {
                        self.blocks.insert(block.clone());
                    }
                }
            }
            Fact::Grade { percent } => lww(
                &mut self.grade,
                Some(Grade {
                    at_ms: time_ms,
                    percent: *percent,
                }),
            ),
            Fact::Passed => min(&mut self.first_passed_ms, Some(time_ms)),
            Fact::Answered {
                problem,
                earned,
                possible,
            } => {
                self.visit(time_ms, buckets);
                if !self.blocks.contains(problem) {
                    self.blocks.insert(problem.clone());
                }
                self.scores.insert(Score {
                    at_ms: time_ms,
                    problem: problem.clone(),
                    earned: *earned,
                    possible: *possible,
                });
            }
        }
    }

    fn visit(&mut self, time_ms: i64, buckets: TimeBuckets) {
        min(&mut self.first_view_ms, Some(time_ms));
        max(&mut self.last_view_ms, Some(time_ms));
        self.buckets.insert(buckets.index(time_ms));
    }

    /// Joins another state of the same (user, course) into this one.
    pub fn merge(&mut self, other: &Self) {
        self.merge_scalars(other);
        for block in &other.blocks {
            if !self.blocks.contains(block) {
                self.blocks.insert(block.clone());
            }
        }
        self.buckets.extend(&other.buckets);
        for score in &other.scores {
            if !self.scores.contains(score) {
                self.scores.insert(score.clone());
            }
        }
    }

    /// Each problem's score, in problem order: the latest of its scores, the greater points
    /// on a tie (the order of [`Score`]), so every state with the same scores gives the same
    /// answer.
    pub fn latest_scores(&self) -> impl Iterator<Item = &Score> {
        let mut scores = self.scores.iter().peekable();
        std::iter::from_fn(move || loop {
            let score = scores.next()?;
            // A problem's scores are adjacent and ascending: the last one is its latest.
            if scores
                .peek()
                .is_none_or(|next| next.problem != score.problem)
            {
                return Some(score);
            }
        })
    }

    /// Joins every part of another state but the sets: a store adds set elements on its
    /// own terms (bounded, see [`super::plan_merge`]).
    pub fn merge_scalars(&mut self, other: &Self) {
        lww(&mut self.enrollment, other.enrollment);
        min(&mut self.first_view_ms, other.first_view_ms);
        max(&mut self.last_view_ms, other.last_view_ms);
        lww(&mut self.grade, other.grade);
        min(&mut self.first_passed_ms, other.first_passed_ms);
    }

    /// Whether the course is in the learner's list: an active enrollment, or activity in a
    /// course whose enrollment event the projection never saw (it predates the deployment;
    /// the LMS lets only enrolled learners into a course).
    pub fn listed(&self) -> bool {
        self.enrollment.is_none_or(|e| e.active)
    }
}

/// One state per (user, course) from a batch of observations, each paired with the user key
/// the caller resolved (the ECO sub): what ingest writes, one write per key instead of one per
/// event.
pub fn group<S: Ord>(
    observations: impl IntoIterator<Item = (S, Observation)>,
    buckets: TimeBuckets,
) -> BTreeMap<(S, CourseId), CourseProgress> {
    let mut states = BTreeMap::<(S, CourseId), CourseProgress>::new();
    for (user, observation) in observations {
        let Observation {
            course,
            time_ms,
            fact,
            ..
        } = observation;
        states
            .entry((user, course))
            .or_default()
            .merge_fact(time_ms, fact, buckets);
    }
    states
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(time_ms: i64, fact: Fact) -> Observation {
        Observation {
            user: Some("3".into()),
            course: "course-v1:A+B+C".parse().unwrap(),
            time_ms,
            fact,
        }
    }

    fn fold(observations: &[Observation]) -> CourseProgress {
        let mut s = CourseProgress::default();
        for o in observations {
            s.merge_observation(o, TimeBuckets::DEFAULT);
        }
        s
    }

    #[test]
    fn the_latest_enrollment_event_wins_and_deactivation_wins_a_tie() {
        let on = |t| obs(t, Fact::Enrollment { active: true });
        let off = |t| obs(t, Fact::Enrollment { active: false });
        assert!(fold(&[off(1), on(2)]).listed());
        assert!(fold(&[on(2), off(1)]).listed());
        assert!(!fold(&[on(1), off(2)]).listed());
        assert!(!fold(&[on(5), off(5)]).listed());
        assert!(!fold(&[off(5), on(5)]).listed());
        // Activity without any enrollment event: enrolled before the projection began.
        assert!(fold(&[obs(1, Fact::Visit { block: None })]).listed());
    }

    #[test]
    fn the_latest_grade_wins_and_the_higher_wins_a_tie() {
        let g = |t, percent| obs(t, Fact::Grade { percent });
        let grade = |s: CourseProgress| s.grade.map(|g| g.percent);
        assert_eq!(grade(fold(&[g(2, 40.0), g(1, 90.0)])), Some(40.0));
        assert_eq!(grade(fold(&[g(1, 90.0), g(2, 40.0)])), Some(40.0));
        assert_eq!(grade(fold(&[g(2, 40.0), g(2, 60.0)])), Some(60.0));
        assert_eq!(grade(fold(&[g(2, 60.0), g(2, 40.0)])), Some(60.0));
    }

    #[test]
    fn visits_give_the_span_the_blocks_and_the_buckets() {
        let v = |t, b: Option<&str>| {
            obs(
                t,
                Fact::Visit {
                    block: b.map(str::to_owned),
                },
            )
        };
        let five = 300_000;
        let s = fold(&[
            v(five * 10 + 1, Some("b1")),
            v(five * 10 + 2, Some("b2")),
            v(five * 11 - 1, Some("b1")),
            v(five * 3, None),
        ]);
        assert_eq!(
            (s.first_view_ms, s.last_view_ms),
            (Some(five * 3), Some(five * 11 - 1))
        );
        assert_eq!(s.blocks.len(), 2);
        assert_eq!(s.buckets, BTreeSet::from([3, 10]));
        // Other facts are not visits.
        let s = fold(&[
            obs(7, Fact::Passed),
            obs(8, Fact::Grade { percent: 1.0 }),
            obs(9, Fact::Enrollment { active: true }),
        ]);
        assert_eq!((s.first_view_ms, s.buckets.len()), (None, 0));
        assert_eq!(s.first_passed_ms, Some(7));
    }

    #[test]
    fn merge_fact_by_value_equals_merge_observation() {
        let all = [
            obs(
                1,
                Fact::Visit {
                    block: Some("b".into()),
                },
            ),
            obs(2, Fact::Visit { block: None }),
            obs(3, Fact::Passed),
            obs(4, Fact::Grade { percent: 3.0 }),
            obs(5, Fact::Enrollment { active: false }),
        ];
        let mut by_value = CourseProgress::default();
        for o in all.clone() {
            by_value.merge_fact(o.time_ms, o.fact, TimeBuckets::DEFAULT);
        }
        assert_eq!(by_value, fold(&all));
    }

    fn answer(t: i64, problem: &str, earned: f64, possible: f64) -> Observation {
        obs(
            t,
            Fact::Answered {
                problem: problem.to_owned(),
                earned,
                possible,
            },
        )
    }

    #[test]
    fn an_answer_is_a_visit_and_a_score_and_the_latest_score_of_a_problem_counts() {
        let s = fold(&[
            answer(5, "p", 1.0, 2.0),
            answer(3, "p", 2.0, 2.0),
            answer(4, "q", 0.0, 1.0),
            answer(5, "p", 0.5, 2.0),
        ]);
        assert_eq!((s.first_view_ms, s.last_view_ms), (Some(3), Some(5)));
        assert_eq!(s.blocks, BTreeSet::from(["p".to_owned(), "q".to_owned()]));
        assert_eq!(s.scores.len(), 4);
        let latest: Vec<(&str, i64, f64)> = s
            .latest_scores()
            .map(|s| (s.problem.as_str(), s.at_ms, s.earned))
            .collect();
        // Two answers of `p` at 5: the greater points win, whatever order they came in.
        assert_eq!(latest, [("p", 5, 1.0), ("q", 4, 0.0)]);
        let mut other = fold(&[answer(5, "p", 0.5, 2.0), answer(3, "p", 2.0, 2.0)]);
        other.merge(&fold(&[answer(4, "q", 0.0, 1.0), answer(5, "p", 1.0, 2.0)]));
        assert_eq!(other, s);
    }

    #[test]
    fn a_score_is_stored_as_text_and_read_back_exactly() {
        let score = Score {
            at_ms: -86_400_001,
            problem: "block-v1:A+B+C+type@problem+block@p%20x".to_owned(),
            earned: 0.1 + 0.2,
            possible: 3.0,
        };
        let entry = score.to_entry();
        assert_eq!(
            entry,
            "-86400001 0.30000000000000004 3 block-v1:A+B+C+type@problem+block@p%20x"
        );
        let back = Score::from_entry(&entry).unwrap();
        assert_eq!(back, score);
        assert_eq!(back.earned.to_bits(), score.earned.to_bits());
        for bad in [
            "",
            "1 1 1",
            "1 1 1 ",
            "x 1 1 p",
            "1 2 1 p",
            "1 -1 1 p",
            "1 0 0 p",
            "1 NaN 1 p",
            "1 1 inf p",
            "1 1 1 p q",
            "1 1 1 p\"",
            "1 1 1 p\\",
        ] {
            assert_eq!(Score::from_entry(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn buckets_floor_times_before_the_epoch() {
        let b = TimeBuckets::from_ms(1000).unwrap();
        assert_eq!((b.index(-1), b.index(0), b.index(999)), (-1, 0, 0));
        assert_eq!(TimeBuckets::from_ms(0), None);
        assert_eq!(TimeBuckets::default().ms(), 300_000);
    }

    #[test]
    fn group_makes_one_state_per_user_and_course() {
        let other: CourseId = "course-v1:A+B+D".parse().unwrap();
        let mut o2 = obs(2, Fact::Passed);
        o2.course = other.clone();
        let batch = vec![
            ("u1", obs(1, Fact::Visit { block: None })),
            ("u1", o2),
            ("u2", obs(3, Fact::Visit { block: None })),
            ("u1", obs(4, Fact::Visit { block: None })),
        ];
        let states = group(batch, TimeBuckets::DEFAULT);
        assert_eq!(states.len(), 3);
        let key = ("u1", "course-v1:A+B+C".parse().unwrap());
        assert_eq!(states[&key].last_view_ms, Some(4));
        assert_eq!(states[&("u1", other)].first_passed_ms, Some(2));
    }
}
