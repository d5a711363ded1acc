//! API Gateway HTTP APIs hand Lambda a `rawPath` that is already percent-decoded, and
//! lambda_http builds the request's URI from it as it is. A course id `Org/Course/Run` sent
//! as `Org%2FCourse%2FRun` then arrives as three segments, and an id holding `%41` would be
//! decoded a second time by the router. This layer encodes such a path again, so the router
//! decodes it exactly once, as it does for a request from a socket.

use axum::extract::Request;
use axum::http::uri::PathAndQuery;
use axum::http::Uri;
use axum::middleware::{from_fn, Next};
use axum::response::Response;
use axum::Router;
use lambda_http::RequestExt;
use tower::Layer;

/// Whether a path byte may stay as it is: unreserved, sub-delims, `:`, `@` and `/`.
fn path_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
        )
}

/// `path` with every other byte (`%` included) percent-encoded.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if path_safe(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Middleware: in Lambda (the request carries lambda_http's raw path), re-encodes the decoded
/// path; requests from a socket pass untouched.
pub async fn reencode_decoded_path(mut request: Request, next: Next) -> Response {
    let raw = request.extensions().raw_http_path();
    if !raw.is_empty() {
        let path = encode_path(raw);
        let path_and_query = match request.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        if let Ok(pq) = path_and_query.parse::<PathAndQuery>() {
            let mut parts = request.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    next.run(request).await
}

/// A function's router as Lambda runs it: the path re-encoded before the router sees it.
pub fn for_lambda(router: Router) -> Router {
    Router::new().fallback_service(from_fn(reencode_decoded_path).layer(router))
}

#[cfg(test)]
mod tests {
    use super::encode_path;

    #[test]
    fn encodes_what_a_path_segment_cannot_carry() {
        assert_eq!(
            encode_path("/admin/courses/Polimi/FIS101/2015_M9"),
            "/admin/courses/Polimi/FIS101/2015_M9"
        );
        assert_eq!(encode_path("/a/b%41 c"), "/a/b%2541%20c");
        assert_eq!(encode_path("/course-v1:Org+C+R"), "/course-v1:Org+C+R");
        assert_eq!(encode_path("/é?#"), "/%C3%A9%3F%23");
    }
}
