//! The app access token (client credentials). Twitch cannot refresh app
//! tokens: a new one is fetched when the cached one is near expiry or when
//! Helix answers 401 (tokens can die early), never more than once at a time.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use super::answer::{Answer, HelixError};
use super::LONGEST_LIFETIME;

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

impl TokenResponse {
    /// The token endpoint's answer: a 200 with the token, anything else the
    /// app credentials refused (with Twitch's message).
    pub fn parse(answer: &Answer) -> Result<Self, HelixError> {
        if answer.status != 200 {
            let message = match answer.error() {
                HelixError::Status { message, .. } => message,
                other => other.to_string(),
            };
            return Err(HelixError::Credentials {
                status: answer.status,
                message,
            });
        }
        answer.json()
    }

    /// When the token dies, counted from `now` (at most [`LONGEST_LIFETIME`] away).
    pub fn expires_at(&self, now: Instant) -> Instant {
        let lifetime = Duration::from_secs(self.expires_in).min(LONGEST_LIFETIME);
        now.checked_add(lifetime).unwrap_or(now)
    }
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
            expires_at: fresh.expires_at(Instant::now()),
            value: fresh.access_token,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &'static str) -> Answer {
        Answer {
            status,
            body: bytes::Bytes::from_static(body.as_bytes()),
        }
    }

    #[tokio::test]
    async fn a_token_claiming_to_live_forever_is_believed_for_a_year_at_most() {
        let cache = TokenCache::default();
        let token = cache
            .get(|| async {
                TokenResponse::parse(&answer(
                    200,
                    r#"{"access_token":"t","expires_in":18446744073709551615}"#,
                ))
            })
            .await
            .unwrap();
        assert!(token.expires_at <= Instant::now() + LONGEST_LIFETIME);
        assert!(token.expires_at > Instant::now() + EARLY);
    }

    #[test]
    fn a_refusal_names_the_status_and_twitch_s_message() {
        let refused = TokenResponse::parse(&answer(403, r#"{"message":"invalid client secret"}"#));
        assert!(matches!(
            refused,
            Err(HelixError::Credentials { status: 403, ref message }) if message == "invalid client secret"
        ));
    }
}
