//! OAI-PMH 2.0 through the router: every verb, every error code with its condition, the
//! `<request>` echo rules, paging with tokens, selective harvesting, GET = POST.

use std::sync::Arc;

use crate::support::*;

fn ids(a: &Answer) -> Vec<String> {
    a.texts("identifier")
        .into_iter()
        .filter(|i| i.starts_with(PREFIX))
        .map(|i| i[PREFIX.len()..].to_owned())
        .collect()
}

#[tokio::test]
async fn identify_describes_the_repository() {
    let app = app(100).await;
    let a = get(&app, "verb=Identify").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.content_type, "text/xml; charset=utf-8");
    assert!(a
        .body
        .starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><OAI-PMH "#));
    assert!(a.body.is_ascii());
    assert_eq!(a.texts("baseURL"), ["http://127.0.0.1:8765/oai"]);
    assert_eq!(a.texts("earliestDatestamp"), ["2024-01-01T00:00:00Z"]);
    assert_eq!(a.texts("deletedRecord"), ["persistent"]);
    assert_eq!(a.texts("granularity"), ["YYYY-MM-DDThh:mm:ssZ"]);
    assert_eq!(a.texts("repositoryIdentifier"), ["pok.example.org"]);
    assert_eq!(
        a.texts("sampleIdentifier"),
        ["oai:pok.example.org:course-v1:Org+Course+Run"]
    );
    assert_eq!(
        a.request_attrs(),
        [("verb".to_owned(), "Identify".to_owned())]
    );
}

#[tokio::test]
async fn identify_on_an_empty_repository_answers_normally() {
    let store = std::sync::Arc::new(pokeco_local::SqliteStore::open_in_memory().unwrap());
    let app = app_with(store, settings(10));
    let a = get(&app, "verb=Identify").await;
    assert_eq!(a.error(), None);
    let earliest = ds(&a.texts("earliestDatestamp")[0]);
    assert!(earliest <= pokeco_core::Datestamp::now());
    assert_eq!(
        get(&app, "verb=ListSets").await.error().as_deref(),
        Some("noSetHierarchy")
    );
    let a = get(&app, "verb=ListRecords&metadataPrefix=oai_dc").await;
    assert_eq!(a.error().as_deref(), Some("noRecordsMatch"));
}

#[tokio::test]
async fn bad_verbs_and_arguments_do_not_echo_the_request() {
    let app = app(100).await;
    for (query, code) in [
        ("", "badVerb"),
        ("verb=Nonsense", "badVerb"),
        ("verb=Identify&verb=Identify", "badVerb"),
        ("verb=Identify&extra=1", "badArgument"),
        ("verb=ListRecords", "badArgument"),
        (
            "verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=oai_dc&from=2024",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01&until=2024-01-02T00:00:00Z",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-02&until=2024-01-01",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=oai_dc&set=a%3A%3Ab",
            "badArgument",
        ),
        ("verb=ListRecords&metadataPrefix=oai%zz", "badArgument"),
        ("verb=ListRecords&metadataPrefix=%FF", "badArgument"),
        ("verb=ListRecords&resumptionToken=x&set=a", "badArgument"),
        ("verb=GetRecord&metadataPrefix=oai_dc", "badArgument"),
        ("verb=GetRecord&identifier=x", "badArgument"),
        ("verb=ListSets&set=a", "badArgument"),
        (
            "verb=ListMetadataFormats&metadataPrefix=oai_dc",
            "badArgument",
        ),
    ] {
        let a = get(&app, query).await;
        assert_eq!(a.status, 200, "{query}");
        assert_eq!(a.error().as_deref(), Some(code), "{query}");
        assert!(
            a.request_attrs().is_empty(),
            "{query} echoed {:?}",
            a.request_attrs()
        );
        assert_eq!(a.texts("request"), ["http://127.0.0.1:8765/oai"], "{query}");
    }
}

