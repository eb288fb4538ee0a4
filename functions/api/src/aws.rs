//! The Lambda's wiring: its state from the environment, on DynamoDB.

use std::sync::Arc;

use shared::auth::cookies::CookiePolicy;
use shared::auth::seal::SealKey;
use shared::config::{env, ConfigError, Retention};
use shared::helix::login::Login;
use shared::helix::Helix;
use shared::store::dynamo::{
    DynamoSnapshotStore, DynamoStore, DynamoStreamerStore, DynamoUserStore, Tables,
};
use shared::ticket::TicketKey;

use crate::door::{FrontDoor, DEFAULT_LOOKUPS_PER_MINUTE, DEFAULT_MAX_FAVOURITES};
use crate::site::Site;
use crate::ApiState;

/// The Lambda's state: `EVENTS_TABLE`, `SUBSCRIPTIONS_TABLE`,
/// `STREAMERS_TABLE`, `SNAPSHOTS_TABLE`, `USERS_TABLE`, `ADMIN_TOKEN`,
/// `SESSION_KEY` (32 bytes, base64), `TICKET_SECRET`, `WEBSOCKET_URL`, the
/// Twitch credentials, and optionally `WEBSOCKET_AUTH=open`, `SITE_URL`
/// (a custom domain) and `ALLOWED_ORIGINS` (comma-separated).
pub async fn state_from_env() -> Result<ApiState, ConfigError> {
    let admin_token = env::required("ADMIN_TOKEN")?;
    if admin_token.is_empty() {
        return Err(ConfigError::Invalid {
            name: "ADMIN_TOKEN",
            why: "it is empty".into(),
        });
    }
    let client = DynamoStore::client_from_env().await?;
    let streamers = Arc::new(DynamoStreamerStore::new(
        client.clone(),
        env::required("STREAMERS_TABLE")?,
    ));
    let snapshots = Arc::new(DynamoSnapshotStore::new(
        client.clone(),
        env::required("SNAPSHOTS_TABLE")?,
    ));
    let events: Arc<DynamoStore> = Arc::new(DynamoStore::new(
        client.clone(),
        Tables::from_env()?,
        Retention::from_env()?,
    ));
    let websocket_url = env::required("WEBSOCKET_URL")?;
    let open = env::optional("WEBSOCKET_AUTH").as_deref() == Some("open");
    let helix = Arc::new(Helix::from_env()?);
    let secret = env::required("TICKET_SECRET")?;
    let door = FrontDoor {
        users: Arc::new(DynamoUserStore::new(
            client.clone(),
            env::required("USERS_TABLE")?,
        )),
        streamers: streamers.clone(),
        snapshots: snapshots.clone(),
        events: events.clone(),
        login: Arc::new(Login::new(Arc::clone(&helix))),
        helix,
        seal: SealKey::from_base64("SESSION_KEY", &env::required("SESSION_KEY")?)?,
        cookies: CookiePolicy { secure: true },
        site_url: env::optional("SITE_URL").filter(|u| !u.is_empty()),
        extra_origins: env::origins("ALLOWED_ORIGINS"),
        tickets: TicketKey::new(secret.as_bytes()).ok_or(ConfigError::Invalid {
            name: "TICKET_SECRET",
            why: "must be at least 32 bytes".into(),
        })?,
        websocket_url: websocket_url.clone(),
        open,
        channel_scopes: shared::eventsub::catalog::channel_scopes(),
        max_favourites: DEFAULT_MAX_FAVOURITES,
        lookups_per_minute: DEFAULT_LOOKUPS_PER_MINUTE,
    };
    Ok(ApiState {
        events,
        streamers,
        snapshots,
        admin_token,
        door: Some(door),
        site: Some(Site {
            websocket_url,
            open,
            embeds: true,
            dir: None,
        }),
    })
}
