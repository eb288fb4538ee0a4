//! The coverage (gaps) contract: SQLite (memory, file) and DynamoDB Local
//! with the template's `StreamersTable`, where the gaps live beside the
//! streamers' types.

#[allow(dead_code)] // the event-table helpers serve the other suites
#[macro_use]
mod support;

use std::sync::Arc;

use shared::config::Retention;
use shared::store::coverage::{GapKey, GapState, GapStore, Recovered};
use shared::store::sqlite::{Durability, SqliteStore};
use shared::store::streamers::{StreamerStore, Wish};

/// What the webhook and the manager use: gaps beside the streamers.
trait Store: GapStore + StreamerStore {}
impl<T: GapStore + StreamerStore> Store for T {}

const FAILURES: &str = "notification_failures_exceeded";

fn key(streamer: &str, kind: &str, from_ms: i64) -> GapKey {
    GapKey {
        streamer_id: streamer.into(),
        event_type: kind.into(),
        from_ms,
    }
}

async fn a_second_open_while_one_is_open_does_nothing(store: Arc<dyn Store>) {
    assert!(store
        .open_gap(&key("7", "channel.follow", 1_000), FAILURES, 1_500)
        .await
        .unwrap());
    // The same revocation again, and a later one: still the first gap.
    assert!(!store
        .open_gap(&key("7", "channel.follow", 1_000), FAILURES, 1_600)
        .await
        .unwrap());
    assert!(!store
        .open_gap(
            &key("7", "channel.follow", 2_000),
            "authorization_revoked",
            2_100
        )
        .await
        .unwrap());
    let gaps = store.gaps("7", 0, 10_000).await.unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    let gap = &gaps[0];
    assert_eq!(gap.key, key("7", "channel.follow", 1_000));
    assert_eq!((gap.to_ms, gap.state), (None, GapState::Open));
    assert_eq!(gap.cause, FAILURES);
    assert_eq!(gap.recovered, Recovered::default());
    assert_eq!(gap.updated_at_ms, 1_500);
    // Another type, another streamer: gaps of their own.
    assert!(store
        .open_gap(&key("7", "channel.raid", 1_000), FAILURES, 1_500)
        .await
        .unwrap());
    assert!(store
        .open_gap(&key("8", "channel.follow", 1_000), FAILURES, 1_500)
        .await
        .unwrap());
    assert_eq!(store.gaps("7", 0, 10_000).await.unwrap().len(), 2);
}

async fn racing_opens_make_one_gap(store: Arc<dyn Store>) {
    let racers = (0..12).map(|i| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store
                .open_gap(&key("7", "channel.cheer", 1_000 + i), FAILURES, 2_000)
                .await
                .unwrap()
        })
    });
    let mut opened = 0;
    for racer in racers {
        opened += usize::from(racer.await.unwrap());
    }
    assert_eq!(opened, 1, "exactly one of the racers opened the gap");
    assert_eq!(store.gaps("7", 0, 10_000).await.unwrap().len(), 1);
}

async fn an_ended_gap_recovers_then_closes_with_what_was_found(store: Arc<dyn Store>) {
    assert_eq!(
        store.end_gap("7", "channel.follow", 5_000).await.unwrap(),
        None,
        "nothing open: nothing to end"
    );
    let k = key("7", "channel.follow", 1_000);
    store.open_gap(&k, FAILURES, 1_000).await.unwrap();
    let none = Recovered::default();
    assert!(
        !store
            .settle_gap(&k, GapState::Closed, &none, 1_100)
            .await
            .unwrap(),
        "an open gap cannot be settled"
    );
    let ended = store
        .end_gap("7", "channel.follow", 5_000)
        .await
        .unwrap()
        .expect("the open gap ends");
    assert_eq!(ended.key, k);
    assert_eq!(
        (ended.to_ms, ended.state, ended.updated_at_ms),
        (Some(5_000), GapState::Recovering, 5_000)
    );
    assert_eq!(ended.cause, FAILURES);
    assert_eq!(
        store.end_gap("7", "channel.follow", 6_000).await.unwrap(),
        None,
        "ended once"
    );

    // Recovery goes on, then is done.
    let partial = Recovered {
        exact: 2,
        approximate: 0,
        note: None,
        attempts: 0,
    };
    assert!(store
        .settle_gap(&k, GapState::Recovering, &partial, 6_000)
        .await
        .unwrap());
    let done = Recovered {
        exact: 3,
        approximate: 1,
        note: Some("unfollows inside the gap are lost".into()),
        attempts: 0,
    };
    assert!(store
        .settle_gap(&k, GapState::Closed, &done, 7_000)
        .await
        .unwrap());
    assert!(
        !store
            .settle_gap(&k, GapState::Recovering, &partial, 8_000)
            .await
            .unwrap(),
        "a closed gap stays closed"
    );
    assert!(!store
        .settle_gap(
            &key("7", "channel.follow", 999),
            GapState::Closed,
            &done,
            8_000
        )
        .await
        .unwrap());
    let gaps = store.gaps("7", 0, 10_000).await.unwrap();
    assert_eq!(gaps.len(), 1);
    assert_eq!(
        (gaps[0].state, gaps[0].to_ms),
        (GapState::Closed, Some(5_000))
    );
    assert_eq!(gaps[0].recovered, done);
    assert_eq!(gaps[0].updated_at_ms, 7_000);

    // Once ended, the type may have a new gap.
    assert!(store
        .open_gap(&key("7", "channel.follow", 9_000), FAILURES, 9_000)
        .await
        .unwrap());
    assert_eq!(store.gaps("7", 0, 10_000).await.unwrap().len(), 2);
}

