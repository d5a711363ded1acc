//! Bearer-token authentication of the write APIs, before any body is read.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use pokeco_core::secret::BearerToken;

use crate::JsonError;

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The bearer token a request presents, if any.
pub fn presented(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
}

/// Admits a request that presents `token`: 503 naming `setting` when no token is configured
/// (the API is closed), 401 without the right one.
pub fn check(
    token: Option<&BearerToken>,
    headers: &HeaderMap,
    setting: &str,
) -> Result<(), JsonError> {
    let Some(token) = token else {
        return Err(JsonError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("this API is disabled: no token is configured ({setting})"),
        ));
    };
    if presented(headers).is_some_and(|p| token.matches(p)) {
        Ok(())
    } else {
        Err(JsonError::new(
            StatusCode::UNAUTHORIZED,
            "a valid bearer token is required (Authorization: Bearer <token>)",
        ))
    }
}

/// What [`require`] checks: the token, and the setting that configures it.
struct Guard {
    token: Option<BearerToken>,
    setting: &'static str,
}

async fn guard(State(g): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    match check(g.token.as_ref(), request.headers(), g.setting) {
        Ok(()) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}

/// Puts every route of `router` behind the bearer [`check`]. It runs before any extractor, so
/// an unauthenticated request never has its body read.
pub fn require<S>(router: Router<S>, token: Option<BearerToken>, setting: &'static str) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.route_layer(from_fn_with_state(
        Arc::new(Guard { token, setting }),
        guard,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_forms() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("abc"), None);
    }

    #[test]
    fn closed_without_a_token_and_refused_without_the_right_one() {
        let mut headers = HeaderMap::new();
        let closed = check(None, &headers, "POKECO_ADMIN_TOKEN").unwrap_err();
        assert_eq!(closed.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(closed.error.contains("POKECO_ADMIN_TOKEN"));
        let token = BearerToken::new("a-token-of-enough-length").unwrap();
        let missing = check(Some(&token), &headers, "X").unwrap_err();
        assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
        headers.insert(
            AUTHORIZATION,
            "Bearer a-token-of-enough-length".parse().unwrap(),
        );
        assert!(check(Some(&token), &headers, "X").is_ok());
    }
}
