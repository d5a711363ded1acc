//! The OAI-PMH endpoint as a Lambda function behind the HTTP API. Settings come from the
//! environment (catalog.md); the token secret is read from SSM once, at cold start.

use std::sync::Arc;

use pokeco_aws::lambda::secret;
use pokeco_core::config::{self, Fallbacks};
use pokeco_oai_pmh::{router, OaiState};

// A page allocates many small strings: mimalloc cuts a fifth of its instructions.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, store) = pokeco_aws::lambda::start_with_catalog().await?;
    let token_secret = secret(&config, "POKECO_TOKEN_SECRET_PARAM", "POKECO_TOKEN_SECRET").await?;
    let lookup = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let fallbacks = Fallbacks {
        token_secret: token_secret.map(String::into_bytes),
        ..Default::default()
    };
    let settings = config::oai_settings(lookup, fallbacks)?;
    lambda_http::run(router(OaiState {
        store,
        settings: Arc::new(settings),
    }))
    .await
}
