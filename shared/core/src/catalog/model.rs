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
            "interest_area": "ECO:TS", "grade_cutoffs": {"pass": 0.5}
        }))
        .unwrap();
        assert_eq!(c.course_id.as_str(), "a/b/c");
        let t: Teacher = serde_json::from_value(serde_json::json!({
            "id": "t", "first_name": "A", "last_name": "B", "pronouns": "she"
        }))
        .unwrap();
        assert_eq!(t.full_name(), "A B");
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
