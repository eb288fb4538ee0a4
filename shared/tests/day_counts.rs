//! The counting consumer on DynamoDB Local: events stored by the keyed put,
//! their inserts read from the table's real stream (DynamoDB Streams API) and
//! handed to `count_stream_batch` as Lambda would, crashes injected between
//! the event writes and the count updates, and every count exact after the
//! replay Lambda makes of a failed batch.

#[path = "support/stream.rs"]
mod stream;
mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_dynamodb::error::BoxError;
use shared::config::Retention;
use shared::store::dynamo::{DynamoStore, Tables};
use shared::store::{day_of, Appended, Event, EventStore};
use stream::StreamReader;

/// Fails the `fail_at`-th `TransactWriteItems` (1-based) of its client, before
/// it reaches DynamoDB (`committed` false: the chunk is not written) or after
/// DynamoDB answered (`committed` true: written, but the consumer never
/// learns it), as a Lambda that dies at that point would.
#[derive(Debug, Clone)]
struct CrashAt {
    fail_at: usize,
    committed: bool,
    seen: Arc<AtomicUsize>,
    armed: Arc<AtomicBool>,
}

impl CrashAt {
    fn new(fail_at: usize, committed: bool) -> Self {
        Self {
            fail_at,
            committed,
            seen: Arc::default(),
            armed: Arc::default(),
        }
    }
}

impl Intercept for CrashAt {
    fn name(&self) -> &'static str {
        "CrashAt"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("");
        if target.ends_with(".TransactWriteItems")
            && self.seen.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_at
        {
            if !self.committed {
                return Err("crashed before the chunk's transaction".into());
            }
            self.armed.store(true, Ordering::SeqCst);
        }
        Ok(())
    }

    fn read_after_transmit(
        &self,
        _: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.armed.swap(false, Ordering::SeqCst) {
            return Err("crashed after the chunk's transaction committed".into());
        }
        Ok(())
    }
}

fn client(crash: Option<CrashAt>) -> aws_sdk_dynamodb::Client {
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "static"))
        .endpoint_url(support::endpoint());
    if let Some(crash) = crash {
        config = config.interceptor(crash);
    }
    aws_sdk_dynamodb::Client::from_conf(config.build())
}

/// Noon UTC two days ago (inside the retention, spanning days).
fn t0() -> i64 {
    let day = 86_400_000;
    (shared::clock::now_ms() / day - 2) * day + day / 2
}

fn event(broadcaster: usize, n: usize, ms: i64, kind: &str) -> Event {
    Event {
        message_id: format!("msg-{broadcaster}-{n}"),
        broadcaster_id: format!("b{broadcaster}"),
        event_type: kind.into(),
        event_version: "1".into(),
        subscription_id: "sub-1".into(),
        received_at_ms: ms,
        summary: None,
        payload: "{}".into(),
        recovery: None,
    }
}

/// What each streamer's counters must say: (streamer, day, type) → count.
type Expected = std::collections::BTreeMap<(String, String, String), u64>;

/// Streamers of the sample: with two counters each, more counters than one
/// transaction may touch, so the batch is counted in two chunks.
const STREAMERS: usize = 50;

/// Inserts of the sample: a follow and next day's cheer per streamer, and a
/// second follow for the first ten (two events on one counter).
const INSERTS: usize = 2 * STREAMERS + 10;

/// Stores the sample's events, with a duplicate delivery of each first
/// event; returns what the counts must be.
async fn store_events(store: &DynamoStore) -> Expected {
    let mut expected = Expected::new();
    for b in 0..STREAMERS {
        let mut sample = vec![(0, "channel.follow"), (86_400_000, "channel.cheer")];
        if b < 10 {
            sample.push((1, "channel.follow"));
        }
        for (n, (offset, kind)) in sample.into_iter().enumerate() {
            let e = event(b, n, t0() + offset + n as i64, kind);
            assert!(matches!(
                store.append_once(&e, None).await.unwrap(),
                Appended::Stored(_)
            ));
            *expected
                .entry((
                    e.broadcaster_id.clone(),
                    day_of(e.received_at_ms),
                    kind.into(),
                ))
                .or_default() += 1;
        }
        let again = Event {
            received_at_ms: t0() + 9_000,
            ..event(b, 0, 0, "channel.follow")
        };
        assert_eq!(
            store.append_once(&again, None).await.unwrap(),
            Appended::Duplicate
        );
    }
    expected
}

