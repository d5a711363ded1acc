//! One edX tracking event, read from either shape the LMS writes: the legacy tracking-log
//! shape (`event_type`, `event`, `time`, `event_source`) and the current event-tracking shape
//! (`name`, `data`, `timestamp`). Only what the profiles read is kept.
//!
//! A line is read by [`crate::json::read`] without building its tree; what that reader leaves
//! (a line it cannot vouch for, or not an event) goes through `serde_json`'s tree, which gives
//! the same event or says what is wrong.

use serde_json::{Map, Value};

use crate::json::read::Cursor;
use crate::json::Raw;

/// An edX event, normalized.
#[derive(Clone, Debug, PartialEq)]
pub struct EdxEvent {
    /// `event_type` (legacy), else `name`.
    pub event_type: String,
    /// `event_source`: `server` or `browser`, when given.
    pub source: Option<String>,
    /// The event's time exactly as written (`time`, else `timestamp`).
    pub time: String,
    /// `context.course_id`, else the `course_id` form value of a request event.
    pub course_id: Option<String>,
    /// `context.user_id`, as text (the LMS writes a number).
    pub user_id: Option<String>,
    /// `context.path`.
    pub path: Option<String>,
    /// `context.module.display_name`.
    pub module_name: Option<String>,
    /// `event` (legacy) or `data` as an object. A string is parsed as JSON; the LMS cuts
    /// request payloads at 512 characters, so one that does not parse counts as absent.
    pub payload: Option<Payload>,
    /// `page` (browser events).
    pub page: Option<String>,
    /// `referer`.
    pub referer: Option<String>,
}

/// An event's payload, kept as its JSON text and read field by field when a rule asks.
#[derive(Clone, Debug)]
pub struct Payload(PayloadForm);

#[derive(Clone, Debug)]
enum PayloadForm {
    /// An object's text, checked by [`crate::json::read`].
    Text(String),
    /// An object `serde_json` read (a line the reader left to it).
    Tree(Map<String, Value>),
}

impl Payload {
    /// A member as text: a non-empty string, or a number as written.
    pub fn text(&self, name: &str) -> Option<String> {
        match &self.0 {
            PayloadForm::Text(json) => Raw::checked(json).get(name)?.to_text(),
            PayloadForm::Tree(map) => value_text(map.get(name)),
        }
    }

    /// A member, to read inside it without building its tree.
    pub fn get(&self, name: &str) -> Option<Field<'_>> {
        match &self.0 {
            PayloadForm::Text(json) => Raw::checked(json).get(name).map(Field::Raw),
            PayloadForm::Tree(map) => map.get(name).map(Field::Tree),
        }
    }

    /// A member as a tree, for the rules that read inside it.
    pub fn value(&self, name: &str) -> Option<Value> {
        match &self.0 {
            PayloadForm::Text(json) => Raw::checked(json).get(name)?.to_value(),
            PayloadForm::Tree(map) => map.get(name).cloned(),
        }
    }

    /// The whole payload as a tree.
    pub fn to_map(&self) -> Map<String, Value> {
        match &self.0 {
            PayloadForm::Text(json) => match serde_json::from_str(json) {
                Ok(Value::Object(map)) => map,
                _ => Map::new(),
            },
            PayloadForm::Tree(map) => map.clone(),
        }
    }
}

/// A value inside a payload: text the reader checked, or part of the tree `serde_json` read.
/// Its methods answer as the tree's would.
#[derive(Clone, Copy, Debug)]
pub enum Field<'a> {
    Raw(Raw<'a>),
    Tree(&'a Value),
}

impl<'a> Field<'a> {
    /// An object's member (the last of that name), as [`Value::get`] with a name.
    pub fn get(self, name: &str) -> Option<Self> {
        match self {
            Self::Raw(raw) => raw.get(name).map(Self::Raw),
            Self::Tree(value) => value.get(name).map(Self::Tree),
        }
    }

    /// An array's first element, as [`Value::get`] with 0.
    pub fn first(self) -> Option<Self> {
        match self {
            Self::Raw(raw) => raw.first().map(Self::Raw),
            Self::Tree(value) => value.get(0).map(Self::Tree),
        }
    }

    pub fn is_array(self) -> bool {
        match self {
            Self::Raw(raw) => raw.text().starts_with('['),
            Self::Tree(value) => value.is_array(),
        }
    }

    /// A string's value, as [`Value::as_str`].
    pub fn string(self) -> Option<String> {
        match self {
            Self::Raw(raw) => raw.str().map(std::borrow::Cow::into_owned),
            Self::Tree(value) => value.as_str().map(str::to_owned),
        }
    }

    /// A non-empty string, or a number as `serde_json` prints it.
    pub fn text(self) -> Option<String> {
        match self {
            Self::Raw(raw) => raw.to_text(),
            Self::Tree(value) => value_text(Some(value)),
        }
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        self.to_map() == other.to_map()
    }
}

impl From<Map<String, Value>> for Payload {
    fn from(map: Map<String, Value>) -> Self {
        Self(PayloadForm::Tree(map))
    }
}

/// Why a line is not an event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("not a JSON object: {0}")]
    Malformed(String),
    #[error("no event type (event_type or name)")]
    NoType,
    #[error("no time (time or timestamp)")]
    NoTime,
    #[error("no context object")]
    NoContext,
}

