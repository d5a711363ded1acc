//! Validation of the catalog JSON that operators enter (catalog.md, "Validation").
//!
//! Input is the raw JSON value rather than the typed structs, so a rejection can list every
//! problem with its field path at once instead of stopping at serde's first error. References
//! (teacher ids, set specs) are checked against lists the caller passes in: validation stays
//! pure and the caller decides how to look them up.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};
use time::Time;

use super::ids::{CourseId, InterestArea, Lang, SetSpec, TeacherId};
use super::model::{Course, LangMap, LearningTime, OaiSet, Teacher};
use crate::datestamp::Datestamp;

/// The longest string accepted in any field, in bytes.
pub const MAX_STRING_BYTES: usize = 64 * 1024;
/// The most entries accepted in any list (languages, organizers, teachers, sets).
pub const MAX_LIST_LEN: usize = 1000;

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
    /// Every set that exists.
    pub sets: &'a [SetSpec],
}

/// Parses a request body or a file as JSON, turning serde's error (a lone surrogate escape
/// such as `"\ud800"`, a trailing comma, ...) into a rejection of the whole document.
pub fn parse_json(bytes: &[u8]) -> Result<Value, Rejection> {
    serde_json::from_slice(bytes).map_err(|e| Rejection::single("", format!("not valid JSON: {e}")))
}

/// The teacher ids a course document names, as far as they parse: what the caller must look
/// up to build [`Known::teachers`].
pub fn referenced_teachers(json: &Value) -> Vec<TeacherId> {
    json.get("teachers")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|v| v.as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
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
];
const TEACHER_FIELDS: &[&str] = &["id", "first_name", "last_name", "image", "descriptions"];
const SET_FIELDS: &[&str] = &["spec", "name"];

/// Validates a course document against catalog.md, with references checked against `known`.
pub fn validate_course(json: &Value, known: &Known<'_>) -> Result<Validated<Course>, Rejection> {
    let mut c = Checker::default();
    let Some(obj) = c.object(json, "") else {
        return Err(c.rejection());
    };
    c.unknown_fields(obj, COURSE_FIELDS, "");

    let course_id = c
        .required(obj, "course_id")
        .and_then(|v| c.course_id(v, "course_id"));
    let title = c
        .required(obj, "title")
        .and_then(|v| c.lang_map(v, "title", true));
    let description = c
        .required(obj, "description")
        .and_then(|v| c.lang_map(v, "description", true));
    let languages = c
        .required(obj, "languages")
        .and_then(|v| c.languages(v, "languages"));
    let url = c.required(obj, "url").and_then(|v| c.http_url(v, "url"));
    let image = optional(obj, "image").map(|v| c.http_url(v, "image"));
    if let Some(Some(image)) = &image {
        if !has_raster_extension(image) {
            c.warn(
                "image",
                "the path does not end in .png, .jpg, .jpeg or .gif; ECO's harvester fails on \
                 content that is not a raster image",
            );
        }
    }
    let organizers = c
        .required(obj, "organizers")
        .and_then(|v| c.organizers(v, "organizers"));
    let teachers = optional(obj, "teachers").and_then(|v| c.teachers(v, "teachers", known));
    let interest_area = c
        .required(obj, "interest_area")
        .and_then(|v| c.interest_area(v, "interest_area"));
    let start = optional(obj, "start").map(|v| c.date(v, "start", Time::MIDNIGHT));
    let end = optional(obj, "end").map(|v| c.date(v, "end", END_OF_DAY));
    if let (Some(Some(s)), Some(Some(e))) = (&start, &end) {
        if e < s {
            c.reject("end", format!("{e} is before start {s}"));
        }
    }
    let units = optional(obj, "units").map(|v| c.count(v, "units"));
    let study_load = optional(obj, "study_load").map(|v| c.count(v, "study_load"));
    let typical_learning_time =
        optional(obj, "typical_learning_time").map(|v| c.learning_time(v, "typical_learning_time"));
    let sets = optional(obj, "sets").and_then(|v| c.sets(v, "sets", known));
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
    };
    c.finish(course)
}

