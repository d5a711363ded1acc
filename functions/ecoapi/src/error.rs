//! The ecoapi's errors, mapped to HTTP here and nowhere else. ECO's portal reads `{}` as
//! "nothing here", as the old API answered it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pokeco_core::store::StoreError;
use pokeco_core::structure::StructureError;
use pokeco_http::JsonError;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum EcoapiError {
    #[error(transparent)]
    Structure(#[from] StructureError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoResponse for EcoapiError {
    fn into_response(self) -> Response {
        match self {
            Self::Structure(StructureError::NoCourse(_) | StructureError::Invalid(_)) => {
                (StatusCode::NOT_FOUND, Json(json!({}))).into_response()
            }
            Self::Structure(StructureError::NoStructure(why)) => {
                JsonError::new(StatusCode::NOT_FOUND, why).into_response()
            }
            Self::Structure(StructureError::Store(e)) | Self::Store(e) => {
                JsonError::store(&e).into_response()
            }
        }
    }
}
