//! Broadcasters' grants in use: kept at a channel login, validated hourly
//! like sessions (refreshed once when dead, deleted when Twitch refuses the
//! refresh), and opened for recovery, which acts for a broadcaster whether
//! or not they are logged in ([`access_token`]).
//!
//! Every write after a read is conditional on the sealed access token read
//! (`GrantStore`), and a refresh runs under a claim on the grant: the sweep
//! and a recovery may want to refresh the same grant at once, and a refresh
//! token is single-use (the second refresh would be refused, and the grant
//! deleted while it is alive).

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

/// Reads of the grant before [`access_token`] gives up on one that another
/// refresher holds or that keeps changing under it.
const READS: usize = 3;

/// What is done with a broadcaster's token once their grant validated in
/// the hourly sweep (the subscriber list, `recovery::baseline::ListKeeper`).
#[async_trait::async_trait]
pub trait OnValid: Send + Sync {
    /// `access_token` is `broadcaster_id`'s, alive at `now_s`.
    async fn valid(&self, broadcaster_id: &str, access_token: &str, now_s: i64);
}

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
    for _ in 0..READS {
        let grant = grants
            .grant(broadcaster_id)
            .await?
            .ok_or(GrantError::NoGrant)?;
        let (Some(access), refresh) = opened(seal, &grant_owner(broadcaster_id), &grant.tokens)
        else {
            // Sealed with another key: nothing can ever open it.
            forget(grants, &grant).await?;
            return Err(GrantError::NoGrant);
        };
        if grant.tokens.expires_at_s > now_s + EXPIRY_MARGIN_S {
            return Ok(access);
        }
        match refreshed(grants, login, seal, &grant, refresh, now_s).await? {
            Refreshed::Kept(access) => return Ok(access),
            Refreshed::Gone => return Err(GrantError::NoGrant),
            Refreshed::Deferred => {
                return Err(GrantError::Unavailable(
                    "the refresh was not answered".into(),
                ))
            }
            // Another refresher, a new login: what is kept now decides.
            Refreshed::Busy => {}
        }
    }
    Err(GrantError::Unavailable(
        "another refresh of this grant is running".into(),
    ))
}

/// Validates every grant due (last validated an hour ago or more), as
/// Twitch asks of every token an app keeps: a dead one is refreshed once, a
/// grant whose token cannot be brought back is deleted (`ended`). Each
/// token alive is then handed to `on_valid`, if given.
pub async fn validate_due(
    grants: &(impl GrantStore + ?Sized),
    login: &Login,
    seal: &SealKey,
    on_valid: Option<&dyn OnValid>,
    now_s: i64,
) -> Result<SweepReport, StoreError> {
    let report = in_batches(
        |limit| grants.grants_to_validate(now_s - VALIDATE_EVERY_SECONDS + 1, limit),
        |g: &BroadcasterGrant| g.broadcaster_id.clone(),
        |grant| async move {
            let (checked, alive) = check(grants, login, seal, &grant, now_s).await?;
            if let (Some(then), Some(access)) = (on_valid, alive) {
                then.valid(&grant.broadcaster_id, &access, now_s).await;
            }
            Ok(checked)
        },
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
) -> Result<(Checked, Option<String>), StoreError> {
    let owner = grant_owner(&grant.broadcaster_id);
    let (Some(access), refresh) = opened(seal, &owner, &grant.tokens) else {
        forget(grants, grant).await?;
        return Ok((Checked::Ended, None));
    };
    match login.alive(&access).await {
        Some(true) => {
            // Changed meanwhile: its new holder validated it just now.
            let held = &grant.tokens.access;
            grants
                .renew_grant(&grant.broadcaster_id, held, &grant.tokens, now_s)
                .await?;
            Ok((Checked::Valid, Some(access)))
        }
        Some(false) => Ok(
            match refreshed(grants, login, seal, grant, refresh, now_s).await? {
                Refreshed::Kept(fresh) => (Checked::Refreshed, Some(fresh)),
                Refreshed::Gone => (Checked::Ended, None),
                Refreshed::Busy | Refreshed::Deferred => (Checked::Deferred, None),
            },
        ),
        None => Ok((Checked::Deferred, None)),
    }
}

/// How long a refresh claim holds: one token request, with room to spare.
const CLAIM_S: i64 = 30;

/// What refreshing a grant came to.
enum Refreshed {
    /// Refreshed and kept: the new access token.
    Kept(String),
    /// Twitch refused the refresh: the grant is deleted.
    Gone,
    /// Another refresher holds the claim, or the grant changed meanwhile.
    Busy,
    /// Twitch could not be asked.
    Deferred,
}

/// One refresh of `grant` under a claim (refresh tokens are single-use:
/// a second refresher would be refused and delete a live grant).
async fn refreshed(
    grants: &(impl GrantStore + ?Sized),
    login: &Login,
    seal: &SealKey,
    grant: &BroadcasterGrant,
    refresh: Option<String>,
    now_s: i64,
) -> Result<Refreshed, StoreError> {
    let (id, held) = (&grant.broadcaster_id, &grant.tokens.access);
    if !grants
        .claim_refresh(id, held, now_s + CLAIM_S, now_s)
        .await?
    {
        return Ok(Refreshed::Busy);
    }
    Ok(match login.refresh_once(refresh.as_deref()).await {
        Renewal::Refreshed(fresh) => {
            let kept = sealed(seal, &grant_owner(id), &fresh, now_s + fresh.expires_in);
            if grants.renew_grant(id, held, &kept, now_s).await? {
                Refreshed::Kept(fresh.access_token)
            } else {
                Refreshed::Busy
            }
        }
        Renewal::Dead if forget(grants, grant).await? => Refreshed::Gone,
        Renewal::Dead => Refreshed::Busy,
        Renewal::Valid | Renewal::Deferred => Refreshed::Deferred,
    })
}

/// Deletes a grant whose tokens are dead, unless it changed since it was
/// read; whether it was deleted.
async fn forget(
    grants: &(impl GrantStore + ?Sized),
    grant: &BroadcasterGrant,
) -> Result<bool, StoreError> {
    let id = &grant.broadcaster_id;
    let deleted = grants.delete_grant(id, Some(&grant.tokens.access)).await?;
    if deleted {
        tracing::info!(broadcaster = %id, "deleted a grant whose Twitch token is no longer valid");
    }
    Ok(deleted)
}
