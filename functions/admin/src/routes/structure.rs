//! `/admin/courses/{id}/structure`: a course's structure, imported from the LMS's Course Blocks
//! API answer (`GET /api/courses/v1/blocks/?course_id=<id>&all_blocks=true&depth=all&
//! requested_fields=children`), read back in that shape, removed. It shares the courses'
//! wildcard route (an old-style course id holds slashes, and the router cannot put a suffix
//! after a wildcard), so the course handlers pass on paths that end in `/structure`.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pokeco_core::catalog::CourseId;
use serde_json::json;

use crate::extract::large_json;
use crate::{AdminError, AdminState, STRUCTURE_BODY_LIMIT};

/// The course id of a structure path, `<course id>/structure`. A course id never ends in
/// `/structure` itself while what precedes it is a course id too (`Org/Course/structure` is a
/// course; `Org/Course` is not), so the two routes never meet.
pub(crate) fn course_of(path: &str) -> Option<&str> {
    let id = path.strip_suffix("/structure")?;
    id.parse::<CourseId>().is_ok().then_some(id)
}

/// Imports a structure: 201 for the course's first, 200 for a replacement; the answer is
/// the structure in figures.
pub(crate) async fn put(
    s: &AdminState,
    course: &str,
    request: Request,
) -> Result<Response, AdminError> {
    let body = large_json(request, STRUCTURE_BODY_LIMIT).await?;
    let summary = s.structure.import(course, &body).await?;
    let status = if summary.replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(summary)).into_response())
}

pub(crate) async fn get(s: &AdminState, course: &str) -> Result<Response, AdminError> {
    Ok(Json(s.structure.get(course).await?).into_response())
}

pub(crate) async fn delete(s: &AdminState, course: &str) -> Result<Response, AdminError> {
    s.structure.delete(course).await?;
    Ok(Json(json!({"deleted": course})).into_response())
}

#[cfg(test)]
mod tests {
    use super::course_of;

    #[test]
    fn structure_paths_and_course_paths_never_meet() {
        assert_eq!(
            course_of("course-v1:O+C+R/structure"),
            Some("course-v1:O+C+R")
        );
        assert_eq!(course_of("O/C/R/structure"), Some("O/C/R"));
        // A course whose run is `structure`, and paths that are neither.
        assert_eq!(course_of("O/C/structure"), None);
        assert_eq!(course_of("course-v1:O+C+R"), None);
        assert_eq!(course_of("nonsense/structure"), None);
        assert_eq!(course_of("/structure"), None);
    }
}
