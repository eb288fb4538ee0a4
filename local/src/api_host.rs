//! The api function on the local stack: the read API (`/api/*`), the
//! account routes (`/auth/*`, `/api/me`, tickets) and the page. Each request becomes
//! the same `http::Request<lambda_http::Body>` API Gateway hands the Lambda,
//! and the very same handler answers it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;

use crate::bridge;

/// Largest request body read. No route takes a body of any size; this only
/// bounds what a client can make the server buffer.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Every path no other local route takes, answered by [`api::handle`]
/// (which also gives the JSON 404 and 405 answers), as the HTTP API's
/// catch-all routes send them to the api function in AWS.
pub fn routes(state: Arc<::api::ApiState>) -> Router {
    Router::new().fallback(any(read_api)).with_state(state)
}

async fn read_api(State(state): State<Arc<::api::ApiState>>, request: Request) -> Response {
    match bridge::to_lambda(request, MAX_BODY_BYTES).await {
        Ok(request) => bridge::to_axum(::api::handle(&state, request).await),
        Err(_) => (
            http::StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(serde_json::json!({
                "error": "body_too_large",
                "message": format!("the API takes no request bodies over {MAX_BODY_BYTES} bytes"),
            })),
        )
            .into_response(),
    }
}