#[tokio::test]
async fn other_errors_echo_the_request() {
    let app = app(100).await;
    for (query, code) in [
        ("verb=ListRecords&metadataPrefix=marc21", "cannotDisseminateFormat"),
        ("verb=GetRecord&identifier=oai:pok.example.org:course-v1:Org%2BC0%2B2024&metadataPrefix=marc21", "cannotDisseminateFormat"),
        ("verb=GetRecord&identifier=oai:pok.example.org:course-v1:Org+Nope+2024&metadataPrefix=oai_dc", "idDoesNotExist"),
        ("verb=GetRecord&identifier=oai:other.org:course-v1:Org+C0+2024&metadataPrefix=oai_dc", "idDoesNotExist"),
        ("verb=GetRecord&identifier=not-an-identifier&metadataPrefix=oai_dc", "idDoesNotExist"),
        ("verb=ListMetadataFormats&identifier=oai:pok.example.org:x/y/z", "idDoesNotExist"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2030-01-01", "noRecordsMatch"),
        ("verb=ListIdentifiers&metadataPrefix=oai_dc&set=nothing:here", "noRecordsMatch"),
        ("verb=ListRecords&metadataPrefix=oai_lom&resumptionToken=garbage", "badResumptionToken"),
        ("verb=ListSets&resumptionToken=anything", "badResumptionToken"),
    ] {
        let a = get(&app, query).await;
        assert_eq!(a.error().as_deref(), Some(code), "{query}");
        let attrs = a.request_attrs();
        assert!(attrs.iter().any(|(k, _)| k == "verb"), "{query}: {attrs:?}");
    }
}

/// An identifier whose course id is longer than any course id (255 bytes) names no record:
/// `idDoesNotExist`, never a store failure.
#[tokio::test]
async fn identifiers_beyond_the_longest_course_id_do_not_exist() {
    let app = app(100).await;
    let long = format!("{PREFIX}Org/C/{}", "r".repeat(3000));
    for query in [
        format!("verb=GetRecord&metadataPrefix=oai_dc&identifier={long}"),
        format!("verb=ListMetadataFormats&identifier={long}"),
    ] {
        let a = get(&app, &query).await;
        assert_eq!(a.status, 200);
        assert_eq!(
            a.error().as_deref(),
            Some("idDoesNotExist"),
            "{}",
            &query[..40]
        );
    }
}

/// A prefix outside the schema's pattern, or an identifier that is not a URI, is never echoed
/// in `<request>` (the answer would not validate).
#[tokio::test]
async fn values_the_schema_refuses_are_not_echoed() {
    let app = app(100).await;
    // Once found by the property tests: a verb that is markup.
    let a = get(&app, "verb=%3C").await;
    assert_eq!(a.error().as_deref(), Some("badVerb"));
    assert!(a.request_attrs().is_empty());
    let a = get(&app, "verb=ListRecords&metadataPrefix=oai:dc").await;
    assert_eq!(a.error().as_deref(), Some("badArgument"));
    assert!(a.request_attrs().is_empty());
    let a = get(
        &app,
        "verb=GetRecord&metadataPrefix=oai_dc&identifier=%25zz%3C",
    )
    .await;
    assert_eq!(a.error().as_deref(), Some("idDoesNotExist"));
    let attrs = a.request_attrs();
    let echoed: Vec<&str> = attrs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        echoed,
        ["metadataPrefix", "verb"],
        "the identifier is left out"
    );
}

#[tokio::test]
async fn list_metadata_formats_offers_both_for_every_record() {
    let app = app(100).await;
    for query in [
        "verb=ListMetadataFormats",
        "verb=ListMetadataFormats&identifier=oai:pok.example.org:course-v1:Org%2BC0%2B2024",
        "verb=ListMetadataFormats&identifier=oai:pok.example.org:course-v1:Org%2BC4%2B2024",
    ] {
        let a = get(&app, query).await;
        assert_eq!(a.texts("metadataPrefix"), ["oai_dc", "oai_lom"], "{query}");
        assert_eq!(
            a.texts("metadataNamespace"),
            [
                "http://www.openarchives.org/OAI/2.0/oai_dc/",
                "http://ltsc.ieee.org/xsd/LOM"
            ]
        );
    }
}

#[tokio::test]
async fn list_sets_gives_every_set_whole() {
    let app = app(2).await;
    let a = get(&app, "verb=ListSets").await;
    assert_eq!(a.texts("setSpec"), ["EcoBase", "a", "a:b", "ab"]);
    assert_eq!(a.texts("setName"), ["ECO core", "A", "A, B", "AB"]);
    assert!(a.token().is_none());
}

