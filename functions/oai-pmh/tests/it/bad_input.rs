//! Property tests through the router: whatever arrives, the answer is an OAI-PMH document
//! (an error or a valid answer) that the official schemas accept, never a 5xx or a panic.

use pokeco_testkit::responses::Responses;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

use crate::support::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn assert_oai_document(a: &Answer) {
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.is_ascii());
    assert!(a
        .body
        .starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><OAI-PMH "#));
    let root = a.root();
    assert!(root.name.ends_with("}OAI-PMH"));
    let kinds: Vec<String> = root.elements().map(|e| e.name.clone()).collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
}

/// Keeps what a request line may carry raw (a stray `%` included: the parser must refuse
/// it); escapes the rest, as any HTTP client does before sending.
fn uri_safe(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() || "-._~!$'()*+,;=:@/?%".contains(c) => c.to_string(),
            c => format!("%{:02X}", c as u32),
        })
        .collect()
}

fn keys() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("verb".to_owned()),
        Just("metadataPrefix".to_owned()),
        Just("resumptionToken".to_owned()),
        Just("from".to_owned()),
        Just("until".to_owned()),
        Just("set".to_owned()),
        Just("identifier".to_owned()),
        "[a-zA-Z%+]{0,12}",
    ]
}

fn values() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Identify".to_owned()),
        Just("ListRecords".to_owned()),
        Just("ListIdentifiers".to_owned()),
        Just("GetRecord".to_owned()),
        Just("ListSets".to_owned()),
        Just("ListMetadataFormats".to_owned()),
        Just("oai_lom".to_owned()),
        Just("oai_dc".to_owned()),
        Just("2024-01-01".to_owned()),
        Just("2024-01-01T00:00:00Z".to_owned()),
        Just("%00%01%1F%7F%C3%28%E2%82".to_owned()),
        Just("oai:pok.example.org:course-v1:Org%2BC1%2B2024".to_owned()),
        "[ -~]{0,40}".prop_map(|s| uri_safe(&s)),
        "(%[0-9A-Fa-fzZ]{0,2}){1,8}",
        proptest::collection::vec(any::<char>(), 0..20).prop_map(|cs| {
            cs.into_iter()
                .collect::<String>()
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect()
        }),
        "[a-z]{1000,5000}",
    ]
}

/// Runs `cases` generated inputs through the router, checks each answer's shape, and then
/// validates every answer against the official schemas in one checker run (a peer: needs
/// `infra/test`).
fn property<S: Strategy>(
    strategy: S,
    request: impl Fn(S::Value) -> axum::http::Request<axum::body::Body>,
) where
    S::Value: std::fmt::Debug,
{
    let responses = Responses::new();
    let rt = runtime();
    let app = rt.block_on(app(2));
    let mut runner = TestRunner::new(ProptestConfig::with_cases(300));
    let result = runner.run(&strategy, |input| {
        let a = rt.block_on(send(&app, request(input)));
        assert_oai_document(&a);
        responses.record("case", a.body.as_bytes());
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    responses.validate_all();
}

#[test]
fn any_query_gets_a_schema_valid_oai_answer() {
    property(
        proptest::collection::vec((keys(), values()), 0..6),
        |pairs| {
            let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            axum::http::Request::get(format!("/oai?{}", query.join("&")))
                .body(axum::body::Body::empty())
                .unwrap()
        },
    );
}

#[test]
fn any_form_body_gets_a_schema_valid_oai_answer() {
    property(proptest::collection::vec(any::<u8>(), 0..400), |body| {
        axum::http::Request::post("/oai")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .unwrap()
    });
}
