//! The ingest API's errors, mapped to HTTP here and nowhere else.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pokeco_core::ingest::IngestError;
use pokeco_core::queue::QueueError;
use pokeco_core::store::StoreError;
use pokeco_http::JsonError;

#[derive(Debug, thiserror::Error)]
pub enum IngestHttpError {
    #[error("Content-Encoding must be gzip or identity")]
    Encoding,
    /// The body, compressed or not, or its event count, is past a bound: nothing was taken.
    #[error("{0}")]
    TooLarge(String),
    #[error("could not read the body: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl IntoResponse for IngestHttpError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::Encoding => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unreadable(_) => StatusCode::BAD_REQUEST,
            Self::Ingest(IngestError::Store(e)) => return JsonError::store(e).into_response(),
            Self::Ingest(IngestError::Queue(e)) => {
                tracing::error!(error = %e, "queue failed: the request is answered 503");
                match e {
                    QueueError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                    QueueError::Rejected(_) | QueueError::Corrupt(_) => {
                        StatusCode::INTERNAL_SERVER_ERROR
                    }
                }
            }
            Self::Ingest(IngestError::Progress(e)) => {
                tracing::error!(error = %e, "progress store failed: the request is answered 503");
                match e {
                    StoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                }
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &self {
            // The sender retries the whole request: statement ids make that harmless.
            Self::Ingest(IngestError::Queue(_)) => {
                "the queue is unavailable: nothing is claimed, send the events again".to_owned()
            }
            Self::Ingest(IngestError::Progress(_)) => {
                "the progress store is unavailable: nothing is claimed, send the events again"
                    .to_owned()
            }
            other => other.to_string(),
        };
        JsonError::new(status, message).into_response()
    }
}
