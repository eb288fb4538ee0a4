//! The Lambda's wiring: the poller and its mode from the environment and the
//! function's secret, on DynamoDB and Twitch.

use std::sync::Arc;

use shared::aws::secrets::Secrets;
use shared::config::{env, ConfigError, Retention};
use shared::helix::Helix;
use shared::store::dynamo::{DynamoSnapshotStore, DynamoStore, DynamoStreamerStore, Tables};

use crate::mode::Mode;
use crate::run::Poller;

/// `POLL_MODE` (default `tracked`), the tables, `TWITCH_CLIENT_ID`; the
/// Twitch client secret from `secrets`.
pub async fn state_from(secrets: Secrets) -> Result<(Poller, Mode), ConfigError> {
    let mode = env::optional("POLL_MODE")
        .unwrap_or_else(|| "tracked".into())
        .parse::<Mode>()
        .map_err(|e| ConfigError::Invalid {
            name: "POLL_MODE",
            why: e.to_string(),
        })?;
    let client = DynamoStore::client_from_env().await?;
    let poller = Poller::new(
        Arc::new(Helix::from_secrets(&secrets)?),
        Arc::new(DynamoSnapshotStore::new(
            client.clone(),
            env::required("SNAPSHOTS_TABLE")?,
        )),
        Arc::new(DynamoStreamerStore::new(
            client.clone(),
            env::required("STREAMERS_TABLE")?,
        )),
        Arc::new(DynamoStore::new(
            client,
            Tables::from_env()?,
            Retention::from_env()?,
        )),
    );
    Ok((poller, mode))
}
