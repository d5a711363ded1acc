//! What only DynamoDB can break: its item and transaction limits (a document the shared
//! validation accepts is stored, the largest and the busiest ones included), the eventual
//! consistency of its index (stale memberships never shorten a page), and records written by
//! a newer release. On moto.

use aws_sdk_dynamodb::types::AttributeValue;
use pokeco_aws::keys;
use pokeco_core::catalog::{
    validate_course, Known, SetSpec, Teacher, TeacherId, MAX_DOCUMENT_BYTES, MAX_MEMBERSHIPS,
    MAX_SETS, MAX_TEACHERS,
};
use pokeco_core::order::order_key;
use pokeco_core::store::{CatalogStore, RecordQuery, StoreError};
use pokeco_core::Datestamp;
use serde_json::json;

use crate::common::{config, fresh_dynamo_store, put_sets};

fn at(secs: i64) -> Datestamp {
    Datestamp::from_unix(1_700_000_000 + secs).unwrap()
}

fn doc(id: &str) -> serde_json::Value {
    json!({
        "course_id": id, "title": {"en": "T"}, "description": {"en": "D"},
        "languages": ["en"], "url": "https://x.org/", "organizers": ["O"],
        "interest_area": "ECO:HUM"
    })
}

async fn teachers(store: &impl CatalogStore, prefix: &str, n: usize) -> Vec<TeacherId> {
    let mut ids = Vec::new();
    for i in 0..n {
        let id: TeacherId = format!("{prefix}{i}").parse().unwrap();
        let t = Teacher {
            id: id.clone(),
            first_name: "A".into(),
            last_name: format!("T{i}"),
            image: None,
            descriptions: Default::default(),
        };
        store.put_teacher(t).await.unwrap();
        ids.push(id);
    }
    ids
}

/// The largest document validation accepts is one DynamoDB item.
#[tokio::test]
async fn the_largest_valid_course_is_stored() {
    let store = fresh_dynamo_store().await;
    let mut d = doc("a/b/c");
    // Six descriptions that bring the stored JSON just under the limit.
    let langs = ["en", "it", "fr", "de", "es", "pt"];
    let each = (MAX_DOCUMENT_BYTES - 2_000) / langs.len();
    let text = "é".repeat(each / 2);
    d["description"] = langs.iter().map(|l| (l.to_string(), json!(text))).collect();
    let checked = validate_course(&d, &Known::default()).unwrap();
    let size = serde_json::to_vec(&checked.value).unwrap().len();
    assert!(
        size > MAX_DOCUMENT_BYTES - 4_000 && size <= MAX_DOCUMENT_BYTES,
        "{size}"
    );
    let record = store
        .put_course(checked.value.clone(), at(0))
        .await
        .unwrap();
    let back = store
        .get_course(&record.course.course_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.course, checked.value);
    // One more description of that size is refused by validation, before any store.
    d["description"]["nl"] = json!(text);
    let refused = validate_course(&d, &Known::default()).unwrap_err();
    assert_eq!(refused.problems[0].path, "");
}

/// DynamoDB's own refusal of an oversized item reaches the caller as a permanent refusal.
#[tokio::test]
async fn an_item_over_400_kb_is_rejected_not_unavailable() {
    let store = fresh_dynamo_store().await;
    let huge = Teacher {
        id: "t".parse().unwrap(),
        first_name: "A".into(),
        last_name: "B".into(),
        image: None,
        descriptions: [("en".parse().unwrap(), "x".repeat(450_000))].into(),
    };
    let r = store.put_teacher(huge).await;
    assert!(matches!(r, Err(StoreError::Rejected(_))), "{r:?}");
}

/// A course naming the most sets (each three deep) and teachers moves to as many others in
/// one transaction: validation's bounds fit DynamoDB's 100 actions.
#[tokio::test]
async fn the_busiest_move_fits_one_transaction() {
    let store = fresh_dynamo_store().await;
    let specs = |prefix: &str| -> Vec<String> {
        (0..MAX_SETS).map(|i| format!("{prefix}{i}:x:y")).collect()
    };
    let (old_sets, new_sets) = (specs("old"), specs("new"));
    let all: Vec<&str> = old_sets
        .iter()
        .chain(&new_sets)
        .map(String::as_str)
        .collect();
    put_sets(&store, &all).await;
    let old_teachers = teachers(&store, "old", MAX_TEACHERS).await;
    let new_teachers = teachers(&store, "new", MAX_TEACHERS).await;

    let course = |sets: &[String], teachers: &[TeacherId]| {
        let mut d = doc("a/b/c");
        d["sets"] = json!(sets);
        d["teachers"] = json!(teachers.iter().map(TeacherId::as_str).collect::<Vec<_>>());
        let specs: Vec<SetSpec> = sets.iter().map(|s| s.parse().unwrap()).collect();
        let known = Known {
            teachers,
            sets: &specs,
        };
        validate_course(&d, &known).unwrap().value
    };
    let before = course(&old_sets, &old_teachers);
    assert_eq!(
        before.sets.iter().flat_map(SetSpec::with_ancestors).count(),
        MAX_MEMBERSHIPS
    );
    store.put_course(before, at(0)).await.unwrap();
    store
        .put_course(course(&new_sets, &new_teachers), at(10))
        .await
        .unwrap();
    // Every old reference was released, every new one is held.
    store.delete_teacher(&old_teachers[0]).await.unwrap();
    let r = store.delete_teacher(&new_teachers[0]).await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
    let q = RecordQuery {
        set: Some("new3".parse().unwrap()),
        limit: 5,
        ..RecordQuery::default()
    };
    assert_eq!(store.page_courses(&q).await.unwrap().records.len(), 1);
}

