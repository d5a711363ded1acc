//! Failures the emulator never produces (throttled batch reads, lost write races), on an SDK
//! client whose answers are scripted with aws-smithy-mocks.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsError, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::types::error::TransactionCanceledException;
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason, KeysAndAttributes};
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use pokeco_aws::DynamoStore;
use pokeco_core::catalog::{Course, TeacherId};
use pokeco_core::store::CatalogStore;
use pokeco_core::Datestamp;

const TABLE: &str = "catalog";

fn teacher_item(id: &str) -> HashMap<String, AttributeValue> {
    serde_dynamo::aws_sdk_dynamodb_1::to_item(serde_json::json!({
        "pk": format!("TEACHER#{id}"), "sk": "TEACHER", "gsi1pk": "TEACHERS", "gsi1sk": id,
        "teacher": {"id": id, "first_name": "A", "last_name": id, "descriptions": {}}
    }))
    .unwrap()
}

fn teacher_key(id: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("TEACHER#{id}"))),
        ("sk".to_owned(), AttributeValue::S("TEACHER".to_owned())),
    ])
}

#[tokio::test]
async fn batch_reads_retry_unprocessed_keys() {
    let first = mock!(Client::batch_get_item).then_output(|| {
        BatchGetItemOutput::builder()
            .responses(TABLE, vec![teacher_item("b")])
            .unprocessed_keys(
                TABLE,
                KeysAndAttributes::builder()
                    .keys(teacher_key("a"))
                    .build()
                    .unwrap(),
            )
            .build()
    });
    let second = mock!(Client::batch_get_item)
        .match_requests(|req| {
            // Only the unprocessed key is asked again.
            req.request_items()
                .and_then(|r| r.get(TABLE))
                .map(|k| k.keys().len())
                == Some(1)
        })
        .then_output(|| {
            BatchGetItemOutput::builder()
                .responses(TABLE, vec![teacher_item("a")])
                .build()
        });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&first, &second]);
    let store = DynamoStore::new(client, TABLE);

    let ids: Vec<TeacherId> = ["a", "missing", "b"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let got = store.get_teachers(&ids).await.unwrap();
    let names: Vec<&str> = got.iter().map(|t| t.last_name.as_str()).collect();
    assert_eq!(names, ["a", "b"], "in the order asked, after the retry");
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_course_write_that_loses_a_race_is_recomputed() {
    let course: Course = serde_json::from_value(serde_json::json!({
        "course_id": "a/b/c", "title": {"en": "T"}, "description": {"en": "D"},
        "languages": ["en"], "url": "https://x.org/", "organizers": ["O"],
        "interest_area": "ECO:HUM", "sets": ["s"]
    }))
    .unwrap();
    // Each attempt reads the course and the meta item (the harvest horizon).
    let read = mock!(Client::get_item)
        .sequence()
        .output(|| GetItemOutput::builder().build())
        .times(4)
        .build();
    // Rules built with `then_*` answer forever; a one-element sequence answers once.
    let lost = mock!(Client::transact_write_items)
        .sequence()
        .error(|| {
            TransactWriteItemsError::TransactionCanceledException(
                TransactionCanceledException::builder()
                    .cancellation_reasons(
                        CancellationReason::builder()
                            .code("ConditionalCheckFailed")
                            .build(),
                    )
                    .cancellation_reasons(CancellationReason::builder().code("None").build())
                    .build(),
            )
        })
        .build();
    let won = mock!(Client::transact_write_items)
        .then_output(|| TransactWriteItemsOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&read, &lost, &won]);
    let store = DynamoStore::new(client, TABLE);

    let at = Datestamp::from_unix(1_700_000_000).unwrap();
    let record = store.put_course(course.clone(), at).await.unwrap();
    assert_eq!(record.course, course);
    assert_eq!(read.num_calls(), 4, "read again after losing the race");
    assert_eq!((lost.num_calls(), won.num_calls()), (1, 1));
}

/// DynamoDB refusing a request as invalid (an item over 400 KB, a key over 2 KB) is a
/// permanent refusal: never "unavailable, try again".
#[tokio::test]
async fn validation_exceptions_are_permanent_refusals() {
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use pokeco_core::store::StoreError;

    let refused = mock!(Client::get_item).then_error(|| {
        GetItemError::generic(
            ErrorMetadata::builder()
                .code("ValidationException")
                .message("One or more parameter values were invalid: key too long")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&refused]);
    let store = DynamoStore::new(client, TABLE);
    let r = store.get_course(&"a/b/c".parse().unwrap()).await;
    assert!(matches!(r, Err(StoreError::Rejected(_))), "{r:?}");
    assert!(!r.unwrap_err().is_retryable());

    let throttled = mock!(Client::get_item).then_error(|| {
        GetItemError::generic(ErrorMetadata::builder().code("ThrottlingException").build())
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&throttled]);
    let store = DynamoStore::new(client, TABLE);
    let r = store.get_course(&"a/b/c".parse().unwrap()).await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
}

/// A transaction cancelled for a ValidationError on one action is refused permanently, not
/// retried.
#[tokio::test]
async fn a_transaction_refused_as_invalid_is_not_retried() {
    use pokeco_core::store::StoreError;

    let course: Course = serde_json::from_value(serde_json::json!({
        "course_id": "a/b/c", "title": {"en": "T"}, "description": {"en": "D"},
        "languages": ["en"], "url": "https://x.org/", "organizers": ["O"],
        "interest_area": "ECO:HUM"
    }))
    .unwrap();
    let read = mock!(Client::get_item).then_output(|| GetItemOutput::builder().build());
    let invalid = mock!(Client::transact_write_items).then_error(|| {
        TransactWriteItemsError::TransactionCanceledException(
            TransactionCanceledException::builder()
                .cancellation_reasons(
                    CancellationReason::builder()
                        .code("ValidationError")
                        .message("Item size has exceeded the maximum allowed size")
                        .build(),
                )
                .cancellation_reasons(CancellationReason::builder().code("None").build())
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&read, &invalid]);
    let store = DynamoStore::new(client, TABLE);
    let r = store
        .put_course(course, Datestamp::from_unix(1_700_000_000).unwrap())
        .await;
    assert!(
        matches!(&r, Err(StoreError::Rejected(m)) if m.contains("size")),
        "{r:?}"
    );
    assert_eq!(invalid.num_calls(), 1);
}
