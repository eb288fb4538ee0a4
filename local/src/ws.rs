//! The WebSocket endpoint (`/ws`), played as API Gateway plays it: each
//! connect, message and disconnect becomes an API Gateway WebSocket event
//! (route key chosen from the body's `action`, connection id, event type,
//! domain, stage) handed to the very same handler as the Lambda's, and frames
//! the handler posts to `@connections` are written to the socket.
//!
//! API Gateway's limits apply: 128 KB frames, 10 minutes idle, 2 hours at most.

use shared::clock::now_ms;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use shared::push::MAX_FRAME_BYTES;
use websocket::WsState;

use crate::gateway::{Connections, Inbox, Outbound};

/// API Gateway closes a connection idle this long.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// API Gateway closes every connection after this long.
pub const MAX_DURATION: Duration = Duration::from_secs(2 * 3600);

/// The WebSocket side of the local stack.
pub struct WsHost {
    pub state: WsState,
    pub gateway: Arc<Connections>,
    /// `host:port`, as the request context's `domainName`.
    pub domain: String,
    /// A connection with nothing sent or received this long is closed
    /// ([`IDLE_TIMEOUT`]; tests shorten it).
    pub idle: Duration,
    /// Every connection is closed after this long ([`MAX_DURATION`]).
    pub lifetime: Duration,
    /// Client messages being handled, and the most there were at once.
    pub messages: Arc<Gauge>,
}

/// A count of things in progress and its high-water mark.
#[derive(Debug, Default)]
pub struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    /// One more in progress until the returned guard is dropped.
    pub fn enter(self: &Arc<Self>) -> GaugeGuard {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        GaugeGuard(Arc::clone(self))
    }

    /// How many are in progress.
    pub fn now(&self) -> usize {
        self.now.load(Ordering::SeqCst)
    }

    /// The most there were at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// One thing in progress on a [`Gauge`].
pub struct GaugeGuard(Arc<Gauge>);

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `/ws` (tickets come from the api function's `POST /api/ws-ticket`).
pub fn routes(host: Arc<WsHost>) -> Router {
    Router::new().route("/ws", get(upgrade)).with_state(host)
}

/// An API Gateway WebSocket event, in the shape AWS sends.
fn event(
    host: &WsHost,
    route: &str,
    kind: &str,
    connection_id: &str,
    query: Option<&HashMap<String, String>>,
    headers: Option<&HeaderMap>,
    body: Option<&str>,
) -> Option<ApiGatewayWebsocketProxyRequest> {
    let mut value = json!({
        "requestContext": {
            "routeKey": route,
            "eventType": kind,
            "connectionId": connection_id,
            "domainName": host.domain,
            "stage": "local",
            "apiId": "local",
            "requestId": uuid::Uuid::new_v4().to_string(),
            "requestTimeEpoch": now_ms(),
            "connectedAt": now_ms(),
            "messageDirection": "IN",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "isBase64Encoded": false,
    });
    if let Some(q) = query {
        value["queryStringParameters"] = json!(q);
    }
    // `$connect` carries the handshake's headers (the Origin among them).
    if let Some(h) = headers {
        let map: serde_json::Map<String, serde_json::Value> = h
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), json!(v.to_str().ok()?))))
            .collect();
        value["headers"] = serde_json::Value::Object(map);
    }
    if let Some(b) = body {
        value["body"] = json!(b);
    }
    serde_json::from_value(value).ok()
}

/// API Gateway's route selection: `$request.body.action`.
fn route_of(body: &str) -> &'static str {
    let action = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("action").and_then(|a| a.as_str()).map(str::to_owned));
    match action.as_deref() {
        Some("subscribe") => "subscribe",
        Some("unsubscribe") => "unsubscribe",
        _ => "$default",
    }
}

async fn upgrade(
    State(host): State<Arc<WsHost>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let id = format!("{}=", &uuid::Uuid::new_v4().simple().to_string()[..15]);
    let Some(connect) = event(
        &host,
        "$connect",
        "CONNECT",
        &id,
        Some(&query),
        Some(&headers),
        None,
    ) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let answer = websocket::handle(&host.state, connect).await;
    if answer.status_code != 200 {
        let status =
            StatusCode::from_u16(answer.status_code as u16).unwrap_or(StatusCode::FORBIDDEN);
        let message = match answer.body {
            Some(aws_lambda_events::encodings::Body::Text(t)) => t,
            _ => "connection refused".into(),
        };
        return (
            status,
            Json(json!({"error": "unauthorized", "message": message})),
        )
            .into_response();
    }
    let agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let outbound = host.gateway.register(&id, "127.0.0.1", agent);
    upgrade
        .max_message_size(MAX_FRAME_BYTES)
        // tungstenite allocates its read buffer up front (128 KiB by default)
        // and keeps it for the socket's life: with 10,000 sockets that alone
        // is 1.3 GB. Clients send small requests (a subscribe is under 100
        // bytes; 4 KB at most), so 1 KB that grows when needed is enough.
        .read_buffer_size(1024)
        .on_upgrade(move |socket| serve(host, id, socket, outbound))
}

