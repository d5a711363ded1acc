//! The admin API as a Lambda function behind the HTTP API, over the DynamoDB table (catalog,
//! course structures, pipeline state) and the SQS queue (redrives). Settings come from the environment (catalog.md); the admin token is read
//! from SSM once, at cold start.

use pokeco_admin::{router, AdminState};
use pokeco_core::catalog::CatalogService;
use std::sync::Arc;

use pokeco_core::config::{self, process_env, Fallbacks};
use pokeco_core::pipeline::PipelineService;
use pokeco_core::structure::StructureService;

// The allocator of every pok-eco binary (see cli/src/main.rs for why).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let config = pokeco_lambda::start().await;
    let store = pokeco_lambda::catalog_store(&config)?;
    let queue = pokeco_lambda::statement_queue(&config)?;
    let admin_token =
        pokeco_lambda::secret(&config, "POKECO_ADMIN_TOKEN_PARAM", "POKECO_ADMIN_TOKEN").await?;
    let settings = config::admin_settings(
        &process_env,
        Fallbacks {
            admin_token,
            ..Fallbacks::default()
        },
    )?;
    if settings.token.is_none() {
        tracing::warn!("no admin token is configured: every admin route answers 503");
    }
    let state = AdminState {
        catalog: CatalogService::new(store.clone(), settings.prefix.clone()),
        structure: StructureService::new(store.clone(), store.clone(), settings.prefix),
        pipeline: PipelineService::new(store, Arc::new(queue), settings.tracked),
        token: settings.token,
    };
    lambda_http::run(pokeco_http::lambda_path::for_lambda(router(state))).await
}
