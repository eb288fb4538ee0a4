//! Scoped types and the grants they need.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_type_is_created_once_the_store_knows_the_grant() {
    let w = world().await;
    w.sim.authorize(STREAMER, &["bits:read"]);
    w.track().await;
    w.store
        .set_scopes(STREAMER, &["bits:read".into()], now_ms())
        .await
        .unwrap();

    let outcome = w.reconcile().await;

    assert_eq!(outcome.created, 1);
    let cheer = w.ours_of("channel.cheer");
    assert_eq!(cheer.len(), 1);
    assert_eq!(
        outcome.states["channel.cheer"],
        TypeState::WaitingForVerification {
            subscription_id: cheer[0].clone()
        }
    );
    w.challenged().await;
    assert_eq!(
        w.reconcile().await.states["channel.cheer"],
        TypeState::Enabled {
            subscription_id: cheer[0].clone()
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_twitch_refuses_is_forgotten_and_not_tried_again() {
    let w = world().await;
    // The store believes in a grant Twitch does not have: one 403, then quiet.
    w.track().await;
    w.store
        .set_scopes(STREAMER, &["bits:read".into()], now_ms())
        .await
        .unwrap();
    let outcome = w.reconcile().await;
    assert!(matches!(
        outcome.states["channel.cheer"],
        TypeState::NeedsAuthorization { .. }
    ));
    assert!(
        w.stored(STREAMER).await.scopes.is_empty(),
        "the refused scope is forgotten"
    );
    let before = w.sim.requests(SUBSCRIPTIONS);
    w.reconcile().await;
    assert_eq!(
        w.sim.requests(SUBSCRIPTIONS),
        before + 1,
        "one list, no create"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_type_without_a_known_grant_is_never_attempted() {
    let w = world().await;
    // Twitch has the grant; the store does not know of it.
    w.sim.authorize(STREAMER, &["bits:read"]);
    w.track().await;
    let before = w.sim.requests(SUBSCRIPTIONS);

    for _ in 0..2 {
        let outcome = w.reconcile().await;
        assert_eq!(
            outcome.states["channel.cheer"],
            needs_authorization(&["bits:read"], "the broadcaster")
        );
    }

    assert_eq!(
        w.sim.requests(SUBSCRIPTIONS) - before,
        2,
        "two reconciles, two lists and no create"
    );
    assert!(w.ours_of("channel.cheer").is_empty());
}
