//! [`Push`] through API Gateway's `@connections` management API
//! (aws-sdk-apigatewaymanagement), at AWS or at the local stack's emulation.

use std::time::Duration;

use aws_sdk_apigatewaymanagement::config::retry::RetryConfig;
use aws_sdk_apigatewaymanagement::config::timeout::TimeoutConfig;
use aws_sdk_apigatewaymanagement::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_apigatewaymanagement::Client;

use async_trait::async_trait;

use super::{Push, PushError, MAX_FRAME_BYTES};

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

impl Pusher {
    /// A client for `endpoint` from the process's SDK configuration
    /// ([`crate::aws::sdk_config`]).
    pub fn new(sdk: &crate::aws::SdkConfig, endpoint: &str) -> Self {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(sdk)
            .endpoint_url(endpoint)
            .retry_config(retries())
            .timeout_config(timeouts())
            .build();
        Self {
            client: Client::from_conf(config),
        }
    }

    /// A client for a local endpoint signing with the given static
    /// credentials (never looks anywhere else for credentials).
    pub fn local(endpoint: &str, access_key_id: &str, secret: &str) -> Self {
        let config = aws_sdk_apigatewaymanagement::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                access_key_id.to_owned(),
                secret.to_owned(),
                None,
                None,
                "static",
            ))
            .endpoint_url(endpoint)
            .retry_config(retries())
            .timeout_config(timeouts())
            .build();
        Self {
            client: Client::from_conf(config),
        }
    }
}

#[async_trait]
impl Push for Pusher {
    async fn post(&self, connection_id: &str, frame: &[u8]) -> Result<(), PushError> {
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

    async fn close(&self, connection_id: &str) -> Result<(), PushError> {
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
