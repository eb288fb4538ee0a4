//! The Lambda's wiring: its state from the environment and the function's
//! secret, on DynamoDB; and its entry, which answers 503 (Twitch retries a
//! 5xx) while the secret cannot be read.

use std::sync::Arc;

use lambda_http::http::header::{HeaderValue, CONTENT_TYPE};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::aws::deferred::Deferred;
use shared::aws::secrets::{Key, Secrets};
use shared::config::{env, ConfigError, EventSubSecret, Retention};
use shared::push::Pusher;
use shared::store::dynamo::{
    DynamoConnectionStore, DynamoStore, DynamoStreamerStore, DynamoUserStore, Tables,
};

use crate::{Revocations, Sockets, WebhookState};

/// One delivery: the shared handler once the state is built, else 503.
pub async fn serve(state: &Deferred<WebhookState>, request: Request) -> Response<Body> {
    match state.get().await {
        Ok(state) => crate::handle(state, request).await,
        Err(unavailable) => {
            let mut response = Response::new(crate::error_body("unavailable", &unavailable));
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
    }
}

/// The Lambda's state: the EventSub secret from `secrets`, retention and
/// tables from the environment; with `STREAMERS_TABLE`, revocations open
/// coverage gaps; with `USERS_TABLE` too, users revoking our app are logged
/// out at once (and with
/// `CONNECTIONS_TABLE` and `WEBSOCKET_ENDPOINT`, their sockets closed).
pub async fn state_from(secrets: Secrets) -> Result<WebhookState, ConfigError> {
    let secret = secrets.read(Key::EventSubSecret, EventSubSecret::new)?;
    let client = DynamoStore::client_from_env().await?;
    let store = Arc::new(DynamoStore::new(
        client.clone(),
        Tables::from_env()?,
        Retention::from_env()?,
    ));
    let mut state = WebhookState::new(secret, store.clone(), store);
    let streamers = env::optional("STREAMERS_TABLE")
        .map(|table| Arc::new(DynamoStreamerStore::new(client.clone(), table)));
    // Revocations open coverage gaps, kept beside the streamers.
    state.gaps = streamers
        .clone()
        .map(|s| s as Arc<dyn shared::store::coverage::GapStore>);
    if let (Some(users), Some(streamers)) = (env::optional("USERS_TABLE"), streamers) {
        // With the WebSocket API's table and endpoint, the user's open
        // sockets are closed too.
        let sockets = match (
            env::optional("CONNECTIONS_TABLE"),
            env::optional("WEBSOCKET_ENDPOINT"),
        ) {
            (Some(table), Some(endpoint)) => Some(Sockets {
                connections: Arc::new(DynamoConnectionStore::new(client.clone(), table)),
                push: Arc::new(Pusher::new(shared::aws::sdk_config().await?, &endpoint)),
            }),
            _ => None,
        };
        let users = Arc::new(DynamoUserStore::new(client.clone(), users));
        state.revocations = Some(Revocations {
            sessions: users.clone(),
            overlays: users.clone(),
            grants: users,
            streamers,
            sockets,
        });
    }
    Ok(state)
}
