//! The shared progress-store contract on DynamoDB (moto), and the write races moto never
//! loses, on a scripted SDK client: a write whose condition fails is read, planned and
//! written again, a bounded number of times.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use pokeco_aws::{create_table, DynamoStore, MAX_PROGRESS_ATTEMPTS};
use pokeco_core::pipeline::EcoSub;
use pokeco_core::progress::{CourseProgress, ProgressStore};
use pokeco_core::store::StoreError;

use crate::common::{config, unique_name};

pokeco_core::progress_store_contract!(fresh_store);

/// A fresh table on moto, reached one request at a time.
///
/// DynamoDB applies each request to an item atomically: a conditional write's condition and
/// its update are one step. moto does not: its threaded server evaluates the condition and
/// then applies the update with no lock (moto 5.2.5, `dynamodb/models/__init__.py`,
/// `update_item`), so two requests on one item at the same moment may both pass their
/// conditions, and two that create an item may each replace the other's. The contract's
/// concurrent merges would then lose an update that DynamoDB never loses. One request at a
/// time restores DynamoDB's atomicity per request; the two merges still interleave their
/// requests (both read, then both write, one losing its condition), which is the race the
/// check is about.
async fn fresh_store() -> DynamoStore {
    let config = config().await;
    // moto is plain HTTP on the loopback: the SDK's own client, without TLS.
    let inner = aws_smithy_http_client::Builder::new().build_http();
    let turn = Arc::new(tokio::sync::Mutex::new(()));
    let one_at_a_time = http_client_fn(move |settings, components| {
        SharedHttpConnector::new(OneAtATime {
            inner: inner.http_connector(settings, components),
            turn: Arc::clone(&turn),
        })
    });
    let config = config.into_builder().http_client(one_at_a_time).build();
    let client = Client::new(&config);
    let table = unique_name("progress");
    create_table(&client, &table)
        .await
        .expect("create the test table on moto");
    DynamoStore::new(client, table)
}

#[derive(Debug)]
struct OneAtATime {
    inner: SharedHttpConnector,
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl HttpConnector for OneAtATime {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, turn) = (self.inner.clone(), Arc::clone(&self.turn));
        HttpConnectorFuture::new(async move {
            let _turn = turn.lock_owned().await;
            inner.call(request).await
        })
    }
}

const TABLE: &str = "progress";
const SUB: &str = "5a1b2c3d4e5f60718293a4b5";

fn lost() -> UpdateItemError {
    UpdateItemError::ConditionalCheckFailedException(
        ConditionalCheckFailedException::builder()
            .message("The conditional request failed")
            .meta(
                ErrorMetadata::builder()
                    .code("ConditionalCheckFailedException")
                    .build(),
            )
            .build(),
    )
}

/// The item a concurrent writer left: first and last view at `t`, block `w`.
fn winner(t: i64) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".into(), AttributeValue::S(format!("PROGRESS#{SUB}"))),
        ("sk".into(), AttributeValue::S("Org/A/1".into())),
        ("first_view".into(), AttributeValue::N(t.to_string())),
        ("last_view".into(), AttributeValue::N(t.to_string())),
        ("blocks".into(), AttributeValue::Ss(vec!["w".into()])),
    ])
}

fn batch(t: i64, block: &str) -> Vec<(EcoSub, pokeco_core::catalog::CourseId, CourseProgress)> {
    let state = CourseProgress {
        first_view_ms: Some(t),
        last_view_ms: Some(t),
        blocks: [block.to_owned()].into(),
        ..CourseProgress::default()
    };
    vec![(SUB.parse().unwrap(), "Org/A/1".parse().unwrap(), state)]
}

/// Nothing was stored when the batch read.
fn nothing_read() -> aws_smithy_mocks::Rule {
    mock!(Client::batch_get_item).then_output(|| BatchGetItemOutput::builder().build())
}

#[tokio::test]
async fn a_lost_race_is_read_again_and_merged_over_the_winner() {
    let read = nothing_read();
    let first = mock!(Client::update_item)
        .match_requests(|r| {
            r.condition_expression()
                .is_some_and(|c| c.starts_with("attribute_not_exists(#first_view)"))
        })
        .sequence()
        .error(lost)
        .build();
    let again = mock!(Client::get_item)
        .then_output(|| GetItemOutput::builder().set_item(Some(winner(50))).build());
    // Planned over the winner's item: the earlier first view is set (checked against the
    // winner's), the later last view is left, the new block added.
    let second = mock!(Client::update_item)
        .match_requests(|r| {
            r.update_expression() == Some("SET #first_view = :first_view ADD #blocks :blocks")
                && r.condition_expression()
                    == Some(
                        "#first_view = :was_first_view AND \
                         (attribute_not_exists(#blocks) OR size(#blocks) <= :room_blocks)",
                    )
                && r.expression_attribute_values().is_some_and(|v| {
                    v.get(":was_first_view") == Some(&AttributeValue::N("50".into()))
                        && v.get(":blocks") == Some(&AttributeValue::Ss(vec!["a".into()]))
                })
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&read, &first, &again, &second]
    );
    let store = DynamoStore::new(client, TABLE);
    assert_eq!(store.merge_progress(&batch(40, "a")).await.unwrap(), 1);
    assert_eq!(
        (first.num_calls(), again.num_calls(), second.num_calls()),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn a_race_lost_to_the_same_state_writes_nothing_more() {
    let read = nothing_read();
    let update = mock!(Client::update_item).then_error(lost);
    let again = mock!(Client::get_item)
        .then_output(|| GetItemOutput::builder().set_item(Some(winner(40))).build());
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&read, &update, &again]
    );
    let store = DynamoStore::new(client, TABLE);
    // The winner stored just what this batch tells (block `w` at 40): nothing changed here.
    assert_eq!(store.merge_progress(&batch(40, "w")).await.unwrap(), 0);
    assert_eq!((update.num_calls(), again.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_state_that_keeps_losing_is_unavailable_after_bounded_attempts() {
    let read = nothing_read();
    let update = mock!(Client::update_item).then_error(lost);
    let again = mock!(Client::get_item).then_output(|| GetItemOutput::builder().build());
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&read, &update, &again]
    );
    let store = DynamoStore::new(client, TABLE);
    let r = store.merge_progress(&batch(40, "a")).await;
    assert!(
        matches!(&r, Err(StoreError::Unavailable(m)) if m.contains("kept changing")),
        "{r:?}"
    );
    assert_eq!(update.num_calls(), MAX_PROGRESS_ATTEMPTS as usize);
    assert_eq!(again.num_calls(), MAX_PROGRESS_ATTEMPTS as usize - 1);
}

/// A refusal that is not a lost race is not retried.
#[tokio::test]
async fn other_write_errors_are_not_retried() {
    let read = nothing_read();
    let update = mock!(Client::update_item).then_error(|| {
        UpdateItemError::generic(
            ErrorMetadata::builder()
                .code("ValidationException")
                .message("Item size has exceeded the maximum allowed size")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&read, &update]);
    let store = DynamoStore::new(client, TABLE);
    let r = store.merge_progress(&batch(40, "a")).await;
    assert!(matches!(r, Err(StoreError::Rejected(_))), "{r:?}");
    assert_eq!(update.num_calls(), 1);
}
