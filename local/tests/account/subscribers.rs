//! Recovery of `channel.subscribe` by the subscriber-list diff, against
//! the simulator: a list kept while the channel is covered, new subscribers
//! generated in an outage and never delivered, each stored once (at the
//! gap's end, approximate) after the gap turns recovering; a subscriber in
//! the list, or delivered live since it was taken, is not recovered; with
//! no list, the gap is closed with the note.

use std::time::Duration;

use serde_json::json;
use shared::clock::now_ms;
use shared::eventsub::status::Status;
use shared::recovery::baseline::NO_LIST;
use shared::recovery::sources::SUBSCRIPTIONS;
use shared::store::coverage::{GapState, GapStore};
use shared::store::subscribers::SubscriberListStore;
use support::wait_until;
use twitch_sim::Sim;

use super::recovery::{
    broadcaster_subscribed, feed, gap, recovered_of, recovering_gap, recovery, CHANNEL,
};
use super::*;

const SUBSCRIBE: &str = "channel.subscribe";

/// The channel's enabled `channel.subscribe` subscription, once there is one.
async fn subscribe_subscription(sim: &Sim) -> String {
    let enabled = || {
        sim.subscriptions()
            .into_iter()
            .find(|s| {
                s.kind == SUBSCRIBE
                    && s.status == Status::Enabled
                    && s.condition["broadcaster_user_id"] == CHANNEL
            })
            .map(|s| s.id)
    };
    wait_until("channel.subscribe enabled", || enabled().is_some()).await;
    enabled().unwrap_or_default()
}

/// A new Tier 1 subscription by `user`, as EventSub sends it.
fn subscribed(user: &str) -> Value {
    json!({
        "user_id": user,
        "user_login": format!("fan{user}"),
        "user_name": format!("Fan{user}"),
        "broadcaster_user_id": CHANNEL,
        "broadcaster_user_login": "channel",
        "broadcaster_user_name": "Channel",
        "tier": "1000",
        "is_gift": false,
    })
}

async fn delivered(sim: &Sim, subscription: &str, user: &str) {
    let (status, _) = sim
        .deliver_event(subscription, Some(subscribed(user)))
        .await
        .unwrap();
    assert!((200..300).contains(&status), "{user} delivered: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_missed_in_an_outage_are_recovered_once_from_the_kept_list() {
    let s = stack().await;
    let sim = s.twitch().sim.clone().unwrap();
    broadcaster_subscribed(&s).await;
    let live = subscribe_subscription(&sim).await;
    let recovery = recovery(&s);

    // Covered: 9001 subscribes live, the list is kept, 9002 subscribes live.
    delivered(&sim, &live, "9001").await;
    let kept = recovery.keep_subscriber_list(CHANNEL, now_ms()).await;
    assert!(kept.unwrap(), "kept while covered");
    let list = s.store.kept_subscribers(CHANNEL).await.unwrap().unwrap();
    let users: Vec<_> = list
        .subscribers
        .iter()
        .map(|u| u.user_id.as_str())
        .collect();
    assert_eq!(users, ["9001"]);
    delivered(&sim, &live, "9002").await;

    // The outage: 9003 and 9004 subscribe, never delivered; Twitch revokes.
    sim.outage(Duration::from_secs(600));
    for user in ["9003", "9004"] {
        let lost = sim.deliver_event(&live, Some(subscribed(user))).await;
        assert!(lost.is_err(), "{user} was not delivered: {lost:?}");
    }
    assert!(sim
        .revoke(&live, "notification_failures_exceeded")
        .await
        .is_err());
    sim.outage(Duration::ZERO);
    let side = s.twitch();
    side.manager.reconcile_one(CHANNEL, now_ms()).await.unwrap();
    // A list taken now could hold a subscriber from inside the gap.
    let during = recovery.keep_subscriber_list(CHANNEL, now_ms()).await;
    assert!(!during.unwrap(), "not kept while a gap is unsettled");
    let replacement = subscribe_subscription(&sim).await;
    assert_ne!(replacement, live);
    side.manager.reconcile_one(CHANNEL, now_ms()).await.unwrap();
    let gaps = s.store.gaps(CHANNEL, 0, i64::MAX).await.unwrap();
    let open = gaps.iter().find(|g| g.key.event_type == SUBSCRIBE).unwrap();
    assert_eq!(open.state, GapState::Recovering, "{open:?}");
    let key = open.key.clone();

    let report = recovery.once(now_ms()).await.unwrap();
    assert_eq!(report.stored, 2, "{report:?}");
    let closed = gap(&s, &key).await;
    assert_eq!(closed.state, GapState::Closed);
    assert_eq!(
        (closed.recovered.exact, closed.recovered.approximate),
        (0, 2)
    );
    let end = closed.to_ms.unwrap();
    let feed = feed(&s).await;
    let mut found: Vec<_> = recovered_of(&feed, SUBSCRIBE)
        .into_iter()
        .map(|e| {
            let recovery = e.event.recovery.clone().unwrap();
            assert_eq!(recovery.source, SUBSCRIPTIONS);
            assert!(!recovery.time_exact);
            assert_eq!(e.event.received_at_ms, end, "at the gap's end");
            let event: Value = serde_json::from_str(&e.event.payload).unwrap();
            event["user_id"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    found.sort();
    // Not 9001 (in the list) nor 9002 (delivered live since it was taken).
    assert_eq!(found, ["9003", "9004"]);

    // Today's list is the new baseline: a later gap finds nothing new.
    let baseline = s.store.kept_subscribers(CHANNEL).await.unwrap().unwrap();
    assert_eq!(baseline.subscribers.len(), 4);
    assert!(baseline.taken_at_ms > list.taken_at_ms);
    let again = recovering_gap(&s, SUBSCRIBE, key.from_ms + 1).await;
    let retry = recovery.once(now_ms()).await.unwrap();
    assert_eq!((retry.closed, retry.stored), (1, 0), "{retry:?}");
    assert_eq!(gap(&s, &again).await.recovered.approximate, 0);
    assert_eq!(
        self::feed(&s).await.len(),
        feed.len(),
        "nothing stored twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_list_kept_before_the_gap_it_is_closed_with_the_note() {
    let s = stack().await;
    broadcaster_subscribed(&s).await;
    let key = recovering_gap(&s, SUBSCRIBE, now_ms() - 60_000).await;
    let report = recovery(&s).once(now_ms()).await.unwrap();
    assert_eq!((report.closed, report.stored), (1, 0), "{report:?}");
    let closed = gap(&s, &key).await;
    assert_eq!(closed.state, GapState::Closed);
    assert_eq!(closed.recovered.note.as_deref(), Some(NO_LIST));
}
