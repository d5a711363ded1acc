//! The ECO profile on every legacy sample event (testdata/edx-events/legacy, from the old
//! pok-eco's tests and hand-made for the rules they did not cover): each gives its exact
//! statement, pinned as a snapshot, or its reason for giving none; the verb is the one the old
//! code chose (INDEX.json), and the same event always gives byte-identical JSON.

use std::collections::BTreeMap;

use pokeco_core::catalog::{CourseId, LangMap};
use pokeco_core::oai::OaiPrefix;
use pokeco_core::xapi::{CourseNames, EcoProfile, EdxEvent, Lookups, Skip, Statement};
use pokeco_testkit::{test_data, test_text};
use serde_json::{json, Value};

struct Fixtures {
    courses: BTreeMap<&'static str, CourseNames>,
}

/// Two learners linked, two courses in the catalog, one block of a loaded structure.
static FIXTURES: std::sync::LazyLock<Fixtures> = std::sync::LazyLock::new(|| {
    let lang = |pairs: &[(&str, &str)]| -> LangMap {
        pairs
            .iter()
            .map(|(l, t)| (l.parse().unwrap(), (*t).to_owned()))
            .collect()
    };
    let names = |title, description| CourseNames { title, description };
    Fixtures {
        courses: BTreeMap::from([
            (
                "course-v1:Polimi+FIS101+2015_M9",
                names(
                    lang(&[("en", "Physics 1"), ("it", "Fisica 1")]),
                    lang(&[("en", "Mechanics and waves.")]),
                ),
            ),
            // A course without a short description.
            (
                "course-v1:ORG+COURSE+RUN",
                names(lang(&[("en", "Demo course")]), LangMap::new()),
            ),
        ]),
    }
});

impl Lookups for Fixtures {
    fn eco_user(&self, edx_user_id: &str) -> Option<&str> {
        match edx_user_id {
            "42" => Some("5a1b2c3d4e5f60718293a4b5"),
            "1" => Some("000000000000000000000001"),
            _ => None,
        }
    }

    fn course(&self, id: &CourseId) -> Option<&CourseNames> {
        self.courses.get(id.as_str())
    }

    fn block(&self, course: &CourseId, url_name: &str) -> Option<String> {
        // One block from a loaded course structure; the others are derived from the course key.
        (course.as_str() == "course-v1:Polimi+FIS101+2015_M9" && url_name == "W2M1")
            .then(|| "block-v1:Polimi+FIS101+2015_M9+type@sequential+block@W2M1".to_owned())
    }
}

fn profile() -> EcoProfile {
    EcoProfile {
        prefix: OaiPrefix::new("oai:it.polimi.pok:").unwrap(),
        homepage: "https://portal.ecolearning.eu".to_owned(),
        lms_url: "https://www.pok.polimi.it/".to_owned(),
    }
}

fn index() -> Vec<Value> {
    serde_json::from_str(&test_text("edx-events/legacy/INDEX.json")).unwrap()
}

/// The verb the old code chose for an event, where it made a statement.
fn legacy_verb(entry: &Value) -> Option<&str> {
    let t = if entry["intended_translation"].is_object() {
        &entry["intended_translation"]
    } else {
        &entry["as_built_translation"]
    };
    t["verb"]["id"].as_str()
}

