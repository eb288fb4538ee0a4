//! `GET /api/me`, `PUT`/`DELETE /api/me/favourites/{login}`, `POST /api/ws-ticket`.
//!
//! A favourite is a user's wish to have a streamer tracked: adding one wants
//! the streamer, removing the last one releases it (unless an admin pinned
//! it). Caps and the per-user lookup allowance are checked before any
//! Twitch call, so one user cannot spend the app's Helix budget.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use shared::eventsub::types::subscriptions::{self, is_gift_recipient};
use shared::store::streamers::{wished_by, StreamerRef, Wish, PINNED_BY};
use shared::store::users::{Favourite, FavouriteAdded, DEPLOYMENT_TRACKS};
use shared::store::Cursor;

use super::visitor::{required, same_origin, visitor};
use super::AccountRoutes;
use crate::error::{shown, shown_segment, ApiError};

/// A route's outcome as its response: the JSON with its status, or the error's.
pub(super) fn reply(result: Result<(StatusCode, Value), ApiError>) -> Response<Body> {
    match result {
        Ok((status, body)) => crate::json(status, body.to_string()),
        Err(e) => e.into_response(),
    }
}

/// 405 with the methods the path takes.
pub fn not_allowed(method: &str, path: &str, allowed: &'static str) -> Response<Body> {
    ApiError::MethodNotAllowed {
        method: shown(method),
        path: shown(path),
        allowed: allowed.split(", ").collect(),
    }
    .into_response()
}

/// `GET /api/me`: the user and their favourites with their live state.
pub async fn me(account: &AccountRoutes, request: &Request, now_s: i64) -> Response<Body> {
    reply(
        async {
            let v = required(account, request, now_s).await?;
            let favourites = account.users.favourites(&v.user.id).await?;
            let ids: Vec<String> = favourites.iter().map(|f| f.streamer_id.clone()).collect();
            let live = account.snapshots.live_states(&ids).await?;
            let mut unread = Vec::with_capacity(favourites.len());
            for f in &favourites {
                unread.push(unread_since(account, f).await?);
            }
            let favourites: Vec<Value> = favourites
                .iter()
                .zip(unread)
                .map(|(f, unread)| {
                    let state = live
                        .iter()
                        .find(|l| l.broadcaster_id == f.streamer_id && l.live);
                    json!({
                        "overlay": f.overlay,
                        "read_cursor": f.read_cursor,
                        "read_at_ms": f.read_cursor.as_deref().and_then(read_at_ms),
                        "unread": unread,
                        "id": f.streamer_id,
                        "login": f.login,
                        "added_at_ms": f.added_at_ms,
                        "live": state.is_some(),
                        "viewer_count": state.map(|l| l.viewer_count),
                        "title": state.map(|l| l.title.clone()),
                    "game_name": state.map(|l| l.game_name.clone()),
                    })
                })
                .collect();
            let channel_granted: Vec<&String> = account
                .channel_scopes
                .iter()
                .filter(|s| v.user.scopes.contains(s))
                .collect();
            Ok((
                StatusCode::OK,
                json!({
                    "user": {
                        "id": v.user.id,
                        "login": v.user.login,
                        "display_name": v.user.display_name,
                        "picture": v.user.picture,
                        "channel_scopes": channel_granted,
                    },
                    "favourites": favourites,
                    "limits": {"favourites": account.max_favourites},
                    "session_expires_at_s": v.session.expires_at_s,
                }),
            ))
        }
        .await,
    )
}

/// Events newer than the favourite's read marker, or before the first mark
/// newer than when it became a favourite, counted up to [`UNREAD_COUNTED`]
/// (more reads as "100+"); a gift's recipients count once, as the gift.
async fn unread_since(account: &AccountRoutes, f: &Favourite) -> Result<usize, ApiError> {
    let from = f
        .read_cursor
        .as_deref()
        .and_then(|c| Cursor::decode(c).ok())
        .unwrap_or_else(|| Cursor::at_time(f.added_at_ms));
    let page = account
        .events
        .after(&f.streamer_id, &from, UNREAD_COUNTED)
        .await?;
    Ok(page
        .events
        .iter()
        .filter(|e| !gift_recipient(&e.event))
        .count())
}

/// Whether a stored event is one recipient of a gift (see
/// [`is_gift_recipient`]); only subscribes are parsed.
fn gift_recipient(event: &shared::store::Event) -> bool {
    event.event_type == subscriptions::SUBSCRIBE.name
        && serde_json::from_str::<Value>(&event.payload)
            .is_ok_and(|v| is_gift_recipient(&event.event_type, &v))
}

