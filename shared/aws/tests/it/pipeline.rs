//! The shared pipeline-store contract (links, tracked courses, refused statements) on DynamoDB
//! (moto), and the batches DynamoDB leaves half done (throttling), which moto never does, on a
//! scripted SDK client.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, WriteRequest};
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use pokeco_aws::DynamoStore;
use pokeco_core::contract::statement;
use pokeco_core::pipeline::{EcoSub, EdxUserId, FailedStatement, Link, PipelineStore};
use pokeco_core::Datestamp;

use crate::common::fresh_dynamo_store as fresh_store;

pokeco_core::pipeline_store_contract!(fresh_store);

const TABLE: &str = "pipeline";

type Item = HashMap<String, AttributeValue>;
/// The scripted table: items by `pk` (every pipeline item's `sk` is fixed by its kind).
type Table = Arc<Mutex<BTreeMap<String, Item>>>;

fn pk_of(item: &Item) -> String {
    match item.get("pk") {
        Some(AttributeValue::S(pk)) => pk.clone(),
        other => panic!("no pk: {other:?}"),
    }
}

fn sub(n: u64) -> EcoSub {
    format!("{n:024x}").parse().unwrap()
}

fn user(n: u64) -> EdxUserId {
    n.to_string().parse().unwrap()
}

/// Every odd call does only the first half of what it is asked and answers the rest as
/// unprocessed, as a throttled DynamoDB does; every even call does all of it.
fn throttled(calls: &AtomicUsize, asked: usize) -> usize {
    if calls.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
        asked.div_ceil(2)
    } else {
        asked
    }
}

fn scripted_store(table: &Table) -> (DynamoStore, [aws_smithy_mocks::Rule; 2]) {
    let written = Arc::clone(table);
    let write_calls = AtomicUsize::new(0);
    let writes = mock!(Client::batch_write_item).then_compute_output(move |req| {
        let requests: &[WriteRequest] = &req.request_items().unwrap()[TABLE];
        assert!(
            requests.len() <= 25,
            "{} writes in one batch",
            requests.len()
        );
        let mut pks: Vec<String> = requests
            .iter()
            .map(|r| match (r.put_request(), r.delete_request()) {
                (Some(p), None) => pk_of(p.item()),
                (None, Some(d)) => pk_of(d.key()),
                _ => panic!("a write request is a put or a delete"),
            })
            .collect();
        pks.sort();
        pks.dedup();
        assert_eq!(pks.len(), requests.len(), "a key twice in one batch");
        let done = throttled(&write_calls, requests.len());
        let mut table = written.lock().unwrap();
        for r in &requests[..done] {
            match (r.put_request(), r.delete_request()) {
                (Some(p), _) => {
                    table.insert(pk_of(p.item()), p.item().clone());
                }
                (_, Some(d)) => {
                    table.remove(&pk_of(d.key()));
                }
                _ => unreachable!(),
            }
        }
        let mut out = BatchWriteItemOutput::builder();
        if done < requests.len() {
            out = out.unprocessed_items(TABLE, requests[done..].to_vec());
        }
        out.build()
    });

    let read = Arc::clone(table);
    let read_calls = AtomicUsize::new(0);
    let reads = mock!(Client::batch_get_item).then_compute_output(move |req| {
        let asked = &req.request_items().unwrap()[TABLE];
        assert_eq!(
            asked.consistent_read(),
            Some(true),
            "links are read consistently"
        );
        let keys = asked.keys();
        assert!(keys.len() <= 100, "{} keys in one batch", keys.len());
        let done = throttled(&read_calls, keys.len());
        let table = read.lock().unwrap();
        let found: Vec<Item> = keys[..done]
            .iter()
            .filter_map(|k| table.get(&pk_of(k)).cloned())
            .collect();
        let mut out = BatchGetItemOutput::builder().responses(TABLE, found);
        if done < keys.len() {
            let rest = KeysAndAttributes::builder()
                .set_keys(Some(keys[done..].to_vec()))
                .consistent_read(true)
                .build()
                .unwrap();
            out = out.unprocessed_keys(TABLE, rest);
        }
        out.build()
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&writes, &reads]);
    (DynamoStore::new(client, TABLE), [writes, reads])
}

#[tokio::test]
async fn unprocessed_writes_and_reads_are_retried_and_nothing_is_lost() {
    let table: Table = Arc::default();
    let (store, [writes, reads]) = scripted_store(&table);

    // 30 users, the last written twice in the call: the later link wins.
    let mut links: Vec<Link> = (1..=30)
        .map(|n| Link {
            edx_user_id: user(n),
            eco_sub: sub(n),
        })
        .collect();
    links.push(Link {
        edx_user_id: user(30),
        eco_sub: sub(3000),
    });
    store.put_links(&links).await.unwrap();
    // Batches of 25 and 5, each half done, then done.
    assert_eq!(writes.num_calls(), 4);
    assert_eq!(table.lock().unwrap().len(), 30);

    let asked: Vec<EdxUserId> = (1..=120).map(user).collect();
    let found = store.eco_users(&asked).await.unwrap();
    // Batches of 100 and 20, each half answered, then answered.
    assert_eq!(reads.num_calls(), 4);
    assert_eq!(found.len(), 30, "every linked user, none of the others");
    assert!((1..30).all(|n| found[&user(n)] == sub(n)));
    assert_eq!(found[&user(30)], sub(3000));

    // Refused statements go by the same batches, deletes included.
    let at = Datestamp::from_unix(1_700_000_000).unwrap();
    let refused: Vec<FailedStatement> = (1..=3)
        .map(|n| FailedStatement::new(statement(n, 0), 400, "bad", at))
        .collect();
    store.put_failed(&refused).await.unwrap();
    let ids: Vec<String> = [0, 2, 0]
        .iter()
        .map(|&i| refused[i].id().to_owned())
        .chain(["unknown".to_owned()])
        .collect();
    store.delete_failed(&ids).await.unwrap();
    let table = table.lock().unwrap();
    let kept: Vec<&String> = table
        .keys()
        .filter(|pk| pk.starts_with("FAILED#"))
        .collect();
    assert_eq!(kept, [&format!("FAILED#{}", refused[1].id())]);
}
