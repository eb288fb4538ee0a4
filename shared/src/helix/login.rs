//! Log in with Twitch: the user's side of `id.twitch.tv/oauth2`.
//!
//! Authorization code flow with OpenID Connect. Twitch has no PKCE, so the
//! app is a confidential client and the secret goes in the form body
//! (`client_secret_post`; Basic auth gets "missing client id"). Token
//! answers carry `scope` as an array, a string, `[""]` or nothing: all are
//! read. The key set is cached and fetched again (at most once a minute)
//! when a token names a key it does not have.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use super::Helix;
use crate::auth::idtoken::{self, Expected, IdClaims, IdTokenError, Jwks};

/// Fetch the key set again no sooner than this after the last fetch.
const JWKS_REFETCH: Duration = Duration::from_secs(60);

/// What went wrong at Twitch's OAuth endpoints.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Twitch said no for good (400/401/403): the code, the refresh token or
    /// the grant is gone; the user must log in again.
    #[error("Twitch refused ({status}): {message}")]
    Refused { status: u16, message: String },
    /// Try again later (network, 429, 5xx).
    #[error("Twitch is unavailable: {0}")]
    Unavailable(String),
    #[error("Twitch sent something unexpected: {0}")]
    Decode(String),
    #[error(transparent)]
    IdToken(#[from] IdTokenError),
}

/// What a login asks Twitch for.
#[derive(Clone, Debug)]
pub struct Authorize<'a> {
    /// Byte-identical to a registered redirect URL, and sent again at the exchange.
    pub redirect_uri: &'a str,
    pub state: &'a str,
    pub nonce: &'a str,
    /// Scopes beyond `openid` (a broadcaster's EventSub reads).
    pub scopes: &'a [String],
    /// Show Twitch's consent page even to a user who already agreed (switch account).
    pub force_verify: bool,
}

/// A user's tokens, as the token endpoint answers. `Debug` shows none of them.
#[derive(Clone)]
pub struct UserTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
    pub scopes: Vec<String>,
    pub id_token: Option<String>,
}

impl std::fmt::Debug for UserTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserTokens")
            .field("expires_in", &self.expires_in)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// `/validate` for a user token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Validation {
    Valid {
        user_id: String,
        login: String,
        scopes: Vec<String>,
        expires_in: i64,
    },
    /// 401: the token is dead (expired, revoked, the user disconnected the app).
    Invalid,
}

/// `scope` in any of the shapes Twitch sends.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scopes {
    Many(Vec<String>),
    One(String),
}

