//! `/admin/delivery` and `/admin/failed`: how far delivery is behind, and the statements the
//! LRS refused, with its answers.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use pokeco_core::pipeline::{DeliveryStatus, FailedStatement};
use pokeco_core::sync::Redriven;
use serde::Deserialize;
use serde_json::{json, Value};

use super::Paging;
use crate::extract::{typed, JsonDoc, PathParam, QueryArgs};
use crate::{AdminError, AdminState};

pub(crate) async fn status(
    State(s): State<Arc<AdminState>>,
) -> Result<Json<DeliveryStatus>, AdminError> {
    Ok(Json(s.pipeline.status().await?))
}

pub(crate) async fn list(
    State(s): State<Arc<AdminState>>,
    QueryArgs(paging): QueryArgs<Paging>,
) -> Result<Json<Value>, AdminError> {
    let page = s
        .pipeline
        .list_failed(paging.after.as_deref(), paging.limit)
        .await?;
    let next = page
        .more
        .then(|| page.failed.last().map(|f| f.id().to_owned()))
        .flatten();
    Ok(Json(json!({"failed": page.failed, "next": next})))
}

pub(crate) async fn get(
    State(s): State<Arc<AdminState>>,
    PathParam(id): PathParam,
) -> Result<Json<FailedStatement>, AdminError> {
    Ok(Json(s.pipeline.get_failed(&id).await?))
}

/// Forgets a refused statement for good.
pub(crate) async fn delete(
    State(s): State<Arc<AdminState>>,
    PathParam(id): PathParam,
) -> Result<Json<Value>, AdminError> {
    s.pipeline.drop_failed(&id).await?;
    Ok(Json(json!({"dropped": id})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedriveDoc {
    /// These statements; without it, every refused statement and every dead letter.
    ids: Option<Vec<String>>,
}

pub(crate) async fn redrive(
    State(s): State<Arc<AdminState>>,
    JsonDoc(doc): JsonDoc,
) -> Result<Json<Redriven>, AdminError> {
    let doc: RedriveDoc = typed(doc, r#"{"ids": [...]} or {}"#)?;
    Ok(Json(s.pipeline.redrive(doc.ids.as_deref()).await?))
}
