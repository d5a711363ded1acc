//! `/admin/courses` and `/admin/courses/{id}`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::Json;

use super::written;
use crate::extract::{JsonDoc, PathParam, QueryArgs};
use crate::{AdminError, AdminState};
use pokeco_core::catalog::service::{CourseListing, CoursePage, CourseView};

pub(crate) async fn list(
    State(s): State<Arc<AdminState>>,
    QueryArgs(listing): QueryArgs<CourseListing>,
) -> Result<Json<CoursePage>, AdminError> {
    Ok(Json(
        s.catalog
            .list_courses(&listing)
            .await
            .map_err(AdminError::from)?,
    ))
}

pub(crate) async fn create(
    State(s): State<Arc<AdminState>>,
    JsonDoc(doc): JsonDoc,
) -> Result<Response, AdminError> {
    Ok(written(
        s.catalog
            .put_course(&doc, None)
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
            .put_course(&doc, Some(&id))
            .await
            .map_err(AdminError::from)?,
    ))
}

pub(crate) async fn get(
    State(s): State<Arc<AdminState>>,
    PathParam(id): PathParam,
) -> Result<Json<CourseView>, AdminError> {
    Ok(Json(
        s.catalog.get_course(&id).await.map_err(AdminError::from)?,
    ))
}

pub(crate) async fn delete(
    State(s): State<Arc<AdminState>>,
    PathParam(id): PathParam,
) -> Result<Json<CourseView>, AdminError> {
    Ok(Json(
        s.catalog
            .delete_course(&id)
            .await
            .map_err(AdminError::from)?,
    ))
}