#[test]
fn every_legacy_sample_gives_its_statement_or_its_reason() {
    let profile = profile();
    let mut outcomes = BTreeMap::new();
    for entry in index() {
        let file = entry["file"].as_str().unwrap();
        let raw = test_data(&format!("edx-events/legacy/{file}"));
        let mut event = EdxEvent::parse(&raw).unwrap();
        let rule_level = entry["pipeline_outcome"]
            .as_str()
            .is_some_and(|o| o.starts_with("rule-level only"));
        if rule_level {
            // The old unit tests gave these rules their course and learner directly; through
            // the pipeline an event without them gives nothing.
            let no_course = profile.translate(&event, &*FIXTURES);
            assert!(
                matches!(no_course, Err(Skip::NoCourse | Skip::NotLinked)),
                "{file}"
            );
            event.course_id = Some("course-v1:ORG+COURSE+RUN".to_owned());
            event.user_id.get_or_insert_with(|| "1".to_owned());
        }
        let result = profile.translate(&event, &*FIXTURES);
        let again = profile.translate(&event, &*FIXTURES);
        assert_eq!(
            result.as_ref().map(|s| s.json().to_owned()).ok(),
            again.as_ref().map(|s| s.json().to_owned()).ok(),
            "{file}: the same event, the same bytes"
        );
        let value = match &result {
            Ok(statement) => {
                let value = statement.to_value();
                assert_eq!(
                    value["verb"]["id"].as_str(),
                    legacy_verb(&entry),
                    "{file}: the old code's verb"
                );
                assert!(
                    !value["object"]["id"].as_str().unwrap().contains(".it//"),
                    "{file}: one slash after the LMS URL"
                );
                assert_eq!(
                    statement.json(),
                    value.to_string(),
                    "{file}: written as serde_json writes it"
                );
                value
            }
            Err(skip) => {
                if *skip == Skip::NoRule {
                    assert!(
                        entry["matched_rule"].is_null(),
                        "{file}: a rule should match"
                    );
                }
                json!({ "skipped": skip.to_string() })
            }
        };
        outcomes.insert(file.trim_end_matches(".json").to_owned(), value);
    }
    assert_eq!(outcomes.len(), 58);
    let made = outcomes
        .values()
        .filter(|v| v.get("skipped").is_none())
        .count();
    let skipped: Vec<String> = outcomes
        .iter()
        .filter(|(_, v)| v.get("skipped").is_some())
        .map(|(k, v)| format!("{k}: {}", v["skipped"]))
        .collect();
    assert!(
        made >= 40,
        "{made} statements; skipped:\n{}",
        skipped.join("\n")
    );
    insta::assert_json_snapshot!("legacy_samples", outcomes);
}

#[test]
fn a_replayed_event_keeps_its_id_and_another_time_changes_it() {
    let raw = test_data("edx-events/legacy/play_video.handmade.json");
    let event = EdxEvent::parse(&raw).unwrap();
    let first = profile().translate(&event, &*FIXTURES).unwrap();
    assert_eq!(
        profile().translate(&event, &*FIXTURES).unwrap().id(),
        first.id()
    );
    let mut later = event.clone();
    later.time = "2016-11-07T09:20:12.734000+00:00".to_owned();
    assert_ne!(
        profile().translate(&later, &*FIXTURES).unwrap().id(),
        first.id()
    );
}

#[test]
fn unlinked_users_and_unknown_courses_give_no_statement() {
    let raw = test_data("edx-events/legacy/play_video.handmade.json");
    let mut event = EdxEvent::parse(&raw).unwrap();
    event.user_id = Some("999".to_owned());
    assert_eq!(
        profile().translate(&event, &*FIXTURES),
        Err(Skip::NotLinked)
    );
    event.user_id = Some("42".to_owned());
    event.course_id = Some("not a course".to_owned());
    assert_eq!(profile().translate(&event, &*FIXTURES), Err(Skip::NoCourse));
}

