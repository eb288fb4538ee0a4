//! Broadcasters' grants in use: kept at a channel login, validated hourly
//! like sessions (refreshed once when dead, deleted when Twitch refuses the
//! refresh), and opened for recovery, which acts for a broadcaster whether
//! or not they are logged in ([`access_token`]).
//!
//! Every write after a read is conditional on the sealed access token read
//! (`GrantStore`): the sweep and a recovery may refresh the same grant at
//! once, and a refresh token is single-use.

use crate::auth::seal::SealKey;
use crate::auth::session::VALIDATE_EVERY_SECONDS;
use crate::helix::login::renew::{opened, sealed, Renewal};
use crate::helix::login::{Login, UserTokens};
use crate::sessions::{in_batches, Checked, SweepReport};
use crate::store::grants::{grant_owner, BroadcasterGrant, GrantStore};
use crate::store::StoreError;

/// An access token this close to its expiry is refreshed before use: a
/// recovery's Helix calls must not outlive it.
pub const EXPIRY_MARGIN_S: i64 = 300;

/// Reads of the grant before [`access_token`] gives up on one that keeps
/// changing under it (each change is another refresher's success).
const READS: usize = 3;

/// Why there is no usable token for a broadcaster.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// No grant, or Twitch refused it for good (deleted now): recovery
    /// cannot act for this broadcaster until they grant again.
    #[error("no grant: the broadcaster must log in again to recover this")]
    NoGrant,
    /// Twitch could not be asked just now; try again later.
    #[error("Twitch is unavailable to refresh the grant: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Keeps the grant a broadcaster just gave (a channel login), replacing the
/// one they had: `tokens` as the token endpoint answered, expiring at
/// `expires_at_s`, holding `scopes`.
pub async fn keep(
    grants: &(impl GrantStore + ?Sized),
    seal: &SealKey,
    broadcaster_id: &str,
    tokens: &UserTokens,
    expires_at_s: i64,
    scopes: &[String],
    now_s: i64,
) -> Result<(), StoreError> {
    let owner = grant_owner(broadcaster_id);
    grants
        .put_grant(&BroadcasterGrant {
            broadcaster_id: broadcaster_id.to_owned(),
            tokens: sealed(seal, &owner, tokens, expires_at_s),
            scopes: scopes.to_vec(),
            granted_at_s: now_s,
            validated_at_s: now_s,
        })
        .await
}

/// A usable access token for `broadcaster_id`: the kept one while it has
/// [`EXPIRY_MARGIN_S`] left, else refreshed (and the rotation kept). A
/// refresh Twitch refuses deletes the grant: [`GrantError::NoGrant`].
pub async fn access_token(
    grants: &(impl GrantStore + ?Sized),
    login: &Login,
    seal: &SealKey,
    broadcaster_id: &str,
    now_s: i64,
) -> Result<String, GrantError> {
    let owner = grant_owner(broadcaster_id);
    for _ in 0..READS {
        let grant = grants
            .grant(broadcaster_id)
            .await?
            .ok_or(GrantError::NoGrant)?;
        let held = &grant.tokens.access;
        let (Some(access), refresh) = opened(seal, &owner, &grant.tokens) else {
            // Sealed with another key: nothing can ever open it.
            grants.delete_grant(broadcaster_id, Some(held)).await?;
            return Err(GrantError::NoGrant);
        };
        if grant.tokens.expires_at_s > now_s + EXPIRY_MARGIN_S {
            return Ok(access);
        }
        match login.refresh_once(refresh.as_deref()).await {
            Renewal::Refreshed(fresh) => {
                let kept = sealed(seal, &owner, &fresh, now_s + fresh.expires_in);
                if grants
                    .renew_grant(broadcaster_id, held, &kept, now_s)
                    .await?
                {
                    return Ok(fresh.access_token);
                }
            }
            Renewal::Dead => {
                if grants.delete_grant(broadcaster_id, Some(held)).await? {
                    tracing::info!(broadcaster = %broadcaster_id, "deleted a grant Twitch refused to refresh");
                    return Err(GrantError::NoGrant);
                }
            }
            Renewal::Valid | Renewal::Deferred => {
                return Err(GrantError::Unavailable(
                    "the refresh was not answered".into(),
                ))
            }
        }
        // Changed meanwhile (another refresher, a new login, a deletion):
        // what is kept now decides.
    }
    Err(GrantError::Unavailable(
        "the grant kept changing during the refresh".into(),
    ))
}

/// Validates every grant due (last validated an hour ago or more), as
/// Twitch asks of every token an app keeps: a dead one is refreshed once, a
/// grant whose token cannot be brought back is deleted (`ended`).
pub async fn validate_due(
    grants: &(impl GrantStore + ?Sized),
    login: &Login,
    seal: &SealKey,
    now_s: i64,
) -> Result<SweepReport, StoreError> {
    let report = in_batches(
        |limit| grants.grants_to_validate(now_s - VALIDATE_EVERY_SECONDS + 1, limit),
        |g: &BroadcasterGrant| g.broadcaster_id.clone(),
        |grant| async move { check(grants, login, seal, &grant, now_s).await },
    )
    .await?;
    if report.ended > 0 || report.deferred > 0 {
        tracing::info!(?report, "grant validation sweep");
    }
    Ok(report)
}

async fn check(
    grants: &(impl GrantStore + ?Sized),
    login: &Login,
    seal: &SealKey,
    grant: &BroadcasterGrant,
    now_s: i64,
) -> Result<Checked, StoreError> {
    let id = &grant.broadcaster_id;
    let owner = grant_owner(id);
    let held = &grant.tokens.access;
    let forget = || async {
        if grants.delete_grant(id, Some(held)).await? {
            tracing::info!(broadcaster = %id, "deleted a grant whose Twitch token is no longer valid");
        }
        Ok::<_, StoreError>(Checked::Ended)
    };
    let (Some(access), refresh) = opened(seal, &owner, &grant.tokens) else {
        return forget().await;
    };
    match login.renew(&access, refresh.as_deref()).await {
        Renewal::Valid => {
            // Changed meanwhile: its new holder validated it just now.
            grants.renew_grant(id, held, &grant.tokens, now_s).await?;
            Ok(Checked::Valid)
        }
        Renewal::Refreshed(fresh) => {
            let kept = sealed(seal, &owner, &fresh, now_s + fresh.expires_in);
            grants.renew_grant(id, held, &kept, now_s).await?;
            Ok(Checked::Refreshed)
        }
        Renewal::Dead => forget().await,
        Renewal::Deferred => Ok(Checked::Deferred),
    }
}
