//! `POST /events`: edX tracking events in, ECO statements queued, the progress projection
//! updated. The same router runs under `lambda_http::run` and inside `pokeco serve`; the rule
//! is the core's `IngestService`, shared with `pokeco replay`.
//!
//! The body is what a log shipper sends with no code in the LMS: tracking-log lines (NDJSON),
//! a JSON array or one object, plain or `Content-Encoding: gzip`, behind a bearer token. The
//! answer counts what every line became; it is 200 only once every statement it counts as
//! enqueued is in the queue and every progress state is merged.

mod error;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::header::CONTENT_ENCODING;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use pokeco_core::ingest::{read_body, BodyLimits, Encoding, IngestReport, IngestService};
use pokeco_core::secret::BearerToken;

pub use error::IngestHttpError;

/// The largest body read as sent (compressed or not). API Gateway hands a Lambda at most 6 MB,
/// base64 included for a gzipped body.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The bounds of the body once decompressed: a gzip bomb stops here, never inflated further.
pub const LIMITS: BodyLimits = BodyLimits {
    max_bytes: 32 * 1024 * 1024,
    max_events: 20_000,
};

#[derive(Clone)]
pub struct IngestState {
    pub service: IngestService,
    pub token: Option<BearerToken>,
    /// Called with each request's report (the Lambda function logs it as metrics).
    pub on_report: Option<fn(&IngestReport)>,
}

async fn events(
    State(state): State<Arc<IngestState>>,
    request: Request,
) -> Result<Json<IngestReport>, IngestHttpError> {
    let encoding = request
        .headers()
        .get(CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?"));
    let encoding = Encoding::from_header(encoding).ok_or(IngestHttpError::Encoding)?;
    let body = Bytes::from_request(request, &()).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            IngestHttpError::TooLarge(format!(
                "the request body is larger than {BODY_LIMIT} bytes"
            ))
        } else {
            IngestHttpError::Unreadable(e.body_text())
        }
    })?;
    // Inflating and parsing megabytes is CPU work: off the executor's threads.
    let lines = tokio::task::spawn_blocking(move || read_body(&body, encoding, LIMITS))
        .await
        .map_err(|e| IngestHttpError::Internal(e.to_string()))?
        .map_err(|e| IngestHttpError::TooLarge(e.to_string()))?;
    let report = state.service.ingest(lines).await?;
    if let Some(observe) = state.on_report {
        observe(&report);
    }
    Ok(Json(report))
}

pub fn router(state: IngestState) -> Router {
    let token = state.token.clone();
    let routes = Router::new().route("/events", post(events));
    pokeco_http::bearer::require(routes, token, "POKECO_INGEST_TOKEN")
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(Arc::new(state))
}
