//! The websocket handler, route by route, with API Gateway–shaped events (the
//! samples in `events/websocket/`) and the local `@connections` endpoint
//! receiving what it sends, through the real SDK client.

use crate::support;

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use local::gateway::{Connections, Inbox};
use shared::store::connections::ConnectionStore;
use shared::store::sqlite::SqliteStore;
use shared::store::{Event, EventStore};
use shared::ticket::TicketKey;
use support::next_frame;
use websocket::{handle, Auth, WsState};

const KEY: &[u8] = b"test-ticket-key-test-ticket-key-0123";
/// The WebSocket API the tickets name.
const AUD: &str = "wss://ws.example.test/prod";
/// The page's origin, the one allowed to connect.
const PAGE: &str = "https://events.example.test";

struct World {
    state: WsState,
    store: Arc<SqliteStore>,
    gateway: Arc<Connections>,
    _stack: support::Running,
}

async fn world(auth: Auth) -> World {
    let stack = support::webhook_only(support::dev_secret()).await;
    let (store, gateway) = (stack.store.clone(), Arc::clone(&stack.stack.connections));
    let endpoint = stack.http("");
    let mut state = WsState::new(store.clone(), store.clone(), auth, None);
    state.use_push(&endpoint, Arc::new(stack.pusher(&endpoint)));
    state.max_topics = 3;
    state.audience = Some(AUD.into());
    state.accounts = Some(store.clone());
    state.origins = vec![PAGE.into()];
    World {
        state,
        store,
        gateway,
        _stack: stack,
    }
}

fn tickets() -> Auth {
    Auth::Tickets(TicketKey::new(KEY).unwrap())
}

