//! The admin API's errors: its own transport refusals, and the services' (catalog, pipeline,
//! course structures), each mapped to HTTP here and nowhere else (store failures through `pokeco-http`'s one mapping).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pokeco_core::catalog::{CatalogError, Rejection};
use pokeco_core::pipeline::PipelineError;
use pokeco_core::queue::QueueError;
use pokeco_core::structure::StructureError;
use pokeco_http::JsonError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The request itself was malformed (its query, its JSON); every problem is listed.
    #[error("{0}")]
    BadRequest(Rejection),
    #[error("the body must be {kind} (Content-Type: {content_type})")]
    UnsupportedMediaType {
        kind: &'static str,
        content_type: &'static str,
    },
    #[error("the request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("no such route")]
    NoRoute,
    #[error("this route does not take that method")]
    MethodNotAllowed,
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Structure(#[from] StructureError),
}

impl AdminError {
    /// A refusal of the request as a whole (a header, the body's framing, the query).
    pub fn bad_request(path: &str, message: impl Into<String>) -> Self {
        Self::BadRequest(Rejection::single(path, message))
    }

    fn json(self) -> JsonError {
        let status = match &self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NoRoute => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Catalog(e) => match e {
                CatalogError::Invalid(_) => StatusCode::BAD_REQUEST,
                CatalogError::NotFound { .. } => StatusCode::NOT_FOUND,
                CatalogError::Conflict(_) => StatusCode::CONFLICT,
                CatalogError::Store(store) => return JsonError::store(store),
            },
            Self::Structure(e) => match e {
                StructureError::Invalid(_) => StatusCode::BAD_REQUEST,
                StructureError::NoCourse(_) | StructureError::NoStructure(_) => {
                    StatusCode::NOT_FOUND
                }
                StructureError::Store(store) => return JsonError::store(store),
            },
            Self::Pipeline(e) => match e {
                PipelineError::Invalid(_) => StatusCode::BAD_REQUEST,
                PipelineError::NotFound(_) => StatusCode::NOT_FOUND,
                PipelineError::Conflict(_) => StatusCode::CONFLICT,
                PipelineError::Store(store) => return JsonError::store(store),
                PipelineError::Queue(queue) => {
                    tracing::error!(error = %queue, "queue failed");
                    return JsonError::new(
                        match queue {
                            QueueError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                            _ => StatusCode::INTERNAL_SERVER_ERROR,
                        },
                        "the queue is unavailable; try again",
                    );
                }
            },
        };
        match self {
            Self::BadRequest(r)
            | Self::Catalog(CatalogError::Invalid(r))
            | Self::Structure(StructureError::Invalid(r)) => JsonError {
                status,
                error: "the request was refused".to_owned(),
                problems: r.problems,
            },
            other => JsonError::new(status, other.to_string()),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        self.json().into_response()
    }
}
