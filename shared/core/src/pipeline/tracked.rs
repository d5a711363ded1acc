//! Which courses' events become statements: the courses listed in `POKECO_TRACKED_COURSES`
//! and those the operator adds under `/admin/tracked-courses`, or `*` for all. Membership is
//! exact: the old code's prefix match let `course-v1:A+B+1` track `course-v1:A+B+10` too.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::catalog::ids::Invalid;
use crate::catalog::CourseId;

/// One entry of the tracked courses.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Tracked {
    /// `*`: every course.
    All,
    Course(CourseId),
}

impl FromStr for Tracked {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "*" => Ok(Self::All),
            id => id.parse().map(Self::Course),
        }
    }
}

impl TryFrom<String> for Tracked {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        s.parse()
    }
}

impl From<Tracked> for String {
    fn from(t: Tracked) -> String {
        t.to_string()
    }
}

impl fmt::Display for Tracked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("*"),
            Self::Course(id) => f.write_str(id.as_str()),
        }
    }
}

/// The tracked courses in force: the setting's and the store's together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackedCourses {
    pub from_setting: BTreeSet<Tracked>,
    pub from_store: BTreeSet<Tracked>,
}

impl TrackedCourses {
    /// Reads `POKECO_TRACKED_COURSES`: course ids separated by commas (or white space), or `*`.
    ///
    /// # Errors
    /// The first entry that is neither a course id nor `*`.
    pub fn parse_setting(value: &str) -> Result<BTreeSet<Tracked>, Invalid> {
        value
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect()
    }

    /// Whether events of this course (its id as the event writes it) are tracked.
    pub fn contains(&self, course_id: &str) -> bool {
        self.from_setting
            .iter()
            .chain(&self.from_store)
            .any(|t| match t {
                Tracked::All => true,
                Tracked::Course(id) => id.as_str() == course_id,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_is_exact_and_star_is_all() {
        let tracked = TrackedCourses {
            from_setting: TrackedCourses::parse_setting("course-v1:A+B+1, Org/C/R").unwrap(),
            from_store: BTreeSet::new(),
        };
        assert!(tracked.contains("course-v1:A+B+1"));
        assert!(tracked.contains("Org/C/R"));
        assert!(!tracked.contains("course-v1:A+B+10"));
        assert!(!tracked.contains("course-v1:A+B+"));
        let all = TrackedCourses {
            from_setting: BTreeSet::new(),
            from_store: ["*".parse().unwrap()].into(),
        };
        assert!(all.contains("anything"));
        assert!(!TrackedCourses::default().contains("course-v1:A+B+1"));
    }

    #[test]
    fn a_bad_setting_names_its_entry() {
        let err = TrackedCourses::parse_setting("course-v1:A+B+1,nonsense").unwrap_err();
        assert!(err.0.contains("nonsense"), "{err}");
        assert!(TrackedCourses::parse_setting(" ").unwrap().is_empty());
    }
}
