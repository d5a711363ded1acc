//! The shared catalog store contract (pokeco_core::contract) on DynamoDB (moto), and the
//! same script on SQLite and DynamoDB giving identical pages.

use crate::common::fresh_dynamo_store as fresh_store;
use pokeco_core::contract::scripted_pages;

pokeco_core::catalog_store_contract!(fresh_store);

#[tokio::test]
async fn sqlite_and_dynamodb_give_identical_pages() {
    let sqlite = pokeco_local::SqliteStore::open_in_memory().unwrap();
    let dynamo = fresh_store().await;
    let a = scripted_pages(&sqlite).await;
    let b = scripted_pages(&dynamo).await;
    assert!(a.len() > 20, "the script reads many pages: {}", a.len());
    assert_eq!(a.len(), b.len(), "page counts");
    for ((la, pa), (lb, pb)) in a.iter().zip(&b) {
        assert_eq!(la, lb);
        assert_eq!(pa, pb, "page {la}");
    }
}