async fn counts(store: &DynamoStore, expected: &Expected) -> Expected {
    let mut got = Expected::new();
    let (from, to) = (day_of(t0()), day_of(t0() + 86_400_000));
    for b in 0..STREAMERS {
        for c in store
            .daily_counts(&format!("b{b}"), &from, &to)
            .await
            .unwrap()
        {
            got.insert((format!("b{b}"), c.day, c.event_type), c.count);
        }
    }
    assert_eq!(
        got.len(),
        expected.len(),
        "one counter per (streamer, day, type)"
    );
    got
}

/// Stores the events, then counts their batch with a consumer that crashes
/// at its `fail_at`-th transaction; Lambda replays the batch whole.
async fn crash_and_replay(fail_at: usize, committed: bool) {
    let healthy = client(None);
    let run = uuid::Uuid::new_v4().simple().to_string();
    let tables: Tables = support::create_event_tables(&healthy, &run).await;
    let mut stream = StreamReader::new(&healthy, &support::endpoint(), &tables.events).await;
    let store = DynamoStore::new(healthy.clone(), tables.clone(), Retention::default());
    let expected = store_events(&store).await;

    // Between the event writes and the count updates: stored, not counted yet.
    let (from, to) = (day_of(t0()), day_of(t0() + 86_400_000));
    assert!(store
        .daily_counts("b0", &from, &to)
        .await
        .unwrap()
        .is_empty());

    let batch = stream.read().await;
    assert_eq!(
        batch.len(),
        INSERTS,
        "one INSERT per stored event, none for duplicates"
    );
    let crashing = DynamoStore::new(
        client(Some(CrashAt::new(fail_at, committed))),
        tables.clone(),
        Retention::default(),
    );
    assert!(
        crashing.count_stream_batch(&batch).await.is_err(),
        "the invocation failed"
    );

    // Lambda retries the same batch from its first record, until it succeeds.
    let tally = store.count_stream_batch(&batch).await.unwrap();
    assert_eq!(tally.counted + tally.already, INSERTS);
    assert_eq!(counts(&store, &expected).await, expected);

    // And a later duplicate invocation of that batch changes nothing.
    let again = store.count_stream_batch(&batch).await.unwrap();
    assert_eq!((again.counted, again.already), (0, INSERTS));
    assert_eq!(counts(&store, &expected).await, expected);
}

#[tokio::test]
async fn a_crash_before_the_first_chunk_counts_nothing_twice() {
    crash_and_replay(1, false).await;
}

#[tokio::test]
async fn a_crash_after_some_counters_were_updated_counts_each_event_once_after_the_replay() {
    // The first chunk's counters are updated, the second chunk's are not.
    crash_and_replay(2, false).await;
}

#[tokio::test]
async fn a_chunk_committed_but_never_acknowledged_is_not_counted_again() {
    crash_and_replay(1, true).await;
    crash_and_replay(2, true).await;
}

#[tokio::test]
async fn a_replay_that_brings_more_records_counts_only_the_new_ones() {
    let client = client(None);
    let run = uuid::Uuid::new_v4().simple().to_string();
    let tables = support::create_event_tables(&client, &run).await;
    let mut stream = StreamReader::new(&client, &support::endpoint(), &tables.events).await;
    let store = DynamoStore::new(client, tables, Retention::default());
    for n in 0..3 {
        store
            .append_once(&event(1, n, t0() + n as i64, "channel.follow"), None)
            .await
            .unwrap();
    }
    let first = stream.read().await;
    store.count_stream_batch(&first).await.unwrap();
    for n in 3..5 {
        store
            .append_once(&event(1, n, t0() + n as i64, "channel.follow"), None)
            .await
            .unwrap();
    }
    let mut longer = first.clone();
    longer.extend(stream.read().await);
    let tally = store.count_stream_batch(&longer).await.unwrap();
    assert_eq!((tally.counted, tally.already), (2, 3));
    let day = day_of(t0());
    let c = store.daily_counts("b1", &day, &day).await.unwrap();
    assert_eq!(c[0].count, 5);
}
