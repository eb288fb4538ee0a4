//! The Lambda's configuration, read once from the environment.

use std::sync::Arc;

use shared::config::{ConfigError, Retention};
use shared::helix::{Helix, HelixConfig};
use shared::store::dynamo::{DynamoSnapshotStore, DynamoStore, DynamoStreamerStore, Tables};

use crate::mode::Mode;
use crate::run::Poller;

/// `POLL_MODE` (default `tracked`), the tables, Twitch credentials.
pub async fn from_env() -> Result<(Poller, Mode), ConfigError> {
    let var = |name: &'static str| std::env::var(name).map_err(|_| ConfigError::Missing(name));
    let mode = std::env::var("POLL_MODE")
        .unwrap_or_else(|_| "tracked".into())
        .parse::<Mode>()
        .map_err(|e| ConfigError::Invalid {
            name: "POLL_MODE",
            why: e.to_string(),
        })?;
    let client = DynamoStore::client_from_env().await;
    let helix = Helix::new(HelixConfig::from_env()?).map_err(|e| ConfigError::Invalid {
        name: "TWITCH_CLIENT_ID",
        why: e.to_string(),
    })?;
    let poller = Poller {
        helix: Arc::new(helix),
        snapshots: Arc::new(DynamoSnapshotStore::new(
            client.clone(),
            var("SNAPSHOTS_TABLE")?,
        )),
        streamers: Arc::new(DynamoStreamerStore::new(
            client.clone(),
            var("STREAMERS_TABLE")?,
        )),
        events: Arc::new(DynamoStore::new(
            client,
            Tables::from_env()?,
            Retention::from_env()?,
        )),
        write_concurrency: 8,
        offline_after: 2,
        // Lambda's hard limit is 15 minutes; the lease outlives it a little
        // so a killed run's lease cannot be taken while it might still write.
        lease_ms: 16 * 60 * 1000,
        fresh_for_ms: 10 * 60 * 1000,
    };
    Ok((poller, mode))
}
