//! lrs-sync as a Lambda function, invoked by an EventBridge schedule: drains the SQS queue into
//! the LRS until the queue is empty, `POKECO_SYNC_MAX` statements are handled, or the
//! invocation's deadline nears, then announces the run's learners to ECO when
//! `POKECO_ECO_PUSH_URL` is set. The template gives it a reserved concurrency of 1, so runs
//! never overlap; the LRS password is read from SSM once, at cold start.

use std::sync::Arc;

use lambda_runtime::{service_fn, Error, LambdaEvent};
use pokeco_core::config::{self, process_env, ConfigError, Fallbacks};
use pokeco_core::sync::SyncService;
use pokeco_lrs::{Destination, EcoPush, HttpLrs};
use serde_json::Value;

// The allocator of every pok-eco binary (see cli/src/main.rs for why).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = pokeco_lambda::start().await;
    let store = pokeco_lambda::catalog_store(&config)?;
    let queue = pokeco_lambda::statement_queue(&config)?;
    let lrs_password =
        pokeco_lambda::secret(&config, "POKECO_LRS_PASSWORD_PARAM", "POKECO_LRS_PASSWORD").await?;
    let (lrs, settings) = config::sync_settings(
        &process_env,
        Fallbacks {
            lrs_password,
            ..Fallbacks::default()
        },
    )?;
    let lrs = lrs.ok_or(ConfigError::Missing("POKECO_LRS_URL"))?;
    let lrs = HttpLrs::new(Destination::from(&lrs))?;
    let announcer = EcoPush::announcer(settings.eco_push.as_ref())?;
    let service =
        SyncService::new(Arc::new(queue), store, Arc::new(lrs), settings).with_announcer(announcer);
    let service = &service;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<_, Error>(pokeco_lrs_sync::handle(service, event.context.deadline()).await?)
    }))
    .await
}
