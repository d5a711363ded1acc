//! One edX tracking event, read from either shape the LMS writes: the legacy tracking-log
//! shape (`event_type`, `event`, `time`, `event_source`) and the current event-tracking shape
//! (`name`, `data`, `timestamp`). Only what the profiles read is kept.

use serde_json::{Map, Value};

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
    pub payload: Option<Map<String, Value>>,
    /// `page` (browser events).
    pub page: Option<String>,
    /// `referer`.
    pub referer: Option<String>,
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

fn text(v: Option<&Value>) -> Option<String> {
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

impl EdxEvent {
    /// Reads one tracking-log line (or one element of a JSON array).
    ///
    /// # Errors
    /// `Malformed` for anything but a JSON object; `NoType`, `NoTime`, `NoContext` for an
    /// object that lacks what every event has.
    pub fn parse(line: &[u8]) -> Result<Self, EventError> {
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
        let event_type = text(e.get("event_type"))
            .or_else(|| text(e.get("name")))
            .ok_or(EventError::NoType)?;
        let time = text(e.get("time"))
            .or_else(|| text(e.get("timestamp")))
            .ok_or(EventError::NoTime)?;
        let context = object(e.get("context")).ok_or(EventError::NoContext)?;
        let payload = object(e.get("event")).or_else(|| object(e.get("data")));
        let course_id = text(context.get("course_id")).or_else(|| {
            let post = payload.as_ref()?.get("POST")?;
            text(post.get("course_id")?.get(0))
        });
        let module_name = context
            .get("module")
            .and_then(|m| text(m.get("display_name")));
        Ok(Self {
            event_type,
            source: text(e.get("event_source")),
            time,
            course_id,
            user_id: text(context.get("user_id")),
            path: text(context.get("path")),
            module_name,
            payload,
            page: text(e.get("page")),
            referer: text(e.get("referer")),
        })
    }

    /// A payload field as text.
    pub fn field(&self, name: &str) -> Option<String> {
        text(self.payload.as_ref()?.get(name))
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
