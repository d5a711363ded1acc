//! Secrets from SSM Parameter Store. The template passes parameter *names*; a function reads
//! the values once at cold start. Values never appear in errors or logs.

use aws_sdk_ssm::error::DisplayErrorContext;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("SSM parameter {name:?} could not be read: {reason}")]
    Unavailable { name: String, reason: String },
    #[error("SSM parameter {0:?} has no value")]
    Empty(String),
}

/// The value of SSM parameter `name`, decrypted if it is a SecureString.
pub async fn read_parameter(
    config: &aws_config::SdkConfig,
    name: &str,
) -> Result<String, SecretError> {
    let client = aws_sdk_ssm::Client::new(config);
    let out = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| SecretError::Unavailable {
            name: name.to_owned(),
            reason: DisplayErrorContext(&e).to_string(),
        })?;
    out.parameter
        .and_then(|p| p.value)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| SecretError::Empty(name.to_owned()))
}
