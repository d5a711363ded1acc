//! `/admin/tracked-courses`: whose events become statements.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use pokeco_core::pipeline::TrackedView;
use serde_json::{json, Value};

use crate::extract::PathParam;
use crate::{AdminError, AdminState};

pub(crate) async fn list(
    State(s): State<Arc<AdminState>>,
) -> Result<Json<TrackedView>, AdminError> {
    Ok(Json(s.pipeline.tracked().await?))
}

/// Tracks a course id, or `*` for every course.
pub(crate) async fn put(
    State(s): State<Arc<AdminState>>,
    PathParam(course): PathParam,
) -> Result<Json<Value>, AdminError> {
    let tracked = s.pipeline.track(&course).await?;
    Ok(Json(json!({"tracked": tracked})))
}

pub(crate) async fn delete(
    State(s): State<Arc<AdminState>>,
    PathParam(course): PathParam,
) -> Result<Json<Value>, AdminError> {
    s.pipeline.untrack(&course).await?;
    Ok(Json(json!({"untracked": course})))
}
