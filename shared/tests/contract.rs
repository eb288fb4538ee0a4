//! The storage contract: every adapter passes the same suite.
//!
//! SQLite runs in memory and on a file; DynamoDB runs against the real
//! DynamoDB Local server that `scripts/test.sh` starts, with tables created
//! from `template.yaml`.

#[allow(dead_code)]
#[path = "support/counting.rs"]
mod counting;
#[path = "support/stream.rs"]
mod stream;
mod support;

use std::sync::Arc;

use shared::config::Retention;
use shared::eventsub::summary::Summary;
use shared::store::{
    day_of, Appended, Cursor, Event, EventStore, Recovery, SubscriptionChange, SubscriptionStore,
    SubscriptionUpdate, MAX_PAGE,
};

trait Store: EventStore + SubscriptionStore + 'static {}
impl<T: EventStore + SubscriptionStore + 'static> Store for T {}

/// Noon UTC three days ago: recent enough that nothing has expired by TTL
/// (DynamoDB Local does delete expired items), old enough to span days.
/// Fixed once per test binary, so a run that crosses midnight stays consistent.
fn t0() -> i64 {
    static T0: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *T0.get_or_init(|| {
        let day = 86_400_000;
        let now = shared::clock::now_ms();
        (now / day - 3) * day + day / 2
    })
}

fn event(broadcaster: &str, id: &str, ms: i64, kind: &str) -> Event {
    Event {
        message_id: id.into(),
        broadcaster_id: broadcaster.into(),
        event_type: kind.into(),
        event_version: "1".into(),
        subscription_id: "sub-1".into(),
        received_at_ms: ms,
        summary: Some(Summary {
            actor: Some("Fan".into()),
            action: "cheered".into(),
            amount: Some(100),
            text: "Fan cheered 100 bits: hi \u{1F44B}".into(),
        }),
        payload: r#"{"bits": 100,"message":"hi \ud83d\udc4b"}"#.into(),
        recovery: None,
    }
}

async fn append_once_stores_then_reports_duplicate(store: Arc<dyn Store>) {
    let e = event("b1", "m1", t0(), "channel.cheer");
    let first = store.append_once(&e, None).await.unwrap();
    assert_eq!(first, Appended::Stored(Cursor::of(&e)));
    // A retry arrives later, with a new receive time: still the same message.
    let retry = Event {
        received_at_ms: t0() + 5_000,
        ..e.clone()
    };
    assert_eq!(
        store.append_once(&retry, None).await.unwrap(),
        Appended::Duplicate
    );
    let page = store.recent("b1", 10, None).await.unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].event, e);
}

async fn concurrent_duplicates_are_stored_once(store: Arc<dyn Store>) {
    let e = event("b1", "dup", t0(), "channel.cheer");
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = Arc::clone(&store);
            let e = Event {
                received_at_ms: t0() + i,
                ..e.clone()
            };
            tokio::spawn(async move { store.append_once(&e, None).await.unwrap() })
        })
        .collect();
    let mut stored = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Appended::Stored(_)) {
            stored += 1;
        }
    }
    assert_eq!(stored, 1);
    assert_eq!(store.recent("b1", 100, None).await.unwrap().events.len(), 1);
    let counts = store
        .daily_counts("b1", &day_of(t0()), &day_of(t0()))
        .await
        .unwrap();
    assert_eq!(counts[0].count, 1);
}

/// Distinct events of one streamer, type and day at once: they all write
/// the same day counter (in DynamoDB, transactions that conflict and are
/// retried), and every one is stored and counted.
async fn concurrent_distinct_events_to_one_day_counter_are_all_counted(store: Arc<dyn Store>) {
    const N: i64 = 16;
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let store = Arc::clone(&store);
            let e = event("b1", &format!("distinct-{i}"), t0() + i, "channel.cheer");
            tokio::spawn(async move { store.append_once(&e, None).await.unwrap() })
        })
        .collect();
    for t in tasks {
        assert!(matches!(t.await.unwrap(), Appended::Stored(_)));
    }
    assert_eq!(
        store.recent("b1", 100, None).await.unwrap().events.len(),
        N as usize
    );
    let counts = store
        .daily_counts("b1", &day_of(t0()), &day_of(t0()))
        .await
        .unwrap();
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(counts[0].count, N as u64);
}

