//! The pinned OAI-PMH answers of functions/oai-pmh (insta snapshots, one per verb plus an
//! error) are valid against the official schemas, so a reviewed snapshot change cannot slip an
//! invalid document in.

use pokeco_testkit::responses::Responses;

#[test]
fn every_oai_snapshot_is_schema_valid() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../functions/oai-pmh/tests/it/snapshots"
    );
    let responses = Responses::new();
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "snap"))
        .collect();
    names.sort();
    assert!(names.len() >= 7, "{names:?}");
    for path in names {
        let text = std::fs::read_to_string(&path).unwrap();
        // An insta snapshot is a `---`-delimited header, then the value.
        let body = text.splitn(3, "---\n").nth(2).expect("snapshot body");
        assert!(body.starts_with("<?xml"), "{}", path.display());
        let label = path.file_stem().unwrap().to_string_lossy().into_owned();
        responses.record(&label, body.as_bytes());
    }
    responses.validate_all();
}