fn value_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An object, or a string that holds one.
fn object(v: Option<&Value>) -> Option<Map<String, Value>> {
    match v? {
        Value::Object(m) => Some(m.clone()),
        Value::String(s) => match serde_json::from_str(s) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        },
        _ => None,
    }
}

/// The `course_id` of a request event's form (`POST.course_id[0]`).
fn form_course(payload: Option<&Payload>) -> Option<String> {
    payload?.get("POST")?.get("course_id")?.first()?.text()
}

/// The members of a line the reader keeps, by position in [`Top`].
const EVENT_TYPE: usize = 0;
const NAME: usize = 1;
const TIME: usize = 2;
const TIMESTAMP: usize = 3;
const EVENT_SOURCE: usize = 4;
const PAGE: usize = 5;
const REFERER: usize = 6;
const EVENT: usize = 7;
const DATA: usize = 8;
const CONTEXT: usize = 9;

/// The last value of each member the profiles read, as `serde_json`'s tree keeps it.
type Top<'a> = [Option<Raw<'a>>; 9];

/// The same of the context: `course_id`, `user_id`, `path`, `module`.
type Context<'a> = [Option<Raw<'a>>; 4];

/// Which kept member a key names. Compared by length and first byte before the whole key:
/// most keys of a log line are none of them.
fn top_slot(k: &[u8]) -> Option<usize> {
    Some(match (k.len(), *k.first()?) {
        (10, b'e') if k == b"event_type" => EVENT_TYPE,
        (4, b'n') if k == b"name" => NAME,
        (4, b't') if k == b"time" => TIME,
        (9, b't') if k == b"timestamp" => TIMESTAMP,
        (12, b'e') if k == b"event_source" => EVENT_SOURCE,
        (4, b'p') if k == b"page" => PAGE,
        (7, b'r') if k == b"referer" => REFERER,
        (5, b'e') if k == b"event" => EVENT,
        (4, b'd') if k == b"data" => DATA,
        (7, b'c') if k == b"context" => CONTEXT,
        _ => return None,
    })
}

fn context_slot(k: &[u8]) -> Option<usize> {
    Some(match (k.len(), *k.first()?) {
        (9, b'c') if k == b"course_id" => 0,
        (7, b'u') if k == b"user_id" => 1,
        (4, b'p') if k == b"path" => 2,
        (6, b'm') if k == b"module" => 3,
        _ => return None,
    })
}

/// The context object's members at the cursor.
fn read_context<'a>(c: &mut Cursor<'a>) -> Option<Context<'a>> {
    let mut found = [None; 4];
    c.members(|key, c| {
        // An escaped key might spell one of the names: left to the tree.
        if key.escaped {
            return None;
        }
        match context_slot(key.raw.as_bytes()) {
            Some(at) => found[at] = Some(c.value()?),
            None => c.skip()?,
        }
        Some(())
    })?;
    Some(found)
}

