//! Moving our callback to the webhook's other front door (the stack's
//! function URL, `/function-url/eventsub`, delivered through a function
//! URL's event): each type is created at the new callback before the old
//! subscription is deleted, no gap opens, and no event is lost on the way;
//! where Twitch refuses a second subscription (409 whatever the callback),
//! the old one is deleted first and the gap is recorded.

use super::*;
use shared::store::EventStore;
use support::eventually;

/// The stack's function URL, beside its `/eventsub`.
fn function_url_of(callback: &str) -> String {
    callback.replace("/eventsub", "/function-url/eventsub")
}

/// A world whose streamer is tracked with every open type enabled at the
/// stack's `/eventsub`; the simulator allows a second subscription at
/// another callback when `duplicates_across_callbacks`.
async fn settled(duplicates_across_callbacks: bool) -> World {
    let sim = SimConfig {
        live_streams: 10,
        viewer_drift: false,
        duplicates_across_callbacks,
        ..SimConfig::default()
    };
    let reserve = shared::config::Budgets::default().eventsub_reserve_percent;
    let w = world_of(sim, None, HOUR_MS, reserve).await;
    w.track().await;
    w.challenged().await;
    w.reconcile().await;
    let states = w.stored_states().await;
    for kind in OPEN {
        assert!(
            matches!(states[kind], TypeState::Enabled { .. }),
            "{kind}: {:?}",
            states[kind]
        );
    }
    w
}

/// A manager of the same deployment after the switch: its callback the
/// function URL, the stack's `/eventsub` its former one.
fn mover(w: &World) -> Manager {
    let target = Target {
        callback: function_url_of(&w.callback),
        former_callbacks: vec![w.callback.clone()],
        secret: secret(),
        reserve_percent: shared::config::Budgets::default().eventsub_reserve_percent,
    };
    manager_for(&w.base, &w.sim, target, w.store.clone(), w.store.clone())
}

/// Our subscriptions at `callback` about the streamer, by type: (id, status).
fn at(w: &World, callback: &str) -> BTreeMap<String, (String, String)> {
    w.sim
        .subscriptions()
        .into_iter()
        .filter(|s| s.callback == callback && s.user_ids().any(|u| u == STREAMER))
        .map(|s| (s.kind.clone(), (s.id.clone(), s.status.to_string())))
        .collect()
}

/// Waits until every open type has an enabled subscription at `callback`
/// (its challenge answered through that door).
async fn enabled_at(w: &World, callback: &str) {
    wait_until("the new subscriptions enabled", || {
        let new = at(w, callback);
        new.len() == OPEN.len() && new.values().all(|(_, status)| status == "enabled")
    })
    .await;
}

