//! The Lambda's wiring: the manager and settings from the environment, on
//! DynamoDB and Twitch.

use std::sync::Arc;

use shared::auth::seal::SealKey;
use shared::aws::secrets::{Key, Secrets};
use shared::config::{env, ConfigError, EventSubSecret, Retention};
use shared::helix::login::Login;
use shared::helix::Helix;
use shared::recovery::baseline::ListKeeper;
use shared::recovery::{Grants, Recoverer};
use shared::store::dynamo::{DynamoStore, DynamoStreamerStore, DynamoUserStore, Tables};

use crate::apply::Target;
use crate::handler::{SessionSweep, Settings};
use crate::manager::{release_after_ms_from_env, Manager};

/// `STREAMERS_TABLE`, `EVENTS_TABLE`, `SUBSCRIPTIONS_TABLE`, `TWITCH_CLIENT_ID`,
/// `CALLBACK_URL` (and `FORMER_CALLBACK_URLS`, comma-separated, moved from),
/// `RELEASE_AFTER_HOURS` (default 72), and with login
/// configured `USERS_TABLE` (favourites kept, sessions validated); from
/// `secrets`, the Twitch client secret, the EventSub secret, the admin token
/// and, with `USERS_TABLE`, the session key.
pub async fn state_from(secrets: Secrets) -> Result<(Manager, Settings), ConfigError> {
    let client = DynamoStore::client_from_env().await?;
    let helix = Arc::new(Helix::from_secrets(&secrets)?);
    // Events and subscriptions: the named leases live in the subscriptions table.
    let store = Arc::new(DynamoStore::new(
        client.clone(),
        Tables::from_env()?,
        Retention::from_env()?,
    ));
    // Streamers, with their coverage gaps beside them.
    let streamers = Arc::new(DynamoStreamerStore::new(
        client.clone(),
        env::required("STREAMERS_TABLE")?,
    ));
    let mut manager = Manager::new(
        Arc::clone(&helix),
        Target {
            callback: env::required("CALLBACK_URL")?,
            // The webhook's other front door: its subscriptions are moved.
            former_callbacks: env::optional("FORMER_CALLBACK_URLS")
                .map(|urls| crate::apply::callback_list(&urls))
                .unwrap_or_default(),
            secret: secrets.read(Key::EventSubSecret, EventSubSecret::new)?,
            reserve_percent: shared::config::Budgets::from_env()?.eventsub_reserve_percent,
        },
        streamers.clone(),
        store.clone(),
        store.clone(),
    )
    .with_gaps(streamers.clone())
    .with_deliveries(store.clone())
    .release_after_ms(release_after_ms_from_env()?);
    // Recovery stores events (the events table's stream broadcasts them)
    // and acts with broadcasters' grants when login is configured.
    // Subscriber lists are kept beside the streamer, with its gaps.
    let mut recovery = Recoverer::new(Arc::clone(&helix), streamers.clone(), store)
        .with_subscriber_lists(streamers.clone());
    let mut sessions = None;
    if let Some(table) = env::optional("USERS_TABLE") {
        let users = Arc::new(DynamoUserStore::new(client, table));
        manager = manager.with_users(users.clone());
        let seal = || {
            secrets.read(Key::SessionKey, |key| {
                SealKey::from_base64("SESSION_KEY", &key)
            })
        };
        recovery = recovery.with_tokens(Arc::new(Grants {
            store: users.clone(),
            login: Login::new(Arc::clone(&helix)),
            seal: seal()?,
        }));
        sessions = Some(SessionSweep {
            users: users.clone(),
            grants: users,
            login: Login::new(Arc::clone(&helix)),
            seal: seal()?,
            lists: Some(ListKeeper {
                helix,
                gaps: streamers.clone(),
                lists: streamers,
            }),
        });
    }
    Ok((
        manager,
        Settings {
            admin_token: secrets.required(Key::AdminToken)?,
            sessions,
            recovery: Some(recovery),
        },
    ))
}
