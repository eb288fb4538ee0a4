//! A broadcaster's grant, what the channel login (`/auth/login?channel=1`)
//! records: their streamer tracked with the scopes granted, their own
//! channel a favourite, and their tokens kept apart from sessions
//! (`shared::grants`), so recovery can act for them after a logout.

use shared::grants;
use shared::helix::login::renew::opened;
use shared::helix::login::UserTokens;
use shared::store::grants::grant_owner;
use shared::store::streamers::Wish;
use shared::store::users::{Favourite, User};

use shared::store::StoreError;

use super::AccountRoutes;

/// `return_to` with `granted=1` in its query (before any fragment): the
/// page then confirms what the broadcaster's grant lets this site receive.
pub(super) fn granted_marker(return_to: &str) -> String {
    let (path, fragment) = match return_to.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (return_to, None),
    };
    let joiner = if path.contains('?') { '&' } else { '?' };
    match fragment {
        Some(f) => format!("{path}{joiner}granted=1#{f}"),
        None => format!("{path}{joiner}granted=1"),
    }
}

/// A broadcaster let us read their channel: their streamer is tracked and
/// its scopes are what this grant holds (fewer than before is recorded as
/// fewer), and their own channel becomes a favourite.
pub(super) async fn record(
    account: &AccountRoutes,
    user: &User,
    granted: &[String],
    now_ms: i64,
) -> Result<(), StoreError> {
    let scopes: Vec<String> = account
        .channel_scopes
        .iter()
        .filter(|s| granted.contains(s))
        .cloned()
        .collect();
    let added = account
        .users
        .add_favourite(
            &user.id,
            &Favourite::new(&user.id, &user.login, now_ms),
            account.max_favourites,
        )
        .await?;
    tracing::debug!(?added, "own channel as a favourite");
    account
        .streamers
        .want(&Wish {
            broadcaster_id: user.id.clone(),
            login: Some(user.login.clone()),
            by: user.id.clone(),
            at_ms: now_ms,
        })
        .await?;
    account
        .streamers
        .set_scopes(&user.id, &scopes, now_ms)
        .await?;
    Ok(())
}

/// Keeps a broadcaster's grant apart from sessions (replacing the one they
/// had, whose tokens are then revoked at Twitch, best effort: each user may
/// hold only so many live tokens per app).
pub(super) async fn keep(
    account: &AccountRoutes,
    broadcaster_id: &str,
    tokens: &UserTokens,
    expires_at_s: i64,
    scopes: &[String],
    now_s: i64,
) -> Result<(), StoreError> {
    let old = account.users.grant(broadcaster_id).await?;
    let users = account.users.as_ref();
    grants::keep(
        users,
        &account.seal,
        broadcaster_id,
        tokens,
        expires_at_s,
        scopes,
        now_s,
    )
    .await?;
    if let Some(old) = old {
        let (access, refresh) = opened(&account.seal, &grant_owner(broadcaster_id), &old.tokens);
        for token in access.iter().chain(refresh.iter()) {
            if let Err(e) = account.login.revoke(token).await {
                tracing::warn!(error = %e, "could not revoke a replaced grant's token");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::granted_marker;

    #[test]
    fn the_granted_marker_goes_in_the_query_before_any_fragment() {
        assert_eq!(granted_marker("/"), "/?granted=1");
        assert_eq!(granted_marker("/?a=b"), "/?a=b&granted=1");
        assert_eq!(granted_marker("/#user1337"), "/?granted=1#user1337");
    }
}
