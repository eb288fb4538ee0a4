//! What the handler needs, built once per process, and how its replies reach
//! the client.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use shared::helix::Helix;
use shared::push::{self, Push};
use shared::store::connections::ConnectionStore;
use shared::store::streamers::StreamerStore;
use shared::store::users::{AllowanceStore, SessionStore};
use shared::store::{EventStore, StoreError};
use shared::ticket::TicketKey;
use tokio::sync::Mutex;

/// Streamers one connection may watch at once.
pub const DEFAULT_MAX_TOPICS: u32 = 20;
/// Events sent as backlog on subscribe.
pub const BACKLOG: usize = 10;
/// Twitch lookups (Get Users) one user's subscribes may cause per minute.
pub const DEFAULT_LOOKUPS_PER_MINUTE: u32 = 10;
/// Streamers not tracked yet that one user's subscribes may have tracked, per hour.
pub const DEFAULT_NEW_TRACKS_PER_HOUR: u32 = 20;

/// What this function reads and writes of the users table: sessions (is
/// the one a socket is bound to alive?), tickets and allowances.
pub trait Accounts: SessionStore + AllowanceStore {}

impl<T: SessionStore + AllowanceStore + ?Sized> Accounts for T {}

/// Who may connect.
#[derive(Clone, Debug)]
pub enum Auth {
    /// Anyone (a public feed); chosen explicitly, never a default. A ticket,
    /// when a client brings one, still says who it is (a logged-in user may
    /// then have streamers tracked; anonymous visitors only watch).
    Open(Option<TicketKey>),
    /// Only holders of a valid ticket.
    Tickets(TicketKey),
}

/// Opens the port to the clients of the WebSocket API at a management
/// endpoint (in AWS: an `@connections` client for it).
#[async_trait]
pub trait OpenPush: Send + Sync {
    /// The port for `endpoint`.
    async fn open(&self, endpoint: &str) -> Arc<dyn Push>;
}

/// What the handler needs, built once per process.
pub struct WsState {
    pub connections: Arc<dyn ConnectionStore>,
    pub events: Arc<dyn EventStore>,
    pub auth: Auth,
    pub max_topics: u32,
    /// `WEBSOCKET_ENDPOINT`: wins over the request context's domain and stage.
    pub endpoint: Option<String>,
    /// Where a subscribe asks for its streamer to be tracked (the
    /// subscription manager takes it from there); `None`: nothing is tracked.
    pub streamers: Option<Arc<dyn StreamerStore>>,
    /// Looks up logins the store does not know (Get Users only: this function
    /// never creates subscriptions itself); `None`: ids or known logins only.
    pub users: Option<Arc<Helix>>,
    /// Opens a port for an endpoint not seen before; `None`: only the ports
    /// given with [`WsState::use_push`] are used.
    pub open: Option<Arc<dyn OpenPush>>,
    /// The URL tickets must name (this WebSocket API); `None`: the request's
    /// `wss://<domain>/<stage>`.
    pub audience: Option<String>,
    /// Marks tickets used (single use) and keeps per-user allowances; `None`
    /// (bare tests): neither is enforced.
    pub accounts: Option<Arc<dyn Accounts>>,
    /// Origins a browser may connect from (cross-site WebSocket hijacking is
    /// refused); empty: any. Clients that send no `Origin` are not browsers.
    pub origins: Vec<String>,
    pub lookups_per_minute: u32,
    pub new_tracks_per_hour: u32,
    /// Deployment-wide ceilings (new tracks an hour, the Helix reserve).
    pub budgets: shared::config::Budgets,
    pushers: Mutex<HashMap<String, Arc<dyn Push>>>,
}

impl WsState {
    /// A state over the given stores.
    pub fn new(
        connections: Arc<dyn ConnectionStore>,
        events: Arc<dyn EventStore>,
        auth: Auth,
        endpoint: Option<String>,
    ) -> Self {
        Self {
            connections,
            events,
            auth,
            max_topics: DEFAULT_MAX_TOPICS,
            endpoint,
            streamers: None,
            users: None,
            open: None,
            audience: None,
            accounts: None,
            origins: Vec::new(),
            lookups_per_minute: DEFAULT_LOOKUPS_PER_MINUTE,
            new_tracks_per_hour: DEFAULT_NEW_TRACKS_PER_HOUR,
            budgets: shared::config::Budgets::default(),
            pushers: Mutex::new(HashMap::new()),
        }
    }

    /// Replies through `port` for `endpoint` (the local stack's gateway).
    pub fn use_push(&mut self, endpoint: &str, port: Arc<dyn Push>) {
        self.endpoint = Some(endpoint.to_owned());
        self.pushers.get_mut().insert(endpoint.to_owned(), port);
    }

    /// The URL a ticket must name to open this API.
    pub(crate) fn audience(&self, request: &ApiGatewayWebsocketProxyRequest) -> String {
        if let Some(a) = &self.audience {
            return a.clone();
        }
        let ctx = &request.request_context;
        format!(
            "wss://{}/{}",
            ctx.domain_name.as_deref().unwrap_or_default(),
            ctx.stage.as_deref().unwrap_or_default()
        )
    }

    /// The port of the API that `request` came through.
    pub(crate) async fn pusher(
        &self,
        request: &ApiGatewayWebsocketProxyRequest,
    ) -> Option<Arc<dyn Push>> {
        let ctx = &request.request_context;
        let endpoint = push::endpoint(
            self.endpoint.as_deref(),
            ctx.domain_name.as_deref().unwrap_or_default(),
            ctx.stage.as_deref().unwrap_or_default(),
        );
        let mut cache = self.pushers.lock().await;
        if let Some(p) = cache.get(&endpoint) {
            return Some(Arc::clone(p));
        }
        let p = self.open.as_ref()?.open(&endpoint).await;
        cache.insert(endpoint, Arc::clone(&p));
        Some(p)
    }
}

/// Whether a socket or ticket of `user` bound to `session` (a session's
/// hash) may still act: while that session lives and is `user`'s. One read;
/// bound to no session (anonymous visitors, overlays), always. Generic, so
/// [`Accounts`] passes as it is (no trait-object upcasting before Rust 1.86).
pub(crate) async fn session_lives(
    accounts: &(impl SessionStore + ?Sized),
    user: &str,
    session: Option<&str>,
) -> Result<bool, StoreError> {
    let Some(hash) = session else {
        return Ok(true);
    };
    let now_s = shared::clock::now_ms() / 1000;
    let live = accounts.session(hash, now_s).await.map_err(|e| {
        tracing::error!(error = %e, "could not read a session");
        e
    })?;
    Ok(live.is_some_and(|s| s.user_id == user))
}
