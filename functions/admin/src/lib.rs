//! The admin API (`/admin/...`): create or replace, read, list and delete the catalog's
//! courses, teachers and sets, behind a bearer token. Formats and validation: catalog.md.
//!
//! | route | methods |
//! |---|---|
//! | `/admin/courses` | GET (list: `limit`, `after`, `deleted`), POST (id in the body) |
//! | `/admin/courses/{id}` | GET, PUT, DELETE (soft: the record stays, marked deleted) |
//! | `/admin/teachers`, `/admin/sets` | GET (list), POST |
//! | `/admin/teachers/{id}`, `/admin/sets/{spec}` | GET, PUT, DELETE (409 while a live course names it) |

mod auth;
pub mod catalog_service;
mod error;
mod extract;
mod routes;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::Router;
use pokeco_core::store::CatalogStore;

pub use auth::AdminToken;
pub use catalog_service::CatalogService;
pub use error::AdminError;

/// The largest request body the admin API reads.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// What the admin router needs. Without a token every route answers 503.
#[derive(Clone)]
pub struct AdminState {
    pub store: Arc<dyn CatalogStore>,
    pub token: Option<AdminToken>,
    /// `POKECO_OAI_PREFIX`, for the `oai_identifier` of the answers.
    pub oai_prefix: String,
}

pub(crate) struct Shared {
    service: CatalogService,
    token: Option<AdminToken>,
}

pub fn router(state: AdminState) -> Router {
    let shared = Arc::new(Shared {
        service: CatalogService::new(state.store, state.oai_prefix),
        token: state.token,
    });
    use routes::{courses, sets, teachers};
    Router::new()
        .route("/admin/courses", get(courses::list).post(courses::create))
        .route(
            "/admin/courses/{id}",
            get(courses::get).put(courses::put).delete(courses::delete),
        )
        .route(
            "/admin/teachers",
            get(teachers::list).post(teachers::create),
        )
        .route(
            "/admin/teachers/{id}",
            get(teachers::get)
                .put(teachers::put)
                .delete(teachers::delete),
        )
        .route("/admin/sets", get(sets::list).post(sets::create))
        .route(
            "/admin/sets/{spec}",
            get(sets::get).put(sets::put).delete(sets::delete),
        )
        .route_layer(from_fn_with_state(Arc::clone(&shared), auth::require_token))
        // JSON for unknown routes too: an operator's script parses every answer.
        .fallback(|| async { AdminError::NoRoute })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

#[cfg(test)]
mod tests;
