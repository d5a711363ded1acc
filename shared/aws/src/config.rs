//! The AWS SDK configuration, loaded once at start (cold start in Lambda) and shared.

/// Reads region, credentials and endpoint (`AWS_ENDPOINT_URL`, for moto) from the
/// environment and the usual AWS sources.
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}
