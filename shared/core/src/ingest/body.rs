//! The body of an ingest request, read the way log shippers send it with their default
//! settings as well as tuned ones (log-shippers.md): raw tracking-log lines (`text/plain`),
//! NDJSON, a JSON array, concatenated objects, each plain or gzipped; an element may be a
//! shipper's envelope whose `message` (Vector) or `log` (Fluent Bit) string holds the line.
//!
//! A bad line never costs the good ones around it: each line is read on its own and a refused
//! one is reported with its number. A gzip stream that ends early still gives every complete
//! line before the cut. Sizes are bounded before anything is inflated past them.

use std::borrow::Cow;
use std::io::Read;

use flate2::read::GzDecoder;
use serde_json::Value;

use crate::xapi::{EdxEvent, EventError};

/// How the body is encoded (`Content-Encoding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
}

impl Encoding {
    /// The encoding a `Content-Encoding` header names; `None` for one this reader cannot undo.
    pub fn from_header(value: Option<&str>) -> Option<Self> {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("" | "identity") => Some(Self::Identity),
            Some("gzip" | "x-gzip") => Some(Self::Gzip),
            Some(_) => None,
        }
    }
}

/// The bounds of one body.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// Bytes after decompression.
    pub max_bytes: usize,
    /// Events (lines or array elements).
    pub max_events: usize,
}

/// Why a whole body is refused (the caller answers 413 or 415; nothing was taken).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body holds more than {limit} bytes once decompressed")]
    TooLarge { limit: usize },
    #[error("the body holds more than {limit} events")]
    TooManyEvents { limit: usize },
}

/// Why one line is not taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("{0}")]
    Event(#[from] EventError),
    #[error("the gzip stream ends inside this line ({0})")]
    Truncated(String),
}

/// One line (or array element) of the body: its 1-based number and what it gave.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub number: usize,
    pub event: Result<EdxEvent, LineError>,
}

/// The decompressed bytes, and the reason the stream ended early, if it did.
fn inflate(
    body: &[u8],
    encoding: Encoding,
    limit: usize,
) -> Result<(Cow<'_, [u8]>, Option<String>), BodyError> {
    if encoding == Encoding::Identity {
        if body.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        return Ok((Cow::Borrowed(body), None));
    }
    let mut out = Vec::new();
    // One byte past the limit tells "too large" from "exactly the limit", and a gzip bomb is
    // never inflated further.
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let ended = GzDecoder::new(body).take(cap).read_to_end(&mut out).err();
    if out.len() > limit {
        return Err(BodyError::TooLarge { limit });
    }
    Ok((Cow::Owned(out), ended.map(|e| e.to_string())))
}

/// The tracking event an element holds: itself, or the line a shipper's envelope carries.
fn unwrap_envelope(value: Value) -> Result<Value, LineError> {
    let is_event = value.get("event_type").is_some() || value.get("name").is_some();
    if is_event {
        return Ok(value);
    }
    let inner = ["message", "log"]
        .iter()
        .find_map(|key| value.get(*key).and_then(Value::as_str));
    match inner {
        Some(line) => serde_json::from_str(line.trim()).map_err(|e| LineError::Json(e.to_string())),
        None => Ok(value),
    }
}

fn event_of(value: Value) -> Result<EdxEvent, LineError> {
    Ok(EdxEvent::from_value(&unwrap_envelope(value)?)?)
}

