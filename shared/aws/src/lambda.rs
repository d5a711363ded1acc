//! What every Lambda entry point does at cold start: JSON logs, the SDK configuration,
//! required settings, and secrets given either as an SSM parameter name (the template's way)
//! or as a value (other deployments).

use crate::secrets::{read_parameter, SecretError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("the setting {0} is required")]
    Missing(&'static str),
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
    crate::load_config().await
}

/// [`start`], then the catalog store on the table `POKECO_TABLE` names, shared by every
/// request of this instance.
pub async fn start_with_catalog(
) -> Result<(aws_config::SdkConfig, std::sync::Arc<crate::DynamoStore>), StartupError> {
    let config = start().await;
    let table = required("POKECO_TABLE")?;
    let store = std::sync::Arc::new(crate::DynamoStore::from_config(&config, table));
    Ok((config, store))
}

/// A non-empty environment variable.
pub fn required(name: &'static str) -> Result<String, StartupError> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or(StartupError::Missing(name))
}

/// The secret named by SSM parameter `$param_var` when it is set, else the value of
/// `$value_var`, else `None`.
pub async fn secret(
    config: &aws_config::SdkConfig,
    param_var: &str,
    value_var: &str,
) -> Result<Option<String>, StartupError> {
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match set(param_var) {
        Some(name) => Ok(Some(read_parameter(config, &name).await?)),
        None => Ok(set(value_var)),
    }
}
