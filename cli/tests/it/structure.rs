//! `pokeco structure import|show|delete` as an operator runs them, on the data folder's store
//! and on a DynamoDB table (moto), with the fixture of a real Course Blocks API answer.

use std::path::{Path, PathBuf};
use std::process::Output;

use pokeco_testkit::moto::{config, unique_name};
use pokeco_testkit::repo_root;
use serde_json::{json, Value};

use crate::run::{self, json};

const COURSE: &str = "course-v1:PoliMi+ECO101+2024_T1";

/// Where the commands keep their data: a data folder, or a DynamoDB table on moto.
enum Backend<'a> {
    Folder(&'a Path),
    Table(&'a str),
}

fn pokeco(backend: &Backend<'_>, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = run::pokeco();
    match backend {
        Backend::Folder(data) => cmd.arg("--data").arg(data).env_remove("POKECO_TABLE"),
        Backend::Table(table) => cmd.env("POKECO_TABLE", table),
    };
    cmd.args(args).env_remove("POKECO_QUEUE_URL");
    run::output(cmd, stdin)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn fixture() -> PathBuf {
    repo_root().join("testdata/course-blocks/eco101.json")
}

/// The whole life of a structure through the command line, on one backend.
fn structure_verbs(backend: &Backend<'_>, scratch: &Path) {
    let fixture = fixture();
    let fixture = fixture.to_str().unwrap();
    let before = pokeco(backend, &["structure", "import", COURSE, fixture], None);
    assert!(!before.status.success());
    assert!(stderr(&before).contains("no course"), "{}", stderr(&before));

    let course = scratch.join("course.json");
    let doc = json!({
        "course_id": COURSE, "title": {"en": "Introduction to Open Education"},
        "description": {"en": "Six weekly units."}, "languages": ["en"],
        "url": "https://pok.example.org/courses/course-v1:PoliMi+ECO101+2024_T1/about",
        "organizers": ["Politecnico di Milano"], "interest_area": "ECO:ES",
        "grade_cutoffs": {"Pass": 0.6}
    });
    std::fs::write(&course, doc.to_string()).unwrap();
    let put = pokeco(backend, &["course", "put", course.to_str().unwrap()], None);
    assert!(put.status.success(), "{}", stderr(&put));
    assert_eq!(json(&put)["grade_cutoffs"], json!({"Pass": 0.6}));

    let import = pokeco(backend, &["structure", "import", COURSE, fixture], None);
    assert!(import.status.success(), "{}", stderr(&import));
    let summary = json(&import);
    assert_eq!(
        (&summary["blocks"], &summary["replaced"]),
        (&json!(35), &json!(false))
    );

    let show = pokeco(backend, &["structure", "show", COURSE], None);
    assert!(show.status.success(), "{}", stderr(&show));
    let shown = json(&show);
    let sent: Value = serde_json::from_slice(&std::fs::read(fixture).unwrap()).unwrap();
    assert_eq!(shown["root"], sent["root"]);
    assert_eq!(shown["blocks"].as_object().unwrap().len(), 35);
    let video = "block-v1:PoliMi+ECO101+2024_T1+type@video+block@welcome_video";
    assert_eq!(
        shown["blocks"][video],
        json!({"id": video, "type": "video", "display_name": "Welcome to the course"})
    );

    // What `show` prints goes back in, from standard input.
    let again = pokeco(
        backend,
        &["structure", "import", COURSE, "-"],
        Some(&show.stdout),
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(json(&again)["replaced"], true);

    let mut broken = sent.clone();
    broken["blocks"][video]["children"] =
        json!(["block-v1:PoliMi+ECO101+2024_T1+type@html+block@x"]);
    let file = scratch.join("broken.json");
    std::fs::write(&file, broken.to_string()).unwrap();
    let refused = pokeco(
        backend,
        &["structure", "import", COURSE, file.to_str().unwrap()],
        None,
    );
    assert!(!refused.status.success());
    let why = stderr(&refused);
    assert!(
        why.contains(&format!(
            "refused:\n  blocks[{}].children[0]: ",
            json!(video)
        )),
        "{why}"
    );

    let deleted = pokeco(backend, &["structure", "delete", COURSE], None);
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert_eq!(json(&deleted), json!({"deleted": COURSE}));
    let gone = pokeco(backend, &["structure", "show", COURSE], None);
    assert!(!gone.status.success());
    assert!(stderr(&gone).contains("no structure"), "{}", stderr(&gone));
}

#[test]
fn structures_are_imported_shown_and_deleted_in_a_data_folder() {
    let data = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    structure_verbs(&Backend::Folder(data.path()), scratch.path());
}

#[tokio::test]
async fn structures_are_imported_shown_and_deleted_on_dynamodb() {
    let table = unique_name("cli-structure");
    let client = aws_sdk_dynamodb::Client::new(&config().await);
    pokeco_aws::create_table(&client, &table).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    structure_verbs(&Backend::Table(&table), scratch.path());
}
