//! The catalog as stored and rendered: courses, teachers and sets (format: catalog.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids::{CourseId, HttpUrl, InterestArea, Invalid, Lang, SetSpec, TeacherId};
use crate::datestamp::Datestamp;

/// Text in several languages, keyed by language (rendered in key order).
pub type LangMap = BTreeMap<Lang, String>;

/// An ISO 8601 duration of the form `P[nY][nM][nD][T[nH][nM]]`, the one ECO parses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LearningTime(String);

impl LearningTime {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LearningTime {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        if is_eco_duration(&s) {
            Ok(Self(s))
        } else {
            Err(Invalid(format!(
                "{s:?} is not an ISO 8601 duration P[nY][nM][nD][T[nH][nM]] (no weeks, no seconds)"
            )))
        }
    }
}

impl std::str::FromStr for LearningTime {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::try_from(s.to_owned())
    }
}

impl From<LearningTime> for String {
    fn from(v: LearningTime) -> String {
        v.0
    }
}

fn is_eco_duration(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    // Each part is a run of `<digits><designator>` with designators in this order.
    fn part(mut s: &str, designators: &[u8]) -> Option<usize> {
        let mut n = 0;
        let mut next = 0;
        while !s.is_empty() {
            let digits = s.bytes().take_while(u8::is_ascii_digit).count();
            let d = *s.as_bytes().get(digits)?;
            let at = designators[next..].iter().position(|x| *x == d)?;
            if digits == 0 || digits > 9 {
                return None;
            }
            next += at + 1;
            n += 1;
            s = &s[digits + 1..];
        }
        Some(n)
    }
    match (part(date, b"YMD"), time.map(|t| part(t, b"HM"))) {
        (Some(d), None) => d > 0,
        (Some(_), Some(Some(t))) => t > 0,
        _ => false,
    }
}

/// A course as an operator enters it. Its `course_id` is the LOM entry and the progress id;
/// `<prefix><course_id>` is its OAI identifier.
///
/// The catalog types read stored records leniently (unknown fields are ignored), so a record
/// written by a newer release still reads during a rollback; documents from the API are held
/// to the exact format by validation, which refuses unknown fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Course {
    pub course_id: CourseId,
    pub title: LangMap,
    pub description: LangMap,
    pub languages: Vec<Lang>,
    pub url: HttpUrl,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<HttpUrl>,
    pub organizers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teachers: Vec<TeacherId>,
    pub interest_area: InterestArea,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Datestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Datestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub study_load: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typical_learning_time: Option<LearningTime>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sets: Vec<SetSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade_cutoffs: Option<GradeCutoffs>,
}

/// The most grades a course's cutoffs name (the LMS's grading policy has at most five).
pub const MAX_GRADES: usize = 16;
/// The longest grade name, in bytes (the LMS's are letters or a word such as `Pass`).
pub const MAX_GRADE_NAME_BYTES: usize = 64;

/// A course's grade cutoffs, as the LMS's grading policy holds them (`GRADE_CUTOFFS`): each
/// grade's name and the fraction of the course grade (in `(0, 1]`) that earns it, e.g.
/// `{"Pass": 0.5}` or `{"A": 0.9, "B": 0.8}`. Not published over OAI-PMH: ecoapi uses the
/// lowest one as the pass mark (pokeco-legacy.md D.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "BTreeMap<String, f64>", into = "BTreeMap<String, f64>")]
pub struct GradeCutoffs(BTreeMap<String, f64>);

impl GradeCutoffs {
    /// Each grade and its fraction, in grade-name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.0.iter().map(|(g, v)| (g.as_str(), *v))
    }

    /// The smallest cutoff above zero: the fraction a learner must exceed to pass.
    pub fn lowest_nonzero(&self) -> Option<f64> {
        self.0
            .values()
            .copied()
            .filter(|v| *v > 0.0)
            .reduce(f64::min)
    }
}

/// Why a grade name cannot be one, if it cannot.
pub(crate) fn grade_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("a grade name must not be empty".to_owned())
    } else if name.len() > MAX_GRADE_NAME_BYTES {
        Some(format!(
            "a grade name is at most {MAX_GRADE_NAME_BYTES} bytes"
        ))
    } else if name.chars().any(char::is_control) {
        Some("a grade name must not contain control characters".to_owned())
    } else {
        None
    }
}

/// Why a cutoff cannot be one, if it cannot: it is a fraction of the grade in `(0, 1]`.
pub(crate) fn cutoff_problem(value: f64) -> Option<String> {
    (!(value > 0.0 && value <= 1.0))
        .then(|| format!("{value} is not a fraction of the grade greater than 0 and at most 1"))
}

impl TryFrom<BTreeMap<String, f64>> for GradeCutoffs {
    type Error = Invalid;
    fn try_from(map: BTreeMap<String, f64>) -> Result<Self, Invalid> {
        if map.is_empty() {
            return Err(Invalid(
                "grade cutoffs must name at least one grade; leave the field out instead".into(),
            ));
        }
        if map.len() > MAX_GRADES {
            return Err(Invalid(format!("at most {MAX_GRADES} grades")));
        }
        for (name, value) in &map {
            if let Some(why) = grade_name_problem(name).or_else(|| cutoff_problem(*value)) {
                return Err(Invalid(format!("grade {name:?}: {why}")));
            }
        }
        Ok(Self(map))
    }
}

impl From<GradeCutoffs> for BTreeMap<String, f64> {
    fn from(v: GradeCutoffs) -> Self {
        v.0
    }
}

