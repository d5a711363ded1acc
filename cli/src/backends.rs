//! What the operator commands work on: the DynamoDB table and SQS queue of a deployment when
//! `POKECO_TABLE` is set (and `POKECO_QUEUE_URL` for the commands that queue), else the
//! embedded store and queue of the data folder, which a running `pokeco serve` shares.

use std::path::Path;
use std::sync::Arc;

use pokeco_core::config::{process_env, ConfigError};
use pokeco_core::pipeline::PipelineStore;
use pokeco_core::progress::ProgressStore;
use pokeco_core::queue::StatementQueue;
use pokeco_core::store::CatalogStore;

use crate::serve::{CATALOG_FILE, MAX_RECEIVES, QUEUE_FILE};

pub type AnyError = Box<dyn std::error::Error>;

pub struct Backends {
    pub catalog: Arc<dyn CatalogStore>,
    pub pipeline: Arc<dyn PipelineStore>,
    pub progress: Arc<dyn ProgressStore>,
    pub queue: Arc<dyn StatementQueue>,
}

/// The catalog store alone (the catalog verbs need no queue).
///
/// # Errors
/// The data folder or its file unusable.
pub async fn open_catalog(data: &Path) -> Result<Arc<dyn CatalogStore>, AnyError> {
    Ok(match process_env("POKECO_TABLE") {
        Some(table) => {
            let config = pokeco_aws::load_config().await;
            Arc::new(pokeco_aws::DynamoStore::from_config(&config, table))
        }
        None => {
            std::fs::create_dir_all(data)?;
            Arc::new(pokeco_local::SqliteStore::open(&data.join(CATALOG_FILE))?)
        }
    })
}

/// The stores (and the queue) of a deployment or of the data folder.
///
/// # Errors
/// `POKECO_QUEUE_URL` missing beside `POKECO_TABLE`; the data folder or its files unusable.
pub async fn open(data: &Path) -> Result<Backends, AnyError> {
    match process_env("POKECO_TABLE") {
        Some(table) => {
            let queue_url =
                process_env("POKECO_QUEUE_URL").ok_or(ConfigError::Missing("POKECO_QUEUE_URL"))?;
            let config = pokeco_aws::load_config().await;
            let store = Arc::new(pokeco_aws::DynamoStore::from_config(&config, table));
            Ok(Backends {
                catalog: store.clone(),
                pipeline: store.clone(),
                progress: store,
                queue: Arc::new(pokeco_aws::SqsQueue::from_config(&config, queue_url)),
            })
        }
        None => {
            std::fs::create_dir_all(data)?;
            let store = Arc::new(pokeco_local::SqliteStore::open(&data.join(CATALOG_FILE))?);
            let queue = pokeco_local::SqliteQueue::open(&data.join(QUEUE_FILE), MAX_RECEIVES)?;
            Ok(Backends {
                catalog: store.clone(),
                pipeline: store.clone(),
                progress: store,
                queue: Arc::new(queue),
            })
        }
    }
}
