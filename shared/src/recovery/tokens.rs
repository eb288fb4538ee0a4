//! The broadcaster's token, as recovery asks for it: the port
//! ([`UserTokens`]) and its one adapter, the kept grants ([`Grants`],
//! `grants::access_token`: refreshed when near expiry, or "the broadcaster
//! must log in again").

use std::sync::Arc;

use async_trait::async_trait;

use crate::auth::seal::SealKey;
use crate::grants::{access_token, GrantError};
use crate::helix::login::Login;
use crate::store::grants::GrantStore;

/// Where recovery gets a broadcaster's user access token.
#[async_trait]
pub trait UserTokens: Send + Sync {
    /// A usable access token for `broadcaster_id` at `now_s`.
    async fn user_token(&self, broadcaster_id: &str, now_s: i64) -> Result<String, GrantError>;
}

/// The broadcasters' kept grants, opened with the key they were sealed with.
pub struct Grants {
    pub store: Arc<dyn GrantStore>,
    pub login: Login,
    pub seal: SealKey,
}

#[async_trait]
impl UserTokens for Grants {
    async fn user_token(&self, broadcaster_id: &str, now_s: i64) -> Result<String, GrantError> {
        access_token(
            self.store.as_ref(),
            &self.login,
            &self.seal,
            broadcaster_id,
            now_s,
        )
        .await
    }
}
