//! What every Lambda entry point reads at cold start: required settings and secrets given
//! either as an SSM parameter name (the template's way) or as a value (other deployments).

use crate::secrets::{read_parameter, SecretError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("the setting {0} is required")]
    Missing(&'static str),
    #[error(transparent)]
    Secret(#[from] SecretError),
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
