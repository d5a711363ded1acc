//! What the contract cannot see of the DynamoDB store: the items it leaves in the table, the
//! table definition, the creation-time fallback, unreadable and unreachable tables. On moto,
//! like the contract.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use pokeco_aws::{create_table, keys, DynamoStore};
use pokeco_core::catalog::{Course, CourseId};
use pokeco_core::store::{CatalogStore, RecordQuery};
use pokeco_core::Datestamp;

fn course(id: &str, sets: &[&str]) -> Course {
    serde_json::from_value(serde_json::json!({
        "course_id": id, "title": {"en": "T"}, "description": {"en": "D"},
        "languages": ["en"], "url": "https://x.org/", "organizers": ["O"],
        "interest_area": "ECO:HUM", "sets": sets
    }))
    .unwrap()
}

fn at(secs: i64) -> Datestamp {
    Datestamp::from_unix(1_700_000_000 + secs).unwrap()
}

/// The sort keys of every item in a course's partition.
async fn partition_sks(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    id: &str,
) -> BTreeSet<String> {
    let out = client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("COURSE#{id}")))
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        .map(|i| i.get(keys::SK).and_then(|v| v.as_s().ok()).unwrap().clone())
        .collect()
}

#[tokio::test]
async fn membership_items_follow_the_course_exactly() {
    let store = crate::common::fresh_dynamo_store().await;
    crate::common::put_sets(&store, &["a:b:c", "x", "a:d"]).await;
    let client = aws_sdk_dynamodb::Client::new(&crate::common::config().await);
    let id = "course-v1:a+b+c";
    store
        .put_course(course(id, &["a:b:c", "x"]), at(0))
        .await
        .unwrap();
    let sks = partition_sks(&client, store.table(), id).await;
    assert_eq!(
        sks,
        ["COURSE", "SET#a", "SET#a:b", "SET#a:b:c", "SET#x"]
            .map(String::from)
            .into()
    );

    store.put_course(course(id, &["a:d"]), at(0)).await.unwrap();
    let sks = partition_sks(&client, store.table(), id).await;
    assert_eq!(
        sks,
        ["COURSE", "SET#a", "SET#a:d"].map(String::from).into(),
        "no stale memberships"
    );

    // Deleting keeps the memberships (a deleted record stays in its sets), moved to the new
    // datestamp: the set's index partition finds it there.
    store
        .delete_course(&id.parse().unwrap(), at(9))
        .await
        .unwrap();
    assert_eq!(partition_sks(&client, store.table(), id).await.len(), 3);
    let q = RecordQuery {
        set: Some("a".parse().unwrap()),
        from: Some(at(9)),
        limit: 5,
        ..Default::default()
    };
    let page = store.page_courses(&q).await.unwrap();
    assert_eq!(page.records.len(), 1);
    assert!(page.records[0].deleted);

    store.put_course(course(id, &[]), at(10)).await.unwrap();
    assert_eq!(
        partition_sks(&client, store.table(), id).await,
        ["COURSE".to_owned()].into()
    );
}

#[tokio::test]
async fn create_table_matches_infra_table_json_and_is_idempotent() {
    let client = aws_sdk_dynamodb::Client::new(&crate::common::config().await);
    let table = crate::common::unique_name("def");
    create_table(&client, &table).await.unwrap();
    let store = DynamoStore::new(client.clone(), &table);
    let created = store.earliest_datestamp().await.unwrap();
    // A second call keeps the table and its creation time.
    create_table(&client, &table).await.unwrap();
    assert_eq!(store.earliest_datestamp().await.unwrap(), created);

    let desc = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let attrs: BTreeSet<(String, String)> = desc
        .attribute_definitions()
        .iter()
        .map(|a| {
            (
                a.attribute_name().to_owned(),
                a.attribute_type().as_str().to_owned(),
            )
        })
        .collect();
    let keys_of = |k: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<(String, String)> {
        k.iter()
            .map(|e| {
                (
                    e.attribute_name().to_owned(),
                    e.key_type().as_str().to_owned(),
                )
            })
            .collect()
    };
    let gsi = &desc.global_secondary_indexes()[0];

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/aws/table.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let pairs = |v: &serde_json::Value, a: &str, b: &str| -> Vec<(String, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e[a].as_str().unwrap().to_owned(),
                    e[b].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let want_attrs: BTreeSet<_> = pairs(
        &json["AttributeDefinitions"],
        "AttributeName",
        "AttributeType",
    )
    .into_iter()
    .collect();
    assert_eq!(attrs, want_attrs);
    assert_eq!(
        keys_of(desc.key_schema()),
        pairs(&json["KeySchema"], "AttributeName", "KeyType")
    );
    let want_gsi = &json["GlobalSecondaryIndexes"][0];
    assert_eq!(gsi.index_name(), want_gsi["IndexName"].as_str());
    assert_eq!(
        keys_of(gsi.key_schema()),
        pairs(&want_gsi["KeySchema"], "AttributeName", "KeyType")
    );
    assert_eq!(
        gsi.projection()
            .and_then(|p| p.projection_type())
            .map(|p| p.as_str()),
        want_gsi["Projection"]["ProjectionType"].as_str()
    );
}

#[tokio::test]
async fn a_table_without_meta_item_answers_its_creation_time() {
    // As CloudFormation creates it: the table without the meta item create_table writes.
    let store = crate::common::fresh_dynamo_store().await;
    let client = aws_sdk_dynamodb::Client::new(&crate::common::config().await);
    client
        .delete_item()
        .table_name(store.table())
        .key(keys::PK, AttributeValue::S(keys::META_PK.to_owned()))
        .key(keys::SK, AttributeValue::S(keys::META_SK.to_owned()))
        .send()
        .await
        .unwrap();
    let now = Datestamp::now();
    let e = store.earliest_datestamp().await.unwrap();
    assert!(e <= now && e >= now.saturating_add(-3600), "{e} vs {now}");
}

#[tokio::test]
async fn a_course_item_that_is_not_a_course_is_corrupt() {
    let store = crate::common::fresh_dynamo_store().await;
    let client = aws_sdk_dynamodb::Client::new(&crate::common::config().await);
    client
        .put_item()
        .table_name(store.table())
        .item(keys::PK, AttributeValue::S("COURSE#a/b/c".to_owned()))
        .item(keys::SK, AttributeValue::S(keys::COURSE_SK.to_owned()))
        .item("course", AttributeValue::S("not a map".to_owned()))
        .send()
        .await
        .unwrap();
    let id: CourseId = "a/b/c".parse().unwrap();
    let r = store.get_course(&id).await;
    assert!(
        matches!(r, Err(pokeco_core::store::StoreError::Corrupt(_))),
        "{r:?}"
    );
}

#[tokio::test]
async fn an_unreachable_table_is_unavailable() {
    let client = aws_sdk_dynamodb::Client::new(&crate::common::config().await);
    let store = DynamoStore::new(client, crate::common::unique_name("missing"));
    let r = store.get_course(&"a/b/c".parse().unwrap()).await;
    assert!(
        matches!(r, Err(pokeco_core::store::StoreError::Unavailable(_))),
        "{r:?}"
    );
}
