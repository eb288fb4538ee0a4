//! The local stack's test harness, once for every test file: start a stack
//! (in process or the real binary), open a store, talk WebSocket to it, and
//! wait for a condition with a deadline instead of sleeping.

// Each test file compiles its own copy and uses only part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use local::gateway::Outbound;
use local::listen::Limits;
use local::server;
use local::settings::StackSettings;
use local::stack::Stack;
use local::twitch::{LocalTwitch, Twitch};
use shared::config::{EventSubSecret, Retention, DEV_EVENTSUB_SECRET};
use shared::store::sqlite::{Durability, SqliteStore};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use twitch_sim::SimConfig;
use webhook::WebhookState;

// An in-memory store and waiting with a deadline: one copy, shared with
// the simulator's tests.
#[path = "../../../twitch_sim/tests/support/mod.rs"]
mod common;
#[allow(unused_imports)] // each test file uses only part of it
pub use common::{eventually, memory_store, wait_until, PATIENCE};

/// The documented development secret (what the local tools sign with).
pub fn dev_secret() -> EventSubSecret {
    EventSubSecret::new(DEV_EVENTSUB_SECRET).unwrap()
}

/// The store in the SQLite file at `db`.
pub fn open_store(db: &Path) -> SqliteStore {
    SqliteStore::open(
        db.to_str().unwrap(),
        Durability::PowerLoss,
        Retention::default(),
    )
    .unwrap()
}

/// A local stack serving on an ephemeral port of 127.0.0.1 until dropped.
pub struct Running {
    pub addr: SocketAddr,
    pub store: Arc<SqliteStore>,
    pub stack: Arc<Stack>,
    _stop: oneshot::Sender<()>,
}

impl Running {
    /// `http://host:port` followed by `path`.
    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The real SDK `@connections` client for `endpoint` (this stack, or a
    /// stage of it), signing with the stack's management credentials.
    pub fn pusher(&self, endpoint: &str) -> shared::push::Pusher {
        let credentials = &self.stack.management;
        shared::push::Pusher::local(endpoint, credentials.access_key_id(), credentials.secret())
    }

    /// A call to this stack's `path` signed (SigV4) with `credentials` now.
    pub fn signed(
        &self,
        credentials: &local::sigv4::Credentials,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> reqwest::RequestBuilder {
        let url = self.http(path);
        let host = self.addr.to_string();
        let added = local::sigv4::sign(
            credentials,
            "us-east-1",
            std::time::SystemTime::now(),
            method.as_str(),
            &url,
            &[("host", host.as_str())],
            &body,
        )
        .expect("a signable request");
        let mut request = reqwest::Client::new().request(method, url).body(body);
        for (name, value) in added {
            request = request.header(name, value);
        }
        request
    }

    /// The Twitch side, for stacks started with one.
    pub fn twitch(&self) -> Arc<LocalTwitch> {
        Arc::clone(
            self.stack
                .twitch
                .as_ref()
                .expect("a stack with a Twitch side"),
        )
    }
}

/// Serves the stack `build` makes for its address, over `store`.
pub async fn serve(
    store: Arc<SqliteStore>,
    build: impl FnOnce(SocketAddr) -> Arc<Stack>,
) -> Running {
    serve_within(store, Limits::default(), build).await
}

/// [`serve`] within these server limits.
pub async fn serve_within(
    store: Arc<SqliteStore>,
    limits: Limits,
    build: impl FnOnce(SocketAddr) -> Arc<Stack>,
) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stack = build(addr);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server::run_within(
        listener,
        Arc::clone(&stack),
        limits,
        async {
            let _ = stopped.await;
        },
    ));
    Running {
        addr,
        store,
        stack,
        _stop: stop,
    }
}

/// Only the webhook (`POST /eventsub`) and `@connections`, over an in-memory store.
pub async fn webhook_only(secret: EventSubSecret) -> Running {
    webhook_only_within(secret, Limits::default()).await
}

/// [`webhook_only`] within these server limits.
pub async fn webhook_only_within(secret: EventSubSecret, limits: Limits) -> Running {
    let store = memory_store();
    let webhook = WebhookState::new(secret, store.clone(), store.clone());
    serve_within(store, limits, |_| {
        Arc::new(Stack {
            webhook,
            fanout_panics: Default::default(),
            hosts: Vec::new(),
            connections: Default::default(),
            // Known to this process only, whatever the environment holds.
            management: Arc::new(local::sigv4::Credentials::random()),
            ws: None,
            twitch: None,
            api: None,
        })
    })
    .await
}

