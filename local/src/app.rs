//! The local stack, assembled: the store and its purger, WebSocket tickets,
//! the Twitch side (simulator or real Twitch) with its subscription manager
//! and poller, the fan-out feed, and the HTTP server hosting every route
//! (API Gateway's part, played on one machine).
//!
//! Over 400 lines on purpose: the whole stack's wiring reads top to bottom
//! in one file.
//!
//! [`serve`] is `local serve`; tests build a [`Stack`] with [`Stack::local`]
//! or [`Stack::with_twitch`] and run it with [`run`] on an ephemeral port.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use shared::auth::cookies::CookiePolicy;
use shared::auth::seal::SealKey;
use shared::config::{EventSubSecret, Retention};
use shared::helix::config::ClientSecret;
use shared::sessions::{validate_due, SweepReport};
use shared::store::sqlite::{Durability, SqliteStore};
use shared::store::{StoreError, StoredEvent};
use shared::ticket::TicketKey;
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use webhook::{Outcome, Rejection, WebhookState, MAX_BODY_BYTES};
use websocket::{Auth, WsState};

use crate::bridge;
use crate::cli::{self, LocalSecret, ServeArgs, SimArgs, TwitchArg};
use crate::gateway::{self, Connections};
pub use crate::listen::Limits;
use crate::secret::random_secret;
use crate::twitch::{Twitch, TwitchSide};
use crate::twitch_sim::{Sim, SimConfig};
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
    pub twitch: Option<Arc<TwitchSide>>,
    /// The api function's handler: the read API (`/api/*`), the front door
    /// (`/auth/*`, `/api/me`, tickets) and the page, when served.
    pub api: Option<Arc<::api::ApiState>>,
}

/// What the front door needs beyond the store and Twitch: the key that
/// seals sessions' Twitch tokens, and the ticket key in open mode.
pub struct DoorKeys {
    pub seal: SealKey,
}

impl Stack {
    /// The whole local stack over one SQLite store, answering on `addr`:
    /// webhook, `@connections`, and `/ws` (tickets signed with `tickets`, or
    /// open to anyone when `None`).
    pub fn local(
        secret: EventSubSecret,
        store: Arc<SqliteStore>,
        addr: SocketAddr,
        tickets: Option<TicketKey>,
    ) -> Arc<Self> {
        Self::with_twitch(secret, store, addr, tickets, None)
    }

    /// The local stack with a Twitch side: subscribes track their streamer,
    /// logins are looked up, the admin routes (and the simulator) are served.
    pub fn with_twitch(
        secret: EventSubSecret,
        store: Arc<SqliteStore>,
        addr: SocketAddr,
        tickets: Option<TicketKey>,
        twitch: Option<Arc<TwitchSide>>,
    ) -> Arc<Self> {
        Self::assemble(secret, store, addr, tickets, twitch, SealKey::ephemeral())
    }

