//! The whole loop on one machine: a WebSocket client subscribes to a streamer
//! nobody tracks yet → the subscription manager subscribes on the Twitch
//! simulator → the simulator verifies the callback against the real webhook →
//! a simulated raid reaches the client.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use local::server::{self, Stack};
use local::twitch::{Twitch, TwitchSide};
use local::twitch_sim::SimConfig;
use shared::config::{EventSubSecret, Retention, DEV_EVENTSUB_SECRET};
use shared::store::sqlite::{Durability, SqliteStore};
use shared::store::streamers::{StreamerStore, TypeState};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_json(ws: &mut Socket) -> serde_json::Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("socket open")
            .expect("a frame");
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// Polls `check` every 10 ms until it holds, for at most 10 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_to_an_untracked_streamer_tracks_it_and_its_events_arrive() {
    let store = Arc::new(
        SqliteStore::open(":memory:", Durability::PowerLoss, Retention::default()).unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let secret = EventSubSecret::new(DEV_EVENTSUB_SECRET).unwrap();
    let side = Arc::new(
        TwitchSide::new(
            Twitch::Sim(SimConfig::default()),
            &format!("http://{addr}"),
            secret.clone(),
            store.clone(),
            "admin-token-for-the-e2e-test-0123456789".into(),
        )
        .unwrap(),
    );
    side.spawn_manager(&store, Duration::from_secs(3600));
    let sim = side.sim.clone().unwrap();
    let stack = Stack::with_twitch(secret, store.clone(), addr, None, Some(side));
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, stack, async {
        let _ = stopped.await;
    }));

    // By login: the stack looks it up on the (simulated) Helix.
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    ws.send(Message::Text(
        r#"{"action":"subscribe","broadcaster":"user4242"}"#.into(),
    ))
    .await
    .unwrap();
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["type"], "subscribed");
    assert_eq!(ack["broadcaster"], "4242");
    assert_eq!(ack["requested"], "user4242");

    // The manager subscribed on Twitch and the webhook answered the challenge.
    eventually("an enabled incoming-raid subscription", || {
        let sim = Arc::clone(&sim);
        async move {
            sim.subscriptions().iter().any(|s| {
                s.kind == "channel.raid"
                    && s.status == "enabled"
                    && s.condition["to_broadcaster_user_id"] == "4242"
            })
        }
    })
    .await;
    let raid = sim
        .subscriptions()
        .into_iter()
        .find(|s| s.kind == "channel.raid")
        .unwrap();
    let (status, message_id) = sim.deliver(&raid.id).await.unwrap();
    assert_eq!(status, 204);

    let frame = next_json(&mut ws).await;
    assert_eq!(frame["type"], "event");
    assert_eq!(frame["id"], message_id.as_str());
    assert_eq!(frame["event_type"], "channel.raid");
    assert_eq!(frame["broadcaster"], "4242");
    assert_eq!(frame["backlog"], false);

    // Twitch retries with the same message id: stored once, not re-sent.
    assert_eq!(sim.redeliver(&raid.id, &message_id).await.unwrap(), 204);
    let (_, follow_up) = sim.deliver(&raid.id).await.unwrap();
    assert_eq!(next_json(&mut ws).await["id"], follow_up.as_str());

    // The trigger command can have the simulator deliver through its own
    // subscription (right id, right secret).
    let spec = local::trigger::TriggerSpec {
        kind: "channel.raid".into(),
        message_type: shared::eventsub::headers::MessageType::Notification,
        broadcaster: "4242".into(),
        reason: String::new(),
        count: 1,
    };
    local::trigger::run_via_sim(&format!("http://{addr}/eventsub"), &spec)
        .await
        .unwrap();
    let via_sim = next_json(&mut ws).await;
    assert_eq!(via_sim["event_type"], "channel.raid");
    assert_ne!(via_sim["id"], follow_up.as_str());
    let no_cheer = local::trigger::TriggerSpec {
        kind: "channel.cheer".into(),
        ..spec
    };
    assert!(
        local::trigger::run_via_sim(&format!("http://{addr}/eventsub"), &no_cheer)
            .await
            .is_err(),
        "no cheer subscription without authorization"
    );

    // An id no Twitch user has is refused, and nothing is tracked for it.
    ws.send(Message::Text(
        r#"{"action":"subscribe","broadcaster":"1234567890123"}"#.into(),
    ))
    .await
    .unwrap();
    let refused = next_json(&mut ws).await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["code"], "unknown_streamer");
    assert!(store.streamer("1234567890123").await.unwrap().is_none());

    // What needs the broadcaster's authorization was never attempted.
    let stored = store.streamer("4242").await.unwrap().unwrap();
    assert!(matches!(
        stored.types["channel.cheer"].state,
        TypeState::NeedsAuthorization { .. }
    ));
    assert!(!sim
        .subscriptions()
        .iter()
        .any(|s| s.kind == "channel.cheer"));
}