async fn same_happening_under_another_message_id_is_a_duplicate(store: Arc<dyn Store>) {
    let a = event("b1", "m-a", t0(), "stream.online");
    let b = event("b1", "m-b", t0() + 1, "stream.online");
    let key = Some("stream.online#b1#9001");
    assert!(matches!(
        store.append_once(&a, key).await.unwrap(),
        Appended::Stored(_)
    ));
    assert_eq!(
        store.append_once(&b, key).await.unwrap(),
        Appended::Duplicate
    );
    // A different happening is stored.
    let c = event("b1", "m-c", t0() + 2, "stream.online");
    assert!(matches!(
        store
            .append_once(&c, Some("stream.online#b1#9002"))
            .await
            .unwrap(),
        Appended::Stored(_)
    ));
    assert_eq!(store.recent("b1", 10, None).await.unwrap().events.len(), 2);
}

async fn recent_pages_newest_first_without_overlap(store: Arc<dyn Store>) {
    for i in 0..25 {
        store
            .append_once(
                &event("b1", &format!("m{i:02}"), t0() + i * 1000, "channel.cheer"),
                None,
            )
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.recent("b1", 10, cursor.as_ref()).await.unwrap();
        seen.extend(page.events.iter().map(|e| e.event.message_id.clone()));
        match page.next {
            Some(c) => cursor = Some(Cursor::decode(&c.encode()).unwrap()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..25).rev().map(|i| format!("m{i:02}")).collect();
    assert_eq!(seen, expected);
}

async fn after_returns_what_is_newer_oldest_first(store: Arc<dyn Store>) {
    let mut cursors = Vec::new();
    for i in 0..5 {
        let e = event("b1", &format!("m{i}"), t0() + i * 1000, "channel.cheer");
        store.append_once(&e, None).await.unwrap();
        cursors.push(Cursor::of(&e));
    }
    let page = store.after("b1", &cursors[1], 10).await.unwrap();
    let ids: Vec<_> = page
        .events
        .iter()
        .map(|e| e.event.message_id.as_str())
        .collect();
    assert_eq!(ids, ["m2", "m3", "m4"]);
    assert!(page.next.is_none());
    let page = store.after("b1", &cursors[1], 2).await.unwrap();
    assert_eq!(page.events.len(), 2);
    let rest = store
        .after("b1", page.next.as_ref().unwrap(), 10)
        .await
        .unwrap();
    assert_eq!(rest.events[0].event.message_id, "m4");
    assert!(store
        .after("b1", &cursors[4], 10)
        .await
        .unwrap()
        .events
        .is_empty());
}

async fn feeds_are_kept_per_broadcaster(store: Arc<dyn Store>) {
    store
        .append_once(&event("b1", "x1", t0(), "t"), None)
        .await
        .unwrap();
    store
        .append_once(&event("b2", "x2", t0(), "t"), None)
        .await
        .unwrap();
    let b2 = store.recent("b2", 10, None).await.unwrap();
    assert_eq!(b2.events.len(), 1);
    assert_eq!(b2.events[0].event.message_id, "x2");
    assert!(store
        .recent("nobody", 10, None)
        .await
        .unwrap()
        .events
        .is_empty());
}

async fn counts_per_type_per_day_exclude_duplicates(store: Arc<dyn Store>) {
    let day = 86_400_000;
    let rows = [
        ("a", t0(), "channel.follow"),
        ("b", t0() + 1, "channel.follow"),
        ("c", t0() + 2, "channel.cheer"),
        ("d", t0() + day, "channel.follow"),
        ("e", t0() + 3 * day, "channel.follow"),
    ];
    for (id, ms, kind) in rows {
        store
            .append_once(&event("b1", id, ms, kind), None)
            .await
            .unwrap();
    }
    store
        .append_once(&event("b1", "a", t0() + 9, "channel.follow"), None)
        .await
        .unwrap();
    let (d0, d1) = (day_of(t0()), day_of(t0() + day));
    let counts = store.daily_counts("b1", &d0, &d1).await.unwrap();
    let got: Vec<_> = counts
        .iter()
        .map(|c| (c.day.clone(), c.event_type.as_str(), c.count))
        .collect();
    assert_eq!(
        got,
        [
            (d0.clone(), "channel.cheer", 1),
            (d0, "channel.follow", 2),
            (d1, "channel.follow", 1),
        ]
    );
}

async fn events_round_trip_exactly(store: Arc<dyn Store>) {
    let with = event("b1", "s1", t0(), "channel.cheer");
    let without = Event {
        summary: None,
        message_id: "s2".into(),
        received_at_ms: t0() + 1,
        event_type: "channel.poll.begin".into(),
        ..with.clone()
    };
    let no_actor = Event {
        summary: Some(Summary {
            actor: None,
            action: "gifted".into(),
            amount: None,
            text: "An anonymous gifter gifted 1 Tier 1 sub".into(),
        }),
        message_id: "s3".into(),
        received_at_ms: t0() + 2,
        ..with.clone()
    };
    for e in [&with, &without, &no_actor] {
        store.append_once(e, None).await.unwrap();
    }
    let page = store.recent("b1", 10, None).await.unwrap();
    let got: Vec<_> = page.events.into_iter().map(|e| e.event).collect();
    assert_eq!(got, [no_actor, without, with]);
}

/// A recovered event keeps its source and its time's exactness; a delivered
/// one reads back as not recovered; and a late live delivery of what was
/// recovered (another message id, the same happening) is a duplicate.
async fn recovered_events_round_trip_and_a_late_delivery_is_a_duplicate(store: Arc<dyn Store>) {
    let recovered = |id: &str, ms: i64, exact: bool| Event {
        recovery: Some(Recovery {
            source: "Get Channel Followers".into(),
            time_exact: exact,
        }),
        ..event("b1", id, ms, "channel.follow")
    };
    let exact = recovered("recovered-1", t0(), true);
    let approximate = recovered("recovered-2", t0() + 1, false);
    let live = event("b1", "live-1", t0() + 2, "channel.follow");
    let key = "channel.follow#b1#7@2026-01-01T00:00:00Z";
    assert!(matches!(
        store.append_once(&exact, Some(key)).await.unwrap(),
        Appended::Stored(_)
    ));
    store.append_once(&approximate, None).await.unwrap();
    store.append_once(&live, None).await.unwrap();
    let late = event("b1", "live-late", t0() + 3, "channel.follow");
    assert_eq!(
        store.append_once(&late, Some(key)).await.unwrap(),
        Appended::Duplicate
    );
    let page = store.recent("b1", 10, None).await.unwrap();
    let got: Vec<_> = page.events.into_iter().map(|e| e.event).collect();
    assert_eq!(got, [live, approximate, exact]);
}

async fn page_size_is_capped(store: Arc<dyn Store>) {
    for i in 0..(MAX_PAGE as i64 + 5) {
        store
            .append_once(&event("b1", &format!("m{i:03}"), t0() + i, "t"), None)
            .await
            .unwrap();
    }
    let page = store.recent("b1", 10_000, None).await.unwrap();
    assert_eq!(page.events.len(), MAX_PAGE);
    assert!(page.next.is_some());
}

fn sub_update(change: SubscriptionChange, status: &str, at_ms: i64) -> SubscriptionUpdate {
    SubscriptionUpdate {
        id: "sub-9".into(),
        kind: "channel.follow".into(),
        version: "2".into(),
        broadcaster_id: Some("1337".into()),
        condition: r#"{"broadcaster_user_id":"1337","moderator_user_id":"1337"}"#.into(),
        status: status.into(),
        change,
        at_ms,
    }
}

async fn subscription_state_follows_verification_then_revocation(store: Arc<dyn Store>) {
    assert_eq!(store.subscription("sub-9").await.unwrap(), None);
    store
        .record(&sub_update(
            SubscriptionChange::CallbackVerified,
            "webhook_callback_verification_pending",
            t0(),
        ))
        .await
        .unwrap();
    let s = store.subscription("sub-9").await.unwrap().unwrap();
    assert_eq!(s.callback_verified_at_ms, Some(t0()));
    assert_eq!(s.revoked_at_ms, None);
    assert_eq!(s.broadcaster_id.as_deref(), Some("1337"));

    store
        .record(&sub_update(
            SubscriptionChange::Revoked,
            "authorization_revoked",
            t0() + 60_000,
        ))
        .await
        .unwrap();
    let s = store.subscription("sub-9").await.unwrap().unwrap();
    assert_eq!(s.status, "authorization_revoked");
    assert_eq!(
        s.revocation_reason.as_deref(),
        Some("authorization_revoked")
    );
    assert_eq!(
        (s.callback_verified_at_ms, s.revoked_at_ms),
        (Some(t0()), Some(t0() + 60_000))
    );
}

async fn an_older_subscription_observation_never_overwrites_a_newer_one(store: Arc<dyn Store>) {
    store
        .record(&sub_update(
            SubscriptionChange::Revoked,
            "user_removed",
            t0() + 10,
        ))
        .await
        .unwrap();
    store
        .record(&sub_update(
            SubscriptionChange::CallbackVerified,
            "webhook_callback_verification_pending",
            t0(),
        ))
        .await
        .unwrap();
    let s = store.subscription("sub-9").await.unwrap().unwrap();
    assert_eq!(s.status, "user_removed");
    assert_eq!(s.callback_verified_at_ms, None);
    assert_eq!(s.updated_at_ms, t0() + 10);
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite_memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() { super::$case(super::sqlite_memory()).await })*
        }
        mod sqlite_file {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let dir = super::TempDir::new();
                super::$case(super::sqlite_file(&dir)).await
            })*
        }
        mod dynamodb_local {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() { super::$case(super::dynamo().await).await })*
        }
    };
}

