//! The OAI-PMH endpoint as a Lambda function behind the HTTP API. Settings come from the
//! environment (catalog.md); the token secret is read from SSM once, at cold start.

use pokeco_core::config::{self, process_env, Fallbacks};
use pokeco_oai_pmh::{router, OaiState};

// A page allocates many small strings: mimalloc cuts a fifth of its instructions.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let config = pokeco_lambda::start().await;
    let store = pokeco_lambda::catalog_store(&config)?;
    let token_secret =
        pokeco_lambda::secret(&config, "POKECO_TOKEN_SECRET_PARAM", "POKECO_TOKEN_SECRET").await?;
    let fallbacks = Fallbacks {
        token_secret: token_secret.map(String::into_bytes),
        ..Fallbacks::default()
    };
    let settings = config::oai_settings(&process_env, fallbacks)?;
    lambda_http::run(pokeco_http::lambda_path::for_lambda(router(OaiState::new(
        store, settings,
    ))))
    .await
}
