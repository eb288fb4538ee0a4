//! The WebSocket API's routes. API Gateway selects the route from the body's
//! `action`; replies and errors go back to the client as frames through the
//! `@connections` API (a route's HTTP status only matters on `$connect`).
//!
//! - `$connect`: needs a valid ticket in `?ticket=` unless the API is in open mode.
//! - `subscribe` / `unsubscribe`: `{"action":"subscribe","broadcaster":"<user id>"}`;
//!   subscribing sends the streamer's recent events (backlog) to the connection.
//! - `$default`: `{"action":"ping"}` gets a `pong` frame (keeps an idle
//!   connection inside API Gateway's 10-minute idle limit); anything else gets
//!   an error frame.
//! - `$disconnect`: removes the connection and its topics (best effort; records
//!   also expire on their own).

use shared::clock::now_ms;
use std::collections::HashMap;
use std::sync::Arc;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use serde::Deserialize;
use shared::config::ConfigError;
use shared::frames;
use shared::helix::Helix;
use shared::push::{self, PushError, Pusher};
use shared::store::connections::{ConnectionStore, NewConnection, Subscribed};
use shared::store::streamers::{StreamerRef, StreamerStore, Wish};
use shared::store::EventStore;
use shared::ticket::TicketKey;
use time::OffsetDateTime;
use tokio::sync::Mutex;

/// Streamers one connection may watch at once.
pub const DEFAULT_MAX_TOPICS: u32 = 20;
/// Events sent as backlog on subscribe.
pub const BACKLOG: usize = 10;
/// Largest client message read; anything longer is refused with an error frame.
pub const MAX_CLIENT_MESSAGE: usize = 4 * 1024;

/// Who may connect.
#[derive(Clone, Debug)]
pub enum Auth {
    /// Anyone (a public feed); chosen explicitly, never a default.
    Open,
    /// Only holders of a valid ticket.
    Tickets(TicketKey),
}

/// What the handler needs, built once per process.
pub struct WsState {
    pub connections: Arc<dyn ConnectionStore>,
    pub events: Arc<dyn EventStore>,
    pub auth: Auth,
    pub max_topics: u32,
    /// `WEBSOCKET_ENDPOINT`: wins over the request context's domain and stage.
    pub endpoint: Option<String>,
    /// Where a subscribe asks for its streamer to be tracked (the
    /// subscription manager takes it from there); `None`: nothing is tracked.
    pub streamers: Option<Arc<dyn StreamerStore>>,
    /// Looks up logins the store does not know (Get Users only: this function
    /// never creates subscriptions itself); `None`: ids or known logins only.
    pub users: Option<Arc<Helix>>,
    pushers: Mutex<HashMap<String, Pusher>>,
}

impl WsState {
    /// A state over the given stores.
    pub fn new(
        connections: Arc<dyn ConnectionStore>,
        events: Arc<dyn EventStore>,
        auth: Auth,
        endpoint: Option<String>,
    ) -> Self {
        Self {
            connections,
            events,
            auth,
            max_topics: DEFAULT_MAX_TOPICS,
            endpoint,
            streamers: None,
            users: None,
            pushers: Mutex::new(HashMap::new()),
        }
    }

    /// The Lambda's state: `CONNECTIONS_TABLE`, the events tables,
    /// `WEBSOCKET_AUTH` (`tickets`, the default, or `open`), `TICKET_SECRET`.
    pub async fn from_env() -> Result<Self, ConfigError> {
        use shared::config::Retention;
        use shared::store::dynamo::{DynamoConnectionStore, DynamoStore, Tables};
        let client = DynamoStore::client_from_env().await;
        let table = std::env::var("CONNECTIONS_TABLE")
            .map_err(|_| ConfigError::Missing("CONNECTIONS_TABLE"))?;
        let connections = Arc::new(DynamoConnectionStore::new(client.clone(), table));
        let events = Arc::new(DynamoStore::new(
            client,
            Tables::from_env()?,
            Retention::from_env()?,
        ));
        let auth = match std::env::var("WEBSOCKET_AUTH").as_deref() {
            Ok("open") => Auth::Open,
            _ => {
                let secret = std::env::var("TICKET_SECRET")
                    .map_err(|_| ConfigError::Missing("TICKET_SECRET"))?;
                Auth::Tickets(
                    TicketKey::new(secret.as_bytes()).ok_or(ConfigError::Invalid {
                        name: "TICKET_SECRET",
                        why: "must be at least 32 bytes".into(),
                    })?,
                )
            }
        };
        let endpoint = std::env::var("WEBSOCKET_ENDPOINT").ok();
        let mut state = Self::new(connections, events, auth, endpoint);
        if let Ok(table) = std::env::var("STREAMERS_TABLE") {
            let client = DynamoStore::client_from_env().await;
            state.streamers = Some(Arc::new(shared::store::dynamo::DynamoStreamerStore::new(
                client, table,
            )));
        }
        if std::env::var("TWITCH_CLIENT_ID").is_ok() {
            let helix = Helix::new(shared::helix::HelixConfig::from_env()?).map_err(|e| {
                ConfigError::Invalid {
                    name: "TWITCH_CLIENT_ID",
                    why: e.to_string(),
                }
            })?;
            state.users = Some(Arc::new(helix));
        }
        Ok(state)
    }

