//! The Lambda's wiring: its state from the environment and the function's
//! secrets, on DynamoDB; and its entry, which answers 503 while the secrets
//! cannot be read.

use std::sync::Arc;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::cookies::CookiePolicy;
use shared::auth::seal::SealKey;
use shared::aws::deferred::Deferred;
use shared::aws::secrets::{Key, Secrets};
use shared::config::{env, ConfigError, Retention};
use shared::helix::login::Login;
use shared::helix::Helix;
use shared::push::{Pusher, Sockets};
use shared::store::dynamo::{
    DynamoConnectionStore, DynamoSnapshotStore, DynamoStore, DynamoStreamerStore, DynamoUserStore,
    Tables,
};
use shared::ticket::TicketKey;

use crate::account::{AccountRoutes, DEFAULT_LOOKUPS_PER_MINUTE, DEFAULT_MAX_FAVOURITES};
use crate::site::Site;
use crate::ApiState;

/// One request: the shared handler once the state is built, else 503
/// `store_unavailable` (the caller retries; the reason is logged).
pub async fn serve(state: &Deferred<ApiState>, request: Request) -> Response<Body> {
    match state.get().await {
        Ok(state) => crate::handle(state, request).await,
        Err(unavailable) => crate::json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"error": "store_unavailable", "message": unavailable.to_string()})
                .to_string(),
        ),
    }
}

/// The Lambda's state: `EVENTS_TABLE`, `SUBSCRIPTIONS_TABLE`,
/// `STREAMERS_TABLE`, `SNAPSHOTS_TABLE`, `USERS_TABLE`, `WEBSOCKET_URL`,
/// `TWITCH_CLIENT_ID`, and optionally `WEBSOCKET_AUTH=open`, `SITE_URL`,
/// `CONNECTIONS_TABLE` with `WEBSOCKET_ENDPOINT` (to reach open overlays)
/// (a custom domain) and `ALLOWED_ORIGINS` (comma-separated); from
/// `secrets`, the admin token, the session key (32 bytes, base64), the ticket
/// secret and the Twitch client secret.
pub async fn state_from(secrets: Secrets) -> Result<ApiState, ConfigError> {
    let admin_token = secrets.read(Key::AdminToken, |token| {
        if token.is_empty() {
            return Err(ConfigError::Invalid {
                name: "ADMIN_TOKEN",
                why: "it is empty".into(),
            });
        }
        Ok(token)
    })?;
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
    let helix = Arc::new(Helix::from_secrets(&secrets)?);
    let account = AccountRoutes {
        users: Arc::new(DynamoUserStore::new(
            client.clone(),
            env::required("USERS_TABLE")?,
        )),
        streamers: streamers.clone(),
        snapshots: snapshots.clone(),
        events: events.clone(),
        login: Arc::new(Login::new(Arc::clone(&helix))),
        helix,
        seal: secrets.read(Key::SessionKey, |key| {
            SealKey::from_base64("SESSION_KEY", &key)
        })?,
        cookies: CookiePolicy { secure: true },
        site_url: env::optional("SITE_URL").filter(|u| !u.is_empty()),
        extra_origins: env::origins("ALLOWED_ORIGINS"),
        tickets: secrets.read(Key::TicketSecret, TicketKey::from_setting)?,
        websocket_url: websocket_url.clone(),
        open,
        channel_scopes: shared::eventsub::catalog::channel_scopes(),
        max_favourites: DEFAULT_MAX_FAVOURITES,
        lookups_per_minute: DEFAULT_LOOKUPS_PER_MINUTE,
        budgets: shared::config::Budgets::from_env()?,
        sockets: match (
            env::optional("CONNECTIONS_TABLE"),
            env::optional("WEBSOCKET_ENDPOINT"),
        ) {
            (Some(table), Some(endpoint)) => Some(Sockets {
                connections: Arc::new(DynamoConnectionStore::new(client.clone(), table)),
                push: Arc::new(Pusher::new(shared::aws::sdk_config().await?, &endpoint)),
            }),
            _ => None,
        },
    };
    Ok(ApiState {
        events,
        gaps: streamers.clone(),
        streamers,
        snapshots,
        admin_token,
        account: Some(account),
        site: Some(Site {
            websocket_url,
            open,
            embeds: true,
            dir: None,
        }),
    })
}
