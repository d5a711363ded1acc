//! The guard of learner data (`users/*`): the deployment's [`EcoapiAccess`] applied to what a
//! request presents. The source address is the connection's (`pokeco serve`) or API
//! Gateway's `sourceIp` (Lambda), never a header a client can write.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use lambda_http::request::RequestContext;
use pokeco_core::access::{EcoapiAccess, Refused};
use pokeco_http::JsonError;

/// Where the request came from, as the platform saw it.
fn source_ip(request: &Request) -> Option<IpAddr> {
    if let Some(RequestContext::ApiGatewayV2(context)) = request.extensions().get() {
        return context.http.source_ip.as_deref()?.parse().ok();
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

async fn guard(State(access): State<Arc<EcoapiAccess>>, request: Request, next: Next) -> Response {
    let presented = pokeco_http::bearer::presented(request.headers());
    match access.admit(presented, source_ip(&request)) {
        Ok(()) => next.run(request).await,
        Err(refused) => {
            let status = match refused {
                Refused::Closed => StatusCode::SERVICE_UNAVAILABLE,
                Refused::NoToken => StatusCode::UNAUTHORIZED,
                Refused::Network => StatusCode::FORBIDDEN,
            };
            JsonError::new(status, refused.to_string()).into_response()
        }
    }
}

/// Puts every route of `router` behind the access check.
pub fn require<S>(router: Router<S>, access: EcoapiAccess) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.route_layer(from_fn_with_state(Arc::new(access), guard))
}
