//! The port to WebSocket clients: post a frame to a connection id.
//!
//! [`Push`] is what the websocket and broadcast handlers use; `Pusher`
//! (feature `push`) is its AWS adapter, API Gateway's `@connections`
//! management API; the local stack writes straight into its gateway.

#[cfg(feature = "push")]
mod api_gateway;

use std::sync::Arc;

use async_trait::async_trait;

use crate::store::connections::ConnectionStore;

pub use crate::frames::MAX_FRAME_BYTES;
#[cfg(feature = "push")]
pub use api_gateway::Pusher;

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

/// Posts frames to the clients of one WebSocket API.
#[async_trait]
pub trait Push: Send + Sync {
    /// Posts one frame to one connection.
    async fn post(&self, connection_id: &str, frame: &[u8]) -> Result<(), PushError>;

    /// Closes a connection from the server side (`DELETE /@connections/{id}`;
    /// the gateway then sends `$disconnect`); a gone one is not an error.
    async fn close(&self, connection_id: &str) -> Result<(), PushError>;
}

/// A WebSocket API's connections and the way to reach them: what finds
/// one user's or one overlay's sockets (by principal) and posts to them.
pub struct Sockets {
    pub connections: Arc<dyn ConnectionStore>,
    pub push: Arc<dyn Push>,
}

/// The management endpoint of a WebSocket API: the explicit setting if there
/// is one, else `https://{domain}/{stage}` from the request context.
pub fn endpoint(explicit: Option<&str>, domain: &str, stage: &str) -> String {
    match explicit.filter(|e| !e.is_empty()) {
        Some(e) => e.trim_end_matches('/').to_owned(),
        None => format!("https://{domain}/{stage}"),
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
