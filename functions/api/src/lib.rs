//! The read API: what the system knows, as JSON over HTTP (`/api/...`).
//!
//! - [`router`]: the route table (as data, so the OpenAPI test can compare it
//!   with the document) and matching a method + path to an endpoint.
//! - [`params`]: parsing and validating path and query parameters.
//! - [`routes`]: one function per endpoint, reading the stores.
//! - [`views`]: the JSON shapes of the answers.
//! - [`error`]: every way a request can fail, each with its status and code.
//! - `openapi.json` (next to `Cargo.toml`): the OpenAPI 3.0 document of the
//!   whole HTTP API, served at `GET /api/openapi.json`.
//!
//! - [`account`]: the account routes: log in with Twitch, sessions, favourites,
//!   WebSocket tickets.
//! - [`site`]: the page, its `/config.json` and the API reference
//!   (`/api/docs`), embedded in the binary.
//! - [`gzip`]: answers in gzip when the browser takes it (page files, the
//!   OpenAPI document), each compressed once per process.
//! - `aws` (feature `aws`): the Lambda's state, on DynamoDB.
//!
//! [`handle`] is the whole handler; the Lambda (`main.rs`) and the local stack
//! both call it with an API Gateway–shaped request.

pub mod account;
#[cfg(feature = "aws")]
pub mod aws;
mod cache;
pub mod error;
pub mod gzip;
pub mod params;
pub mod router;
pub mod routes;
pub mod site;
pub mod views;

use std::sync::Arc;

use lambda_http::http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, VARY,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use shared::clock::unix_ms;
use shared::store::coverage::GapStore;
use shared::store::snapshots::SnapshotStore;
use shared::store::streamers::StreamerStore;
use shared::store::EventStore;
use time::OffsetDateTime;

pub use error::ApiError;

/// The OpenAPI 3.0 document of the whole HTTP API, as served.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// What the handler needs, built once per process.
pub struct ApiState {
    pub events: Arc<dyn EventStore>,
    pub streamers: Arc<dyn StreamerStore>,
    pub snapshots: Arc<dyn SnapshotStore>,
    /// The gaps in what was received (coverage).
    pub gaps: Arc<dyn GapStore>,
    /// Bearer token of `POST /api/poller/pause|resume`; empty refuses everyone.
    pub admin_token: String,
    /// Login, sessions, favourites, tickets; `None`: those routes are 404.
    pub account: Option<account::AccountRoutes>,
    /// The page; `None`: not served here.
    pub site: Option<site::Site>,
}

/// Lambda entry: an API Gateway HTTP API request in, a JSON response out.
pub async fn handle(state: &ApiState, request: Request) -> Response<Body> {
    handle_at(state, request, OffsetDateTime::now_utc()).await
}

/// [`handle`] at a given time (what "today" and "the last 24 hours" mean):
/// what tests call.
pub async fn handle_at(state: &ApiState, request: Request, now: OffsetDateTime) -> Response<Body> {
    // Behind a named API Gateway stage the URI carries the stage; the raw
    // path never does. The local stack sets no raw path, only the URI.
    let path = match request.raw_http_path() {
        "" => request.uri().path(),
        raw => raw,
    };
    let path = path.to_owned();
    let path = path.as_str();
    if let Some(account) = &state.account {
        if let Some(response) = account::answer(account, &request, path, unix_ms(now)).await {
            return response;
        }
    }
    if let Some(site) = &state.site {
        if let Some(response) = site.answer(&request, path) {
            return response;
        }
    }
    let method = request.method().as_str();
    let outcome = match router::find(method, path) {
        Ok(found) => {
            let call = routes::Call {
                endpoint: found.route.endpoint,
                allowed: found.route.query,
                captures: &found.captures,
                query: request.uri().query(),
                authorization: request
                    .headers()
                    .get(lambda_http::http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok()),
                now_ms: unix_ms(now),
            };
            routes::answer(state, &call).await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(routes::Reply::Json(value)) => json(StatusCode::OK, value.to_string()),
        Ok(routes::Reply::Settled(value)) => {
            let body = value.to_string();
            let etag = cache::etag_of(body.as_bytes());
            let mut response = if cache::still_fresh(&request, &etag) {
                let mut r = json(StatusCode::NOT_MODIFIED, String::new());
                *r.body_mut() = Body::Empty;
                r
            } else {
                json(StatusCode::OK, body)
            };
            let headers = response.headers_mut();
            headers.insert(
                CACHE_CONTROL,
                HeaderValue::from_static(routes::SETTLED_CACHE),
            );
            if let Ok(v) = HeaderValue::from_str(&etag) {
                headers.insert(ETAG, v);
            }
            response
        }
        Ok(routes::Reply::Document(text)) => {
            static PACKED: gzip::Kept = gzip::Kept::new();
            let packed = gzip::accepted(&request)
                .then(|| PACKED.of(text.as_bytes()))
                .flatten();
            let mut response = json(StatusCode::OK, text.to_owned());
            if let Some(packed) = packed {
                *response.body_mut() = Body::Binary(packed.to_vec());
                response
                    .headers_mut()
                    .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            let headers = response.headers_mut();
            headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
            // The document changes only with a deployment.
            headers.insert(
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            );
            response
        }
        Ok(routes::Reply::File {
            content_type,
            name,
            body,
        }) => {
            let mut response = Response::new(Body::Text(body));
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                headers.insert(lambda_http::http::header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Err(e) => e.into_response(),
    }
}

/// A JSON answer that no cache keeps (the data changes with every event).
pub(crate) fn json(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