    /// Posts through `pusher` for `endpoint` (the local stack uses a client
    /// with static local credentials).
    pub fn use_pusher(&mut self, endpoint: &str, pusher: Pusher) {
        self.endpoint = Some(endpoint.to_owned());
        self.pushers.get_mut().insert(endpoint.to_owned(), pusher);
    }

    async fn pusher(&self, request: &ApiGatewayWebsocketProxyRequest) -> Pusher {
        let ctx = &request.request_context;
        let endpoint = push::endpoint(
            self.endpoint.as_deref(),
            ctx.domain_name.as_deref().unwrap_or_default(),
            ctx.stage.as_deref().unwrap_or_default(),
        );
        let mut cache = self.pushers.lock().await;
        if let Some(p) = cache.get(&endpoint) {
            return p.clone();
        }
        let p = Pusher::new(&endpoint).await;
        cache.insert(endpoint, p.clone());
        p
    }
}

fn response(status: i64, body: &str) -> ApiGatewayProxyResponse {
    let mut r = ApiGatewayProxyResponse::default();
    r.status_code = status;
    if !body.is_empty() {
        r.body = Some(Body::Text(body.to_owned()));
    }
    r
}

/// A client message to a route.
#[derive(Debug, Deserialize)]
struct ClientMessage {
    action: Option<String>,
    broadcaster: Option<serde_json::Value>,
}

/// The streamer a client message names: a Twitch user id or login, as a string.
fn valid_broadcaster(v: Option<&serde_json::Value>) -> Result<StreamerRef, &'static str> {
    const WHAT: &str = "broadcaster must be a Twitch user id (digits) or login, as a string";
    match v {
        Some(serde_json::Value::String(s)) => StreamerRef::parse(s).ok_or(WHAT),
        Some(_) => Err(WHAT),
        None => Err("broadcaster is missing"),
    }
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
    if let Some(store) = &state.streamers {
        match store.id_of_login(&login).await {
            Ok(Some(id)) => return Ok((id, Some(login))),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "login lookup in the store failed"),
        }
    }
    let Some(users) = &state.users else {
        return Err(vec![frames::error(
            "unknown_streamer",
            &format!("{login:?} is not a known login here; use the Twitch user id"),
        )]);
    };
    match users.users(&[], &[login.as_str()]).await {
        Ok(found) => match found
            .into_iter()
            .find(|u| u.login.eq_ignore_ascii_case(&login))
        {
            Some(u) => Ok((u.id, Some(login))),
            None => Err(vec![frames::error(
                "unknown_streamer",
                &format!("no Twitch user has the login {login:?}"),
            )]),
        },
        Err(e) => {
            tracing::warn!(error = %e, "Get Users failed");
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
            let pusher = state.pusher(&request).await;
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
    if body.len() > MAX_CLIENT_MESSAGE {
        return vec![frames::error(
            "message_too_large",
            "messages are limited to 4 KB",
        )];
    }
    let msg: ClientMessage = match serde_json::from_str(body) {
        Ok(m) => m,
        Err(_) => {
            return vec![frames::error(
                "malformed_message",
                "send JSON like {\"action\":\"subscribe\",\"broadcaster\":\"1337\"}",
            )]
        }
    };
    let action = msg.action.as_deref().unwrap_or_default();
    if action == "ping" {
        return vec![frames::pong()];
    }
    if action != "subscribe" && action != "unsubscribe" {
        return vec![frames::error(
            "unknown_action",
            "action must be subscribe, unsubscribe or ping",
        )];
    }
    let named = match valid_broadcaster(msg.broadcaster.as_ref()) {
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
    if action == "unsubscribe" {
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