#[tokio::test]
async fn get_record_in_both_formats_and_deleted() {
    let app = app(100).await;
    // `+` in a query string is a space, so it is sent escaped.
    let id = "oai:pok.example.org:course-v1:Org%2BC6%2B2024";
    let a = get(
        &app,
        &format!("verb=GetRecord&identifier={id}&metadataPrefix=oai_lom"),
    )
    .await;
    assert_eq!(a.error(), None);
    // EcoBase first in the header: ECO reads only the first setSpec.
    assert_eq!(a.texts("setSpec"), ["EcoBase", "a:b"]);
    assert_eq!(a.texts("entry")[0], "course-v1:Org+C6+2024");
    assert_eq!(a.texts("catalog"), ["pok.example.org"]);
    assert!(a.body.contains("Corso course-v1:Org+C6+2024 &#224;"));
    assert!(a.body.contains("&lt;markup&gt; &amp; &quot;quotes&quot;"));
    let a = get(
        &app,
        &format!("verb=GetRecord&identifier={id}&metadataPrefix=oai_dc"),
    )
    .await;
    assert_eq!(
        a.texts("title"),
        [
            "Course course-v1:Org+C6+2024",
            "Corso course-v1:Org+C6+2024 à"
        ]
    );
    assert_eq!(a.texts("creator"), ["Maria Rossi"]);
    assert_eq!(a.texts("date"), ["2024-09-16"]);
    let deleted = "oai:pok.example.org:course-v1:Org%2BC4%2B2024";
    let a = get(
        &app,
        &format!("verb=GetRecord&identifier={deleted}&metadataPrefix=oai_lom"),
    )
    .await;
    let header = a.root().descendants("header")[0].clone();
    assert_eq!(header.attr("status"), Some("deleted"));
    assert_eq!(a.texts("datestamp"), ["2024-01-01T10:00:00Z"]);
    assert!(a.root().descendants("metadata").is_empty());
}