/// When the event a read marker points at arrived (the page draws the
/// "new since you last looked" line there).
fn read_at_ms(cursor: &str) -> Option<i64> {
    let key = Cursor::decode(cursor).ok()?;
    key.sort_key().split_once('#')?.0.parse().ok()
}

/// Unread events counted per favourite at most (one page of the feed).
pub const UNREAD_COUNTED: usize = 100;

/// `PUT /api/me/favourites/{login}/read?cursor=…`: the user has read the
/// favourite's feed up to this position (a cursor from a frame or a page).
pub async fn mark_read(
    account: &AccountRoutes,
    request: &Request,
    segment: &str,
    now_s: i64,
) -> Response<Body> {
    reply(
        async {
            same_origin(account, request)?;
            let v = required(account, request, now_s).await?;
            let query = super::login::query(request);
            let cursor = query.get("cursor").ok_or(ApiError::InvalidParameter {
                name: "cursor",
                why: "the feed position read up to is required".into(),
            })?;
            // Only positions this system handed out.
            Cursor::decode(cursor)?;
            let have = account.users.favourites(&v.user.id).await?;
            let f = own(&have, segment)?;
            account
                .users
                .mark_read(&v.user.id, &f.streamer_id, cursor)
                .await?;
            Ok((
                StatusCode::OK,
                json!({"id": f.streamer_id, "read_cursor": cursor, "unread": 0}),
            ))
        }
        .await,
    )
}

/// A streamer named by a path segment: its id and login, from the store, or
/// from Twitch after the user's lookup allowance is charged.
async fn resolve(
    account: &AccountRoutes,
    user_id: &str,
    segment: &str,
    now_s: i64,
) -> Result<(String, String), ApiError> {
    let wanted = StreamerRef::parse(segment)
        .ok_or_else(|| ApiError::InvalidStreamer(shown_segment(segment)))?;
    match &wanted {
        StreamerRef::Login(login) => {
            if let Some(id) = account.streamers.id_of_login(login).await? {
                return Ok((id, login.clone()));
            }
        }
        StreamerRef::Id(id) => {
            if let Some(login) = account.streamers.streamer(id).await?.and_then(|s| s.login) {
                return Ok((id.clone(), login));
            }
        }
    }
    // The share kept for the poller and the manager, before the user's
    // allowance is charged: this instance's last view of the bucket.
    if account
        .helix
        .rate_limit()
        .under_reserve(account.budgets.helix_reserve_percent)
    {
        return Err(ApiError::LookupsBusy);
    }
    let key = format!("lookup#{user_id}");
    if !account
        .users
        .spend(&key, account.lookups_per_minute, 60, now_s)
        .await?
    {
        return Err(ApiError::TooManyRequests(format!(
            "at most {} Twitch lookups a minute per user",
            account.lookups_per_minute
        )));
    }
    let (ids, logins): (Vec<&str>, Vec<&str>) = match &wanted {
        StreamerRef::Id(id) => (vec![id.as_str()], vec![]),
        StreamerRef::Login(login) => (vec![], vec![login.as_str()]),
    };
    let found = account.helix.users(&ids, &logins).await.map_err(|e| {
        tracing::warn!(error = %e, "Get Users failed for a favourite");
        ApiError::TwitchUnavailable
    })?;
    found
        .into_iter()
        .next()
        .map(|u| (u.id, u.login.to_ascii_lowercase()))
        .ok_or_else(|| ApiError::UnknownStreamer(shown_segment(segment)))
}

