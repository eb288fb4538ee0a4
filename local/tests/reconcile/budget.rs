//! The account's EventSub cost budget: a share kept for streamers already
//! tracked, and a create Twitch refuses for cost reported as the budget.

use super::*;

/// A world whose simulator allows a total cost of 100, the manager keeping 5.
async fn budget_world() -> World {
    let sim = SimConfig {
        live_streams: 10,
        viewer_drift: false,
        max_total_cost: 100,
        ..SimConfig::default()
    };
    world_of(sim, None, HOUR_MS, 5).await
}

/// Another deployment's subscription about a stranger, costing `cost`.
fn others_costing(kind_name: &str, cost: u64) -> SimSubscription {
    let mut s = planted(
        kind_name,
        "1",
        condition(kind_name, STRANGER),
        OTHER_CALLBACK,
    );
    s.cost = cost;
    s
}

fn budget_full(state: &TypeState) -> bool {
    matches!(state, TypeState::Failed { reason } if reason.contains("EventSub budget is full"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_streamer_gets_no_subscription_that_would_leave_the_budget_under_its_reserve() {
    let w = budget_world().await;
    w.sim
        .insert_subscription(others_costing("stream.online", 93));
    let tracked = w.track().await;
    // 93 + 2 = 95: a third would leave 4 of the 5 kept.
    assert_eq!(w.ours(STREAMER).len(), 2, "{:?}", tracked.types);
    let full = OPEN
        .iter()
        .filter(|k| budget_full(&tracked.types[**k].state))
        .count();
    assert_eq!(full, 2, "{:?}", tracked.types);

    // Already tracked: a re-creation may use the reserve (95 used once the
    // failed one stops counting, 4 left after it).
    w.sim
        .insert_subscription(others_costing("stream.offline", 1));
    let failing = w.ours(STREAMER)[0].id.clone();
    w.sim.set_status(&failing, "notification_failures_exceeded");
    let outcome = w.reconcile().await;
    assert_eq!(
        (outcome.created, outcome.deleted),
        (1, 1),
        "{:?}",
        outcome.states
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_twitch_refuses_for_cost_is_reported_as_the_budget_not_as_authorization() {
    let w = budget_world().await;
    w.want(STREAMER, now_ms()).await;
    // The budget fills between the manager's list and its first create.
    let mut hold = w.sim.hold_next("POST", SUBSCRIPTIONS);
    let sim = Arc::clone(&w.sim);
    let fill = async move {
        hold.arrived().await;
        sim.insert_subscription(others_costing("stream.online", 100));
        hold.release();
    };
    let (outcome, ()) = tokio::join!(w.manager.reconcile_one(STREAMER, now_ms()), fill);
    let outcome = outcome.unwrap_or_else(|e| panic!("reconcile failed: {e}"));
    assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
    for k in OPEN {
        assert!(
            budget_full(&outcome.states[k]),
            "{k}: {:?}",
            outcome.states[k]
        );
    }
    assert!(w.ours(STREAMER).is_empty());
}
