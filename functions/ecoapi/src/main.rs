//! `GET /ecoapi/...` as a Lambda function behind the HTTP API: the catalog and the progress
//! projection from the DynamoDB table, the queue's depth for the readiness view. The access
//! token, when the mode is `token`, is read from SSM once, at cold start.

use std::collections::BTreeSet;
use std::sync::Arc;

use pokeco_core::config::{self, process_env, Fallbacks};
use pokeco_core::pipeline::PipelineService;
use pokeco_core::structure::StructureService;
use pokeco_ecoapi::{router, CourseFactsCache, EcoapiState};

// The allocator of every pok-eco binary (see cli/src/main.rs for why).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let config = pokeco_lambda::start().await;
    let store = pokeco_lambda::catalog_store(&config)?;
    let queue = pokeco_lambda::statement_queue(&config)?;
    let ecoapi_token =
        pokeco_lambda::secret(&config, "POKECO_ECOAPI_TOKEN_PARAM", "POKECO_ECOAPI_TOKEN").await?;
    let settings = config::ecoapi_settings(
        &process_env,
        Fallbacks {
            ecoapi_token,
            ..Fallbacks::default()
        },
    )?;
    let state = EcoapiState {
        catalog: store.clone(),
        delivery: Some(PipelineService::new(
            store.clone(),
            Arc::new(queue),
            BTreeSet::new(),
        )),
        access: settings.access,
        structures: StructureService::new(store.clone(), store.clone(), settings.prefix),
        progress: store,
        buckets: settings.buckets,
        facts: CourseFactsCache::default(),
    };
    lambda_http::run(pokeco_http::lambda_path::for_lambda(router(state))).await
}