/// A course with what the store keeps beside it: its datestamp (last change, deletion
/// included) and whether it is deleted. Deleted records stay forever (`deletedRecord`
/// `persistent`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CourseRecord {
    pub course: Course,
    pub datestamp: Datestamp,
    pub deleted: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Teacher {
    pub id: TeacherId,
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<HttpUrl>,
    #[serde(default)]
    pub descriptions: LangMap,
}

impl Teacher {
    pub fn full_name(&self) -> String {
        match (self.first_name.is_empty(), self.last_name.is_empty()) {
            (false, false) => format!("{} {}", self.first_name, self.last_name),
            (true, _) => self.last_name.clone(),
            (false, true) => self.first_name.clone(),
        }
    }
}

/// An OAI-PMH set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OaiSet {
    pub spec: SetSpec,
    pub name: String,
}

impl Course {
    /// The smallest non-zero grade cutoff: a learner whose grade exceeds it has passed (the
    /// old API's rule, pokeco-legacy.md D.4). `None` when the course has no cutoffs.
    pub fn lowest_nonzero_cutoff(&self) -> Option<f64> {
        self.grade_cutoffs.as_ref()?.lowest_nonzero()
    }

    /// The course's sets in header order: `EcoBase` first, since ECO reads only the first.
    pub fn header_sets(&self) -> impl Iterator<Item = &SetSpec> {
        let base = self.sets.iter().filter(|s| s.is_eco_base());
        base.chain(self.sets.iter().filter(|s| !s.is_eco_base()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eco_durations() {
        for ok in ["PT24H", "P1Y2M3DT4H5M", "P6D", "PT30M", "P1M"] {
            assert!(is_eco_duration(ok), "{ok}");
        }
        for bad in [
            "", "P", "PT", "24H", "P1W", "PT1S", "PT1H30S", "P1D2Y", "PT1.5H", "P1DT", "PTH",
        ] {
            assert!(!is_eco_duration(bad), "{bad}");
        }
    }

    #[test]
    fn stored_records_with_fields_of_a_newer_release_still_read() {
        let c: Course = serde_json::from_value(serde_json::json!({
            "course_id": "a/b/c", "title": {"en": "t"}, "description": {"en": "d"},
            "languages": ["en"], "url": "https://x.org/", "organizers": ["o"],
            "interest_area": "ECO:TS", "certificate_template": {"id": 7}
        }))
        .unwrap();
        assert_eq!(c.course_id.as_str(), "a/b/c");
        let t: Teacher = serde_json::from_value(serde_json::json!({
            "id": "t", "first_name": "A", "last_name": "B", "pronouns": "she"
        }))
        .unwrap();
        assert_eq!(t.full_name(), "A B");
    }

    fn with_cutoffs(cutoffs: serde_json::Value) -> Result<Course, serde_json::Error> {
        serde_json::from_value(serde_json::json!({
            "course_id": "a/b/c", "title": {"en": "t"}, "description": {"en": "d"},
            "languages": ["en"], "url": "https://x.org/", "organizers": ["o"],
            "interest_area": "ECO:TS", "grade_cutoffs": cutoffs
        }))
    }

    #[test]
    fn the_lowest_nonzero_cutoff_is_the_pass_mark() {
        let c = with_cutoffs(serde_json::json!({"A": 0.9, "B": 0.75, "C": 0.6})).unwrap();
        assert_eq!(c.lowest_nonzero_cutoff(), Some(0.6));
        let c = with_cutoffs(serde_json::json!({"Pass": 1})).unwrap();
        assert_eq!(c.lowest_nonzero_cutoff(), Some(1.0));
        let mut c = with_cutoffs(serde_json::json!({"Pass": 0.5})).unwrap();
        c.grade_cutoffs = None;
        assert_eq!(c.lowest_nonzero_cutoff(), None);
        let json = serde_json::to_value(&c).unwrap();
        assert!(json.get("grade_cutoffs").is_none(), "absent, not null");
    }

    #[test]
    fn cutoffs_outside_zero_to_one_are_refused() {
        for bad in [
            serde_json::json!({"Pass": 0}),
            serde_json::json!({"Pass": 0.0}),
            serde_json::json!({"Pass": -0.5}),
            serde_json::json!({"Pass": 1.01}),
            serde_json::json!({"Pass": "0.5"}),
            serde_json::json!({"": 0.5}),
            serde_json::json!({}),
        ] {
            assert!(with_cutoffs(bad.clone()).is_err(), "{bad}");
        }
        let c = with_cutoffs(serde_json::json!({"B": 0.7, "A": 0.9})).unwrap();
        let grades: Vec<(&str, f64)> = c.grade_cutoffs.as_ref().unwrap().iter().collect();
        assert_eq!(grades, [("A", 0.9), ("B", 0.7)]);
    }

    #[test]
    fn eco_base_comes_first_in_the_header() {
        let mut c: Course = serde_json::from_value(serde_json::json!({
            "course_id": "a/b/c", "title": {"en": "t"}, "description": {"en": "d"},
            "languages": ["en"], "url": "https://x.org/", "organizers": ["o"],
            "interest_area": "ECO:TS", "sets": ["math", "EcoBase"]
        }))
        .unwrap();
        let order: Vec<&str> = c.header_sets().map(SetSpec::as_str).collect();
        assert_eq!(order, ["EcoBase", "math"]);
        c.sets.clear();
        assert_eq!(c.header_sets().count(), 0);
    }
}
