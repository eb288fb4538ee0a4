//! Posting frames to WebSocket clients through API Gateway's `@connections`
//! management API (aws-sdk-apigatewaymanagement).
//!
//! The endpoint comes from configuration: `WEBSOCKET_ENDPOINT`, when set, wins
//! over the one derived from the request context, so the very same code posts
//! to AWS or to the local stack's `@connections` emulation.

use std::time::Duration;

use aws_sdk_apigatewaymanagement::config::retry::RetryConfig;
use aws_sdk_apigatewaymanagement::config::timeout::TimeoutConfig;
use aws_sdk_apigatewaymanagement::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_apigatewaymanagement::Client;

pub use crate::frames::MAX_FRAME_BYTES;

/// Why a frame was not delivered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PushError {
    /// The connection is gone (410): remove it and its topics.
    #[error("connection is gone")]
    Gone,
    #[error("frame is {0} bytes; API Gateway allows {MAX_FRAME_BYTES}")]
    TooLarge(usize),
    /// Throttled or a transient failure: worth retrying.
    #[error("post failed, retry: {0}")]
    Transient(String),
}

/// One quick retry inside the SDK; the broadcast fan-out retries the
/// connections that still failed itself, and the SDK's default backoff (up to
/// seconds on a throttled connection) would stall every post behind it.
fn retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(2)
        .with_initial_backoff(Duration::from_millis(50))
}

/// API Gateway answers a post in milliseconds; a stuck one must not hold a
/// Lambda until its own timeout.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(5))
        .build()
}

/// The `@connections` client.
#[derive(Clone, Debug)]
pub struct Pusher {
    client: Client,
}

/// The management endpoint of a WebSocket API: the explicit setting if there
/// is one, else `https://{domain}/{stage}` from the request context.
pub fn endpoint(explicit: Option<&str>, domain: &str, stage: &str) -> String {
    match explicit.filter(|e| !e.is_empty()) {
        Some(e) => e.trim_end_matches('/').to_owned(),
        None => format!("https://{domain}/{stage}"),
    }
}

impl Pusher {
    /// A client for `endpoint` with the standard AWS credentials chain.
    pub async fn new(endpoint: &str) -> Self {
        let shared = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(&shared)
            .endpoint_url(endpoint)
            .retry_config(retries())
            .timeout_config(timeouts())
            .build();
        Self {
            client: Client::from_conf(config),
        }
    }

    /// A client for a local endpoint with static dummy credentials (never
    /// looks anywhere else for credentials).
    pub fn local(endpoint: &str) -> Self {
        let config = aws_sdk_apigatewaymanagement::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "static"))
            .endpoint_url(endpoint)
            .retry_config(retries())
            .timeout_config(timeouts())
            .build();
        Self {
            client: Client::from_conf(config),
        }
    }

    /// Posts one frame to one connection.
    pub async fn post(&self, connection_id: &str, frame: &[u8]) -> Result<(), PushError> {
        if frame.len() > MAX_FRAME_BYTES {
            return Err(PushError::TooLarge(frame.len()));
        }
        match self
            .client
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(frame))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => Err(match e.as_service_error() {
                Some(PostToConnectionError::GoneException(_)) => PushError::Gone,
                Some(PostToConnectionError::PayloadTooLargeException(_)) => {
                    PushError::TooLarge(frame.len())
                }
                _ => PushError::Transient(
                    aws_sdk_apigatewaymanagement::error::DisplayErrorContext(e).to_string(),
                ),
            }),
        }
    }

    /// Closes a connection from the server side; a gone one is not an error.
    pub async fn close(&self, connection_id: &str) -> Result<(), PushError> {
        match self
            .client
            .delete_connection()
            .connection_id(connection_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 410) => Ok(()),
            Err(e) => Err(PushError::Transient(
                aws_sdk_apigatewaymanagement::error::DisplayErrorContext(e).to_string(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_endpoint_wins_over_the_request_context() {
        assert_eq!(
            endpoint(
                Some("http://127.0.0.1:3000/"),
                "abc.execute-api.us-east-1.amazonaws.com",
                "prod"
            ),
            "http://127.0.0.1:3000"
        );
        assert_eq!(
            endpoint(None, "abc.execute-api.us-east-1.amazonaws.com", "prod"),
            "https://abc.execute-api.us-east-1.amazonaws.com/prod"
        );
        assert_eq!(endpoint(Some(""), "d", "s"), "https://d/s");
    }
}
