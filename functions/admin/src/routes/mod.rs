//! Handlers of `/admin/...`, one module per kind of record.

pub(crate) mod courses;
pub(crate) mod delivery;
pub(crate) mod links;
pub(crate) mod sets;
pub(crate) mod structure;
pub(crate) mod teachers;
pub(crate) mod tracked;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

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

/// `?after=<last key of the previous page>&limit=<n>` of the pipeline's listings.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Paging {
    after: Option<String>,
    limit: Option<usize>,
}
