//! The hourly validation Twitch asks of apps that keep sessions: each
//! session's token is checked with `/validate`; a dead one is refreshed once
//! (the new refresh token always stored), and a session whose token cannot
//! be brought back is ended. Twitch being unreachable ends nothing: the
//! session is simply tried again at the next sweep.

use crate::auth::seal::SealKey;
use crate::auth::session::VALIDATE_EVERY_SECONDS;
use crate::helix::login::{Login, LoginError, Validation};
use crate::store::users::{SealedTokens, Session, SessionStore};
use crate::store::StoreError;

/// Sessions read per batch.
pub const SWEEP_BATCH: usize = 500;
/// How long one sweep keeps taking batches (it runs inside a scheduled
/// invocation with other work; what is left is first in line next time).
pub const SWEEP_BUDGET: std::time::Duration = std::time::Duration::from_secs(120);

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    pub checked: usize,
    pub valid: usize,
    pub refreshed: usize,
    pub ended: usize,
    /// Sessions past their expiry: their tokens revoked, the session deleted
    /// (TTL is lazy, and an idle-out must not leave a live token behind).
    pub expired: usize,
    /// Twitch could not be asked; tried again next sweep.
    pub deferred: usize,
}

/// Validates every session due (last validated an hour ago or more).
/// Generic over the store, not `&dyn SessionStore`, so that a caller holding
/// all of the users table (`dyn UserStore`) passes it as it is: turning one
/// trait object into another needs Rust 1.86, the workspace allows 1.85.
pub async fn validate_due(
    users: &(impl SessionStore + ?Sized),
    login: &Login,
    seal: &SealKey,
    now_s: i64,
) -> Result<SweepReport, StoreError> {
    let started = std::time::Instant::now();
    let mut report = SweepReport::default();
    // Batches until nothing is due or the budget is spent: each checked
    // session leaves the index's due range, a deferred one stays (and is
    // not asked about again in this sweep).
    let mut deferred = std::collections::HashSet::new();
    while started.elapsed() < SWEEP_BUDGET {
        let due = users
            .sessions_to_validate(
                now_s - VALIDATE_EVERY_SECONDS + 1,
                SWEEP_BATCH + deferred.len(),
            )
            .await?;
        let fresh: Vec<Session> = due
            .into_iter()
            .filter(|s| !deferred.contains(&s.hash))
            .collect();
        if fresh.is_empty() {
            break;
        }
        for session in fresh {
            report.checked += 1;
            match check(users, login, seal, &session, now_s).await? {
                Checked::Valid => report.valid += 1,
                Checked::Refreshed => report.refreshed += 1,
                Checked::Ended => report.ended += 1,
                Checked::Expired => report.expired += 1,
                Checked::Deferred => {
                    report.deferred += 1;
                    deferred.insert(session.hash.clone());
                }
            }
        }
    }
    if report.ended > 0 || report.deferred > 0 {
        tracing::info!(?report, "session validation sweep");
    }
    Ok(report)
}

enum Checked {
    Valid,
    Refreshed,
    Ended,
    Expired,
    Deferred,
}

async fn check(
    users: &(impl SessionStore + ?Sized),
    login: &Login,
    seal: &SealKey,
    session: &Session,
    now_s: i64,
) -> Result<Checked, StoreError> {
    let Some(tokens) = &session.tokens else {
        return Ok(Checked::Valid);
    };
    let end = || async {
        users.end_session(&session.hash).await?;
        tracing::info!(user = %session.user_id, "ended a session whose Twitch token is no longer valid");
        Ok::<_, StoreError>(Checked::Ended)
    };
    let Ok(access) = seal.open(&session.hash, &tokens.access) else {
        return end().await;
    };
    if session.expires_at_s < now_s {
        // Best effort: a failed revoke still ends the session.
        let _ = login.revoke(&access).await;
        if let Some(r) = tokens
            .refresh
            .as_deref()
            .and_then(|r| seal.open(&session.hash, r).ok())
        {
            let _ = login.revoke(&r).await;
        }
        users.end_session(&session.hash).await?;
        return Ok(Checked::Expired);
    }
    match login.validate(&access).await {
        Ok(Validation::Valid { .. }) => {
            users
                .set_session_tokens(&session.hash, Some(tokens), now_s)
                .await?;
            return Ok(Checked::Valid);
        }
        Ok(Validation::Invalid) => {}
        Err(LoginError::Unavailable(_)) => return Ok(Checked::Deferred),
        Err(e) => {
            tracing::warn!(error = %e, "validate answered unexpectedly");
            return Ok(Checked::Deferred);
        }
    }
    let refresh = tokens
        .refresh
        .as_deref()
        .and_then(|r| seal.open(&session.hash, r).ok());
    let Some(refresh) = refresh else {
        return end().await;
    };
    match login.refresh(&refresh).await {
        Ok(fresh) => {
            let sealed = SealedTokens {
                access: seal.seal(&session.hash, &fresh.access_token),
                // Rotated: the old refresh token is spent.
                refresh: fresh
                    .refresh_token
                    .as_deref()
                    .map(|r| seal.seal(&session.hash, r)),
                expires_at_s: now_s + fresh.expires_in,
            };
            users
                .set_session_tokens(&session.hash, Some(&sealed), now_s)
                .await?;
            Ok(Checked::Refreshed)
        }
        Err(LoginError::Refused { .. }) => end().await,
        Err(_) => Ok(Checked::Deferred),
    }
}
