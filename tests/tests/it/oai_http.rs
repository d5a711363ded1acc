//! OAI-PMH end to end: the real `pokeco serve --demo` on a loopback port, spoken to over HTTP by
//! this test, by Sickle and by an ECO-style harvester on ECO's own XML parser. Every response
//! body this file receives, errors included, is validated against the official schemas.

use std::collections::BTreeSet;
use std::sync::Arc;

use pokeco_e2e::server::TestServer;
use pokeco_testkit::peers::{EcoHarvest, HarvestCheck, SickleHarvest};
use pokeco_testkit::responses::Responses;
use pokeco_testkit::{timeless, xml, OAI_PREFIX};

/// Small pages, so that the six demo records take three pages.
const PAGE_SIZE: usize = 2;
/// The demo catalog: six courses, one of them deleted.
const DEMO_RECORDS: usize = 6;
const DEMO_DELETED: &str = "course-v1:PoliMi+OLD001+2019_T1";
const PREFIXES: [&str; 2] = ["oai_dc", "oai_lom"];

struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

impl Answer {
    fn root(&self) -> xml::Element {
        xml::parse(&self.body)
    }

    fn error_code(&self) -> Option<String> {
        let root = self.root();
        let error = root.descendants("error").first().copied()?.clone();
        error.attr("code").map(str::to_owned)
    }

    fn token(&self) -> Option<String> {
        let root = self.root();
        let token = root
            .descendants("resumptionToken")
            .first()
            .map(|t| t.text());
        token.filter(|t| !t.is_empty())
    }

    /// The text of every element with this local name, in document order.
    fn texts(&self, local: &str) -> Vec<String> {
        self.root()
            .descendants(local)
            .iter()
            .map(|e| e.text())
            .collect()
    }

    fn has_token_element(&self) -> bool {
        !self.root().descendants("resumptionToken").is_empty()
    }

    /// The identifiers of the records' headers.
    fn identifiers(&self) -> Vec<String> {
        let root = self.root();
        root.descendants("header")
            .iter()
            .flat_map(|h| h.descendants("identifier"))
            .map(|i| i.text())
            .filter(|id| id.starts_with(OAI_PREFIX))
            .collect()
    }

    fn assert_error(&self, code: &str, what: &str) {
        assert_eq!(
            self.error_code().as_deref(),
            Some(code),
            "{what}: expected {code}:\n{}",
            self.body
        );
    }

    fn assert_ok(&self, what: &str) {
        assert_eq!(
            self.error_code(),
            None,
            "{what}: unexpected OAI error:\n{}",
            self.body
        );
    }

    /// badVerb and badArgument answers carry the base URL alone in `<request>`.
    fn assert_bare_request_element(&self, what: &str) {
        let root = self.root();
        let request = root.descendants("request")[0];
        assert!(
            request.attrs.is_empty() && request.text().starts_with("http://"),
            "{what}: <request> has attributes:\n{}",
            self.body
        );
    }
}

struct Oai {
    http: reqwest::Client,
    url: String,
    responses: Arc<Responses>,
}

impl Oai {
    fn new(server: &TestServer, responses: Arc<Responses>) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: server.oai_url(),
            responses,
        }
    }

    async fn answer(&self, label: &str, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = response.text().await.unwrap();
        self.responses.record(label, body.as_bytes());
        // OAI-PMH errors are answers too: always 200 with XML.
        assert_eq!(status, 200, "{label}: HTTP status\n{body}");
        assert!(
            content_type.starts_with("text/xml"),
            "{label}: content type {content_type}"
        );
        Answer {
            status,
            content_type,
            body,
        }
    }

    /// GET with the query string exactly as given (the caller controls the encoding).
    async fn get(&self, label: &str, query: &str) -> Answer {
        let url = if query.is_empty() {
            self.url.clone()
        } else {
            format!("{}?{query}", self.url)
        };
        self.answer(label, self.http.get(url)).await
    }

    /// POST of the same query string as a form body.
    async fn post(&self, label: &str, form: &str) -> Answer {
        let request = self
            .http
            .post(&self.url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form.to_owned());
        self.answer(label, request).await
    }

    /// Follows every token of a list the protocol's way; returns (identifiers, pages, last page).
    async fn walk(&self, label: &str, first_query: &str) -> (Vec<String>, usize, Answer) {
        let verb = first_query
            .split('&')
            .find_map(|p| p.strip_prefix("verb="))
            .unwrap()
            .to_owned();
        let mut page = self.get(&format!("{label}-p1"), first_query).await;
        page.assert_ok(label);
        let mut ids = page.identifiers();
        let mut pages = 1;
        while let Some(token) = page.token() {
            assert!(pages < 50, "{label}: the list does not end");
            pages += 1;
            let next = format!("verb={verb}&resumptionToken={token}");
            page = self.get(&format!("{label}-p{pages}"), &next).await;
            page.assert_ok(label);
            ids.extend(page.identifiers());
        }
        (ids, pages, page)
    }
}

