//! The events table's switch from the transaction to the keyed put, on
//! DynamoDB Local, as a deployed stack goes through it: events stored the
//! old way (`append_before_switch`: pk `EV#…`, a dedupe mark, a counter
//! updated in the transaction) stay readable in order with the new ones (in
//! the `feed` index), a redelivery of an old event after the switch is still
//! a duplicate, cursors (read markers, overlay positions) held before the
//! switch still work, and day counts stay exact: the counting consumer skips
//! old-shape inserts (counted by their transaction) and counts new ones.

#[allow(dead_code)]
#[path = "support/counting.rs"]
mod counting;
#[path = "support/stream.rs"]
mod stream;
mod support;

use counting::CountedDynamo;
use shared::config::Retention;
use shared::store::dynamo::DynamoStore;
use shared::store::{day_of, Appended, Cursor, Event, EventStore};

/// Noon UTC two days ago.
fn t0() -> i64 {
    let day = 86_400_000;
    (shared::clock::now_ms() / day - 2) * day + day / 2
}

fn event(id: &str, ms: i64) -> Event {
    Event {
        message_id: id.into(),
        broadcaster_id: "b1".into(),
        event_type: "channel.follow".into(),
        event_version: "2".into(),
        subscription_id: "sub-1".into(),
        received_at_ms: ms,
        summary: None,
        payload: format!("{{\"user_id\":\"{id}\"}}"),
        recovery: None,
    }
}

async fn store() -> CountedDynamo {
    let client = DynamoStore::local_client(&support::endpoint());
    let run = uuid::Uuid::new_v4().simple().to_string();
    let tables = support::create_event_tables(&client, &run).await;
    CountedDynamo::new(client, tables, Retention::default()).await
}

fn ids(events: &[shared::store::StoredEvent]) -> Vec<String> {
    events.iter().map(|e| e.event.message_id.clone()).collect()
}

/// Old events at even milliseconds, new ones (after the switch) at odd ones,
/// so the two shapes interleave in feed order.
async fn stored_across_the_switch(s: &CountedDynamo) -> (Cursor, Cursor) {
    let mut held = Vec::new();
    for i in 0..6 {
        let e = event(&format!("old-{i}"), t0() + 2 * i);
        let Appended::Stored(c) = s.store.append_before_switch(&e, None).await.unwrap() else {
            panic!("stored")
        };
        held.push(c);
    }
    // A read marker and an overlay position, taken before the switch.
    let marker = held[2].clone();
    let page = s.recent("b1", 2, None).await.unwrap();
    assert_eq!(ids(&page.events), ["old-5", "old-4"]);
    let overlay = page.next.expect("more before the switch");
    for i in 0..6 {
        let e = event(&format!("new-{i}"), t0() + 2 * i + 1);
        assert!(matches!(
            s.append_once(&e, None).await.unwrap(),
            Appended::Stored(_)
        ));
    }
    (marker, overlay)
}

#[tokio::test]
async fn old_and_new_events_read_as_one_feed_in_order() {
    let s = store().await;
    stored_across_the_switch(&s).await;
    let newest_first = [
        "new-5", "old-5", "new-4", "old-4", "new-3", "old-3", "new-2", "old-2", "new-1", "old-1",
        "new-0", "old-0",
    ];
    assert_eq!(
        ids(&s.recent("b1", 100, None).await.unwrap().events),
        newest_first
    );
    // Paged by 5: the same order, nothing twice, nothing skipped.
    let mut paged = Vec::new();
    let mut before = None;
    loop {
        let page = s.recent("b1", 5, before.as_ref()).await.unwrap();
        paged.extend(ids(&page.events));
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    assert_eq!(paged, newest_first);
    // Oldest first, from a time.
    let from = Cursor::at_time(t0() + 7);
    let after = s.after("b1", &from, 3).await.unwrap();
    assert_eq!(ids(&after.events), ["new-3", "old-4", "new-4"]);
    assert!(after.next.is_some());
}

#[tokio::test]
async fn cursors_held_before_the_switch_still_work() {
    let s = store().await;
    let (marker, overlay) = stored_across_the_switch(&s).await;
    // The read marker: everything after old-2, old and new, in order.
    let unread = s.after("b1", &marker, 100).await.unwrap();
    assert_eq!(
        ids(&unread.events),
        ["new-2", "old-3", "new-3", "old-4", "new-4", "old-5", "new-5"]
    );
    // The overlay's "older" position: what came before old-4.
    let older = s.recent("b1", 3, Some(&overlay)).await.unwrap();
    assert_eq!(ids(&older.events), ["new-3", "old-3", "new-2"]);
    // Their text form, as clients hold it, decodes to the same positions.
    assert_eq!(Cursor::decode(&marker.encode()).unwrap(), marker);
}

#[tokio::test]
async fn a_redelivery_of_an_old_event_after_the_switch_is_a_duplicate() {
    let s = store().await;
    stored_across_the_switch(&s).await;
    // Twitch retries old-3 after the switch: a later arrival, same message id.
    let retry = event("old-3", t0() + 60_000);
    assert_eq!(
        s.append_once(&retry, None).await.unwrap(),
        Appended::Duplicate
    );
    // The same happening under another message id, by its semantic key.
    let key = "channel.follow#b1#u9";
    let first = event("sem-old", t0() + 20);
    let stored = s
        .store
        .append_before_switch(&first, Some(key))
        .await
        .unwrap();
    assert!(matches!(stored, Appended::Stored(_)));
    let other = event("sem-new", t0() + 30);
    assert_eq!(
        s.append_once(&other, Some(key)).await.unwrap(),
        Appended::Duplicate
    );
    assert_eq!(s.recent("b1", 100, None).await.unwrap().events.len(), 13);
}

#[tokio::test]
async fn day_counts_stay_exact_across_the_switch() {
    let s = store().await;
    stored_across_the_switch(&s).await;
    let retry = event("old-1", t0() + 60_000);
    assert_eq!(
        s.append_once(&retry, None).await.unwrap(),
        Appended::Duplicate
    );
    // The old six counted by their transactions, the new six by the consumer
    // (which skips the old inserts, their marks and counters on the stream).
    let day = day_of(t0());
    let counts = s.daily_counts("b1", &day, &day).await.unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].count, 12);
}

#[tokio::test]
async fn the_fanout_decodes_both_shapes_from_the_stream_at_their_feed_positions() {
    let client = DynamoStore::local_client(&support::endpoint());
    let run = uuid::Uuid::new_v4().simple().to_string();
    let tables = support::create_event_tables(&client, &run).await;
    let mut stream = stream::StreamReader::new(&client, &support::endpoint(), &tables.events).await;
    let s = DynamoStore::new(client, tables, Retention::default());
    let Appended::Stored(old) = s
        .append_before_switch(&event("old", t0()), None)
        .await
        .unwrap()
    else {
        panic!("stored")
    };
    let Appended::Stored(new) = s.append_once(&event("new", t0() + 1), None).await.unwrap() else {
        panic!("stored")
    };
    // What the fan-out's filter lets through (INSERT, kind = event), decoded
    // as the fan-out decodes it: each at the position the feed reads give it.
    let decoded: Vec<(String, Cursor)> = stream
        .read()
        .await
        .iter()
        .filter(|r| r.event_name == "INSERT")
        .filter_map(|r| shared::store::dynamo::event_from_stream_image(&r.change.new_image).ok())
        .map(|e| (e.event.message_id, e.cursor))
        .collect();
    assert_eq!(decoded, [("old".to_owned(), old), ("new".to_owned(), new)]);
}