/// Validates a teacher document against catalog.md.
pub fn validate_teacher(json: &Value) -> Result<Validated<Teacher>, Rejection> {
    let mut c = Checker::default();
    let Some(obj) = c.object(json, "") else {
        return Err(c.rejection());
    };
    c.unknown_fields(obj, TEACHER_FIELDS, "");
    let id = c.required(obj, "id").and_then(|v| c.teacher_id(v, "id"));
    let first_name = c
        .required(obj, "first_name")
        .and_then(|v| c.line(v, "first_name"));
    let last_name = c
        .required(obj, "last_name")
        .and_then(|v| c.line(v, "last_name"));
    let image = optional(obj, "image").map(|v| c.http_url(v, "image"));
    let descriptions = optional(obj, "descriptions").map(|v| c.lang_map(v, "descriptions", false));
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
    c.finish(teacher)
}

/// Validates a set document against catalog.md.
pub fn validate_set(json: &Value) -> Result<Validated<OaiSet>, Rejection> {
    let mut c = Checker::default();
    let Some(obj) = c.object(json, "") else {
        return Err(c.rejection());
    };
    c.unknown_fields(obj, SET_FIELDS, "");
    let spec = c.required(obj, "spec").and_then(|v| c.set_spec(v, "spec"));
    let name = c.required(obj, "name").and_then(|v| c.line(v, "name"));
    let (Some(spec), Some(name)) = (spec, name) else {
        return Err(c.rejection());
    };
    c.finish(OaiSet {
        spec,
        name: name.to_owned(),
    })
}

const END_OF_DAY: Time = match Time::from_hms(23, 59, 59) {
    Ok(t) => t,
    Err(_) => Time::MIDNIGHT,
};

/// ISO 639-1, the two-letter codes (from the iso-codes tables; `bh` kept for old records).
const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

fn parse_lang(s: &str) -> Option<Lang> {
    ISO_639_1.binary_search(&s).ok()?;
    s.parse().ok()
}

/// A field in a path: `a.b`, or `a["x y"]` when the name is not a plain word (a bad key).
fn child(parent: &str, name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    match (parent.is_empty(), plain) {
        (true, true) => name.to_owned(),
        (false, true) => format!("{parent}.{name}"),
        (_, false) => format!("{parent}[{}]", Value::from(name)),
    }
}

fn item(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// A present, non-null field; `null` counts as absent for optional fields.
fn optional<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    obj.get(name).filter(|v| !v.is_null())
}

/// The first character XML 1.0 cannot carry (its `Char` production): C0 controls other than
/// tab, LF and CR, and U+FFFE/U+FFFF. Surrogates cannot occur in a Rust string.
fn first_non_xml_char(s: &str) -> Option<(usize, char)> {
    s.chars().enumerate().find(|(_, ch)| {
        matches!(ch, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
    })
}

/// Checks an absolute `http`/`https` URL strictly: a host, an optional numeric port, and no
/// character that a URL must percent-encode.
fn check_http_url(s: &str) -> Result<(), &'static str> {
    const NOT_HTTP: &str = "must be an absolute http or https URL";
    let (scheme, rest) = s.split_once("://").ok_or(NOT_HTTP)?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(NOT_HTTP);
    }
    if s.chars().any(|ch| {
        ch.is_whitespace()
            || ch.is_control()
            || matches!(ch, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
    }) {
        return Err(
            "contains a character that must be percent-encoded in a URL (space, quote, \
                    backslash, control, ...)",
        );
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let port = if let Some(v6) = host_port.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or("has an unterminated [IPv6] host")?;
        let hex = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
        if !addr.contains(':') || !addr.bytes().all(hex) {
            return Err("has an invalid [IPv6] host");
        }
        match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or("has junk after the [IPv6] host")?,
            ),
        }
    } else {
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        };
        if host.is_empty() || host.contains(['[', ']', '@', ':']) {
            return Err("has no valid host");
        }
        port
    };
    if let Some(p) = port {
        if !p.is_empty() && (!p.bytes().all(|b| b.is_ascii_digit()) || p.parse::<u16>().is_err()) {
            return Err("has an invalid port");
        }
    }
    Ok(())
}

