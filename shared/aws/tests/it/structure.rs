//! Course structures on DynamoDB: the shared contract and the items a structure leaves in the
//! table (chunks within the item limit, none left behind) on moto; the races moto never
//! produces (a head write that loses, a read whose chunks are swept) on a scripted client.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use pokeco_aws::{keys, DynamoStore};
use pokeco_core::contract::{course_structure, large_structure};
use pokeco_core::structure::{CourseStructure, StructureStore};
use sha2::Digest;

use crate::common::{config, fresh_dynamo_store as fresh_store};

pokeco_core::structure_store_contract!(fresh_store);

type Item = HashMap<String, AttributeValue>;

const COURSE: &str = "course-v1:Org+Chunks+2024";

/// Every item of a course's structure partition, by sort key.
async fn partition(store: &DynamoStore, course: &str) -> Vec<(String, Item)> {
    let client = Client::new(&config().await);
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = client
            .query()
            .table_name(store.table())
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(format!("STRUCTURE#{course}")))
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        for item in out.items.unwrap_or_default() {
            let sk = item[keys::SK].as_s().unwrap().clone();
            items.push((sk, item));
        }
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return items,
        }
    }
}

fn number(item: &Item, name: &str) -> u64 {
    item[name].as_n().unwrap().parse().unwrap()
}

/// The sort keys of the chunks in a partition.
fn chunk_sks(items: &[(String, Item)]) -> Vec<&str> {
    items
        .iter()
        .map(|(sk, _)| sk.as_str())
        .filter(|sk| sk.starts_with(keys::CHUNK_PREFIX))
        .collect()
}

fn head(items: &[(String, Item)]) -> &Item {
    &items
        .iter()
        .find(|(sk, _)| sk == keys::STRUCTURE_HEAD_SK)
        .unwrap()
        .1
}

#[tokio::test]
async fn a_large_structure_is_cut_into_chunks_and_replaced_without_leftovers() {
    let store = fresh_store().await;
    let big = large_structure(COURSE, 11);
    assert!(!store.put_structure(&big).await.unwrap());
    let items = partition(&store, COURSE).await;
    let chunks = chunk_sks(&items);
    assert!(chunks.len() >= 2, "over 400 KB compressed: {chunks:?}");
    let h = head(&items);
    assert_eq!(number(h, "version"), 1);
    assert_eq!(number(h, "chunks"), chunks.len() as u64);
    assert!(number(h, "bytes") > 400 * 1024, "{h:?}");
    let digest = h["digest"].as_s().unwrap();
    for (sk, item) in &items {
        let size: usize = item
            .iter()
            .map(|(k, v)| {
                k.len()
                    + match v {
                        AttributeValue::S(s) | AttributeValue::N(s) => s.len(),
                        AttributeValue::B(b) => b.as_ref().len(),
                        _ => 0,
                    }
            })
            .sum();
        assert!(size < 400 * 1024, "{sk}: {size} bytes");
        if sk != keys::STRUCTURE_HEAD_SK {
            assert!(sk.starts_with(&keys::chunk_set_prefix(1, digest)), "{sk}");
        }
    }

    let small = course_structure(COURSE, 1, 2, "small");
    assert!(store.put_structure(&small).await.unwrap());
    let items = partition(&store, COURSE).await;
    let h = head(&items);
    assert_eq!(number(h, "version"), 2);
    let chunks = chunk_sks(&items);
    assert_eq!(
        chunks.len(),
        1,
        "the large one's chunks are swept: {chunks:?}"
    );
    assert!(chunks[0].starts_with(&keys::chunk_set_prefix(2, h["digest"].as_s().unwrap())));

    store.delete_structure(small.course()).await.unwrap();
    let items = partition(&store, COURSE).await;
    assert_eq!(items.len(), 1, "only the head is left");
    let h = head(&items);
    assert_eq!(number(h, "version"), 3, "a delete moves the version on");
    assert!(!h.contains_key("digest"));
    assert!(!store.put_structure(&small).await.unwrap());
    assert_eq!(number(head(&partition(&store, COURSE).await), "version"), 4);
}

