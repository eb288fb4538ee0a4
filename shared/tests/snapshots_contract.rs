//! The snapshots contract: SQLite (memory, file) and DynamoDB Local with the
//! template's `SnapshotsTable`.

#[allow(dead_code)] // the event-table helpers serve the other suite
#[macro_use]
mod support;

use std::sync::Arc;

use shared::clock::now_ms;
use shared::config::Retention;
use shared::store::dynamo::{DynamoSnapshotStore, DynamoStore};
use shared::store::snapshots::{LiveState, PollerStatus, Snapshot, SnapshotStore};
use shared::store::sqlite::{Durability, SqliteStore};

fn snap(broadcaster: &str, stream: &str, at: i64, viewers: u64) -> Snapshot {
    Snapshot {
        stream_id: stream.into(),
        broadcaster_id: broadcaster.into(),
        broadcaster_login: format!("user{broadcaster}"),
        game_id: "509658".into(),
        game_name: "Just Chatting".into(),
        title: "hello \u{1F44B}".into(),
        language: "en".into(),
        viewer_count: viewers,
        started_at: "2026-11-23T10:00:00Z".into(),
        tags: vec!["English".into()],
        polled_at_ms: at,
    }
}

fn live(broadcaster: &str, is_live: bool, at: i64) -> LiveState {
    LiveState {
        broadcaster_id: broadcaster.into(),
        login: format!("user{broadcaster}"),
        live: is_live,
        stream_id: format!("s{broadcaster}"),
        started_at: "2026-11-23T10:00:00Z".into(),
        viewer_count: 10,
        game_name: "Just Chatting".into(),
        title: "t".into(),
        changed_at_ms: at,
        last_seen_ms: at,
        misses: 0,
    }
}

async fn snapshots_come_back_in_their_time_range_oldest_first(store: Arc<dyn SnapshotStore>) {
    let t = now_ms() - 3_600_000;
    // 60 polls of one streamer (more than a batch of 25), one of another.
    let mut batch: Vec<Snapshot> = (0..60)
        .map(|i| snap("7", "s1", t + i * 60_000, 100 + i as u64))
        .collect();
    batch.push(snap("8", "s2", t, 5));
    store.put_snapshots(&batch).await.unwrap();
    // Writing the same poll again replaces it (a retried run is harmless).
    store
        .put_snapshots(&[snap("7", "s1", t, 999)])
        .await
        .unwrap();

    let all = store
        .snapshots("7", t, t + 59 * 60_000, 1000)
        .await
        .unwrap();
    assert_eq!(all.len(), 60);
    assert_eq!(all[0].viewer_count, 999);
    assert!(all
        .windows(2)
        .all(|w| w[0].polled_at_ms < w[1].polled_at_ms));
    assert_eq!(all[5], batch[5]);

    let middle = store
        .snapshots("7", t + 10 * 60_000, t + 19 * 60_000, 1000)
        .await
        .unwrap();
    assert_eq!(middle.len(), 10);
    assert_eq!(middle[0].polled_at_ms, t + 10 * 60_000);
    let capped = store.snapshots("7", t, t + 59 * 60_000, 7).await.unwrap();
    assert_eq!(capped.len(), 7);
    assert!(store.snapshots("9", t, t + 1, 10).await.unwrap().is_empty());
}

