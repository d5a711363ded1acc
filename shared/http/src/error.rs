//! The JSON error body of every pok-eco API, and the one mapping of store errors to HTTP.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use pokeco_core::catalog::Problem;
use pokeco_core::store::StoreError;
use serde::Serialize;

/// Seconds a client is asked to wait after a 503.
pub const RETRY_AFTER_SECONDS: u32 = 30;

/// How every function answers a store failure:
///
/// | store error   | status | meaning for the client                                   |
/// |---------------|--------|----------------------------------------------------------|
/// | `NotFound`    | 404    | no such record                                           |
/// | `Conflict`    | 409    | the write would break a reference; change the data first |
/// | `Unavailable` | 503    | try again later (with `Retry-After`)                     |
/// | `Rejected`    | 500    | refused permanently; retrying cannot help (a bug here)   |
/// | `Corrupt`     | 500    | a stored item cannot be read; retrying cannot help       |
pub fn store_status(e: &StoreError) -> StatusCode {
    match e {
        StoreError::NotFound => StatusCode::NOT_FOUND,
        StoreError::Conflict(_) => StatusCode::CONFLICT,
        StoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        StoreError::Rejected(_) | StoreError::Corrupt(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The sentence a client reads for a store failure; the detail goes to the log only.
pub fn store_message(e: &StoreError) -> &'static str {
    match e {
        StoreError::NotFound => "not found",
        StoreError::Conflict(_) => "the change conflicts with the catalog",
        StoreError::Unavailable(_) => "the store is unavailable; try again",
        StoreError::Rejected(_) => "the store refused the request; retrying will not help",
        StoreError::Corrupt(_) => "the store holds an unreadable item",
    }
}

/// `{"error": "...", "problems": [{"path", "message"}...]}` with a status.
#[derive(Debug)]
pub struct JsonError {
    pub status: StatusCode,
    pub error: String,
    pub problems: Vec<Problem>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "<[Problem]>::is_empty")]
    problems: &'a [Problem],
}

impl JsonError {
    pub fn new(status: StatusCode, error: impl Into<String>) -> Self {
        Self {
            status,
            error: error.into(),
            problems: Vec::new(),
        }
    }

    /// A store failure, logged with its detail and answered with the mapping above.
    pub fn store(e: &StoreError) -> Self {
        if !matches!(e, StoreError::NotFound | StoreError::Conflict(_)) {
            tracing::error!(error = %e, "store failed");
        }
        let message = match e {
            // A conflict's own sentence says what to change.
            StoreError::Conflict(why) => why.clone(),
            other => store_message(other).to_owned(),
        };
        Self::new(store_status(e), message)
    }
}

impl IntoResponse for JsonError {
    fn into_response(self) -> Response {
        let body = Body {
            error: &self.error,
            problems: &self.problems,
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        match self.status {
            StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            }
            StatusCode::UNAUTHORIZED => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_store_error_has_one_status() {
        let cases = [
            (StoreError::NotFound, 404),
            (StoreError::Conflict("c".into()), 409),
            (StoreError::Unavailable("u".into()), 503),
            (StoreError::Rejected("r".into()), 500),
            (StoreError::Corrupt("x".into()), 500),
        ];
        for (e, status) in cases {
            assert_eq!(store_status(&e).as_u16(), status, "{e:?}");
            let response = JsonError::store(&e).into_response();
            assert_eq!(response.status().as_u16(), status);
            assert_eq!(
                response.headers().contains_key(header::RETRY_AFTER),
                status == 503,
                "only a retryable failure asks to retry: {e:?}"
            );
        }
    }
}
