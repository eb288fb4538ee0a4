//! The Lambda's wiring: its state from the environment, on DynamoDB, API
//! Gateway's `@connections` and (optionally) Twitch.

use std::sync::Arc;

use async_trait::async_trait;
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

/// The Lambda's state: `CONNECTIONS_TABLE`, the events tables,
/// `WEBSOCKET_AUTH` (`tickets`, the default, or `open`), `TICKET_SECRET`,
/// `USERS_TABLE` (single-use tickets, per-user allowances), `ALLOWED_ORIGINS`
/// (the page's origin), and optionally `WEBSOCKET_ENDPOINT`, `STREAMERS_TABLE`
/// and the Twitch credentials.
pub async fn state_from_env() -> Result<WsState, ConfigError> {
    let client = DynamoStore::client_from_env().await?;
    let table = env::required("CONNECTIONS_TABLE")?;
    let connections = Arc::new(DynamoConnectionStore::new(client.clone(), table));
    let events = Arc::new(DynamoStore::new(
        client.clone(),
        Tables::from_env()?,
        Retention::from_env()?,
    ));
    let auth = match env::optional("WEBSOCKET_AUTH").as_deref() {
        Some("open") => {
            Auth::Open(env::optional("TICKET_SECRET").and_then(|s| TicketKey::new(s.as_bytes())))
        }
        _ => {
            let secret = env::required("TICKET_SECRET")?;
            Auth::Tickets(
                TicketKey::new(secret.as_bytes()).ok_or(ConfigError::Invalid {
                    name: "TICKET_SECRET",
                    why: "must be at least 32 bytes".into(),
                })?,
            )
        }
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
    if let Some(table) = env::optional("STREAMERS_TABLE") {
        state.streamers = Some(Arc::new(DynamoStreamerStore::new(client, table)));
    }
    if env::optional("TWITCH_CLIENT_ID").is_some() {
        state.users = Some(Arc::new(Helix::from_env()?));
    }
    Ok(state)
}
