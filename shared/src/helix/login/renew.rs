//! Keeping a user token alive the way Twitch asks (validate hourly; on a 401
//! try one refresh; if that is refused the grant is gone), and sealing what
//! the token endpoint answered for keeping: the one home for sessions'
//! tokens and broadcasters' grants alike.

use super::{Login, LoginError, UserTokens, Validation};
use crate::auth::seal::SealKey;
use crate::store::sealed::SealedTokens;

/// What renewing a token came to.
#[derive(Debug)]
pub enum Renewal {
    /// `/validate` accepted the access token as it is.
    Valid,
    /// It was dead and one refresh brought it back: keep these (the refresh
    /// token rotated: the old one is spent).
    Refreshed(UserTokens),
    /// Twitch refused it for good (no refresh token, or the refresh refused):
    /// the user must log in again.
    Dead,
    /// Twitch could not be asked (network, 429, 5xx, an unexpected answer):
    /// nothing is known, try again later.
    Deferred,
}

impl Login {
    /// Validates `access`; a dead one is refreshed once with `refresh`.
    pub async fn renew(&self, access: &str, refresh: Option<&str>) -> Renewal {
        match self.alive(access).await {
            Some(true) => Renewal::Valid,
            Some(false) => self.refresh_once(refresh).await,
            None => Renewal::Deferred,
        }
    }

    /// Whether `/validate` takes `access` (`None`: Twitch could not say).
    /// The first half of [`Login::renew`], for a caller that must claim the
    /// refresh before the second.
    pub async fn alive(&self, access: &str) -> Option<bool> {
        match self.validate(access).await {
            Ok(Validation::Valid { .. }) => Some(true),
            Ok(Validation::Invalid) => Some(false),
            Err(LoginError::Unavailable(_)) => None,
            Err(e) => {
                tracing::warn!(error = %e, "validate answered unexpectedly");
                None
            }
        }
    }

    /// One refresh (an access token known to be expired needs no validation
    /// first); without a refresh token the grant is gone.
    pub async fn refresh_once(&self, refresh: Option<&str>) -> Renewal {
        let Some(refresh) = refresh else {
            return Renewal::Dead;
        };
        match self.refresh(refresh).await {
            Ok(fresh) => Renewal::Refreshed(fresh),
            Err(LoginError::Refused { .. }) => Renewal::Dead,
            Err(e) => {
                tracing::warn!(error = %e, "a token refresh failed; tried again later");
                Renewal::Deferred
            }
        }
    }
}

/// `tokens` sealed for `owner`, the access token expiring at `expires_at_s`.
pub fn sealed(seal: &SealKey, owner: &str, tokens: &UserTokens, expires_at_s: i64) -> SealedTokens {
    SealedTokens {
        access: seal.seal(owner, &tokens.access_token),
        refresh: tokens.refresh_token.as_deref().map(|r| seal.seal(owner, r)),
        expires_at_s,
    }
}

/// A kept pair opened: the access token (`None`: it does not open with this
/// key and owner) and the refresh token, if any opens.
pub fn opened(
    seal: &SealKey,
    owner: &str,
    tokens: &SealedTokens,
) -> (Option<String>, Option<String>) {
    let access = seal.open(owner, &tokens.access).ok();
    let refresh = tokens
        .refresh
        .as_deref()
        .and_then(|r| seal.open(owner, r).ok());
    (access, refresh)
}
