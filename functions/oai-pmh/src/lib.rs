//! The OAI-PMH endpoint (`/oai`, GET and form-encoded POST) as an axum router. The same
//! router runs under `lambda_http::run` and inside `pokeco serve`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use pokeco_core::oai::{parse_urlencoded, respond, ArgsError, OaiSettings};
use pokeco_core::store::CatalogStore;
use pokeco_core::Datestamp;

/// The largest form body accepted: OAI-PMH arguments are short.
const MAX_FORM_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct OaiState {
    pub store: Arc<dyn CatalogStore>,
    pub settings: Arc<OaiSettings>,
}

pub fn router(state: OaiState) -> Router {
    Router::new()
        .route("/oai", get(by_get).post(by_post))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .with_state(state)
}

async fn by_get(State(state): State<OaiState>, RawQuery(query): RawQuery) -> Response {
    answer(
        &state,
        parse_urlencoded(query.unwrap_or_default().as_bytes()),
    )
    .await
}

async fn by_post(State(state): State<OaiState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "OAI-PMH POST requests must be application/x-www-form-urlencoded\n",
        )
            .into_response();
    }
    answer(&state, parse_urlencoded(&body)).await
}

async fn answer(state: &OaiState, args: Result<Vec<(String, String)>, ArgsError>) -> Response {
    match respond(
        state.store.as_ref(),
        &state.settings,
        args,
        Datestamp::now(),
    )
    .await
    {
        Ok(xml) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/xml; charset=utf-8"),
            )],
            xml,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "OAI-PMH request failed in the store");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, HeaderValue::from_static("30"))],
                "The catalog is unavailable; try again later.\n",
            )
                .into_response()
        }
    }
}
