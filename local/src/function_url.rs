//! The webhook's Lambda function URL, played on one machine:
//! `POST /function-url/<path>` becomes the event a function URL hands the
//! function (payload 2.0 with the `$default` route key, lower-case header
//! names, a base64 body unless it is text, null path parameters), read by
//! `lambda_http` exactly as the Lambda runtime reads it, and answered by the
//! same handler as `/eventsub`. A subscription whose callback is
//! `http://<stack>/function-url/eventsub` is delivered the way
//! `WebhookFrontDoor=function-url` delivers it in AWS.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Map, Value};
use webhook::{Outcome, Rejection, MAX_BODY_BYTES};

use crate::bridge;
use crate::stack::Stack;

/// Where the local function URL is served (any path below it).
pub const PREFIX: &str = "/function-url";

/// `POST /function-url/{*path}`, through a function URL's event.
pub async fn eventsub(State(stack): State<Arc<Stack>>, request: Request) -> Response {
    let answer = match bridge::to_lambda(request, MAX_BODY_BYTES).await {
        Ok(request) => match lambda_http::request::from_str(&event_of(&request).to_string()) {
            Ok(request) => webhook::handle(&stack.webhook, request).await,
            // Built here from a request axum parsed: not the caller's fault
            // nor a store failure, and never expected.
            Err(e) => {
                let mut refused = http::Response::new(webhook::error_body("invalid_request", &e));
                *refused.status_mut() = http::StatusCode::BAD_REQUEST;
                refused.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                refused
            }
        },
        Err(too_large) => {
            webhook::respond(Outcome::Rejected(Rejection::TooLarge(too_large.declared)))
        }
    };
    bridge::to_axum(answer)
}

/// The function URL event for `request` (AuthType `NONE`).
pub fn event_of(request: &http::Request<lambda_http::Body>) -> Value {
    let mut headers = Map::new();
    for (name, value) in request.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        // Lambda joins repeated headers with commas, as HTTP allows.
        match headers.get_mut(name.as_str()) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_owned(), Value::String(value));
            }
        }
    }
    let bytes: &[u8] = match request.body() {
        lambda_http::Body::Text(t) => t.as_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => &[],
    };
    let (body, base64) = match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (STANDARD.encode(bytes), true),
    };
    let path = request.uri().path();
    let path = path
        .strip_prefix(PREFIX)
        .filter(|p| !p.is_empty())
        .unwrap_or("/");
    let host = headers.get("host").cloned().unwrap_or(Value::Null);
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": request.uri().query().unwrap_or(""),
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": "local",
            "http": {
                "method": request.method().as_str(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("user-agent").cloned().unwrap_or(Value::Null)
            },
            "requestId": "local",
            "routeKey": "$default",
            "stage": "$default",
            "time": "",
            "timeEpoch": shared::clock::now_ms(),
            "authentication": null
        },
        "body": body,
        "isBase64Encoded": base64,
        "pathParameters": null,
        "stageVariables": null
    })
}