/// What the top of a line holds of `context`: its members, or a value that is no object.
enum ContextValue<'a> {
    Object(Context<'a>),
    Other(Raw<'a>),
}

fn text(v: Option<Raw<'_>>) -> Option<String> {
    v?.to_text()
}

/// What [`object`] makes of a value, as the reader sees it: the object's text (owned when it
/// was a string holding JSON), `Some(None)` when the tree would find no object, `None` when
/// only the tree can tell.
fn embedded(value: Option<Raw<'_>>) -> Option<Option<String>> {
    let Some(value) = value else {
        return Some(None);
    };
    if value.is_object() {
        return Some(Some(value.text().to_owned()));
    }
    let Some(inner) = value.str() else {
        // A number, an array, `null`: the tree finds no object either.
        return Some(None);
    };
    match Raw::parse(&inner) {
        Some(raw) if raw.is_object() => Some(Some(inner.into_owned())),
        Some(_) => Some(None),
        // Text cut by the LMS (no object for the tree either), or JSON the reader leaves.
        None => serde_json::from_str::<Value>(&inner)
            .is_err()
            .then_some(None),
    }
}

impl EdxEvent {
    /// The common line, one event as the LMS writes it, read without building its tree;
    /// `None` for anything else, which the tree then reads or reports.
    pub(crate) fn read(line: &[u8]) -> Option<Self> {
        let line = std::str::from_utf8(line).ok()?;
        // One walk over the line: the context is read as it is met.
        let mut top: Top = [None; 9];
        let mut context = None;
        let mut c = Cursor::new(line);
        c.ws();
        c.members(|key, c| {
            // An escaped key might spell one of the names: left to the tree.
            if key.escaped {
                return None;
            }
            match top_slot(key.raw.as_bytes()) {
                Some(CONTEXT) if c.peek() == Some(b'{') => {
                    context = Some(ContextValue::Object(read_context(c)?));
                }
                Some(CONTEXT) => context = Some(ContextValue::Other(c.value()?)),
                Some(at) => top[at] = Some(c.value()?),
                None => c.skip()?,
            }
            Some(())
        })?;
        c.end()?;
        let event_type = text(top[EVENT_TYPE]).or_else(|| text(top[NAME]))?;
        let time = text(top[TIME]).or_else(|| text(top[TIMESTAMP]))?;
        // A context held in a string is read from its value.
        let held;
        let context = match context? {
            ContextValue::Object(found) => found,
            ContextValue::Other(value) => {
                held = embedded(Some(value))??;
                let mut c = Cursor::new(&held);
                c.ws();
                let found = read_context(&mut c)?;
                c.end()?;
                found
            }
        };
        let [course_id, user_id, path, module] = context;
        let payload = match embedded(top[EVENT])? {
            Some(json) => Some(json),
            None => embedded(top[DATA])?,
        }
        .map(|json| Payload(PayloadForm::Text(json)));
        let course_id = text(course_id).or_else(|| form_course(payload.as_ref()));
        let module_name = module
            .and_then(|m| m.get("display_name"))
            .and_then(Raw::to_text);
        Some(Self {
            event_type,
            source: text(top[EVENT_SOURCE]),
            time,
            course_id,
            user_id: text(user_id),
            path: text(path),
            module_name,
            payload,
            page: text(top[PAGE]),
            referer: text(top[REFERER]),
        })
    }

    /// Reads one tracking-log line (or one element of a JSON array).
    ///
    /// # Errors
    /// `Malformed` for anything but a JSON object; `NoType`, `NoTime`, `NoContext` for an
    /// object that lacks what every event has.
    pub fn parse(line: &[u8]) -> Result<Self, EventError> {
        if let Some(event) = Self::read(line) {
            return Ok(event);
        }
        let value: Value =
            serde_json::from_slice(line).map_err(|e| EventError::Malformed(e.to_string()))?;
        Self::from_value(&value)
    }

    /// # Errors
    /// As [`EdxEvent::parse`].
    pub fn from_value(value: &Value) -> Result<Self, EventError> {
        let Value::Object(e) = value else {
            return Err(EventError::Malformed("not an object".into()));
        };
        let event_type = value_text(e.get("event_type"))
            .or_else(|| value_text(e.get("name")))
            .ok_or(EventError::NoType)?;
        let time = value_text(e.get("time"))
            .or_else(|| value_text(e.get("timestamp")))
            .ok_or(EventError::NoTime)?;
        let context = object(e.get("context")).ok_or(EventError::NoContext)?;
        let payload = object(e.get("event"))
            .or_else(|| object(e.get("data")))
            .map(Payload::from);
        let course_id =
            value_text(context.get("course_id")).or_else(|| form_course(payload.as_ref()));
        let module_name = context
            .get("module")
            .and_then(|m| value_text(m.get("display_name")));
        Ok(Self {
            event_type,
            source: value_text(e.get("event_source")),
            time,
            course_id,
            user_id: value_text(context.get("user_id")),
            path: value_text(context.get("path")),
            module_name,
            payload,
            page: value_text(e.get("page")),
            referer: value_text(e.get("referer")),
        })
    }

    /// A payload field as text.
    pub fn field(&self, name: &str) -> Option<String> {
        self.payload.as_ref()?.text(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_shapes() {
        let legacy = br#"{"event_type": "play_video", "event_source": "browser",
            "time": "2016-11-07T09:20:11.734000+00:00", "page": "https://x/p",
            "context": {"user_id": 42, "course_id": "course-v1:A+B+C", "path": "/event"},
            "event": "{\"id\": \"v1\", \"currentTime\": 3}"}"#;
        let e = EdxEvent::parse(legacy).unwrap();
        assert_eq!(e.event_type, "play_video");
        assert_eq!(e.user_id.as_deref(), Some("42"));
        assert_eq!(e.field("id").as_deref(), Some("v1"));
        let current = br#"{"name": "edx.course.enrollment.activated",
            "timestamp": "2023-01-01T00:00:00Z",
            "context": {"user_id": "7", "course_id": "course-v1:A+B+C"},
            "data": {"mode": "audit"}}"#;
        let e = EdxEvent::parse(current).unwrap();
        assert_eq!(
            (e.event_type.as_str(), e.time.as_str()),
            ("edx.course.enrollment.activated", "2023-01-01T00:00:00Z")
        );
        assert_eq!(e.field("mode").as_deref(), Some("audit"));
    }

    #[test]
    fn a_payload_cut_by_the_lms_counts_as_absent() {
        let cut = br#"{"event_type": "/courses/x/wiki/_create/", "time": "t", "context": {},
            "event": "{\"POST\": {\"title\": [\"Formul"}"#;
        let e = EdxEvent::parse(cut).unwrap();
        assert_eq!(e.payload, None);
    }

    #[test]
    fn the_course_of_a_request_event_comes_from_its_form() {
        let e = br#"{"event_type": "/change_enrollment", "time": "t", "context": {"course_id": ""},
            "event": "{\"POST\": {\"course_id\": [\"course-v1:A+B+C\"]}, \"GET\": {}}"}"#;
        assert_eq!(
            EdxEvent::parse(e).unwrap().course_id.as_deref(),
            Some("course-v1:A+B+C")
        );
    }

    #[test]
    fn the_direct_reader_reads_what_the_tree_reads() {
        let log = pokeco_testkit::events::legacy_tracking_log();
        let mut lines: Vec<String> = log.lines().map(str::to_owned).collect();
        // Variants: numbers as user ids, contexts and payloads as strings, odd values.
        lines.push(r#"{"name":"x","timestamp":"t","context":"{\"user_id\": 7.5, \"course_id\": \"c\"}","data":"[1]"}"#.into());
        lines.push(r#"{"event_type":"","name":"n","time":"t","context":{"user_id":-3,"module":{"display_name":"M"}},"event":{"POST":{"course_id":["course-v1:A+B+C"]}}}"#.into());
        lines.push(r#"{"event_type":"e","time":"t","context":{"module":"m","path":""},"event":"{\"POST\": {\"title\": [\"Formul"}"#.into());
        // A name given twice (the last counts), escapes, numbers the reader leaves to the tree.
        lines.push(
            r#"{"name":"x","time":"t","time":"u","context":{"user_id":1,"user_id":"2"}}"#.into(),
        );
        lines.push(
            r#"{"name":"caf\u00e9 \ud83d\ude00","time":"t","context":{},"data":"{\"n\": 1e400}"}"#
                .into(),
        );
        for line in &lines {
            let tree: Value = serde_json::from_str(line).unwrap();
            let direct = EdxEvent::read(line.as_bytes()).expect(line);
            assert_eq!(direct, EdxEvent::from_value(&tree).unwrap(), "{line}");
        }
        // What the direct reader leaves to the tree, which reports it.
        for line in [
            r#"{"message":"{}"}"#,
            r#"{"time":"t","context":{}}"#,
            r#"{"name":"x","context":{}}"#,
            r#"{"name":"x","time":"t"}"#,
            r#"{"name":"x","time":"t","context":"not json"}"#,
            r#"{"name":"x","time":"t","context":{},"data":"{\"n\": 1e3}"}"#,
            r#"{"name":"x"}{"name":"y"}"#,
            "[1]",
        ] {
            assert_eq!(EdxEvent::read(line.as_bytes()), None, "{line}");
        }
        assert_eq!(
            EdxEvent::read(b"{\"name\":\"x\",\"time\":\"t\",\"context\":{},\"agent\":\"\xff\"}"),
            None
        );
    }

    #[test]
    fn what_is_not_an_event() {
        assert!(matches!(
            EdxEvent::parse(b"{"),
            Err(EventError::Malformed(_))
        ));
        assert!(matches!(
            EdxEvent::parse(b"[1]"),
            Err(EventError::Malformed(_))
        ));
        assert_eq!(
            EdxEvent::parse(br#"{"time": "t", "context": {}}"#),
            Err(EventError::NoType)
        );
        assert_eq!(
            EdxEvent::parse(br#"{"name": "x", "context": {}}"#),
            Err(EventError::NoTime)
        );
        assert_eq!(
            EdxEvent::parse(br#"{"name": "x", "time": "t"}"#),
            Err(EventError::NoContext)
        );
    }
}
