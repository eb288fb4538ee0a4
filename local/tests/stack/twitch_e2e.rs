//! The whole loop on one machine: a WebSocket client subscribes to a streamer
//! nobody tracks yet → the subscription manager subscribes on the Twitch
//! simulator → the simulator verifies the callback against the real webhook →
//! a simulated raid reaches the client.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use shared::store::streamers::{StreamerStore, TypeState};
use support::{eventually, next_json, send};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_to_an_untracked_streamer_tracks_it_and_its_events_arrive() {
    let stack = support::sim_stack(
        support::dev_secret(),
        "admin-token-for-the-e2e-test-0123456789",
    )
    .await;
    let (store, addr) = (stack.store.clone(), stack.addr);
    let side = stack.twitch();
    side.spawn_manager(&store, Duration::from_secs(3600), Duration::from_secs(3600));
    let sim = side.sim.clone().unwrap();

    // A logged-in user, by login: the stack looks it up on the (simulated)
    // Helix, charged to that user's allowance.
    let ticket = stack.ticket("1337");
    let mut ws = support::connect(&format!("ws://{addr}/ws?ticket={ticket}")).await;
    send(
        &mut ws,
        r#"{"action":"subscribe","broadcaster":"user4242"}"#,
    )
    .await;
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
    send(
        &mut ws,
        r#"{"action":"subscribe","broadcaster":"1234567890123"}"#,
    )
    .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_for_delivery_failures_is_replaced_at_once_by_the_running_stack() {
    use shared::store::coverage::{GapState, GapStore};
    use shared::store::streamers::Wish;

    let stack = support::sim_stack(
        support::dev_secret(),
        "admin-token-for-the-e2e-test-0123456789",
    )
    .await;
    let store = stack.store.clone();
    let side = stack.twitch();
    // The sweep is an hour away: only the gap's own trigger can act.
    side.spawn_manager(&store, Duration::from_secs(3600), Duration::from_secs(3600));
    let sim = side.sim.clone().unwrap();
    let enabled_online = |sim: &twitch_sim::Sim| {
        sim.subscriptions()
            .into_iter()
            .find(|s| s.kind == "stream.online" && s.status == "enabled")
            .map(|s| s.id)
    };
    store
        .want(&Wish {
            broadcaster_id: "4242".into(),
            login: None,
            by: "test".into(),
            at_ms: shared::clock::now_ms(),
        })
        .await
        .unwrap();
    eventually("an enabled stream.online subscription", || {
        let sim = Arc::clone(&sim);
        async move { enabled_online(&sim).is_some() }
    })
    .await;
    let first = enabled_online(&sim).unwrap();

    assert_eq!(
        sim.revoke(&first, "notification_failures_exceeded")
            .await
            .unwrap(),
        204
    );
    let gaps = store.gaps("4242", 0, i64::MAX).await.unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(
        (gaps[0].key.event_type.as_str(), gaps[0].state),
        ("stream.online", GapState::Open)
    );
    eventually("a replacement stream.online subscription, enabled", || {
        let sim = Arc::clone(&sim);
        let first = first.clone();
        async move { enabled_online(&sim).is_some_and(|id| id != first) }
    })
    .await;

    // The next reconcile (here asked for; else the sweep) sees it enabled
    // and ends the gap.
    side.manager
        .reconcile_one("4242", shared::clock::now_ms())
        .await
        .unwrap();
    let gap = store.gaps("4242", 0, i64::MAX).await.unwrap().remove(0);
    assert_eq!(gap.state, GapState::Recovering, "{gap:?}");
    assert!(gap.to_ms.is_some_and(|to| to >= gap.key.from_ms));
}
