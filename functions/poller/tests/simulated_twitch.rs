//! The poller against the Twitch simulator and a real (SQLite) store: modes,
//! pagination drift, 429 pacing, overlapping runs, pause/resume, debounced
//! transitions and their reconciliation with EventSub's stream.online.

mod support;

use std::sync::Arc;

use poller::{Mode, Poller};
use shared::clock::now_ms;
use shared::helix::config::ClientSecret;
use shared::helix::{Helix, HelixConfig};
use shared::store::snapshots::{LiveState, SnapshotStore};
use shared::store::sqlite::SqliteStore;
use shared::store::streamers::{StreamerStore, Wish};
use shared::store::{Event, EventStore};
use twitch_sim::{Failure, Sim, SimConfig};

struct World {
    sim: Arc<Sim>,
    store: Arc<SqliteStore>,
    poller: Poller,
    /// The poller's Helix client, for what the test asks Twitch itself.
    helix: Arc<Helix>,
}

async fn world(config: SimConfig) -> World {
    let sim = Sim::new(config);
    let base = sim.spawn().await.unwrap();
    let c = sim.config();
    let helix = Helix::new(HelixConfig::at(
        &format!("{base}/helix"),
        &format!("{base}/oauth2"),
        &c.client_id,
        ClientSecret::new(c.client_secret.clone()),
    ))
    .unwrap();
    let store = support::memory_store();
    let helix = Arc::new(helix);
    let poller = Poller::new(
        Arc::clone(&helix),
        store.clone(),
        store.clone(),
        store.clone(),
    )
    .write_concurrency(4)
    .lease_ms(60_000)
    .fresh_for_ms(i64::MAX);
    World {
        sim,
        store,
        poller,
        helix,
    }
}

impl World {
    async fn track(&self, id: &str) {
        self.store
            .want(&Wish {
                broadcaster_id: id.into(),
                login: None,
                by: "t".into(),
                at_ms: now_ms(),
            })
            .await
            .unwrap();
    }

    async fn snapshots_of(&self, id: &str) -> Vec<shared::store::snapshots::Snapshot> {
        self.store.snapshots(id, 0, i64::MAX, 10_000).await.unwrap()
    }

    async fn feed(&self, id: &str) -> Vec<Event> {
        let page = self.store.recent(id, 100, None).await.unwrap();
        page.events.into_iter().map(|e| e.event).collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracked_mode_snapshots_the_live_ones_and_marks_them_online_once() {
    let w = world(SimConfig::default()).await;
    for id in ["100000", "100001", "5"] {
        w.track(id).await;
    }
    let status = w.poller.run(Mode::Tracked).await.unwrap();
    assert_eq!(status.outcome, "ok");
    assert_eq!(
        (status.pages, status.streams, status.snapshots_written),
        (1, 2, 2)
    );
    assert_eq!(status.transitions, 2);
    assert_eq!(w.snapshots_of("100000").await.len(), 1);
    assert!(w.snapshots_of("5").await.is_empty(), "offline: no snapshot");
    let live = w.store.live_now(None, 10).await.unwrap();
    let ids: Vec<_> = live
        .states
        .iter()
        .map(|s| s.broadcaster_id.as_str())
        .collect();
    assert_eq!(ids, ["100000", "100001"]);
    let feed = w.feed("100000").await;
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0].event_type, "stream.online");
    assert!(feed[0].payload.contains("\"observed_by\":\"poller\""));

