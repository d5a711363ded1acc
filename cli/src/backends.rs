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
use pokeco_core::structure::StructureStore;

use crate::serve::{CATALOG_FILE, MAX_RECEIVES, QUEUE_FILE};

pub type AnyError = Box<dyn std::error::Error>;

pub struct Backends {
    pub catalog: Arc<dyn CatalogStore>,
    pub pipeline: Arc<dyn PipelineStore>,
    pub structure: Arc<dyn StructureStore>,
    pub progress: Arc<dyn ProgressStore>,
    pub queue: Arc<dyn StatementQueue>,
}

/// The one store of a deployment (its table) or of the data folder, as each of its ports.
pub struct Stores {
    pub catalog: Arc<dyn CatalogStore>,
    pub pipeline: Arc<dyn PipelineStore>,
    pub structure: Arc<dyn StructureStore>,
    pub progress: Arc<dyn ProgressStore>,
}

impl Stores {
    fn of<S>(store: Arc<S>) -> Self
    where
        S: CatalogStore + PipelineStore + StructureStore + ProgressStore + 'static,
    {
        Self {
            catalog: store.clone(),
            pipeline: store.clone(),
            structure: store.clone(),
            progress: store,
        }
    }
}

/// The stores alone (the catalog and structure verbs need no queue): DynamoDB's when
/// `POKECO_TABLE` is set, else the data folder's.
///
/// # Errors
/// The data folder or its file unusable.
pub async fn open_stores(data: &Path) -> Result<Stores, AnyError> {
    Ok(match process_env("POKECO_TABLE") {
        Some(table) => {
            let config = pokeco_aws::load_config().await;
            Stores::of(Arc::new(pokeco_aws::DynamoStore::from_config(
                &config, table,
            )))
        }
        None => {
            std::fs::create_dir_all(data)?;
            Stores::of(Arc::new(pokeco_local::SqliteStore::open(
                &data.join(CATALOG_FILE),
            )?))
        }
    })
}

/// The catalog store alone.
///
/// # Errors
/// The data folder or its file unusable.
pub async fn open_catalog(data: &Path) -> Result<Arc<dyn CatalogStore>, AnyError> {
    Ok(open_stores(data).await?.catalog)
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
            let stores = Stores::of(Arc::new(pokeco_aws::DynamoStore::from_config(
                &config, table,
            )));
            Ok(Backends {
                catalog: stores.catalog,
                pipeline: stores.pipeline,
                structure: stores.structure,
                progress: stores.progress,
                queue: Arc::new(pokeco_aws::SqsQueue::from_config(&config, queue_url)),
            })
        }
        None => {
            std::fs::create_dir_all(data)?;
            let stores = open_stores(data).await?;
            let queue = pokeco_local::SqliteQueue::open(&data.join(QUEUE_FILE), MAX_RECEIVES)?;
            Ok(Backends {
                catalog: stores.catalog,
                pipeline: stores.pipeline,
                structure: stores.structure,
                progress: stores.progress,
                queue: Arc::new(queue),
            })
        }
    }
}
