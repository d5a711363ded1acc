//! The pipeline's operator commands as an operator runs them, on one data folder: links
//! imported from a CSV export, logs replayed (a file, a gzipped one cut short, standard input),
//! the queue's depth, and refused statements listed.

use std::io::Write;
use std::path::Path;
use std::process::Output;

use pokeco_testkit::events::{legacy_tracking_log, links_csv};

use crate::run::{self, json};

fn pokeco(data: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = run::pokeco();
    cmd.arg("--data")
        .arg(data)
        .args(args)
        .env("POKECO_TRACKED_COURSES", "*")
        .env_remove("POKECO_TABLE")
        .env_remove("POKECO_QUEUE_URL")
        .env_remove("POKECO_LRS_URL");
    run::output(cmd, stdin)
}

#[test]
fn links_replay_and_delivery_status_on_one_data_folder() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links.csv");
    std::fs::write(&links, format!("{}bob,{}\n", links_csv(), "f".repeat(24))).unwrap();
    let import = pokeco(
        data.path(),
        &["link", "import", links.to_str().unwrap()],
        None,
    );
    assert_eq!(
        import.status.code(),
        Some(1),
        "a refused line makes exit code 1"
    );
    assert_eq!(json(&import)["imported"], 2);
    assert!(String::from_utf8_lossy(&import.stderr).contains("links.csv:4:"));

    let log = legacy_tracking_log();
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(log.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let plain = dir.path().join("tracking.log");
    let cut = dir.path().join("tracking.log.2.gz");
    std::fs::write(&plain, format!("{log}not json\n")).unwrap();
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let replay = pokeco(
        data.path(),
        &[
            "replay",
            plain.to_str().unwrap(),
            cut.to_str().unwrap(),
            "-",
        ],
        Some(&gz),
    );
    let summary = json(&replay);
    let stderr = String::from_utf8_lossy(&replay.stderr);
    assert_eq!(
        replay.status.code(),
        Some(1),
        "a file not read to its end: {stderr}"
    );
    let files = summary["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    let enqueued = files[0]["enqueued"].as_u64().unwrap();
    assert!(enqueued > 20, "{summary}");
    assert_eq!(files[0]["rejected"], 1);
    assert_eq!(files[2]["enqueued"], enqueued, "standard input, gzipped");
    assert!(files[1]["unreadable"].is_string(), "{summary}");
    assert!(stderr.contains("tracking.log:59: not JSON"), "{stderr}");
    assert!(stderr.contains("events/s"), "progress is shown: {stderr}");

    let status = json(&pokeco(data.path(), &["delivery"], None));
    assert!(status["queued_messages"].as_u64().unwrap() >= 3, "{status}");
    assert_eq!(status["failed_statements"], 0);
    let failed = pokeco(data.path(), &["failed", "list"], None);
    assert_eq!(json(&failed), serde_json::json!([]));
    let sync = pokeco(data.path(), &["sync"], None);
    assert!(!sync.status.success());
    assert!(String::from_utf8_lossy(&sync.stderr).contains("POKECO_LRS_URL"));
}

/// `pokeco replay` backfills the progress projection, grade events included; replaying the
/// same log again changes no state.
#[test]
fn a_replay_backfills_progress_and_a_second_changes_nothing() {
    use pokeco_core::progress::ProgressStore;
    use pokeco_testkit::events::{openedx_tracking_log, LINKS, OPENEDX_LINK};

    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links.csv");
    let (user, sub) = OPENEDX_LINK;
    std::fs::write(&links, format!("{}{user},{sub}\n", links_csv())).unwrap();
    let import = pokeco(
        data.path(),
        &["link", "import", links.to_str().unwrap()],
        None,
    );
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let log = dir.path().join("tracking.log");
    std::fs::write(
        &log,
        format!("{}{}", legacy_tracking_log(), openedx_tracking_log()),
    )
    .unwrap();

    let replay = || {
        let out = pokeco(data.path(), &["replay", log.to_str().unwrap()], None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&out)
    };
    let read = || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let store = pokeco_local::SqliteStore::open(&data.path().join(pokeco::serve::CATALOG_FILE))
            .unwrap();
        LINKS
            .into_iter()
            .chain([OPENEDX_LINK])
            .flat_map(|(_, sub)| {
                runtime
                    .block_on(store.user_progress(&sub.parse().unwrap()))
                    .unwrap()
            })
            .collect::<Vec<_>>()
    };

    let first = replay();
    assert_eq!(first["progress_updates"], 3, "{first}");
    assert_eq!(first["files"][0]["progress_states"], 3, "{first}");
    let states = read();
    assert_eq!(states.len(), 3);
    let demo = states
        .iter()
        .find(|(course, _)| course.as_str() == "course-v1:edX+DemoX+Demo_Course")
        .map(|(_, state)| state)
        .unwrap();
    assert!(
        demo.grade.is_some() && demo.first_passed_ms.is_some(),
        "{demo:?}"
    );

    let second = replay();
    assert_eq!(second["progress_updates"], 0, "{second}");
    assert_eq!(second["files"][0]["progress_states"], 3, "{second}");
    assert_eq!(read(), states);

    // `pokeco progress` shows a learner's states as stored, and forgets them.
    let shown = pokeco(data.path(), &["progress", "show", sub], None);
    let shown = json(&shown);
    assert!(
        shown["course-v1:edX+DemoX+Demo_Course"]["grade"].is_object(),
        "{shown}"
    );
    let forget = pokeco(data.path(), &["progress", "forget", sub], None);
    assert!(forget.status.success());
    assert!(String::from_utf8_lossy(&forget.stdout).starts_with("1 course states"));
    assert_eq!(
        json(&pokeco(data.path(), &["progress", "show", sub], None)),
        serde_json::json!({})
    );
    assert_eq!(read().len(), 2, "the other learners keep theirs");
    let bad = pokeco(data.path(), &["progress", "forget", "bob"], None);
    assert_eq!(bad.status.code(), Some(1), "{bad:?}");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("ECO user id"));
}
