//! The requests the README's log-shipper configurations send, byte for byte as
//! log-shippers.md reads them in Vector's and Fluent Bit's sources (neither ships in a
//! registry this project installs from, so the bytes are built here by those rules): each one
//! gives exactly the statements of the raw tracking log.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::Request;
use pokeco_testkit::events::legacy_tracking_log;
use serde_json::{Map, Value};

use crate::support::*;

const USER_AGENT_VECTOR: &str = "Vector/0.57.0 (x86_64-unknown-linux-gnu)";

/// The sample log, and one more event whose path (and so its object id) holds non-ASCII text,
/// which Fluent Bit escapes.
fn lines() -> Vec<String> {
    let mut lines: Vec<String> = legacy_tracking_log().lines().map(str::to_owned).collect();
    let mut accented: Value = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["event_type"] == "/courses/course-v1:ORG+COURSE+RUN/wiki/APage/")
        .expect("a wiki page view among the samples");
    let path = "/courses/course-v1:ORG+COURSE+RUN/wiki/Più-🚀/";
    accented["context"]["path"] = path.into();
    accented["event_type"] = path.into();
    lines.push(accented.to_string());
    lines
}

fn log() -> String {
    lines().iter().map(|l| format!("{l}\n")).collect()
}

/// A JSON string as Fluent Bit writes it: `"`, `\` and control characters escaped, and every
/// non-ASCII character as `\uXXXX` (UTF-16, surrogate pairs beyond the BMP).
fn fluent_bit_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value as Fluent Bit re-serializes a parsed record: compact, keys in their order.
fn fluent_bit_value(v: &Value) -> String {
    match v {
        Value::String(s) => fluent_bit_string(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(fluent_bit_value).collect();
            format!("[{}]", inner.join(","))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}:{}", fluent_bit_string(k), fluent_bit_value(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        other => other.to_string(),
    }
}

/// A Vector event from the `file` source, keys sorted as Vector's JSON encoder writes them.
fn vector_envelope(line: &str) -> Value {
    let mut m = Map::new();
    m.insert("file".into(), "/edx/var/log/tracking/tracking.log".into());
    m.insert("host".into(), "lms-1".into());
    m.insert("message".into(), line.into());
    m.insert("source_type".into(), "file".into());
    m.insert("timestamp".into(), "2024-06-10T06:13:20.123456Z".into());
    Value::Object(m)
}

struct Shipped {
    config: &'static str,
    content_type: &'static str,
    user_agent: &'static str,
    body: Vec<u8>,
}

/// README configurations 1 to 4.
fn requests() -> Vec<Shipped> {
    let lines = lines();
    let raw = log();
    let envelopes: Vec<String> = lines
        .iter()
        .map(|l| vector_envelope(l).to_string())
        .collect();
    let fluent_events: String = lines
        .iter()
        .map(|l| format!("{}\n", fluent_bit_value(&serde_json::from_str(l).unwrap())))
        .collect();
    let fluent_envelopes: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{{\"date\":1718000000.123456,\"log\":{}}}",
                fluent_bit_string(l)
            )
        })
        .collect();
    vec![
        Shipped {
            config: "1. Vector, raw lines",
            content_type: "text/plain",
            user_agent: USER_AGENT_VECTOR,
            body: raw.into_bytes(),
        },
        Shipped {
            config: "2. Vector, envelope",
            content_type: "application/json",
            user_agent: USER_AGENT_VECTOR,
            body: format!("[{}]", envelopes.join(",")).into_bytes(),
        },
        Shipped {
            config: "3. Fluent Bit, NDJSON of the events",
            content_type: "application/x-ndjson",
            user_agent: "Fluent-Bit",
            body: fluent_events.into_bytes(),
        },
        Shipped {
            config: "4. Fluent Bit, envelope",
            content_type: "application/json",
            user_agent: "Fluent-Bit",
            body: format!("[{}]", fluent_envelopes.join(",")).into_bytes(),
        },
    ]
}

fn request(shipped: &Shipped) -> Request<Body> {
    let body = gzip(&shipped.body);
    Request::post("/events")
        .header("host", "pok.example.org")
        .header("user-agent", shipped.user_agent)
        .header("accept-encoding", "identity")
        .header("content-type", shipped.content_type)
        .header("content-encoding", "gzip")
        .header("content-length", body.len())
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::from(body))
        .unwrap()
}

async fn statement_ids(s: &Setup) -> BTreeSet<String> {
    queued(s.queue.as_ref())
        .await
        .into_iter()
        .map(|st| st.id().to_owned())
        .collect()
}

#[tokio::test]
async fn every_configuration_gives_the_statements_of_the_raw_log() {
    let direct = setup().await;
    let (status, want) = send(&direct.app, post(log(), &[])).await;
    assert_eq!(status, 200);
    let want_ids = statement_ids(&direct).await;
    assert!(!want_ids.is_empty());

    for shipped in requests() {
        let s = setup().await;
        let (status, report) = send(&s.app, request(&shipped)).await;
        assert_eq!(status, 200, "{}: {report}", shipped.config);
        assert_eq!(report["rejected"], 0, "{}: {report}", shipped.config);
        assert_eq!(report["enqueued"], want["enqueued"], "{}", shipped.config);
        assert_eq!(statement_ids(&s).await, want_ids, "{}", shipped.config);
    }
}

#[test]
fn fluent_bit_escapes_non_ascii_as_utf16() {
    assert_eq!(
        fluent_bit_string("più 🚀\n\"\\"),
        r#""pi\u00f9 \ud83d\ude80\n\"\\""#
    );
    let with_accents = lines()
        .into_iter()
        .find(|l| !l.is_ascii())
        .expect("a sample with non-ASCII text");
    let escaped = fluent_bit_value(&serde_json::from_str(&with_accents).unwrap());
    assert!(escaped.is_ascii());
    let back: Value = serde_json::from_str(&escaped).unwrap();
    assert_eq!(back, serde_json::from_str::<Value>(&with_accents).unwrap());
}
