//! The app access token (client credentials). Twitch cannot refresh app
//! tokens: a new one is fetched when the cached one is near expiry or when
//! Helix answers 401 (tokens can die early), never more than once at a time.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

/// Renew this long before the token would expire.
const EARLY: Duration = Duration::from_secs(300);

/// A cached token.
#[derive(Clone, Debug)]
pub struct AppToken {
    pub value: String,
    pub expires_at: Instant,
}

/// The body of a successful client-credentials request.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: u64,
}

/// The cache: one token, replaced under a lock so concurrent callers share
/// one fetch.
#[derive(Default)]
pub struct TokenCache {
    current: Mutex<Option<AppToken>>,
}

impl TokenCache {
    /// The cached token if still good, else the one `fetch` returns (cached).
    pub async fn get<F, Fut, E>(&self, fetch: F) -> Result<AppToken, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<TokenResponse, E>>,
    {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref() {
            if token.expires_at > Instant::now() + EARLY {
                return Ok(token.clone());
            }
        }
        let fresh = fetch().await?;
        let token = AppToken {
            value: fresh.access_token,
            expires_at: Instant::now() + Duration::from_secs(fresh.expires_in),
        };
        *current = Some(token.clone());
        Ok(token)
    }

    /// Forgets `rejected` (answered 401), unless another caller already
    /// replaced it.
    pub async fn reject(&self, rejected: &str) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|t| t.value == rejected) {
            *current = None;
        }
    }
}
