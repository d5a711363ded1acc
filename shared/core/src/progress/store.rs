//! Where the projection's states live: the [`ProgressStore`] port, implemented by the embedded
//! SQLite store and the DynamoDB store and held to one contract (feature `contract`), and the
//! rule both apply when they merge a state into the stored one ([`plan_merge`]).
//!
//! # Bounds
//! A state is one DynamoDB item, and an item holds at most 400 KB. So a stored state's sets
//! are bounded, by the same rule in both stores:
//! - at most [`MAX_BLOCKS`] block keys, each of at most [`MAX_BLOCK_KEY_BYTES`] bytes (a
//!   longer key is not a usage key the LMS writes, and is never kept);
//! - at most [`MAX_BUCKETS`] time buckets (833 hours in one course at 5 minutes);
//! - at most [`MAX_SCORES`] problem scores (every `problem_check` is one, so this is answers,
//!   not problems), each of at most [`MAX_SCORE_BYTES`] bytes as stored
//!   ([`Score::to_entry`]: a usage key of some 150 bytes at most; a longer one is dropped).
//!
//! A set at its bound stops growing: the elements a merge would add past it are dropped (the
//! first ones in their order are kept). The figures they give (`viewCount`, `spentTime`,
//! `progressPercentage` from scores) then stay at the bound, whatever arrives later. Below the
//! bounds a merge is exactly the join of [`CourseProgress::merge`]. The largest item is then
//! 1 000 × 256 bytes of keys, plus 10 000 numbers at 9 bytes at most each (DynamoDB counts two
//! digits a byte, and a bucket index of a time the parser reads has at most 15 digits), plus
//! 250 × 192 bytes of scores, plus a few hundred bytes of scalars and key: under 395 KB, within
//! DynamoDB's 400 KB (409 600 bytes).
//!
//! Grades that are not a percent (outside 0–100, or not finite) are never kept: `observe`
//! makes none, and neither store could hold every such number alike.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;

use super::state::{CourseProgress, Score};
use crate::catalog::CourseId;
use crate::pipeline::EcoSub;
use crate::store::StoreResult;

/// The most block keys a stored state keeps.
pub const MAX_BLOCKS: usize = 1_000;
/// The longest block key a stored state keeps, in bytes.
pub const MAX_BLOCK_KEY_BYTES: usize = 256;
/// The most time buckets a stored state keeps.
pub const MAX_BUCKETS: usize = 10_000;
/// The most problem scores a stored state keeps: 250 answers in one course.
pub const MAX_SCORES: usize = 250;
/// The longest score a stored state keeps, in bytes of [`Score::to_entry`].
pub const MAX_SCORE_BYTES: usize = 192;

/// The states of the progress projection, one per (ECO user, course).
#[async_trait]
pub trait ProgressStore: Send + Sync {
    /// Merges each state into the stored state of its (user, course), by [`plan_merge`]. The
    /// merge is commutative and idempotent: a batch applied twice, or two batches applied in
    /// either order or at the same time, give the same stored states. A (user, course) may
    /// appear several times in a batch; an empty state stores nothing.
    ///
    /// Answers how many stored states changed (0 when the batch tells nothing new).
    ///
    /// # Errors
    /// `Unavailable` when the store cannot be reached, or when concurrent writers kept
    /// changing a state for longer than the store retries; some states may then be merged
    /// already, and merging the batch again is harmless. `Corrupt` for a stored state this
    /// code cannot read.
    async fn merge_progress(
        &self,
        batch: &[(EcoSub, CourseId, CourseProgress)],
    ) -> StoreResult<u64>;

    /// Every stored state of one ECO user, in course-id (byte) order, from one key lookup:
    /// an unknown user costs one read and answers an empty list.
    ///
    /// # Errors
    /// `Unavailable`; `Corrupt`.
    async fn user_progress(&self, sub: &EcoSub) -> StoreResult<Vec<(CourseId, CourseProgress)>>;

    /// Forgets every state of one ECO user (an operator's erasure, tests) and answers how
    /// many there were.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn delete_user_progress(&self, sub: &EcoSub) -> StoreResult<u64>;
}

/// One state per (user, course) of a batch: the states of a key named twice merged.
pub fn by_key(
    batch: &[(EcoSub, CourseId, CourseProgress)],
) -> BTreeMap<(EcoSub, CourseId), CourseProgress> {
    let mut states = BTreeMap::new();
    for (sub, course, state) in batch {
        match states.entry((sub.clone(), course.clone())) {
            Entry::Vacant(v) => {
                v.insert(state.clone());
            }
            Entry::Occupied(mut o) => o.get_mut().merge(state),
        }
    }
    states
}

/// What a store writes to merge a state into the stored one.
#[derive(Clone, Debug, PartialEq)]
pub struct MergePlan {
    /// The stored state once written.
    pub merged: CourseProgress,
    /// The block keys the write adds (none of them stored yet), in order.
    pub new_blocks: Vec<String>,
    /// The time buckets the write adds, in order.
    pub new_buckets: Vec<i64>,
    /// The scores the write adds, in order.
    pub new_scores: Vec<Score>,
}

