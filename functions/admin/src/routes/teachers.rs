//! `/admin/teachers` and `/admin/teachers/{id}`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::Json;
use pokeco_core::catalog::Teacher;
use serde_json::{json, Value};

use super::written;
use crate::extract::{JsonDoc, PathParam};
use crate::{AdminError, AdminState};

/// Every one, under a key of its own so that paging can be added without breaking clients.
pub(crate) async fn list(State(s): State<Arc<AdminState>>) -> Result<Json<Value>, AdminError> {
    Ok(Json(
        json!({"teachers": s.catalog.list_teachers().await.map_err(AdminError::from)?}),
    ))
}

pub(crate) async fn create(
    State(s): State<Arc<AdminState>>,
    JsonDoc(doc): JsonDoc,
) -> Result<Response, AdminError> {
    Ok(written(
        s.catalog
            .put_teacher(&doc, None)
            .await
            .map_err(AdminError::from)?,
    ))
}

pub(crate) async fn put(
    State(s): State<Arc<AdminState>>,
    PathParam(id): PathParam,
    JsonDoc(doc): JsonDoc,
) -> Result<Response, AdminError> {
    Ok(written(
        s.catalog
            .put_teacher(&doc, Some(&id))
            .await
            .map_err(AdminError::from)?,
    ))
}

pub(crate) async fn get(
    State(s): State<Arc<AdminState>>,
    PathParam(id): PathParam,
) -> Result<Json<Teacher>, AdminError> {
    Ok(Json(
        s.catalog.get_teacher(&id).await.map_err(AdminError::from)?,
    ))
}

/// A hard delete, refused (409) while a live course names it.
pub(crate) async fn delete(
    State(s): State<Arc<AdminState>>,
    PathParam(id): PathParam,
) -> Result<Json<Teacher>, AdminError> {
    Ok(Json(
        s.catalog
            .delete_teacher(&id)
            .await
            .map_err(AdminError::from)?,
    ))
}
