//! The routes: `$connect`, `$disconnect`, and the client messages (subscribe,
//! unsubscribe, ping), answered with frames through the `shared::push::Push` port.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use shared::auth::sha256_hex;
use shared::clock::now_ms;
use shared::frames;
use shared::helix::users::id_of_login;
use shared::push::PushError;
use shared::store::connections::{NewConnection, Subscribed};
use shared::store::streamers::{wished_by, StreamerRef, StreamerStore, Wish};
use shared::ticket::TicketError;
use time::OffsetDateTime;

use crate::message::{valid_broadcaster, ClientMessage};
use crate::metrics::{self, Counted};
use crate::state::{Auth, WsState, BACKLOG};

fn response(status: i64, body: &str) -> ApiGatewayProxyResponse {
    let mut r = ApiGatewayProxyResponse::default();
    r.status_code = status;
    if !body.is_empty() {
        r.body = Some(Body::Text(body.to_owned()));
    }
    r
}

/// Who is subscribing: a user (from the ticket) or an anonymous visitor.
struct Caller {
    user: Option<String>,
}

/// Charges one unit of the user's `what` allowance; an error frame when it is spent.
async fn spend(
    state: &WsState,
    user: &str,
    what: &str,
    limit: u32,
    window_s: i64,
) -> Result<bool, Vec<String>> {
    let Some(accounts) = &state.accounts else {
        return Ok(true);
    };
    let now_s = now_ms() / 1000;
    accounts
        .spend(&format!("{what}#{user}"), limit, window_s, now_s)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "allowance store failed");
            try_again()
        })
}

/// A Twitch lookup on behalf of a logged-in user, after charging their
/// allowance: anonymous visitors and spent allowances cause no Twitch call.
async fn may_ask_twitch(state: &WsState, caller: &Caller) -> Result<(), Vec<String>> {
    let Some(user) = &caller.user else {
        return Err(vec![frames::error(
            "unknown_streamer",
            "that streamer is not tracked yet; log in to look up new streamers",
        )]);
    };
    if spend(state, user, "lookup", state.lookups_per_minute, 60).await? {
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
async fn resolve(
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

/// The answer when the store or Twitch failed: nothing changed, try again.
fn try_again() -> Vec<String> {
    vec![frames::error("unavailable", "try again shortly")]
}

/// A store failure, logged; the client is told to try again.
fn store_failed(e: shared::store::StoreError) -> Vec<String> {
    tracing::error!(error = %e, "store failed");
    try_again()
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
/// count against the user's hourly allowance. Anonymous visitors only watch.
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
        match spend(state, user, "track", state.new_tracks_per_hour, 3600).await {
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

/// The whole handler: one API Gateway WebSocket event in, its response out
/// (and its metrics line printed).
pub async fn handle(
    state: &WsState,
    request: ApiGatewayWebsocketProxyRequest,
) -> ApiGatewayProxyResponse {
    let (response, counted) = handle_counted(state, request).await;
    for c in &counted {
        c.emit();
    }
    response
}

/// [`handle`], returning what the invocation counts as instead of printing it.
pub async fn handle_counted(
    state: &WsState,
    request: ApiGatewayWebsocketProxyRequest,
) -> (ApiGatewayProxyResponse, Vec<Counted>) {
    let ctx = &request.request_context;
    let Some(connection_id) = ctx.connection_id.clone() else {
        return (
            response(400, "missing connection id"),
            vec![Counted::refused("missing_connection_id")],
        );
    };
    let route = ctx.route_key.clone().unwrap_or_default();
    match route.as_str() {
        "$connect" => match connect(state, &request, &connection_id).await {
            Ok(()) => (response(200, ""), vec![Counted::plain("Connects")]),
            Err(no) => {
                let counted = if no.status >= 500 {
                    Counted::plain("Failures")
                } else {
                    Counted::refused(no.reason)
                };
                (response(no.status, &no.body), vec![counted])
            }
        },
        "$disconnect" => {
            if let Err(e) = state.connections.disconnect(&connection_id).await {
                tracing::warn!(error = %e, "disconnect cleanup failed; records expire by TTL");
            }
            (response(200, ""), vec![Counted::plain("Disconnects")])
        }
        _ => {
            let reply = message(state, &request, &connection_id).await;
            let counted = metrics::of_frames(&reply);
            let Some(pusher) = state.pusher(&request).await else {
                tracing::warn!("no way to answer the client: no port for its endpoint");
                return (response(200, ""), counted);
            };
            for frame in reply {
                match pusher.post(&connection_id, frame.as_bytes()).await {
                    Ok(()) => {}
                    Err(PushError::Gone) => {
                        let _ = state.connections.disconnect(&connection_id).await;
                        break;
                    }
                    Err(e) => tracing::warn!(error = %e, "could not answer the client"),
                }
            }
            (response(200, ""), counted)
        }
    }
}

/// Why a `$connect` was not let in: the reason it counts under, and the answer.
struct Refused {
    reason: &'static str,
    status: i64,
    body: String,
}

impl Refused {
    fn new(reason: &'static str, status: i64, body: impl Into<String>) -> Self {
        Self {
            reason,
            status,
            body: body.into(),
        }
    }
}

async fn connect(
    state: &WsState,
    request: &ApiGatewayWebsocketProxyRequest,
    connection_id: &str,
) -> Result<(), Refused> {
    // Browsers always send Origin on the handshake: a page elsewhere must not
    // open a socket with a ticket it somehow holds.
    let origin = request.headers.get("origin").and_then(|v| v.to_str().ok());
    if let Some(origin) = origin {
        if !state.origins.is_empty()
            && !state.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
        {
            return Err(Refused::new("origin", 403, "this origin may not connect"));
        }
    }
    let ticket = request.query_string_parameters.first("ticket");
    let (key, required) = match &state.auth {
        Auth::Open(key) => (key.as_ref(), false),
        Auth::Tickets(key) => (Some(key), true),
    };
    let principal = match (ticket, key) {
        (None, _) if required => {
            return Err(Refused::new("ticket_required", 401, "a ticket is required"))
        }
        (None, _) | (Some(_), None) => "anonymous".to_owned(),
        (Some(ticket), Some(key)) => {
            let now_s = OffsetDateTime::now_utc().unix_timestamp();
            let valid = key
                .verify(ticket, &state.audience(request), now_s)
                .map_err(|e| Refused::new(e.code(), 401, e.to_string()))?;
            if let Some(accounts) = &state.accounts {
                match accounts
                    .use_ticket(&sha256_hex(&valid.id), valid.expires_at_s)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        let used = TicketError::Used;
                        return Err(Refused::new(used.code(), 401, used.to_string()));
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "could not mark a ticket used");
                        return Err(Refused::new("store", 500, "could not check the ticket"));
                    }
                }
            }
            valid.user
        }
    };
    let record = NewConnection {
        id: connection_id.to_owned(),
        principal,
        connected_at_ms: now_ms(),
    };
    state.connections.connect(&record).await.map_err(|e| {
        tracing::error!(error = %e, "could not record the connection");
        Refused::new("store", 500, "could not record the connection")
    })
}

/// The frames to send back for one client message.
async fn message(
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