/// Whether the URL's path ends like a raster image ECO's harvester can read.
fn has_raster_extension(url: &str) -> bool {
    let before_query = url.split(['?', '#']).next().unwrap_or_default();
    let lower = before_query.to_ascii_lowercase();
    [".png", ".jpg", ".jpeg", ".gif"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Whether a string may hold line breaks: descriptions and titles may, while names,
/// organizers, ids and URLs go on one vCard line or into one element value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    One,
    Many,
}

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
    warnings: Vec<Warning>,
}

impl Checker {
    fn reject(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Issue::new(path, message));
    }

    fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.warnings.push(Issue::new(path, message));
    }

    fn rejection(self) -> Rejection {
        Rejection {
            problems: self.problems,
        }
    }

    fn finish<T>(self, value: T) -> Result<Validated<T>, Rejection> {
        if self.problems.is_empty() {
            Ok(Validated {
                value,
                warnings: self.warnings,
            })
        } else {
            Err(self.rejection())
        }
    }

    fn object<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        let obj = v.as_object();
        if obj.is_none() {
            self.reject(path, format!("must be a JSON object, not {}", kind(v)));
        }
        obj
    }

    fn unknown_fields(&mut self, obj: &Map<String, Value>, allowed: &[&str], path: &str) {
        for name in obj.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.reject(&child(path, name), "unknown field");
        }
    }

    fn required<'v>(&mut self, obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
        let v = optional(obj, name);
        if v.is_none() {
            self.reject(name, "is required");
        }
        v
    }

    /// A string that XML can carry, not empty, not too long; on one line when `lines` says so.
    fn text<'v>(&mut self, v: &'v Value, path: &str, lines: Lines) -> Option<&'v str> {
        let Some(s) = v.as_str() else {
            self.reject(path, format!("must be a string, not {}", kind(v)));
            return None;
        };
        if s.is_empty() {
            self.reject(path, "must not be empty");
        } else if s.len() > MAX_STRING_BYTES {
            self.reject(path, format!("is longer than {MAX_STRING_BYTES} bytes"));
        } else if let Some((at, ch)) = first_non_xml_char(s) {
            let code = u32::from(ch);
            self.reject(
                path,
                format!("contains U+{code:04X} at character {at}, which XML 1.0 cannot carry"),
            );
        } else if lines == Lines::One && s.contains(['\r', '\n']) {
            self.reject(path, "must not contain a line break (CR or LF)");
        } else {
            return Some(s);
        }
        None
    }

    fn line<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v str> {
        self.text(v, path, Lines::One)
    }

    fn parsed<T: std::str::FromStr<Err = super::ids::Invalid>>(
        &mut self,
        v: &Value,
        path: &str,
    ) -> Option<T> {
        let s = self.line(v, path)?;
        s.parse()
            .map_err(|e: super::ids::Invalid| self.reject(path, e.0))
            .ok()
    }

    fn course_id(&mut self, v: &Value, path: &str) -> Option<CourseId> {
        self.parsed(v, path)
    }

    fn teacher_id(&mut self, v: &Value, path: &str) -> Option<TeacherId> {
        self.parsed(v, path)
    }

    fn set_spec(&mut self, v: &Value, path: &str) -> Option<SetSpec> {
        self.parsed(v, path)
    }

    fn lang(&mut self, v: &Value, path: &str) -> Option<Lang> {
        let s = self.line(v, path)?;
        let lang = parse_lang(s);
        if lang.is_none() {
            self.reject(
                path,
                format!("{s:?} is not a lower-case ISO 639-1 language code"),
            );
        }
        lang
    }

    fn list<'v>(&mut self, v: &'v Value, path: &str, required: bool) -> Option<&'v [Value]> {
        let Some(list) = v.as_array() else {
            self.reject(path, format!("must be a JSON array, not {}", kind(v)));
            return None;
        };
        if required && list.is_empty() {
            self.reject(path, "must not be empty");
            return None;
        }
        if list.len() > MAX_LIST_LEN {
            self.reject(path, format!("has more than {MAX_LIST_LEN} entries"));
            return None;
        }
        Some(list)
    }

    /// Keeps the entries that pass `check`; the others have been reported.
    fn each<T>(
        &mut self,
        v: &Value,
        path: &str,
        required: bool,
        mut check: impl FnMut(&mut Self, &Value, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let list = self.list(v, path, required)?;
        Some(
            list.iter()
                .enumerate()
                .filter_map(|(i, e)| check(self, e, &item(path, i)))
                .collect(),
        )
    }

    fn lang_map(&mut self, v: &Value, path: &str, required: bool) -> Option<LangMap> {
        let obj = self.object(v, path)?;
        if required && obj.is_empty() {
            self.reject(path, "must not be empty");
            return None;
        }
        let mut map = LangMap::new();
        for (key, text) in obj {
            let at = child(path, key);
            let lang = parse_lang(key);
            if lang.is_none() {
                self.reject(
                    &at,
                    format!("{key:?} is not a lower-case ISO 639-1 language code"),
                );
            }
            let text = self.text(text, &at, Lines::Many);
            if let (Some(lang), Some(text)) = (lang, text) {
                map.insert(lang, text.to_owned());
            }
        }
        Some(map)
    }

    fn languages(&mut self, v: &Value, path: &str) -> Option<Vec<Lang>> {
        self.each(v, path, true, |c, e, at| {
            let lang = c.lang(e, at)?;
            if !lang.is_eco() {
                c.warn(
                    at,
                    format!(
                        "{lang} is not one of ECO's languages (en de pt es fr it): the portal's \
                         filters will not show it"
                    ),
                );
            }
            Some(lang)
        })
    }

    fn organizers(&mut self, v: &Value, path: &str) -> Option<Vec<String>> {
        self.each(v, path, true, |c, e, at| c.line(e, at).map(str::to_owned))
    }

    fn teachers(&mut self, v: &Value, path: &str, known: &Known<'_>) -> Option<Vec<TeacherId>> {
        self.each(v, path, false, |c, e, at| {
            let id = c.teacher_id(e, at)?;
            if !known.teachers.contains(&id) {
                c.reject(at, format!("no teacher has the id {:?}", id.as_str()));
            }
            Some(id)
        })
    }

    fn sets(&mut self, v: &Value, path: &str, known: &Known<'_>) -> Option<Vec<SetSpec>> {
        self.each(v, path, false, |c, e, at| {
            let spec = c.set_spec(e, at)?;
            if !known.sets.contains(&spec) {
                c.reject(at, format!("no set has the spec {:?}", spec.as_str()));
            }
            Some(spec)
        })
    }

    fn http_url(&mut self, v: &Value, path: &str) -> Option<String> {
        let s = self.line(v, path)?;
        match check_http_url(s) {
            Ok(()) => Some(s.to_owned()),
            Err(why) => {
                self.reject(path, why);
                None
            }
        }
    }

    fn interest_area(&mut self, v: &Value, path: &str) -> Option<InterestArea> {
        let s = self.line(v, path)?;
        let area = InterestArea::from_code(s);
        if area.is_none() {
            let codes: Vec<&str> = InterestArea::ALL.iter().map(|a| a.code()).collect();
            self.reject(path, format!("{s:?} is not one of {}", codes.join(", ")));
        }
        area
    }

    fn date(&mut self, v: &Value, path: &str, bare_date_time: Time) -> Option<Datestamp> {
        let s = self.line(v, path)?;
        Datestamp::parse_rfc3339_or_date(s, bare_date_time)
            .map_err(|_| {
                self.reject(
                    path,
                    format!("{s:?} is not an RFC 3339 date-time or a date YYYY-MM-DD"),
                );
            })
            .ok()
    }

    fn count(&mut self, v: &Value, path: &str) -> Option<u32> {
        let n = v.as_u64();
        match n.map(u32::try_from) {
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => {
                self.reject(path, format!("is larger than {}", u32::MAX));
                None
            }
            None => {
                self.reject(path, format!("must be a non-negative integer, not {v}"));
                None
            }
        }
    }

    fn learning_time(&mut self, v: &Value, path: &str) -> Option<LearningTime> {
        let s = self.line(v, path)?;
        LearningTime::try_from(s.to_owned())
            .map_err(|e| self.reject(path, e.0))
            .ok()
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
