//! The Lambda's configuration, read once from the environment.

use std::sync::Arc;

use shared::config::{ConfigError, EventSubSecret, Retention};
use shared::helix::{Helix, HelixConfig};
use shared::store::dynamo::{DynamoStore, DynamoStreamerStore, Tables};

use crate::apply::Target;
use crate::handler::Settings;
use crate::manager::Manager;

/// Default for `RELEASE_AFTER_HOURS`.
pub const RELEASE_AFTER_HOURS: i64 = 72;

/// `STREAMERS_TABLE`, `EVENTS_TABLE`, `SUBSCRIPTIONS_TABLE`, `TWITCH_CLIENT_ID`,
/// `TWITCH_CLIENT_SECRET`, `EVENTSUB_SECRET`, `CALLBACK_URL`, `ADMIN_TOKEN`,
/// `RELEASE_AFTER_HOURS` (default 72).
pub async fn from_env() -> Result<(Manager, Settings), ConfigError> {
    let var = |name: &'static str| std::env::var(name).map_err(|_| ConfigError::Missing(name));
    let client = DynamoStore::client_from_env().await;
    let helix = Helix::new(HelixConfig::from_env()?).map_err(|e| ConfigError::Invalid {
        name: "TWITCH_CLIENT_ID",
        why: e.to_string(),
    })?;
    let release_hours = match std::env::var("RELEASE_AFTER_HOURS") {
        Ok(v) => v
            .parse::<i64>()
            .ok()
            .filter(|h| *h > 0)
            .ok_or(ConfigError::Invalid {
                name: "RELEASE_AFTER_HOURS",
                why: format!("{v:?} is not a positive number of hours"),
            })?,
        Err(_) => RELEASE_AFTER_HOURS,
    };
    let manager = Manager {
        helix: Arc::new(helix),
        target: Target {
            callback: var("CALLBACK_URL")?,
            secret: EventSubSecret::from_env()?,
        },
        streamers: Arc::new(DynamoStreamerStore::new(
            client.clone(),
            var("STREAMERS_TABLE")?,
        )),
        subscriptions: Arc::new(DynamoStore::new(
            client,
            Tables::from_env()?,
            Retention::from_env()?,
        )),
        release_after_ms: release_hours * 3_600_000,
        turn: Default::default(),
    };
    Ok((
        manager,
        Settings {
            admin_token: var("ADMIN_TOKEN")?,
        },
    ))
}