    // A second run: more snapshots, no second "online".
    let again = w.poller.run(Mode::Tracked).await.unwrap();
    assert_eq!(again.transitions, 0);
    // Each poll of a tracked live streamer is rolled up with its snapshot.
    let snaps = w.snapshots_of("100000").await;
    let rolled = w
        .store
        .rolled_up_viewers("100000", 0, i64::MAX)
        .await
        .unwrap();
    let polled: Vec<(i64, u64)> = snaps
        .iter()
        .map(|s| (s.polled_at_ms, s.viewer_count))
        .collect();
    assert_eq!(polled.len(), 2);
    assert_eq!(rolled, polled);
    assert_eq!(w.feed("100000").await.len(), 1);
    // The status record is readable.
    let recorded = w.store.poller_status().await.unwrap();
    assert_eq!(recorded.mode, "tracked");
    assert_eq!(recorded.streams, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_n_stops_at_n_unique_streams_sorted_by_viewers() {
    let w = world(SimConfig {
        live_streams: 1000,
        viewer_drift: false,
        ..SimConfig::default()
    })
    .await;
    let status = w.poller.run(Mode::Top(250)).await.unwrap();
    assert_eq!(status.streams, 250);
    assert_eq!(status.snapshots_written, 250);
    assert_eq!(status.pages, 3);
    // Helix's own order: the most watched first (page 1 covers the top 100).
    assert_eq!(w.sim.requests("/helix/streams"), 3);

    // Every live stream as Twitch lists it (no drift: the counts hold still).
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (page, next) = w.helix.streams_page(100, cursor.as_deref()).await.unwrap();
        all.extend(page.into_iter().map(|s| (s.viewer_count, s.user_id)));
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(all.len(), 1000);
    // Unique: 250 streamers with one snapshot each, no other.
    let mut kept = Vec::new();
    for (viewers, id) in &all {
        match w.snapshots_of(id).await.len() {
            0 => {}
            1 => kept.push(*viewers),
            n => panic!("{id}: {n} snapshots from one run"),
        }
    }
    assert_eq!(kept.len(), 250);
    // Nobody here is tracked: nothing is rolled up.
    for (_, id) in all.iter().take(5) {
        assert!(w
            .store
            .rolled_up_viewers(id, 0, i64::MAX)
            .await
            .unwrap()
            .is_empty());
    }
    // By viewers: they are the 250 most watched.
    let mut counts: Vec<u64> = all.iter().map(|(v, _)| *v).collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    kept.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(kept, counts[..250]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_all_poll_with_drifting_viewers_writes_each_stream_at_most_once() {
    let w = world(SimConfig {
        live_streams: 2_000,
        ..SimConfig::default()
    })
    .await;
    // Viewers keep moving while the pages are read, so the list reorders
    // between pages (as Twitch's does).
    let sim = Arc::clone(&w.sim);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = Arc::clone(&done);
    let drift = tokio::spawn(async move {
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            sim.advance_clock(std::time::Duration::from_secs(20));
            tokio::task::yield_now().await;
        }
    });
    let status = w.poller.run(Mode::All).await.unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    drift.await.unwrap();
    assert_eq!(status.pages, 20, "2,000 streams, 100 a page");
    // 2,000 entries were served; fewer unique ones means the same stream
    // came twice (and another was missed): the drift really happened.
    assert!(status.streams < 2_000, "no drift happened: {status:?}");
    assert!(status.streams >= 1_000, "{status:?}");
    assert_eq!(status.snapshots_written, status.streams);
    // What is stored is exactly the unique streams, once each.
    let mut total = 0;
    for i in 0..2_000u64 {
        total += w.snapshots_of(&(100_000 + i).to_string()).await.len() as u64;
    }
    assert_eq!(total, status.streams);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_waited_out_and_counted() {
    let w = world(SimConfig::default()).await;
    w.sim.fail_next(
        "/helix/streams",
        Failure::RateLimited { reset_in_secs: 1 },
        1,
    );
    let status = w.poller.run(Mode::Top(100)).await.unwrap();
    assert_eq!(status.outcome, "ok");
    assert_eq!(status.streams, 100);
    assert!(status.throttled_waits >= 1, "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_runs_do_not_both_poll() {
    let w = world(SimConfig::default()).await;
    // Another run holds the lease.
    assert!(w
        .store
        .acquire_lease("someone-else", now_ms(), now_ms() + 60_000)
        .await
        .unwrap());
    let skipped = w.poller.run(Mode::Top(100)).await.unwrap();
    assert_eq!(skipped.outcome, "skipped (another run holds the lease)");
    assert_eq!(w.sim.requests("/helix/streams"), 0);
    w.store.release_lease("someone-else").await.unwrap();

    // Two at once: exactly one polls.
    let (a, b) = tokio::join!(w.poller.run(Mode::Top(100)), w.poller.run(Mode::Top(100)));
    let outcomes = [a.unwrap().outcome, b.unwrap().outcome];
    assert_eq!(
        outcomes.iter().filter(|o| *o == "ok").count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(w.sim.requests("/helix/streams"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_poller_does_nothing_until_resumed() {
    let w = world(SimConfig::default()).await;
    w.store.set_paused(true).await.unwrap();
    let status = w.poller.run(Mode::Top(10)).await.unwrap();
    assert_eq!(status.outcome, "skipped (paused)");
    assert_eq!(w.sim.requests("/helix/streams"), 0);
    assert!(w.store.poller_status().await.unwrap().paused);
    w.store.set_paused(false).await.unwrap();
    assert_eq!(w.poller.run(Mode::Top(10)).await.unwrap().outcome, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_only_after_two_misses_and_only_once() {
    let w = world(SimConfig::default()).await;
    // Streamer 5 was live (by an earlier poll) but is not live on Twitch now.
    w.track("5").await;
    let was = LiveState {
        broadcaster_id: "5".into(),
        login: "user5".into(),
        live: true,
        stream_id: "s5".into(),
        started_at: "2026-11-23T10:00:00Z".into(),
        viewer_count: 3,
        game_name: String::new(),
        title: String::new(),
        changed_at_ms: now_ms() - 60_000,
        last_seen_ms: now_ms() - 60_000,
        misses: 0,
    };
    w.store.put_live_states(&[was]).await.unwrap();
    let first = w.poller.run(Mode::Tracked).await.unwrap();
    assert_eq!(first.transitions, 0, "one miss is not offline");
    assert!(w.store.live_state("5").await.unwrap().unwrap().live);
    let second = w.poller.run(Mode::Tracked).await.unwrap();
    assert_eq!(second.transitions, 1);
    assert!(!w.store.live_state("5").await.unwrap().unwrap().live);
    let third = w.poller.run(Mode::Tracked).await.unwrap();
    assert_eq!(third.transitions, 0);
    let feed = w.feed("5").await;
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0].event_type, "stream.offline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_eventsub_already_delivered_is_not_repeated_by_the_poller() {
    let w = world(SimConfig::default()).await;
    w.track("100000").await;
    // What the webhook stores for Twitch's stream.online of that stream.
    let page = w.poller.helix.streams_of(&["100000"]).await.unwrap();
    let stream_id = page[0].id.clone();
    let payload =
        serde_json::json!({"id": stream_id, "broadcaster_user_id": "100000", "type": "live"});
    let key = shared::eventsub::catalog::semantic_key("stream.online", "100000", &payload);
    let webhook_event = Event {
        message_id: "eventsub-message-1".into(),
        broadcaster_id: "100000".into(),
        event_type: "stream.online".into(),
        event_version: "1".into(),
        subscription_id: "sub".into(),
        received_at_ms: now_ms(),
        summary: None,
        payload: payload.to_string(),
        recovery: None,
    };
    w.store
        .append_once(&webhook_event, key.as_deref())
        .await
        .unwrap();

    let status = w.poller.run(Mode::Tracked).await.unwrap();
    assert_eq!(status.transitions, 0);
    let feed = w.feed("100000").await;
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0].message_id, "eventsub-message-1");
    assert!(w.store.live_state("100000").await.unwrap().unwrap().live);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eventsubs_stream_offline_ends_the_live_state_at_once_without_a_second_event() {
    let w = world(SimConfig::default()).await;
    w.track("5").await;
    let seen = now_ms() - 60_000;
    w.store
        .put_live_states(&[LiveState {
            broadcaster_id: "5".into(),
            login: "user5".into(),
            live: true,
            stream_id: "s5".into(),
            started_at: "2026-11-23T10:00:00Z".into(),
            viewer_count: 3,
            game_name: String::new(),
            title: String::new(),
            changed_at_ms: seen,
            last_seen_ms: seen,
            misses: 0,
        }])
        .await
        .unwrap();
    // Twitch's stream.offline, as the webhook stores it.
    let offline = Event {
        message_id: "eventsub-offline-1".into(),
        broadcaster_id: "5".into(),
        event_type: "stream.offline".into(),
        event_version: "1".into(),
        subscription_id: "sub".into(),
        received_at_ms: now_ms(),
        summary: None,
        payload: r#"{"broadcaster_user_id":"5"}"#.into(),
        recovery: None,
    };
    w.store.append_once(&offline, None).await.unwrap();

    let status = w.poller.run(Mode::Tracked).await.unwrap();
    assert_eq!(status.transitions, 0, "EventSub already said it");
    assert!(
        !w.store.live_state("5").await.unwrap().unwrap().live,
        "no debounce wait"
    );
    let feed = w.feed("5").await;
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0].message_id, "eventsub-offline-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamer_released_while_live_leaves_the_live_list() {
    let w = world(SimConfig::default()).await;
    w.track("100000").await;
    w.poller.run(Mode::Tracked).await.unwrap();
    assert_eq!(w.store.live_now(None, 10).await.unwrap().states.len(), 1);
    w.store.release("100000", now_ms()).await.unwrap();
    w.poller.run(Mode::Top(10)).await.unwrap();
    assert!(w.store.live_now(None, 10).await.unwrap().states.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_counts_its_pages_waits_writes_and_time_as_cloudwatch_metrics() {
    use poller::run::run_metrics;
    let line = |status| {
        let text = shared::metrics::line(
            shared::metrics::NAMESPACE,
            "poller",
            &[],
            &run_metrics(status),
            0,
        );
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    };
    let w = world(SimConfig::default()).await;
    w.sim.fail_next(
        "/helix/streams",
        Failure::RateLimited { reset_in_secs: 2 },
        1,
    );
    let status = w.poller.run(Mode::Top(250)).await.unwrap();
    let v = line(&status);
    assert_eq!(v["Runs"], 1.0);
    assert_eq!(v["Pages"], 3.0);
    assert_eq!(v["SnapshotsWritten"], 250.0);
    assert!(v["ThrottledWaits"].as_f64().unwrap() >= 1.0, "{v}");
    // The 429 was waited out inside the run: over a second to its reset.
    assert!(v["RunDuration"].as_f64().unwrap() >= 1000.0, "{v}");
    let names = &v["_aws"]["CloudWatchMetrics"][0]["Metrics"];
    assert!(names
        .as_array()
        .unwrap()
        .contains(&serde_json::json!({"Name": "RunDuration", "Unit": "Milliseconds"})));

    w.store.set_paused(true).await.unwrap();
    let skipped = line(&w.poller.run(Mode::Top(10)).await.unwrap());
    assert_eq!(
        (skipped["RunsSkipped"].as_f64(), skipped["Pages"].as_f64()),
        (Some(1.0), Some(0.0))
    );
}
