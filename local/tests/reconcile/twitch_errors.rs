//! Twitch's refusals: 409 (it exists already), 429 (waited out), 401 (a token renewed once).

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_the_same_subscription_twice_is_409_and_the_first_is_kept() {
    let w = world().await;
    let k = kind("stream.online").unwrap();
    let new = NewSubscription::webhook(
        k.name,
        k.version,
        k.condition(STREAMER),
        &w.callback,
        &secret(),
    );
    let helix = &w.manager.helix;
    let first = match helix.create_subscription(&new).await {
        Ok(Created::New(sub, _)) => sub.id,
        other => panic!("the first create: {other:?}"),
    };
    let again = helix.create_subscription(&new).await;
    assert!(matches!(again, Ok(Created::Exists)), "{again:?}");

    let tracked = w.track().await;

    assert_eq!(w.ours_of("stream.online"), std::slice::from_ref(&first));
    assert!(
        matches!(
            &tracked.types["stream.online"].state,
            TypeState::WaitingForVerification { subscription_id }
                | TypeState::Enabled { subscription_id } if *subscription_id == first
        ),
        "{:?}",
        tracked.types["stream.online"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_answered_409_is_taken_as_existing_not_as_an_error() {
    let w = world().await;
    // Twitch refuses a second subscription with the same type and condition
    // whatever its callback; the list shows this one as not ours.
    let mut blocking = planted(
        "stream.online",
        "1",
        condition("stream.online", STREAMER),
        OTHER_CALLBACK,
    );
    blocking.status = PENDING.into();
    w.sim.insert_subscription(blocking.clone());

    let tracked = w.track().await;

    // Not an error, and not "waiting" forever either: the state says what
    // is in the way.
    assert!(
        matches!(
            &tracked.types["stream.online"].state,
            TypeState::Failed { reason } if reason.contains("another callback")
        ),
        "{:?}",
        tracked.types["stream.online"]
    );
    assert!(w.ours_of("stream.online").is_empty());
    assert_eq!(w.ours(STREAMER).len(), OPEN.len() - 1, "the others created");
    assert!(w.sim.subscriptions().iter().any(|s| s.id == blocking.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reconciles_at_once_create_each_type_once() {
    let w = world().await;
    w.want(STREAMER, now_ms()).await;

    let (a, b) = tokio::join!(
        w.manager.reconcile_one(STREAMER, now_ms()),
        w.manager.reconcile_one(STREAMER, now_ms())
    );
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");

    assert_eq!(w.ours(STREAMER).len(), OPEN.len());
    let created = w.ours_by_kind();
    let states = w.reconcile().await.states;
    for k in OPEN {
        assert!(
            matches!(
                &states[k],
                TypeState::WaitingForVerification { subscription_id }
                    | TypeState::Enabled { subscription_id } if *subscription_id == created[k]
            ),
            "{k}: {:?}",
            states[k]
        );
    }
}

// 429.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_waited_out_and_the_reconcile_succeeds() {
    let w = world().await;
    w.want(STREAMER, now_ms()).await;
    w.sim
        .fail_next(SUBSCRIPTIONS, Failure::RateLimited { reset_in_secs: 1 }, 1);

    let outcome = w.reconcile().await;

    assert_eq!(outcome.created, OPEN.len());
    assert!(w.manager.helix.rate_limit_waits() >= 1);
    // The 429, the list again, then one create per open type.
    assert_eq!(w.sim.requests(SUBSCRIPTIONS), 2 + OPEN.len());
}

// 401.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_dies_is_renewed_once_and_the_reconcile_succeeds() {
    let w = world().await;
    w.track().await;
    assert_eq!(w.sim.requests("/oauth2/token"), 1);

    w.sim.invalidate_tokens();
    let outcome = w.reconcile().await;

    assert_eq!((outcome.created, outcome.deleted), (0, 0));
    assert_eq!(w.sim.requests("/oauth2/token"), 2);
    w.reconcile().await;
    assert_eq!(w.sim.requests("/oauth2/token"), 2, "the new token is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_with_one_type_and_condition_fails_that_type_at_once_with_the_reason() {
    let w = world().await;
    for _ in 0..3 {
        w.sim
            .orphan("stream.online", "1", condition("stream.online", STREAMER));
    }
    let started = std::time::Instant::now();
    let tracked = w.track().await;
    match &tracked.types["stream.online"].state {
        TypeState::Failed { reason } => assert!(
            reason.contains("maximum subscriptions with type and condition exceeded"),
            "{reason}"
        ),
        other => panic!("stream.online is {other:?}"),
    }
    // The others are created; nothing waited for a rate-limit reset.
    assert_eq!(w.ours(STREAMER).len(), OPEN.len() - 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(w.manager.helix.rate_limit_waits(), 0);
}
