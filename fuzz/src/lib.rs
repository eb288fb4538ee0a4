//! The bodies of the fuzz targets: every parser that reads what an outsider
//! sent. Each takes raw bytes and must return (any `Result`), never panic.
//! `fuzz_targets/` wraps each for libFuzzer; `tests/corpus.rs` replays the
//! committed corpora on the stable toolchain.
//!
//! The small parsers' targets are here, with the api function's whole
//! handler (`api_router`); `helix.rs` holds the target over Twitch's
//! answers, `sigv4.rs` the one over the local `@connections` API's
//! signature check.

mod helix;
mod sigv4;

use api::params::{self, Query};
use shared::eventsub::catalog::{semantic_key, summarize};
use shared::eventsub::envelope::{self, Message};
use shared::eventsub::headers::{DeliveryHeaders, MessageType};
use shared::store::Cursor;
use shared::ticket::TicketKey;
use websocket::message::ClientMessage;

pub use helix::helix;
pub use sigv4::sigv4;

/// A target: raw input in, nothing out (a panic is the only failure).
pub type Target = fn(&[u8]);

/// Every target by name, for the corpus replay.
pub const TARGETS: &[(&str, Target)] = &[
    ("eventsub", eventsub),
    ("delivery_headers", delivery_headers),
    ("client_message", client_message),
    ("ticket", ticket),
    ("cursor", cursor),
    ("query", query),
    ("sigv4", sigv4),
    ("helix", helix),
    ("api_router", api_router),
];

/// A webhook body after its signature held: the first byte picks the message
/// type, the rest is the body; a notification goes on to its summary and
/// semantic key, as the webhook does.
pub fn eventsub(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let kind = match pick % 3 {
        0 => MessageType::Notification,
        1 => MessageType::Verification,
        _ => MessageType::Revocation,
    };
    if let Ok(Message::Notification {
        subscription,
        event,
    }) = envelope::parse(kind, body)
    {
        let fields = event.fields();
        let _ = summarize(&subscription.kind, fields);
        let broadcaster = subscription.broadcaster_id().unwrap_or("_unattributed");
        let _ = semantic_key(&subscription.kind, broadcaster, fields);
    }
}

/// Headers from one `name: value` per line (lines that are no header skipped).
fn header_lines(data: &[u8]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name),
            http::HeaderValue::from_bytes(value.trim_ascii()),
        ) {
            map.append(n, v);
        }
    }
    map
}

/// The delivery headers, one `name: value` per line.
pub fn delivery_headers(data: &[u8]) {
    let _ = DeliveryHeaders::parse(&header_lines(data));
}

/// A WebSocket client message (text frames only reach the parser).
pub fn client_message(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ClientMessage::parse(text);
    }
}

/// A `$connect` ticket, checked against a fixed key and audience.
pub fn ticket(data: &[u8]) {
    let Some(key) = TicketKey::new(b"fuzz-ticket-key-fuzz-ticket-key-01") else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = key.verify(text, "wss://example.test/prod", 1_700_000_000);
    }
}

/// An events cursor from a query string.
pub fn cursor(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Cursor::decode(text);
    }
}

/// A read-API query string, through every typed accessor.
pub fn query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    const ALLOWED: &[&str] = &["limit", "cursor", "after", "days", "from", "to", "page"];
    if let Ok(q) = Query::parse(Some(text), ALLOWED) {
        let _ = q.limit(params::EVENTS_LIMIT);
        let _ = q.days();
        let _ = q.event_cursor("cursor");
        let _ = q.page_token();
        let _ = q.window(1_700_000_000_000);
    }
}

/// The api function's whole handler (read API, account routes, page) over an
/// in-memory store that knows one streamer (`777`/`user777`) and one user
/// with a live session. Twitch is never asked: the lookup allowance is 0
/// (Helix answers have their own target).
mod router_state {
    use std::cell::RefCell;
    use std::sync::Arc;

    use api::account::AccountRoutes;
    use api::site::Site;
    use api::ApiState;
    use shared::auth::cookies::CookiePolicy;
    use shared::auth::seal::SealKey;
    use shared::config::Retention;
    use shared::helix::config::ClientSecret;
    use shared::helix::login::Login;
    use shared::helix::{Helix, HelixConfig};
    use shared::store::sqlite::{Durability, SqliteStore};
    use shared::store::streamers::{StreamerStore, Wish};
    use shared::store::users::{LoginStore, Session, SessionStore, User};
    use shared::ticket::TicketKey;

    /// The session cookie's value.
    pub const SESSION: &str = "fuzz-session-cookie";
    /// The admin routes' bearer token.
    pub const ADMIN: &str = "fuzz-admin-token";
    /// This site, as `Host` and `Origin` name it.
    pub const HOST: &str = "fuzz.example";
    /// Executions before the store starts afresh (what logins and
    /// favourites added stays bounded).
    const FRESH_EVERY: u32 = 20_000;

    /// The handler's state and the runtime its requests run on.
    pub struct Router {
        pub runtime: tokio::runtime::Runtime,
        pub state: ApiState,
        store: Arc<SqliteStore>,
        used: u32,
    }

    thread_local! {
        static ROUTER: RefCell<Option<Router>> = const { RefCell::new(None) };
    }