/// Every statement the profile makes of the samples is valid xAPI 1.0.3 to a strict LRS
/// (Learning Locker's statements service): accepted in one batch with the ids we gave, stored
/// as sent, and accepted again unchanged (the same event gives the same statement).
#[tokio::test]
async fn every_statement_is_accepted_by_the_strict_lrs() {
    let profile = profile();
    let mut statements = Vec::new();
    for entry in index() {
        let file = entry["file"].as_str().unwrap();
        let mut event = EdxEvent::parse(&test_data(&format!("edx-events/legacy/{file}"))).unwrap();
        event
            .course_id
            .get_or_insert_with(|| "course-v1:ORG+COURSE+RUN".to_owned());
        event.user_id.get_or_insert_with(|| "1".to_owned());
        if let Ok(s) = profile.translate(&event, &*FIXTURES) {
            statements.push(s);
        }
    }
    assert!(statements.len() >= 50, "{}", statements.len());
    let lrs = pokeco_testkit::peers::strict_lrs();
    let http = reqwest::Client::new();
    let post = || {
        http.post(format!("{lrs}/statements"))
            .basic_auth("pokeco", Some("tests"))
            .header("X-Experience-API-Version", "1.0.3")
            .json(&statements)
    };
    let answer = post().send().await.unwrap();
    let status = answer.status();
    let body: Value = answer.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = statements.iter().map(Statement::id).collect();
    assert_eq!(body, json!(ids));
    let peer = pokeco_testkit::peers::LrsPeer::strict();
    for s in statements.iter().step_by(7) {
        let stored = peer.held(s.id()).await.remove(0);
        let sent = s.to_value();
        for field in ["actor", "verb", "object", "context"] {
            assert_eq!(stored[field], sent[field], "{} {field}", s.id());
        }
    }
    let again = post().send().await.unwrap();
    assert_eq!(
        again.status(),
        200,
        "the same statements again: no conflict"
    );
}

/// A value a field of an event may hold in a broken or hostile log.
fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,40}".prop_map(Value::from),
        // A JSON object as a string, cut as the LMS cuts request payloads.
        (0usize..60).prop_map(|n| Value::from(
            r#"{"id": "i4x://ORG/COURSE/problem/x", "new": 3, "old": 2, "page": "https://x/y"}"#
                .chars()
                .take(n)
                .collect::<String>()
        )),
        Just(Value::from(
            "/courses/course-v1:ORG+COURSE+RUN/courseware/a/b/"
        )),
        Just(Value::from("2016-11-07T09:20:11.734000+00:00")),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Any sample with any of its fields (top level or in its context) replaced by anything:
    /// the parser and the profile never panic, the same event gives the same bytes, and a
    /// statement always has an id, an object id and a timestamp.
    #[test]
    fn broken_events_never_panic_and_statements_stay_whole(
        pick in 0usize..58,
        field in proptest::sample::select(vec![
            "event_type", "name", "event", "data", "time", "timestamp", "context", "page",
            "event_source", "context.course_id", "context.user_id", "context.path",
            "context.module", "context.org_id",
        ]),
        value in any_value(),
    ) {
        let entry = &index()[pick];
        let file = entry["file"].as_str().unwrap();
        let mut raw: Value =
            serde_json::from_slice(&test_data(&format!("edx-events/legacy/{file}"))).unwrap();
        match field.split_once('.') {
            Some((outer, inner)) => {
                if let Some(obj) = raw.get_mut(outer).and_then(Value::as_object_mut) {
                    obj.insert(inner.to_owned(), value);
                }
            }
            None => {
                raw[field] = value;
            }
        }
        let from_tree = EdxEvent::from_value(&raw);
        // The line reader (no tree) reads the line as the tree does, or leaves it to the tree.
        // (Compared with the tree of the line itself: serde_json reads some floats back a
        // digit off what it wrote.)
        let line = raw.to_string();
        let tree_of_line: Value = serde_json::from_str(&line).unwrap();
        proptest::prop_assert_eq!(
            EdxEvent::parse(line.as_bytes()),
            EdxEvent::from_value(&tree_of_line)
        );
        if let Ok(event) = from_tree {
            let first = profile().translate(&event, &*FIXTURES);
            let again = profile().translate(&event, &*FIXTURES);
            proptest::prop_assert_eq!(&first, &again);
            if let Ok(s) = first {
                let value = s.to_value();
                proptest::prop_assert_eq!(s.id().len(), 36);
                proptest::prop_assert_eq!(value["id"].as_str(), Some(s.id()));
                proptest::prop_assert!(!value["object"]["id"].as_str().unwrap().is_empty());
                proptest::prop_assert!(value["timestamp"].as_str().unwrap().len() >= 20);
                proptest::prop_assert_eq!(s.json(), value.to_string());
            }
        }
    }
}