/// Membership items the index still shows at a course's old place (DynamoDB updates the
/// index after the commit) are passed over, and the page is filled from further on.
#[tokio::test]
async fn stale_memberships_never_shorten_a_set_page() {
    let store = fresh_dynamo_store().await;
    put_sets(&store, &["s"]).await;
    for i in 0..6 {
        let mut d = doc(&format!("org/c{i}/run"));
        d["sets"] = json!(["s"]);
        let c = validate_course(
            &d,
            &Known {
                sets: &["s".parse().unwrap()],
                ..Known::default()
            },
        )
        .unwrap()
        .value;
        store.put_course(c, at(100 + i)).await.unwrap();
    }
    // What a lagging index shows: memberships of courses at places they have left (and of a
    // course that no longer exists), all before the live ones.
    let client = aws_sdk_dynamodb::Client::new(&config().await);
    for (i, id) in ["org/c0/run", "org/c1/run", "org/gone/run", "org/c2/run"]
        .iter()
        .enumerate()
    {
        let id = id.parse().unwrap();
        client
            .put_item()
            .table_name(store.table())
            .item(keys::PK, AttributeValue::S(keys::course_pk(&id)))
            .item(keys::SK, AttributeValue::S(format!("SET#stale{i}")))
            .item(keys::GSI1PK, AttributeValue::S("SET#s".to_owned()))
            .item(
                keys::GSI1SK,
                AttributeValue::S(order_key(at(i as i64), &id)),
            )
            .item("course_id", AttributeValue::S(id.to_string()))
            .send()
            .await
            .unwrap();
    }
    let mut q = RecordQuery {
        set: Some("s".parse().unwrap()),
        limit: 2,
        ..RecordQuery::default()
    };
    let mut seen = Vec::new();
    loop {
        let page = store.page_courses(&q).await.unwrap();
        if page.more {
            assert_eq!(page.records.len(), 2, "a page with more after it is full");
        }
        seen.extend(page.records.iter().map(|r| r.course.course_id.to_string()));
        q.after = page.records.last().map(pokeco_core::order::Position::of);
        if !page.more {
            break;
        }
    }
    let want: Vec<String> = (0..6).map(|i| format!("org/c{i}/run")).collect();
    assert_eq!(seen, want);
}

/// Items written by a newer release, with attributes this one does not know, still read.
#[tokio::test]
async fn records_with_unknown_fields_read() {
    let store = fresh_dynamo_store().await;
    let client = aws_sdk_dynamodb::Client::new(&config().await);
    let item = serde_dynamo::aws_sdk_dynamodb_1::to_item(json!({
        "pk": "COURSE#a/b/c", "sk": "COURSE", "gsi1pk": "COURSES",
        "gsi1sk": order_key(at(0), &"a/b/c".parse().unwrap()),
        "version": 1, "datestamp": at(0).to_string(), "deleted": false,
        "future_attribute": {"x": 1},
        "course": {
            "course_id": "a/b/c", "title": {"en": "T"}, "description": {"en": "D"},
            "languages": ["en"], "url": "https://x.org/", "organizers": ["O"],
            "interest_area": "ECO:HUM", "grade_cutoffs": {"Pass": 0.5}
        }
    }))
    .unwrap();
    client
        .put_item()
        .table_name(store.table())
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    let got = store.get_course(&"a/b/c".parse().unwrap()).await.unwrap();
    assert_eq!(got.unwrap().course.course_id.as_str(), "a/b/c");
    let page = store
        .page_courses(&RecordQuery {
            limit: 5,
            ..RecordQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.records.len(), 1);
}

/// The longest course id is a key DynamoDB takes; a longer identifier in a request names no
/// record (`idDoesNotExist`), and never reaches DynamoDB's 2 KB key limit as a failure.
#[tokio::test]
async fn course_ids_stay_within_the_key_limit() {
    use pokeco_core::catalog::MAX_COURSE_ID_BYTES;
    use pokeco_core::oai;

    let store = fresh_dynamo_store().await;
    let longest = format!("a/b/{}", "c".repeat(MAX_COURSE_ID_BYTES - 4));
    let course = validate_course(&doc(&longest), &Known::default())
        .unwrap()
        .value;
    store.put_course(course, at(0)).await.unwrap();
    assert!(store
        .get_course(&longest.parse().unwrap())
        .await
        .unwrap()
        .is_some());

    let settings = pokeco_core::contract::settings();
    for id in [longest.clone(), format!("a/b/{}", "c".repeat(3000))] {
        let args = vec![
            ("verb".to_owned(), "GetRecord".to_owned()),
            ("metadataPrefix".to_owned(), "oai_dc".to_owned()),
            ("identifier".to_owned(), format!("oai:x.org:{id}")),
        ];
        let xml = oai::respond(
            &store,
            &settings,
            "http://127.0.0.1/oai",
            Ok(args),
            Datestamp::now(),
        )
        .await
        .unwrap();
        let found = !xml.contains("idDoesNotExist");
        assert_eq!(found, id == longest, "{} bytes", id.len());
    }
}
