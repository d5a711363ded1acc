//! Creating the table, for tests and for `pokeco` against a fresh DynamoDB. Deployments get
//! the same table from template.yaml (infra/aws/table.json holds the same definition).

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus,
};
use aws_sdk_dynamodb::Client;
use pokeco_core::store::{StoreError, StoreResult};
use pokeco_core::Datestamp;

use crate::errors::failed;
use crate::items::{to_item, NewMetaItem};
use crate::keys;

/// How long to wait for a new table to become active (real DynamoDB: seconds).
const ACTIVE_WAIT: Duration = Duration::from_secs(120);

/// Creates the catalog table `name` (pay per request, with the `gsi1` index) and waits until
/// it is active, then records the catalog's creation time. A table that already exists is
/// kept as it is, so this can run on every start; its creation time is written only once.
pub async fn create_table(client: &Client, name: &str) -> StoreResult<()> {
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(crate::errors::build)
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .map_err(crate::errors::build)
    };
    let gsi = GlobalSecondaryIndex::builder()
        .index_name(keys::GSI1)
        .key_schema(key(keys::GSI1PK, KeyType::Hash)?)
        .key_schema(key(keys::GSI1SK, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(crate::errors::build)?;
    let created = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr(keys::PK)?)
        .attribute_definitions(attr(keys::SK)?)
        .attribute_definitions(attr(keys::GSI1PK)?)
        .attribute_definitions(attr(keys::GSI1SK)?)
        .key_schema(key(keys::PK, KeyType::Hash)?)
        .key_schema(key(keys::SK, KeyType::Range)?)
        .global_secondary_indexes(gsi)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) => {}
        Err(e) => return Err(failed(e)),
    }
    wait_until_active(client, name).await?;

    let meta = client
        .put_item()
        .table_name(name)
        .set_item(Some(to_item(&NewMetaItem::new(Datestamp::now()))?))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", keys::PK)
        .send()
        .await;
    match meta {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(failed(e)),
    }
}

async fn wait_until_active(client: &Client, name: &str) -> StoreResult<()> {
    let step = Duration::from_millis(250);
    let mut waited = Duration::ZERO;
    loop {
        let out = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(failed)?;
        let table = out.table;
        let active =
            table.as_ref().and_then(|t| t.table_status.as_ref()) == Some(&TableStatus::Active);
        let indexes_ready = table
            .as_ref()
            .map(|t| {
                t.global_secondary_indexes().iter().all(|i| {
                    i.index_status
                        .as_ref()
                        .is_none_or(|s| s.as_str() == "ACTIVE")
                })
            })
            .unwrap_or(false);
        if active && indexes_ready {
            return Ok(());
        }
        if waited >= ACTIVE_WAIT {
            return Err(StoreError::Unavailable(format!(
                "table {name} not active after {ACTIVE_WAIT:?}"
            )));
        }
        tokio::time::sleep(step).await;
        waited += step;
    }
}
