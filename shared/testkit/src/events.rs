//! The sample events (`testdata/edx-events/legacy`, and the current shape's in
//! `testdata/edx-events/openedx`) as tracking logs, and the identity links the tests that
//! ingest them use.

use serde_json::Value;

use crate::{test_data, test_text};

/// The edX users of the samples and the ECO identities the tests link them to.
pub const LINKS: [(&str, &str); 2] = [
    ("42", "5a1b2c3d4e5f60718293a4b5"),
    ("1", "000000000000000000000001"),
];

/// The links as the CSV file `pokeco link import` reads (with a header).
pub fn links_csv() -> String {
    let mut csv = String::from("user_id,uid\n");
    for (user, sub) in LINKS {
        csv.push_str(&format!("{user},{sub}\n"));
    }
    csv
}

/// Every sample event, in the order of INDEX.json.
pub fn legacy_events() -> Vec<Value> {
    let index: Vec<Value> = serde_json::from_str(&test_text("edx-events/legacy/INDEX.json"))
        .expect("INDEX.json is a JSON array");
    index
        .iter()
        .map(|entry| {
            let file = entry["file"]
                .as_str()
                .expect("an INDEX entry names its file");
            serde_json::from_slice(&test_data(&format!("edx-events/legacy/{file}")))
                .unwrap_or_else(|e| panic!("{file} is not JSON: {e}"))
        })
        .collect()
}

/// The sample events as tracking.log holds them: one compact JSON object per line, each line
/// ending with `\n`.
pub fn legacy_tracking_log() -> String {
    legacy_events().iter().map(|e| format!("{e}\n")).collect()
}

/// The edX user of the current-shape samples (`testdata/edx-events/openedx`, learner 3 of
/// Open edX's demo course) and the ECO identity the tests link them to.
pub const OPENEDX_LINK: (&str, &str) = ("3", "0000000000000000000000c3");

/// Every current-shape sample event, in file-name order.
pub fn openedx_events() -> Vec<Value> {
    let dir = crate::repo_root().join("testdata/edx-events/openedx");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            serde_json::from_slice(&test_data(&format!("edx-events/openedx/{file}")))
                .unwrap_or_else(|e| panic!("{file} is not JSON: {e}"))
        })
        .collect()
}

/// The current-shape samples as a tracking log: one compact JSON object per line.
pub fn openedx_tracking_log() -> String {
    openedx_events().iter().map(|e| format!("{e}\n")).collect()
}