/// `PUT /api/me/favourites/{login}`.
pub async fn add_favourite(
    account: &AccountRoutes,
    request: &Request,
    segment: &str,
    now_ms: i64,
) -> Response<Body> {
    let now_s = now_ms / 1000;
    reply(async {
        same_origin(account, request)?;
        let v = required(account, request, now_s).await?;
        let have = account.users.favourites(&v.user.id).await?;
        if let Some(f) = named(&have, segment) {
            return Ok((StatusCode::OK, json!({"favourite": favourite_json(f), "added": false})));
        }
        // The cap first: a user at the cap costs no Twitch call.
        if have.len() >= account.max_favourites {
            return Err(ApiError::OverCap {
                what: "favourites",
                cap: account.max_favourites,
            });
        }
        let (id, login) = resolve(account, &v.user.id, segment, now_s).await?;
        let existing = account.streamers.streamer(&id).await?;
        // A streamer not tracked yet spends the deployment's hourly
        // allowance of new tracks, before the favourite is kept.
        if !existing.as_ref().is_some_and(|s| s.wanted)
            && !account
                .users
                .spend(DEPLOYMENT_TRACKS, account.budgets.new_tracks_per_hour, 3600, now_s)
                .await?
        {
            return Err(ApiError::NewTracksSpent(account.budgets.new_tracks_per_hour));
        }
        let favourite = Favourite::new(&id, &login, now_ms);
        let added = account
            .users
            .add_favourite(&v.user.id, &favourite, account.max_favourites)
            .await?;
        if added == FavouriteAdded::OverCap {
            return Err(ApiError::OverCap {
                what: "favourites",
                cap: account.max_favourites,
            });
        }
        account.streamers
            .want(&Wish {
                by: wished_by(existing.as_ref(), &v.user.id),
                broadcaster_id: id,
                login: Some(login),
                at_ms: now_ms,
            })
            .await?;
        let status = if added == FavouriteAdded::Added {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((
            status,
            json!({"favourite": favourite_json(&favourite), "added": added == FavouriteAdded::Added}),
        ))
    }
    .await)
}

/// The favourite a path segment names, by id or by login.
pub(super) fn named<'a>(have: &'a [Favourite], segment: &str) -> Option<&'a Favourite> {
    have.iter()
        .find(|f| f.streamer_id == segment || f.login.eq_ignore_ascii_case(segment))
}

/// The caller's favourite named by `segment`, or 404 `unknown_streamer`.
pub(super) fn own<'a>(have: &'a [Favourite], segment: &str) -> Result<&'a Favourite, ApiError> {
    named(have, segment).ok_or_else(|| ApiError::UnknownStreamer(shown_segment(segment)))
}

fn favourite_json(f: &Favourite) -> Value {
    json!({"id": f.streamer_id, "login": f.login, "added_at_ms": f.added_at_ms})
}

/// `DELETE /api/me/favourites/{login}`: never a Twitch call.
pub async fn remove_favourite(
    account: &AccountRoutes,
    request: &Request,
    segment: &str,
    now_ms: i64,
) -> Response<Body> {
    let now_s = now_ms / 1000;
    reply(
        async {
            same_origin(account, request)?;
            let v = required(account, request, now_s).await?;
            let have = account.users.favourites(&v.user.id).await?;
            let Some(f) = named(&have, segment) else {
                return Ok((StatusCode::OK, json!({"removed": false})));
            };
            let removed = account
                .users
                .remove_favourite(&v.user.id, &f.streamer_id)
                .await?;
            if removed {
                release_if_unwanted(account, &f.streamer_id, now_ms).await?;
            }
            Ok((
                StatusCode::OK,
                json!({"removed": removed, "id": f.streamer_id}),
            ))
        }
        .await,
    )
}

/// Releases a streamer nobody has as a favourite any more (unless an admin
/// asked for it). Checked again after the release: a favourite added in
/// between wants it back, so a race never leaves a wanted streamer untracked.
async fn release_if_unwanted(
    account: &AccountRoutes,
    id: &str,
    now_ms: i64,
) -> Result<(), ApiError> {
    if !account.users.fans(id, 1).await?.is_empty() {
        return Ok(());
    }
    let Some(streamer) = account.streamers.streamer(id).await? else {
        return Ok(());
    };
    if streamer.requested_by == PINNED_BY || !streamer.wanted {
        return Ok(());
    }
    account.streamers.release(id, now_ms).await?;
    if let Some(fan) = account.users.fans(id, 1).await?.into_iter().next() {
        account
            .streamers
            .want(&Wish {
                broadcaster_id: id.to_owned(),
                login: streamer.login,
                by: fan,
                at_ms: now_ms,
            })
            .await?;
    }
    Ok(())
}

/// `POST /api/ws-ticket`: a 60-second, single-use ticket for this user and
/// this WebSocket API (in open mode, anonymous visitors get one too).
pub async fn ticket(account: &AccountRoutes, request: &Request, now_s: i64) -> Response<Body> {
    reply(
        async {
            same_origin(account, request)?;
            let (user, session) = match visitor(account, request, now_s).await? {
                Some(v) => (v.user.id, Some(v.session.hash)),
                None if account.open => ("anonymous".to_owned(), None),
                None => return Err(ApiError::NotLoggedIn),
            };
            let ticket = account.tickets.issue_for_session(
                &user,
                session.as_deref(),
                &account.websocket_url,
                now_s,
            );
            Ok((
                StatusCode::OK,
                json!({
                    "ticket": ticket,
                    "expires_in": shared::ticket::TICKET_TTL_SECONDS,
                    "websocket_url": account.websocket_url,
                }),
            ))
        }
        .await,
    )
}
