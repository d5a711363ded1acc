//! The lrs-sync function's handler: one scheduled invocation is one sync run, given the time the
//! invocation has left minus a margin for deleting the last round's messages and answering.
//! Each run logs its figures as embedded metrics (statements delivered and refused, the lag).

use std::time::{Duration, Instant, SystemTime};

use pokeco_core::sync::{SyncError, SyncReport, SyncService};
use pokeco_lambda::metrics::{self, Metric};

/// Time kept back from the deadline for deleting the last round's messages and answering.
pub const MARGIN: Duration = Duration::from_secs(5);

/// One run, until `deadline` (the invocation's, from its context) less [`MARGIN`]. An LRS that is
/// unavailable is not an error of the invocation (the report says `stopped`): the messages wait
/// for the next run, and the queue-age alarm tells when that lasts.
///
/// # Errors
/// The queue or the store failed.
pub async fn handle(service: &SyncService, deadline: SystemTime) -> Result<SyncReport, SyncError> {
    let left = deadline
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    let report = service
        .run(Instant::now() + left.saturating_sub(MARGIN))
        .await?;
    if let Some(why) = &report.stopped {
        tracing::warn!(reason = %why, "the LRS is unavailable: the rest waits for the next run");
    }
    for id in &report.corrupt {
        tracing::error!(message = %id, "a queued message is not a statement array: left for the dead letters");
    }
    tracing::info!(
        messages = report.messages,
        delivered = report.delivered,
        refused = report.refused,
        requests = report.requests,
        announced = report.announced,
        unannounced = report.unannounced,
        "sync run"
    );
    let mut figures = vec![
        Metric::count("StatementsDelivered", report.delivered),
        Metric::count("StatementsRefused", report.refused),
    ];
    if let Some(lag) = report.lag_seconds {
        figures.push(Metric::seconds("SyncLagSeconds", lag));
    }
    metrics::emit(&figures);
    Ok(report)
}
