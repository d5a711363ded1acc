//! The external checkers are proven on the reference fixtures first: the two pages that ECO's
//! real harvester accepted must pass every checker, and broken copies must fail with a reason.
//! A checker that passes everything would make every end-to-end test worthless.

// Test code: helpers outside #[test] functions may unwrap too (clippy.toml allows it in tests).
use pokeco_e2e::static_oai::StaticOai;
use pokeco_testkit::peers::{validate_oai, EcoHarvest, HarvestCheck, SickleHarvest};
use pokeco_testkit::responses::Responses;
use pokeco_testkit::test_data;

const TOKEN: &str = "c2.b4f1e0a9";

fn page1() -> String {
    String::from_utf8(test_data("eco/ListRecords.xml")).unwrap()
}

fn page2() -> String {
    String::from_utf8(test_data("eco/ListRecords.c2.b4f1e0a9.xml")).unwrap()
}

/// Replaces exactly one occurrence, so a fixture change cannot silently void a test.
fn edit(page: &str, from: &str, to: &str) -> String {
    assert_eq!(
        page.matches(from).count(),
        1,
        "fixture should contain {from:?} once"
    );
    page.replacen(from, to, 1)
}

fn serve(first: String, second: String) -> StaticOai {
    StaticOai::start(
        first.into_bytes(),
        vec![(TOKEN.to_owned(), second.into_bytes())],
    )
}

#[test]
fn validator_accepts_the_fixture_pages() {
    let responses = Responses::new();
    responses.record("page1", page1().as_bytes());
    responses.record("page2", page2().as_bytes());
    responses.validate_all();
}

#[test]
fn validator_rejects_broken_documents_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "bad-datestamp",
            edit(
                &page1(),
                "<datestamp>2024-09-01T08:30:00Z",
                "<datestamp>yesterday",
            ),
            "UTCdatetimeType",
        ),
        (
            // OAI-PMH.xsd checks payloads strictly: an unknown namespace has no declaration.
            "foreign-payload",
            edit(
                &page1(),
                "<lom:lom ",
                r#"<x:thing xmlns:x="urn:example:unknown"/><lom:lom "#,
            ),
            "strict wildcard",
        ),
        (
            "bad-lom",
            edit(
                &page2(),
                r#"<lom:string language="en">Minerals and Society</lom:string>"#,
                r#"<lom:strung language="en">Minerals and Society</lom:strung>"#,
            ),
            "strung",
        ),
        (
            "schema-hint-without-schema",
            edit(
                &page1(),
                "http://ltsc.ieee.org/xsd/LOM http://ltsc.ieee.org/xsd/lomv1.0/lomLoose.xsd",
                "http://www.ecolearning.eu/xsd/LOM http://example.org/eco.xsd",
            ),
            "has no schema",
        ),
        ("truncated", page1()[..600].to_owned(), "not well-formed"),
    ];
    for (name, text, reason) in &cases {
        let path = dir.path().join(format!("{name}.xml"));
        std::fs::write(&path, text).unwrap();
        validate_oai(&[&path]).assert_failure_mentioning(reason);
    }
    // All together: one invalid document fails the run, and the count says how many.
    let run = validate_oai(&[dir.path()]);
    run.assert_failure_mentioning(&format!("0 valid, {} invalid", cases.len()));
}

#[test]
fn eco_harvest_accepts_the_fixture_pages() {
    let server = serve(page1(), page2());
    let run = EcoHarvest::new(&server.base_url())
        .expect_count(3)
        .min_pages(2)
        .run();
    run.assert_success();
    assert!(
        run.stdout.contains("3 records (1 deleted) in 2 pages"),
        "{run}"
    );
}

#[test]
fn eco_harvest_enforces_page_and_record_counts() {
    let server = serve(page1(), page2());
    EcoHarvest::new(&server.base_url())
        .min_pages(3)
        .run()
        .assert_failure_mentioning("2 pages, expected at least 3");
    EcoHarvest::new(&server.base_url())
        .expect_count(4)
        .run()
        .assert_failure_mentioning("3 records, expected 4");
}

#[test]
fn eco_harvest_fails_instead_of_hanging_on_whitespace_before_the_root() {
    for prolog_gap in ["\n", "  ", "\r\n"] {
        let page = edit(&page1(), "?><OAI-PMH", &format!("?>{prolog_gap}<OAI-PMH"));
        let server = serve(page, page2());
        let run = EcoHarvest::new(&server.base_url()).run();
        run.assert_failure_mentioning("loops forever");
        run.assert_failure_mentioning("nothing in between");
    }
}