    /// [`Stack::with_twitch`] with the key that seals sessions' tokens.
    pub fn assemble(
        secret: EventSubSecret,
        store: Arc<SqliteStore>,
        addr: SocketAddr,
        tickets: Option<TicketKey>,
        twitch: Option<Arc<TwitchSide>>,
        seal: SealKey,
    ) -> Arc<Self> {
        let connections: Arc<Connections> = Default::default();
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
            concurrency: fanout::concurrency_from_env().unwrap_or_else(|e| {
                tracing::warn!(error = %e, "using the default fan-out concurrency");
                fanout::DEFAULT_CONCURRENCY
            }),
            served: Default::default(),
        };
        let fanout_panics: Arc<std::sync::atomic::AtomicU64> = Default::default();
        spawn_fan_out(fan_out, store.appended(), Arc::clone(&fanout_panics));
        let door = twitch.as_ref().map(|side| ::api::door::FrontDoor {
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
            max_favourites: ::api::door::DEFAULT_MAX_FAVOURITES,
            lookups_per_minute: ::api::door::DEFAULT_LOOKUPS_PER_MINUTE,
        });
        let mut webhook = WebhookState::new(secret, store.clone(), store.clone());
        if twitch.is_some() {
            webhook.revocations = Some(webhook::Revocations {
                users: store.clone(),
                streamers: store.clone(),
                sockets: Some(webhook::Sockets {
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
            management: Arc::new(crate::sigv4::Credentials::from_env_or_random()),
            ws: Some(ws),
            api: Some(Arc::new(::api::ApiState {
                events: store.clone(),
                streamers: store.clone(),
                snapshots: store,
                admin_token: twitch
                    .as_ref()
                    .map(|t| t.admin_token.clone())
                    .unwrap_or_default(),
                door,
                site: Some(::api::site::Site {
                    websocket_url,
                    open,
                    // Simulated users are not Twitch channels: no player.
                    embeds: twitch.as_ref().is_some_and(|t| t.sim.is_none()),
                    dir: Some(web_dir()),
                }),
            })),
            twitch,
        })
    }
}

/// The page's directory: `WEB_DIR`, else the repository's `web/` (served
/// from disk so edits show on reload; the Lambda serves embedded copies).
pub fn web_dir() -> std::path::PathBuf {
    std::env::var_os("WEB_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web"))
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

/// Refuses requests for any other `Host` (421): what a DNS-rebinding page
/// would send.
async fn check_host(
    State(hosts): State<Arc<Vec<String>>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if hosts.is_empty() || hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return next.run(request).await;
    }
    let body = json!({
        "error": "misdirected_request",
        "message": format!("this stack answers only {}", hosts.join(" and ")),
    });
    (http::StatusCode::MISDIRECTED_REQUEST, Json(body)).into_response()
}

/// A ticket key that lives and dies with this process (it never leaves it
/// except as signatures).
fn process_ticket_key() -> TicketKey {
    match TicketKey::new(random_secret().as_bytes()) {
        Some(k) => k,
        None => unreachable!("64 characters is over the 32-byte minimum"),
    }
}

/// The events table's stream, played by the store's commit feed: every
/// newly stored event goes through the same fan-out as in AWS.
/// Each event is fanned out in its own task, as each stream record is its
/// own invocation in AWS: one that panics is logged and counted (`/healthz`
/// shows `fanout_panics`), and live delivery goes on for everyone else.
/// A streamer's events go out in order, one at a time, in that streamer's
/// lane; streamers' lanes run side by side, so a client that stopped
/// reading (its posts retried, then given up) holds up its streamer only.
fn spawn_fan_out(
    fan_out: fanout::FanoutState,
    mut feed: tokio::sync::broadcast::Receiver<StoredEvent>,
    panics: Arc<std::sync::atomic::AtomicU64>,
) {
    let fan_out = Arc::new(fan_out);
    tokio::spawn(async move {
        let mut lanes: std::collections::HashMap<String, FanOutLane> = Default::default();
        loop {
            match feed.recv().await {
                Ok(event) => {
                    // Lanes end once idle; forget those before looking one up.
                    lanes.retain(|_, lane| !lane.is_closed());
                    let key = event.event.broadcaster_id.clone();
                    let queue = lanes
                        .entry(key.clone())
                        .or_insert_with(|| start_lane(Arc::clone(&fan_out), Arc::clone(&panics)));
                    match queue.try_send(event) {
                        Ok(()) => {}
                        Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                            tracing::warn!(
                                broadcaster = %key,
                                "fan-out of this streamer fell behind; clients refetch by cursor"
                            );
                        }
                        // It ended between the check and the send: a new one.
                        Err(tokio::sync::mpsc::error::TrySendError::Closed(event)) => {
                            let fresh = start_lane(Arc::clone(&fan_out), Arc::clone(&panics));
                            let _ = fresh.try_send(event);
                            lanes.insert(key, fresh);
                        }
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(
                        skipped = n,
                        "fan-out fell behind; clients refetch by cursor"
                    );
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// One streamer's queue of events to fan out.
type FanOutLane = tokio::sync::mpsc::Sender<StoredEvent>;

/// Events one streamer's lane may hold before newer ones are dropped
/// (clients refetch by cursor, as after a lag of the whole feed).
const LANE_QUEUE: usize = 256;
/// A lane with nothing to do this long ends (a new one starts on demand).
const LANE_IDLE: Duration = Duration::from_secs(30);

/// Starts a lane: its events fanned out one after another.
fn start_lane(
    fan_out: Arc<fanout::FanoutState>,
    panics: Arc<std::sync::atomic::AtomicU64>,
) -> FanOutLane {
    let (sender, mut events) = tokio::sync::mpsc::channel::<StoredEvent>(LANE_QUEUE);
    tokio::spawn(async move {
        loop {
            let event = match tokio::time::timeout(LANE_IDLE, events.recv()).await {
                Ok(Some(event)) => event,
                Ok(None) => break,
                Err(_) => {
                    // Closed first, then drained: nothing sent to it is lost.
                    events.close();
                    match events.try_recv() {
                        Ok(event) => event,
                        Err(_) => break,
                    }
                }
            };
            let (now, _) = fanout::start(event.event.received_at_ms);
            let state = Arc::clone(&fan_out);
            let one = tokio::spawn(async move { fanout::fan_out(&state, &event, now).await });
            match one.await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "fan-out failed"),
                Err(e) => {
                    panics.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::error!(error = %e, "fan-out of one event panicked; delivery goes on");
                }
            }
        }
    });
    sender
}

/// The local stack's routes.
pub fn router(stack: Arc<Stack>) -> Router {
    let router = Router::new()
        .route("/eventsub", post(eventsub))
        .route("/healthz", get(healthz))
        .with_state(Arc::clone(&stack))
        .merge(gateway::routes(
            Arc::clone(&stack.connections),
            Arc::clone(&stack.management),
        ));
    let router = match &stack.ws {
        Some(host) => router.merge(crate::ws::routes(Arc::clone(host))),
        None => router,
    };
    let router = match &stack.twitch {
        Some(side) => router.merge(side.routes()),
        None => router,
    };
    let router = match &stack.api {
        Some(api) => router.merge(crate::api_host::routes(Arc::clone(api))),
        None => router,
    };
    router.layer(axum::middleware::from_fn_with_state(
        Arc::new(stack.hosts.clone()),
        check_host,
    ))
}

/// What `/healthz` shows: the webhook's counters, under their names in
/// [`webhook::Metrics`], and the fan-out's panics.
#[derive(serde::Serialize)]
struct Health<'a> {
    ok: bool,
    #[serde(flatten)]
    webhook: &'a webhook::Metrics,
    fanout_panics: u64,
}

async fn healthz(State(stack): State<Arc<Stack>>) -> Response {
    let fanout_panics = stack
        .fanout_panics
        .load(std::sync::atomic::Ordering::Relaxed);
    Json(Health {
        ok: true,
        webhook: &stack.webhook.metrics,
        fanout_panics,
    })
    .into_response()
}

/// `POST /eventsub`, answered by the webhook function's handler.
async fn eventsub(State(stack): State<Arc<Stack>>, request: Request) -> Response {
    let answer = match bridge::to_lambda(request, MAX_BODY_BYTES).await {
        Ok(request) => webhook::handle(&stack.webhook, request).await,
        Err(too_large) => {
            webhook::respond(Outcome::Rejected(Rejection::TooLarge(too_large.declared)))
        }
    };
    bridge::to_axum(answer)
}

/// Serves `stack` on `listener` until `shutdown` resolves, then closes the
/// WebSockets and finishes the requests in flight (each answered only after
/// its write committed).
pub async fn run(
    listener: TcpListener,
    stack: Arc<Stack>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_within(listener, stack, Limits::default(), shutdown).await
}

/// [`run`] within these connection and time limits.
pub async fn run_within(
    listener: TcpListener,
    stack: Arc<Stack>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let connections = Arc::clone(&stack.connections);
    let shutdown = async move {
        shutdown.await;
        connections.close_all();
    };
    crate::listen::serve(listener, router(stack), limits, shutdown).await
}

/// `local serve`: builds every part of the stack, says where each one
/// answers, and runs until Ctrl-C.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let LocalSecret { secret, is_dev } = cli::eventsub_secret()?;
    let durability = Durability::from(args.durability);
    let store = open_store(&args.db, durability)?;
    let listener = bind(args.port).await?;
    let addr = listener.local_addr()?;
    let purger = spawn_purger(store.clone());
    let store = Arc::new(store);
    let tickets = ticket_key(args.open)?;
    let twitch = choose_twitch(&args)?;
    let simulated = matches!(twitch, Twitch::Sim(_));
    let admin = AdminToken::from_env();
    let side = Arc::new(TwitchSide::new(
        twitch,
        &format!("http://{addr}"),
        secret.clone(),
        store.clone(),
        admin.token.clone(),
    )?);
    side.spawn_manager(&store, Duration::from_secs(args.sweep_secs.max(1)));
    let poll_mode: poller::Mode = args.poll_mode.parse()?;
    if args.poll_secs > 0 {
        side.spawn_poller(
            store.clone(),
            poll_mode,
            Duration::from_secs(args.poll_secs),
        );
    }

    println!("Streamer Events local stack");
    println!("  listening on http://{addr}");
    let limits = Limits::default();
    match crate::listen::descriptor_limit() {
        Some(n) => println!(
            "  connections: at most {} at once (descriptor limit {n}, {} kept for the store and outbound calls)",
            limits.within_descriptors(Some(n)).connections,
            crate::listen::RESERVED_DESCRIPTORS
        ),
        None => println!(
            "  connections: at most {} at once (descriptor limit unknown)",
            limits.connections
        ),
    }
    println!("  EventSub webhook: POST http://{addr}/eventsub");
    match store.path() {
        Some(p) => println!(
            "  store: SQLite {} (WAL, {})",
            p.display(),
            match durability {
                Durability::PowerLoss => "fsync per commit: survives power loss",
                Durability::Process => "survives kill -9, not power loss",
            }
        ),
        None => println!("  store: SQLite in memory (lost on exit)"),
    }
    if is_dev {
        println!("  EventSub secret: the development default (EVENTSUB_SECRET unset); the trigger command uses it too");
    } else {
        println!("  EventSub secret: from EVENTSUB_SECRET");
    }
    println!(
        "  WebSocket: ws://{addr}/ws?ticket=<from POST http://{addr}/api/ws-ticket, logged in>{}",
        if args.open {
            " (open mode: no ticket needed)"
        } else {
            ""
        }
    );
    println!("  send a test event: cargo run -p local -- trigger channel.follow --to http://{addr}/eventsub");
    if simulated {
        println!("  Twitch: the built-in simulator (Helix at http://{addr}/helix, OAuth at http://{addr}/oauth2)");
    } else {
        println!("  Twitch: real (callback {})", side.manager.target.callback);
    }
    if admin.generated {
        println!(
            "  admin: curl -H 'Authorization: Bearer {}' http://{addr}/admin/streamers  (set ADMIN_TOKEN to choose it)",
            admin.token
        );
    } else {
        println!("  admin: http://{addr}/admin/streamers (bearer ADMIN_TOKEN)");
    }
    if args.poll_secs > 0 {
        println!(
            "  poller: {poll_mode} every {} s (status: GET http://{addr}/api/poller)",
            args.poll_secs
        );
    }
    println!("  read API: http://{addr}/api/openapi.json");

    if let (Some(sim), true) = (&side.sim, args.sim_rate > 0.0) {
        sim.start_traffic(args.sim_rate);
    }
    let (stack, sweep, seal_from) =
        serve_stack(&args.db, secret, store.clone(), addr, tickets, side)?;
    println!(
        "  log in: http://localhost:{}/auth/login (or the page's button); sessions: {seal_from}",
        addr.port()
    );
    println!("  cookies: plain http on loopback, so without Secure and the __Host- prefix (AWS sets both)");
    sweep.spawn(Duration::from_secs(args.sweep_secs.max(1)));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        println!("shutting down: finishing requests in flight");
    };
    run(listener, stack, shutdown).await?;
    purger.abort();
    // Every request in flight has been answered, and each answer came after
    // its commit. The store's writer drains and checkpoints when the runtime
    // drops the last task holding the store (the fan-out feed).
    drop(store);
    println!("stopped cleanly");
    Ok(())
}

/// `local sim`: only the Twitch simulator (Helix and OAuth), until Ctrl-C.
pub async fn serve_sim(args: SimArgs) -> anyhow::Result<()> {
    let sim = Sim::new(SimConfig {
        live_streams: args.streams,
        rate_limit_per_minute: args.rate_limit.max(1),
        ..SimConfig::default()
    });
    let listener = bind(args.port).await?;
    println!(
        "Twitch simulator on http://{} ({} live streams, {} points/min)",
        listener.local_addr()?,
        args.streams,
        args.rate_limit
    );
    axum::serve(listener, sim.routes())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

async fn bind(port: u16) -> anyhow::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("bind 127.0.0.1:{port}"))
}

/// The SQLite store at `db` (its directory created), or in memory for `:memory:`.
fn open_store(db: &str, durability: Durability) -> anyhow::Result<SqliteStore> {
    if db != ":memory:" {
        if let Some(dir) = std::path::Path::new(db).parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        }
    }
    SqliteStore::open(db, durability, Retention::from_env()?).with_context(|| format!("open {db}"))
}

