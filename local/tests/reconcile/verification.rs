//! A callback that fails verification.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_that_fails_verification_is_recreated_a_few_times_then_left_failed() {
    let w = world_with(Some(refusing_callback().await), HOUR_MS).await;
    w.want(STREAMER, now_ms()).await;

    let mut created = Vec::new();
    for _ in 0..MAX_RECREATE + 3 {
        created.push(w.reconcile().await.created);
        w.challenged().await;
    }

    // The first create, MAX_RECREATE recreations, then none however often
    // it runs.
    let mut expected = vec![OPEN.len(); 1 + MAX_RECREATE as usize];
    expected.extend([0, 0]);
    assert_eq!(created, expected, "creates per reconcile");
    let stored = w.stored(STREAMER).await;
    for k in OPEN {
        let record = &stored.types[k];
        assert!(
            matches!(&record.state, TypeState::Failed { reason }
                if reason.contains("webhook_callback_verification_failed")),
            "{k}: {record:?}"
        );
        assert_eq!(record.recreated, MAX_RECREATE, "{k}");
    }
    assert!(w.ours(STREAMER).is_empty(), "{:?}", w.ours(STREAMER));

    // Given up on for a while, not for ever: hours later it is tried again.
    let later = now_ms() + eventsub_manager::manager::RETRY_FAILED_AFTER_MS + 60_000;
    let retried = w.manager.reconcile_one(STREAMER, later).await.unwrap();
    assert_eq!(retried.created, OPEN.len(), "one more try of each");
}
