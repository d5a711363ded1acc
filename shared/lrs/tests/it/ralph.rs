//! Delivery into Ralph LRS, a real LRS that differs from the strict one where the spec leaves
//! room or Ralph bends it: 204 for statements it holds, 422 for invalid ones, 400 for a batch
//! repeating an id, and a read by id wrapped in a StatementResult. Ralph validates little (an
//! old extension key is stored as is), but it checks its Basic credentials.

use std::time::Duration;

use pokeco_core::delivery::{deliver, LrsError};
use pokeco_core::xapi::Statement;
use pokeco_testkit::peers::{ralph_lrs, LrsPeer};

use crate::delivery::{held, Peer};
use crate::{client, statement};

/// An id that is not a UUID, which Ralph refuses with 422.
fn not_a_uuid(s: &mut Statement) {
    let id = format!("not-a-uuid-{}", s.id());
    s.edit(|v| v["id"] = id.into()).unwrap();
}

fn peer() -> Peer {
    Peer {
        lrs: ralph_lrs(),
        again: 204,
        spoil: not_a_uuid,
        refusal: (422, "uuid_parsing"),
    }
}

delivery_checks!(peer);

#[tokio::test]
async fn wrong_credentials_make_ralph_unavailable_not_a_refusal() {
    let statements: Vec<_> = (0..3).map(|i| statement("wrong-password", i)).collect();
    let wrong = LrsPeer {
        password: "not-the-password".to_owned(),
        ..ralph_lrs()
    };
    let done = deliver(&client(&wrong, 10, Duration::from_secs(10)), &statements).await;
    match done {
        Err(LrsError::Unavailable(why)) => assert!(why.contains("401"), "{why}"),
        other => panic!("a 401 must leave the statements for later: {other:?}"),
    }
    for s in &statements {
        assert!(held(&ralph_lrs(), s.id()).await.is_empty(), "{}", s.id());
    }
}
