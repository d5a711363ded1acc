//! What `GET /ecoapi/users/{sub}/courses` answers for one enrollment, from the state and the
//! catalog's facts about the course.

use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::catalog::CourseId;
use crate::datestamp::Datestamp;

use super::state::{CourseProgress, Score, TimeBuckets};

/// The usage keys of a course structure's `problem` blocks.
pub type ProblemIds = HashSet<String>;

/// The catalog's facts the figures depend on, as plain values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CourseFacts {
    /// The course end, when the catalog has one.
    pub end: Option<Datestamp>,
    /// The smallest non-zero grade cutoff, a fraction 0–1 as edX writes `grade_cutoffs`
    /// ([`lowest_cutoff`]).
    pub lowest_cutoff: Option<f64>,
    /// The problems of the course's structure, when one is loaded (and was read: a reader
    /// may leave it out when every state it answers has a course grade). Shared, as a cache
    /// hands the same set to every request.
    pub problems: Option<Arc<ProblemIds>>,
}

/// The percent of a course's problems answered right, from the latest score of each (an
/// unanswered problem counts 0, a score of a problem not in the set is ignored); `None` for
/// a structure without problems.
pub fn problems_percent(progress: &CourseProgress, problems: &ProblemIds) -> Option<f64> {
    if problems.is_empty() {
        return None;
    }
    let earned: f64 = progress
        .latest_scores()
        .filter(|score| problems.contains(&score.problem))
        .map(Score::fraction)
        .sum();
    // usize to f64: exact up to 2^53, far beyond a structure's 20 000 blocks.
    Some(100.0 * earned / problems.len() as f64)
}

/// The smallest non-zero cutoff of a course's `grade_cutoffs` values (fractions 0–1): the
/// success cutoff of the old API. `None` when there is none.
pub fn lowest_cutoff(cutoffs: impl IntoIterator<Item = f64>) -> Option<f64> {
    cutoffs
        .into_iter()
        .filter(|c| c.is_finite() && *c > 0.0)
        .min_by(f64::total_cmp)
}

/// One element of the `users/{sub}/courses` array, with ECO's field names and formats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    /// The bare course id (the harvested record's `lom:entry`).
    pub id: CourseId,
    pub progress_percentage: u8,
    /// `YYYY-MM-DDThh:mm:ssZ`, or `""`.
    pub first_view_date: String,
    pub last_view_date: String,
    pub completed_date: String,
    pub view_count: u64,
    /// Milliseconds, as text (the old API's type).
    pub spent_time: String,
}

impl Figures {
    /// The figures of one (user, course); `None` when the course leaves the user's list (the
    /// latest enrollment event is a deactivation).
    pub fn of(
        course: &CourseId,
        progress: &CourseProgress,
        facts: &CourseFacts,
        buckets: TimeBuckets,
        now: Datestamp,
    ) -> Option<Self> {
        if !progress.listed() {
            return None;
        }
        // The course grade when one was seen, else the problems' share when the structure
        // is known: the same percent for the figure and for completion at the course end.
        let percent = progress.grade.map(|g| g.percent).or_else(|| {
            facts
                .problems
                .as_deref()
                .and_then(|p| problems_percent(progress, p))
        });
        let completed = progress
            .first_passed_ms
            .and_then(date_of)
            .or_else(|| completed_at_end(percent?, facts, now));
        let spent = u64::try_from(progress.buckets.len())
            .unwrap_or(u64::MAX)
            .saturating_mul(u64::from(buckets.ms()));
        Some(Self {
            id: course.clone(),
            progress_percentage: percent.map_or(0, whole_percent),
            first_view_date: text(progress.first_view_ms.and_then(date_of)),
            last_view_date: text(progress.last_view_ms.and_then(date_of)),
            completed_date: text(completed),
            view_count: u64::try_from(progress.blocks.len()).unwrap_or(u64::MAX),
            spent_time: spent.to_string(),
        })
    }
}

/// The old API's rule when no pass was seen: the course end, once the course has ended and
/// the grade is strictly above the lowest non-zero cutoff. A course without an end is never
/// completed this way (the old API failed with a 500 there). Without a course grade, the
/// problems' share stands for it: the old API read a grade the LMS computed from the same
/// problem scores, and a course whose LMS emits no grade events could not complete otherwise.
fn completed_at_end(percent: f64, facts: &CourseFacts, now: Datestamp) -> Option<Datestamp> {
    let cutoff = facts.lowest_cutoff?;
    let end = facts.end?;
    // The cutoff is scaled as the grade was (fraction × 100), so equal values compare equal.
    (percent > cutoff * 100.0 && end < now).then_some(end)
}

