//! The open-gap pass, the gaps of our app's own subscriptions, and a stop of
//! the stack as a coverage fact.

use eventsub_manager::manager::{APP_GAP_NOTE, STACK_STOPPED};
use shared::eventsub::catalog;
use shared::eventsub::status::Status;

use super::*;

/// Tracks the streamer and waits until every type is enabled.
async fn all_enabled(w: &World) {
    w.track().await;
    w.challenged().await;
    w.reconcile().await;
}

/// The streamer's gaps of `kind`.
async fn gaps_of(w: &World, owner: &str, kind: &str) -> Vec<shared::store::coverage::Gap> {
    let all = w.store.gaps(owner, 0, i64::MAX).await.unwrap();
    all.into_iter()
        .filter(|g| g.key.event_type == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_gap_pass_replaces_a_type_ended_by_failures_and_ends_its_gap() {
    let w = world().await;
    all_enabled(&w).await;
    let id = w.ours_of("stream.online").remove(0);
    w.sim
        .revoke(&id, "notification_failures_exceeded")
        .await
        .unwrap();
    assert_eq!(
        gaps_of(&w, STREAMER, "stream.online").await[0].state,
        GapState::Open
    );

    // No sweep, no stream record: the pass alone replaces it.
    let first = w.manager.gap_pass(now_ms()).await.unwrap();
    assert_eq!(
        (first.open, first.reconciled, first.failed),
        (1, 1, 0),
        "{first:?}"
    );
    assert!(first.oldest_open_ms.is_some_and(|ms| ms >= 0), "{first:?}");
    w.challenged().await;
    let second = w.manager.gap_pass(now_ms()).await.unwrap();
    assert_eq!(second.reconciled, 1, "the gap was still open: {second:?}");

    let gaps = gaps_of(&w, STREAMER, "stream.online").await;
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].state, GapState::Recovering);
    let third = w.manager.gap_pass(now_ms()).await.unwrap();
    assert_eq!(
        (third.open, third.reconciled, third.unsettled),
        (0, 0, 1),
        "{third:?}"
    );
    assert_eq!(third.oldest_open_ms, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_gap_pass_leaves_a_type_revoked_for_good_to_a_person() {
    let w = world().await;
    all_enabled(&w).await;
    let id = w.ours_of("stream.online").remove(0);
    w.sim.revoke(&id, "authorization_revoked").await.unwrap();
    let before = w.sim.subscriptions().len();

    let report = w.manager.gap_pass(now_ms()).await.unwrap();
    assert_eq!((report.open, report.reconciled), (1, 0), "{report:?}");
    assert_eq!(
        w.sim.subscriptions().len(),
        before,
        "no Twitch call made a change"
    );
    assert_eq!(
        gaps_of(&w, STREAMER, "stream.online").await[0].state,
        GapState::Open
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_own_subscriptions_get_a_gap_under_the_client_id_closed_with_its_note() {
    let w = world().await;
    all_enabled(&w).await;
    w.manager.sweep(now_ms()).await.unwrap();
    let client_id = w.sim.config().client_id.clone();
    let app_sub = |kind: &str| {
        w.sim
            .subscriptions()
            .into_iter()
            .find(|s| s.kind == kind && s.status == Status::Enabled)
    };
    wait_until("the app's grant subscription is enabled", || {
        app_sub("user.authorization.grant").is_some()
    })
    .await;
    let grant = app_sub("user.authorization.grant").unwrap();
    assert_eq!(
        w.sim
            .revoke(&grant.id, "notification_failures_exceeded")
            .await
            .unwrap(),
        204
    );
    // The webhook opened it from the revocation, under the client id.
    let open = gaps_of(&w, &client_id, "user.authorization.grant").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].state, GapState::Open);

    let report = w.manager.gap_pass(now_ms()).await.unwrap();
    assert_eq!(report.reconciled, 1, "{report:?}");
    assert!(
        w.sim.subscriptions().iter().all(|s| s.id != grant.id),
        "the ended one is deleted"
    );
    wait_until("the replacement is enabled", || {
        app_sub("user.authorization.grant").is_some()
    })
    .await;
    w.manager.gap_pass(now_ms()).await.unwrap();

    let gaps = gaps_of(&w, &client_id, "user.authorization.grant").await;
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(
        gaps[0].state,
        GapState::Closed,
        "nothing to recover: closed at once"
    );
    assert!(gaps[0].to_ms.is_some());
    assert_eq!(gaps[0].recovered.note.as_deref(), Some(APP_GAP_NOTE));
    let listed = w
        .admin("GET", "/admin/streamers", Some(ADMIN_TOKEN), "")
        .await;
    assert_eq!(listed.body["app"]["client_id"], json!(client_id));
    assert_eq!(
        listed.body["app"]["gaps"][0]["type"],
        json!("user.authorization.grant")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_leaves_an_ended_gap_for_each_type_received_and_an_open_gap_stands() {
    let w = world().await;
    all_enabled(&w).await;
    let id = w.ours_of("stream.online").remove(0);
    w.sim.revoke(&id, "authorization_revoked").await.unwrap();
    let (from_ms, to_ms) = (now_ms() - 60_000, now_ms());

    let recorded = w.manager.record_stop(from_ms, to_ms).await.unwrap();
    // stream.online is still stored enabled (no reconcile since), but its
    // gap is open: it is not counted again.
    let enabled = w
        .stored_states()
        .await
        .into_iter()
        .filter(|(k, s)| k != "stream.online" && matches!(s, TypeState::Enabled { .. }))
        .count();
    assert!(enabled > 0);
    assert_eq!(recorded, enabled + catalog::app_types().count());
    let update = gaps_of(&w, STREAMER, "channel.update").await;
    assert_eq!(update.len(), 1, "{update:?}");
    assert_eq!(update[0].cause, STACK_STOPPED);
    assert_eq!(
        (update[0].key.from_ms, update[0].to_ms),
        (from_ms, Some(to_ms))
    );
    assert_eq!(
        update[0].state,
        GapState::Recovering,
        "receiving again from the start"
    );
    let online = gaps_of(&w, STREAMER, "stream.online").await;
    assert_eq!(online.len(), 1, "{online:?}");
    assert_eq!(online[0].cause, "authorization_revoked");
    assert_eq!(online[0].state, GapState::Open, "the older fact stands");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_callback_does_not_answer_the_pass_reconciles_only_its_probe() {
    let w = world().await;
    all_enabled(&w).await;
    w.manager.sweep(now_ms()).await.unwrap();
    let enabled_grant = || {
        w.sim
            .subscriptions()
            .into_iter()
            .find(|s| s.kind == "user.authorization.grant" && s.status == Status::Enabled)
    };
    wait_until("the app's grant subscription is enabled", || {
        enabled_grant().is_some()
    })
    .await;
    // Both ended by failures, each revocation opening its gap.
    let grant = enabled_grant().unwrap();
    w.sim
        .revoke(&grant.id, "notification_failures_exceeded")
        .await
        .unwrap();
    let online = w.ours_of("stream.online").remove(0);
    w.sim
        .revoke(&online, "notification_failures_exceeded")
        .await
        .unwrap();

    w.sim.outage(std::time::Duration::from_secs(600));
    for round in 0..3 {
        let report = w.manager.gap_pass(now_ms()).await.unwrap();
        assert_eq!(report.open, 2, "round {round}: {report:?}");
        assert_eq!(
            (report.reconciled, report.held_back),
            (1, 1),
            "round {round}: the probe only: {report:?}"
        );
    }

    // Back. The probe (stream.online's gap: of two single ones the older,
    // from its verification before the app's subscriptions existed)
    // replaces its subscription; the app waits until that one answers.
    w.sim.outage(std::time::Duration::ZERO);
    let first = w.manager.gap_pass(now_ms()).await.unwrap();
    assert_eq!((first.reconciled, first.held_back), (1, 1), "{first:?}");
    w.challenged().await;
    let second = w.manager.gap_pass(now_ms()).await.unwrap();
    assert_eq!(
        (second.reconciled, second.held_back),
        (2, 0),
        "its gap ended, so the app's turn came: {second:?}"
    );
    wait_until("the app's replacement is enabled", || {
        enabled_grant().is_some()
    })
    .await;
    w.manager.gap_pass(now_ms()).await.unwrap();
    let after = w.manager.gap_pass(now_ms()).await.unwrap();
    assert_eq!((after.open, after.reconciled), (0, 0), "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamer_nobody_tracks_any_more_has_its_open_gaps_ended_not_replaced() {
    let w = world().await;
    all_enabled(&w).await;
    let online = w.ours_of("stream.online").remove(0);
    w.sim
        .revoke(&online, "notification_failures_exceeded")
        .await
        .unwrap();
    w.manager.untrack(STREAMER, now_ms()).await.unwrap();
    let before = w.sim.subscriptions().len();

    let report = w.manager.gap_pass(now_ms()).await.unwrap();
    assert_eq!(
        (report.open, report.reconciled, report.held_back),
        (1, 0, 0),
        "{report:?}"
    );
    assert_eq!(
        w.sim.subscriptions().len(),
        before,
        "nothing created for nobody"
    );
    let gaps = gaps_of(&w, STREAMER, "stream.online").await;
    assert_eq!(gaps[0].state, GapState::Recovering, "{gaps:?}");
    let after = w.manager.gap_pass(now_ms()).await.unwrap();
    assert_eq!(after.open, 0, "{after:?}");
}