#[test]
fn eco_harvest_rejects_what_breaks_ecos_harvester() {
    let cases = [
        (
            "empty final token",
            page1(),
            edit(&page2(), "</ListRecords>", r#"<resumptionToken cursor="2"/></ListRecords>"#),
            "empty or whitespace-only <resumptionToken>",
        ),
        (
            "prefixed token",
            edit(
                &page1(),
                r#"<resumptionToken completeListSize="3" cursor="0">c2.b4f1e0a9</resumptionToken>"#,
                r#"<oai:resumptionToken xmlns:oai="http://www.openarchives.org/OAI/2.0/">c2.b4f1e0a9</oai:resumptionToken>"#,
            ),
            page2(),
            "prefixed oai:resumptionToken",
        ),
        (
            "raw non-ASCII",
            edit(&page1(), "unit&#224;", "unit\u{e0}"),
            page2(),
            "is not ASCII",
        ),
        (
            "LF-only vCards",
            page1(),
            page2().replace("\r\n", "\n"),
            "missing organizer",
        ),
        (
            "namespace declaration as first attribute",
            edit(
                &page1(),
                r#"<lom:string language="en">Introduction"#,
                r#"<lom:string xmlns:foo="urn:foo" language="en">Introduction"#,
            ),
            page2(),
            "would store \"urn:foo\" as the language",
        ),
        (
            "no lom:identifier",
            page1(),
            edit(
                &page2(),
                "<lom:identifier><lom:catalog>pok.example.org</lom:catalog><lom:entry>course-v1:PoliMi+MIN201+2024_T2</lom:entry></lom:identifier>",
                "",
            ),
            "no lom:identifier",
        ),
        (
            "CDATA location",
            edit(
                &page1(),
                "<lom:location>https://pok.example.org/courses/course-v1:PoliMi+ECO101+2024_T1/about</lom:location>",
                "<lom:location><![CDATA[https://pok.example.org/courses/course-v1:PoliMi+ECO101+2024_T1/about]]></lom:location>",
            ),
            page2(),
            "missing location",
        ),
        (
            "repeated identifier",
            page1(),
            edit(
                &page2(),
                "<identifier>oai:pok.example.org:course-v1:PoliMi+MIN201+2024_T2</identifier>",
                "<identifier>oai:pok.example.org:course-v1:PoliMi+ECO101+2024_T1</identifier>",
            ),
            "seen twice",
        ),
        (
            "token that is not URL-safe",
            edit(&page1(), ">c2.b4f1e0a9<", ">c2+b4f1/e0a9=<"),
            page2(),
            "not URL-safe",
        ),
    ];
    for (name, first, second, reason) in cases {
        let server = serve(first, second);
        let run = EcoHarvest::new(&server.base_url()).run();
        if run.code != Some(1) || !run.stderr.contains(reason) {
            panic!("case {name:?}: expected a failure mentioning {reason:?}:\n{run}");
        }
    }
}

#[test]
fn sickle_harvests_the_fixture_pages() {
    let server = serve(page1(), page2());
    let run = SickleHarvest::new(&server.base_url(), "oai_lom")
        .expect_count(3)
        .min_pages(2)
        .run();
    run.assert_success();
    assert!(
        run.stdout
            .contains("ListRecords 3 records (1 deleted) in 2 pages"),
        "{run}"
    );
    assert!(
        run.stdout.contains("ListIdentifiers 3 headers in 2 pages"),
        "{run}"
    );
}

#[test]
fn sickle_harvest_fails_on_wrong_counts_duplicates_and_oai_errors() {
    let server = serve(page1(), page2());
    SickleHarvest::new(&server.base_url(), "oai_lom")
        .min_pages(3)
        .run()
        .assert_failure_mentioning("expected at least 3");
    SickleHarvest::new(&server.base_url(), "oai_lom")
        .expect_count(2)
        .run()
        .assert_failure_mentioning("expected 2");
    // The fixture pages carry LOM, so they are not an oai_dc harvest.
    SickleHarvest::new(&server.base_url(), "oai_dc")
        .run()
        .assert_failure_mentioning("is not in http://www.openarchives.org/OAI/2.0/oai_dc/");

    let duplicate = edit(
        &page2(),
        "<identifier>oai:pok.example.org:course-v1:PoliMi+MIN201+2024_T2</identifier>",
        "<identifier>oai:pok.example.org:course-v1:PoliMi+ECO101+2024_T1</identifier>",
    );
    let server = serve(page1(), duplicate);
    SickleHarvest::new(&server.base_url(), "oai_lom")
        .run()
        .assert_failure_mentioning("seen twice");

    // A token the server does not know: the harvest stops with the OAI error, not silently.
    let server = serve(edit(&page1(), ">c2.b4f1e0a9<", ">unknown.token<"), page2());
    SickleHarvest::new(&server.base_url(), "oai_lom")
        .run()
        .assert_failure_mentioning("BadResumptionToken");
}
