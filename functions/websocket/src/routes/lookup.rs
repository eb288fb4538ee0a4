//! The streamer behind what a client named (a user id or a login), asking
//! Twitch only for logged-in users and within their allowances.

use shared::clock::now_ms;
use shared::frames;
use shared::helix::ratelimit::LOOKUPS_BUSY;
use shared::helix::users::id_of_login;
use shared::store::streamers::StreamerRef;

use crate::state::WsState;

use super::try_again;

/// Who is subscribing: a user (from the ticket) or an anonymous visitor.
pub(super) struct Caller {
    pub(super) user: Option<String>,
}

/// Charges one unit of `key`'s allowance (`<what>#<user id>`, or the
/// deployment's); `false` when it is spent, an error frame when the store failed.
pub(super) async fn spend(
    state: &WsState,
    key: &str,
    limit: u32,
    window_s: i64,
) -> Result<bool, Vec<String>> {
    let Some(accounts) = &state.accounts else {
        return Ok(true);
    };
    let now_s = now_ms() / 1000;
    accounts
        .spend(key, limit, window_s, now_s)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "allowance store failed");
            try_again()
        })
}

/// A Twitch lookup on behalf of a logged-in user, after charging their
/// allowance: anonymous visitors, spent allowances and a Helix bucket under
/// its reserve cause no Twitch call.
async fn may_ask_twitch(state: &WsState, caller: &Caller) -> Result<(), Vec<String>> {
    let Some(user) = &caller.user else {
        return Err(vec![frames::error(
            "unknown_streamer",
            "that streamer is not tracked yet; log in to look up new streamers",
        )]);
    };
    // The share kept for the poller and the manager, before the user's
    // allowance is charged: this instance's last view of the bucket.
    let busy = state.users.as_ref().is_some_and(|helix| {
        helix
            .rate_limit()
            .under_reserve(state.budgets.helix_reserve_percent)
    });
    if busy {
        return Err(vec![frames::error("deployment_busy", LOOKUPS_BUSY)]);
    }
    let key = format!("lookup#{user}");
    if spend(state, &key, state.lookups_per_minute, 60).await? {
        Ok(())
    } else {
        Err(vec![frames::error(
            "rate_limited",
            &format!(
                "at most {} new streamer lookups a minute; try again shortly",
                state.lookups_per_minute
            ),
        )])
    }
}

/// `id` when it may be watched: known to the store; else, for a logged-in
/// user, a real Twitch user (asked once, so a subscribe never makes the
/// system spend its EventSub budget on ids that do not exist); anonymous
/// visitors may watch any id but never have it tracked.
async fn known_id(state: &WsState, caller: &Caller, id: String) -> Result<String, Vec<String>> {
    let (Some(store), Some(users)) = (&state.streamers, &state.users) else {
        return Ok(id);
    };
    match store.streamer(&id).await {
        Ok(Some(_)) => return Ok(id),
        Ok(None) => {}
        // Never Twitch in its place: a store hiccup must not cost lookups.
        Err(e) => {
            tracing::warn!(error = %e, "streamer lookup in the store failed");
            return Err(try_again());
        }
    }
    if caller.user.is_none() {
        return Ok(id);
    }
    may_ask_twitch(state, caller).await?;
    match users.users(&[id.as_str()], &[]).await {
        Ok(found) if found.iter().any(|u| u.id == id) => Ok(id),
        Ok(_) => Err(vec![frames::error(
            "unknown_streamer",
            &format!("no Twitch user has the id {id}"),
        )]),
        Err(e) => {
            tracing::warn!(error = %e, "Get Users failed");
            Err(try_again())
        }
    }
}

/// The user id behind a name, and the login when one was given.
pub(super) async fn resolve(
    state: &WsState,
    caller: &Caller,
    named: StreamerRef,
) -> Result<(String, Option<String>), Vec<String>> {
    let login = match named {
        StreamerRef::Id(id) => return known_id(state, caller, id).await.map(|id| (id, None)),
        StreamerRef::Login(login) => login,
    };
    // The store first: a known login costs no Twitch call and no allowance.
    let unknown = || {
        vec![frames::error(
            "unknown_streamer",
            &format!("{login:?} is not a known login here; use the Twitch user id"),
        )]
    };
    match id_of_login(state.streamers.as_deref(), None, &login).await {
        Ok(Some(id)) => return Ok((id, Some(login))),
        Ok(None) if state.users.is_none() => return Err(unknown()),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "login lookup failed");
            return Err(try_again());
        }
    }
    may_ask_twitch(state, caller).await?;
    match id_of_login(None, state.users.as_deref(), &login).await {
        Ok(Some(id)) => Ok((id, Some(login))),
        Ok(None) => Err(vec![frames::error(
            "unknown_streamer",
            &format!("no Twitch user has the login {login:?}"),
        )]),
        Err(e) => {
            tracing::warn!(error = %e, "login lookup failed");
            Err(try_again())
        }
    }
}
