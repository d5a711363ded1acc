//! The admin API (`/admin/...`) as an axum router: the catalog's courses (and their
//! structures), teachers and sets, and the pipeline's links, tracked courses and refused
//! statements, behind a bearer token. The same router runs under `lambda_http::run` and inside
//! `pokeco serve`; the rules are the core's `CatalogService`, `StructureService` and
//! `PipelineService`, shared with the `pokeco` command line.
//!
//! | route | methods |
//! |---|---|
//! | `/admin/courses` | GET (list: `limit`, `after`, `deleted`), POST |
//! | `/admin/courses/{course_id}` | GET, PUT, DELETE (soft) |
//! | `/admin/courses/{course_id}/structure` | GET, PUT (the Course Blocks API's JSON, up to 8 MiB), DELETE |
//! | `/admin/teachers`, `/admin/sets` | GET (list), POST |
//! | `/admin/teachers/{id}`, `/admin/sets/{spec}` | GET, PUT, DELETE (409 while a live course names it) |
//! | `/admin/links` | GET (list: `after`, `limit`) |
//! | `/admin/links/import` | POST (`text/csv`: edX user id, ECO sub) |
//! | `/admin/links/{edx_user_id}` | GET, PUT (`{"eco_sub"}`), DELETE |
//! | `/admin/tracked-courses` | GET |
//! | `/admin/tracked-courses/{course_id or *}` | PUT, DELETE |
//! | `/admin/delivery` | GET (queue depth, dead letters, refused statements) |
//! | `/admin/failed` | GET (list: `after`, `limit`) |
//! | `/admin/failed/{statement_id}` | GET, DELETE (drop) |
//! | `/admin/failed/redrive` | POST (`{"ids": [...]}`, or `{}` for all and the dead letters) |
//!
//! An id is the whole rest of the path, so old-style course ids (`Org/Course/Run`) work whether
//! the slashes arrive encoded (a socket) or decoded (API Gateway).

mod error;
mod extract;
mod routes;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;
use pokeco_core::catalog::CatalogService;
use pokeco_core::pipeline::PipelineService;
use pokeco_core::secret::BearerToken;
use pokeco_core::structure::{StructureService, MAX_STRUCTURE_BYTES};

pub use error::AdminError;

/// The largest request body the admin API reads, but for course structures.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// The largest course structure body: a large course's Course Blocks API answer. (In Lambda,
/// the invocation's 6 MB payload limit comes first.)
pub const STRUCTURE_BODY_LIMIT: usize = MAX_STRUCTURE_BYTES;

/// What the admin router needs. Without a token every route answers 503.
#[derive(Clone)]
pub struct AdminState {
    pub catalog: CatalogService,
    pub structure: StructureService,
    pub pipeline: PipelineService,
    pub token: Option<BearerToken>,
}

pub fn router(state: AdminState) -> Router {
    let token = state.token.clone();
    let state = Arc::new(state);
    use routes::{courses, delivery, links, sets, teachers, tracked};
    let routes = Router::new()
        .route("/admin/courses", get(courses::list).post(courses::create))
        .route(
            "/admin/courses/{*id}",
            get(courses::get).put(courses::put).delete(courses::delete),
        )
        .route(
            "/admin/teachers",
            get(teachers::list).post(teachers::create),
        )
        .route(
            "/admin/teachers/{*id}",
            get(teachers::get)
                .put(teachers::put)
                .delete(teachers::delete),
        )
        .route("/admin/sets", get(sets::list).post(sets::create))
        .route(
            "/admin/sets/{*spec}",
            get(sets::get).put(sets::put).delete(sets::delete),
        )
        .route("/admin/links", get(links::list))
        .route("/admin/links/import", post(links::import))
        .route(
            "/admin/links/{*user}",
            get(links::get).put(links::put).delete(links::delete),
        )
        .route("/admin/tracked-courses", get(tracked::list))
        .route(
            "/admin/tracked-courses/{*course}",
            put(tracked::put).delete(tracked::delete),
        )
        .route("/admin/delivery", get(delivery::status))
        .route("/admin/failed", get(delivery::list))
        .route("/admin/failed/redrive", post(delivery::redrive))
        .route(
            "/admin/failed/{*id}",
            get(delivery::get).delete(delivery::delete),
        );
    pokeco_http::bearer::require(routes, token, "POKECO_ADMIN_TOKEN")
        // JSON for unknown routes and methods too: an operator's script parses every answer.
        .method_not_allowed_fallback(|| async { AdminError::MethodNotAllowed })
        .fallback(|| async { AdminError::NoRoute })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}
