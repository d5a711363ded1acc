//! Extractors whose refusals are the API's JSON errors, not axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use pokeco_core::catalog::parse_json;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{AdminError, BODY_LIMIT};

/// A JSON document in the body: `Content-Type: application/json` (or `+json`), at most
/// [`BODY_LIMIT`] bytes.
pub(crate) struct JsonDoc(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonDoc {
    type Rejection = AdminError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AdminError> {
        require_json(&request)?;
        let bytes = body_bytes(request, state).await?;
        Ok(Self(parse_json(&bytes).map_err(AdminError::BadRequest)?))
    }
}

/// Refuses a request whose body is not declared JSON.
fn require_json(request: &Request) -> Result<(), AdminError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if content_type.is_some_and(is_json) {
        Ok(())
    } else {
        Err(AdminError::UnsupportedMediaType {
            kind: "JSON",
            content_type: "application/json",
        })
    }
}

/// The bytes of a JSON body of at most `limit` bytes, whatever [`BODY_LIMIT`] says: a course
/// structure is larger than the catalog's documents. Parsed by the caller.
pub(crate) async fn large_json(request: Request, limit: usize) -> Result<Bytes, AdminError> {
    require_json(&request)?;
    match Limited::new(request.into_body(), limit).collect().await {
        Ok(body) => Ok(body.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(AdminError::TooLarge { limit })
        }
        Err(e) => Err(AdminError::bad_request(
            "",
            format!("could not read the body: {e}"),
        )),
    }
}

/// A small JSON body read into its type, refused with the shape expected and serde's reason.
pub(crate) fn typed<T: DeserializeOwned>(doc: Value, expected: &str) -> Result<T, AdminError> {
    serde_json::from_value(doc)
        .map_err(|e| AdminError::bad_request("", format!("expected {expected}: {e}")))
}

/// A CSV document in the body (`text/csv` or `text/plain`), UTF-8, at most [`BODY_LIMIT`]
/// bytes.
pub(crate) struct CsvText(pub String);

impl<S: Send + Sync> FromRequest<S> for CsvText {
    type Rejection = AdminError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AdminError> {
        let essence = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(essence);
        if !matches!(essence.as_deref(), Some("text/csv" | "text/plain")) {
            return Err(AdminError::UnsupportedMediaType {
                kind: "CSV",
                content_type: "text/csv",
            });
        }
        let bytes = body_bytes(request, state).await?;
        String::from_utf8(bytes.to_vec())
            .map(Self)
            .map_err(|e| AdminError::bad_request("", format!("the CSV is not UTF-8: {e}")))
    }
}

async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, AdminError> {
    Bytes::from_request(request, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AdminError::TooLarge { limit: BODY_LIMIT }
        } else {
            AdminError::bad_request("", format!("could not read the body: {}", e.body_text()))
        }
    })
}

/// A media type without its parameters, lower-case.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn is_json(content_type: &str) -> bool {
    let essence = essence(content_type);
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

/// The rest of the path after the collection (a course id, teacher id or set spec),
/// percent-decoded: a course id `Org/Course/Run` arrives as `Org%2FCourse%2FRun` from a
/// socket, and as `Org/Course/Run` from API Gateway, which decodes paths itself.
pub(crate) struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AdminError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| AdminError::bad_request("", format!("bad path: {}", e.body_text())))?;
        Ok(Self(id))
    }
}

/// Query parameters, refused with the reason as a JSON 400.
pub(crate) struct QueryArgs<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryArgs<T> {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AdminError> {
        let Query(args) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| AdminError::bad_request("", format!("bad query: {}", e.body_text())))?;
        Ok(Self(args))
    }
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_content_types() {
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge+json",
        ] {
            assert!(is_json(ok), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/jsonx",
            "",
        ] {
            assert!(!is_json(bad), "{bad}");
        }
    }
}
