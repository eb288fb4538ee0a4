//! The local stack, assembled: the webhook, WebSocket tickets and `/ws`,
//! the `@connections` API, the fan-out feed, the Twitch side's account routes
//! and the api function, over one SQLite store (API Gateway's part, played
//! on one machine). [`Stack::build`] is the one way to make it; the
//! [`crate::server`] runs it.

use std::net::SocketAddr;
use std::sync::Arc;

use shared::auth::cookies::CookiePolicy;
use shared::store::sqlite::SqliteStore;
use webhook::WebhookState;
use websocket::{Auth, WsState};

use crate::gateway::Connections;
use crate::keys::process_ticket_key;
use crate::settings::StackSettings;
use crate::twitch::LocalTwitch;
use crate::ws::WsHost;

/// Everything the local routes share.
pub struct Stack {
    pub webhook: WebhookState,
    /// Events whose fan-out panicked (each is isolated; this says it happened).
    pub fanout_panics: Arc<std::sync::atomic::AtomicU64>,
    /// `Host` values this stack answers (empty: any). A page the user visits
    /// can reach loopback; DNS rebinding would give it another host name.
    pub hosts: Vec<String>,
    /// Live WebSocket connections, reachable through `@connections`.
    pub connections: Arc<Connections>,
    /// What `@connections` calls must be signed with (SigV4).
    pub management: Arc<crate::sigv4::Credentials>,
    /// The WebSocket endpoint, when served.
    pub ws: Option<Arc<WsHost>>,
    /// Twitch (simulated or real), the subscription manager and its admin routes.
    pub twitch: Option<Arc<LocalTwitch>>,
    /// The api function's handler: the read API (`/api/*`), the account routes
    /// (`/auth/*`, `/api/me`, tickets) and the page, when served.
    pub api: Option<Arc<::api::ApiState>>,
}

impl Stack {
    /// The whole local stack over one SQLite store, answering on `addr`:
    /// webhook, `@connections`, `/ws` (behind tickets, or open), the fan-out
    /// feed; with a Twitch side, also the account routes (log in, sessions),
    /// revocations ending sessions and sockets, and the admin routes.
    pub fn build(
        settings: StackSettings,
        store: Arc<SqliteStore>,
        addr: SocketAddr,
        twitch: Option<Arc<LocalTwitch>>,
    ) -> Arc<Self> {
        let connections: Arc<Connections> = Default::default();
        let StackSettings {
            secret,
            tickets,
            seal,
            fanout_concurrency,
            management,
            web_dir,
            budgets,
        } = settings;
        let open = tickets.is_none();
        // Open mode still issues tickets (to anyone): they say who a
        // logged-in visitor is; the same key signs and checks them.
        let key = tickets.clone().unwrap_or_else(process_ticket_key);
        let auth = match &tickets {
            Some(key) => Auth::Tickets(key.clone()),
            None => Auth::Open(Some(key.clone())),
        };
        let endpoint = format!("http://{addr}");
        let websocket_url = format!("ws://{addr}/ws");
        let mut state = WsState::new(store.clone(), store.clone(), auth, None);
        state.use_push(&endpoint, connections.clone());
        state.audience = Some(websocket_url.clone());
        state.accounts = Some(store.clone());
        state.origins = local_origins(addr);
        state.budgets = budgets;
        if let Some(side) = &twitch {
            state.streamers = Some(store.clone());
            state.users = Some(Arc::clone(&side.manager.helix));
        }
        let ws = Arc::new(WsHost {
            state,
            gateway: Arc::clone(&connections),
            domain: addr.to_string(),
            idle: crate::ws::IDLE_TIMEOUT,
            lifetime: crate::ws::MAX_DURATION,
            messages: Default::default(),
        });
        let fan_out = fanout::FanoutState {
            connections: store.clone(),
            pusher: connections.clone(),
            concurrency: fanout_concurrency,
            served: Default::default(),
        };
        let fanout_panics: Arc<std::sync::atomic::AtomicU64> = Default::default();
        crate::fanout_feed::spawn(fan_out, store.appended(), Arc::clone(&fanout_panics));
        let account = twitch.as_ref().map(|side| ::api::account::AccountRoutes {
            users: store.clone(),
            streamers: store.clone(),
            snapshots: store.clone(),
            events: store.clone(),
            login: Arc::clone(&side.login),
            helix: Arc::clone(&side.manager.helix),
            seal,
            // Plain http on loopback: no `Secure`, no `__Host-` (the banner says so).
            cookies: CookiePolicy { secure: false },
            site_url: None,
            extra_origins: local_origins(addr),
            tickets: key.clone(),
            websocket_url: websocket_url.clone(),
            open,
            channel_scopes: shared::eventsub::catalog::channel_scopes(),
            max_favourites: ::api::account::DEFAULT_MAX_FAVOURITES,
            lookups_per_minute: ::api::account::DEFAULT_LOOKUPS_PER_MINUTE,
            budgets,
            sockets: Some(shared::push::Sockets {
                connections: store.clone(),
                push: connections.clone(),
            }),
        });
        let mut webhook = WebhookState::new(secret, store.clone(), store.clone());
        webhook.gaps = Some(store.clone());
        if twitch.is_some() {
            webhook.revocations = Some(webhook::Revocations {
                sessions: store.clone(),
                overlays: store.clone(),
                grants: store.clone(),
                streamers: store.clone(),
                sockets: Some(shared::push::Sockets {
                    connections: store.clone(),
                    push: connections.clone(),
                }),
            });
        }
        Arc::new(Self {
            webhook,
            fanout_panics,
            hosts: local_hosts(addr),
            connections,
            management: Arc::new(management),
            ws: Some(ws),
            api: Some(Arc::new(::api::ApiState {
                events: store.clone(),
                streamers: store.clone(),
                gaps: store.clone(),
                snapshots: store,
                admin_token: twitch
                    .as_ref()
                    .map(|t| t.admin_token.clone())
                    .unwrap_or_default(),
                account,
                site: Some(::api::site::Site {
                    websocket_url,
                    open,
                    // Simulated users are not Twitch channels: no player.
                    embeds: twitch.as_ref().is_some_and(|t| t.sim.is_none()),
                    dir: Some(web_dir),
                }),
            })),
            twitch,
        })
    }
}

/// The origins a browser reaches this stack by (the page may be opened as
/// 127.0.0.1 or as localhost).
fn local_origins(addr: SocketAddr) -> Vec<String> {
    vec![
        format!("http://{addr}"),
        format!("http://localhost:{}", addr.port()),
    ]
}

/// The host names a browser or a local tool reaches this stack by.
pub fn local_hosts(addr: SocketAddr) -> Vec<String> {
    vec![
        format!("127.0.0.1:{}", addr.port()),
        format!("localhost:{}", addr.port()),
    ]
}
