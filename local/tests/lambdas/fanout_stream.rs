//! The fan-out Lambda's entry with a DynamoDB-stream–shaped batch
//! (`events/fanout/stream-insert.json`), posting through the real SDK
//! client to the local `@connections`, including a partial failure.

use crate::support;

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event as StreamBatch;
use fanout::aws::handle;
use fanout::FanoutState;
use local::gateway::{Connections, Outbound};
use shared::clock::now_ms;
use shared::push::{Push, Pusher};
use shared::store::connections::{ConnectionStore, NewConnection};
use shared::store::sqlite::SqliteStore;

fn batch() -> StreamBatch {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../events/fanout/stream-insert.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A local stack (for its `@connections`), its store, its gateway and a
/// client for it; the stack runs until the last is dropped.
async fn stack() -> (Arc<SqliteStore>, Arc<Connections>, Pusher, support::Running) {
    let running = support::local_stack(support::dev_secret(), None).await;
    let pusher = running.pusher(&running.http(""));
    let (store, gateway) = (
        running.store.clone(),
        Arc::clone(&running.stack.connections),
    );
    (store, gateway, pusher, running)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_reaches_subscribers_and_a_transient_failure_is_reported_alone() {
    let (store, gateway, pusher, _stop) = stack().await;

    // Record 1 (streamer 1337): a healthy watcher and a stale one (410).
    // Record 2 (streamer 42): a watcher whose queue is full (429, transient).
    for id in ["ok", "stale", "slow"] {
        store
            .connect(&NewConnection {
                id: id.into(),
                principal: "t".into(),
                session: None,
                connected_at_ms: now_ms(),
            })
            .await
            .unwrap();
    }
    store.subscribe("ok", "1337", 10, now_ms()).await.unwrap();
    store
        .subscribe("stale", "1337", 10, now_ms())
        .await
        .unwrap();
    store.subscribe("slow", "42", 10, now_ms()).await.unwrap();
    let mut ok = gateway.register("ok", "127.0.0.1", "t");
    let _slow = gateway.register("slow", "127.0.0.1", "t");
    while pusher.post("slow", b"{}").await.is_ok() {}

    let state = FanoutState {
        connections: store.clone(),
        pusher: Arc::new(pusher),
        concurrency: 8,
        served: Default::default(),
    };
    let response = handle(&state, batch()).await;

    let ids: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap())
        .collect();
    assert_eq!(ids, ["40000000000000000000002"]);
    match ok.recv().await.unwrap() {
        Outbound::Frame(b) => {
            let f: serde_json::Value = serde_json::from_slice(&b).unwrap();
            assert_eq!(f["id"], "a1b2c3d4-0000-4000-8000-000000000001");
            assert_eq!(f["summary"]["text"], "Cool_Follower followed Streamer_1337");
            assert_eq!(f["event"]["user_login"], "cool_follower");
        }
        other => panic!("{other:?}"),
    }
    // The stale connection was removed; the healthy one is still there.
    let watchers = store.subscribers("1337", None, 10, now_ms()).await.unwrap();
    assert_eq!(watchers.connection_ids, ["ok"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_record_skips_the_connections_that_already_got_it() {
    let (store, gateway, pusher, _stop) = stack().await;
    for id in ["fine", "slow"] {
        store
            .connect(&NewConnection {
                id: id.into(),
                principal: "t".into(),
                session: None,
                connected_at_ms: now_ms(),
            })
            .await
            .unwrap();
        store.subscribe(id, "42", 10, now_ms()).await.unwrap();
    }
    let mut fine = gateway.register("fine", "127.0.0.1", "t");
    let mut slow = gateway.register("slow", "127.0.0.1", "t");
    let mut filler = 0;
    while pusher.post("slow", b"{}").await.is_ok() {
        filler += 1;
    }
    let state = FanoutState {
        connections: store.clone(),
        pusher: Arc::new(pusher),
        concurrency: 8,
        served: Default::default(),
    };
    // Only the streamer-42 record, as Lambda retries from the reported one.
    let mut record = batch();
    record
        .records
        .retain(|r| r.change.sequence_number.as_deref() == Some("40000000000000000000002"));
    assert_eq!(record.records.len(), 1);

    let first = handle(&state, record.clone()).await;
    assert_eq!(first.batch_item_failures.len(), 1, "slow is still full");
    let event_id = |o: Outbound| match o {
        Outbound::Frame(b) => serde_json::from_slice::<serde_json::Value>(&b).unwrap()["id"]
            .as_str()
            .map(str::to_owned),
        Outbound::Close => None,
    };
    let delivered = event_id(fine.recv().await.unwrap()).unwrap();

    // The slow client catches up; Lambda retries the record.
    for _ in 0..filler {
        slow.recv().await.unwrap();
    }
    let second = handle(&state, record).await;
    assert!(second.batch_item_failures.is_empty());
    assert_eq!(event_id(slow.recv().await.unwrap()).unwrap(), delivered);
    // The fine client got it once: nothing else is waiting for it.
    assert!(
        fine.try_recv().is_err(),
        "a retry re-sent to a served connection"
    );
}

/// Every checked-in stream sample holds event items the adapter can read.
#[test]
fn every_stream_sample_maps_to_events() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/fanout");
    let mut records = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let batch: StreamBatch =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for r in batch.records {
            let event = shared::store::dynamo::event_from_stream_image(&r.change.new_image)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!event.event.message_id.is_empty());
            records += 1;
        }
    }
    assert!(records >= 3);
}
