//! The hand-written reader of tracking-log lines against `serde_json`'s tree, through the
//! public parser: on lines with long strings, escapes at every place of a 16-byte scan, a
//! payload held as a string of JSON, and the same lines mangled. What the reader accepts the
//! tree accepts and reads as the same event.

use pokeco_core::xapi::EdxEvent;
use proptest::prelude::*;
use serde_json::{json, Value};

/// Text with runs of plain characters long and short, quotes, backslashes, control
/// characters and non-ASCII, so that specials fall anywhere in a scanned chunk.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9 /:+.-]{0,40}",
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            "[\u{0}-\u{1f}]",
            "[é漢😀]",
        ],
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

fn event() -> impl Strategy<Value = Value> {
    (
        text(),
        text(),
        text(),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(0i64..100),
    )
        .prop_map(|(kind, agent, title, context_as_text, payload_as_text, user)| {
            let context = json!({"user_id": user, "course_id": "course-v1:A+B+C", "path": agent});
            let payload = json!({"id": title, "title": [title], "new": 3, "POST": {"title": [kind]}});
            json!({
                "username": "u",
                "event_source": "browser",
                "agent": agent,
                "event_type": kind,
                "time": "2016-11-07T09:20:11.734000+00:00",
                "context": if context_as_text { Value::from(context.to_string()) } else { context },
                "event": if payload_as_text { Value::from(payload.to_string()) } else { payload },
                "page": title,
            })
        })
}

proptest! {
    #[test]
    fn a_line_reads_as_its_tree(event in event(), pretty in any::<bool>()) {
        let line = if pretty {
            serde_json::to_string_pretty(&event).unwrap()
        } else {
            serde_json::to_string(&event).unwrap()
        };
        let read = EdxEvent::parse(line.as_bytes());
        prop_assert_eq!(read, EdxEvent::from_value(&event));
    }

    #[test]
    fn no_mangled_line_is_read_that_the_tree_refuses(
        event in event(),
        cut in any::<prop::sample::Index>(),
        junk in "[{}\\[\\]\",:\\\\a-z0-9 \u{1}]{0,3}",
    ) {
        let line = serde_json::to_string(&event).unwrap();
        let at = cut.index(line.len() + 1);
        let at = (0..=at).rev().find(|i| line.is_char_boundary(*i)).unwrap_or(0);
        let mangled = format!("{}{junk}{}", &line[..at], &line[at..]);
        let tree: Result<Value, _> = serde_json::from_str(&mangled);
        match tree {
            Ok(tree) => prop_assert_eq!(
                EdxEvent::parse(mangled.as_bytes()),
                EdxEvent::from_value(&tree)
            ),
            Err(_) => prop_assert!(EdxEvent::parse(mangled.as_bytes()).is_err()),
        }
    }
}
