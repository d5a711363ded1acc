//! The contract of a [`StatementQueue`]: what SQS does and the embedded queue must do too.
//! Each check takes a fresh, empty queue whose messages go to the dead letters after two
//! receives, and whose clock is real (visibility timeouts are waited out, a second or two).

use std::collections::BTreeSet;
use std::time::Duration;

use crate::datestamp::Datestamp;
use crate::queue::{QueueError, StatementQueue, MAX_MESSAGE_BYTES};

const LONG: Duration = Duration::from_secs(60);
const SHORT: Duration = Duration::from_secs(1);

fn bodies(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("[{{\"n\":{i}}}]")).collect()
}

async fn wait_out(visibility: Duration) {
    tokio::time::sleep(visibility + Duration::from_millis(600)).await;
}

pub async fn sent_messages_are_received_once_while_hidden<Q: StatementQueue>(queue: Q) {
    let before = Datestamp::now().unix();
    queue.send(&bodies(3)).await.unwrap();
    let first = queue.receive(10, LONG).await.unwrap();
    let after = Datestamp::now().unix();
    for m in &first {
        let sent = m
            .sent_at
            .expect("a received message tells when it was sent")
            .unix();
        assert!(
            (before - 1..=after + 1).contains(&sent),
            "{sent} not in {before}..={after}"
        );
    }
    let got: BTreeSet<&str> = first.iter().map(|m| m.body.as_str()).collect();
    let want: BTreeSet<String> = bodies(3).into_iter().collect();
    assert_eq!(got, want.iter().map(String::as_str).collect());
    assert!(first.iter().all(|m| m.receive_count == 1));
    assert!(
        queue.receive(10, LONG).await.unwrap().is_empty(),
        "hidden while in flight"
    );
    let depth = queue.depth().await.unwrap();
    assert_eq!((depth.visible, depth.in_flight, depth.dead), (0, 3, 0));
    if let Some(oldest) = depth.oldest_sent {
        assert!(
            (before - 1..=after + 1).contains(&oldest.unix()),
            "{oldest}"
        );
    }
}

pub async fn received_messages_come_back_until_deleted<Q: StatementQueue>(queue: Q) {
    queue.send(&bodies(2)).await.unwrap();
    let first = queue.receive(10, SHORT).await.unwrap();
    assert_eq!(first.len(), 2);
    queue.delete(&[first[0].receipt.clone()]).await.unwrap();
    wait_out(SHORT).await;
    let again = queue.receive(10, LONG).await.unwrap();
    assert_eq!(
        again.len(),
        1,
        "the deleted one is gone, the other came back"
    );
    assert_eq!(
        (again[0].id.as_str(), again[0].receive_count),
        (first[1].id.as_str(), 2)
    );
    assert_ne!(
        again[0].receipt, first[1].receipt,
        "each receive has its own receipt"
    );
    queue.delete(&[again[0].receipt.clone()]).await.unwrap();
    assert_eq!(queue.depth().await.unwrap(), Default::default());
}

pub async fn too_many_receives_make_a_dead_letter_and_redrive_revives_it<Q: StatementQueue>(
    queue: Q,
) {
    queue.send(&bodies(1)).await.unwrap();
    for _ in 0..2 {
        assert_eq!(queue.receive(10, SHORT).await.unwrap().len(), 1);
        wait_out(SHORT).await;
    }
    // The third receive finds it dead.
    assert!(queue.receive(10, LONG).await.unwrap().is_empty());
    assert_eq!(queue.depth().await.unwrap().dead, 1);
    assert_eq!(queue.redrive_dead_letters().await.unwrap(), 1);
    let back = queue.receive(10, LONG).await.unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].body, bodies(1)[0]);
    assert_eq!(queue.depth().await.unwrap().dead, 0);
}

pub async fn a_message_holds_up_to_the_limit_and_no_more<Q: StatementQueue>(queue: Q) {
    let largest = format!("[\"{}\"]", "x".repeat(MAX_MESSAGE_BYTES - 4));
    assert_eq!(largest.len(), MAX_MESSAGE_BYTES);
    queue.send(std::slice::from_ref(&largest)).await.unwrap();
    let too_large = format!("{largest} ");
    let r = queue.send(&[too_large]).await;
    assert!(matches!(r, Err(QueueError::Rejected(_))), "{r:?}");
    let got = queue.receive(10, LONG).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, largest);
}

pub async fn many_messages_are_received_in_several_calls<Q: StatementQueue>(queue: Q) {
    queue.send(&bodies(25)).await.unwrap();
    let mut seen = BTreeSet::new();
    for _ in 0..20 {
        let got = queue.receive(10, LONG).await.unwrap();
        assert!(got.len() <= 10);
        seen.extend(got.into_iter().map(|m| m.body));
        if seen.len() == 25 {
            break;
        }
    }
    assert_eq!(seen.len(), 25);
}
