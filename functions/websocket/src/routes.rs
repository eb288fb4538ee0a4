//! The routes: `$connect`, `$disconnect`, and the client messages (subscribe,
//! unsubscribe, ping), answered with frames through the `shared::push::Push` port.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use shared::frames;
use shared::push::PushError;

use crate::metrics::{self, Counted};
use crate::state::WsState;

use connect::connect;
use subscribe::message;

mod connect;
mod lookup;
mod subscribe;

/// An HTTP answer to API Gateway (for `$connect`, the handshake's status).
fn response(status: i64, body: &str) -> ApiGatewayProxyResponse {
    let mut r = ApiGatewayProxyResponse::default();
    r.status_code = status;
    if !body.is_empty() {
        r.body = Some(Body::Text(body.to_owned()));
    }
    r
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

/// The answer when the store or Twitch failed: nothing changed, try again.
fn try_again() -> Vec<String> {
    vec![frames::error("unavailable", "try again shortly")]
}

/// A store failure, logged; the client is told to try again.
fn store_failed(e: shared::store::StoreError) -> Vec<String> {
    tracing::error!(error = %e, "store failed");
    try_again()
}