#[tokio::test]
async fn chunks_of_a_writer_that_died_before_its_head_are_never_read_and_later_swept() {
    let store = fresh_store().await;
    let first = course_structure(COURSE, 2, 2, "first");
    store.put_structure(&first).await.unwrap();
    // A writer read version 1, wrote its chunks as version 2, and died.
    let client = Client::new(&config().await);
    let orphan = keys::chunk_sk(2, "0123456789abcdef0123456789abcdef", 0);
    client
        .put_item()
        .table_name(store.table())
        .item("pk", AttributeValue::S(format!("STRUCTURE#{COURSE}")))
        .item("sk", AttributeValue::S(orphan.clone()))
        .item(
            "data",
            AttributeValue::B(Blob::new(b"half a structure".to_vec())),
        )
        .send()
        .await
        .unwrap();
    let id = first.course().clone();
    assert_eq!(store.get_structure(&id).await.unwrap(), Some(first));

    let second = course_structure(COURSE, 1, 1, "second");
    store.put_structure(&second).await.unwrap();
    assert_eq!(store.get_structure(&id).await.unwrap(), Some(second));
    let items = partition(&store, COURSE).await;
    let chunks = chunk_sks(&items);
    assert_eq!(chunks.len(), 1, "{chunks:?}");
    assert_ne!(chunks[0], orphan, "the dead writer's chunk is swept");
}

#[tokio::test]
async fn a_damaged_chunk_reads_as_corrupt() {
    let store = fresh_store().await;
    let s = course_structure(COURSE, 2, 2, "s");
    store.put_structure(&s).await.unwrap();
    let items = partition(&store, COURSE).await;
    let chunk = chunk_sks(&items)[0].to_owned();
    let client = Client::new(&config().await);
    client
        .put_item()
        .table_name(store.table())
        .item("pk", AttributeValue::S(format!("STRUCTURE#{COURSE}")))
        .item("sk", AttributeValue::S(chunk.clone()))
        .item("data", AttributeValue::B(Blob::new(b"tampered".to_vec())))
        .send()
        .await
        .unwrap();
    let r = store.get_structure(s.course()).await;
    assert!(
        matches!(&r, Err(pokeco_core::store::StoreError::Corrupt(m)) if m.contains("digest")),
        "{r:?}"
    );
    client
        .delete_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(format!("STRUCTURE#{COURSE}")))
        .key("sk", AttributeValue::S(chunk))
        .send()
        .await
        .unwrap();
    let r = store.get_structure(s.course()).await;
    assert!(
        matches!(&r, Err(pokeco_core::store::StoreError::Corrupt(m)) if m.contains("missing")),
        "{r:?}"
    );
}

// ---- Races, on a scripted client -------------------------------------------------------

const TABLE: &str = "structures";

fn head_item(version: u64, digest: &str, chunks: usize) -> Item {
    serde_dynamo::aws_sdk_dynamodb_1::to_item(serde_json::json!({
        "pk": format!("STRUCTURE#{COURSE}"), "sk": "HEAD", "version": version,
        "digest": digest, "chunks": chunks, "bytes": 10
    }))
    .unwrap()
}

fn sk_item(sk: &str) -> Item {
    HashMap::from([("sk".to_owned(), AttributeValue::S(sk.to_owned()))])
}

/// What the store writes for a structure: its JSON compressed, and the digest naming it.
fn packed(structure: &CourseStructure) -> (Vec<u8>, String) {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&serde_json::to_vec(structure).unwrap())
        .unwrap();
    let bytes = z.finish().unwrap();
    let digest = sha2::Sha256::digest(&bytes)[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (bytes, digest)
}