/// Purges expired rows hourly: the local stand-in for DynamoDB's TTL.
fn spawn_purger(store: SqliteStore) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            match store.purge_expired(now).await {
                Ok(n) if n > 0 => tracing::info!(rows = n, "purged expired rows"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purge failed"),
            }
        }
    })
}

/// The key WebSocket tickets are signed with; `None` in open mode.
fn ticket_key(open: bool) -> anyhow::Result<Option<TicketKey>> {
    if open {
        return Ok(None);
    }
    // TICKET_SECRET, or a key that lives and dies with this process.
    match std::env::var("TICKET_SECRET") {
        Ok(secret) => Ok(Some(
            TicketKey::new(secret.as_bytes()).context("TICKET_SECRET must be at least 32 bytes")?,
        )),
        Err(_) => Ok(Some(process_ticket_key())),
    }
}

/// The key that seals sessions' Twitch tokens: `SESSION_KEY` (32 bytes,
/// base64), else one kept next to a file database (so sessions survive a
/// restart), else one for this process only; and where it came from.
fn seal_key(db: &str) -> anyhow::Result<(SealKey, String)> {
    if let Ok(v) = std::env::var("SESSION_KEY") {
        return Ok((
            SealKey::from_base64("SESSION_KEY", &v)?,
            "key from SESSION_KEY".into(),
        ));
    }
    if db == ":memory:" {
        return Ok((SealKey::ephemeral(), "key for this process only".into()));
    }
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let path = format!("{db}.session-key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Ok((
            SealKey::from_base64("SESSION_KEY", &text)?,
            format!("key in {path}"),
        ));
    }
    let bytes = shared::auth::random_bytes::<32>();
    write_private(&path, &b64.encode(bytes)).with_context(|| format!("write {path}"))?;
    Ok((SealKey::from_bytes(&bytes), format!("new key in {path}")))
}