/// What a test stack is built from: the environment's settings, with
/// `secret`, `tickets` (`None`: open) and a seal key for this process.
pub fn stack_settings(
    secret: EventSubSecret,
    tickets: Option<shared::ticket::TicketKey>,
) -> StackSettings {
    StackSettings::read(secret, tickets, shared::auth::seal::SealKey::ephemeral())
}

/// The whole stack without a Twitch side ([`Stack::build`]) over an
/// in-memory store; `/ws` needs tickets signed with `tickets`, or none.
pub async fn local_stack(
    secret: EventSubSecret,
    tickets: Option<shared::ticket::TicketKey>,
) -> Running {
    let store = memory_store();
    serve(store.clone(), |addr| {
        Stack::build(stack_settings(secret, tickets), store, addr, None)
    })
    .await
}

/// The key the simulator stacks sign WebSocket tickets with.
pub fn sim_tickets() -> shared::ticket::TicketKey {
    shared::ticket::TicketKey::new(b"sim-stack-ticket-key-sim-stack-0123").unwrap()
}

impl Running {
    /// A ticket for `user` to open this stack's `/ws`, as `POST
    /// /api/ws-ticket` issues one to a logged-in session.
    pub fn ticket(&self, user: &str) -> String {
        let audience = format!("ws://{}/ws", self.addr);
        sim_tickets().issue(user, &audience, shared::clock::now_ms() / 1000)
    }
}

/// The whole stack with the built-in Twitch simulator as its Twitch side
/// ([`Stack::build`]), `/ws` behind tickets signed with
/// [`sim_tickets`]; the admin routes take `admin_token`.
pub async fn sim_stack(secret: EventSubSecret, admin_token: &str) -> Running {
    sim_stack_on(memory_store(), secret, admin_token).await
}

/// [`sim_stack`] over the given store.
pub async fn sim_stack_on(
    store: Arc<SqliteStore>,
    secret: EventSubSecret,
    admin_token: &str,
) -> Running {
    serve(store.clone(), |addr| {
        let side = LocalTwitch::new(
            Twitch::Sim(SimConfig::default()),
            &format!("http://{addr}"),
            secret.clone(),
            store.clone(),
            admin_token.into(),
        )
        .unwrap();
        Stack::build(
            stack_settings(secret, Some(sim_tickets())),
            store,
            addr,
            Some(Arc::new(side)),
        )
    })
    .await
}

/// The real binary, serving a file database on an ephemeral port.
pub struct Binary {
    pub child: Child,
    /// Its webhook URL.
    pub url: String,
    /// What it prints, line by line.
    pub lines: std::sync::mpsc::Receiver<String>,
}

/// Starts `local serve` on `db` with the development secret, once it says
/// where it listens.
pub fn start_binary(db: &Path) -> Binary {
    start_binary_with(db, &[])
}

/// [`start_binary`] with more flags for `serve` (`--open`).
pub fn start_binary_with(db: &Path, flags: &[&str]) -> Binary {
    let mut child = Command::new(env!("CARGO_BIN_EXE_local"))
        .args(["serve", "--port", "0", "--db", db.to_str().unwrap()])
        .args(flags)
        .env_remove("EVENTSUB_SECRET")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the local binary");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let url = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the stack announces where it listens");
        if let Some(rest) = line.trim().strip_prefix("listening on ") {
            break format!("{rest}/eventsub");
        }
    };
    Binary { child, url, lines }
}

/// A fresh directory and a database file name in it.
pub fn temp_db() -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("se-stack-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("events.db");
    (dir, db)
}

/// A WebSocket client connection.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket to `url` (`ws://…`).
pub async fn connect(url: &str) -> Socket {
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// Sends one text frame.
pub async fn send(ws: &mut Socket, text: &str) {
    ws.send(Message::Text(text.into())).await.unwrap();
}

/// The next text frame, as JSON (other frames are skipped).
pub async fn next_json(ws: &mut Socket) -> serde_json::Value {
    loop {
        let msg = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("socket open")
            .expect("a frame");
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// The next frame the local gateway hands a registered connection, as JSON.
pub async fn next_frame(rx: &mut local::gateway::Inbox) -> serde_json::Value {
    let next = tokio::time::timeout(PATIENCE, rx.recv());
    match next.await.expect("a frame within 10 s").expect("a frame") {
        Outbound::Frame(b) => serde_json::from_slice(&b).unwrap(),
        Outbound::Close => panic!("closed"),
    }
}
