//! `/admin/courses` and `/admin/courses/{id}`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::Json;

use super::written;
use crate::catalog_service::{CourseListing, CoursePage, CourseView};
use crate::extract::{JsonDoc, PathParam, QueryArgs};
use crate::{AdminError, Shared};

pub(crate) async fn list(
    State(s): State<Arc<Shared>>,
    QueryArgs(listing): QueryArgs<CourseListing>,
) -> Result<Json<CoursePage>, AdminError> {
    Ok(Json(s.service.list_courses(&listing).await?))
}

pub(crate) async fn create(
    State(s): State<Arc<Shared>>,
    JsonDoc(doc): JsonDoc,
) -> Result<Response, AdminError> {
    Ok(written(s.service.put_course(&doc, None).await?))
}

pub(crate) async fn put(
    State(s): State<Arc<Shared>>,
    PathParam(id): PathParam,
    JsonDoc(doc): JsonDoc,
) -> Result<Response, AdminError> {
    Ok(written(s.service.put_course(&doc, Some(&id)).await?))
}

pub(crate) async fn get(
    State(s): State<Arc<Shared>>,
    PathParam(id): PathParam,
) -> Result<Json<CourseView>, AdminError> {
    Ok(Json(s.service.get_course(&id).await?))
}

pub(crate) async fn delete(
    State(s): State<Arc<Shared>>,
    PathParam(id): PathParam,
) -> Result<Json<CourseView>, AdminError> {
    Ok(Json(s.service.delete_course(&id).await?))
}
