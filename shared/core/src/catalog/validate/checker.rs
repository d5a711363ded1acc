//! The field checks behind the validators: each one reports its problems with their path and
//! returns the typed value when the field is usable.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value};
use time::Time;

use super::{
    Issue, Known, Problem, Rejection, Validated, Warning, MAX_DOCUMENT_BYTES, MAX_LIST_LEN,
    MAX_MEMBERSHIPS, MAX_SETS, MAX_STRING_BYTES, MAX_TEACHERS,
};
use crate::catalog::ids::{InterestArea, Invalid, Lang, SetSpec, TeacherId};
use crate::catalog::model::{
    cutoff_problem, grade_name_problem, GradeCutoffs, LangMap, MAX_GRADES,
};
use crate::datestamp::Datestamp;

/// A field in a path: `a.b`, or `a["x y"]` when the name is not a plain word (a bad key).
pub(super) fn child(parent: &str, name: &str) -> String {
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

/// The first character XML 1.0 cannot carry (its `Char` production): C0 controls other than
/// tab, LF and CR, and U+FFFE/U+FFFF. Surrogates cannot occur in a Rust string.
fn first_non_xml_char(s: &str) -> Option<(usize, char)> {
    s.chars().enumerate().find(|(_, ch)| {
        matches!(ch, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
    })
}

/// Whether a string may hold line breaks: descriptions and titles may, while names,
/// organizers, ids and URLs go on one vCard line or into one element value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    One,
    Many,
}

#[derive(Default)]
pub(super) struct Checker {
    problems: Vec<Problem>,
    warnings: Vec<Warning>,
}

impl Checker {
    /// A checker for a document that must be an object holding only the `allowed` fields:
    /// the object, or the rejection when it is not one.
    pub(super) fn document<'v>(
        json: &'v Value,
        allowed: &[&str],
    ) -> Result<(Self, &'v Map<String, Value>), Rejection> {
        let mut c = Self::default();
        let Some(obj) = c.object(json, "") else {
            return Err(c.rejection());
        };
        c.unknown_fields(obj, allowed, "");
        Ok((c, obj))
    }

    pub(super) fn reject(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Issue::new(path, message));
    }

    pub(super) fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.warnings.push(Issue::new(path, message));
    }

    pub(super) fn rejection(self) -> Rejection {
        Rejection {
            problems: self.problems,
        }
    }

    pub(super) fn finish<T>(self, value: T) -> Result<Validated<T>, Rejection> {
        if self.problems.is_empty() {
            Ok(Validated {
                value,
                warnings: self.warnings,
            })
        } else {
            Err(self.rejection())
        }
    }

    /// Refuses a document whose stored form would exceed [`MAX_DOCUMENT_BYTES`].
    pub(super) fn document_size<T: Serialize>(&mut self, value: &T) {
        let size = serde_json::to_vec(value).map_or(usize::MAX, |v| v.len());
        if size > MAX_DOCUMENT_BYTES {
            self.reject(
                "",
                format!(
                    "the document takes {size} bytes stored, more than the {MAX_DOCUMENT_BYTES} \
                     a record may hold; shorten the descriptions"
                ),
            );
        }
    }

    pub(super) fn object<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
    ) -> Option<&'v Map<String, Value>> {
        let obj = v.as_object();
        if obj.is_none() {
            self.reject(path, format!("must be a JSON object, not {}", kind(v)));
        }
        obj
    }

    pub(super) fn unknown_fields(
        &mut self,
        obj: &Map<String, Value>,
        allowed: &[&str],
        path: &str,
    ) {
        for name in obj.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.reject(&child(path, name), "unknown field");
        }
    }

    /// A present, non-null field; `null` counts as absent for optional fields.
    pub(super) fn optional<'v>(
        &self,
        obj: &'v Map<String, Value>,
        name: &str,
    ) -> Option<&'v Value> {
        obj.get(name).filter(|v| !v.is_null())
    }

    pub(super) fn required<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        name: &str,
    ) -> Option<&'v Value> {
        let v = self.optional(obj, name);
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

    pub(super) fn line<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v str> {
        self.text(v, path, Lines::One)
    }

    /// A one-line string parsed into a validating newtype, whose refusal is the message.
    pub(super) fn parsed<T: std::str::FromStr<Err = Invalid>>(
        &mut self,
        v: &Value,
        path: &str,
    ) -> Option<T> {
        let s = self.line(v, path)?;
        s.parse().map_err(|e: Invalid| self.reject(path, e.0)).ok()
    }

    fn list<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        required: bool,
        max: usize,
    ) -> Option<&'v [Value]> {
        let Some(list) = v.as_array() else {
            self.reject(path, format!("must be a JSON array, not {}", kind(v)));
            return None;
        };
        if required && list.is_empty() {
            self.reject(path, "must not be empty");
            return None;
        }
        if list.len() > max {
            self.reject(path, format!("has more than {max} entries"));
            return None;
        }
        Some(list)
    }

    /// Keeps the entries that pass `check`; the others have been reported.
    fn each<T>(
        &mut self,
        v: &Value,
        path: &str,
        (required, max): (bool, usize),
        mut check: impl FnMut(&mut Self, &Value, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let list = self.list(v, path, required, max)?;
        Some(
            list.iter()
                .enumerate()
                .filter_map(|(i, e)| check(self, e, &item(path, i)))
                .collect(),
        )
    }

    /// Like [`Self::each`] for ids, refusing an id named twice.
    fn unique_ids<T: Ord + Clone + AsRef<str>>(
        &mut self,
        v: &Value,
        path: &str,
        max: usize,
        mut check: impl FnMut(&mut Self, &Value, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let mut seen = BTreeSet::new();
        self.each(v, path, (false, max), |c, e, at| {
            let id = check(c, e, at)?;
            if !seen.insert(id.clone()) {
                c.reject(at, format!("{:?} is named twice", id.as_ref()));
                return None;
            }
            Some(id)
        })
    }

    pub(super) fn lang_map(&mut self, v: &Value, path: &str, required: bool) -> Option<LangMap> {
        let obj = self.object(v, path)?;
        if required && obj.is_empty() {
            self.reject(path, "must not be empty");
            return None;
        }
        let mut map = LangMap::new();
        for (key, text) in obj {
            let at = child(path, key);
            let lang = key.parse::<Lang>().map_err(|e| self.reject(&at, e.0)).ok();
            let text = self.text(text, &at, Lines::Many);
            if let (Some(lang), Some(text)) = (lang, text) {
                map.insert(lang, text.to_owned());
            }
        }
        Some(map)
    }

    pub(super) fn languages(&mut self, v: &Value, path: &str) -> Option<Vec<Lang>> {
        self.each(v, path, (true, MAX_LIST_LEN), |c, e, at| {
            let lang: Lang = c.parsed(e, at)?;
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

    pub(super) fn organizers(&mut self, v: &Value, path: &str) -> Option<Vec<String>> {
        self.each(v, path, (true, MAX_LIST_LEN), |c, e, at| {
            c.line(e, at).map(str::to_owned)
        })
    }

    pub(super) fn teachers(
        &mut self,
        v: &Value,
        path: &str,
        known: &Known<'_>,
    ) -> Option<Vec<TeacherId>> {
        self.unique_ids(v, path, MAX_TEACHERS, |c, e, at| {
            let id: TeacherId = c.parsed(e, at)?;
            if !known.teachers.contains(&id) {
                c.reject(at, format!("no teacher has the id {:?}", id.as_str()));
            }
            Some(id)
        })
    }

    pub(super) fn sets(
        &mut self,
        v: &Value,
        path: &str,
        known: &Known<'_>,
    ) -> Option<Vec<SetSpec>> {
        let sets = self.unique_ids(v, path, MAX_SETS, |c, e, at| {
            let spec: SetSpec = c.parsed(e, at)?;
            if !known.sets.contains(&spec) {
                c.reject(at, format!("no set has the spec {:?}", spec.as_str()));
            }
            Some(spec)
        })?;
        let memberships: BTreeSet<SetSpec> =
            sets.iter().flat_map(SetSpec::with_ancestors).collect();
        if memberships.len() > MAX_MEMBERSHIPS {
            self.reject(
                path,
                format!(
                    "puts the course in {} sets counting the sets above them, more than \
                     {MAX_MEMBERSHIPS}",
                    memberships.len()
                ),
            );
        }
        Some(sets)
    }

    pub(super) fn interest_area(&mut self, v: &Value, path: &str) -> Option<InterestArea> {
        let s = self.line(v, path)?;
        let area = InterestArea::from_code(s);
        if area.is_none() {
            let codes: Vec<&str> = InterestArea::ALL.iter().map(|a| a.code()).collect();
            self.reject(path, format!("{s:?} is not one of {}", codes.join(", ")));
        }
        area
    }

    pub(super) fn date(
        &mut self,
        v: &Value,
        path: &str,
        bare_date_time: Time,
    ) -> Option<Datestamp> {
        let s = self.line(v, path)?;
        let d = Datestamp::parse_rfc3339_or_date(s, bare_date_time)
            .map_err(|_| {
                self.reject(
                    path,
                    format!("{s:?} is not an RFC 3339 date-time or a date YYYY-MM-DD"),
                );
            })
            .ok()?;
        if s.contains('.') {
            self.warn(
                path,
                format!("{s:?} has a fraction of a second; it is published to the second, as {d}"),
            );
        }
        Some(d)
    }

    /// The LMS's `GRADE_CUTOFFS`: grade name → fraction of the grade in `(0, 1]`.
    pub(super) fn grade_cutoffs(&mut self, v: &Value, path: &str) -> Option<GradeCutoffs> {
        let obj = self.object(v, path)?;
        if obj.is_empty() {
            self.reject(
                path,
                "must name at least one grade; leave the field out when the course has none",
            );
            return None;
        }
        if obj.len() > MAX_GRADES {
            self.reject(path, format!("has more than {MAX_GRADES} grades"));
            return None;
        }
        let mut cutoffs = std::collections::BTreeMap::new();
        for (name, value) in obj {
            let at = child(path, name);
            if let Some(why) = grade_name_problem(name) {
                self.reject(&at, why);
                continue;
            }
            match value.as_f64() {
                Some(f) => match cutoff_problem(f) {
                    Some(why) => self.reject(&at, why),
                    None => {
                        cutoffs.insert(name.clone(), f);
                    }
                },
                None => self.reject(
                    &at,
                    format!("must be a number between 0 and 1, not {}", kind(value)),
                ),
            }
        }
        GradeCutoffs::try_from(cutoffs).ok()
    }

    pub(super) fn count(&mut self, v: &Value, path: &str) -> Option<u32> {
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