/// How `incoming` merges into `stored` (`None`: nothing stored) under the bounds of the module
/// doc; `None` when the stored state would not change, so nothing need be written.
pub fn plan_merge(stored: Option<&CourseProgress>, incoming: &CourseProgress) -> Option<MergePlan> {
    let empty = CourseProgress::default();
    let stored = stored.unwrap_or(&empty);
    let new_blocks: Vec<String> = incoming
        .blocks
        .iter()
        .filter(|b| !b.is_empty() && b.len() <= MAX_BLOCK_KEY_BYTES && !stored.blocks.contains(*b))
        .take(MAX_BLOCKS.saturating_sub(stored.blocks.len()))
        .cloned()
        .collect();
    let new_buckets: Vec<i64> = incoming
        .buckets
        .iter()
        .filter(|b| !stored.buckets.contains(b))
        .take(MAX_BUCKETS.saturating_sub(stored.buckets.len()))
        .copied()
        .collect();
    let new_scores: Vec<Score> = incoming
        .scores
        .iter()
        .filter(|s| keeps_score(s) && !stored.scores.contains(*s))
        .take(MAX_SCORES.saturating_sub(stored.scores.len()))
        .cloned()
        .collect();
    let mut merged = scalars(stored);
    merged.merge_scalars(&CourseProgress {
        grade: incoming
            .grade
            .filter(|g| (0.0..=100.0).contains(&g.percent)),
        ..scalars(incoming)
    });
    if new_blocks.is_empty()
        && new_buckets.is_empty()
        && new_scores.is_empty()
        && merged == scalars(stored)
    {
        return None;
    }
    merged.blocks.clone_from(&stored.blocks);
    merged.blocks.extend(new_blocks.iter().cloned());
    merged.buckets.clone_from(&stored.buckets);
    merged.buckets.extend(&new_buckets);
    merged.scores.clone_from(&stored.scores);
    merged.scores.extend(new_scores.iter().cloned());
    Some(MergePlan {
        merged,
        new_blocks,
        new_buckets,
        new_scores,
    })
}

/// Whether a stored state keeps this score: a valid one, within [`MAX_SCORE_BYTES`] stored.
fn keeps_score(score: &Score) -> bool {
    score.is_valid() && score.to_entry().len() <= MAX_SCORE_BYTES
}

