//! Revocations, listed by Twitch or known only from the webhook.

use super::*;

/// Tracks the streamer and waits until its `stream.online` is enabled.
async fn enabled_stream_online(w: &World) -> String {
    w.track().await;
    w.challenged().await;
    let id = w.ours_of("stream.online").remove(0);
    assert_eq!(
        w.reconcile().await.states["stream.online"],
        TypeState::Enabled {
            subscription_id: id.clone()
        }
    );
    id
}

fn revoked() -> TypeState {
    TypeState::Revoked {
        reason: "authorization_revoked".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_subscription_still_listed_is_deleted_and_not_recreated() {
    let w = world().await;
    let id = enabled_stream_online(&w).await;

    let status = w.sim.revoke(&id, "authorization_revoked").await.unwrap();
    assert_eq!(status, 204, "the webhook acknowledges the revocation");

    for _ in 0..2 {
        let outcome = w.reconcile().await;
        assert_eq!(outcome.states["stream.online"], revoked());
        assert_eq!(outcome.created, 0);
    }
    assert!(w.sim.subscriptions().iter().all(|s| s.id != id));
    assert!(w.ours_of("stream.online").is_empty());
    assert_eq!(w.stored_states().await["stream.online"], revoked());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_known_only_from_the_webhook_is_not_recreated() {
    let w = world().await;
    let id = enabled_stream_online(&w).await;

    w.sim.revoke(&id, "authorization_revoked").await.unwrap();
    let recorded = SubscriptionStore::subscription(w.store.as_ref(), &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        recorded.revocation_reason.as_deref(),
        Some("authorization_revoked")
    );
    assert!(recorded.revoked_at_ms.is_some());
    // Twitch stops listing it; only the webhook's record remembers.
    assert!(w.manager.helix.delete_subscription(&id).await.unwrap());

    for _ in 0..2 {
        let outcome = w.reconcile().await;
        assert_eq!(outcome.states["stream.online"], revoked());
        assert_eq!(outcome.created, 0);
    }
    assert!(w.ours_of("stream.online").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_for_delivery_failures_is_recreated_at_once_and_its_gap_ends_when_enabled() {
    let w = world().await;
    let mut id = enabled_stream_online(&w).await;
    let reason = "notification_failures_exceeded";

    // More often than a failed verification may be recreated: no cap.
    for round in 0..=MAX_RECREATE as usize {
        let verified_old = SubscriptionStore::subscription(w.store.as_ref(), &id)
            .await
            .unwrap()
            .and_then(|s| s.callback_verified_at_ms)
            .expect("the webhook recorded the challenge it answered");
        assert_eq!(w.sim.revoke(&id, reason).await.unwrap(), 204);
        let gaps = w.store.gaps(STREAMER, 0, i64::MAX).await.unwrap();
        assert_eq!(gaps.len(), round + 1, "{gaps:?}");
        let gap = gaps.last().unwrap();
        assert_eq!(
            (gap.key.event_type.as_str(), gap.cause.as_str(), gap.state),
            ("stream.online", reason, GapState::Open)
        );
        assert_eq!(
            gap.key.from_ms, verified_old,
            "nothing was delivered since the subscription was verified"
        );

        // The next reconcile replaces it (no waiting for a sweep, no cap).
        let outcome = w.reconcile().await;
        assert_eq!((outcome.deleted, outcome.created), (1, 1), "round {round}");
        let replaced = w.ours_of("stream.online");
        assert_eq!(replaced.len(), 1);
        assert_ne!(replaced[0], id);
        id = replaced[0].clone();

        // Waiting for verification is not covered: the gap stays open until
        // the new subscription is enabled, then ends when it was verified.
        w.challenged().await;
        assert_eq!(
            w.reconcile().await.states["stream.online"],
            TypeState::Enabled {
                subscription_id: id.clone()
            }
        );
        let verified_new = SubscriptionStore::subscription(w.store.as_ref(), &id)
            .await
            .unwrap()
            .and_then(|s| s.callback_verified_at_ms)
            .unwrap();
        let gaps = w.store.gaps(STREAMER, 0, i64::MAX).await.unwrap();
        let gap = gaps.last().unwrap();
        assert_eq!(
            (gap.state, gap.to_ms),
            (GapState::Recovering, Some(verified_new)),
            "{gap:?}"
        );
        assert!(gaps.iter().all(|g| g.state == GapState::Recovering));
    }
    // Enabled again, nothing newly enabled: no gap changes.
    w.reconcile().await;
    assert_eq!(
        w.store.gaps(STREAMER, 0, i64::MAX).await.unwrap().len(),
        MAX_RECREATE as usize + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_ended_for_failures_whose_revocation_never_came_still_opens_its_gap() {
    let w = world().await;
    let id = enabled_stream_online(&w).await;
    // One event delivered and stored: the gap starts there, as the
    // webhook's would (not at the verification, before it).
    let (status, _) = w.sim.deliver(&id).await.unwrap();
    assert!((200..300).contains(&status), "{status}");
    let delivered = shared::store::EventStore::recent(w.store.as_ref(), STREAMER, 1, None)
        .await
        .unwrap()
        .events
        .first()
        .map(|e| e.event.received_at_ms)
        .expect("the delivery was stored");
    // Twitch ends it while this site cannot be reached: its one revocation
    // message is lost, and the webhook never hears of it.
    w.sim.outage(std::time::Duration::from_secs(600));
    assert!(w
        .sim
        .revoke(&id, "notification_failures_exceeded")
        .await
        .is_err());
    w.sim.outage(std::time::Duration::ZERO);
    assert!(w
        .store
        .gaps(STREAMER, 0, i64::MAX)
        .await
        .unwrap()
        .is_empty());

    // The manager finds it ended, replaces it, and opens the gap itself,
    // from the subscription's last stored delivery.
    let outcome = w.reconcile().await;
    assert_eq!((outcome.deleted, outcome.created), (1, 1));
    let gaps = w.store.gaps(STREAMER, 0, i64::MAX).await.unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(
        (
            gaps[0].key.event_type.as_str(),
            gaps[0].cause.as_str(),
            gaps[0].state,
            gaps[0].key.from_ms
        ),
        (
            "stream.online",
            "notification_failures_exceeded",
            GapState::Open,
            delivered
        )
    );
    // Once: the next runs find nothing ended, and the replacement ends it.
    w.challenged().await;
    w.reconcile().await;
    let gaps = w.store.gaps(STREAMER, 0, i64::MAX).await.unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].state, GapState::Recovering);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_its_gap_is_open_a_type_is_recreated_however_often_its_verification_fails() {
    let w = world().await;
    let id = enabled_stream_online(&w).await;
    assert_eq!(
        w.sim
            .revoke(&id, "notification_failures_exceeded")
            .await
            .unwrap(),
        204
    );
    // The outage goes on: each replacement's challenge cannot reach us.
    w.sim.outage(std::time::Duration::from_secs(600));
    for round in 0..=MAX_RECREATE + 1 {
        let outcome = w.reconcile().await;
        assert!(
            !matches!(outcome.states["stream.online"], TypeState::Failed { .. }),
            "round {round}: {:?}",
            outcome.states["stream.online"]
        );
        assert_eq!(outcome.created, 1, "round {round}: replaced again");
    }
    // Back: the next replacement verifies, and the gap ends.
    w.sim.outage(std::time::Duration::ZERO);
    let outcome = w.reconcile().await;
    assert_eq!(outcome.created, 1);
    w.challenged().await;
    assert!(matches!(
        w.reconcile().await.states["stream.online"],
        TypeState::Enabled { .. }
    ));
    let gaps = w.store.gaps(STREAMER, 0, i64::MAX).await.unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].state, GapState::Recovering);
}
