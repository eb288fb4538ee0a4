//! The client messages: subscribe (with the backlog and the wish to track),
//! unsubscribe and ping, for users, anonymous visitors and overlays.

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use shared::clock::now_ms;
use shared::frames;
use shared::store::connections::Subscribed;
use shared::store::streamers::{wished_by, StreamerRef, StreamerStore, Wish};
use shared::store::users::DEPLOYMENT_TRACKS;

use crate::message::{valid_broadcaster, ClientMessage};
use crate::state::{session_lives, WsState, BACKLOG};

use super::lookup::{resolve, spend, Caller};
use super::{store_failed, try_again};

/// An overlay's subscribe (with backlog) or unsubscribe of its streamer:
/// never a lookup, never a wish.
async fn overlay_message(
    state: &WsState,
    connection_id: &str,
    id: &str,
    unsubscribe: bool,
) -> Vec<String> {
    let now = now_ms();
    if unsubscribe {
        if let Err(e) = state.connections.unsubscribe(connection_id, id).await {
            return store_failed(e);
        }
        return vec![frames::ack("unsubscribed", id, None, 0)];
    }
    if let Err(refused) = add_topic(state, connection_id, id, now).await {
        return refused;
    }
    let mut out = vec![frames::ack("subscribed", id, None, 1)];
    match state.events.recent(id, BACKLOG, None).await {
        Ok(page) => out.extend(page.events.iter().rev().map(|e| frames::event(e, true))),
        Err(e) => tracing::warn!(error = %e, "backlog unavailable"),
    }
    out
}

/// Subscribes the connection to `broadcaster`; the frames to answer with
/// instead when that is refused or the store failed.
async fn add_topic(
    state: &WsState,
    connection_id: &str,
    broadcaster: &str,
    now: i64,
) -> Result<(), Vec<String>> {
    match state
        .connections
        .subscribe(connection_id, broadcaster, state.max_topics, now)
        .await
    {
        Err(e) => Err(store_failed(e)),
        Ok(Subscribed::TooManyTopics) => Err(vec![too_many_topics(state)]),
        Ok(Subscribed::UnknownConnection) => Err(vec![frames::error(
            "unknown_connection",
            "reconnect and subscribe again",
        )]),
        Ok(Subscribed::Added | Subscribed::Already) => Ok(()),
    }
}

fn too_many_topics(state: &WsState) -> String {
    frames::error(
        "too_many_topics",
        &format!(
            "a connection may watch at most {} streamers",
            state.max_topics
        ),
    )
}

/// A logged-in user's subscribe asks for its streamer to be tracked (the
/// subscription manager takes it from there); streamers not tracked yet
/// count against the user's hourly allowance and the deployment's (past
/// either, the socket watches it untracked). Anonymous visitors only watch.
async fn track(
    state: &WsState,
    store: &dyn StreamerStore,
    user: &str,
    broadcaster: &str,
    login: Option<String>,
    now: i64,
) -> Vec<String> {
    let existing = match store.streamer(broadcaster).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "streamer lookup failed; not tracking");
            return Vec::new();
        }
    };
    let tracked = existing.as_ref().is_some_and(|s| s.wanted);
    if !tracked {
        let key = format!("track#{user}");
        match spend(state, &key, state.new_tracks_per_hour, 3600).await {
            Ok(true) => {}
            Ok(false) => {
                return vec![frames::error(
                    "track_limit",
                    &format!(
                        "watching, but not tracked: at most {} new streamers an hour per user",
                        state.new_tracks_per_hour
                    ),
                )]
            }
            Err(frames) => return frames,
        }
        let limit = state.budgets.new_tracks_per_hour;
        match spend(state, DEPLOYMENT_TRACKS, limit, 3600).await {
            Ok(true) => {}
            Ok(false) => {
                return vec![frames::error(
                    "deployment_busy",
                    &format!(
                        "watching, but not tracked: this deployment starts tracking at most \
                         {limit} new streamers an hour; streamers already tracked are unaffected"
                    ),
                )]
            }
            Err(frames) => return frames,
        }
    }
    let wish = Wish {
        broadcaster_id: broadcaster.to_owned(),
        login,
        by: wished_by(existing.as_ref(), user),
        at_ms: now,
    };
    // The feed works without it (events of tracked streamers flow anyway).
    if let Err(e) = store.want(&wish).await {
        tracing::warn!(error = %e, "could not record the wish to track");
    }
    Vec::new()
}

