use serde_json::json;

use super::*;
use crate::catalog::{InterestArea, SetSpec, TeacherId, MAX_GRADES};

const TEACHER: &str = "0b7d4c52-3f6e-4a51-9c1e-2a9f8e6d4b10";

/// The example course of catalog.md.
fn example() -> Value {
    serde_json::from_str(include_str!("../../../../../testdata/course-eco101.json")).unwrap()
}

fn teachers() -> Vec<TeacherId> {
    vec![TEACHER.parse().unwrap()]
}

fn sets() -> Vec<SetSpec> {
    vec![
        "EcoBase".parse().unwrap(),
        "math".parse().unwrap(),
        "math:algebra".parse().unwrap(),
    ]
}

fn course(doc: &Value) -> Result<Validated<Course>, Rejection> {
    let (t, s) = (teachers(), sets());
    validate_course(
        doc,
        &Known {
            teachers: &t,
            sets: &s,
        },
    )
}

/// The example with `changes` merged in at the top level (`null` removes a field).
fn with(changes: Value) -> Value {
    let mut doc = example();
    let obj = doc.as_object_mut().unwrap();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            obj.remove(k);
        } else {
            obj.insert(k.clone(), v.clone());
        }
    }
    doc
}

fn paths(r: &Rejection) -> Vec<&str> {
    r.problems.iter().map(|p| p.path.as_str()).collect()
}

fn rejected_paths(doc: Value) -> Vec<String> {
    let r = course(&doc).expect_err("should be rejected");
    paths(&r).into_iter().map(str::to_owned).collect()
}

fn warning_paths(v: &Validated<Course>) -> Vec<&str> {
    v.warnings.iter().map(|w| w.path.as_str()).collect()
}

fn message_at<'r>(r: &'r Rejection, path: &str) -> &'r str {
    &r.problems.iter().find(|p| p.path == path).unwrap().message
}

#[test]
fn the_catalog_md_example_is_accepted_without_warnings() {
    let v = course(&example()).unwrap();
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    let c = v.value;
    assert_eq!(c.course_id.as_str(), "course-v1:PoliMi+ECO101+2024_T1");
    assert_eq!(c.title.len(), 2);
    assert_eq!(c.interest_area, InterestArea::EducationalSciences);
    assert_eq!(c.start.unwrap().to_string(), "2024-09-16T00:00:00Z");
    assert_eq!((c.units, c.study_load), (Some(6), Some(4)));
    assert_eq!(c.typical_learning_time.unwrap().as_str(), "PT24H");
    // The typed course serializes back to the same document.
    let v = course(&example()).unwrap();
    assert_eq!(serde_json::to_value(&v.value).unwrap(), example());
}

#[test]
fn minimal_course_without_optional_fields() {
    let doc = json!({
        "course_id": "Polimi/FIS101/2015_M9", "title": {"it": "Fisica"}, "description": {"it": "d"},
        "languages": ["it"], "url": "http://x.org", "organizers": ["o"], "interest_area": "ECO:NSM",
        "start": null, "units": null
    });
    let v = course(&doc).unwrap();
    assert_eq!(warning_paths(&v), ["sets"]);
    assert!(v.value.start.is_none() && v.value.units.is_none() && v.value.sets.is_empty());
}

#[test]
fn bare_dates_and_offsets_are_normalised_to_utc() {
    let v = course(&with(json!({"start": "2024-09-16", "end": "2024-11-30"}))).unwrap();
    assert_eq!(v.value.start.unwrap().to_string(), "2024-09-16T00:00:00Z");
    assert_eq!(v.value.end.unwrap().to_string(), "2024-11-30T23:59:59Z");
    let v = course(&with(json!({"start": "2024-09-16T02:00:00+02:00"}))).unwrap();
    assert_eq!(v.value.start.unwrap().to_string(), "2024-09-16T00:00:00Z");
}

#[test]
fn every_missing_required_field_is_listed() {
    let r = course(&json!({})).unwrap_err();
    assert_eq!(
        paths(&r),
        [
            "course_id",
            "title",
            "description",
            "languages",
            "url",
            "organizers",
            "interest_area"
        ]
    );
    assert!(r.problems.iter().all(|p| p.message == "is required"));
    let nulls = with(json!({"title": null, "url": null}));
    assert_eq!(rejected_paths(nulls), ["title", "url"]);
    let explicit_null = with(json!({})).as_object().unwrap().clone();
    let mut explicit_null = Value::Object(explicit_null);
    explicit_null["organizers"] = Value::Null;
    assert_eq!(rejected_paths(explicit_null), ["organizers"]);
}

