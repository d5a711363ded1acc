//! The LRS client against the strict LRS that `infra/test` starts (Learning Locker's
//! statements service), and against the faults a real LRS shows: down, failing, hanging.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults;
mod strict_lrs;

use std::time::Duration;

use pokeco_core::xapi::Statement;
use pokeco_lrs::{Destination, HttpLrs, Mode};

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

pub fn lrs(url: &str, batch: usize, timeout: Duration) -> HttpLrs {
    HttpLrs::new(Destination {
        url: url.to_owned(),
        username: Some("pokeco".to_owned()),
        password: Some("tests".to_owned()),
        mode: Mode::Batch(batch),
        timeout,
    })
    .unwrap()
}
