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
