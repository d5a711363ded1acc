//! Validation of the catalog JSON that operators enter (catalog.md, "Validation").
//!
//! Input is the raw JSON value rather than the typed structs, so a rejection can list every
//! problem with its field path at once instead of stopping at serde's first error. References
//! (teacher ids, set specs) are checked against lists the caller passes in: validation stays
//! pure and the caller decides how to look them up.
//!
//! The limits of the stores are rules here too (item size, actions per transaction), so both
//! stores accept exactly the documents this accepts.

mod checker;
mod eco;

use std::fmt;

use serde::Serialize;
use serde_json::Value;
use time::Time;

use super::ids::{SetSpec, TeacherId};
use super::model::{Course, OaiSet, Teacher};
use checker::Checker;

/// The longest string accepted in any field, in bytes.
pub const MAX_STRING_BYTES: usize = 64 * 1024;
/// The most entries accepted in a list without a tighter limit (languages, organizers).
pub const MAX_LIST_LEN: usize = 1000;
/// The largest course or teacher document, in bytes of its stored JSON. A DynamoDB item holds
/// at most 400 KB; the JSON form is never smaller than the item form of the same record, and
/// the margin covers the keys and bookkeeping attributes stored beside it.
pub const MAX_DOCUMENT_BYTES: usize = 350_000;
/// The most teachers one course names.
pub const MAX_TEACHERS: usize = 16;
/// The most sets one course names directly.
pub const MAX_SETS: usize = 8;
/// The most sets one course is in, counting the ancestors of the sets it names.
pub const MAX_MEMBERSHIPS: usize = 24;
// One course write is one DynamoDB transaction of at most 100 actions: the course, the
// harvest-horizon check, every membership now (re-keyed) and every one left, and a reference
// count change for each teacher and set named before or after.
const _: () = assert!(2 + 2 * MAX_MEMBERSHIPS + 2 * MAX_SETS + 2 * MAX_TEACHERS <= 100);

/// One finding about one field: where (`title.en`, `languages[2]`, or `""` for the whole
/// document) and what, in a sentence for an operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub path: String,
    pub message: String,
}

/// A finding that refuses the document.
pub type Problem = Issue;
/// A finding that is accepted but worth the operator's attention.
pub type Warning = Issue;

impl Issue {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A refused document, with every problem found in it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Rejection {
    pub problems: Vec<Problem>,
}

impl Rejection {
    pub fn single(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            problems: vec![Issue::new(path, message)],
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            if p.path.is_empty() {
                f.write_str(&p.message)?;
            } else {
                write!(f, "{}: {}", p.path, p.message)?;
            }
        }
        Ok(())
    }
}

/// An accepted document, typed, with the warnings it raised.
#[derive(Clone, Debug, PartialEq)]
pub struct Validated<T> {
    pub value: T,
    pub warnings: Vec<Warning>,
}

/// What exists in the store, for the reference checks of a course.
#[derive(Clone, Copy, Debug, Default)]
pub struct Known<'a> {
    /// Teachers that exist (at least those the course names).
    pub teachers: &'a [TeacherId],
    /// Sets that exist (at least those the course names).
    pub sets: &'a [SetSpec],
}

/// Parses a request body or a file as JSON, turning serde's error (a lone surrogate escape
/// such as `"\ud800"`, a trailing comma, ...) into a rejection of the whole document.
pub fn parse_json(bytes: &[u8]) -> Result<Value, Rejection> {
    serde_json::from_slice(bytes).map_err(|e| Rejection::single("", format!("not valid JSON: {e}")))
}

