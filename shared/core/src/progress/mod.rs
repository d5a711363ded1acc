//! The progress projection: per (ECO user, course), what the learner did, folded from the
//! events the pipeline ingests, and the figures `GET /ecoapi/users/{sub}/courses` answers.
//! Pure rules only; the store keeps the state and ingest feeds it.
//!
//! [`observe()`] reads an event into an [`Observation`] (its rules are in its doc).
//! [`CourseProgress`] is the state: every part is a join-semilattice, so a merge is
//! commutative, associative and idempotent. Redelivered, replayed, reordered or concurrently
//! ingested events give the same state with no coordination. [`group`] folds a batch into one
//! state per (user, course), so ingest makes one store write per key, not one per event.
//! [`Figures::of`] computes the answer from a state and the catalog's facts.
//!
//! # The figures
//! - `id`: the bare edX course id, the harvested record's `lom:entry`.
//! - Listed: one entry per course with an active enrollment, or with activity but no
//!   enrollment event seen (the enrollment predates the projection). The latest enrollment
//!   event decides (deactivation wins at the same millisecond). A deactivated enrollment leaves
//!   the list.
//! - `firstViewDate` / `lastViewDate`: the earliest and latest time of an event of the learner
//!   in the course, enrollment and grade events aside; `""` before any.
//! - `viewCount`: the number of distinct course blocks (usage keys) the learner's events name.
//!   This is the event-stream counterpart of the old API's one row per block with state.
//! - `spentTime`: the number of distinct 5-minute windows (configurable, [`TimeBuckets`]) in
//!   which the learner did anything in the course, times the window length, in milliseconds as
//!   text.
//! - `progressPercentage`: the whole percent (truncated) of the latest course grade
//!   (`edx.grades.course.grade_calculated`). Without one, when the course's structure is
//!   loaded, the share of the structure's `problem` blocks answered right: 100 × the sum,
//!   over the structure's problems, of each one's latest `problem_check` score (earned ÷
//!   possible; an unanswered problem counts 0) ÷ the number of problems. A score of a problem
//!   the structure does not have is ignored. Else 0. A course grade, once seen, always wins.
//! - `completedDate`: the earliest time the learner passed (`edx.course.grade.passed.first_time`
//!   or `now_passed`; a later `now_failed` does not take it back). Without a pass, it is the
//!   course end, as the old API gave it: only once the course has ended and the percent of
//!   `progressPercentage` (the course grade, else the problems' share) is strictly above the
//!   course's lowest non-zero grade cutoff. Else `""`.
//!
//! # How a store merges
//! The state is plain values; each part maps to a store value with its own merge:
//!
//! | part | value | merge |
//! |---|---|---|
//! | `blocks`, `buckets`, `scores` | string set, number set, string set | union (DynamoDB `ADD`, never an empty set) |
//! | `first_view_ms`, `first_passed_ms` | number | min |
//! | `last_view_ms` | number | max |
//! | `enrollment`, `grade` | (time, value) | the greater (time, tie-break) |
//!
//! The sets merge server-side and unconditionally. DynamoDB has no min or max, so the store
//! first reads the items a batch touches. It merges each with [`CourseProgress::merge`] and
//! writes each with one `UpdateItem`: `ADD` for the sets, and `SET` for the scalars that
//! moved, conditioned on their values as read. A failed condition means a concurrent writer.
//! The store then reads again and merges again, which is safe because merging is idempotent.
//! SQLite does the same read, merge and write in one transaction. The sets grow with the
//! course's block count, with the learner's active windows and with their answers. Windows are
//! about 12 numbers an active hour, or some 25 KB for 200 hours, well within an item; the sets
//! are bounded all the same, by one rule for both stores ([`plan_merge`], whose module states
//! the bounds), and DynamoDB's `ADD` is conditioned on the set's size leaving room for what it
//! adds.
//! [`ProgressStore`] is the port both stores implement.

mod figures;
mod observation;
mod observe;
mod state;
mod store;

pub use figures::{lowest_cutoff, problems_percent, CourseFacts, Figures, ProblemIds};
pub use observation::{parse_time_ms, Fact, Observation};
pub use observe::observe;
pub use state::{group, CourseProgress, Enrollment, Grade, Score, TimeBuckets};
pub use store::{
    by_key, plan_merge, MergePlan, ProgressStore, MAX_BLOCKS, MAX_BLOCK_KEY_BYTES, MAX_BUCKETS,
    MAX_SCORES, MAX_SCORE_BYTES,
};
