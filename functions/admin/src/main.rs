//! The admin API as a Lambda function behind the HTTP API. Settings come from the
//! environment (catalog.md); the admin token is read once, at cold start.

use std::sync::Arc;

use pokeco_admin::{router, AdminState, AdminToken};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .without_time()
        .init();
    let table = required("POKECO_TABLE")?;
    let oai_prefix = required("POKECO_OAI_PREFIX")?;
    let config = pokeco_aws::load_config().await;
    // The template passes the SSM parameter's name; a direct value is for other deployments.
    let secret = match std::env::var("POKECO_ADMIN_TOKEN_PARAM")
        .ok()
        .filter(|n| !n.is_empty())
    {
        Some(name) => Some(pokeco_aws::secrets::read_parameter(&config, &name).await?),
        None => std::env::var("POKECO_ADMIN_TOKEN").ok(),
    };
    let token = secret.as_deref().and_then(AdminToken::new);
    if token.is_none() {
        tracing::warn!("no admin token is configured: every admin route answers 503");
    }
    let store = Arc::new(pokeco_aws::DynamoStore::from_config(&config, table));
    lambda_http::run(router(AdminState {
        store,
        token,
        oai_prefix,
    }))
    .await
}

fn required(name: &str) -> Result<String, lambda_http::Error> {
    let value = std::env::var(name).ok().filter(|v| !v.is_empty());
    value.ok_or_else(|| format!("the setting {name} is required").into())
}