/// Writes a file only its owner may read.
fn write_private(path: &str, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

/// The stack `local serve` runs over `store` at `addr`, with the key that
/// seals sessions' tokens read from `db`'s side (SESSION_KEY, a key file
/// beside the database, or one for this process); the sweep
/// that validates those sessions; and where the key came from.
pub fn serve_stack(
    db: &str,
    secret: EventSubSecret,
    store: Arc<SqliteStore>,
    addr: SocketAddr,
    tickets: Option<TicketKey>,
    side: Arc<TwitchSide>,
) -> anyhow::Result<(Arc<Stack>, SessionSweep, String)> {
    // Read once, and the sweep opens with the front door's own key: for
    // `:memory:` each read makes a new key.
    let (seal, seal_from) = seal_key(db)?;
    let stack = Stack::assemble(secret, store, addr, tickets, Some(side), seal);
    let sweep = SessionSweep {
        api: stack.api.clone(),
    };
    Ok((stack, sweep, seal_from))
}

/// The check of sessions' Twitch tokens Twitch asks for hourly: only the
/// sessions an hour past their last check are asked about.
pub struct SessionSweep {
    /// The api handler whose front door holds the sessions' store, the
    /// login client and the key its sessions are sealed with.
    api: Option<Arc<::api::ApiState>>,
}

impl SessionSweep {
    /// One sweep at `now_s` (Unix seconds); nothing without a front door.
    pub async fn once(&self, now_s: i64) -> Result<SweepReport, StoreError> {
        match self.api.as_ref().and_then(|api| api.door.as_ref()) {
            Some(door) => validate_due(door.users.as_ref(), &door.login, &door.seal, now_s).await,
            None => Ok(SweepReport::default()),
        }
    }

    /// Sweeps every `every` (at most ten minutes apart) for as long as the
    /// process runs.
    fn spawn(self, every: Duration) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every.min(Duration::from_secs(600)));
            loop {
                tick.tick().await;
                if let Err(e) = self.once(shared::clock::now_ms() / 1000).await {
                    tracing::warn!(error = %e, "session validation sweep failed");
                }
            }
        });
    }
}

