//! The one error type of the admin API and the command line, and its one mapping to HTTP.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use pokeco_core::catalog::{Problem, Rejection};
use pokeco_core::store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No admin token is configured, so no request can be authenticated.
    #[error("the admin API is disabled: no admin token is configured (POKECO_ADMIN_TOKEN)")]
    NotConfigured,
    #[error("a valid bearer token is required (Authorization: Bearer <token>)")]
    Unauthorized,
    /// The document or request was refused; every problem is listed.
    #[error("{0}")]
    Invalid(Rejection),
    #[error("no {what} {id:?}")]
    NotFound { what: &'static str, id: String },
    /// The change would leave the catalog inconsistent (a live course names what is deleted).
    #[error("{0}")]
    Conflict(String),
    #[error("no such route")]
    NoRoute,
    #[error("the request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AdminError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotConfigured => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::NotFound { .. } | Self::NoRoute | Self::Store(StoreError::NotFound) => {
                StatusCode::NOT_FOUND
            }
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(StoreError::Corrupt(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A refusal of the request as a whole (a header, the body's framing, the query).
    pub fn invalid(path: &str, message: impl Into<String>) -> Self {
        Self::Invalid(Rejection::single(path, message))
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    problems: Option<&'a [Problem]>,
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (error, problems) = match &self {
            Self::Invalid(r) => (
                "the request was refused".to_owned(),
                Some(r.problems.as_slice()),
            ),
            Self::Store(e) => {
                // The detail goes to the log, not to the client.
                tracing::error!(error = %e, "catalog store failed");
                let message = match e {
                    StoreError::NotFound => "not found",
                    StoreError::Unavailable(_) => "the catalog store is unavailable; try again",
                    StoreError::Corrupt(_) => "the catalog store holds an unreadable item",
                };
                (message.to_owned(), None)
            }
            other => (other.to_string(), None),
        };
        let mut response = (status, Json(Body { error, problems })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