async fn a_window_holds_the_gaps_that_overlap_it(store: Arc<dyn Store>) {
    // Ended gaps [1000, 2000] and [5000, 6000]; an open one from 8000.
    for (from, to) in [(1_000, 2_000), (5_000, 6_000)] {
        store
            .open_gap(&key("7", "stream.online", from), FAILURES, from)
            .await
            .unwrap();
        store
            .end_gap("7", "stream.online", to)
            .await
            .unwrap()
            .unwrap();
    }
    store
        .open_gap(
            &key("7", "channel.follow", 8_000),
            "authorization_revoked",
            8_000,
        )
        .await
        .unwrap();
    let starts = |gaps: Vec<shared::store::coverage::Gap>| -> Vec<i64> {
        gaps.iter().map(|g| g.key.from_ms).collect()
    };
    assert_eq!(
        starts(store.gaps("7", 0, 100_000).await.unwrap()),
        [1_000, 5_000, 8_000]
    );
    assert_eq!(
        starts(store.gaps("7", 2_000, 5_000).await.unwrap()),
        [1_000, 5_000],
        "edges touch"
    );
    assert_eq!(
        starts(store.gaps("7", 2_001, 4_999).await.unwrap()),
        Vec::<i64>::new()
    );
    assert_eq!(
        starts(store.gaps("7", 6_500, 7_000).await.unwrap()),
        Vec::<i64>::new()
    );
    assert_eq!(
        starts(store.gaps("7", 90_000, 95_000).await.unwrap()),
        [8_000],
        "an open gap reaches to now"
    );
    assert_eq!(
        starts(store.gaps("7", 0, 999).await.unwrap()),
        Vec::<i64>::new()
    );
    assert!(store.gaps("8", 0, 100_000).await.unwrap().is_empty());
}

async fn unsettled_gaps_are_the_open_and_recovering_ones(store: Arc<dyn Store>) {
    let closed = key("7", "channel.raid", 1_000);
    store.open_gap(&closed, FAILURES, 1_000).await.unwrap();
    store
        .end_gap("7", "channel.raid", 2_000)
        .await
        .unwrap()
        .unwrap();
    store
        .settle_gap(&closed, GapState::Closed, &Recovered::default(), 2_000)
        .await
        .unwrap();
    store
        .open_gap(&key("7", "channel.follow", 3_000), FAILURES, 3_000)
        .await
        .unwrap();
    store
        .end_gap("7", "channel.follow", 4_000)
        .await
        .unwrap()
        .unwrap();
    store
        .open_gap(&key("9", "channel.cheer", 5_000), "user_removed", 5_000)
        .await
        .unwrap();
    // (DynamoDB Local's indexes are up to date when the write returns, as
    // the tracked-streamers contract relies on too.)
    let mut unsettled: Vec<(String, String, GapState)> = store
        .unsettled_gaps(100)
        .await
        .unwrap()
        .into_iter()
        .map(|g| (g.key.streamer_id, g.key.event_type, g.state))
        .collect();
    unsettled.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    assert_eq!(
        unsettled,
        [
            ("7".into(), "channel.follow".into(), GapState::Recovering),
            ("9".into(), "channel.cheer".into(), GapState::Open),
        ]
    );
    assert_eq!(
        store.unsettled_gaps(1).await.unwrap().len(),
        1,
        "the limit holds"
    );
}

async fn gaps_leave_the_streamer_record_alone(store: Arc<dyn Store>) {
    store
        .want(&Wish {
            broadcaster_id: "7".into(),
            login: Some("seven".into()),
            by: "alice".into(),
            at_ms: 1_000,
        })
        .await
        .unwrap();
    store
        .open_gap(&key("7", "channel.follow", 1_000), FAILURES, 1_000)
        .await
        .unwrap();
    let s = store.streamer("7").await.unwrap().unwrap();
    assert!(s.wanted && s.types.is_empty(), "{s:?}");
    assert_eq!(store.tracked(None, 10).await.unwrap().ids, ["7"]);
    // A gap for a streamer not stored makes no streamer.
    store
        .open_gap(&key("8", "channel.follow", 1_000), FAILURES, 1_000)
        .await
        .unwrap();
    assert!(store.streamer("8").await.unwrap().is_none());
}

store_contract!(
    a_second_open_while_one_is_open_does_nothing,
    racing_opens_make_one_gap,
    an_ended_gap_recovers_then_closes_with_what_was_found,
    a_window_holds_the_gaps_that_overlap_it,
    unsettled_gaps_are_the_open_and_recovering_ones,
    gaps_leave_the_streamer_record_alone,
);

fn sqlite(path: &str) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(path, Durability::PowerLoss, Retention::default()).unwrap())
}

async fn dynamo() -> Arc<dyn Store> {
    Arc::new(support::streamers_store().await)
}