/// The frames to send back for one client message.
pub(super) async fn message(
    state: &WsState,
    request: &ApiGatewayWebsocketProxyRequest,
    connection_id: &str,
) -> Vec<String> {
    let body = request.body.as_deref().unwrap_or_default();
    let (broadcaster, unsubscribe) = match ClientMessage::parse(body) {
        Err(frame) => return vec![frame],
        Ok(ClientMessage::Ping {}) => return vec![frames::pong()],
        Ok(ClientMessage::Subscribe { broadcaster }) => (broadcaster, false),
        Ok(ClientMessage::Unsubscribe { broadcaster }) => (broadcaster, true),
    };
    let named = match valid_broadcaster(broadcaster.as_ref()) {
        Ok(b) => b,
        Err(why) => return vec![frames::error("invalid_broadcaster", why)],
    };
    let connection = match state.connections.connection(connection_id, now_ms()).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return vec![frames::error(
                "unknown_connection",
                "reconnect and subscribe again",
            )]
        }
        Err(e) => {
            tracing::error!(error = %e, "store failed");
            return try_again();
        }
    };
    // A logout or a revocation ends what the socket may ask for at once: it
    // acted for that session, which is gone (one read per subscribe).
    if !unsubscribe {
        if let Some(accounts) = &state.accounts {
            match session_lives(
                accounts.as_ref(),
                &connection.principal,
                connection.session.as_deref(),
            )
            .await
            {
                Ok(true) => {}
                Ok(false) => {
                    return vec![frames::error(
                        "session_ended",
                        "you logged out or disconnected this app at Twitch; log in again",
                    )]
                }
                Err(_) => return try_again(),
            }
        }
    }
    // The cap before any lookup: a refused subscribe costs no Twitch call.
    let named_id = matches!(&named, StreamerRef::Id(id) if connection.topics.contains(id));
    if !unsubscribe && !named_id && connection.topics.len() >= state.max_topics as usize {
        return vec![too_many_topics(state)];
    }
    // An overlay's tickets are for one streamer, read-only.
    if let Some(only) = shared::ticket::overlay_streamer(&connection.principal) {
        return match &named {
            StreamerRef::Id(id) if id == only => {
                overlay_message(state, connection_id, only, unsubscribe).await
            }
            _ => vec![frames::error(
                "forbidden",
                "an overlay watches its own streamer only",
            )],
        };
    }
    let caller = Caller {
        user: (connection.principal != "anonymous").then_some(connection.principal),
    };
    let (broadcaster, login) = match resolve(state, &caller, named).await {
        Ok(r) => r,
        Err(frames) => return frames,
    };
    let now = now_ms();
    if unsubscribe {
        if let Err(e) = state
            .connections
            .unsubscribe(connection_id, &broadcaster)
            .await
        {
            return store_failed(e);
        }
        let topics = state
            .connections
            .topics(connection_id, now)
            .await
            .map(|t| t.len());
        return vec![frames::ack(
            "unsubscribed",
            &broadcaster,
            login.as_deref(),
            topics.unwrap_or(0),
        )];
    }
    if let Err(refused) = add_topic(state, connection_id, &broadcaster, now).await {
        return refused;
    }
    let topics = state
        .connections
        .topics(connection_id, now)
        .await
        .map(|t| t.len());
    let mut out = vec![frames::ack(
        "subscribed",
        &broadcaster,
        login.as_deref(),
        topics.unwrap_or(0),
    )];
    if let (Some(store), Some(user)) = (&state.streamers, &caller.user) {
        out.extend(track(state, store.as_ref(), user, &broadcaster, login, now).await);
    }
    match state.events.recent(&broadcaster, BACKLOG, None).await {
        // Oldest first, so a client that prepends ends up newest first.
        Ok(page) => out.extend(page.events.iter().rev().map(|e| frames::event(e, true))),
        Err(e) => tracing::warn!(error = %e, "backlog unavailable"),
    }
    out
}
