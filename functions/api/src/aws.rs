//! The Lambda's wiring: its state from the environment, on DynamoDB.

use std::sync::Arc;

use shared::config::{env, ConfigError, Retention};
use shared::store::dynamo::{DynamoSnapshotStore, DynamoStore, DynamoStreamerStore, Tables};

use crate::ApiState;

/// The Lambda's state: `EVENTS_TABLE`, `SUBSCRIPTIONS_TABLE`,
/// `STREAMERS_TABLE`, `SNAPSHOTS_TABLE` and `ADMIN_TOKEN` from the environment.
pub async fn state_from_env() -> Result<ApiState, ConfigError> {
    let admin_token = env::required("ADMIN_TOKEN")?;
    if admin_token.is_empty() {
        return Err(ConfigError::Invalid {
            name: "ADMIN_TOKEN",
            why: "it is empty".into(),
        });
    }
    let client = DynamoStore::client_from_env().await;
    Ok(ApiState {
        events: Arc::new(DynamoStore::new(
            client.clone(),
            Tables::from_env()?,
            Retention::from_env()?,
        )),
        streamers: Arc::new(DynamoStreamerStore::new(
            client.clone(),
            env::required("STREAMERS_TABLE")?,
        )),
        snapshots: Arc::new(DynamoSnapshotStore::new(
            client,
            env::required("SNAPSHOTS_TABLE")?,
        )),
        admin_token,
    })
}
