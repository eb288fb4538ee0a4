//! API Gateway's HTTP part, played on one machine: an axum request becomes
//! the same `http::Request<lambda_http::Body>` the Lambda runtime hands a
//! function, and the function's answer becomes axum's response. The webhook
//! route and the read API go through here, so they run the very handlers
//! deployed in AWS.

use axum::body::Body as AxumBody;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Limited};

/// A request body over the route's limit.
#[derive(Debug, thiserror::Error)]
#[error("request body of {declared} bytes is over the limit")]
pub struct TooLarge {
    /// The size the client declared (`Content-Length`), or one past the
    /// limit when it declared none.
    pub declared: usize,
}

/// `request` as the Lambda runtime hands it over, having read at most
/// `limit` body bytes (API Gateway cuts at its own, larger, limit).
pub async fn to_lambda(
    request: Request,
    limit: usize,
) -> Result<http::Request<lambda_http::Body>, TooLarge> {
    let (parts, body) = request.into_parts();
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let declared = parts
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .unwrap_or(limit + 1);
            return Err(TooLarge { declared });
        }
    };
    let body = if bytes.is_empty() {
        lambda_http::Body::Empty
    } else {
        lambda_http::Body::Binary(bytes.to_vec())
    };
    Ok(http::Request::from_parts(parts, body))
}

/// A handler's `http::Response` as axum's (the Lambda runtime's part).
pub fn to_axum(response: http::Response<lambda_http::Body>) -> Response {
    let (parts, body) = response.into_parts();
    let body = match body {
        lambda_http::Body::Text(t) => AxumBody::from(t),
        lambda_http::Body::Binary(b) => AxumBody::from(b),
        _ => AxumBody::empty(),
    };
    (parts, body).into_response()
}
