//! A fresh catalog table on the emulator (moto) that `infra/test` starts.

use pokeco_aws::{create_table, DynamoStore};
use pokeco_core::catalog::OaiSet;
use pokeco_core::store::CatalogStore;
pub use pokeco_testkit::moto::{config, unique_name};

/// A new, empty catalog table on the emulator and a store on it.
pub async fn fresh_dynamo_store() -> DynamoStore {
    let client = aws_sdk_dynamodb::Client::new(&config().await);
    let table = unique_name("contract");
    create_table(&client, &table)
        .await
        .expect("create the test table on moto");
    DynamoStore::new(client, table)
}

/// Creates these sets, so that courses may name them.
pub async fn put_sets(store: &DynamoStore, specs: &[&str]) {
    for spec in specs {
        let set = OaiSet {
            spec: spec.parse().unwrap(),
            name: format!("Set {spec}"),
        };
        store.put_set(set).await.unwrap();
    }
}