/// Client messages one socket may have in flight; beyond, its reads wait
/// (and the client's sends with them). API Gateway throttles per route;
/// here what one socket makes the stack hold is bounded.
pub const MESSAGES_IN_FLIGHT: usize = 16;
/// How long a close frame may take to go out before the socket is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

async fn serve(host: Arc<WsHost>, id: String, mut socket: WebSocket, mut outbound: Inbox) {
    // Both deadlines are raced against every read and every send: a client
    // that stops reading blocks a send, not its timers.
    let lifetime = tokio::time::sleep(host.lifetime);
    let idle = tokio::time::sleep(host.idle);
    tokio::pin!(lifetime, idle);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(MESSAGES_IN_FLIGHT));
    let mut permit = None;
    loop {
        tokio::select! {
            () = &mut lifetime => break,
            () = &mut idle => break,
            out = outbound.recv() => match out {
                Some(Outbound::Frame(bytes)) => {
                    // Frames are JSON text: the shared bytes go out as they
                    // are, with no copy per socket.
                    let text = Utf8Bytes::try_from(bytes.clone())
                        .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned().into());
                    let sent = tokio::select! {
                        sent = socket.send(Message::Text(text)) => sent.is_ok(),
                        () = &mut lifetime => false,
                        () = &mut idle => false,
                    };
                    if !sent {
                        break;
                    }
                    idle.as_mut().reset(tokio::time::Instant::now() + host.idle);
                }
                Some(Outbound::Close) | None => {
                    let _ = tokio::time::timeout(CLOSE_GRACE, socket.send(Message::Close(None))).await;
                    break;
                }
            },
            // A place for the next message before it is read.
            p = Arc::clone(&in_flight).acquire_owned(), if permit.is_none() => match p {
                Ok(p) => permit = Some(p),
                Err(_) => break,
            },
            incoming = socket.recv(), if permit.is_some() => {
                idle.as_mut().reset(tokio::time::Instant::now() + host.idle);
                match incoming {
                    Some(Ok(Message::Text(text))) => {
                        // Each message is its own invocation, as in AWS: a
                        // subscribe waiting on Twitch never holds up a ping.
                        let body = text.as_str();
                        if let Some(e) = event(&host, route_of(body), "MESSAGE", &id, None, None, Some(body)) {
                            let host = Arc::clone(&host);
                            let handling = host.messages.enter();
                            let place = permit.take();
                            tokio::spawn(async move {
                                websocket::handle(&host.state, e).await;
                                drop((handling, place));
                            });
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        if let Some(e) = event(&host, "$default", "MESSAGE", &id, None, None, Some("")) {
                            // Boxed: awaited in place, the handler's state would
                            // be part of this task's, which every idle socket holds
                            // (about 8 KB of the 10 KB it was).
                            Box::pin(websocket::handle(&host.state, e)).await;
                        }
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    // Over the frame limit: API Gateway says so with 1009.
                    Some(Err(e)) if too_big(&e) => {
                        let frame = CloseFrame { code: close_code::SIZE, reason: "message too big".into() };
                        let _ = tokio::time::timeout(CLOSE_GRACE, socket.send(Message::Close(Some(frame)))).await;
                        break;
                    }
                    // Closed or failed.
                    _ => break,
                }
            },
        }
    }
    host.gateway.remove(&id);
    if let Some(e) = event(&host, "$disconnect", "DISCONNECT", &id, None, None, None) {
        Box::pin(websocket::handle(&host.state, e)).await;
    }
}

/// Whether a read failed because the frame was over `max_message_size`.
fn too_big(e: &axum::Error) -> bool {
    std::error::Error::source(e)
        .and_then(|e| e.downcast_ref::<tokio_tungstenite::tungstenite::Error>())
        .is_some_and(|e| matches!(e, tokio_tungstenite::tungstenite::Error::Capacity(_)))
}
