//! The Lambda's wiring: its state from the environment and the function's
//! secrets, on DynamoDB, API Gateway's `@connections` and (optionally)
//! Twitch; and its entry, which refuses every route with 503 while the
//! secrets cannot be read.

use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use shared::aws::deferred::Deferred;
use shared::aws::secrets::{Key, Secrets};
use shared::config::{env, ConfigError, Retention};
use shared::helix::Helix;
use shared::push::{Push, Pusher};
use shared::store::dynamo::{
    DynamoConnectionStore, DynamoStore, DynamoStreamerStore, DynamoUserStore, Tables,
};
use shared::ticket::TicketKey;

use crate::state::{Auth, OpenPush, WsState};

/// `@connections` clients from the process's SDK configuration.
struct ApiGateway(&'static shared::aws::SdkConfig);

#[async_trait]
impl OpenPush for ApiGateway {
    async fn open(&self, endpoint: &str) -> Arc<dyn Push> {
        Arc::new(Pusher::new(self.0, endpoint))
    }
}

/// One event: the shared handler once the state is built, else 503 with an
/// error frame (a `$connect` refused; the client reconnects later).
pub async fn serve(
    state: &Deferred<WsState>,
    request: ApiGatewayWebsocketProxyRequest,
) -> ApiGatewayProxyResponse {
    match state.get().await {
        Ok(state) => crate::handle(state, request).await,
        Err(unavailable) => {
            let mut response = ApiGatewayProxyResponse::default();
            response.status_code = 503;
            response.body = Some(Body::Text(shared::frames::error(
                "unavailable",
                &unavailable.to_string(),
            )));
            response
        }
    }
}

/// The Lambda's state: `CONNECTIONS_TABLE`, the events tables,
/// `WEBSOCKET_AUTH` (`tickets`, the default, or `open`), `USERS_TABLE`
/// (single-use tickets, per-user allowances), `ALLOWED_ORIGINS` (the page's
/// origin), and optionally `WEBSOCKET_ENDPOINT`, `STREAMERS_TABLE` and
/// `TWITCH_CLIENT_ID`; from `secrets`, the ticket secret (optional when
/// open) and the Twitch client secret (with `TWITCH_CLIENT_ID`).
pub async fn state_from(secrets: Secrets) -> Result<WsState, ConfigError> {
    let client = DynamoStore::client_from_env().await?;
    let table = env::required("CONNECTIONS_TABLE")?;
    let connections = Arc::new(DynamoConnectionStore::new(client.clone(), table));
    let events = Arc::new(DynamoStore::new(
        client.clone(),
        Tables::from_env()?,
        Retention::from_env()?,
    ));
    let auth = match env::optional("WEBSOCKET_AUTH").as_deref() {
        Some("open") => Auth::Open(
            secrets
                .optional(Key::TicketSecret)
                .and_then(|s| TicketKey::new(s.as_bytes())),
        ),
        _ => Auth::Tickets(secrets.read(Key::TicketSecret, TicketKey::from_setting)?),
    };
    let mut state = WsState::new(
        connections,
        events,
        auth,
        env::optional("WEBSOCKET_ENDPOINT"),
    );
    state.open = Some(Arc::new(ApiGateway(shared::aws::sdk_config().await?)));
    if let Some(table) = env::optional("USERS_TABLE") {
        state.accounts = Some(Arc::new(DynamoUserStore::new(client.clone(), table)));
    } else if matches!(state.auth, Auth::Tickets(_)) {
        // Without it a ticket could open any number of sockets.
        return Err(ConfigError::Missing("USERS_TABLE"));
    }
    state.origins = env::origins("ALLOWED_ORIGINS");
    state.budgets = shared::config::Budgets::from_env()?;
    if let Some(table) = env::optional("STREAMERS_TABLE") {
        state.streamers = Some(Arc::new(DynamoStreamerStore::new(client, table)));
    }
    if env::optional("TWITCH_CLIENT_ID").is_some() {
        state.users = Some(Arc::new(Helix::from_secrets(&secrets)?));
    }
    Ok(state)
}
