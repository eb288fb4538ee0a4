//! Partial state, duplicates, orphans and other deployments' subscriptions.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_keeps_one_of_ours_and_deletes_duplicates_and_orphans_but_nothing_of_others() {
    let w = world().await;
    w.want(STREAMER, now_ms()).await;
    let online = condition("stream.online", STREAMER);
    let an_hour_ago = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let mut kept = planted("stream.online", "1", online.clone(), &w.callback);
    kept.created_at = an_hour_ago;
    let mut duplicate = planted("stream.online", "1", online, &w.callback);
    duplicate.created_at = an_hour_ago + time::Duration::minutes(1);
    let orphan = planted(
        "stream.online",
        "1",
        condition("stream.online", STRANGER),
        &w.callback,
    );
    // A type we never want, about our streamer, and a stranger's: both
    // another deployment's.
    let theirs = planted(
        "channel.ban",
        "1",
        json!({"broadcaster_user_id": STREAMER}),
        OTHER_CALLBACK,
    );
    let their_stranger = planted(
        "stream.offline",
        "1",
        condition("stream.offline", STRANGER),
        OTHER_CALLBACK,
    );
    for sub in [&kept, &duplicate, &orphan, &theirs, &their_stranger] {
        w.sim.insert_subscription(sub.clone());
    }

    let report = w
        .manager
        .sweep(now_ms())
        .await
        .unwrap_or_else(|e| panic!("sweep failed: {e}"));

    assert_eq!(
        report,
        SweepReport {
            skipped: false,
            busy: 0,
            reconciled: 1,
            released: 0,
            failed: 0,
            orphans_deleted: 1,
            app_created: 2,
            budget: report.budget,
        }
    );
    assert_budget_listed(&report);
    let left: BTreeSet<String> = w.sim.subscriptions().into_iter().map(|s| s.id).collect();
    assert!(
        !left.contains(&duplicate.id),
        "the duplicate is still there"
    );
    assert!(!left.contains(&orphan.id), "the orphan is still there");
    assert!(left.contains(&theirs.id) && left.contains(&their_stranger.id));
    assert_eq!(w.ours_of("stream.online"), [kept.id.clone()]);
    assert_eq!(
        w.ours_by_kind()
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        OPEN,
        "the missing open types are created"
    );
    assert_eq!(
        w.stored_states().await["stream.online"],
        TypeState::Enabled {
            subscription_id: kept.id
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_enabled_copies_the_older_is_kept_whatever_the_timestamp_precision() {
    let w = world().await;
    w.want(STREAMER, now_ms()).await;
    let online = condition("stream.online", STREAMER);
    // Twitch (like the simulator) drops trailing zeros from fractions of a
    // second: "…:00Z" is older than "…:00.1Z" though it sorts after it as text.
    let whole_second =
        OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - time::Duration::hours(1);
    let mut older = planted("stream.online", "1", online.clone(), &w.callback);
    older.created_at = whole_second;
    let mut newer = planted("stream.online", "1", online, &w.callback);
    newer.created_at = whole_second + time::Duration::milliseconds(100);
    w.sim.insert_subscription(older.clone());
    w.sim.insert_subscription(newer);

    w.reconcile().await;

    assert_eq!(w.ours_of("stream.online"), [older.id]);
}