/// Follows every token of a list; returns the pages.
async fn harvest(app: &axum::Router, first: &str, prefix_beside_token: bool) -> Vec<Answer> {
    let mut pages = vec![get(app, first).await];
    while let Some(token) = pages
        .last()
        .unwrap()
        .token()
        .filter(|t| !t.text().is_empty())
    {
        let verb = if first.contains("ListRecords") {
            "ListRecords"
        } else {
            "ListIdentifiers"
        };
        let prefix = first
            .split("metadataPrefix=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap();
        let extra = if prefix_beside_token {
            format!("&metadataPrefix={prefix}")
        } else {
            String::new()
        };
        // Tokens are URL-safe: pasted raw, as ECO does.
        let q = format!("verb={verb}{extra}&resumptionToken={}", token.text());
        pages.push(get(app, &q).await);
        assert!(pages.len() < 20, "the list does not end");
    }
    pages
}

#[tokio::test]
async fn paging_covers_every_record_once_in_datestamp_order() {
    let app = app(3).await;
    let pages = harvest(&app, "verb=ListIdentifiers&metadataPrefix=oai_lom", false).await;
    assert_eq!(pages.len(), 3);
    let seen: Vec<String> = pages.iter().flat_map(ids).collect();
    assert_eq!(
        seen,
        ["C0", "C1", "C2", "C3", "C5", "C6", "C4"]
            .map(|c| format!("course-v1:Org+{c}+2024"))
            .to_vec()
    );
    let t0 = pages[0].token().unwrap();
    assert_eq!(
        (t0.attr("cursor"), t0.attr("completeListSize")),
        (Some("0"), Some("7"))
    );
    assert!(t0.attr("expirationDate").is_some());
    let t1 = pages[1].token().unwrap();
    assert_eq!(
        (t1.attr("cursor"), t1.attr("completeListSize")),
        (Some("3"), Some("7"))
    );
    assert!(t1
        .text()
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
    // The last page carries no token element at all (ECO drops a page with an empty one).
    assert!(pages[2].token().is_none());
    // ListIdentifiers marks deleted records too.
    let last = pages[2].root().descendants("header")[0].clone();
    assert_eq!(last.attr("status"), Some("deleted"));
}

#[tokio::test]
async fn eco_style_harvest_repeats_the_prefix_beside_the_token() {
    let app = app(2).await;
    for prefix in ["oai_lom", "oai_dc"] {
        let pages = harvest(
            &app,
            &format!("verb=ListRecords&metadataPrefix={prefix}"),
            true,
        )
        .await;
        assert_eq!(pages.len(), 4);
        assert!(pages.iter().all(|p| p.error().is_none()));
        let seen: Vec<String> = pages.iter().flat_map(ids).collect();
        assert_eq!(seen.len(), 7);
        assert_eq!(
            seen.iter().collect::<std::collections::BTreeSet<_>>().len(),
            7
        );
    }
    let pages = harvest(&app, "verb=ListRecords&metadataPrefix=oai_lom", true).await;
    // The prefix is echoed like any argument.
    let attrs = pages[1].request_attrs();
    assert!(attrs.contains(&("metadataPrefix".to_owned(), "oai_lom".to_owned())));
    // A different prefix beside the token is refused.
    let token = pages[0].token().unwrap().text();
    let a = get(
        &app,
        &format!("verb=ListRecords&metadataPrefix=oai_dc&resumptionToken={token}"),
    )
    .await;
    assert_eq!(a.error().as_deref(), Some("badArgument"));
    // A token of one verb does not resume the other.
    let a = get(
        &app,
        &format!("verb=ListIdentifiers&resumptionToken={token}"),
    )
    .await;
    assert_eq!(a.error().as_deref(), Some("badResumptionToken"));
    // A tampered token is refused.
    let mut bytes = token.clone().into_bytes();
    bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    let a = get(
        &app,
        &format!("verb=ListRecords&resumptionToken={tampered}"),
    )
    .await;
    assert_eq!(a.error().as_deref(), Some("badResumptionToken"));
}

#[tokio::test]
async fn the_final_empty_token_is_a_setting() {
    let mut s = settings(3);
    s.final_empty_token = true;
    let app = app_with(catalog().await, s);
    let pages = harvest(&app, "verb=ListRecords&metadataPrefix=oai_dc", false).await;
    assert_eq!(pages.len(), 3);
    let last = pages[2].token().expect("an empty token closes the list");
    assert_eq!(last.text(), "");
    assert_eq!(
        (last.attr("cursor"), last.attr("completeListSize")),
        (Some("6"), Some("7"))
    );
    // A list that fits one page has no token, even with the setting on.
    let a = get(&app, "verb=ListRecords&metadataPrefix=oai_dc&set=a:b").await;
    assert!(a.token().is_none());
}

#[tokio::test]
async fn from_and_until_are_inclusive_at_both_granularities() {
    let app = app(100).await;
    let list = |q: String| {
        let app = app.clone();
        async move {
            ids(&get(
                &app,
                &format!("verb=ListIdentifiers&metadataPrefix=oai_dc&{q}"),
            )
            .await)
        }
    };
    let got = list("from=2024-01-01T01:00:00Z&until=2024-01-01T03:00:00Z".into()).await;
    assert_eq!(
        got,
        ["C1", "C2", "C3"].map(|c| format!("course-v1:Org+{c}+2024"))
    );
    let got = list("from=2024-01-01T01:00:01Z&until=2024-01-01T02:59:59Z".into()).await;
    assert_eq!(got, ["course-v1:Org+C2+2024"]);
    // A day-granularity until takes in the whole day; from the next day, nothing.
    assert_eq!(list("until=2024-01-01".into()).await.len(), 7);
    assert_eq!(
        list("from=2024-01-01&until=2024-01-01".into()).await.len(),
        7
    );
    let a = get(
        &app,
        "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2024-01-02",
    )
    .await;
    assert_eq!(a.error().as_deref(), Some("noRecordsMatch"));
    // The deletion moved C4's datestamp to 10:00.
    assert_eq!(
        list("from=2024-01-01T10:00:00Z".into()).await,
        ["course-v1:Org+C4+2024"]
    );
}

#[tokio::test]
async fn a_set_includes_its_subsets_only() {
    let app = app(100).await;
    let list = |set: &'static str| {
        let app = app.clone();
        async move {
            ids(&get(
                &app,
                &format!("verb=ListIdentifiers&metadataPrefix=oai_dc&set={set}"),
            )
            .await)
        }
    };
    let c = |ns: &[u8]| {
        ns.iter()
            .map(|n| format!("course-v1:Org+C{n}+2024"))
            .collect::<Vec<_>>()
    };
    assert_eq!(list("a").await, c(&[1, 2, 6, 4]));
    assert_eq!(list("a:b").await, c(&[2, 6]));
    assert_eq!(list("ab").await, c(&[3]));
    assert_eq!(list("EcoBase").await, c(&[0, 6, 4]));
    // A subset's record names the subset itself in its header, not its ancestors.
    let a = get(&app, "verb=ListIdentifiers&metadataPrefix=oai_dc&set=a:b").await;
    assert_eq!(a.texts("setSpec"), ["a:b", "EcoBase", "a:b"]);
}

#[tokio::test]
async fn post_answers_as_get_does() {
    let app = app(2).await;
    for query in [
        "verb=Identify",
        "verb=ListRecords&metadataPrefix=oai_lom&set=a",
        "verb=GetRecord&identifier=oai%3Apok.example.org%3Acourse-v1%3AOrg%2BC0%2B2024&metadataPrefix=oai_dc",
        "verb=ListSets",
        "verb=Bad",
        "verb=ListRecords&metadataPrefix=%zz",
    ] {
        let g = get(&app, query).await;
        let p = post(&app, query).await;
        assert_eq!(g.body, p.body, "{query}");
    }
}

#[tokio::test]
async fn post_must_be_form_encoded() {
    let app = app(2).await;
    let req = axum::http::Request::post("/oai")
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{}"))
        .unwrap();
    assert_eq!(send(&app, req).await.status, 415);
    let req = axum::http::Request::post("/oai")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(vec![b'a'; 100 * 1024]))
        .unwrap();
    assert_eq!(send(&app, req).await.status, 413);
}