fn scopes(raw: Option<Scopes>) -> Vec<String> {
    let all = match raw {
        None => vec![],
        Some(Scopes::Many(v)) => v,
        Some(Scopes::One(s)) => s.split(' ').map(str::to_owned).collect(),
    };
    all.into_iter().filter(|s| !s.is_empty()).collect()
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: i64,
    #[serde(default)]
    scope: Option<Scopes>,
    #[serde(default)]
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct ValidateBody {
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    login: Option<String>,
    #[serde(default)]
    scopes: Option<Scopes>,
    #[serde(default)]
    expires_in: i64,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
}

/// The user-login client: one per process, shares the app's HTTP client.
pub struct Login {
    helix: Arc<Helix>,
    keys: Mutex<Option<(Jwks, Instant)>>,
}

impl Login {
    /// Login through the Twitch (or simulator) that `helix` is configured for.
    pub fn new(helix: Arc<Helix>) -> Self {
        Self {
            helix,
            keys: Mutex::new(None),
        }
    }

    /// The issuer ID tokens must name: the OAuth base URL (Twitch's has no
    /// trailing slash).
    pub fn issuer(&self) -> &str {
        &self.helix.config().oauth_url
    }

    /// Our client id (public).
    pub fn client_id(&self) -> &str {
        &self.helix.config().client_id
    }

    /// The Twitch authorize URL the browser is sent to.
    pub fn authorize_url(&self, req: &Authorize<'_>) -> String {
        let config = self.helix.config();
        let mut scope = vec!["openid".to_owned()];
        scope.extend(req.scopes.iter().filter(|s| *s != "openid").cloned());
        let claims = r#"{"id_token":{"preferred_username":null,"picture":null}}"#;
        let mut pairs = vec![
            ("client_id", config.client_id.as_str()),
            ("redirect_uri", req.redirect_uri),
            ("response_type", "code"),
            ("state", req.state),
            ("nonce", req.nonce),
            ("claims", claims),
        ];
        let scope = scope.join(" ");
        pairs.push(("scope", &scope));
        if req.force_verify {
            pairs.push(("force_verify", "true"));
        }
        format!("{}/authorize?{}", config.oauth_url, super::query(&pairs))
    }

    /// Exchanges an authorization code (secret in the form body).
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<UserTokens, LoginError> {
        let config = self.helix.config();
        self.token_request(&[
            ("client_id", &config.client_id),
            ("client_secret", config.client_secret.expose()),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect_uri),
        ])
        .await
    }

    /// A new access token (and refresh token: always store the new one).
    pub async fn refresh(&self, refresh_token: &str) -> Result<UserTokens, LoginError> {
        let config = self.helix.config();
        self.token_request(&[
            ("client_id", &config.client_id),
            ("client_secret", config.client_secret.expose()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<UserTokens, LoginError> {
        let url = format!("{}/token", self.helix.config().oauth_url);
        let (status, body) = self
            .send(self.http()?.post(url).form_body(super::query(form)))
            .await?;
        parse_tokens(status, &body)
    }

    /// Who a user token belongs to, or that it is dead (Twitch wants this at
    /// login and hourly after).
    pub async fn validate(&self, access_token: &str) -> Result<Validation, LoginError> {
        let url = format!("{}/validate", self.helix.config().oauth_url);
        let request = self
            .http()?
            .get(url)
            .header("authorization", format!("OAuth {access_token}"));
        let (status, body) = self.send(request).await?;
        parse_validation(status, &body)
    }

    /// Revokes a token at Twitch (logout). Callers never let a failure here
    /// stop a logout.
    pub async fn revoke(&self, token: &str) -> Result<(), LoginError> {
        let config = self.helix.config();
        let url = format!("{}/revoke", config.oauth_url);
        let form = super::query(&[("client_id", &config.client_id), ("token", token)]);
        let (status, body) = self.send(self.http()?.post(url).form_body(form)).await?;
        parse_revoked(status, &body)
    }

    /// Checks an ID token, fetching the key set again once when the token
    /// names a key the cached set lacks (Twitch rotating its key).
    pub async fn verify_id_token(
        &self,
        token: &str,
        nonce: &str,
        now_s: i64,
    ) -> Result<IdClaims, LoginError> {
        let expected = Expected {
            issuer: self.issuer(),
            client_id: self.client_id(),
            nonce,
            now_s,
        };
        let keys = self.jwks(false).await?;
        match idtoken::verify(token, &keys, expected) {
            Err(IdTokenError::UnknownKey(_)) => {
                let keys = self.jwks(true).await?;
                Ok(idtoken::verify(token, &keys, expected)?)
            }
            other => Ok(other?),
        }
    }

    async fn jwks(&self, stale: bool) -> Result<Jwks, LoginError> {
        let mut cached = self.keys.lock().await;
        if let Some((keys, at)) = cached.as_ref() {
            if !stale || at.elapsed() < JWKS_REFETCH {
                return Ok(keys.clone());
            }
        }
        let url = format!("{}/keys", self.helix.config().oauth_url);
        let (status, body) = self.send(self.http()?.get(url)).await?;
        let keys = parse_keys(status, &body)?;
        *cached = Some((keys.clone(), Instant::now()));
        Ok(keys)
    }

    /// The shared Twitch HTTP client.
    fn http(&self) -> Result<&reqwest::Client, LoginError> {
        self.helix
            .http()
            .map_err(|e| LoginError::Unavailable(e.to_string()))
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, bytes::Bytes), LoginError> {
        let response = request
            .send()
            .await
            .map_err(|e| LoginError::Unavailable(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| LoginError::Unavailable(e.to_string()))?;
        Ok((status, body))
    }
}

/// The token endpoint's answer (code exchange and refresh alike).
pub fn parse_tokens(status: u16, body: &[u8]) -> Result<UserTokens, LoginError> {
    if status != 200 {
        return Err(refusal(status, body));
    }
    let t: TokenBody =
        serde_json::from_slice(body).map_err(|e| LoginError::Decode(e.to_string()))?;
    Ok(UserTokens {
        access_token: t.access_token,
        refresh_token: t.refresh_token.filter(|r| !r.is_empty()),
        expires_in: super::believed_lifetime_s(t.expires_in),
        scopes: scopes(t.scope),
        id_token: t.id_token,
    })
}

/// The validate endpoint's answer: whose token, or that it is dead (401).
pub fn parse_validation(status: u16, body: &[u8]) -> Result<Validation, LoginError> {
    match status {
        200 => {
            let v: ValidateBody =
                serde_json::from_slice(body).map_err(|e| LoginError::Decode(e.to_string()))?;
            let (Some(user_id), Some(login)) = (v.user_id, v.login) else {
                return Err(LoginError::Decode("validate: not a user token".into()));
            };
            Ok(Validation::Valid {
                user_id,
                login,
                scopes: scopes(v.scopes),
                expires_in: super::believed_lifetime_s(v.expires_in),
            })
        }
        401 => Ok(Validation::Invalid),
        _ => Err(refusal(status, body)),
    }
}

/// The revoke endpoint's answer.
pub fn parse_revoked(status: u16, body: &[u8]) -> Result<(), LoginError> {
    match status {
        200 => Ok(()),
        _ => Err(refusal(status, body)),
    }
}

/// The key set endpoint's answer.
pub fn parse_keys(status: u16, body: &[u8]) -> Result<Jwks, LoginError> {
    if status != 200 {
        return Err(refusal(status, body));
    }
    serde_json::from_slice(body).map_err(|e| LoginError::Decode(e.to_string()))
}

/// 400/401/403 are final ("grant gone"); anything else is worth a retry.
fn refusal(status: u16, body: &[u8]) -> LoginError {
    let message = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .and_then(|b| b.message)
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
    match status {
        400 | 401 | 403 | 404 => LoginError::Refused { status, message },
        _ => LoginError::Unavailable(format!("{status}: {message}")),
    }
}

/// A form-encoded body, the only way Twitch's token endpoint takes secrets.
trait FormBody {
    fn form_body(self, body: String) -> Self;
}

impl FormBody for reqwest::RequestBuilder {
    fn form_body(self, body: String) -> Self {
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }
}

pub mod renew;

#[cfg(test)]
mod tests;