/// A state without its sets (which cost nothing to leave out).
fn scalars(state: &CourseProgress) -> CourseProgress {
    CourseProgress {
        enrollment: state.enrollment,
        first_view_ms: state.first_view_ms,
        last_view_ms: state.last_view_ms,
        blocks: BTreeSet::new(),
        buckets: BTreeSet::new(),
        grade: state.grade,
        first_passed_ms: state.first_passed_ms,
        scores: BTreeSet::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::{Enrollment, Grade};

    fn state(blocks: &[&str], buckets: &[i64], last_view_ms: i64) -> CourseProgress {
        CourseProgress {
            first_view_ms: Some(last_view_ms - 10),
            last_view_ms: Some(last_view_ms),
            blocks: blocks.iter().map(|b| (*b).to_owned()).collect(),
            buckets: buckets.iter().copied().collect(),
            ..CourseProgress::default()
        }
    }

    fn merged(stored: Option<&CourseProgress>, incoming: &CourseProgress) -> CourseProgress {
        match plan_merge(stored, incoming) {
            Some(plan) => plan.merged,
            None => stored.cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn a_plan_adds_only_what_is_new_and_nothing_when_nothing_is() {
        let a = state(&["b1", "b2"], &[1, 2], 100);
        let plan = plan_merge(None, &a).unwrap();
        assert_eq!((plan.merged.clone(), plan.new_blocks.len()), (a.clone(), 2));
        assert_eq!(plan_merge(Some(&a), &a), None, "the same state again");
        assert_eq!(plan_merge(None, &CourseProgress::default()), None);
        assert_eq!(plan_merge(Some(&a), &CourseProgress::default()), None);

        let b = state(&["b2", "b3"], &[2, 3], 50);
        let plan = plan_merge(Some(&a), &b).unwrap();
        assert_eq!(plan.new_blocks, ["b3"]);
        assert_eq!(plan.new_buckets, [3]);
        // The earlier first view moves, the earlier last view does not.
        assert_eq!(
            (plan.merged.first_view_ms, plan.merged.last_view_ms),
            (Some(40), Some(100))
        );
        let mut joined = a.clone();
        joined.merge(&b);
        assert_eq!(plan.merged, joined);
        assert_eq!(merged(Some(&b), &a), joined, "either order");
        // A scalar alone is a change.
        let passed = CourseProgress {
            first_passed_ms: Some(7),
            ..CourseProgress::default()
        };
        assert_eq!(plan_merge(Some(&a), &passed).unwrap().new_blocks.len(), 0);
    }

    #[test]
    fn sets_stop_at_their_bounds_and_odd_values_are_never_kept() {
        let full: Vec<String> = (0..MAX_BLOCKS - 1).map(|n| format!("k{n:05}")).collect();
        let stored = CourseProgress {
            blocks: full.iter().cloned().collect(),
            buckets: (0..i64::try_from(MAX_BUCKETS).unwrap()).collect(),
            ..CourseProgress::default()
        };
        let long = "x".repeat(MAX_BLOCK_KEY_BYTES + 1);
        let incoming = CourseProgress {
            blocks: ["z2", "z1", "", long.as_str(), "k00001"]
                .map(str::to_owned)
                .into(),
            buckets: [-5, 3].into(),
            grade: Some(Grade {
                at_ms: 1,
                percent: f64::NAN,
            }),
            ..CourseProgress::default()
        };
        let plan = plan_merge(Some(&stored), &incoming).unwrap();
        // One block of room: the first new key in order; no room for buckets.
        assert_eq!(plan.new_blocks, ["z1"]);
        assert!(plan.new_buckets.is_empty());
        assert_eq!(plan.merged.blocks.len(), MAX_BLOCKS);
        assert_eq!(plan.merged.grade, None);
        // Full: nothing more is added, scalars still merge.
        assert_eq!(plan_merge(Some(&plan.merged), &incoming), None);
        let enrolled = CourseProgress {
            enrollment: Some(Enrollment {
                at_ms: 3,
                active: true,
            }),
            blocks: ["z9".to_owned()].into(),
            ..CourseProgress::default()
        };
        let again = plan_merge(Some(&plan.merged), &enrolled).unwrap();
        assert!(again.new_blocks.is_empty());
        assert!(again.merged.enrollment.is_some());
        // Only an empty or over-long key: nothing to store.
        let odd = CourseProgress {
            blocks: [String::new(), long].into(),
            grade: Some(Grade {
                at_ms: 1,
                percent: 100.5,
            }),
            ..CourseProgress::default()
        };
        assert_eq!(plan_merge(None, &odd), None);
    }

    fn score(at_ms: i64, problem: &str) -> Score {
        Score {
            at_ms,
            problem: problem.to_owned(),
            earned: 1.0,
            possible: 1.0,
        }
    }

    #[test]
    fn scores_are_added_new_valid_and_short_only_up_to_their_bound() {
        let stored = CourseProgress {
            scores: (0..i64::try_from(MAX_SCORES).unwrap() - 1)
                .map(|t| score(t, "p"))
                .collect(),
            ..CourseProgress::default()
        };
        let long = "x".repeat(MAX_SCORE_BYTES);
        let mut wrong = score(1_000, "w");
        wrong.earned = 2.0;
        let incoming = CourseProgress {
            scores: [
                score(0, "p"),
                score(1_002, "q"),
                score(1_001, "r"),
                score(5, long.as_str()),
                wrong,
            ]
            .into(),
            ..CourseProgress::default()
        };
        let plan = plan_merge(Some(&stored), &incoming).unwrap();
        // One score of room: the first new one in order (of problem, then time).
        assert_eq!(plan.new_scores, [score(1_002, "q")]);
        assert_eq!(plan.merged.scores.len(), MAX_SCORES);
        assert_eq!(plan_merge(Some(&plan.merged), &incoming), None);
        // Below the bound, a merge is the union.
        let a = CourseProgress {
            scores: [score(1, "a"), score(2, "b")].into(),
            ..CourseProgress::default()
        };
        let b = CourseProgress {
            scores: [score(2, "b"), score(3, "c")].into(),
            ..CourseProgress::default()
        };
        let mut joined = a.clone();
        joined.merge(&b);
        assert_eq!(merged(Some(&a), &b), joined);
        assert_eq!(merged(Some(&b), &a), joined);
        assert_eq!(
            plan_merge(Some(&a), &b).unwrap().new_scores,
            [score(3, "c")]
        );
    }

    #[test]
    fn a_key_named_twice_in_a_batch_is_merged() {
        let sub: EcoSub = "5a1b2c3d4e5f60718293a4b5".parse().unwrap();
        let course: CourseId = "course-v1:A+B+C".parse().unwrap();
        let other: CourseId = "course-v1:A+B+D".parse().unwrap();
        let batch = [
            (sub.clone(), course.clone(), state(&["a"], &[1], 10)),
            (sub.clone(), other.clone(), state(&["c"], &[], 30)),
            (sub.clone(), course.clone(), state(&["b"], &[2], 20)),
        ];
        let states = by_key(&batch);
        assert_eq!(states.len(), 2);
        let mut both = state(&["a"], &[1], 10);
        both.merge(&state(&["b"], &[2], 20));
        assert_eq!(states[&(sub, course)], both);
    }
}
