//! The delivery checks every real LRS passes, written once: [`delivery_checks!`] runs each
//! against one peer, described by a [`Peer`] (where it is, and the few answers in which real
//! LRSs differ).

use std::time::Duration;

use pokeco_core::delivery::deliver;
use pokeco_core::xapi::Statement;
use pokeco_testkit::peers::LrsPeer;
use serde_json::Value;

use crate::{client, statement};

/// A real LRS, and how it answers where LRSs differ.
pub struct Peer {
    pub lrs: LrsPeer,
    /// The status of a POST of statements it holds already (the spec allows 200 or 204).
    pub again: u16,
    /// Spoils a valid statement into one this LRS refuses...
    pub spoil: fn(&mut Statement),
    /// ...with this status and an answer containing this text.
    pub refusal: (u16, &'static str),
}

/// One test per check, each against the peer `$peer()` returns.
macro_rules! delivery_checks {
    ($peer:path) => {
        delivery_checks!(@each $peer;
            batches_land_with_their_ids_and_again_without_duplicates,
            a_refused_statement_is_isolated_and_the_others_land,
            a_batch_repeating_a_statement_lands_it_once,
        );
    };
    (@each $peer:path; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                $crate::delivery::$check(&$peer()).await;
            }
        )+
    };
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Every copy of the statement `id` that the LRS holds.
pub async fn held(lrs: &LrsPeer, id: &str) -> Vec<Value> {
    lrs.held(id).await
}

/// Panics unless the LRS holds exactly one copy of `s`, with its content.
async fn held_once(lrs: &LrsPeer, s: &Statement) {
    let held = held(lrs, s.id()).await;
    assert_eq!(held.len(), 1, "copies of {}: {held:?}", s.id());
    let sent = s.to_value();
    for field in ["actor", "verb", "object", "context", "timestamp"] {
        assert_eq!(held[0][field], sent[field], "{field} of {}", s.id());
    }
}

pub async fn batches_land_with_their_ids_and_again_without_duplicates(peer: &Peer) {
    let statements: Vec<_> = (0..10).map(|i| statement("batches", i)).collect();
    let lrs = client(&peer.lrs, 3, Duration::from_secs(10));
    let done = deliver(&lrs, &statements).await.unwrap();
    assert_eq!((done.stored, done.refused.len(), done.requests), (10, 0, 4));
    // What the LRS answers to statements it holds already...
    let again = http()
        .post(format!("{}/statements", peer.lrs.url))
        .basic_auth(&peer.lrs.username, Some(&peer.lrs.password))
        .header("X-Experience-API-Version", "1.0.3")
        .json(&statements[..3])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), peer.again);
    // ...is success to the client: delivered again (a retried run), nothing is refused.
    let again = deliver(&lrs, &statements).await.unwrap();
    assert_eq!((again.stored, again.refused.len()), (10, 0));
    for s in &statements {
        held_once(&peer.lrs, s).await;
    }
}

pub async fn a_refused_statement_is_isolated_and_the_others_land(peer: &Peer) {
    let mut statements: Vec<_> = (0..10).map(|i| statement("isolated", i)).collect();
    (peer.spoil)(&mut statements[6]);
    let lrs = client(&peer.lrs, 10, Duration::from_secs(10));
    let done = deliver(&lrs, &statements).await.unwrap();
    assert_eq!(done.stored, 9);
    assert_eq!(done.refused.len(), 1);
    let refused = &done.refused[0];
    assert_eq!(refused.statement, statements[6]);
    assert_eq!(refused.status, peer.refusal.0, "{}", refused.answer);
    assert!(
        refused.answer.contains(peer.refusal.1),
        "{}",
        refused.answer
    );
    assert!(held(&peer.lrs, statements[6].id()).await.is_empty());
    for s in statements.iter().filter(|s| s.id() != statements[6].id()) {
        held_once(&peer.lrs, s).await;
    }
}

/// A statement delivered twice in one batch (a queue may hand out a message twice): both peers
/// refuse such a batch (Ralph: 400 "Duplicate statement IDs"), its halves then land, and each
/// statement is stored once.
pub async fn a_batch_repeating_a_statement_lands_it_once(peer: &Peer) {
    let distinct: Vec<_> = (0..3).map(|i| statement("repeated", i)).collect();
    let batch = [
        distinct[0].clone(),
        distinct[1].clone(),
        distinct[0].clone(),
        distinct[2].clone(),
    ];
    let lrs = client(&peer.lrs, 10, Duration::from_secs(10));
    let done = deliver(&lrs, &batch).await.unwrap();
    assert_eq!((done.stored, done.refused.len()), (4, 0));
    for s in &distinct {
        held_once(&peer.lrs, s).await;
    }
}
