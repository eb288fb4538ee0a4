//! A fresh streamer: the open types enabled, and what the others need.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_streamer_gets_the_open_types_enabled_and_is_told_what_the_others_need() {
    let w = world().await;

    let tracked = w
        .manager
        .track(&StreamerRef::Login(LOGIN.into()), "test", now_ms())
        .await
        .unwrap_or_else(|e| panic!("tracking by login failed: {e}"));
    assert_eq!(tracked.id, STREAMER);
    assert_eq!(tracked.login.as_deref(), Some(LOGIN));
    assert_eq!(w.ours(STREAMER).len(), OPEN.len(), "one of each, no more");
    let created = w.ours_by_kind();
    assert_eq!(created.keys().map(String::as_str).collect::<Vec<_>>(), OPEN);
    for k in OPEN {
        assert_eq!(
            tracked.types[k].state,
            TypeState::WaitingForVerification {
                subscription_id: created[k].clone()
            },
            "{k}"
        );
    }

    // The simulator challenges the stack's webhook, which echoes it.
    w.challenged().await;
    assert!(w.ours(STREAMER).iter().all(|s| s.status == "enabled"));
    let outcome = w.reconcile().await;
    assert_eq!((outcome.created, outcome.deleted), (0, 0));
    for k in OPEN {
        assert_eq!(
            outcome.states[k],
            TypeState::Enabled {
                subscription_id: created[k].clone()
            },
            "{k}"
        );
        let seen = SubscriptionStore::subscription(w.store.as_ref(), &created[k])
            .await
            .unwrap();
        assert!(
            seen.is_some_and(|s| s.callback_verified_at_ms.is_some()),
            "the webhook recorded no verification for {k}"
        );
    }
    let broadcaster = "the broadcaster";
    let expected_needs = [
        (
            "channel.follow",
            needs_authorization(
                &["moderator:read:followers"],
                "the broadcaster or a moderator",
            ),
        ),
        (
            "channel.subscribe",
            needs_authorization(&["channel:read:subscriptions"], broadcaster),
        ),
        (
            "channel.subscription.gift",
            needs_authorization(&["channel:read:subscriptions"], broadcaster),
        ),
        (
            "channel.subscription.message",
            needs_authorization(&["channel:read:subscriptions"], broadcaster),
        ),
        (
            "channel.cheer",
            needs_authorization(&["bits:read"], broadcaster),
        ),
        (
            "channel.channel_points_custom_reward_redemption.add",
            needs_authorization(
                &["channel:read:redemptions", "channel:manage:redemptions"],
                broadcaster,
            ),
        ),
        (
            "channel.hype_train.begin",
            needs_authorization(&["channel:read:hype_train"], broadcaster),
        ),
        (
            "channel.hype_train.end",
            needs_authorization(&["channel:read:hype_train"], broadcaster),
        ),
    ];
    for (k, state) in &expected_needs {
        assert_eq!(&outcome.states[*k], state, "{k}");
    }
    assert_eq!(outcome.states.len(), OPEN.len() + expected_needs.len());
    assert_eq!(w.stored_states().await, outcome.states);
}