/// The integer part of a percent, 0–100. The old API truncated too, but `int(0.29 * 100)` gave
/// 28 there; the nudge keeps a grade that is a whole percent in decimal on its value.
fn whole_percent(percent: f64) -> u8 {
    // In 0..=100 after the clamp (NaN never enters), so the cast loses nothing.
    (percent + 1e-9).floor().clamp(0.0, 100.0) as u8
}

/// The second of a time in milliseconds (floored), within the datestamp range.
fn date_of(ms: i64) -> Option<Datestamp> {
    Datestamp::from_unix(ms.div_euclid(1000))
}

fn text(date: Option<Datestamp>) -> String {
    date.map(|d| d.text().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::state::Grade;

    fn course() -> CourseId {
        "course-v1:A+B+C".parse().unwrap()
    }

    fn at(s: &str) -> Datestamp {
        Datestamp::parse_oai(s).unwrap().0
    }

    fn figures(progress: &CourseProgress, facts: &CourseFacts, now: &str) -> Option<Figures> {
        Figures::of(&course(), progress, facts, TimeBuckets::DEFAULT, at(now))
    }

    fn graded(percent: f64) -> CourseProgress {
        CourseProgress {
            grade: Some(Grade { at_ms: 0, percent }),
            ..CourseProgress::default()
        }
    }

    #[test]
    fn an_empty_enrollment_has_zeros_and_empty_dates() {
        let f = figures(
            &CourseProgress::default(),
            &CourseFacts::default(),
            "2020-01-01",
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"id":"course-v1:A+B+C","progressPercentage":0,"firstViewDate":"","lastViewDate":"","completedDate":"","viewCount":0,"spentTime":"0"}"#
        );
    }

    #[test]
    fn dates_are_utc_seconds_with_a_z() {
        let p = CourseProgress {
            first_view_ms: Some(1_475_482_364_999), // 2016-10-03T08:12:44.999Z
            last_view_ms: Some(1_479_671_041_000),
            buckets: [1, 2, 7].into(),
            blocks: ["a".to_owned(), "b".to_owned()].into(),
            ..CourseProgress::default()
        };
        let f = figures(&p, &CourseFacts::default(), "2020-01-01").unwrap();
        assert_eq!(f.first_view_date, "2016-10-03T08:12:44Z");
        assert_eq!(f.last_view_date, "2016-11-20T19:44:01Z");
        assert_eq!((f.view_count, f.spent_time.as_str()), (2, "900000"));
    }

    #[test]
    fn progress_is_the_whole_percent_of_the_latest_grade() {
        for (fraction, expected) in [(0.29, 29), (0.57, 57), (0.999, 99), (0.0, 0), (1.0, 100)] {
            let f = figures(
                &graded(fraction * 100.0),
                &CourseFacts::default(),
                "2020-01-01",
            );
            assert_eq!(f.unwrap().progress_percentage, expected, "{fraction}");
        }
    }

    #[test]
    fn completion_is_the_first_pass_else_the_end_of_a_course_passed_by_grade() {
        let facts = CourseFacts {
            end: Some(at("2020-06-30T22:00:00Z")),
            lowest_cutoff: lowest_cutoff([0.0, 0.8, 0.5]),
            problems: None,
        };
        let completed = |p: &CourseProgress, facts: &CourseFacts, now| {
            figures(p, facts, now).unwrap().completed_date
        };
        // Above the cutoff, after the end: the end.
        assert_eq!(
            completed(&graded(51.0), &facts, "2020-07-01"),
            "2020-06-30T22:00:00Z"
        );
        // At the cutoff, or before the end: not completed.
        assert_eq!(completed(&graded(50.0), &facts, "2020-07-01"), "");
        assert_eq!(completed(&graded(0.5 * 100.0), &facts, "2020-07-01"), "");
        assert_eq!(completed(&graded(90.0), &facts, "2020-06-30"), "");
        // No end, no cutoff, or no grade: not completed.
        let no_end = CourseFacts {
            end: None,
            ..facts.clone()
        };
        assert_eq!(completed(&graded(90.0), &no_end, "2020-07-01"), "");
        assert_eq!(
            completed(&graded(90.0), &CourseFacts::default(), "2020-07-01"),
            ""
        );
        assert_eq!(
            completed(&CourseProgress::default(), &facts, "2020-07-01"),
            ""
        );
        // A pass wins over the end, whatever the grade.
        let passed = CourseProgress {
            first_passed_ms: Some(1_594_795_000_000),
            ..graded(10.0)
        };
        assert_eq!(
            completed(&passed, &facts, "2020-07-01"),
            "2020-07-15T06:36:40Z"
        );
        assert_eq!(
            completed(&passed, &CourseFacts::default(), "2000-01-01"),
            "2020-07-15T06:36:40Z"
        );
    }

    fn answered(scores: &[(i64, &str, f64, f64)]) -> CourseProgress {
        CourseProgress {
            scores: scores
                .iter()
                .map(|&(at_ms, problem, earned, possible)| Score {
                    at_ms,
                    problem: problem.to_owned(),
                    earned,
                    possible,
                })
                .collect(),
            ..CourseProgress::default()
        }
    }

    fn with_problems(ids: &[&str]) -> CourseFacts {
        CourseFacts {
            problems: Some(Arc::new(ids.iter().map(|p| (*p).to_owned()).collect())),
            ..CourseFacts::default()
        }
    }

    #[test]
    fn without_a_grade_progress_is_the_share_of_the_structures_problems_answered() {
        let facts = with_problems(&["p1", "p2", "p3", "p4"]);
        let percent = |p: &CourseProgress, facts: &CourseFacts| {
            figures(p, facts, "2020-01-01").unwrap().progress_percentage
        };
        // p1 right at its latest answer, p2 half, p3 unanswered, p4 wrong; `x` is not in the
        // structure. (1 + 0.5 + 0 + 0) / 4 = 37.5 %.
        let p = answered(&[
            (1, "p1", 0.0, 1.0),
            (2, "p1", 1.0, 1.0),
            (1, "p2", 1.0, 2.0),
            (1, "p4", 0.0, 3.0),
            (1, "x", 5.0, 5.0),
        ]);
        assert_eq!(percent(&p, &facts), 37);
        // The latest answer of a problem counts, even when it is worse; the higher points on
        // a tie.
        let worse = answered(&[(1, "p1", 1.0, 1.0), (2, "p1", 0.0, 1.0)]);
        assert_eq!(percent(&worse, &facts), 0);
        let tie = answered(&[(2, "p1", 0.0, 1.0), (2, "p1", 1.0, 1.0)]);
        assert_eq!(percent(&tie, &facts), 25);
        // Every problem right: 100.
        let all = answered(&[
            (1, "p1", 1.0, 1.0),
            (1, "p2", 2.0, 2.0),
            (1, "p3", 0.5, 0.5),
            (1, "p4", 3.0, 3.0),
        ]);
        assert_eq!(percent(&all, &facts), 100);
        // No structure, or one without problems: 0, as before.
        assert_eq!(percent(&all, &CourseFacts::default()), 0);
        assert_eq!(percent(&all, &with_problems(&[])), 0);
        // A course grade wins, whatever the problems say.
        let graded_too = CourseProgress {
            grade: Some(Grade {
                at_ms: 0,
                percent: 12.0,
            }),
            ..all.clone()
        };
        assert_eq!(percent(&graded_too, &facts), 12);
    }

    #[test]
    fn without_a_grade_the_problems_share_completes_at_the_course_end() {
        let facts = CourseFacts {
            end: Some(at("2020-06-30T22:00:00Z")),
            lowest_cutoff: Some(0.5),
            ..with_problems(&["p1", "p2"])
        };
        let completed =
            |p: &CourseProgress| figures(p, &facts, "2020-07-01").unwrap().completed_date;
        // 75 % > 50 %: the end; 50 % is not above the cutoff.
        let p = answered(&[(1, "p1", 1.0, 1.0), (1, "p2", 1.0, 2.0)]);
        assert_eq!(completed(&p), "2020-06-30T22:00:00Z");
        assert_eq!(completed(&answered(&[(1, "p1", 1.0, 1.0)])), "");
        // A course grade at or below the cutoff wins over the problems' share.
        let graded_low = CourseProgress {
            grade: Some(Grade {
                at_ms: 0,
                percent: 40.0,
            }),
            ..p
        };
        assert_eq!(completed(&graded_low), "");
    }

    #[test]
    fn the_lowest_cutoff_ignores_zero_and_nonsense() {
        assert_eq!(lowest_cutoff([0.9, 0.0, 0.6, f64::NAN, -1.0]), Some(0.6));
        assert_eq!(lowest_cutoff([0.0]), None);
        assert_eq!(lowest_cutoff([]), None);
    }

    #[test]
    fn a_deactivated_enrollment_has_no_figures() {
        use crate::progress::state::Enrollment;
        let left = CourseProgress {
            enrollment: Some(Enrollment {
                at_ms: 5,
                active: false,
            }),
            ..graded(80.0)
        };
        assert_eq!(figures(&left, &CourseFacts::default(), "2020-01-01"), None);
    }
}