#[test]
fn empty_required_fields_and_empty_strings() {
    let doc = with(json!({
        "title": {}, "description": {"en": ""}, "languages": [], "organizers": [""],
        "url": "", "interest_area": "", "course_id": ""
    }));
    let r = course(&doc).unwrap_err();
    assert_eq!(
        paths(&r),
        [
            "course_id",
            "title",
            "description.en",
            "languages",
            "url",
            "organizers[0]",
            "interest_area"
        ]
    );
    assert!(
        r.problems.iter().all(|p| p.message == "must not be empty"),
        "{r}"
    );
}

#[test]
fn a_document_that_is_not_an_object() {
    for doc in [json!([]), json!("course"), json!(null), json!(3)] {
        let r = course(&doc).unwrap_err();
        assert_eq!(paths(&r), [""]);
        assert!(r.problems[0].message.starts_with("must be a JSON object"));
    }
}

#[test]
fn wrong_json_types_are_named() {
    let doc = with(json!({
        "title": "t", "languages": "en", "organizers": [3], "units": "6", "teachers": {}
    }));
    let r = course(&doc).unwrap_err();
    assert_eq!(
        paths(&r),
        ["title", "languages", "organizers[0]", "teachers", "units"]
    );
    assert_eq!(
        message_at(&r, "title"),
        "must be a JSON object, not a string"
    );
    assert_eq!(
        message_at(&r, "organizers[0]"),
        "must be a string, not a number"
    );
}

#[test]
fn language_codes_in_lists_and_as_keys() {
    let doc = with(json!({
        "title": {"EN": "t", "it": "t"},
        "description": {"eng": "d", "xx": "d", "en": "d"},
        "languages": ["en", "it", "EN", "xx", "e"]
    }));
    let r = course(&doc).unwrap_err();
    assert_eq!(
        paths(&r),
        [
            "title.EN",
            "description.eng",
            "description.xx",
            "languages[2]",
            "languages[3]",
            "languages[4]"
        ]
    );
    assert!(message_at(&r, "languages[3]").contains("ISO 639-1"));
}

#[test]
fn odd_keys_are_quoted_in_paths() {
    let doc = with(json!({"title": {"e n": "t", "": "u"}}));
    let r = course(&doc).unwrap_err();
    assert_eq!(paths(&r), ["title[\"e n\"]", "title[\"\"]"]);
}

#[test]
fn characters_xml_cannot_carry() {
    let doc = with(json!({
        "title": {"en": "a\u{1}b", "it": "ok\ttab"},
        "description": {"en": "line\r\nbreaks\tare fine", "it": "bad\u{fffe}"},
        "organizers": ["x\u{ffff}", "ok", "nul\u{0}"]
    }));
    let r = course(&doc).unwrap_err();
    assert_eq!(
        paths(&r),
        [
            "title.en",
            "description.it",
            "organizers[0]",
            "organizers[2]"
        ]
    );
    assert_eq!(
        message_at(&r, "title.en"),
        "contains U+0001 at character 1, which XML 1.0 cannot carry"
    );
    assert!(message_at(&r, "organizers[0]").contains("U+FFFF"));
}

#[test]
fn line_breaks_in_names_organizers_and_urls() {
    let doc = with(json!({
        "title": {"en": "Two\nlines are fine in a title"},
        "organizers": ["Poli\nMi", "ok", "Poli\rMi"],
        "url": "https://x.org/a\nb",
        "image": "https://x.org/a\r.png"
    }));
    let r = course(&doc).unwrap_err();
    assert_eq!(
        paths(&r),
        ["url", "image", "organizers[0]", "organizers[2]"]
    );
    assert_eq!(
        message_at(&r, "organizers[0]"),
        "must not contain a line break (CR or LF)"
    );
}

#[test]
fn urls_must_be_absolute_http() {
    let r = course(&with(
        json!({"url": "pok.example.org/x", "image": "data:image/png;base64,AA"}),
    ))
    .unwrap_err();
    assert_eq!(paths(&r), ["url", "image"]);
    assert_eq!(
        message_at(&r, "url"),
        "must be an absolute http or https URL"
    );
}

