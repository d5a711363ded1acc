//! `/admin/sets` and `/admin/sets/{spec}`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::Json;
use pokeco_core::catalog::OaiSet;
use serde_json::{json, Value};

use super::written;
use crate::extract::{JsonDoc, PathParam};
use crate::{AdminError, Shared};

/// Every one, under a key of its own so that paging can be added without breaking clients.
pub(crate) async fn list(State(s): State<Arc<Shared>>) -> Result<Json<Value>, AdminError> {
    Ok(Json(json!({"sets": s.service.list_sets().await?})))
}

pub(crate) async fn create(
    State(s): State<Arc<Shared>>,
    JsonDoc(doc): JsonDoc,
) -> Result<Response, AdminError> {
    Ok(written(s.service.put_set(&doc, None).await?))
}

pub(crate) async fn put(
    State(s): State<Arc<Shared>>,
    PathParam(spec): PathParam,
    JsonDoc(doc): JsonDoc,
) -> Result<Response, AdminError> {
    Ok(written(s.service.put_set(&doc, Some(&spec)).await?))
}

pub(crate) async fn get(
    State(s): State<Arc<Shared>>,
    PathParam(spec): PathParam,
) -> Result<Json<OaiSet>, AdminError> {
    Ok(Json(s.service.get_set(&spec).await?))
}

/// A hard delete, refused (409) while a live course names it.
pub(crate) async fn delete(
    State(s): State<Arc<Shared>>,
    PathParam(spec): PathParam,
) -> Result<Json<OaiSet>, AdminError> {
    Ok(Json(s.service.delete_set(&spec).await?))
}