contract!(
    append_once_stores_then_reports_duplicate,
    concurrent_duplicates_are_stored_once,
    concurrent_distinct_events_to_one_day_counter_are_all_counted,
    same_happening_under_another_message_id_is_a_duplicate,
    recent_pages_newest_first_without_overlap,
    after_returns_what_is_newer_oldest_first,
    feeds_are_kept_per_broadcaster,
    counts_per_type_per_day_exclude_duplicates,
    events_round_trip_exactly,
    recovered_events_round_trip_and_a_late_delivery_is_a_duplicate,
    page_size_is_capped,
    subscription_state_follows_verification_then_revocation,
    an_older_subscription_observation_never_overwrites_a_newer_one,
);

use shared::store::dynamo::DynamoStore;
use shared::store::sqlite::{Durability, SqliteStore};

fn sqlite_memory() -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(":memory:", Durability::PowerLoss, Retention::default()).unwrap())
}

/// A directory removed when the test ends.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Self {
        let p = std::env::temp_dir().join(format!("se-contract-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sqlite_file(dir: &TempDir) -> Arc<dyn Store> {
    let path = dir.0.join("store.db");
    Arc::new(
        SqliteStore::open(
            path.to_str().unwrap(),
            Durability::PowerLoss,
            Retention::default(),
        )
        .unwrap(),
    )
}

/// DynamoDB as deployed: the keyed put, and day counts kept by the stream's
/// counting consumer (run before each count read, as if it had caught up).
async fn dynamo() -> Arc<dyn Store> {
    let client = DynamoStore::local_client(&support::endpoint());
    let run = uuid::Uuid::new_v4().simple().to_string();
    let tables = support::create_event_tables(&client, &run).await;
    Arc::new(counting::CountedDynamo::new(client, tables, Retention::default()).await)
}
