//! Untracking, and the release of idle streamers.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untracking_deletes_every_subscription_of_the_streamer() {
    let w = world().await;
    w.track().await;
    assert_eq!(w.ours(STREAMER).len(), OPEN.len());

    w.manager
        .untrack(STREAMER, now_ms())
        .await
        .unwrap_or_else(|e| panic!("untrack failed: {e}"));

    assert!(w.ours(STREAMER).is_empty(), "{:?}", w.ours(STREAMER));
    assert!(!w.stored(STREAMER).await.wanted);
    assert!(w.store.tracked(None, 10).await.unwrap().ids.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_releases_an_idle_streamer_and_keeps_a_watched_one() {
    let release_after_ms = 60_000;
    let w = world_with(None, release_after_ms).await;
    let now = now_ms();
    let watched = "42";
    for (id, at) in [(STREAMER, now - 10 * release_after_ms), (watched, now)] {
        w.manager
            .track(&StreamerRef::Id(id.into()), "test", at)
            .await
            .unwrap_or_else(|e| panic!("tracking {id} failed: {e}"));
        assert_eq!(w.ours(id).len(), OPEN.len());
    }

    let report = w
        .manager
        .sweep(now)
        .await
        .unwrap_or_else(|e| panic!("sweep failed: {e}"));

    assert_eq!(
        report,
        SweepReport {
            skipped: false,
            busy: 0,
            reconciled: 2,
            released: 1,
            failed: 0,
            orphans_deleted: 0,
            app_created: 2,
            budget: report.budget,
        }
    );
    assert_budget_listed(&report);
    assert!(w.ours(STREAMER).is_empty(), "{:?}", w.ours(STREAMER));
    assert!(!w.stored(STREAMER).await.wanted);
    assert_eq!(w.ours(watched).len(), OPEN.len());
    assert!(w.stored(watched).await.wanted);
}
