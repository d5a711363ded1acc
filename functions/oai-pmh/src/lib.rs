//! The OAI-PMH endpoint (`/oai`, GET and form-encoded POST) as an axum router. The same
//! router runs under `lambda_http::run` and inside `pokeco serve`.

use std::borrow::Cow;
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
use pokeco_http::{store_message, store_status, RETRY_AFTER_SECONDS};

/// The largest form body accepted: OAI-PMH arguments are short.
const MAX_FORM_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct OaiState {
    pub store: Arc<dyn CatalogStore>,
    pub settings: Arc<OaiSettings>,
    /// The clock of responseDates, horizons and token expiry (fixed in tests).
    pub now: fn() -> Datestamp,
}

impl OaiState {
    /// The endpoint over `store` with the system clock.
    pub fn new(store: Arc<dyn CatalogStore>, settings: OaiSettings) -> Self {
        Self {
            store,
            settings: Arc::new(settings),
            now: Datestamp::now,
        }
    }
}

pub fn router(state: OaiState) -> Router {
    Router::new()
        .route("/oai", get(by_get).post(by_post))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .with_state(state)
}

async fn by_get(
    State(state): State<OaiState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    answer(
        &state,
        &headers,
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
    answer(&state, &headers, parse_urlencoded(&body)).await
}

/// The endpoint's URL: the configured one, else `https://<Host>/oai` (API Gateway speaks
/// only HTTPS). A Host that is not a plain host name is not reflected back.
fn endpoint<'a>(settings: &'a OaiSettings, headers: &HeaderMap) -> Cow<'a, str> {
    if let Some(url) = &settings.base_url {
        return Cow::Borrowed(url);
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some("http") => "http",
        _ => "https",
    };
    Cow::Owned(format!("{scheme}://{host}/oai"))
}

async fn answer(
    state: &OaiState,
    headers: &HeaderMap,
    args: Result<Vec<(String, String)>, ArgsError>,
) -> Response {
    let endpoint = endpoint(&state.settings, headers);
    let answer = respond(
        state.store.as_ref(),
        &state.settings,
        &endpoint,
        args,
        (state.now)(),
    );
    match answer.await {
        Ok(xml) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/xml; charset=utf-8"),
            )],
            xml,
        )
            .into_response(),
        // Not an OAI-PMH error: the protocol has no code for "try again", so the answer is
        // plain HTTP, with the status every function gives this store failure.
        Err(e) => {
            tracing::error!(error = %e, "OAI-PMH request failed in the store");
            let status = store_status(&e);
            let mut response = (status, format!("{}\n", store_message(&e))).into_response();
            if e.is_retryable() {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            }
            response
        }
    }
}
