//! The request loop every endpoint goes through: the app token, the rate
//! limiter, one renewal on 401, waits on 429, bounded backoff on 5xx.

use crate::clock::now_ms;
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::Method;

use super::answer::{Answer, HelixError};
use super::config::HelixConfig;
use super::ratelimit::{Bucket, RateLimiter};
use super::token::{AppToken, TokenCache, TokenResponse};

/// 429s in a row before giving up on one request.
const MAX_THROTTLED: u32 = 5;
/// Attempts at one request while Twitch answers 5xx or cannot be reached.
const MAX_ATTEMPTS: u32 = 4;

/// The Twitch client. Cheap to share (`Arc`); one per process so the token
/// and the rate-limit view are shared by every caller.
pub struct Helix {
    config: HelixConfig,
    /// Built at the first request: building it loads and parses the
    /// system's CA roots (milliseconds), which a Lambda that may never call
    /// Twitch should not pay at every cold start.
    http: OnceLock<Result<reqwest::Client, String>>,
    tokens: TokenCache,
    limiter: RateLimiter,
}

impl Helix {
    /// A client for the Twitch the environment names ([`HelixConfig::from_env`]).
    pub fn from_env() -> Result<Self, crate::config::ConfigError> {
        Self::from_config(HelixConfig::from_env()?)
    }

    /// A client for the Twitch the environment names, with the client secret
    /// from the function's `secrets`.
    #[cfg(feature = "secrets")]
    pub fn from_secrets(
        secrets: &crate::aws::secrets::Secrets,
    ) -> Result<Self, crate::config::ConfigError> {
        use crate::aws::secrets::Key;
        let secret = secrets.read(Key::TwitchClientSecret, |s| {
            Ok(super::config::ClientSecret::new(s))
        })?;
        Self::from_config(HelixConfig::from_env_with_secret(secret)?)
    }

    fn from_config(config: HelixConfig) -> Result<Self, crate::config::ConfigError> {
        Self::new(config).map_err(|e| crate::config::ConfigError::Invalid {
            name: "TWITCH_CLIENT_ID",
            why: e.to_string(),
        })
    }

