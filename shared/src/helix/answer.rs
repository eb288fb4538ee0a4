//! What Twitch answered and what can go wrong talking to it: the types the
//! request loop ([`super::client`]), the app token and every endpoint share.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// What went wrong talking to Twitch.
#[derive(Debug, thiserror::Error)]
pub enum HelixError {
    #[error("could not reach Twitch: {0}")]
    Network(String),
    #[error("Twitch refused the app credentials ({status}): {message}")]
    Credentials { status: u16, message: String },
    #[error("Twitch answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("Twitch kept failing ({status}) after {attempts} attempts")]
    Unavailable { status: u16, attempts: u32 },
    #[error("still rate limited after {0} waits")]
    RateLimited(u32),
    #[error("Twitch sent something unexpected: {0}")]
    Decode(String),
}

impl HelixError {
    /// The HTTP status Twitch answered, for the errors that have one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Credentials { status, .. }
            | Self::Status { status, .. }
            | Self::Unavailable { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A Helix answer that got past the retry loop.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

impl Answer {
    /// The body as `T` when the status is 2xx, else the error Twitch gave.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HelixError> {
        if !(200..300).contains(&self.status) {
            return Err(self.error());
        }
        serde_json::from_slice(&self.body).map_err(|e| HelixError::Decode(e.to_string()))
    }

    /// Twitch's error body (`{"error","status","message"}`) as an error.
    pub fn error(&self) -> HelixError {
        #[derive(Deserialize)]
        struct Body {
            message: Option<String>,
        }
        let message = serde_json::from_slice::<Body>(&self.body)
            .ok()
            .and_then(|b| b.message)
            .unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned());
        HelixError::Status {
            status: self.status,
            message,
        }
    }
}
