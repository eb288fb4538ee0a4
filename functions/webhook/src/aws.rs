//! The Lambda's wiring: its state from the environment, on DynamoDB.

use std::sync::Arc;

use shared::config::{env, ConfigError, EventSubSecret, Retention};
use shared::store::dynamo::{DynamoStore, DynamoStreamerStore, DynamoUserStore, Tables};

use crate::{Revocations, WebhookState};

/// The Lambda's state: secret, retention and tables from the environment;
/// with `USERS_TABLE` and `STREAMERS_TABLE`, users revoking our app are
/// logged out at once.
pub async fn state_from_env() -> Result<WebhookState, ConfigError> {
    let secret = EventSubSecret::from_env()?;
    let client = DynamoStore::client_from_env().await?;
    let store = Arc::new(DynamoStore::new(
        client.clone(),
        Tables::from_env()?,
        Retention::from_env()?,
    ));
    let mut state = WebhookState::new(secret, store.clone(), store);
    if let (Some(users), Some(streamers)) = (
        env::optional("USERS_TABLE"),
        env::optional("STREAMERS_TABLE"),
    ) {
        state.revocations = Some(Revocations {
            users: Arc::new(DynamoUserStore::new(client.clone(), users)),
            streamers: Arc::new(DynamoStreamerStore::new(client, streamers)),
        });
    }
    Ok(state)
}