/// Every event stored for the streamer: message id → subscription id.
async fn stored(w: &World) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    let mut cursor = None;
    loop {
        let page = w
            .store
            .recent(STREAMER, 100, cursor.as_ref())
            .await
            .unwrap();
        ids.extend(
            page.events
                .into_iter()
                .map(|e| (e.event.message_id, e.event.subscription_id)),
        );
        match page.next {
            Some(c) => cursor = Some(c),
            None => return ids,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_the_callback_creates_each_type_before_deleting_the_old_and_loses_no_event() {
    let w = settled(true).await;
    let new_callback = function_url_of(&w.callback);
    let m = mover(&w);
    // Twitch's events go on throughout the move.
    let traffic = w.sim.start_traffic(100.0);

    let moved = m.reconcile_one(STREAMER, now_ms()).await.unwrap();

    // Each old one deleted only once its replacement was enabled (its
    // challenge answered through the function URL), in the same pass.
    assert_eq!((moved.created, moved.deleted), (OPEN.len(), OPEN.len()));
    assert!(at(&w, &w.callback).is_empty(), "the old ones deleted");
    let new = at(&w, &new_callback);
    assert_eq!(new.len(), OPEN.len());
    assert!(
        new.values().all(|(_, status)| status == "enabled"),
        "{new:?}"
    );
    let states = w.stored_states().await;
    for kind in OPEN {
        assert_eq!(
            states[kind],
            TypeState::Enabled {
                subscription_id: new[kind].0.clone()
            }
        );
    }
    eventually("an event stored through the function URL", || async {
        let ids: BTreeSet<&String> = new.values().map(|(id, _)| id).collect();
        stored(&w).await.values().any(|sub| ids.contains(sub))
    })
    .await;
    // A move is not a lapse: no gap.
    let gaps = w.store.gaps(STREAMER, 0, now_ms()).await.unwrap();
    assert!(gaps.is_empty(), "{gaps:?}");
    // Every event Twitch generated during the move was acknowledged and stored.
    traffic.abort();
    wait_until("every generated event acknowledged", || {
        w.sim.ledger(STREAMER).iter().all(|e| e.delivered)
    })
    .await;
    let generated: BTreeSet<String> = w
        .sim
        .ledger(STREAMER)
        .into_iter()
        .map(|e| e.message_id)
        .collect();
    assert!(
        generated.len() > OPEN.len(),
        "traffic ran: {}",
        generated.len()
    );
    let stored: BTreeSet<String> = stored(&w).await.into_keys().collect();
    let lost: Vec<&String> = generated.difference(&stored).collect();
    assert!(lost.is_empty(), "lost {lost:?} of {}", generated.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_door_that_does_not_answer_its_challenge_leaves_the_old_ones_delivering() {
    let w = settled(true).await;
    let old = at(&w, &w.callback);
    let target = Target {
        callback: refusing_callback().await,
        former_callbacks: vec![w.callback.clone()],
        secret: secret(),
        reserve_percent: shared::config::Budgets::default().eventsub_reserve_percent,
    };
    let m = manager_for(&w.base, &w.sim, target, w.store.clone(), w.store.clone());

    let first = m.reconcile_one(STREAMER, now_ms()).await.unwrap();

    assert_eq!((first.created, first.deleted), (OPEN.len(), 0));
    assert_eq!(
        at(&w, &w.callback),
        old,
        "the old ones untouched, still enabled"
    );
    let states = w.stored_states().await;
    for kind in OPEN {
        assert_eq!(
            states[kind],
            TypeState::Enabled {
                subscription_id: old[kind].0.clone()
            }
        );
    }
    assert!(w
        .store
        .gaps(STREAMER, 0, now_ms())
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_twitch_refuses_a_second_subscription_the_move_deletes_first_and_records_the_gap() {
    let w = settled(false).await;
    let old = at(&w, &w.callback);
    let new_callback = function_url_of(&w.callback);
    let m = mover(&w);
    let before = now_ms();

    let first = m.reconcile_one(STREAMER, now_ms()).await.unwrap();

    assert_eq!((first.created, first.deleted), (OPEN.len(), OPEN.len()));
    assert!(at(&w, &w.callback).is_empty());
    let mut interrupted = first.interrupted.clone();
    interrupted.sort();
    assert_eq!(interrupted, OPEN);
    let gaps = w.store.gaps(STREAMER, 0, now_ms()).await.unwrap();
    assert_eq!(gaps.len(), OPEN.len(), "{gaps:?}");
    assert!(gaps.iter().all(|g| g.cause == "callback_moved"
        && g.key.from_ms >= before
        && g.state == GapState::Open));

    enabled_at(&w, &new_callback).await;
    m.reconcile_one(STREAMER, now_ms()).await.unwrap();

    let gaps = w.store.gaps(STREAMER, 0, now_ms()).await.unwrap();
    assert!(
        gaps.iter()
            .all(|g| g.to_ms.is_some() && g.state != GapState::Open),
        "every gap ended once its type was enabled again: {gaps:?}"
    );
    assert!(old
        .values()
        .all(|(id, _)| !w.sim.subscriptions().iter().any(|s| &s.id == id)));
}