#[test]
fn interest_area_dates_numbers_and_durations() {
    let doc = with(json!({
        "interest_area": "ECO:XX",
        "start": "16/09/2024",
        "end": "2024-02-30",
        "units": -1,
        "study_load": 1.5,
        "typical_learning_time": "P1W"
    }));
    let r = course(&doc).unwrap_err();
    assert_eq!(
        paths(&r),
        [
            "interest_area",
            "start",
            "end",
            "units",
            "study_load",
            "typical_learning_time"
        ]
    );
    assert!(message_at(&r, "interest_area").contains("ECO:ES, ECO:SS, ECO:HUM"));
    assert_eq!(
        message_at(&r, "units"),
        "must be a non-negative integer, not -1"
    );
    let r = course(&with(
        json!({"units": 4_294_967_296_u64, "study_load": "4"}),
    ))
    .unwrap_err();
    assert_eq!(paths(&r), ["units", "study_load"]);
    let ok = course(&with(json!({"units": 0, "study_load": 4_294_967_295_u64}))).unwrap();
    assert_eq!(ok.value.study_load, Some(u32::MAX));
}

#[test]
fn end_before_start() {
    let r = course(&with(json!({"start": "2024-09-16", "end": "2024-09-15"}))).unwrap_err();
    assert_eq!(paths(&r), ["end"]);
    assert_eq!(
        message_at(&r, "end"),
        "2024-09-15T23:59:59Z is before start 2024-09-16T00:00:00Z"
    );
    // The same day as a bare date on both sides is a one-day course, not an error.
    assert!(course(&with(json!({"start": "2024-09-16", "end": "2024-09-16"}))).is_ok());
}

#[test]
fn unknown_fields_are_rejected() {
    let r = course(&with(
        json!({"Title": {"en": "t"}, "datestamp": "x", "oai identifier": 1}),
    ))
    .unwrap_err();
    let mut p = paths(&r);
    p.sort_unstable();
    assert_eq!(p, ["Title", "[\"oai identifier\"]", "datestamp"]);
    assert!(r.problems.iter().all(|p| p.message == "unknown field"));
}

#[test]
fn references_must_exist() {
    let doc = with(json!({
        "teachers": [TEACHER, "rossi", "not/an/id"],
        "sets": ["EcoBase", "physics", "math:algebra", "a::b"]
    }));
    let r = course(&doc).unwrap_err();
    assert_eq!(
        paths(&r),
        ["teachers[1]", "teachers[2]", "sets[1]", "sets[3]"]
    );
    assert_eq!(
        message_at(&r, "teachers[1]"),
        "no teacher has the id \"rossi\""
    );
    assert_eq!(message_at(&r, "sets[1]"), "no set has the spec \"physics\"");
    assert_eq!(referenced_teachers(&doc).len(), 2);
}

#[test]
fn warnings_for_languages_sets_and_images() {
    let doc = with(json!({
        "languages": ["en", "ja", "it", "nl"],
        "sets": ["math"],
        "image": "https://x.org/logo.svg?v=1"
    }));
    let v = course(&doc).unwrap();
    assert_eq!(
        warning_paths(&v),
        ["languages[1]", "languages[3]", "image", "sets"]
    );
    for image in [
        "https://x.org/a.PNG",
        "https://x.org/a.jpeg?v=2",
        "https://x.org/a.gif#x",
    ] {
        let v = course(&with(json!({"image": image}))).unwrap();
        assert!(v.warnings.is_empty(), "{image}: {:?}", v.warnings);
    }
}

#[test]
fn size_limits() {
    let long = "a".repeat(MAX_STRING_BYTES + 1);
    let many: Vec<&str> = vec!["o"; MAX_LIST_LEN + 1];
    let r = course(&with(
        json!({"description": {"en": long}, "organizers": many}),
    ))
    .unwrap_err();
    assert_eq!(paths(&r), ["description.en", "organizers"]);
    let just = "a".repeat(MAX_STRING_BYTES);
    assert!(course(&with(json!({"description": {"en": just}}))).is_ok());
}

