//! The local stack's routes and the server that runs them: the webhook (and
//! the webhook through its function URL's event), the `@connections` API, `/ws`, the Twitch side, the api function and
//! `/healthz`, behind a check of the `Host` each request names.

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use webhook::{Outcome, Rejection, MAX_BODY_BYTES};

use crate::bridge;
use crate::gateway;
use crate::listen::Limits;
use crate::stack::Stack;

/// Refuses requests for any other `Host` (421): what a DNS-rebinding page
/// would send.
async fn check_host(
    State(hosts): State<Arc<Vec<String>>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if hosts.is_empty() || hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return next.run(request).await;
    }
    let body = json!({
        "error": "misdirected_request",
        "message": format!("this stack answers only {}", hosts.join(" and ")),
    });
    (http::StatusCode::MISDIRECTED_REQUEST, Json(body)).into_response()
}

/// The local stack's routes.
pub fn router(stack: Arc<Stack>) -> Router {
    let router = Router::new()
        .route("/eventsub", post(eventsub))
        .route(
            &format!("{}/{{*path}}", crate::function_url::PREFIX),
            post(crate::function_url::eventsub),
        )
        .route("/healthz", get(healthz))
        .with_state(Arc::clone(&stack))
        .merge(gateway::routes(
            Arc::clone(&stack.connections),
            Arc::clone(&stack.management),
        ));
    let router = match &stack.ws {
        Some(host) => router.merge(crate::ws::routes(Arc::clone(host))),
        None => router,
    };
    let router = match &stack.twitch {
        Some(side) => router.merge(side.routes()),
        None => router,
    };
    let router = match &stack.api {
        Some(api) => router.merge(crate::api_host::routes(Arc::clone(api))),
        None => router,
    };
    router.layer(axum::middleware::from_fn_with_state(
        Arc::new(stack.hosts.clone()),
        check_host,
    ))
}

/// What `/healthz` shows: the webhook's counters, under their names in
/// [`webhook::Metrics`], and the fan-out's panics.
#[derive(serde::Serialize)]
struct Health<'a> {
    ok: bool,
    #[serde(flatten)]
    webhook: &'a webhook::Metrics,
    fanout_panics: u64,
}

async fn healthz(State(stack): State<Arc<Stack>>) -> Response {
    let fanout_panics = stack
        .fanout_panics
        .load(std::sync::atomic::Ordering::Relaxed);
    Json(Health {
        ok: true,
        webhook: &stack.webhook.metrics,
        fanout_panics,
    })
    .into_response()
}

/// `POST /eventsub`, answered by the webhook function's handler.
async fn eventsub(State(stack): State<Arc<Stack>>, request: Request) -> Response {
    let answer = match bridge::to_lambda(request, MAX_BODY_BYTES).await {
        Ok(request) => webhook::handle(&stack.webhook, request).await,
        Err(too_large) => {
            webhook::respond(Outcome::Rejected(Rejection::TooLarge(too_large.declared)))
        }
    };
    bridge::to_axum(answer)
}

/// Serves `stack` on `listener` until `shutdown` resolves, then closes the
/// WebSockets and finishes the requests in flight (each answered only after
/// its write committed).
pub async fn run(
    listener: TcpListener,
    stack: Arc<Stack>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_within(listener, stack, Limits::default(), shutdown).await
}

/// [`run`] within these connection and time limits.
pub async fn run_within(
    listener: TcpListener,
    stack: Arc<Stack>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let connections = Arc::clone(&stack.connections);
    let shutdown = async move {
        shutdown.await;
        connections.close_all();
    };
    crate::listen::serve(listener, router(stack), limits, shutdown).await
}
