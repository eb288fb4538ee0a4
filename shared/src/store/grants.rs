//! A broadcaster's grant: the Twitch tokens they gave when they let this
//! site read their channel, kept apart from sessions so that recovering a
//! coverage gap can act for them after they logged out (a logout ends the
//! session and revokes its tokens; the grant stays). One per broadcaster: a
//! later channel login replaces it, their revocation of our app at Twitch
//! (`user.authorization.revoke`) deletes it, and the hourly validation
//! refreshes it or deletes it once Twitch says it is dead.
//!
//! Tokens are sealed (AES-256-GCM, `auth::seal`) for [`grant_owner`] by the
//! caller before they get here. Writes that follow a read of the tokens are
//! conditional on the sealed access token read (a fresh nonce per seal makes
//! it unique): refresh tokens are single-use, so two refreshers of one grant
//! (the sweep, a recovery) must not overwrite each other's rotation, and a
//! grant replaced by a new login must not be deleted for its old token.

use async_trait::async_trait;

use super::sealed::SealedTokens;
use super::StoreError;

/// One broadcaster's grant as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BroadcasterGrant {
    /// The broadcaster (their Twitch user id).
    pub broadcaster_id: String,
    /// Access and refresh token, sealed for [`grant_owner`].
    pub tokens: SealedTokens,
    /// The scopes Twitch granted (what recovery may ask Helix for).
    pub scopes: Vec<String>,
    /// When the broadcaster last logged in through the channel login.
    pub granted_at_s: i64,
    /// The last successful `/validate` or refresh (Twitch wants one an hour).
    pub validated_at_s: i64,
}

/// The owner a grant's tokens are sealed for: not a session hash, so a
/// session's sealed token copied onto a grant (or back) does not open.
pub fn grant_owner(broadcaster_id: &str) -> String {
    format!("grant#{broadcaster_id}")
}

/// Broadcasters' grants (the users table: a grant is about one user, and the
/// hourly validation's index is there).
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Stores a broadcaster's grant, replacing the one they had.
    async fn put_grant(&self, grant: &BroadcasterGrant) -> Result<(), StoreError>;

    /// A broadcaster's grant, if they have one (read consistently).
    async fn grant(&self, broadcaster_id: &str) -> Result<Option<BroadcasterGrant>, StoreError>;

    /// Records a grant's tokens after a validation or a refresh, only while
    /// it still holds the sealed access token `held` (and ends any refresh
    /// claim); `false` (nothing written) when it was replaced, refreshed by
    /// another or deleted.
    async fn renew_grant(
        &self,
        broadcaster_id: &str,
        held: &str,
        tokens: &SealedTokens,
        validated_at_s: i64,
    ) -> Result<bool, StoreError>;

    /// Claims the right to refresh a grant until `until_s` (refresh tokens
    /// are single-use: two refreshers at once would have one refused and
    /// delete a live grant), only while it holds the sealed access token
    /// `held` and no other claim runs at `now_s`; `false` otherwise. A
    /// [`GrantStore::renew_grant`] ends the claim; a refresher that dies
    /// leaves it to expire.
    async fn claim_refresh(
        &self,
        broadcaster_id: &str,
        held: &str,
        until_s: i64,
        now_s: i64,
    ) -> Result<bool, StoreError>;

    /// Grants last validated before `before_s`, oldest first.
    async fn grants_to_validate(
        &self,
        before_s: i64,
        limit: usize,
    ) -> Result<Vec<BroadcasterGrant>, StoreError>;

    /// Deletes a broadcaster's grant; with `held`, only while it holds that
    /// sealed access token. `false` when nothing was deleted.
    async fn delete_grant(
        &self,
        broadcaster_id: &str,
        held: Option<&str>,
    ) -> Result<bool, StoreError>;
}
