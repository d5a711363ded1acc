//! What every Lambda entry point does at cold start: JSON logs, the SDK configuration,
//! required settings, and secrets given either as an SSM parameter name (the template's way)
//! or as a value (other deployments).

use std::sync::Arc;

use pokeco_aws::{DynamoStore, SqsQueue};
use pokeco_core::config::{process_env, ConfigError};

use crate::secrets::{read_parameter, SecretError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// Starts JSON logging (CloudWatch keeps one object per line; `RUST_LOG` filters, default
/// `info`) and loads the SDK configuration once, to be shared by every client.
pub async fn start() -> aws_config::SdkConfig {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .without_time()
        .init();
    pokeco_aws::load_config().await
}

/// The catalog store on the table `POKECO_TABLE` names, shared by every request of this
/// instance.
pub fn catalog_store(config: &aws_config::SdkConfig) -> Result<Arc<DynamoStore>, StartupError> {
    let table = process_env("POKECO_TABLE").ok_or(ConfigError::Missing("POKECO_TABLE"))?;
    Ok(Arc::new(DynamoStore::from_config(config, table)))
}

/// The statement queue `POKECO_QUEUE_URL` names (its dead-letter queue is found from its
/// redrive policy when needed).
pub fn statement_queue(config: &aws_config::SdkConfig) -> Result<SqsQueue, StartupError> {
    let url = process_env("POKECO_QUEUE_URL").ok_or(ConfigError::Missing("POKECO_QUEUE_URL"))?;
    Ok(SqsQueue::from_config(config, url))
}

/// The secret named by SSM parameter `$param_var` when it is set, else the value of
/// `$value_var`, else `None`.
pub async fn secret(
    config: &aws_config::SdkConfig,
    param_var: &str,
    value_var: &str,
) -> Result<Option<String>, StartupError> {
    match process_env(param_var) {
        Some(name) => Ok(Some(read_parameter(config, &name).await?)),
        None => Ok(process_env(value_var)),
    }
}
