//! The hourly validation Twitch asks of apps that keep sessions: each
//! session's token is checked with `/validate`; a dead one is refreshed once
//! (the new refresh token always stored), and a session whose token cannot
//! be brought back is ended. Twitch being unreachable ends nothing: the
//! session is simply tried again at the next sweep.

use crate::auth::seal::SealKey;
use crate::auth::session::VALIDATE_EVERY_SECONDS;
use crate::helix::login::renew::{opened, sealed, Renewal};
use crate::helix::login::Login;
use crate::store::users::{Session, SessionStore};
use crate::store::StoreError;

/// Sessions read per batch.
pub const SWEEP_BATCH: usize = 500;
/// How long one sweep keeps taking batches (it runs inside a scheduled
/// invocation with other work; what is left is first in line next time).
pub const SWEEP_BUDGET: std::time::Duration = std::time::Duration::from_secs(120);

/// What one sweep did (of sessions, or of broadcasters' grants).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    pub checked: usize,
    pub valid: usize,
    pub refreshed: usize,
    /// Their tokens dead: the session ended, the grant deleted.
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
    let report = in_batches(
        |limit| users.sessions_to_validate(now_s - VALIDATE_EVERY_SECONDS + 1, limit),
        |s: &Session| s.hash.clone(),
        |session| async move { check(users, login, seal, &session, now_s).await },
    )
    .await?;
    if report.ended > 0 || report.deferred > 0 {
        tracing::info!(?report, "session validation sweep");
    }
    Ok(report)
}

/// The hourly sweep's loop, for whatever holds tokens (sessions, grants):
/// batches of what is due (`due(limit)`), each checked, until nothing is
/// due or the budget is spent. Each checked one leaves the due range; a
/// deferred one stays there (and is not asked about again in this sweep).
pub(crate) async fn in_batches<T, Due, DueFut, Check, CheckFut>(
    due: Due,
    key: impl Fn(&T) -> String,
    check: Check,
) -> Result<SweepReport, StoreError>
where
    Due: Fn(usize) -> DueFut,
    DueFut: std::future::Future<Output = Result<Vec<T>, StoreError>>,
    Check: Fn(T) -> CheckFut,
    CheckFut: std::future::Future<Output = Result<Checked, StoreError>>,
{
    let started = std::time::Instant::now();
    let mut report = SweepReport::default();
    let mut deferred = std::collections::HashSet::new();
    while started.elapsed() < SWEEP_BUDGET {
        let fresh: Vec<T> = due(SWEEP_BATCH + deferred.len())
            .await?
            .into_iter()
            .filter(|t| !deferred.contains(&key(t)))
            .collect();
        if fresh.is_empty() {
            break;
        }
        for item in fresh {
            report.checked += 1;
            let id = key(&item);
            match check(item).await? {
                Checked::Valid => report.valid += 1,
                Checked::Refreshed => report.refreshed += 1,
                Checked::Ended => report.ended += 1,
                Checked::Expired => report.expired += 1,
                Checked::Deferred => {
                    report.deferred += 1;
                    deferred.insert(id);
                }
            }
        }
    }
    Ok(report)
}

/// What checking one holder of tokens came to.
pub(crate) enum Checked {
    Valid,
    Refreshed,
    /// Its tokens are dead: the session ended, the grant deleted.
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
    let (Some(access), refresh) = opened(seal, &session.hash, tokens) else {
        return end().await;
    };
    if session.expires_at_s < now_s {
        // Best effort: a failed revoke still ends the session.
        let _ = login.revoke(&access).await;
        if let Some(r) = &refresh {
            let _ = login.revoke(r).await;
        }
        users.end_session(&session.hash).await?;
        return Ok(Checked::Expired);
    }
    match login.renew(&access, refresh.as_deref()).await {
        Renewal::Valid => {
            users
                .set_session_tokens(&session.hash, Some(tokens), now_s)
                .await?;
            Ok(Checked::Valid)
        }
        Renewal::Refreshed(fresh) => {
            let kept = sealed(seal, &session.hash, &fresh, now_s + fresh.expires_in);
            users
                .set_session_tokens(&session.hash, Some(&kept), now_s)
                .await?;
            Ok(Checked::Refreshed)
        }
        Renewal::Dead => end().await,
        Renewal::Deferred => Ok(Checked::Deferred),
    }
}
