//! `/admin/links`: which ECO user each edX user is.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use pokeco_core::pipeline::{Link, LinkImport};
use serde::Deserialize;
use serde_json::{json, Value};

use super::Paging;
use crate::extract::{typed, CsvText, JsonDoc, PathParam, QueryArgs};
use crate::{AdminError, AdminState};

pub(crate) async fn list(
    State(s): State<Arc<AdminState>>,
    QueryArgs(paging): QueryArgs<Paging>,
) -> Result<Json<Value>, AdminError> {
    let page = s
        .pipeline
        .list_links(paging.after.as_deref(), paging.limit)
        .await?;
    let next = page
        .more
        .then(|| page.links.last().map(|l| l.edx_user_id.to_string()))
        .flatten();
    Ok(Json(json!({"links": page.links, "next": next})))
}

/// A CSV export of the LMS (`user_id,uid`): the good lines are written, the others reported.
pub(crate) async fn import(
    State(s): State<Arc<AdminState>>,
    CsvText(csv): CsvText,
) -> Result<Json<LinkImport>, AdminError> {
    Ok(Json(s.pipeline.import_links(&csv).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkDoc {
    eco_sub: String,
}

pub(crate) async fn put(
    State(s): State<Arc<AdminState>>,
    PathParam(user): PathParam,
    JsonDoc(doc): JsonDoc,
) -> Result<Json<Link>, AdminError> {
    let doc: LinkDoc = typed(doc, r#"{"eco_sub": "..."}"#)?;
    Ok(Json(s.pipeline.put_link(&user, &doc.eco_sub).await?))
}

pub(crate) async fn get(
    State(s): State<Arc<AdminState>>,
    PathParam(user): PathParam,
) -> Result<Json<Link>, AdminError> {
    Ok(Json(s.pipeline.get_link(&user).await?))
}

pub(crate) async fn delete(
    State(s): State<Arc<AdminState>>,
    PathParam(user): PathParam,
) -> Result<Json<Value>, AdminError> {
    s.pipeline.delete_link(&user).await?;
    Ok(Json(json!({"deleted": user})))
}
