//! The local stack's WebSocket endpoint with a real WebSocket client:
//! tickets, subscribe, backlog, error frames, unsubscribe.

use crate::support;

use local::trigger::{self, TriggerSpec};
use shared::clock::now_ms;
use shared::config::{EventSubSecret, DEV_EVENTSUB_SECRET};
use shared::eventsub::headers::MessageType;
use shared::ticket::TicketKey;
use support::{next_json, send};

/// The whole stack, `/ws` behind tickets; `base` is its `host:port`.
struct Running {
    base: String,
    _stack: support::Running,
}

fn key() -> TicketKey {
    TicketKey::new(b"e2e-ticket-key-e2e-ticket-key-0123").unwrap()
}

async fn start() -> Running {
    let stack = support::local_stack(support::dev_secret(), Some(key())).await;
    Running {
        base: format!("127.0.0.1:{}", stack.addr.port()),
        _stack: stack,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_connects_are_refused() {
    let s = start().await;
    for url in [
        format!("ws://{}/ws", s.base),
        format!("ws://{}/ws?ticket=forged", s.base),
    ] {
        match tokio_tungstenite::connect_async(&url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 401),
            other => panic!("expected a 401, got {:?}", other.map(|_| ())),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_gets_backlog_then_live_events_once_and_errors_for_bad_frames() {
    let s = start().await;
    let client = reqwest::Client::new();
    let secret = EventSubSecret::new(DEV_EVENTSUB_SECRET).unwrap();
    let spec = TriggerSpec {
        kind: "channel.follow".into(),
        message_type: MessageType::Notification,
        broadcaster: "1337".into(),
        reason: String::new(),
        count: 1,
    };
    let mut sent = Vec::new();
    for seq in 0..3 {
        let d = trigger::build(&spec, seq);
        let url = format!("http://{}/eventsub", s.base);
        assert_eq!(
            trigger::send(&client, &url, &secret, &d).await.unwrap().0,
            204
        );
        sent.push(d.message_id);
    }
    // Issued as POST /api/ws-ticket does for a logged-in user, for this API.
    let ticket = key().issue("1337", &format!("ws://{}/ws", s.base), now_ms() / 1000);
    let url = format!("ws://{}/ws?ticket={ticket}", s.base);
    let mut ws = support::connect(&url).await;

    send(&mut ws, r#"{"action":"subscribe","broadcaster":"1337"}"#).await;
    assert_eq!(next_json(&mut ws).await["type"], "subscribed");
    let mut backlog = Vec::new();
    for _ in 0..3 {
        let f = next_json(&mut ws).await;
        assert_eq!(
            (f["type"].as_str(), f["backlog"].as_bool()),
            (Some("event"), Some(true))
        );
        assert!(f["summary"]["text"].as_str().unwrap().contains("followed"));
        backlog.push(f["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(backlog, sent);

    // Live: a new event arrives; its duplicate delivery is not sent again.
    let url = format!("http://{}/eventsub", s.base);
    let live = trigger::build(&spec, 10);
    assert_eq!(
        trigger::send(&client, &url, &secret, &live)
            .await
            .unwrap()
            .0,
        204
    );
    let f = next_json(&mut ws).await;
    assert_eq!(
        (f["id"].as_str(), f["backlog"].as_bool()),
        (Some(live.message_id.as_str()), Some(false))
    );
    assert_eq!(
        trigger::send(&client, &url, &secret, &live)
            .await
            .unwrap()
            .0,
        204
    );
    let after = trigger::build(&spec, 11);
    assert_eq!(
        trigger::send(&client, &url, &secret, &after)
            .await
            .unwrap()
            .0,
        204
    );
    assert_eq!(
        next_json(&mut ws).await["id"].as_str(),
        Some(after.message_id.as_str())
    );

    send(&mut ws, "hello?").await;
    assert_eq!(next_json(&mut ws).await["code"], "malformed_message");
    send(&mut ws, r#"{"action":"dance"}"#).await;
    assert_eq!(next_json(&mut ws).await["code"], "unknown_action");

    send(&mut ws, r#"{"action":"unsubscribe","broadcaster":"1337"}"#).await;
    let f = next_json(&mut ws).await;
    assert_eq!(
        (f["type"].as_str(), f["topics"].as_u64()),
        (Some("unsubscribed"), Some(0))
    );
    ws.close(None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_its_config_are_served_and_nothing_else() {
    let s = start().await;
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("http://{}{path}", s.base)).send();

    let index = get("/").await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["content-type"], "text/html; charset=utf-8");
    let csp = index.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(index.text().await.unwrap().contains("js/app.js"));

    let script = get("/js/app.js").await.unwrap();
    assert_eq!(script.status(), 200);
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );

    let config: serde_json::Value =
        serde_json::from_str(&get("/config.json").await.unwrap().text().await.unwrap()).unwrap();
    assert_eq!(config["websocket_url"], format!("ws://{}/ws", s.base));
    assert_eq!(config["ticket_url"], "/api/ws-ticket");

    for path in [
        "/%2e%2e/Cargo.toml",
        "/..%2fCargo.toml",
        "/.git/config",
        "/missing.js",
        "/Cargo.toml",
    ] {
        let r = get(path).await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(body["error"], "not_found", "{path}");
    }
    let post = client
        .post(format!("http://{}/index.html", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_the_limit_is_answered_with_a_1009_close() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::Message;
    let s = start().await;
    let ticket = key().issue("1337", &format!("ws://{}/ws", s.base), now_ms() / 1000);
    let mut ws = support::connect(&format!("ws://{}/ws?ticket={ticket}", s.base)).await;
    let big = "x".repeat(shared::push::MAX_FRAME_BYTES + 1);
    send(&mut ws, &big).await;
    // API Gateway closes with 1009 (message too big); so does the local stack.
    let close = loop {
        match tokio::time::timeout(support::PATIENCE, ws.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(close.map(|f| f.code), Some(CloseCode::Size));
}
