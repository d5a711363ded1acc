//! Delivery into the strict LRS: batches land with our ids, again without duplicates, and a
//! statement the LRS refuses is isolated while the rest of its batch lands.

use std::time::Duration;

use pokeco_core::delivery::deliver;
use pokeco_testkit::peers::strict_lrs;
use serde_json::Value;

use crate::{lrs, statement};

async fn stored(id: &str) -> Option<Value> {
    let answer = reqwest::Client::new()
        .get(format!("{}/statements", strict_lrs()))
        .query(&[("statementId", id)])
        .basic_auth("pokeco", Some("tests"))
        .header("X-Experience-API-Version", "1.0.3")
        .send()
        .await
        .unwrap();
    (answer.status() == 200).then_some(answer.json().await.unwrap())
}

#[tokio::test]
async fn batches_land_with_their_ids_and_again_without_duplicates() {
    let statements: Vec<_> = (0..10).map(|i| statement("batches", i)).collect();
    let lrs = lrs(&strict_lrs(), 3, Duration::from_secs(10));
    let done = deliver(&lrs, &statements).await.unwrap();
    assert_eq!((done.stored, done.refused.len(), done.requests), (10, 0, 4));
    // Delivered again (a retried run): the LRS holds them already, nothing is refused.
    let again = deliver(&lrs, &statements).await.unwrap();
    assert_eq!((again.stored, again.refused.len()), (10, 0));
    for s in &statements {
        let held = stored(&s.id).await.expect("stored");
        assert_eq!(
            held["object"]["id"],
            serde_json::to_value(&s.object).unwrap()["id"]
        );
    }
}

#[tokio::test]
async fn a_refused_statement_is_isolated_and_the_others_land() {
    let mut statements: Vec<_> = (0..10).map(|i| statement("isolated", i)).collect();
    // Not an IRI: the old pok-eco's extension key, which strict LRSs refuse.
    statements[6].context.extensions.insert(
        "time_with_millis".to_owned(),
        "2016-11-07T09:20:11.734+00:00".to_owned(),
    );
    let lrs = lrs(&strict_lrs(), 10, Duration::from_secs(10));
    let done = deliver(&lrs, &statements).await.unwrap();
    assert_eq!(done.stored, 9);
    assert_eq!(done.refused.len(), 1);
    let refused = &done.refused[0];
    assert_eq!(
        (refused.statement.id.as_str(), refused.status),
        (statements[6].id.as_str(), 400)
    );
    assert!(
        refused.answer.contains("time_with_millis"),
        "{}",
        refused.answer
    );
    assert!(stored(&statements[6].id).await.is_none());
    for (i, s) in statements.iter().enumerate().filter(|(i, _)| *i != 6) {
        assert!(stored(&s.id).await.is_some(), "statement {i}");
    }
}