async fn viewers_come_back_as_one_peak_per_bucket(store: Arc<dyn SnapshotStore>) {
    let hour = 3_600_000;
    let t = now_ms() - 21 * hour;
    // One poll a minute for 20 hours (more than one read page), offline in
    // hour 5, and a raid's jump at minute 30 of hour 7.
    let batch: Vec<Snapshot> = (0..1200)
        .filter(|i| i / 60 != 5)
        .map(|i| {
            let viewers = if i == 7 * 60 + 30 {
                5000
            } else {
                100 + i as u64
            };
            snap("7", "s1", t + i * 60_000, viewers)
        })
        .collect();
    store.put_snapshots(&batch).await.unwrap();
    store.put_snapshots(&[snap("8", "s2", t, 1)]).await.unwrap();

    let series = store
        .viewer_series("7", t, t + 20 * hour - 1, hour)
        .await
        .unwrap();
    assert_eq!(series.len(), 19, "the offline hour has no point");
    assert!(series.iter().all(|p| p.polls == 60));
    assert_eq!(series[0].at_ms, t);
    assert_eq!(series[0].viewers, 159, "the bucket's highest");
    assert!(!series.iter().any(|p| p.at_ms == t + 5 * hour));
    assert_eq!(series[6].at_ms, t + 7 * hour);
    assert_eq!(series[6].viewers, 5000, "a jump inside a bucket shows");
    assert!(series.windows(2).all(|w| w[0].at_ms < w[1].at_ms));

    // Buckets start at `from`; the window's ends bound what is read.
    let part = store
        .viewer_series("7", t + 90 * 60_000, t + 150 * 60_000, 30 * 60_000)
        .await
        .unwrap();
    let shape: Vec<(i64, u64, u32)> = part
        .iter()
        .map(|p| (p.at_ms - t, p.viewers, p.polls))
        .collect();
    assert_eq!(
        shape,
        [
            (90 * 60_000, 219, 30),
            (120 * 60_000, 249, 30),
            (150 * 60_000, 250, 1)
        ]
    );
    assert!(store
        .viewer_series("9", t, t + hour, 60_000)
        .await
        .unwrap()
        .is_empty());
}

async fn viewers_come_back_the_same_from_the_roll_ups(store: Arc<dyn SnapshotStore>) {
    let hour = 3_600_000;
    // A whole hour, so the roll-ups' hours and the buckets do not line up.
    let t = (now_ms() - 30 * hour) / hour * hour + 17 * 60_000 + 123;
    let polls: Vec<(i64, u64)> = (0..1200)
        .filter(|i| i / 60 != 5)
        .map(|i| (t + i * 60_000 + i % 7, 100 + (i as u64 * 7919) % 5000))
        .collect();
    // "7" is rolled up from minute 150 on (tracked from then, mid-hour);
    // "77" has the same snapshots and no roll-ups.
    let snaps =
        |b: &str| -> Vec<Snapshot> { polls.iter().map(|&(at, v)| snap(b, "s1", at, v)).collect() };
    store.put_snapshots(&snaps("7")).await.unwrap();
    store.put_snapshots(&snaps("77")).await.unwrap();
    let tracked: Vec<Snapshot> = snaps("7")
        .into_iter()
        .filter(|s| s.polled_at_ms >= t + 150 * 60_000)
        .collect();
    for one_poll in tracked.chunks(1) {
        store.put_viewer_rollups(one_poll).await.unwrap();
    }
    let rolled = store
        .rolled_up_viewers("7", t, t + 20 * hour)
        .await
        .unwrap();
    assert_eq!(
        rolled.len(),
        tracked.len(),
        "every tracked poll is rolled up"
    );
    assert!(rolled.windows(2).all(|w| w[0].0 < w[1].0), "oldest first");
    assert_eq!(
        rolled.first(),
        Some(&(tracked[0].polled_at_ms, tracked[0].viewer_count))
    );

    for (from, to, bucket) in [
        (t, t + 20 * hour - 1, hour),
        (t - 3 * hour, t + 21 * hour, 44 * 60_000 + 7),
        (t + 90 * 60_000, t + 150 * 60_000 + 5, 30 * 60_000),
        (t + 149 * 60_000, t + 151 * 60_000, 1000),
        (t + 400 * 60_000, t + 401 * 60_000, 1000),
    ] {
        let from_rollups = store.viewer_series("7", from, to, bucket).await.unwrap();
        let from_snapshots = store.viewer_series("77", from, to, bucket).await.unwrap();
        assert!(!from_snapshots.is_empty());
        assert_eq!(from_rollups, from_snapshots, "{from} {to} {bucket}");
    }

    // Writing a poll again overwrites it; a roll-up alone answers.
    let mut again = tracked[10].clone();
    again.viewer_count = 99_999;
    store.put_viewer_rollups(&[again.clone()]).await.unwrap();
    let one = store
        .rolled_up_viewers("7", again.polled_at_ms, again.polled_at_ms)
        .await
        .unwrap();
    assert_eq!(one, [(again.polled_at_ms, 99_999)]);
    again.broadcaster_id = "78".into();
    store.put_viewer_rollups(&[again.clone()]).await.unwrap();
    let series = store
        .viewer_series("78", t, t + 20 * hour, hour)
        .await
        .unwrap();
    assert_eq!(series.len(), 1);
    assert_eq!((series[0].viewers, series[0].polls), (99_999, 1));
}

