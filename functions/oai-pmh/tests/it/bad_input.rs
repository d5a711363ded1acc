//! Property tests through the router: whatever arrives, the answer is a well-formed OAI-PMH
//! document (an error or a valid answer), never a 5xx or a panic.

use crate::support::*;
use proptest::prelude::*;

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_query_gets_an_oai_answer(pairs in proptest::collection::vec((keys(), values()), 0..6)) {
        let rt = runtime();
        rt.block_on(async {
            let app = app(2).await;
            let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let a = get(&app, &query.join("&")).await;
            assert_oai_document(&a);
        });
    }

    #[test]
    fn any_form_body_gets_an_oai_answer(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let rt = runtime();
        rt.block_on(async {
            let app = app(2).await;
            let req = axum::http::Request::post("/oai")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(body))
                .unwrap();
            assert_oai_document(&send(&app, req).await);
        });
    }
}
