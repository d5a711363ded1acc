//! The LRS client against the real LRSs that `infra/test` starts (Learning Locker's statements
//! service, strict; Ralph LRS, lax), and against the faults a real LRS shows: down, failing,
//! hanging.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod delivery;
mod eco_proxy;
mod faults;
mod ralph;
mod strict_lrs;

use std::time::Duration;

use pokeco_core::xapi::Statement;
use pokeco_lrs::{Destination, HttpLrs, Mode};
use pokeco_testkit::peers::LrsPeer;

/// A valid statement; `tag` makes its id (and so it) unique to one test.
pub fn statement(tag: &str, i: usize) -> Statement {
    let id = pokeco_core::xapi::eco::STATEMENT_NAMESPACE;
    let id = uuid_v5(id, &format!("{tag}/{i}"));
    serde_json::from_value(serde_json::json!({
        "id": id,
        "actor": {"objectType": "Agent", "account": {"homePage": "https://portal.ecolearning.eu?user=u1", "name": "u1"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {"objectType": "Activity", "id": format!("https://lms.example.org/q/{i}"),
                   "definition": {"type": "http://adlnet.gov/expapi/activities/question"}},
        "context": {"contextActivities": {"parent": []},
                    "extensions": {"http://www.ecolearning.eu/expapi/extensions/time_with_millis": "2016-11-07T09:20:11.734+00:00"}},
        "timestamp": "2016-11-07T09:20:11+00:00", "version": "1.0.3"
    }))
    .unwrap()
}

/// A statement id as the ECO profile makes them, from a name.
fn uuid_v5(namespace: uuid::Uuid, name: &str) -> String {
    uuid::Uuid::new_v5(&namespace, name.as_bytes()).to_string()
}

/// A client of `peer`, posting batches of up to `batch` statements.
pub fn client(peer: &LrsPeer, batch: usize, timeout: Duration) -> HttpLrs {
    HttpLrs::new(Destination {
        url: peer.url.clone(),
        username: Some(peer.username.clone()),
        password: Some(peer.password.clone()),
        mode: Mode::Batch(batch),
        timeout,
    })
    .unwrap()
}

/// A client of the LRS at `url`, with credentials any LRS of these tests but Ralph takes.
pub fn lrs(url: &str, batch: usize, timeout: Duration) -> HttpLrs {
    let peer = LrsPeer {
        url: url.to_owned(),
        username: "pokeco".to_owned(),
        password: "tests".to_owned(),
    };
    client(&peer, batch, timeout)
}
