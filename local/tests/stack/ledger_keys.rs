//! The simulator's ledger against what the stack stored: each generated
//! event the webhook acknowledged is in the feed under the ledger's message
//! id, and its semantic key is the one the store holds (a second event
//! carrying that key is a duplicate to the store, an unrelated key is not).

use crate::support;

use serde_json::json;
use shared::store::{Appended, Event, EventStore};
use twitch_sim::SimSubscription;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_keys_are_the_keys_the_stack_stores() {
    let stack = support::sim_stack(
        support::dev_secret(),
        "admin-token-for-the-ledger-test-0123456789",
    )
    .await;
    let sim = stack.twitch().sim.clone().unwrap();
    let callback = stack.http("/eventsub");
    let secret = shared::config::DEV_EVENTSUB_SECRET;
    let planted = [
        SimSubscription::new(
            "channel.follow",
            "2",
            json!({"broadcaster_user_id": "4242", "moderator_user_id": "4242"}),
            &callback,
            secret,
        ),
        SimSubscription::new(
            "stream.online",
            "1",
            json!({"broadcaster_user_id": "4242"}),
            &callback,
            secret,
        ),
        SimSubscription::new(
            "channel.raid",
            "1",
            json!({"to_broadcaster_user_id": "4242"}),
            &callback,
            secret,
        ),
    ];
    for sub in &planted {
        sim.insert_subscription(sub.clone());
        let (status, _) = sim.deliver(&sub.id).await.unwrap();
        assert_eq!(status, 204, "{} stored", sub.kind);
    }

    let ledger = sim.ledger("4242");
    assert_eq!(ledger.len(), 3);
    let stored = stack.store.recent("4242", 10, None).await.unwrap().events;
    for entry in &ledger {
        assert!(entry.delivered, "{}", entry.kind);
        let row = stored
            .iter()
            .find(|s| s.event.message_id == entry.message_id)
            .unwrap_or_else(|| panic!("{} stored under the ledger's message id", entry.kind));
        assert_eq!(row.event.event_type, entry.kind);
        let Some(key) = &entry.semantic_key else {
            assert_eq!(entry.kind, "channel.raid", "only the raid has no key");
            continue;
        };
        let again = Event {
            message_id: format!("{}-another-message", entry.message_id),
            ..row.event.clone()
        };
        assert_eq!(
            stack.store.append_once(&again, Some(key)).await.unwrap(),
            Appended::Duplicate,
            "the store holds {key}"
        );
        let unrelated = Event {
            message_id: format!("{}-unrelated", entry.message_id),
            ..row.event.clone()
        };
        assert_ne!(
            stack
                .store
                .append_once(&unrelated, Some(&format!("{key}-unrelated")))
                .await
                .unwrap(),
            Appended::Duplicate,
            "a key the store does not hold is not a duplicate"
        );
    }

    // The stack serves the simulator's controls on its own port.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let listed = http
        .get(stack.http("/sim/ledger?broadcaster=4242"))
        .header("x-sim-control", "1")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message_id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = ledger.iter().map(|e| e.message_id.as_str()).collect();
    assert_eq!(ids, expected);
    let outage = http
        .post(stack.http("/sim/outage"))
        .header("x-sim-control", "1")
        .body(r#"{"seconds": 0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(outage.status().as_u16(), 200);
}