/// `--twitch`, or real Twitch when its credentials are set, else the simulator.
fn choose_twitch(args: &ServeArgs) -> anyhow::Result<Twitch> {
    let real = match args.twitch {
        Some(TwitchArg::Sim) => false,
        Some(TwitchArg::Real) => true,
        None => std::env::var("TWITCH_CLIENT_ID").is_ok(),
    };
    if real {
        return real_twitch(args);
    }
    Ok(Twitch::Sim(SimConfig {
        live_streams: args.sim_streams,
        // Only this process's own Twitch client uses it: a secret made now
        // means no other local process can mint the app's token and delete
        // its subscriptions or drain its rate budget.
        client_secret: random_secret(),
        ..SimConfig::default()
    }))
}

/// Real Twitch from TWITCH_CLIENT_ID, TWITCH_CLIENT_SECRET and --callback.
fn real_twitch(args: &ServeArgs) -> anyhow::Result<Twitch> {
    let id = std::env::var("TWITCH_CLIENT_ID").context("--twitch real needs TWITCH_CLIENT_ID")?;
    let secret = std::env::var("TWITCH_CLIENT_SECRET")
        .context("--twitch real needs TWITCH_CLIENT_SECRET")?;
    let callback = args
        .callback
        .clone()
        .filter(|c| c.starts_with("https://"))
        .context(
            "--twitch real needs --callback https://… (Twitch only calls HTTPS on port 443)",
        )?;
    Ok(Twitch::Real {
        client_id: id,
        client_secret: ClientSecret::new(secret),
        callback,
    })
}

/// The bearer token of the admin routes.
struct AdminToken {
    token: String,
    /// True when `ADMIN_TOKEN` is unset and this one was made up (the banner
    /// then shows it, or nobody could use the routes).
    generated: bool,
}

impl AdminToken {
    fn from_env() -> Self {
        match std::env::var("ADMIN_TOKEN") {
            Ok(token) => Self {
                token,
                generated: false,
            },
            Err(_) => Self {
                token: uuid::Uuid::new_v4().simple().to_string(),
                generated: true,
            },
        }
    }
}
