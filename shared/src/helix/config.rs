//! Where Twitch is and who we are to it.

use std::fmt;

use crate::config::{env, ConfigError};

/// Twitch's Helix API.
pub const HELIX_URL: &str = "https://api.twitch.tv/helix";
/// Twitch's OAuth endpoints.
pub const OAUTH_URL: &str = "https://id.twitch.tv/oauth2";

/// The app's client secret; never shown by `Debug`.
#[derive(Clone)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the token request only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// Base URLs and app credentials.
#[derive(Clone, Debug)]
pub struct HelixConfig {
    /// e.g. `https://api.twitch.tv/helix`, no trailing slash.
    pub helix_url: String,
    /// e.g. `https://id.twitch.tv/oauth2`, no trailing slash.
    pub oauth_url: String,
    pub client_id: String,
    pub client_secret: ClientSecret,
}

impl HelixConfig {
    /// Real Twitch with these credentials.
    pub fn twitch(client_id: &str, client_secret: ClientSecret) -> Self {
        Self::at(HELIX_URL, OAUTH_URL, client_id, client_secret)
    }

    /// Twitch (or a stand-in) at the given base URLs.
    pub fn at(helix: &str, oauth: &str, client_id: &str, client_secret: ClientSecret) -> Self {
        Self {
            helix_url: helix.trim_end_matches('/').to_owned(),
            oauth_url: oauth.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            client_secret,
        }
    }

    /// `TWITCH_CLIENT_ID`, `TWITCH_CLIENT_SECRET`, and optionally
    /// `TWITCH_HELIX_URL` / `TWITCH_OAUTH_URL` (default: Twitch).
    pub fn from_env() -> Result<Self, ConfigError> {
        let secret = ClientSecret::new(env::required("TWITCH_CLIENT_SECRET")?);
        Self::from_env_with_secret(secret)
    }

    /// [`HelixConfig::from_env`] with the client secret read elsewhere (a
    /// function's secret store).
    pub fn from_env_with_secret(secret: ClientSecret) -> Result<Self, ConfigError> {
        let id = env::required("TWITCH_CLIENT_ID")?;
        let helix = env::optional("TWITCH_HELIX_URL").unwrap_or_else(|| HELIX_URL.into());
        let oauth = env::optional("TWITCH_OAUTH_URL").unwrap_or_else(|| OAUTH_URL.into());
        Ok(Self::at(&helix, &oauth, &id, secret))
    }
}
