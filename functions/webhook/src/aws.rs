//! The Lambda's wiring: its state from the environment, on DynamoDB.

use std::sync::Arc;

use shared::config::{ConfigError, EventSubSecret, Retention};
use shared::store::dynamo::{DynamoStore, Tables};

use crate::WebhookState;

/// The Lambda's state: secret, retention and tables from the environment.
pub async fn state_from_env() -> Result<WebhookState, ConfigError> {
    let secret = EventSubSecret::from_env()?;
    let store = Arc::new(DynamoStore::new(
        DynamoStore::client_from_env().await,
        Tables::from_env()?,
        Retention::from_env()?,
    ));
    Ok(WebhookState::new(secret, store.clone(), store))
}
