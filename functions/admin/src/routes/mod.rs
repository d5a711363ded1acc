//! Handlers of `/admin/...`, one module per kind of catalog record.

pub(crate) mod courses;
pub(crate) mod sets;
pub(crate) mod teachers;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use pokeco_core::catalog::service::Written;

/// 201 for a new record, 200 for a replaced one.
fn written<T: Serialize>(w: Written<T>) -> Response {
    let status = if w.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(w)).into_response()
}
