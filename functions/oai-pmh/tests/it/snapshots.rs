//! Pinned responses: every verb's XML at a fixed clock, so any change to the output shows up
//! in review as a snapshot diff (snapshots in tests/snapshots, committed).

use crate::support::*;
use pokeco_core::oai::{parse_urlencoded, respond};

async fn answer(query: &str, page_size: usize) -> String {
    let store = catalog().await;
    let now = ds("2024-09-20T10:00:00Z");
    let settings = settings(page_size);
    let endpoint = settings.base_url.clone().unwrap();
    let args = parse_urlencoded(query.as_bytes());
    respond(store.as_ref(), &settings, &endpoint, args, now)
        .await
        .unwrap()
}

#[tokio::test]
async fn identify() {
    insta::assert_snapshot!(answer("verb=Identify", 100).await);
}

#[tokio::test]
async fn list_metadata_formats() {
    insta::assert_snapshot!(answer("verb=ListMetadataFormats", 100).await);
}

#[tokio::test]
async fn list_sets() {
    insta::assert_snapshot!(answer("verb=ListSets", 100).await);
}

#[tokio::test]
async fn list_records_oai_lom_first_page() {
    insta::assert_snapshot!(answer("verb=ListRecords&metadataPrefix=oai_lom", 2).await);
}

#[tokio::test]
async fn list_records_oai_dc_with_a_deleted_record() {
    let q = "verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01T06:00:00Z";
    insta::assert_snapshot!(answer(q, 100).await);
}

#[tokio::test]
async fn list_identifiers_in_a_set() {
    insta::assert_snapshot!(answer("verb=ListIdentifiers&metadataPrefix=oai_lom&set=a", 100).await);
}

#[tokio::test]
async fn bad_argument_error() {
    insta::assert_snapshot!(
        answer(
            "verb=ListRecords&metadataPrefix=oai_lom&until=yesterday",
            100
        )
        .await
    );
}