/// A checked-in sample, with its connection id (and body or ticket) replaced.
fn sample(name: &str, connection_id: &str) -> ApiGatewayWebsocketProxyRequest {
    let path = format!(
        "{}/../events/websocket/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let mut request: ApiGatewayWebsocketProxyRequest = serde_json::from_str(&text).unwrap();
    request.request_context.connection_id = Some(connection_id.into());
    request
}

fn message(connection_id: &str, body: &str) -> ApiGatewayWebsocketProxyRequest {
    let mut r = sample("subscribe", connection_id);
    r.body = Some(body.into());
    r
}

fn connect_with_ticket(
    connection_id: &str,
    ticket: Option<&str>,
) -> ApiGatewayWebsocketProxyRequest {
    let mut r = sample("connect", connection_id);
    let query = match ticket {
        Some(t) => format!("ticket={t}"),
        None => String::new(),
    };
    r.query_string_parameters = query.parse().unwrap();
    r
}

fn now_s() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl World {
    /// Connects `id` with a valid ticket and returns what the gateway delivers to it.
    async fn connected(&self, id: &str) -> Inbox {
        let ticket = TicketKey::new(KEY).unwrap().issue("dev-user", AUD, now_s());
        let r = handle(&self.state, connect_with_ticket(id, Some(&ticket))).await;
        assert_eq!(r.status_code, 200);
        self.gateway.register(id, "127.0.0.1", "test")
    }
}

#[tokio::test]
async fn a_ticket_opens_one_socket_only() {
    let w = world(tickets()).await;
    let ticket = TicketKey::new(KEY).unwrap().issue("1337", AUD, now_s());
    let first = handle(&w.state, connect_with_ticket("c1", Some(&ticket))).await;
    assert_eq!(first.status_code, 200);
    let again = handle(&w.state, connect_with_ticket("c2", Some(&ticket))).await;
    assert_eq!(again.status_code, 401);
    assert!(format!("{:?}", again.body).contains("used already"));
}

#[tokio::test]
async fn a_page_elsewhere_cannot_open_a_socket() {
    let w = world(tickets()).await;
    let key = TicketKey::new(KEY).unwrap();
    let mut evil = connect_with_ticket("c1", Some(&key.issue("1337", AUD, now_s())));
    evil.headers
        .insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(handle(&w.state, evil).await.status_code, 403);
    let mut ours = connect_with_ticket("c2", Some(&key.issue("1337", AUD, now_s())));
    ours.headers.insert("origin", PAGE.parse().unwrap());
    assert_eq!(handle(&w.state, ours).await.status_code, 200);
}

#[tokio::test]
async fn connect_refuses_a_missing_forged_expired_or_foreign_ticket() {
    let w = world(tickets()).await;
    let key = TicketKey::new(KEY).unwrap();
    let other = TicketKey::new(b"some-other-key-some-other-key-0123").unwrap();
    for ticket in [
        None,
        Some(other.issue("dev-user", AUD, now_s())),
        Some(key.issue("dev-user", AUD, now_s() - 3600)),
        Some(key.issue("dev-user", "wss://another-api.example.test/prod", now_s())),
        Some("garbage".to_owned()),
    ] {
        let r = handle(&w.state, connect_with_ticket("c1", ticket.as_deref())).await;
        assert_eq!(r.status_code, 401, "{ticket:?}");
    }
    assert!(w
        .store
        .topics("c1", now_s() * 1000)
        .await
        .unwrap()
        .is_empty());
    // The checked-in sample's ticket is not validly signed either.
    assert_eq!(
        handle(&w.state, sample("connect", "c1")).await.status_code,
        401
    );
}

#[tokio::test]
async fn open_mode_lets_anyone_connect() {
    let w = world(Auth::Open(None)).await;
    assert_eq!(
        handle(&w.state, connect_with_ticket("c1", None))
            .await
            .status_code,
        200
    );
}

#[tokio::test]
async fn subscribe_acknowledges_then_sends_the_backlog_oldest_first() {
    let w = world(tickets()).await;
    let base = now_s() * 1000 - 60_000;
    for i in 0..12 {
        let e = Event {
            message_id: format!("m{i:02}"),
            broadcaster_id: "1337".into(),
            event_type: "channel.cheer".into(),
            event_version: "1".into(),
            subscription_id: "s".into(),
            received_at_ms: base + i,
            summary: None,
            payload: r#"{"bits":100}"#.into(),
            recovery: None,
        };
        w.store.append_once(&e, None).await.unwrap();
    }
    let mut rx = w.connected("c1").await;
    assert_eq!(
        handle(&w.state, sample("subscribe", "c1"))
            .await
            .status_code,
        200
    );
    let ack = next_frame(&mut rx).await;
    assert_eq!(
        (ack["type"].as_str(), ack["broadcaster"].as_str()),
        (Some("subscribed"), Some("1337"))
    );
    let mut ids = Vec::new();
    for _ in 0..10 {
        let f = next_frame(&mut rx).await;
        assert_eq!(f["type"], "event");
        assert_eq!(f["backlog"], true);
        assert_eq!(f["event"]["bits"], 100);
        ids.push(f["id"].as_str().unwrap().to_owned());
    }
    let expected: Vec<String> = (2..12).map(|i| format!("m{i:02}")).collect();
    assert_eq!(ids, expected);
    let subs = w
        .store
        .subscribers("1337", None, 10, now_s() * 1000)
        .await
        .unwrap();
    assert_eq!(subs.connection_ids, ["c1"]);
}

#[tokio::test]
async fn ping_is_answered_with_pong_and_stores_nothing() {
    let w = world(tickets()).await;
    let mut rx = w.connected("c1").await;
    let answer = handle(&w.state, message("c1", r#"{"action":"ping"}"#)).await;
    assert_eq!(answer.status_code, 200);
    assert_eq!(next_frame(&mut rx).await["type"], "pong");
    assert!(w
        .store
        .topics("c1", now_s() * 1000)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn malformed_and_unknown_messages_get_error_frames() {
    let w = world(tickets()).await;
    let mut rx = w.connected("c1").await;
    let big = format!(
        "{{\"action\":\"subscribe\",\"pad\":\"{}\"}}",
        "x".repeat(5000)
    );
    let cases = [
        (message("c1", "not json"), "malformed_message"),
        (sample("default", "c1"), "unknown_action"),
        (
            message("c1", r#"{"action":"subscribe"}"#),
            "invalid_broadcaster",
        ),
        (
            message("c1", r#"{"action":"subscribe","broadcaster":1337}"#),
            "invalid_broadcaster",
        ),
        (
            message("c1", r#"{"action":"subscribe","broadcaster":"../etc"}"#),
            "invalid_broadcaster",
        ),
        (message("c1", &big), "message_too_large"),
    ];
    for (request, code) in cases {
        assert_eq!(handle(&w.state, request).await.status_code, 200);
        let f = next_frame(&mut rx).await;
        assert_eq!(
            (f["type"].as_str(), f["code"].as_str()),
            (Some("error"), Some(code))
        );
    }
    assert!(w
        .store
        .topics("c1", now_s() * 1000)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn the_topic_cap_is_enforced_with_an_error_frame() {
    let w = world(tickets()).await;
    let mut rx = w.connected("c1").await;
    for b in ["1", "2", "3"] {
        let body = format!(r#"{{"action":"subscribe","broadcaster":"{b}"}}"#);
        handle(&w.state, message("c1", &body)).await;
        assert_eq!(next_frame(&mut rx).await["type"], "subscribed");
    }
    handle(
        &w.state,
        message("c1", r#"{"action":"subscribe","broadcaster":"4"}"#),
    )
    .await;
    assert_eq!(next_frame(&mut rx).await["code"], "too_many_topics");
}

#[tokio::test]
async fn unsubscribe_and_disconnect_remove_topics() {
    let w = world(tickets()).await;
    let mut rx = w.connected("c1").await;
    handle(&w.state, sample("subscribe", "c1")).await;
    assert_eq!(next_frame(&mut rx).await["type"], "subscribed");
    handle(&w.state, sample("unsubscribe", "c1")).await;
    let f = next_frame(&mut rx).await;
    assert_eq!(
        (f["type"].as_str(), f["topics"].as_u64()),
        (Some("unsubscribed"), Some(0))
    );

    handle(&w.state, sample("subscribe", "c1")).await;
    assert_eq!(next_frame(&mut rx).await["type"], "subscribed");
    assert_eq!(
        handle(&w.state, sample("disconnect", "c1"))
            .await
            .status_code,
        200
    );
    let subs = w
        .store
        .subscribers("1337", None, 10, now_s() * 1000)
        .await
        .unwrap();
    assert!(subs.connection_ids.is_empty());
}

#[tokio::test]
async fn a_reply_to_a_gone_connection_cleans_it_up() {
    let w = world(tickets()).await;
    let rx = w.connected("c1").await;
    handle(&w.state, sample("subscribe", "c1")).await;
    // The positive control: stored before it can be seen to go.
    let now = now_s() * 1000;
    assert_eq!(w.store.topics("c1", now).await.unwrap().len(), 1);
    assert!(w.store.connection("c1", now).await.unwrap().is_some());
    drop(rx);
    w.gateway.remove("c1");
    // The reply meets a 410: the connection's records go.
    handle(
        &w.state,
        message("c1", r#"{"action":"subscribe","broadcaster":"42"}"#),
    )
    .await;
    assert!(w
        .store
        .topics("c1", now_s() * 1000)
        .await
        .unwrap()
        .is_empty());
    assert!(w.store.connection("c1", now).await.unwrap().is_none());
}

#[tokio::test]
async fn in_open_mode_a_ticket_still_says_who_connects() {
    let key = TicketKey::new(KEY).unwrap();
    let w = world(Auth::Open(Some(key.clone()))).await;
    let anonymous = handle(&w.state, connect_with_ticket("c1", None)).await;
    assert_eq!(anonymous.status_code, 200);
    let ticket = key.issue("1337", AUD, now_s());
    let user = handle(&w.state, connect_with_ticket("c2", Some(&ticket))).await;
    assert_eq!(user.status_code, 200);
    let now = now_s() * 1000;
    let principal = |id: &'static str| {
        let store = w.store.clone();
        async move { store.connection(id, now).await.unwrap().unwrap().principal }
    };
    assert_eq!(principal("c1").await, "anonymous");
    assert_eq!(principal("c2").await, "1337");
    // A forged one is refused rather than taken for anonymous.
    let forged = handle(&w.state, connect_with_ticket("c3", Some("v2.x.y.z.1.00"))).await;
    assert_eq!(forged.status_code, 401);
}

#[tokio::test]
async fn each_route_counts_under_its_cloudwatch_metric() {
    use websocket::handle_counted;
    use websocket::metrics::Counted;
    let w = world(tickets()).await;
    let counted = |r| async { handle_counted(&w.state, r).await.1 };
    let key = TicketKey::new(KEY).unwrap();

    let ok = connect_with_ticket("c1", Some(&key.issue("1337", AUD, now_s())));
    assert_eq!(counted(ok).await, [Counted::plain("Connects")]);
    let _rx = w.gateway.register("c1", "127.0.0.1", "test");
    assert_eq!(
        counted(connect_with_ticket("c2", None)).await,
        [Counted::refused("ticket_required")]
    );
    let late = key.issue("1337", AUD, now_s() - 3600);
    assert_eq!(
        counted(connect_with_ticket("c2", Some(&late))).await,
        [Counted::refused("ticket_expired")]
    );
    let mut elsewhere = connect_with_ticket("c2", Some(&key.issue("1337", AUD, now_s())));
    elsewhere
        .headers
        .insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(counted(elsewhere).await, [Counted::refused("origin")]);

    // The backlog's event frames after the ack count for nothing.
    let e = Event {
        message_id: "m1".into(),
        broadcaster_id: "1337".into(),
        event_type: "channel.cheer".into(),
        event_version: "1".into(),
        subscription_id: "s".into(),
        received_at_ms: now_s() * 1000,
        summary: None,
        payload: r#"{"bits":100}"#.into(),
        recovery: None,
    };
    w.store.append_once(&e, None).await.unwrap();
    assert_eq!(
        counted(sample("subscribe", "c1")).await,
        [Counted::plain("Subscribes")]
    );
    for b in ["2", "3"] {
        let body = format!(r#"{{"action":"subscribe","broadcaster":"{b}"}}"#);
        counted(message("c1", &body)).await;
    }
    let fourth = message("c1", r#"{"action":"subscribe","broadcaster":"4"}"#);
    assert_eq!(counted(fourth).await, [Counted::refused("too_many_topics")]);
    assert_eq!(
        counted(message("c1", "not json")).await,
        [Counted::refused("malformed_message")]
    );
    assert_eq!(
        counted(message("c1", r#"{"action":"ping"}"#)).await,
        [Counted::plain("Pings")]
    );
    assert_eq!(
        counted(sample("unsubscribe", "c1")).await,
        [Counted::plain("Unsubscribes")]
    );
    assert_eq!(
        counted(sample("disconnect", "c1")).await,
        [Counted::plain("Disconnects")]
    );

    // The line CloudWatch reads: the refusal's reason is a dimension.
    let line = Counted::refused("too_many_topics").line(shared::metrics::NAMESPACE, 0);
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (
            v["Function"].as_str(),
            v["Reason"].as_str(),
            v["Refused"].as_f64()
        ),
        (Some("websocket"), Some("too_many_topics"), Some(1.0))
    );
}

#[tokio::test]
async fn past_the_deployments_new_tracks_an_hour_a_subscribe_watches_but_does_not_track() {
    use shared::store::streamers::{StreamerStore, Wish};
    let mut w = world(tickets()).await;
    w.state.streamers = Some(w.store.clone());
    w.state.max_topics = 10;
    w.state.budgets.new_tracks_per_hour = 2;
    let tracked = Wish {
        broadcaster_id: "900".into(),
        login: None,
        by: "admin".into(),
        at_ms: 1,
    };
    w.store.want(&tracked).await.unwrap();
    let mut rx = w.connected("c1").await;
    let subscribe = |b: &str| {
        message(
            "c1",
            &format!(r#"{{"action":"subscribe","broadcaster":"{b}"}}"#),
        )
    };
    for b in ["901", "902", "903"] {
        handle(&w.state, subscribe(b)).await;
        // Watching is never refused.
        assert_eq!(next_frame(&mut rx).await["type"], "subscribed");
    }
    let refused = next_frame(&mut rx).await;
    assert_eq!(refused["code"], "deployment_busy", "{refused}");
    assert!(w.store.streamer("902").await.unwrap().unwrap().wanted);
    assert!(w.store.streamer("903").await.unwrap().is_none());
    // A streamer already tracked costs nothing: no refusal after its ack.
    handle(&w.state, subscribe("900")).await;
    assert_eq!(next_frame(&mut rx).await["type"], "subscribed");
    handle(&w.state, message("c1", r#"{"action":"ping"}"#)).await;
    assert_eq!(next_frame(&mut rx).await["type"], "pong");
}

#[tokio::test]
async fn a_lookup_while_twitchs_rate_limit_is_under_its_reserve_is_refused_busy() {
    use shared::helix::config::ClientSecret;
    use shared::helix::{Helix, HelixConfig};
    let config = twitch_sim::SimConfig {
        rate_limit_per_minute: 20,
        ..Default::default()
    };
    let (id, secret) = (config.client_id.clone(), config.client_secret.clone());
    let sim = twitch_sim::Sim::new(config);
    let base = sim.spawn().await.unwrap();
    let helix = Helix::new(HelixConfig::at(
        &format!("{base}/helix"),
        &format!("{base}/oauth2"),
        &id,
        ClientSecret::new(secret),
    ))
    .unwrap();
    let mut w = world(tickets()).await;
    w.state.users = Some(Arc::new(helix));
    w.state.streamers = Some(w.store.clone());
    w.state.max_topics = 20;
    // Under 18 of the bucket's 20 points, lookups wait.
    w.state.budgets.helix_reserve_percent = 90;
    let mut rx = w.connected("c1").await;
    let mut refused = None;
    for i in 0..10 {
        let body = format!(
            r#"{{"action":"subscribe","broadcaster":"user{}"}}"#,
            7000 + i
        );
        handle(&w.state, message("c1", &body)).await;
        let frame = next_frame(&mut rx).await;
        if frame["type"] != "subscribed" {
            refused = Some(frame);
            break;
        }
    }
    let refused = refused.expect("a lookup is refused before the allowance is spent");
    assert_eq!(refused["code"], "deployment_busy", "{refused}");
    assert_eq!(
        sim.requests("/helix/users"),
        3,
        "refused before asking Twitch"
    );
}
