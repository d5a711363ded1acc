//! The admin API as a Lambda function behind the HTTP API. Settings come from the
//! environment (catalog.md); the admin token is read from SSM once, at cold start.

use pokeco_admin::{router, AdminState, AdminToken};
use pokeco_aws::lambda::{required, secret};

// The allocator of every pok-eco binary (see cli/src/main.rs for why).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, store) = pokeco_aws::lambda::start_with_catalog().await?;
    let oai_prefix = required("POKECO_OAI_PREFIX")?;
    let token = secret(&config, "POKECO_ADMIN_TOKEN_PARAM", "POKECO_ADMIN_TOKEN").await?;
    let token = token.as_deref().and_then(AdminToken::new);
    if token.is_none() {
        tracing::warn!("no admin token is configured: every admin route answers 503");
    }
    lambda_http::run(router(AdminState {
        store,
        token,
        oai_prefix,
    }))
    .await
}