/// Reads a body into its lines. `Err` refuses the whole body; a bad line is only reported.
///
/// # Errors
/// `TooLarge` past `limits.max_bytes` decompressed, `TooManyEvents` past `limits.max_events`.
pub fn read_body(
    body: &[u8],
    encoding: Encoding,
    limits: BodyLimits,
) -> Result<Vec<Line>, BodyError> {
    let (bytes, cut) = inflate(body, encoding, limits.max_bytes)?;
    let text = bytes.trim_ascii_start();
    let mut lines = Vec::new();
    let push = |lines: &mut Vec<Line>, event| -> Result<(), BodyError> {
        if lines.len() == limits.max_events {
            return Err(BodyError::TooManyEvents {
                limit: limits.max_events,
            });
        }
        lines.push(Line {
            number: lines.len() + 1,
            event,
        });
        Ok(())
    };
    if text.first() == Some(&b'[') {
        // A JSON array: each element on its own, so one bad element costs only itself. A body
        // that only starts like one is read line by line.
        if let Ok(values) = serde_json::from_slice::<Vec<Value>>(text) {
            for v in values {
                push(&mut lines, event_of(v))?;
            }
            return Ok(lines);
        }
    }
    let mut rest = text;
    while !rest.is_empty() {
        let (line, next, complete) = match rest.iter().position(|b| *b == b'\n') {
            Some(at) => (&rest[..at], &rest[at + 1..], true),
            None => (rest, &rest[rest.len()..], cut.is_none()),
        };
        rest = next;
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        if !complete {
            let why = cut.clone().unwrap_or_default();
            push(&mut lines, Err(LineError::Truncated(why)))?;
            continue;
        }
        for event in line_events(line) {
            push(&mut lines, event)?;
        }
    }
    Ok(lines)
}