#[test]
fn many_problems_at_once() {
    let doc = json!({
        "course_id": "course-v1:only+two",
        "title": {"EN": "t"},
        "description": {"en": "ok"},
        "languages": ["en", "it", "EN"],
        "url": "ftp://x.org",
        "organizers": ["Poli\nMi"],
        "interest_area": "ECO:ES",
        "sets": ["nope"],
        "extra": true
    });
    let r = course(&doc).unwrap_err();
    assert_eq!(
        paths(&r),
        [
            "extra",
            "course_id",
            "title.EN",
            "languages[2]",
            "url",
            "organizers[0]",
            "sets[0]"
        ]
    );
    let text = r.to_string();
    assert!(
        text.starts_with("extra: unknown field; course_id: "),
        "{text}"
    );
}

#[test]
fn malformed_json_is_a_rejection_not_a_panic() {
    for bad in [
        &b"{\"title\": \"\\ud800\"}"[..],
        b"{",
        b"",
        b"\xff\xfe",
        b"{\"a\":1,}",
    ] {
        let r = parse_json(bad).unwrap_err();
        assert_eq!(paths(&r), [""]);
        assert!(r.problems[0].message.starts_with("not valid JSON"), "{r}");
    }
    // A lone surrogate cannot become a Rust string: serde_json refuses it, with either half.
    assert!(parse_json(br#"{"t": "\ud800 x"}"#).is_err());
    assert!(parse_json(br#"{"t": "\udc00"}"#).is_err());
    assert!(parse_json(br#"{"t": "\ud83d\ude00"}"#).is_ok());
}

#[test]
fn teachers_are_validated() {
    let ok = json!({"id": TEACHER, "first_name": "Maria", "last_name": "Rossi",
        "image": "https://pok.example.org/static/rossi.jpg",
        "descriptions": {"en": "Maria Rossi teaches ...", "it": "Maria Rossi insegna ..."}});
    let v = validate_teacher(&ok).unwrap();
    assert_eq!(v.value.full_name(), "Maria Rossi");
    assert_eq!(serde_json::to_value(&v.value).unwrap(), ok);
    let minimal = validate_teacher(&json!({"id": "rossi", "first_name": "M", "last_name": "R"}));
    assert!(minimal.unwrap().value.descriptions.is_empty());

    let bad = json!({"id": "a/b", "first_name": "", "last_name": "Ros\nsi", "image": "ftp://x",
        "descriptions": {"EN": "x", "it": "\u{7}"}, "email": "m@x.org"});
    let r = validate_teacher(&bad).unwrap_err();
    assert_eq!(
        paths(&r),
        [
            "email",
            "id",
            "first_name",
            "last_name",
            "image",
            "descriptions.EN",
            "descriptions.it"
        ]
    );
    let r = validate_teacher(&json!({})).unwrap_err();
    assert_eq!(paths(&r), ["id", "first_name", "last_name"]);
}

#[test]
fn sets_are_validated() {
    let v = validate_set(&json!({"spec": "EcoBase", "name": "ECO core project MOOC"})).unwrap();
    assert_eq!(v.value.spec.as_str(), "EcoBase");
    let r = validate_set(&json!({"spec": "a::b", "name": "two\r\nlines", "x": 1})).unwrap_err();
    assert_eq!(paths(&r), ["x", "spec", "name"]);
    let r = validate_set(&json!({"spec": "ok"})).unwrap_err();
    assert_eq!(paths(&r), ["name"]);
    assert_eq!(paths(&validate_set(&json!([])).unwrap_err()), [""]);
}

#[test]
fn warnings_for_what_ecos_harvester_does_to_content() {
    let doc = with(json!({
        "title": {"en": "Meet <every week> online", "it": "Due\trighe", "fr": "Deux\nlignes"},
        "description": {"en": "Paragraph one.\n\nParagraph two.", "it": "Tab\there", "fr": "a </b> c"},
        "start": "2024-09-16T08:00:00.250Z",
        "end": "2024-11-30",
    }));
    let v = course(&doc).unwrap();
    assert_eq!(
        warning_paths(&v),
        [
            "title.en",
            "title.fr",
            "title.it",
            "description.fr",
            "description.it",
            "start"
        ]
    );
    let said = |path: &str| {
        v.warnings
            .iter()
            .filter(|w| w.path == path)
            .map(|w| w.message.clone())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        said("title.en").contains("\"<every week>\""),
        "{}",
        said("title.en")
    );
    assert!(said("title.it").contains("tabs"));
    assert!(said("title.fr").contains("<br>"));
    assert!(
        said("start").contains("2024-09-16T08:00:00Z"),
        "{}",
        said("start")
    );
    // Paragraphs in a description are what ECO shows as <br>: no warning.
    assert!(said("description.en").is_empty());
    assert_eq!(v.value.start.unwrap().to_string(), "2024-09-16T08:00:00Z");
}

#[test]
fn store_limits_are_validation_rules() {
    let ids = |prefix: &str, n: usize| -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    };
    let teachers: Vec<TeacherId> = ids("t", MAX_TEACHERS + 1)
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
    let sets: Vec<SetSpec> = ids("s", MAX_SETS + 1)
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let known = Known {
        teachers: &teachers,
        sets: &sets,
    };
    let mut doc = with(json!({"teachers": ids("t", MAX_TEACHERS), "sets": ids("s", MAX_SETS)}));
    assert!(validate_course(&doc, &known).is_ok());
    doc = with(json!({"teachers": ids("t", MAX_TEACHERS + 1), "sets": ids("s", MAX_SETS + 1)}));
    let r = validate_course(&doc, &known).unwrap_err();
    assert_eq!(paths(&r), ["teachers", "sets"]);
    // Deep sets count with their ancestors.
    let deep: Vec<String> = (0..MAX_SETS).map(|i| format!("d{i}:a:b:c")).collect();
    let deep_specs: Vec<SetSpec> = deep.iter().map(|s| s.parse().unwrap()).collect();
    let known = Known {
        teachers: &teachers,
        sets: &deep_specs,
    };
    let r = validate_course(&with(json!({"sets": deep})), &known).unwrap_err();
    assert!(message_at(&r, "sets").contains("32 sets"), "{r}");
    // A name given twice is refused.
    let r = course(&with(json!({"teachers": [TEACHER, TEACHER]}))).unwrap_err();
    assert_eq!(paths(&r), ["teachers[1]"]);
    // The whole document is bounded too, below a DynamoDB item.
    let text = "x".repeat(MAX_STRING_BYTES - 10);
    let langs = ["en", "it", "fr", "de", "es", "pt"];
    let descriptions: serde_json::Map<String, Value> =
        langs.iter().map(|l| (l.to_string(), json!(text))).collect();
    let r = course(&with(json!({"description": descriptions}))).unwrap_err();
    assert_eq!(paths(&r), [""]);
    assert!(r.problems[0]
        .message
        .contains(&MAX_DOCUMENT_BYTES.to_string()));
}

#[test]
fn grade_cutoffs_are_fractions_of_the_grade() {
    let v = course(&with(json!({"grade_cutoffs": {"A": 0.9, "Pass": 0.5}}))).unwrap();
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    assert_eq!(v.value.lowest_nonzero_cutoff(), Some(0.5));
    let back = serde_json::to_value(&v.value).unwrap();
    assert_eq!(back["grade_cutoffs"], json!({"A": 0.9, "Pass": 0.5}));
    assert!(course(&with(json!({"grade_cutoffs": {"Pass": 1}}))).is_ok());
    assert!(course(&with(json!({"grade_cutoffs": null}))).is_ok());

    let r = course(&with(json!({"grade_cutoffs": {
        "A": 0, "B": 1.5, "C": -0.1, "D": "0.5", "": 0.5, "ok": 0.4
    }})))
    .unwrap_err();
    assert_eq!(
        paths(&r),
        [
            "grade_cutoffs.A",
            "grade_cutoffs.B",
            "grade_cutoffs.C",
            "grade_cutoffs.D",
            "grade_cutoffs[\"\"]"
        ]
    );
    assert!(message_at(&r, "grade_cutoffs.A").contains("greater than 0"));
    assert!(message_at(&r, "grade_cutoffs.D").contains("a string"));

    for (bad, why) in [
        (json!({}), "at least one grade"),
        (json!([0.5]), "JSON object"),
        (json!(0.5), "JSON object"),
    ] {
        let r = course(&with(json!({ "grade_cutoffs": bad }))).unwrap_err();
        assert!(message_at(&r, "grade_cutoffs").contains(why), "{bad}: {r}");
    }
    let many: serde_json::Map<String, Value> = (0..=MAX_GRADES)
        .map(|i| (format!("G{i}"), json!(0.5)))
        .collect();
    let r = course(&with(json!({ "grade_cutoffs": many }))).unwrap_err();
    assert_eq!(paths(&r), ["grade_cutoffs"]);
}