#[tokio::test]
async fn the_upper_bound_is_frozen_for_the_whole_harvest() {
    let store = catalog().await;
    let app = app_with(store.clone(), settings(3));
    let first = get(&app, "verb=ListIdentifiers&metadataPrefix=oai_dc").await;
    let token = first.token().unwrap().text();
    // A course changed after the first page moves beyond the frozen bound: the list still
    // ends, and the changed course is not served twice.
    use pokeco_core::store::CatalogStore;
    store
        .put_course(
            course("course-v1:Org+C0+2024", &[]),
            pokeco_core::Datestamp::now().saturating_add(5),
        )
        .await
        .unwrap();
    store
        .put_course(
            course("course-v1:Org+New+2024", &[]),
            pokeco_core::Datestamp::now().saturating_add(5),
        )
        .await
        .unwrap();
    let mut seen = ids(&first);
    let mut token = Some(token);
    while let Some(t) = token {
        let a = get(&app, &format!("verb=ListIdentifiers&resumptionToken={t}")).await;
        seen.extend(ids(&a));
        token = a.token().map(|t| t.text());
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert!(!seen.contains(&"course-v1:Org+New+2024".to_owned()));
}

/// 30 courses with long descriptions that escaping inflates make far more than a Lambda
/// answer may carry (6 MB): each page stops at the byte budget, its token resumes after the
/// last record written, and the harvest still gets every record once.
#[tokio::test]
async fn pages_stop_at_the_byte_budget() {
    use pokeco_core::catalog::{validate_course, Known};
    use pokeco_core::store::CatalogStore;
    use pokeco_core::RESPONSE_BYTE_BUDGET;

    let store = Arc::new(pokeco_local::SqliteStore::open_in_memory().unwrap());
    // Every character of the text becomes a character reference (é → &#233;, < → &lt;).
    let text = "é<".repeat(20_000);
    for i in 0..30 {
        let doc = serde_json::json!({
            "course_id": format!("org/c{i:03}/run"), "title": {"en": "T"},
            "description": {"en": text, "it": text, "fr": text},
            "languages": ["en"], "url": "https://x.org/", "organizers": ["O"],
            "interest_area": "ECO:HUM"
        });
        let course = validate_course(&doc, &Known::default()).unwrap().value;
        store
            .put_course(course, ds("2024-01-01T00:00:00Z"))
            .await
            .unwrap();
    }
    let app = app_with(store, settings(100));
    let mut query = "verb=ListRecords&metadataPrefix=oai_dc".to_owned();
    let (mut seen, mut pages) = (Vec::new(), 0);
    loop {
        let a = get(&app, &query).await;
        pages += 1;
        let one_record = 3 * 20_000 * 10 + 1_000;
        assert!(
            a.body.len() < RESPONSE_BYTE_BUDGET + one_record,
            "page {pages}: {} bytes",
            a.body.len()
        );
        seen.extend(ids(&a));
        match a.token().map(|t| t.text()).filter(|t| !t.is_empty()) {
            Some(token) => query = format!("verb=ListRecords&resumptionToken={token}"),
            None => break,
        }
    }
    assert!(pages >= 4, "{pages} pages");
    let want: Vec<String> = (0..30).map(|i| format!("org/c{i:03}/run")).collect();
    assert_eq!(seen, want);
}
