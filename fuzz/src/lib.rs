//! The bodies of the fuzz targets: every parser that reads what an outsider
//! sent. Each takes raw bytes and must return (any `Result`), never panic.
//! `fuzz_targets/` wraps each for libFuzzer; `tests/corpus.rs` replays the
//! committed corpora on the stable toolchain.

use std::time::{Duration, Instant, SystemTime};

use api::params::{self, Query};
use bytes::Bytes;
use shared::auth::idtoken::{self, Expected};
use shared::eventsub::catalog::{semantic_key, summarize};
use shared::eventsub::envelope::{self, Message};
use shared::eventsub::headers::{DeliveryHeaders, MessageType};
use shared::helix::answer::Answer;
use shared::helix::ratelimit::{Bucket, RateLimiter, MAX_WAIT};
use shared::helix::token::TokenResponse;
use shared::helix::{eventsub as subscriptions, login, streams, users, LONGEST_LIFETIME};
use shared::store::Cursor;
use shared::ticket::TicketKey;
use websocket::message::ClientMessage;

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

/// A call to the local `@connections` API: method, path and query, headers
/// (one `name: value` per line) and body, separated by NUL bytes. The check
/// answers without panicking; a call without an `Authorization` header is
/// refused; the same call signed by the AWS SDK's SigV4 signer with the
/// stack's credentials is accepted, and refused once its body changes.
pub fn sigv4(data: &[u8]) {
    use local::sigv4::{sign, verify, Credentials};

    let mut parts = data.splitn(4, |b| *b == 0);
    let (method, path, headers, body) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let (Ok(method), Ok(path)) = (
        http::Method::from_bytes(method),
        http::uri::PathAndQuery::try_from(path),
    ) else {
        return;
    };
    let Ok(uri) = http::Uri::builder().path_and_query(path).build() else {
        return;
    };
    let credentials = Credentials::new("LOCALFUZZ", "fuzz-secret");
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_633_600);
    let mut headers = header_lines(headers);
    let verdict = verify(&credentials, &method, &uri, &headers, body, now);
    if !headers.contains_key(http::header::AUTHORIZATION) {
        assert!(verdict.is_err(), "accepted without an Authorization header");
    }

    // What the signer adds itself, or would refuse to sign.
    headers.remove(http::header::AUTHORIZATION);
    headers.remove("x-amz-date");
    headers.insert(
        http::header::HOST,
        http::HeaderValue::from_static("127.0.0.1:3000"),
    );
    let signable: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    if signable.len() != headers.len() {
        return;
    }
    let url = format!("http://127.0.0.1:3000{}", uri);
    let Ok(added) = sign(
        &credentials,
        "us-east-1",
        now,
        method.as_str(),
        &url,
        &signable,
        body,
    ) else {
        return;
    };
    let mut signed = headers.clone();
    for (name, value) in added {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            signed.insert(n, v);
        }
    }
    assert_eq!(
        verify(&credentials, &method, &uri, &signed, body, now),
        Ok(()),
        "refused what the SDK signed"
    );
    let mut altered = body.to_vec();
    altered.push(b'!');
    assert!(
        verify(&credentials, &method, &uri, &signed, &altered, now).is_err(),
        "accepted a changed body"
    );
}

/// The statuses Twitch answers with, picked by a byte.
const STATUSES: &[u16] = &[200, 202, 204, 400, 401, 403, 404, 409, 429, 500, 503];

/// A Twitch answer, through the parser the Helix client uses on it: the
/// first byte picks the endpoint, the second the status, the rest is the
/// body (for the rate limit: the headers, one `name: value` per line; for an
/// ID token: the key set, a NUL, the token).
pub fn helix(data: &[u8]) {
    let [pick, status, body @ ..] = data else {
        return;
    };
    let status = STATUSES[usize::from(*status) % STATUSES.len()];
    let answer = Answer {
        status,
        body: Bytes::copy_from_slice(body),
    };
    let longest_s = LONGEST_LIFETIME.as_secs() as i64;
    match pick % 12 {
        0 => {
            let _ = users::parse(&answer);
        }
        1 => {
            if let Ok((_, Some(cursor))) = streams::parse_page(&answer) {
                assert!(!cursor.is_empty(), "an empty cursor is the last page");
            }
        }
        2 => {
            if let Ok((page, next)) = subscriptions::parse_page(&answer) {
                let _ = page.totals.used_percent();
                assert!(next.is_none_or(|c| !c.is_empty()));
            }
        }
        3 => {
            let _ = subscriptions::parse_created(&answer);
        }
        4 => {
            let _ = subscriptions::parse_deleted(&answer);
        }
        5 => {
            if let Ok(token) = TokenResponse::parse(&answer) {
                let now = Instant::now();
                assert!(token.expires_at(now) <= now + LONGEST_LIFETIME);
            }
        }
        6 => {
            if let Ok(tokens) = login::parse_tokens(status, body) {
                assert!((0..=longest_s).contains(&tokens.expires_in));
            }
        }
        7 => {
            if let Ok(login::Validation::Valid { expires_in, .. }) =
                login::parse_validation(status, body)
            {
                assert!((0..=longest_s).contains(&expires_in));
            }
        }
        8 => {
            let _ = login::parse_revoked(status, body);
        }
        9 => {
            let _ = login::parse_keys(status, body);
        }
        10 => {
            let Some(nul) = body.iter().position(|b| *b == 0) else {
                return;
            };
            let (Ok(keys), Ok(token)) = (
                login::parse_keys(200, &body[..nul]),
                std::str::from_utf8(&body[nul + 1..]),
            ) else {
                return;
            };
            let expected = Expected {
                issuer: "https://id.twitch.tv/oauth2",
                client_id: "fuzz-client",
                nonce: "fuzz-nonce",
                now_s: 1_700_000_000,
            };
            let _ = idtoken::verify(token, &keys, expected);
        }
        _ => {
            let headers = header_lines(body);
            let bucket = Bucket::from_headers(&headers);
            let limiter = RateLimiter::default();
            limiter.observe(bucket);
            assert!(limiter.delay(1_700_000_000_000) <= MAX_WAIT);
            limiter.exhausted(bucket.reset, 1_700_000_000);
            assert!(limiter.delay(1_700_000_000_000) <= MAX_WAIT);
        }
    }
}

/// The api function's whole handler (read API, front door, page) over an
/// in-memory store that knows one streamer (`777`/`user777`) and one user
/// with a live session. Twitch is never asked: the lookup allowance is 0
/// (Helix answers have their own target).
mod router_state {
    use std::cell::RefCell;
    use std::sync::Arc;

    use api::door::FrontDoor;
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
        let door = FrontDoor {
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
        };
        let state = ApiState {
            events: store.clone(),
            streamers: store.clone(),
            snapshots: store.clone(),
            admin_token: ADMIN.into(),
            door: Some(door),
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
