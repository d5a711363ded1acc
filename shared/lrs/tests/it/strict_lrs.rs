//! Delivery into the strict LRS: batches land with our ids, again without duplicates, and a
//! statement the LRS refuses is isolated while the rest of its batch lands.

use pokeco_core::xapi::Statement;
use pokeco_testkit::peers::{strict_lrs, LrsPeer};

use crate::delivery::Peer;

/// Not an IRI: the old pok-eco's extension key, which strict LRSs refuse.
fn old_extension_key(s: &mut Statement) {
    s.edit(|v| {
        v["context"]["extensions"]["time_with_millis"] = "2016-11-07T09:20:11.734+00:00".into()
    })
    .unwrap();
}

fn peer() -> Peer {
    Peer {
        // It takes any credentials.
        lrs: LrsPeer {
            url: strict_lrs(),
            username: "pokeco".to_owned(),
            password: "tests".to_owned(),
        },
        again: 200,
        spoil: old_extension_key,
        refusal: (400, "time_with_millis"),
    }
}

delivery_checks!(peer);
