//! `POST /events` as a Lambda function behind the HTTP API: links, tracked courses, course
//! titles and structures from the DynamoDB table, statements to the SQS queue, progress states
//! merged into the table. The ingest token is read from SSM once, at cold start.

use std::sync::Arc;

use pokeco_core::config::{self, process_env, Fallbacks};
use pokeco_core::ingest::{IngestReport, IngestService};
use pokeco_ingest::{router, IngestState};
use pokeco_lambda::metrics::{self, Metric};

// The allocator of every pok-eco binary (see cli/src/main.rs for why).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Each request's counts as embedded metrics (CloudWatch sums them per period).
fn emit_metrics(report: &IngestReport) {
    metrics::emit(&[
        Metric::count("EventsIngested", report.events),
        Metric::count("StatementsQueued", report.enqueued),
        Metric::count("EventsRejected", report.rejected),
    ]);
}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let config = pokeco_lambda::start().await;
    let store = pokeco_lambda::catalog_store(&config)?;
    let queue = pokeco_lambda::statement_queue(&config)?;
    let ingest_token =
        pokeco_lambda::secret(&config, "POKECO_INGEST_TOKEN_PARAM", "POKECO_INGEST_TOKEN").await?;
    let settings = config::ingest_settings(
        &process_env,
        Fallbacks {
            ingest_token,
            ..Fallbacks::default()
        },
    )?;
    if settings.token.is_none() {
        tracing::warn!("no ingest token is configured: POST /events answers 503");
    }
    let service = IngestService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        Arc::new(queue),
        settings.profile,
        settings.tracked,
        settings.buckets,
    )
    .with_structures(store);
    let state = IngestState {
        service,
        token: settings.token,
        on_report: Some(emit_metrics),
    };
    lambda_http::run(pokeco_http::lambda_path::for_lambda(router(state))).await
}
