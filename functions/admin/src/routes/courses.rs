//! `/admin/courses` and `/admin/courses/{id}`; `/admin/courses/{id}/structure` is passed on to
//! [`super::structure`].

use std::sync::Arc;

use axum::extract::{FromRequest, Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{structure, written};
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
    request: Request,
) -> Result<Response, AdminError> {
    if let Some(course) = structure::course_of(&id) {
        return structure::put(&s, course, request).await;
    }
    let JsonDoc(doc) = JsonDoc::from_request(request, &s).await?;
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
) -> Result<Response, AdminError> {
    if let Some(course) = structure::course_of(&id) {
        return structure::get(&s, course).await;
    }
    let view: CourseView = s.catalog.get_course(&id).await?;
    Ok(Json(view).into_response())
}

pub(crate) async fn delete(
    State(s): State<Arc<AdminState>>,
    PathParam(id): PathParam,
) -> Result<Response, AdminError> {
    if let Some(course) = structure::course_of(&id) {
        return structure::delete(&s, course).await;
    }
    let view: CourseView = s.catalog.delete_course(&id).await?;
    Ok(Json(view).into_response())
}