    fn build() -> Option<Router> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        let store = Arc::new(
            SqliteStore::open(":memory:", Durability::Process, Retention::default()).ok()?,
        );
        // Port 9 (discard) on loopback; with no lookup allowance it is never asked.
        let helix = Arc::new(
            Helix::new(HelixConfig::at(
                "http://127.0.0.1:9/helix",
                "http://127.0.0.1:9/oauth2",
                "fuzz-client-id",
                ClientSecret::new("fuzz-client-secret"),
            ))
            .ok()?,
        );
        let account = AccountRoutes {
            users: store.clone(),
            streamers: store.clone(),
            snapshots: store.clone(),
            events: store.clone(),
            login: Arc::new(Login::new(Arc::clone(&helix))),
            helix,
            seal: SealKey::from_bytes(&[7; 32]),
            cookies: CookiePolicy { secure: true },
            site_url: None,
            extra_origins: vec![],
            tickets: TicketKey::new(b"fuzz-router-ticket-key-0123456789")?,
            websocket_url: "wss://ws.fuzz.example/prod".into(),
            open: false,
            channel_scopes: shared::eventsub::catalog::channel_scopes(),
            max_favourites: 3,
            lookups_per_minute: 0,
            budgets: shared::config::Budgets::default(),
            // No WebSocket API: settings are kept, nothing is pushed.
            sockets: None,
        };
        let state = ApiState {
            events: store.clone(),
            streamers: store.clone(),
            snapshots: store.clone(),
            gaps: store.clone(),
            admin_token: ADMIN.into(),
            account: Some(account),
            site: Some(Site {
                websocket_url: "wss://ws.fuzz.example/prod".into(),
                open: false,
                embeds: true,
                dir: None,
            }),
        };
        let now = shared::clock::now_ms();
        runtime
            .block_on(async {
                store
                    .want(&Wish {
                        broadcaster_id: "777".into(),
                        login: Some("user777".into()),
                        by: "admin".into(),
                        at_ms: now,
                    })
                    .await?;
                store
                    .put_user(&User {
                        id: "42".into(),
                        login: "viewer42".into(),
                        display_name: "Viewer42".into(),
                        picture: None,
                        scopes: vec![],
                        created_at_s: now / 1000,
                    })
                    .await
            })
            .ok()?;
        Some(Router {
            runtime,
            state,
            store,
            used: 0,
        })
    }

    /// Runs `f` with the router, its session live (a fuzzed logout ends it).
    pub fn with<R>(f: impl FnOnce(&Router) -> R) -> Option<R> {
        ROUTER.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.as_ref().is_none_or(|r| r.used >= FRESH_EVERY) {
                *slot = build();
            }
            let router = slot.as_mut()?;
            router.used += 1;
            let now_s = shared::clock::now_ms() / 1000;
            let hash = shared::auth::sha256_hex(SESSION);
            let store = router.store.clone();
            router
                .runtime
                .block_on(async {
                    if store.session(&hash, now_s).await?.is_none() {
                        store.end_session(&hash).await?;
                        store
                            .create_session(&Session {
                                hash: hash.clone(),
                                user_id: "42".into(),
                                created_at_s: now_s,
                                expires_at_s: now_s + 3600,
                                tokens: None,
                                validated_at_s: now_s,
                            })
                            .await?;
                    }
                    Ok::<_, shared::store::StoreError>(())
                })
                .ok()?;
            Some(f(router))
        })
    }
}

/// One request to the api function: a flags byte (bit 0: with the session
/// cookie; bit 1: `Origin` is this site; bit 2: the admin bearer token),
/// then method, path with query, and headers (one `name: value` per line),
/// separated by NUL bytes. Never a panic; never a 5xx but 503.
pub fn api_router(data: &[u8]) {
    if let Some((status, shown)) = api_router_status(data) {
        assert!(
            !status.is_server_error() || status == http::StatusCode::SERVICE_UNAVAILABLE,
            "{status} for {shown}"
        );
    }
}

/// [`api_router`]'s request and the status it got (`None`: not a request).
pub fn api_router_status(data: &[u8]) -> Option<(http::StatusCode, String)> {
    use lambda_http::Body;

    let (&flags, rest) = data.split_first()?;
    let mut parts = rest.splitn(3, |b| *b == 0);
    let (method, path, headers) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let method = http::Method::from_bytes(method).ok()?;
    let path = http::uri::PathAndQuery::try_from(path).ok()?;
    let uri = http::Uri::builder()
        .scheme("https")
        .authority(router_state::HOST)
        .path_and_query(path)
        .build()
        .ok()?;
    let mut request = lambda_http::http::Request::new(Body::Empty);
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    let mut map = header_lines(headers);
    let site = format!("https://{}", router_state::HOST);
    map.insert(
        http::header::HOST,
        http::HeaderValue::from_static(router_state::HOST),
    );
    let extra = [
        (
            1,
            http::header::COOKIE,
            format!("__Host-sid={}", router_state::SESSION),
        ),
        (2, http::header::ORIGIN, site),
        (
            4,
            http::header::AUTHORIZATION,
            format!("Bearer {}", router_state::ADMIN),
        ),
    ];
    for (bit, name, value) in extra {
        if flags & bit != 0 {
            if let Ok(v) = http::HeaderValue::from_str(&value) {
                map.append(name, v);
            }
        }
    }
    *request.headers_mut() = map;
    let shown = format!("{} {}", request.method(), request.uri());
    let status =
        router_state::with(|r| r.runtime.block_on(api::handle(&r.state, request)).status())?;
    Some((status, shown))
}