    /// A client for `config` (its HTTP client is built at the first request).
    pub fn new(config: HelixConfig) -> Result<Self, HelixError> {
        Ok(Self {
            config,
            http: OnceLock::new(),
            tokens: TokenCache::default(),
            limiter: RateLimiter::default(),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &HelixConfig {
        &self.config
    }

    /// The HTTP client (no redirects followed, timeouts set), for the OAuth
    /// endpoints that do not go through the Helix request loop.
    pub(crate) fn http(&self) -> Result<&reqwest::Client, HelixError> {
        self.http
            .get_or_init(|| {
                reqwest::Client::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .timeout(Duration::from_secs(30))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| HelixError::Network(e.clone()))
    }

    /// How many requests waited for the rate-limit bucket to refill.
    pub fn rate_limit_waits(&self) -> u64 {
        self.limiter.waits()
    }

    /// The Helix bucket as the last answer to this client described it.
    pub fn rate_limit(&self) -> crate::helix::ratelimit::Bucket {
        self.limiter.last()
    }

    async fn fetch_token(&self) -> Result<TokenResponse, HelixError> {
        let body = super::query(&[
            ("client_id", &self.config.client_id),
            ("client_secret", self.config.client_secret.expose()),
            ("grant_type", "client_credentials"),
        ]);
        let response = self
            .http()?
            .post(format!("{}/token", self.config.oauth_url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| HelixError::Network(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| HelixError::Network(e.to_string()))?;
        TokenResponse::parse(&Answer { status, body })
    }

    /// The app token, fetched if there is none or it is about to expire.
    pub async fn token(&self) -> Result<AppToken, HelixError> {
        self.tokens.get(|| self.fetch_token()).await
    }

    /// Asks Twitch whether the current app token is still valid (Twitch wants
    /// this at start-up and hourly); an invalid one is dropped from the cache.
    pub async fn validate_token(&self) -> Result<bool, HelixError> {
        let token = self.token().await?;
        let response = self
            .http()?
            .get(format!("{}/validate", self.config.oauth_url))
            .header("authorization", format!("OAuth {}", token.value))
            .send()
            .await
            .map_err(|e| HelixError::Network(e.to_string()))?;
        let valid = response.status().as_u16() == 200;
        if !valid {
            self.tokens.reject(&token.value).await;
        }
        Ok(valid)
    }

    /// Sends one Helix request (`path_and_query` after the base, e.g.
    /// `/users?id=1`) with the app token, retrying as Twitch asks.
    pub async fn request(
        &self,
        method: Method,
        path_and_query: &str,
        json_body: Option<Vec<u8>>,
    ) -> Result<Answer, HelixError> {
        self.send(method, path_and_query, json_body, None).await
    }

    /// A `GET` with a user's access token (what a broadcaster's grant
    /// opens). Their token has its own rate-limit bucket at Twitch, so the
    /// app's bucket is neither waited on nor updated; a 401 (the token is
    /// dead or revoked) and a 429 are answered to the caller, which knows
    /// whose token it is and when to try again; 5xx are retried as usual.
    pub async fn get_as_user(
        &self,
        path_and_query: &str,
        user_token: &str,
    ) -> Result<Answer, HelixError> {
        self.send(Method::GET, path_and_query, None, Some(user_token))
            .await
    }

    async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        json_body: Option<Vec<u8>>,
        user_token: Option<&str>,
    ) -> Result<Answer, HelixError> {
        let url = format!("{}{}", self.config.helix_url, path_and_query);
        let mut renewed = false;
        let mut throttled = 0;
        let mut attempts = 0;
        loop {
            let token = match user_token {
                Some(user) => user.to_owned(),
                None => {
                    self.limiter.wait().await;
                    self.token().await?.value
                }
            };
            let mut request = self
                .http()?
                .request(method.clone(), &url)
                .header("authorization", format!("Bearer {token}"))
                .header("client-id", &self.config.client_id);
            if let Some(body) = &json_body {
                request = request
                    .header("content-type", "application/json")
                    .body(body.clone());
            }
            attempts += 1;
            let sent = request.send().await;
            let response = match sent {
                Ok(r) => r,
                Err(e) if attempts < MAX_ATTEMPTS => {
                    tracing::warn!(error = %e, attempts, "Helix unreachable; retrying");
                    backoff(attempts).await;
                    continue;
                }
                Err(e) => return Err(HelixError::Network(e.to_string())),
            };
            let status = response.status().as_u16();
            let bucket = Bucket::from_headers(response.headers());
            if user_token.is_none() {
                self.limiter.observe(bucket);
            }
            let body = match response.bytes().await {
                Ok(b) => b,
                Err(e) if attempts < MAX_ATTEMPTS => {
                    tracing::warn!(error = %e, attempts, "Helix answer cut short; retrying");
                    backoff(attempts).await;
                    continue;
                }
                Err(e) => return Err(HelixError::Network(e.to_string())),
            };
            match status {
                401 | 429 if user_token.is_some() => return Ok(Answer { status, body }),
                // Tokens can die before they expire: one new token, one retry.
                401 if !renewed => {
                    tracing::info!("Helix answered 401: renewing the app token");
                    self.tokens.reject(&token).await;
                    renewed = true;
                    attempts -= 1;
                }
                // A 429 with points left is not the rate limit (EventSub uses
                // it for "too many subscriptions with this type and
                // condition"): the caller decides.
                429 if bucket.remaining.is_some_and(|n| n > 0) => {
                    return Ok(Answer { status, body });
                }
                429 => {
                    throttled += 1;
                    if throttled > MAX_THROTTLED {
                        return Err(HelixError::RateLimited(throttled));
                    }
                    self.limiter.exhausted(bucket.reset, now_ms() / 1000);
                    attempts -= 1;
                }
                500..=599 if attempts < MAX_ATTEMPTS => {
                    tracing::warn!(status, attempts, "Helix failed; retrying");
                    backoff(attempts).await;
                }
                500..=599 => return Err(HelixError::Unavailable { status, attempts }),
                _ => return Ok(Answer { status, body }),
            }
        }
    }
}

/// 250 ms, 500 ms, 1 s… with ±25% jitter so callers do not retry in step.
async fn backoff(attempt: u32) {
    let base = 250u64 << attempt.saturating_sub(1).min(6);
    let jitter = (now_ms().unsigned_abs() % 500) * base / 1000;
    tokio::time::sleep(Duration::from_millis(base * 3 / 4 + jitter)).await;
}