#[tokio::test]
async fn a_put_that_loses_the_head_race_starts_over_and_sweeps_what_it_replaced() {
    let structure = course_structure(COURSE, 1, 1, "ours");
    let (_, ours) = packed(&structure);
    // The head is at version 1; another writer puts version 2 before our head goes in.
    let heads = mock!(Client::get_item)
        .sequence()
        .output(|| {
            GetItemOutput::builder()
                .set_item(Some(head_item(1, "aa", 1)))
                .build()
        })
        .output(|| {
            GetItemOutput::builder()
                .set_item(Some(head_item(2, "bb", 1)))
                .build()
        })
        .build();
    let conditions: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&conditions);
    let head_writes = mock!(Client::put_item)
        .match_requests(move |req| {
            let v = req
                .expression_attribute_values()
                .and_then(|v| v.get(":v"))
                .and_then(|v| v.as_n().ok())
                .cloned()
                .unwrap_or_default();
            seen.lock().unwrap().push(v);
            true
        })
        .sequence()
        .error(|| {
            PutItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder()
                    .meta(
                        ErrorMetadata::builder()
                            .code("ConditionalCheckFailedException")
                            .build(),
                    )
                    .build(),
            )
        })
        .output(|| PutItemOutput::builder().build())
        .build();
    let written: Arc<Mutex<Vec<(bool, String)>>> = Arc::default();
    let log = Arc::clone(&written);
    let writes = mock!(Client::batch_write_item).then_compute_output(move |req| {
        for r in &req.request_items().unwrap()[TABLE] {
            let (put, item) = match (r.put_request(), r.delete_request()) {
                (Some(p), _) => (true, p.item()),
                (_, Some(d)) => (false, d.key()),
                _ => unreachable!(),
            };
            log.lock()
                .unwrap()
                .push((put, item["sk"].as_s().unwrap().clone()));
        }
        BatchWriteItemOutput::builder().build()
    });
    // What the sweep finds: the old set (v1), the winner's (v2), the chunks of our lost try
    // (v2), ours (v3), and a writer already past us (v4).
    let lost_try = keys::chunk_sk(2, &ours, 0);
    let in_force = keys::chunk_sk(3, &ours, 0);
    let listing = [
        keys::chunk_sk(1, "aa", 0),
        keys::chunk_sk(2, "bb", 0),
        lost_try.clone(),
        in_force.clone(),
        keys::chunk_sk(4, "cc", 0),
    ];
    let sweep = mock!(Client::query).then_output(move || {
        QueryOutput::builder()
            .set_items(Some(listing.iter().map(|sk| sk_item(sk)).collect()))
            .build()
    });
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&heads, &head_writes, &writes, &sweep]
    );
    let store = DynamoStore::new(client, TABLE);

    assert!(store.put_structure(&structure).await.unwrap(), "replaced");
    assert_eq!(head_writes.num_calls(), 2);
    assert_eq!(
        *conditions.lock().unwrap(),
        ["1", "2"],
        "each head write is conditional on the head it read"
    );
    let written = written.lock().unwrap();
    let puts: Vec<&str> = written
        .iter()
        .filter(|(put, _)| *put)
        .map(|(_, sk)| sk.as_str())
        .collect();
    assert_eq!(puts, [lost_try.as_str(), in_force.as_str()]);
    let deleted: BTreeSet<&str> = written
        .iter()
        .filter(|(put, _)| !*put)
        .map(|(_, sk)| sk.as_str())
        .collect();
    assert_eq!(
        deleted,
        [
            keys::chunk_sk(1, "aa", 0),
            keys::chunk_sk(2, "bb", 0),
            lost_try.clone()
        ]
        .iter()
        .map(String::as_str)
        .collect(),
        "every chunk set up to ours but ours; never a newer one"
    );
}

#[tokio::test]
async fn a_read_whose_chunks_were_swept_reads_the_new_head() {
    let new = course_structure(COURSE, 2, 1, "new");
    let (bytes, digest) = packed(&new);
    let swept_digest = "00112233445566778899aabbccddeeff".to_owned();
    let new_digest = digest.clone();
    let heads = mock!(Client::get_item)
        .sequence()
        .output(move || {
            GetItemOutput::builder()
                .set_item(Some(head_item(5, &swept_digest, 1)))
                .build()
        })
        .output(move || {
            GetItemOutput::builder()
                .set_item(Some(head_item(6, &new_digest, 1)))
                .build()
        })
        .build();
    let chunk_sk = keys::chunk_sk(6, &digest, 0);
    let gets = mock!(Client::batch_get_item).then_compute_output(move |req| {
        let asked = &req.request_items().unwrap()[TABLE];
        assert_eq!(asked.consistent_read(), Some(true));
        let found: Vec<Item> = asked
            .keys()
            .iter()
            .filter(|k| k["sk"].as_s().unwrap() == &chunk_sk)
            .map(|k| {
                let mut item = k.clone();
                item.insert("data".into(), AttributeValue::B(Blob::new(bytes.clone())));
                item
            })
            .collect();
        BatchGetItemOutput::builder()
            .responses(TABLE, found)
            .build()
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&heads, &gets]);
    let store = DynamoStore::new(client, TABLE);
    let read = store.get_structure(new.course()).await.unwrap();
    assert_eq!(read, Some(new));
    assert_eq!((heads.num_calls(), gets.num_calls()), (2, 2));
}