/// The events of one line of a log: one, or several when a shipper concatenated objects
/// (Fluent Bit's `json_stream`); what follows a malformed object is lost with it.
pub fn line_events(line: &[u8]) -> Vec<Result<EdxEvent, LineError>> {
    // The common line, one event of the LMS, is read without building its JSON tree.
    if let Some(event) = EdxEvent::read(line) {
        return vec![Ok(event)];
    }
    let mut events = Vec::with_capacity(1);
    for value in serde_json::Deserializer::from_slice(line).into_iter::<Value>() {
        match value {
            Ok(v) => events.push(event_of(v)),
            Err(e) => {
                events.push(Err(LineError::Json(e.to_string())));
                break;
            }
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::Compression;
    use proptest::prelude::*;

    use super::*;

    const LIMITS: BodyLimits = BodyLimits {
        max_bytes: 1 << 20,
        max_events: 1000,
    };

    fn event(i: usize) -> String {
        format!(
            r#"{{"event_type":"seq_goto","time":"2016-11-07T09:15:0{}.41+00:00","context":{{"user_id":{i},"course_id":"course-v1:A+B+C"}},"event":"{{\"id\":\"x\",\"new\":{i}}}"}}"#,
            i % 10
        )
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn users(lines: &[Line]) -> Vec<Option<String>> {
        lines
            .iter()
            .map(|l| l.event.as_ref().ok().and_then(|e| e.user_id.clone()))
            .collect()
    }

    #[test]
    fn every_shape_a_shipper_sends() {
        let raw = format!("{}\n{}\n", event(1), event(2));
        let ndjson_no_final_newline = format!("{}\n{}", event(1), event(2));
        let array = format!("[{},{}]", event(1), event(2));
        let vector_envelope = serde_json::to_string(&serde_json::json!([
            {"file": "/t.log", "host": "h", "message": event(1), "source_type": "file", "timestamp": "2024-06-10T06:13:20Z"},
            {"file": "/t.log", "host": "h", "message": event(2), "source_type": "file", "timestamp": "2024-06-10T06:13:20Z"},
        ]))
        .unwrap();
        let fluent_bit_lines = format!(
            "{}\n{}\n",
            serde_json::json!({"log": event(1)}),
            serde_json::json!({"date": 1718000000.123456, "log": event(2)})
        );
        let json_stream = format!("{}{}", event(1), event(2));
        for body in [
            raw,
            ndjson_no_final_newline,
            array,
            vector_envelope,
            fluent_bit_lines,
            json_stream,
        ] {
            for (bytes, encoding) in [
                (body.clone().into_bytes(), Encoding::Identity),
                (gzip(body.as_bytes()), Encoding::Gzip),
            ] {
                let lines = read_body(&bytes, encoding, LIMITS).unwrap();
                let want = [Some("1".to_owned()), Some("2".to_owned())];
                assert_eq!(users(&lines), want, "{body}");
            }
        }
    }

    #[test]
    fn a_bad_line_costs_only_itself() {
        let body = format!(
            "{}\nnot json\n{{\"context\":{{}}}}\n\n{}\n",
            event(1),
            event(2)
        );
        let lines = read_body(body.as_bytes(), Encoding::Identity, LIMITS).unwrap();
        let numbers: Vec<(usize, bool)> =
            lines.iter().map(|l| (l.number, l.event.is_ok())).collect();
        assert_eq!(numbers, [(1, true), (2, false), (3, false), (4, true)]);
        assert!(matches!(
            lines[2].event,
            Err(LineError::Event(EventError::NoType))
        ));
    }

    #[test]
    fn lines_that_only_start_like_an_array_are_read_as_lines() {
        let body = format!("[not an array\n{}\n", event(7));
        let lines = read_body(body.as_bytes(), Encoding::Identity, LIMITS).unwrap();
        assert_eq!(users(&lines), [None, Some("7".to_owned())]);
    }

    #[test]
    fn bounds_refuse_the_body_before_inflating_it() {
        let bomb = gzip(&vec![b' '; 50 << 20]);
        assert!(bomb.len() < 100_000);
        let r = read_body(&bomb, Encoding::Gzip, LIMITS);
        assert_eq!(r, Err(BodyError::TooLarge { limit: 1 << 20 }));
        let many = (0..11).map(event).collect::<Vec<_>>().join("\n");
        let r = read_body(
            many.as_bytes(),
            Encoding::Identity,
            BodyLimits {
                max_events: 10,
                ..LIMITS
            },
        );
        assert_eq!(r, Err(BodyError::TooManyEvents { limit: 10 }));
        assert_eq!(Encoding::from_header(Some("br")), None);
        assert_eq!(Encoding::from_header(Some(" GZIP ")), Some(Encoding::Gzip));
    }

    proptest! {
        #[test]
        fn any_body_is_read_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = read_body(&body, Encoding::Identity, LIMITS);
            let _ = read_body(&body, Encoding::Gzip, LIMITS);
        }

        /// Good lines among bad ones all come through, with their numbers.
        #[test]
        fn good_lines_survive_bad_neighbours(bad in proptest::collection::vec(proptest::option::of("[ -~]{1,30}"), 1..30)) {
            let mut body = String::new();
            let mut want = Vec::new();
            for (i, junk) in bad.iter().enumerate() {
                match junk {
                    Some(junk) if !junk.trim().is_empty() => body.push_str(junk),
                    _ => { body.push_str(&event(i)); want.push(i.to_string()); }
                }
                body.push('\n');
            }
            let lines = read_body(body.as_bytes(), Encoding::Identity, LIMITS).unwrap();
            let got: Vec<String> = lines.iter().filter_map(|l| l.event.as_ref().ok()?.user_id.clone()).collect();
            prop_assert!(want.iter().all(|w| got.contains(w)), "{:?} {:?}", want, got);
        }

        /// A gzip stream cut anywhere gives every complete line before the cut.
        #[test]
        fn a_truncated_gzip_stream_keeps_its_complete_lines(n in 1usize..40, keep in 0.0f64..1.0) {
            let body: String = (0..n).map(|i| event(i) + "\n").collect();
            let zipped = gzip(body.as_bytes());
            let cut = &zipped[..((zipped.len() as f64) * keep) as usize];
            let lines = read_body(cut, Encoding::Gzip, LIMITS).unwrap();
            let ok: Vec<String> = lines.iter().filter_map(|l| l.event.as_ref().ok()?.user_id.clone()).collect();
            // What was inflated before the cut: every complete line of it must be there.
            let mut inflated = Vec::new();
            let _ = GzDecoder::new(cut).read_to_end(&mut inflated);
            let complete = inflated.iter().filter(|b| **b == b'\n').count();
            prop_assert_eq!(ok.len(), complete);
            prop_assert!(lines.iter().skip(complete).all(|l| matches!(l.event, Err(LineError::Truncated(_)))));
        }
    }
}