/// The ids a list field of a document names, as far as they parse (up to a bound, so a
/// hostile document cannot make the caller look up thousands).
fn referenced<T: std::str::FromStr>(json: &Value, field: &str, bound: usize) -> Vec<T> {
    json.get(field)
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .take(bound)
                .filter_map(|v| v.as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The teacher ids a course document names: what the caller must look up to build
/// [`Known::teachers`].
pub fn referenced_teachers(json: &Value) -> Vec<TeacherId> {
    referenced(json, "teachers", MAX_TEACHERS)
}

/// The set specs a course document names: what the caller must look up to build
/// [`Known::sets`].
pub fn referenced_sets(json: &Value) -> Vec<SetSpec> {
    referenced(json, "sets", MAX_SETS)
}

const COURSE_FIELDS: &[&str] = &[
    "course_id",
    "title",
    "description",
    "languages",
    "url",
    "image",
    "organizers",
    "teachers",
    "interest_area",
    "start",
    "end",
    "units",
    "study_load",
    "typical_learning_time",
    "sets",
    "grade_cutoffs",
];
const TEACHER_FIELDS: &[&str] = &["id", "first_name", "last_name", "image", "descriptions"];
const SET_FIELDS: &[&str] = &["spec", "name"];

const END_OF_DAY: Time = match Time::from_hms(23, 59, 59) {
    Ok(t) => t,
    Err(_) => Time::MIDNIGHT,
};

/// Validates a course document against catalog.md, with references checked against `known`.
pub fn validate_course(json: &Value, known: &Known<'_>) -> Result<Validated<Course>, Rejection> {
    let (mut c, obj) = Checker::document(json, COURSE_FIELDS)?;

    let course_id = c
        .required(obj, "course_id")
        .and_then(|v| c.parsed(v, "course_id"));
    let title = c
        .required(obj, "title")
        .and_then(|v| c.lang_map(v, "title", true));
    let description = c
        .required(obj, "description")
        .and_then(|v| c.lang_map(v, "description", true));
    if let Some(title) = &title {
        eco::title_warnings(&mut c, "title", title);
    }
    if let Some(description) = &description {
        eco::description_warnings(&mut c, "description", description);
    }
    let languages = c
        .required(obj, "languages")
        .and_then(|v| c.languages(v, "languages"));
    let url = c.required(obj, "url").and_then(|v| c.parsed(v, "url"));
    let image = c.optional(obj, "image").map(|v| c.parsed(v, "image"));
    if let Some(Some(image)) = &image {
        eco::image_warnings(&mut c, "image", image);
    }
    let organizers = c
        .required(obj, "organizers")
        .and_then(|v| c.organizers(v, "organizers"));
    let teachers = c
        .optional(obj, "teachers")
        .and_then(|v| c.teachers(v, "teachers", known));
    let interest_area = c
        .required(obj, "interest_area")
        .and_then(|v| c.interest_area(v, "interest_area"));
    let start = c
        .optional(obj, "start")
        .map(|v| c.date(v, "start", Time::MIDNIGHT));
    let end = c.optional(obj, "end").map(|v| c.date(v, "end", END_OF_DAY));
    if let (Some(Some(s)), Some(Some(e))) = (&start, &end) {
        if e < s {
            c.reject("end", format!("{e} is before start {s}"));
        }
    }
    let units = c.optional(obj, "units").map(|v| c.count(v, "units"));
    let study_load = c
        .optional(obj, "study_load")
        .map(|v| c.count(v, "study_load"));
    let typical_learning_time = c
        .optional(obj, "typical_learning_time")
        .map(|v| c.parsed(v, "typical_learning_time"));
    let sets = c
        .optional(obj, "sets")
        .and_then(|v| c.sets(v, "sets", known));
    let grade_cutoffs = c
        .optional(obj, "grade_cutoffs")
        .map(|v| c.grade_cutoffs(v, "grade_cutoffs"));
    if !sets
        .as_ref()
        .is_some_and(|s| s.iter().any(SetSpec::is_eco_base))
    {
        c.warn(
            "sets",
            "no set EcoBase: ECO files the course as a teacher's MOOC, not a core one",
        );
    }

    let (
        Some(course_id),
        Some(title),
        Some(description),
        Some(languages),
        Some(url),
        Some(organizers),
        Some(interest_area),
    ) = (
        course_id,
        title,
        description,
        languages,
        url,
        organizers,
        interest_area,
    )
    else {
        return Err(c.rejection());
    };
    let course = Course {
        course_id,
        title,
        description,
        languages,
        url,
        image: image.flatten(),
        organizers,
        teachers: teachers.unwrap_or_default(),
        interest_area,
        start: start.flatten(),
        end: end.flatten(),
        units: units.flatten(),
        study_load: study_load.flatten(),
        typical_learning_time: typical_learning_time.flatten(),
        sets: sets.unwrap_or_default(),
        grade_cutoffs: grade_cutoffs.flatten(),
    };
    c.document_size(&course);
    c.finish(course)
}

/// Validates a teacher document against catalog.md.
pub fn validate_teacher(json: &Value) -> Result<Validated<Teacher>, Rejection> {
    let (mut c, obj) = Checker::document(json, TEACHER_FIELDS)?;
    let id = c.required(obj, "id").and_then(|v| c.parsed(v, "id"));
    let first_name = c
        .required(obj, "first_name")
        .and_then(|v| c.line(v, "first_name"));
    let last_name = c
        .required(obj, "last_name")
        .and_then(|v| c.line(v, "last_name"));
    let image = c.optional(obj, "image").map(|v| c.parsed(v, "image"));
    let descriptions = c
        .optional(obj, "descriptions")
        .map(|v| c.lang_map(v, "descriptions", false));
    let (Some(id), Some(first_name), Some(last_name)) = (id, first_name, last_name) else {
        return Err(c.rejection());
    };
    let teacher = Teacher {
        id,
        first_name: first_name.to_owned(),
        last_name: last_name.to_owned(),
        image: image.flatten(),
        descriptions: descriptions.flatten().unwrap_or_default(),
    };
    c.document_size(&teacher);
    c.finish(teacher)
}

/// Validates a set document against catalog.md.
pub fn validate_set(json: &Value) -> Result<Validated<OaiSet>, Rejection> {
    let (mut c, obj) = Checker::document(json, SET_FIELDS)?;
    let spec = c.required(obj, "spec").and_then(|v| c.parsed(v, "spec"));
    let name = c.required(obj, "name").and_then(|v| c.line(v, "name"));
    let (Some(spec), Some(name)) = (spec, name) else {
        return Err(c.rejection());
    };
    c.finish(OaiSet {
        spec,
        name: name.to_owned(),
    })
}

#[cfg(test)]
mod tests;