async fn live_states_and_who_is_live_now(store: Arc<dyn SnapshotStore>) {
    let t = now_ms();
    let states: Vec<LiveState> = (0..12)
        .map(|i| live(&format!("{}", 100 + i), i % 3 != 0, t))
        .collect();
    store.put_live_states(&states).await.unwrap();
    assert_eq!(
        store.live_state("101").await.unwrap().as_ref(),
        Some(&states[1])
    );
    assert_eq!(store.live_state("999").await.unwrap(), None);
    let some = store
        .live_states(&["100".into(), "105".into(), "999".into()])
        .await
        .unwrap();
    assert_eq!(some.len(), 2);

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.live_now(after.as_deref(), 3).await.unwrap();
        assert!(page.states.len() <= 3);
        seen.extend(page.states.into_iter().map(|s| s.broadcaster_id));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let expected: Vec<String> = (0..12)
        .filter(|i| i % 3 != 0)
        .map(|i| format!("{}", 100 + i))
        .collect();
    assert_eq!(seen, expected);

    // Going offline takes it off the live list.
    store
        .put_live_states(&[live("101", false, t + 1)])
        .await
        .unwrap();
    let page = store.live_now(None, 100).await.unwrap();
    assert!(!page.states.iter().any(|s| s.broadcaster_id == "101"));
}

async fn one_lease_holder_at_a_time(store: Arc<dyn SnapshotStore>) {
    let t = now_ms();
    assert!(store.acquire_lease("a", t, t + 60_000).await.unwrap());
    assert!(
        !store.acquire_lease("b", t + 1, t + 60_001).await.unwrap(),
        "a holds it"
    );
    assert!(
        store.acquire_lease("a", t + 2, t + 60_002).await.unwrap(),
        "the holder may extend"
    );
    // b's release does nothing; a's frees it.
    store.release_lease("b").await.unwrap();
    assert!(!store.acquire_lease("b", t + 3, t + 60_003).await.unwrap());
    store.release_lease("a").await.unwrap();
    assert!(store.acquire_lease("b", t + 4, t + 60_004).await.unwrap());
    // An expired lease can be taken over.
    assert!(store
        .acquire_lease("c", t + 70_000, t + 130_000)
        .await
        .unwrap());
}

async fn poller_status_and_pause(store: Arc<dyn SnapshotStore>) {
    assert_eq!(
        store.poller_status().await.unwrap(),
        PollerStatus::default()
    );
    store.set_paused(true).await.unwrap();
    let status = PollerStatus {
        mode: "top:100".into(),
        started_at_ms: 1,
        finished_at_ms: 2,
        pages: 3,
        streams: 250,
        outcome: "ok".into(),
        errors: vec!["one".into()],
        ..Default::default()
    };
    store.set_poller_status(&status).await.unwrap();
    let read = store.poller_status().await.unwrap();
    assert!(read.paused, "recording a run keeps the pause flag");
    assert_eq!(
        PollerStatus {
            paused: false,
            ..read
        },
        status
    );
    store.set_paused(false).await.unwrap();
    assert!(!store.poller_status().await.unwrap().paused);
}

store_contract!(
    snapshots_come_back_in_their_time_range_oldest_first,
    viewers_come_back_as_one_peak_per_bucket,
    viewers_come_back_the_same_from_the_roll_ups,
    live_states_and_who_is_live_now,
    one_lease_holder_at_a_time,
    poller_status_and_pause,
);

fn sqlite(path: &str) -> Arc<dyn SnapshotStore> {
    Arc::new(SqliteStore::open(path, Durability::PowerLoss, Retention::default()).unwrap())
}

async fn dynamo() -> Arc<dyn SnapshotStore> {
    let client = DynamoStore::local_client(&support::endpoint());
    let table = format!("snapshots-{}", uuid::Uuid::new_v4().simple());
    support::create_table(&client, "SnapshotsTable", &table).await;
    Arc::new(DynamoSnapshotStore::new(client, table))
}
