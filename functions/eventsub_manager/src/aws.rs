//! The Lambda's wiring: the manager and settings from the environment, on
//! DynamoDB and Twitch.

use std::sync::Arc;

use shared::config::{env, ConfigError, EventSubSecret, Retention};
use shared::helix::Helix;
use shared::store::dynamo::{DynamoStore, DynamoStreamerStore, Tables};

use crate::apply::Target;
use crate::handler::Settings;
use crate::manager::{release_after_ms_from_env, Manager};

/// `STREAMERS_TABLE`, `EVENTS_TABLE`, `SUBSCRIPTIONS_TABLE`, `TWITCH_CLIENT_ID`,
/// `TWITCH_CLIENT_SECRET`, `EVENTSUB_SECRET`, `CALLBACK_URL`, `ADMIN_TOKEN`,
/// `RELEASE_AFTER_HOURS` (default 72).
pub async fn from_env() -> Result<(Manager, Settings), ConfigError> {
    let client = DynamoStore::client_from_env().await;
    let manager = Manager::new(
        Arc::new(Helix::from_env()?),
        Target {
            callback: env::required("CALLBACK_URL")?,
            secret: EventSubSecret::from_env()?,
        },
        Arc::new(DynamoStreamerStore::new(
            client.clone(),
            env::required("STREAMERS_TABLE")?,
        )),
        Arc::new(DynamoStore::new(
            client,
            Tables::from_env()?,
            Retention::from_env()?,
        )),
    )
    .release_after_ms(release_after_ms_from_env()?);
    Ok((
        manager,
        Settings {
            admin_token: env::required("ADMIN_TOKEN")?,
        },
    ))
}
