//! The routes: `$connect`, `$disconnect`, and the client messages (subscribe,
//! unsubscribe, ping), answered with frames through the `shared::push::Push` port.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use shared::clock::now_ms;
use shared::frames;
use shared::helix::users::id_of_login;
use shared::push::PushError;
use shared::store::connections::{NewConnection, Subscribed};
use shared::store::streamers::{StreamerRef, Wish};
use time::OffsetDateTime;

use crate::message::{valid_broadcaster, ClientMessage};
use crate::state::{Auth, WsState, BACKLOG};

fn response(status: i64, body: &str) -> ApiGatewayProxyResponse {
    let mut r = ApiGatewayProxyResponse::default();
    r.status_code = status;
    if !body.is_empty() {
        r.body = Some(Body::Text(body.to_owned()));
    }
    r
}

/// `id` when it may be tracked: known to the store, or a real Twitch user
/// (asked once; a subscribe must not make the system spend its EventSub
/// budget on ids that do not exist). Without a store or a Twitch client the
/// id is taken as is.
async fn known_id(state: &WsState, id: String) -> Result<String, Vec<String>> {
    let (Some(store), Some(users)) = (&state.streamers, &state.users) else {
        return Ok(id);
    };
    match store.streamer(&id).await {
        Ok(Some(_)) => return Ok(id),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "streamer lookup in the store failed"),
    }
    match users.users(&[id.as_str()], &[]).await {
        Ok(found) if found.iter().any(|u| u.id == id) => Ok(id),
        Ok(_) => Err(vec![frames::error(
            "unknown_streamer",
            &format!("no Twitch user has the id {id}"),
        )]),
        Err(e) => {
            tracing::warn!(error = %e, "Get Users failed");
            Err(vec![frames::error("unavailable", "try again shortly")])
        }
    }
}

/// The user id behind a name, and the login when one was given.
async fn resolve(
    state: &WsState,
    named: StreamerRef,
) -> Result<(String, Option<String>), Vec<String>> {
    let login = match named {
        StreamerRef::Id(id) => return known_id(state, id).await.map(|id| (id, None)),
        StreamerRef::Login(login) => login,
    };
    match id_of_login(state.streamers.as_deref(), state.users.as_deref(), &login).await {
        Ok(Some(id)) => Ok((id, Some(login))),
        Ok(None) if state.users.is_none() => Err(vec![frames::error(
            "unknown_streamer",
            &format!("{login:?} is not a known login here; use the Twitch user id"),
        )]),
        Ok(None) => Err(vec![frames::error(
            "unknown_streamer",
            &format!("no Twitch user has the login {login:?}"),
        )]),
        Err(e) => {
            tracing::warn!(error = %e, "login lookup failed");
            Err(vec![frames::error("unavailable", "try again shortly")])
        }
    }
}

/// The whole handler: one API Gateway WebSocket event in, its response out.
pub async fn handle(
    state: &WsState,
    request: ApiGatewayWebsocketProxyRequest,
) -> ApiGatewayProxyResponse {
    let ctx = &request.request_context;
    let Some(connection_id) = ctx.connection_id.clone() else {
        return response(400, "missing connection id");
    };
    let route = ctx.route_key.clone().unwrap_or_default();
    match route.as_str() {
        "$connect" => connect(state, &request, &connection_id).await,
        "$disconnect" => match state.connections.disconnect(&connection_id).await {
            Ok(()) => response(200, ""),
            Err(e) => {
                tracing::warn!(error = %e, "disconnect cleanup failed; records expire by TTL");
                response(200, "")
            }
        },
        _ => {
            let reply = message(state, &request, &connection_id).await;
            let Some(pusher) = state.pusher(&request).await else {
                tracing::warn!("no way to answer the client: no port for its endpoint");
                return response(200, "");
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
            response(200, "")
        }
    }
}

async fn connect(
    state: &WsState,
    request: &ApiGatewayWebsocketProxyRequest,
    connection_id: &str,
) -> ApiGatewayProxyResponse {
    let principal = match &state.auth {
        Auth::Open => "anonymous".to_owned(),
        Auth::Tickets(key) => {
            let Some(ticket) = request.query_string_parameters.first("ticket") else {
                return response(401, "a ticket is required");
            };
            match key.verify(ticket, OffsetDateTime::now_utc().unix_timestamp()) {
                Ok(user) => user,
                Err(e) => return response(401, &e.to_string()),
            }
        }
    };
    let record = NewConnection {
        id: connection_id.to_owned(),
        principal,
        connected_at_ms: now_ms(),
    };
    match state.connections.connect(&record).await {
        Ok(()) => response(200, ""),
        Err(e) => {
            tracing::error!(error = %e, "could not record the connection");
            response(500, "could not record the connection")
        }
    }
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
    let (broadcaster, login) = match resolve(state, named).await {
        Ok(r) => r,
        Err(frames) => return frames,
    };
    let now = now_ms();
    let failed = |e: shared::store::StoreError| {
        tracing::error!(error = %e, "store failed");
        vec![frames::error("unavailable", "try again shortly")]
    };
    if unsubscribe {
        if let Err(e) = state
            .connections
            .unsubscribe(connection_id, &broadcaster)
            .await
        {
            return failed(e);
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
    match state
        .connections
        .subscribe(connection_id, &broadcaster, state.max_topics, now)
        .await
    {
        Err(e) => return failed(e),
        Ok(Subscribed::TooManyTopics) => {
            return vec![frames::error(
                "too_many_topics",
                &format!(
                    "a connection may watch at most {} streamers",
                    state.max_topics
                ),
            )]
        }
        Ok(Subscribed::UnknownConnection) => {
            return vec![frames::error(
                "unknown_connection",
                "reconnect and subscribe again",
            )]
        }
        Ok(Subscribed::Added | Subscribed::Already) => {}
    }
    let topics = state
        .connections
        .topics(connection_id, now)
        .await
        .map(|t| t.len());
    if let Some(store) = &state.streamers {
        let wish = Wish {
            broadcaster_id: broadcaster.clone(),
            login: login.clone(),
            by: format!("connection:{connection_id}"),
            at_ms: now,
        };
        // The feed works without it (events of tracked streamers flow anyway).
        if let Err(e) = store.want(&wish).await {
            tracing::warn!(error = %e, "could not record the wish to track");
        }
    }
    let mut out = vec![frames::ack(
        "subscribed",
        &broadcaster,
        login.as_deref(),
        topics.unwrap_or(0),
    )];
    match state.events.recent(&broadcaster, BACKLOG, None).await {
        // Oldest first, so a client that prepends ends up newest first.
        Ok(page) => out.extend(page.events.iter().rev().map(|e| frames::event(e, true))),
        Err(e) => tracing::warn!(error = %e, "backlog unavailable"),
    }
    out
}