/// Runs a blocking checker off the async runtime's worker threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// Percent-encodes a query value (identifiers hold `+` and `:`; a raw `+` means a space).
fn enc(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn oai_id(course: &str) -> String {
    format!("{OAI_PREFIX}{course}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_verb_and_error_answers_and_validates_against_the_schemas() {
    let server = TestServer::demo(PAGE_SIZE).await;
    assert_eq!(server.demo_courses(), Some(DEMO_RECORDS));
    let responses = Arc::new(Responses::new());
    let oai = Oai::new(&server, Arc::clone(&responses));

    let identify = oai.get("identify", "verb=Identify").await;
    identify.assert_ok("Identify");
    for (element, text) in [
        ("deletedRecord", "persistent"),
        ("granularity", "YYYY-MM-DDThh:mm:ssZ"),
        ("protocolVersion", "2.0"),
        ("baseURL", oai.url.as_str()),
    ] {
        assert_eq!(identify.texts(element), [text], "Identify's {element}");
    }
    let root = identify.root();
    assert_eq!(
        root.descendants("request")[0].attrs,
        [("verb".to_owned(), "Identify".to_owned())]
    );

    let formats = oai.get("formats", "verb=ListMetadataFormats").await;
    formats.assert_ok("ListMetadataFormats");
    assert_eq!(formats.texts("metadataPrefix"), PREFIXES);
    let sets = oai.get("sets", "verb=ListSets").await;
    sets.assert_ok("ListSets");
    assert_eq!(
        sets.texts("setSpec"),
        ["EcoBase", "polimi", "polimi:science"]
    );

    // Every list, both formats, page by page, every token followed.
    let mut all_ids = BTreeSet::new();
    for prefix in PREFIXES {
        for verb in ["ListRecords", "ListIdentifiers"] {
            let label = format!("{verb}-{prefix}");
            let (ids, pages, last) = oai
                .walk(&label, &format!("verb={verb}&metadataPrefix={prefix}"))
                .await;
            let unique: BTreeSet<_> = ids.iter().cloned().collect();
            assert_eq!(
                unique.len(),
                ids.len(),
                "{label}: an identifier came twice: {ids:?}"
            );
            assert_eq!(ids.len(), DEMO_RECORDS, "{label}: {ids:?}");
            assert!(
                pages >= 3,
                "{label}: {pages} pages at page size {PAGE_SIZE}"
            );
            // ECO drops a page that ends with an empty token: the last page has none at all.
            assert!(
                !last.has_token_element(),
                "{label}: last page carries a token element"
            );
            all_ids.extend(unique);
        }
    }
    assert!(all_ids.contains(&oai_id(DEMO_DELETED)));

    for id in &all_ids {
        for prefix in PREFIXES {
            let answer = oai
                .get(
                    &format!("getrecord-{prefix}"),
                    &format!(
                        "verb=GetRecord&metadataPrefix={prefix}&identifier={}",
                        enc(id)
                    ),
                )
                .await;
            answer.assert_ok("GetRecord");
            let root = answer.root();
            let deleted = root.descendants("header")[0].attr("status") == Some("deleted");
            assert_eq!(
                deleted,
                *id == oai_id(DEMO_DELETED),
                "GetRecord {id}:\n{}",
                answer.body
            );
            assert_eq!(
                answer.root().descendants("metadata").is_empty(),
                deleted,
                "GetRecord {id} metadata"
            );
        }
        let formats = oai
            .get(
                "formats-of-record",
                &format!("verb=ListMetadataFormats&identifier={}", enc(id)),
            )
            .await;
        formats.assert_ok("ListMetadataFormats for a record");
    }

    // A set includes its subsets: polimi = two courses of its own + two of polimi:science.
    let (in_polimi, _, _) = oai
        .walk(
            "set-polimi",
            "verb=ListIdentifiers&metadataPrefix=oai_dc&set=polimi",
        )
        .await;
    assert_eq!(in_polimi.len(), 4, "{in_polimi:?}");
    let (in_science, _, _) = oai
        .walk(
            "set-science",
            "verb=ListIdentifiers&metadataPrefix=oai_dc&set=polimi:science",
        )
        .await;
    assert_eq!(in_science.len(), 2, "{in_science:?}");

    // from/until windows, both granularities.
    let (since_2000, _, _) = oai
        .walk(
            "from-day",
            "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2000-01-01",
        )
        .await;
    assert_eq!(since_2000.len(), DEMO_RECORDS);
    let (since_2000s, _, _) = oai
        .walk(
            "from-seconds",
            "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2000-01-01T00:00:00Z",
        )
        .await;
    assert_eq!(since_2000s.len(), DEMO_RECORDS);

    // ECO's way: metadataPrefix repeated beside the token is accepted.
    let first = oai
        .get("eco-p1", "verb=ListRecords&metadataPrefix=oai_lom")
        .await;
    let token = first.token().unwrap().to_owned();
    oai.get(
        "eco-p2",
        &format!("verb=ListRecords&metadataPrefix=oai_lom&resumptionToken={token}"),
    )
    .await
    .assert_ok("metadataPrefix beside the token");

    let some_id = enc(all_ids.iter().next().unwrap());
    let mut tampered = token.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();

    let errors: Vec<(&str, String, &str)> = vec![
        ("no-verb", String::new(), "badVerb"),
        ("unknown-verb", "verb=Foo".into(), "badVerb"),
        (
            "repeated-verb",
            "verb=Identify&verb=Identify".into(),
            "badVerb",
        ),
        (
            "identify-extra-arg",
            "verb=Identify&foo=bar".into(),
            "badArgument",
        ),
        (
            "records-no-prefix",
            "verb=ListRecords".into(),
            "badArgument",
        ),
        (
            "repeated-prefix",
            "verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc".into(),
            "badArgument",
        ),
        (
            "bad-from",
            "verb=ListRecords&metadataPrefix=oai_dc&from=yesterday".into(),
            "badArgument",
        ),
        (
            "mixed-granularity",
            "verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01&until=2024-02-01T00:00:00Z"
                .into(),
            "badArgument",
        ),
        (
            "from-after-until",
            "verb=ListRecords&metadataPrefix=oai_dc&from=2025-01-01&until=2024-01-01".into(),
            "badArgument",
        ),
        (
            "getrecord-no-prefix",
            format!("verb=GetRecord&identifier={some_id}"),
            "badArgument",
        ),
        (
            "getrecord-no-id",
            "verb=GetRecord&metadataPrefix=oai_dc".into(),
            "badArgument",
        ),
        (
            "token-plus-set",
            format!("verb=ListRecords&resumptionToken={token}&set=EcoBase"),
            "badArgument",
        ),
        (
            "token-other-prefix",
            format!("verb=ListRecords&metadataPrefix=oai_dc&resumptionToken={token}"),
            "badArgument",
        ),
        (
            "prefix-outside-the-schema",
            "verb=ListRecords&metadataPrefix=oai:dc".into(),
            "badArgument",
        ),
        (
            "identifier-not-a-uri",
            "verb=GetRecord&metadataPrefix=oai_dc&identifier=%25zz%3C".into(),
            "idDoesNotExist",
        ),
        (
            "unknown-format",
            "verb=ListRecords&metadataPrefix=marc21".into(),
            "cannotDisseminateFormat",
        ),
        (
            "getrecord-unknown-format",
            format!("verb=GetRecord&metadataPrefix=marc21&identifier={some_id}"),
            "cannotDisseminateFormat",
        ),
        (
            "unknown-id",
            format!("verb=GetRecord&metadataPrefix=oai_dc&identifier={OAI_PREFIX}nope"),
            "idDoesNotExist",
        ),
        (
            "formats-unknown-id",
            format!("verb=ListMetadataFormats&identifier={OAI_PREFIX}nope"),
            "idDoesNotExist",
        ),
        (
            "garbage-token",
            "verb=ListRecords&resumptionToken=garbage".into(),
            "badResumptionToken",
        ),
        (
            "tampered-token",
            format!("verb=ListRecords&resumptionToken={tampered}"),
            "badResumptionToken",
        ),
        (
            "sets-garbage-token",
            "verb=ListSets&resumptionToken=garbage".into(),
            "badResumptionToken",
        ),
        (
            "until-long-ago",
            "verb=ListRecords&metadataPrefix=oai_dc&until=2000-01-01".into(),
            "noRecordsMatch",
        ),
        (
            "from-far-future",
            "verb=ListIdentifiers&metadataPrefix=oai_lom&from=2999-01-01T00:00:00Z".into(),
            "noRecordsMatch",
        ),
    ];
    for (label, query, code) in &errors {
        let answer = oai.get(label, query).await;
        answer.assert_error(code, label);
        if *code == "badVerb" || *code == "badArgument" {
            answer.assert_bare_request_element(label);
        }
    }
    // An unknown set: the protocol names no code for it; either answer is an OAI error.
    let unknown_set = oai
        .get(
            "unknown-set",
            "verb=ListRecords&metadataPrefix=oai_dc&set=nosuchset",
        )
        .await;
    assert!(
        matches!(
            unknown_set.error_code().as_deref(),
            Some("noRecordsMatch" | "badArgument")
        ),
        "unknown set:\n{}",
        unknown_set.body
    );

    responses.validate_all();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_catalog_identifies_itself_and_matches_nothing() {
    let server = TestServer::empty(PAGE_SIZE).await;
    let responses = Arc::new(Responses::new());
    let oai = Oai::new(&server, Arc::clone(&responses));
    oai.get("identify", "verb=Identify")
        .await
        .assert_ok("Identify on an empty catalog");
    for prefix in PREFIXES {
        oai.get(
            "records",
            &format!("verb=ListRecords&metadataPrefix={prefix}"),
        )
        .await
        .assert_error("noRecordsMatch", "ListRecords on an empty catalog");
    }
    responses.validate_all();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_form_requests_answer_as_get_does() {
    let server = TestServer::demo(PAGE_SIZE).await;
    let responses = Arc::new(Responses::new());
    let oai = Oai::new(&server, Arc::clone(&responses));

    let first = oai
        .get("records-p1", "verb=ListRecords&metadataPrefix=oai_lom")
        .await;
    let token = first.token().unwrap().to_owned();
    let id = oai_id("course-v1:PoliMi+ECO101+2024_T1");
    // Form values percent-encoded as a browser would; GET gets the very same string.
    let encoded_id = enc(&id);
    let queries = [
        "verb=Identify".to_owned(),
        "verb=ListMetadataFormats".to_owned(),
        "verb=ListSets".to_owned(),
        "verb=ListRecords&metadataPrefix=oai_lom".to_owned(),
        "verb=ListIdentifiers&metadataPrefix=oai_dc&set=polimi".to_owned(),
        format!("verb=ListRecords&resumptionToken={token}"),
        format!("verb=GetRecord&metadataPrefix=oai_lom&identifier={encoded_id}"),
        format!("verb=GetRecord&metadataPrefix=oai_dc&identifier={encoded_id}"),
        "verb=Bogus".to_owned(),
        "verb=ListRecords&metadataPrefix=marc21".to_owned(),
        "verb=ListRecords&metadataPrefix=oai_dc&from=2025-01-01&until=2024-01-01".to_owned(),
    ];
    for query in &queries {
        let by_get = oai.get("get", query).await;
        let by_post = oai.post("post", query).await;
        assert_eq!(by_get.status, by_post.status, "{query}");
        assert_eq!(by_get.content_type, by_post.content_type, "{query}");
        assert_eq!(
            timeless(&by_get.body),
            timeless(&by_post.body),
            "GET and POST differ for {query}"
        );
    }
    // The GetRecord answers really found the course (the encoding was understood).
    let record = oai
        .post(
            "post-getrecord",
            &format!("verb=GetRecord&metadataPrefix=oai_dc&identifier={encoded_id}"),
        )
        .await;
    record.assert_ok("POST GetRecord");
    assert_eq!(
        record.identifiers(),
        std::slice::from_ref(&id),
        "{}",
        record.body
    );

    responses.validate_all();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sickle_harvests_both_formats_following_every_token() {
    let server = TestServer::demo(PAGE_SIZE).await;
    let url = server.oai_url();
    blocking(move || {
        for prefix in PREFIXES {
            let run = SickleHarvest::new(&url, prefix)
                .min_pages(3)
                .expect_count(DEMO_RECORDS)
                .run();
            run.assert_success();
            assert!(run.stdout.contains("(1 deleted)"), "{run}");
            SickleHarvest::new(&url, prefix)
                .post()
                .min_pages(3)
                .expect_count(DEMO_RECORDS)
                .run()
                .assert_success();
        }
        SickleHarvest::new(&url, "oai_lom")
            .set("polimi")
            .expect_count(4)
            .run()
            .assert_success();
    })
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eco_style_harvest_accepts_every_demo_record() {
    let server = TestServer::demo(PAGE_SIZE).await;
    let url = server.oai_url();
    let run = blocking(move || {
        EcoHarvest::new(&url)
            .min_pages(3)
            .expect_count(DEMO_RECORDS)
            .run()
    })
    .await;
    run.assert_success();
    assert!(
        run.stdout.contains("6 records (1 deleted) in 3 pages"),
        "{run}"
    );
    server.stop().await;
}
