//! The local HTTP server: API Gateway's part, played on one machine.
//!
//! Each request is turned into the same `http::Request<lambda_http::Body>` the
//! Lambda runtime hands the function, and the very same handler answers it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body as AxumBody;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::{BodyExt, Limited};
use serde_json::json;
use tokio::net::TcpListener;
use webhook::{Outcome, Rejection, WebhookState, MAX_BODY_BYTES};

use shared::config::EventSubSecret;
use shared::store::sqlite::SqliteStore;
use shared::ticket::TicketKey;
use websocket::{Auth, WsState};

use crate::gateway::{self, Connections};
use crate::ws::WsHost;

/// Everything the local routes share.
pub struct Stack {
    pub webhook: WebhookState,
    /// Live WebSocket connections, reachable through `@connections`.
    pub connections: Arc<Connections>,
    /// The WebSocket endpoint, when served.
    pub ws: Option<Arc<crate::ws::WsHost>>,
    /// The page, when served.
    pub site: Option<Arc<crate::web::Site>>,
    /// Twitch (simulated or real), the subscription manager and its admin routes.
    pub twitch: Option<Arc<crate::twitch::TwitchSide>>,
    /// The read API (`/api/*`), when served.
    pub api: Option<Arc<::api::ApiState>>,
}

impl Stack {
    /// The whole local stack over one SQLite store, answering on `addr`:
    /// webhook, `@connections`, and `/ws` (tickets signed with `tickets`, or
    /// open to anyone when `None`).
    pub fn local(
        secret: EventSubSecret,
        store: Arc<SqliteStore>,
        addr: SocketAddr,
        tickets: Option<TicketKey>,
    ) -> Arc<Self> {
        Self::with_twitch(secret, store, addr, tickets, None)
    }

    /// The local stack with a Twitch side: subscribes track their streamer,
    /// logins are looked up, the admin routes (and the simulator) are served.
    pub fn with_twitch(
        secret: EventSubSecret,
        store: Arc<SqliteStore>,
        addr: SocketAddr,
        tickets: Option<TicketKey>,
        twitch: Option<Arc<crate::twitch::TwitchSide>>,
    ) -> Arc<Self> {
        let connections: Arc<Connections> = Default::default();
        let auth = match &tickets {
            Some(key) => Auth::Tickets(key.clone()),
            None => Auth::Open,
        };
        let endpoint = format!("http://{addr}");
        let mut state = WsState::new(store.clone(), store.clone(), auth, None);
        state.use_push(&endpoint, connections.clone());
        if let Some(side) = &twitch {
            state.streamers = Some(store.clone());
            state.users = Some(Arc::clone(&side.manager.helix));
        }
        let ws = Arc::new(WsHost {
            state,
            tickets,
            gateway: Arc::clone(&connections),
            domain: addr.to_string(),
        });
        // The events table's stream, played by the store's commit feed: every
        // newly stored event goes through the same fan-out as in AWS.
        let fan_out = broadcast::BroadcastState {
            connections: store.clone(),
            pusher: connections.clone(),
            concurrency: broadcast::concurrency_from_env().unwrap_or_else(|e| {
                tracing::warn!(error = %e, "using the default fan-out concurrency");
                broadcast::DEFAULT_CONCURRENCY
            }),
            served: Default::default(),
        };
        let mut feed = store.appended();
        tokio::spawn(async move {
            loop {
                match feed.recv().await {
                    Ok(event) => {
                        let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
                        if let Err(e) = broadcast::fan_out(&fan_out, &event, now).await {
                            tracing::warn!(error = %e, "fan-out failed");
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(
                            skipped = n,
                            "fan-out fell behind; clients refetch by cursor"
                        );
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        Arc::new(Self {
            webhook: WebhookState::new(secret, store.clone(), store.clone()),
            connections,
            ws: Some(ws),
            site: Some(Arc::new(crate::web::Site {
                dir: crate::web::default_dir(),
                domain: addr.to_string(),
            })),
            api: Some(Arc::new(::api::ApiState {
                events: store.clone(),
                streamers: store.clone(),
                snapshots: store,
                admin_token: twitch
                    .as_ref()
                    .map(|t| t.admin_token.clone())
                    .unwrap_or_default(),
            })),
            twitch,
        })
    }
}

/// The local stack's routes.
pub fn router(stack: Arc<Stack>) -> Router {
    let router = Router::new()
        .route("/eventsub", post(eventsub))
        .route("/healthz", get(healthz))
        .with_state(Arc::clone(&stack))
        .merge(gateway::routes(Arc::clone(&stack.connections)));
    let router = match &stack.ws {
        Some(host) => router.merge(crate::ws::routes(Arc::clone(host))),
        None => router,
    };
    let router = match &stack.twitch {
        Some(side) => router.merge(side.routes()),
        None => router,
    };
    let router = match &stack.api {
        Some(api) => router.merge(crate::api::routes(Arc::clone(api))),
        None => router,
    };
    match &stack.site {
        Some(site) => router.merge(crate::web::routes(Arc::clone(site))),
        None => router,
    }
}

async fn healthz(State(stack): State<Arc<Stack>>) -> Json<serde_json::Value> {
    use std::sync::atomic::Ordering::Relaxed;
    let m = &stack.webhook.metrics;
    Json(json!({
        "ok": true,
        "stored": m.stored.load(Relaxed),
        "duplicates": m.duplicates.load(Relaxed),
        "stale": m.stale.load(Relaxed),
        "rejected": m.rejected.load(Relaxed),
        "store_failures": m.store_failures.load(Relaxed),
    }))
}

async fn eventsub(State(stack): State<Arc<Stack>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // Read at most the limit (API Gateway would cut at its own, larger, limit).
    let bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let size = parts
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .unwrap_or(MAX_BODY_BYTES + 1);
            return to_axum(webhook::respond(Outcome::Rejected(Rejection::TooLarge(
                size,
            ))));
        }
    };
    let request = http::Request::from_parts(parts, lambda_http::Body::Binary(bytes.to_vec()));
    to_axum(webhook::handle(&stack.webhook, request).await)
}

/// A handler's `http::Response` as axum's (the Lambda runtime's part).
pub(crate) fn to_axum(response: http::Response<lambda_http::Body>) -> Response {
    let (parts, body) = response.into_parts();
    let body = match body {
        lambda_http::Body::Text(t) => AxumBody::from(t),
        lambda_http::Body::Binary(b) => AxumBody::from(b),
        _ => AxumBody::empty(),
    };
    (parts, body).into_response()
}

/// Serves `stack` on `listener` until `shutdown` resolves, then closes the
/// WebSockets and finishes the requests in flight (each answered only after
/// its write committed).
pub async fn serve(
    listener: TcpListener,
    stack: Arc<Stack>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let connections = Arc::clone(&stack.connections);
    let shutdown = async move {
        shutdown.await;
        connections.close_all();
    };
    axum::serve(listener, router(stack))
        .with_graceful_shutdown(shutdown)
        .await
}
