//! What each operation of the system costs in DynamoDB capacity units, as
//! DynamoDB Local reports them (`ReturnConsumedCapacity = INDEXES`, asked by a
//! [`CapacityMeter`] attached to the client; the adapters are unchanged).
//!
//! Prints the table docs/costs.md is built from
//! (`scripts/cost-units.sh` runs it), and holds the figures docs/costs.md quotes,
//! so a change of item shape that moves them fails here first.

#[path = "support/stream.rs"]
mod stream;
mod support;

use shared::clock::now_ms;
use shared::config::Retention;
use shared::eventsub::catalog;
use shared::eventsub::catalog::{semantic_key, summarize};
use shared::store::connections::{ConnectionStore, NewConnection};
use shared::store::dynamo::capacity::{CapacityMeter, Units};
use shared::store::dynamo::{
    DynamoConnectionStore, DynamoSnapshotStore, DynamoStore, DynamoStreamerStore, DynamoUserStore,
};
use shared::store::snapshots::{LiveState, Snapshot, SnapshotStore};
use shared::store::streamers::{StreamerStore, Wish};
use shared::store::users::AllowanceStore;
use shared::store::{Appended, Event, EventStore};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

type Item = std::collections::HashMap<String, AttributeValue>;

fn text(item: &Item, key: &str) -> String {
    match item.get(key) {
        Some(AttributeValue::S(v)) => v.clone(),
        _ => String::new(),
    }
}

/// Every item of a table (test-only Scan; the tables here are small).
async fn all_items(client: &Client, table: &str) -> Vec<Item> {
    let out = client.scan().table_name(table).send().await.unwrap();
    assert!(
        out.last_evaluated_key().is_none(),
        "one page holds the table"
    );
    out.items.unwrap_or_default()
}

/// The figures of docs/costs.md: units per operation on today's item shapes.
/// What DynamoDB bills a stored event of any type: its three items (event,
/// one dedupe mark, day counter; each under 1 KB) written twice, as every
/// item of a transaction is (prepare and commit).
const STORED_EVENT_BILLED_WCU: f64 = 6.0;
/// The keyed put: one conditional put, plus its copy in the feed index.
const PROPOSED_EVENT_WCU: f64 = 2.0;
/// The counting consumer's chunk of the sample batch: its mark and one
/// counter per type, every item written twice (a transaction).
const COUNT_CHUNK_BILLED_WCU: f64 = 2.0 * (1.0 + 12.0);
const SNAPSHOT_PAGE_WCU: f64 = 100.0;

/// The units file `scripts/cost.sh` prices (written by
/// `scripts/cost-units.sh --write`, which sets `COST_UNITS_WRITE`).
const UNITS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/cost/units.json");

/// Writes what this run measured to [`UNITS_FILE`] when asked, and otherwise
/// fails unless the file holds exactly it: the calculator is fed only
/// measured units, and a change that moves them fails here first.
fn check_units_file(measured: &serde_json::Value) {
    let text = serde_json::to_string_pretty(measured).unwrap() + "\n";
    if std::env::var_os("COST_UNITS_WRITE").is_some() {
        std::fs::write(UNITS_FILE, text).unwrap();
        return;
    }
    let held: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(UNITS_FILE).expect("scripts/cost/units.json is readable"),
    )
    .expect("scripts/cost/units.json is JSON");
    assert_eq!(
        &held, measured,
        "scripts/cost/units.json is not what was measured: run scripts/cost-units.sh --write"
    );
}

/// One line of the report.
fn line(what: &str, u: &Units) {
    let failed: Vec<String> = u
        .unreported
        .iter()
        .map(|(op, n)| format!("{n}×{op} failed (not reported)"))
        .collect();
    println!(
        "| {what} | {:.1} | {:.1} | {} | {} |",
        u.write,
        u.read,
        u.calls
            .iter()
            .map(|(op, n)| format!("{n}×{op}"))
            .collect::<Vec<_>>()
            .join(", "),
        failed.join(", ")
    );
}

/// A delivery of `kind` as the webhook stores it: Twitch's documented
/// sample as the payload, with its summary and semantic key.
fn delivery(kind: &catalog::Kind, n: usize, broadcaster: &str) -> (Event, Option<String>) {
    let event: serde_json::Value = serde_json::from_str(kind.sample).unwrap();
    let message_id = format!("{n:08}-0bd3-4b0b-9d5e-1f6f0c3a7e21");
    (
        Event {
            message_id,
            broadcaster_id: broadcaster.into(),
            event_type: kind.name.into(),
            event_version: kind.version.into(),
            subscription_id: "f1c2a387-161a-49f9-a165-0f21d7a4e1c4".into(),
            received_at_ms: now_ms() + n as i64,
            summary: summarize(kind.name, &event),
            payload: event.to_string(),
            recovery: None,
        },
        semantic_key(kind.name, broadcaster, &event),
    )
}

#[tokio::test]
async fn capacity_units_per_operation() {
    let meter = CapacityMeter::default();
    let client = meter.local_client(&support::endpoint());
    let run = uuid::Uuid::new_v4().simple().to_string();
    let tables = support::create_event_tables(&client, &run).await;
    let connections_table = format!("connections-{run}");
    support::create_table(&client, "ConnectionsTable", &connections_table).await;
    let snapshots_table = format!("snapshots-{run}");
    support::create_table(&client, "SnapshotsTable", &snapshots_table).await;
    let users_table = format!("users-{run}");
    support::create_table(&client, "UsersTable", &users_table).await;
    let streamers_table = format!("streamers-{run}");
    support::create_table(&client, "StreamersTable", &streamers_table).await;
    let events = DynamoStore::new(client.clone(), tables.clone(), Retention::default());
    let connections = DynamoConnectionStore::new(client.clone(), &connections_table);
    let snapshots = DynamoSnapshotStore::new(client.clone(), &snapshots_table);
    let users = DynamoUserStore::new(client.clone(), &users_table);
    let streamers = DynamoStreamerStore::new(client.clone(), &streamers_table);
    meter.take();

    println!("\n| operation | WCU | RCU | calls | failed calls |\n|---|---|---|---|---|");

    // Webhook: one stored event of every type the feed tracks, then the
    // same delivery again (Twitch's retry): the keyed put (what the store
    // does), and the transaction it replaced (`append_before_switch`, into a
    // table of its own) for comparison.
    let mut billed_all = Vec::new();
    let mut reported = Vec::new();
    let mut proposed = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // The heaviest item of each part of the transaction: event, mark, counter.
    let mut item_wcu = serde_json::Map::new();
    let probe_plain = format!("probe-{run}");
    support::create_table(&client, "EventsTable", &probe_plain).await;
    let before = support::create_event_tables(&client, &format!("before-{run}")).await;
    let legacy = DynamoStore::new(client.clone(), before.clone(), Retention::default());
    let mut stream = stream::StreamReader::new(&client, &support::endpoint(), &tables.events).await;
    meter.take();
    for (n, kind) in catalog::tracked().enumerate() {
        let (event, key) = delivery(kind, n, "1337");
        let stored = legacy
            .append_before_switch(&event, key.as_deref())
            .await
            .unwrap();
        assert!(matches!(stored, Appended::Stored(_)), "{}", kind.name);
        let u = meter.take();
        assert_eq!(u.calls.get("TransactWriteItems"), Some(&1), "{}", kind.name);
        assert!(
            u.write > 0.0,
            "DynamoDB Local reports a transaction's capacity"
        );
        line(
            &format!(
                "store `{}` the old way ({} payload bytes{})",
                kind.name,
                event.payload.len(),
                if key.is_some() { ", semantic key" } else { "" }
            ),
            &u,
        );
        reported.push(u.write);

        // What each item of that transaction weighs: the items it wrote, put
        // one by one into a copy of the table (size-priced, no transaction).
        let fresh: Vec<Item> = all_items(&client, &before.events)
            .await
            .into_iter()
            .filter(|i| seen.insert((text(i, "pk"), text(i, "sk"))))
            .collect();
        meter.take();
        let mut parts = Vec::new();
        let mut weight = 0.0;
        for item in &fresh {
            client
                .put_item()
                .table_name(&probe_plain)
                .set_item(Some(item.clone()))
                .send()
                .await
                .unwrap();
            let w = meter.take().write;
            weight += w;
            let part = if text(item, "pk").starts_with("CNT#") {
                "counter"
            } else if text(item, "kind") == "dedupe" {
                "mark"
            } else {
                "event"
            };
            let heaviest = item_wcu.get(part).and_then(|v| v.as_f64()).unwrap_or(0.0);
            item_wcu.insert(part.into(), w.max(heaviest).into());
            parts.push(format!("{} {w}", text(item, "kind")));
        }
        let billed = 2.0 * weight;
        println!(
            "|   … billed as 2 × its items ({}) | **{billed}** | | | |",
            parts.join(" + ")
        );
        billed_all.push(billed);

        // The keyed put: the event alone, keyed by what dedupes it, its
        // feed position in the feed index; a retry fails its condition.
        let stored = events.append_once(&event, key.as_deref()).await.unwrap();
        assert!(matches!(stored, Appended::Stored(_)), "{}", kind.name);
        let retry = Event {
            received_at_ms: event.received_at_ms + 5_000,
            ..event
        };
        let again = events.append_once(&retry, key.as_deref()).await.unwrap();
        assert_eq!(again, Appended::Duplicate);
        let u = meter.take();
        assert_eq!(u.calls.get("PutItem"), Some(&1));
        // A refused condition answers with an error, which carries no
        // ConsumedCapacity: the report prices it by the documented rule.
        assert_eq!(u.unreported.get("PutItem"), Some(&1));
        proposed.push(u.write);
        line(
            "  … keyed put: one conditional PutItem (+ feed index), then its retry (refused)",
            &u,
        );
        if n == 0 {
            println!("|   … by table/index: {:?} | | | | |", u.by_target);
        }
    }
    println!(
        "| (DynamoDB Local reported {reported:?} WCU for those transactions, whatever their items: \
         the billed figure is 2 × the items' own units) | | | | |"
    );
    assert!(
        billed_all.iter().all(|w| *w == STORED_EVENT_BILLED_WCU),
        "{billed_all:?}"
    );
    // Under 1 KB with its index copy, an event costs 2 units in the new
    // shape; a bigger one (hype_train.begin's 610-byte payload) 4: always
    // less than the transaction's.
    assert!(
        proposed.iter().zip(&billed_all).all(|(p, t)| p < t),
        "{proposed:?} vs {billed_all:?}"
    );
    let typical = proposed
        .iter()
        .filter(|w| **w == PROPOSED_EVENT_WCU)
        .count();
    println!(
        "| keyed put: {typical} of {} sample types at {PROPOSED_EVENT_WCU} WCU | | | | |",
        proposed.len()
    );

    // The counting consumer: the batch of those inserts, as the stream has
    // it, counted in one chunk (its mark and one counter per type).
    let batch = stream.read().await;
    meter.take();
    let tally = events.count_stream_batch(&batch).await.unwrap();
    assert_eq!(tally.counted, billed_all.len());
    let u = meter.take();
    assert_eq!(u.calls.get("TransactWriteItems"), Some(&1));
    line(
        &format!(
            "counting consumer, a batch of {} inserts of {} types",
            tally.counted,
            billed_all.len()
        ),
        &u,
    );
    let written: Vec<Item> = all_items(&client, &tables.events)
        .await
        .into_iter()
        .filter(|i| matches!(text(i, "kind").as_str(), "count-chunk" | "counter"))
        .collect();
    meter.take();
    let mut chunk_wcu = serde_json::Map::new();
    let mut weight = 0.0;
    for item in &written {
        client
            .put_item()
            .table_name(&probe_plain)
            .set_item(Some(item.clone()))
            .send()
            .await
            .unwrap();
        let w = meter.take().write;
        weight += w;
        let part = if text(item, "kind") == "counter" {
            "counter"
        } else {
            "mark"
        };
        let heaviest = chunk_wcu.get(part).and_then(|v| v.as_f64()).unwrap_or(0.0);
        chunk_wcu.insert(part.into(), w.max(heaviest).into());
    }
    let chunk_billed = 2.0 * weight;
    println!(
        "|   … billed as 2 × its items (mark + {} counters) | **{chunk_billed}** | | | |",
        written.len() - 1
    );
    assert_eq!(chunk_billed, COUNT_CHUNK_BILLED_WCU);
    let replay = events.count_stream_batch(&batch).await.unwrap();
    assert_eq!((replay.counted, replay.already), (0, tally.counted));
    line(
        "  … the same batch replayed (refused by its mark, mark read)",
        &meter.take(),
    );

    // What the calculator prices: the figures measured above (the most
    // common one for the new shape, which is the one docs/costs.md quotes).
    let at = |w: f64| proposed.iter().filter(|p| **p == w).count();
    let common = proposed.iter().copied().max_by_key(|w| at(*w)).unwrap();
    assert_eq!(common, PROPOSED_EVENT_WCU, "{proposed:?}");
    let mut measured = serde_json::json!({
        "source": "shared/tests/capacity.rs on DynamoDB Local; rewrite with scripts/cost-units.sh --write",
        "sample_types": billed_all.len(),
        "event_today_wcu": billed_all.iter().copied().fold(0.0, f64::max),
        "event_item_wcu": item_wcu,
        "event_proposed_wcu": common,
        "event_proposed_types_at_that": at(common),
        "event_proposed_heaviest_wcu": proposed.iter().copied().fold(0.0, f64::max),
        "count_chunk_item_wcu": chunk_wcu,
    });

    // WebSocket: $connect with a ticket, subscribe to a known streamer by id
    // (the route's reads and writes, in its order), $disconnect.
    streamers
        .want(&Wish {
            broadcaster_id: "1337".into(),
            login: Some("cool_user".into()),
            by: "admin".into(),
            at_ms: now_ms(),
        })
        .await
        .unwrap();
    meter.take();
    let expires = now_ms() / 1000 + 60;
    assert!(users.use_ticket(&"ab".repeat(32), expires).await.unwrap());
    connections
        .connect(&NewConnection {
            id: "L0SM9cOFvHcCIhw=".into(),
            principal: "12345678".into(),
            session: None,
            connected_at_ms: now_ms(),
        })
        .await
        .unwrap();
    let u = meter.take();
    line(
        "WebSocket `$connect` (ticket used once, connection recorded)",
        &u,
    );
    measured["websocket_connect_wcu"] = u.write.into();
    let now = now_ms();
    connections
        .connection("L0SM9cOFvHcCIhw=", now)
        .await
        .unwrap()
        .unwrap();
    streamers.streamer("1337").await.unwrap().unwrap();
    connections
        .subscribe("L0SM9cOFvHcCIhw=", "1337", 25, now)
        .await
        .unwrap();
    connections.topics("L0SM9cOFvHcCIhw=", now).await.unwrap();
    // A logged-in user's subscribe also asks to track the streamer.
    streamers.streamer("1337").await.unwrap().unwrap();
    streamers
        .want(&Wish {
            broadcaster_id: "1337".into(),
            login: None,
            by: "12345678".into(),
            at_ms: now,
        })
        .await
        .unwrap();
    let backlog = events.recent("1337", 10, None).await.unwrap();
    assert_eq!(backlog.events.len(), 10);
    line(
        "WebSocket subscribe (logged in, known streamer, 10-event backlog)",
        &meter.take(),
    );
    connections.disconnect("L0SM9cOFvHcCIhw=").await.unwrap();
    line("WebSocket `$disconnect` (1 topic)", &meter.take());

    // Fan-out: the subscriber lookup for one event, at 1, 100 and 1,000
    // watching connections (the fanout Lambda reads pages of 1,000).
    let mut watching = 0;
    for n in [1usize, 100, 1000] {
        while watching < n {
            let id = format!("C{watching:015}=");
            connections
                .connect(&NewConnection {
                    id: id.clone(),
                    principal: "anonymous".into(),
                    session: None,
                    connected_at_ms: now,
                })
                .await
                .unwrap();
            connections.subscribe(&id, "4242", 25, now).await.unwrap();
            watching += 1;
        }
        meter.take();
        let mut after = None;
        let mut found = 0;
        loop {
            let page = connections
                .subscribers("4242", after.as_deref(), 1000, now)
                .await
                .unwrap();
            found += page.connection_ids.len();
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(found, n);
        let u = meter.take();
        line(&format!("fan-out lookup, {n} subscribers"), &u);
        measured["fanout_lookup_rcu"][n.to_string()] = u.read.into();
    }

    // Poller: one page of 100 snapshots, then the live state of 100 streamers.
    let polled = now_ms();
    let page: Vec<Snapshot> = (0..100)
        .map(|i| Snapshot {
            stream_id: format!("4{i:010}"),
            broadcaster_id: format!("{}", 100_000 + i),
            broadcaster_login: format!("streamer_{i}"),
            game_id: "509658".into(),
            game_name: "Just Chatting".into(),
            title: "Chill stream, come hang out! !socials !discord — day 412 of the challenge"
                .into(),
            language: "en".into(),
            viewer_count: 1234,
            started_at: "2026-12-02T01:00:00Z".into(),
            tags: vec!["English".into(), "Chill".into(), "NoBackseating".into()],
            polled_at_ms: polled,
        })
        .collect();
    snapshots.put_snapshots(&page).await.unwrap();
    let u = meter.take();
    assert_eq!(u.write, SNAPSHOT_PAGE_WCU);
    line("poller page (100 snapshots, BatchWriteItem)", &u);
    measured["snapshot_page_wcu"] = u.write.into();
    let states: Vec<LiveState> = page
        .iter()
        .map(|s| LiveState {
            broadcaster_id: s.broadcaster_id.clone(),
            login: s.broadcaster_login.clone(),
            live: true,
            stream_id: s.stream_id.clone(),
            started_at: s.started_at.clone(),
            viewer_count: s.viewer_count,
            game_name: s.game_name.clone(),
            title: s.title.clone(),
            changed_at_ms: polled,
            last_seen_ms: polled,
            misses: 0,
        })
        .collect();
    snapshots.put_live_states(&states).await.unwrap();
    line("poller live states (100 tracked streamers)", &meter.take());
    let owner = "run-1";
    snapshots.poller_status().await.unwrap();
    assert!(snapshots
        .acquire_lease(owner, polled, polled + 960_000)
        .await
        .unwrap());
    snapshots.live_now(None, 1000).await.unwrap();
    let status = snapshots.poller_status().await.unwrap();
    snapshots.set_poller_status(&status).await.unwrap();
    snapshots.release_lease(owner).await.unwrap();
    line(
        "poller run overhead (pause flag, lease, live list, status)",
        &meter.take(),
    );
    check_units_file(&measured);
}

/// The most read units one `GET /api/streamers/{login}/viewers` may cost: its
/// worst parameters (`from` 31 days ago, `points=1000`) for a channel live
/// around the clock and polled every minute, tracked (so rolled up): 30 days
/// (the snapshots' retention) of hourly roll-ups, ~720 items (~640 bytes each),
/// measured 55.0–55.5.
/// Reading every snapshot instead was 2,321.5 (43,199 rows, ~18 MB).
const VIEWERS_WORST_RCU: f64 = 60.0;

/// The most read units one `GET /api/streamers/{login}/streams` may cost:
/// `limit=5000` snapshots of ~450 bytes of JSON each (measured 335).
const STREAMS_WORST_RCU: f64 = 340.0;

/// The viewers route's read at its worst: 44,640 polls in 31 days. Prints
/// what reading the snapshots themselves costs (the read before roll-ups)
/// next to what the series costs.
#[tokio::test]
async fn viewers_at_their_worst_read_the_roll_ups_not_every_snapshot() {
    let meter = CapacityMeter::default();
    let client = meter.local_client(&support::endpoint());
    let table = format!("snapshots-{}", uuid::Uuid::new_v4().simple());
    support::create_table(&client, "SnapshotsTable", &table).await;
    let snapshots = DynamoSnapshotStore::new(client.clone(), &table);
    const MINUTE: i64 = 60_000;
    let to = now_ms();
    let span = 31 * 86_400_000;
    let from = to - span + 1;
    let polls: Vec<Snapshot> = (0..span / MINUTE)
        .map(|i| Snapshot {
            stream_id: "40000000001".into(),
            broadcaster_id: "100001".into(),
            broadcaster_login: "streamer_1".into(),
            game_id: "509658".into(),
            game_name: "Just Chatting".into(),
            title: "Chill stream, come hang out! !socials !discord — day 412 of the challenge"
                .into(),
            language: "en".into(),
            viewer_count: 1000 + (i as u64 * 7919) % 5000,
            started_at: "2026-11-01T00:00:00Z".into(),
            tags: vec!["English".into(), "Chill".into(), "NoBackseating".into()],
            polled_at_ms: from + i * MINUTE,
        })
        .collect();
    assert_eq!(polls.len(), 44_640);
    for chunk in polls.chunks(1000) {
        snapshots.put_snapshots(chunk).await.unwrap();
        snapshots.put_viewer_rollups(chunk).await.unwrap();
    }
    meter.take();

    // Before: every snapshot of the window, as the series used to read them.
    let count_rows = || async {
        let mut rows = 0;
        let mut after = from;
        loop {
            let page = snapshots
                .snapshots("100001", after, to, 1000)
                .await
                .unwrap();
            rows += page.len();
            match page.last() {
                Some(last) if page.len() == 1000 => after = last.polled_at_ms + 1,
                _ => return rows,
            }
        }
    };
    let rows = count_rows().await;
    let raw = meter.take();
    println!(
        "viewers, 31 days x 1,000 points, every snapshot: {rows} rows, {:.1} RCU (~{:.1} MB)",
        raw.read,
        raw.read * 8.0 / 1024.0
    );

    let bucket = (span + 999) / 1000;
    let series = snapshots
        .viewer_series("100001", from, to, bucket)
        .await
        .unwrap();
    let u = meter.take();
    println!(
        "viewers, 31 days x 1,000 points, the series: {} points, {:.1} RCU (~{:.2} MB), {:?}",
        series.len(),
        u.read,
        u.read * 8.0 / 1024.0,
        u.calls
    );
    // Snapshots older than their retention (30 days by default) are gone.
    assert!((960..=1000).contains(&series.len()), "{}", series.len());
    // Every poll still within retention, once: the retention edge moves with
    // the clock (a poll a minute), so one may age out between two reads;
    // counted again after the series, the series lies between the two.
    let polled: usize = series.iter().map(|p| p.polls as usize).sum();
    let rows_after = count_rows().await;
    meter.take();
    assert!(
        (rows_after..=rows).contains(&polled),
        "{polled} polls in the series, {rows} rows before it and {rows_after} after"
    );
    // `/streams` at its worst: 5,000 snapshots (`limit=5000`), ~2 MB.
    let streams = snapshots
        .snapshots("100001", to - 31 * 86_400_000, to, 5000)
        .await
        .unwrap();
    let s = meter.take();
    println!(
        "streams, limit=5000: {} rows, {:.1} RCU (~{:.1} MB)",
        streams.len(),
        s.read,
        s.read * 8.0 / 1024.0
    );
    assert_eq!(streams.len(), 5000);
    assert!(
        s.read <= STREAMS_WORST_RCU,
        "the worst streams request read {:.1} units (at most {STREAMS_WORST_RCU})",
        s.read
    );
    assert!(
        u.read <= VIEWERS_WORST_RCU,
        "the worst viewers request read {:.1} units (at most {VIEWERS_WORST_RCU})",
        u.read
    );
}

/// The most read units one `GET /api/streamers/{login}/events.csv|.jsonl` may
/// cost: 10,000 events (100 pages of 100) of the largest tracked type
/// (measured 1,200: ~9.4 MB).
const EXPORT_WORST_RCU: f64 = 1250.0;

/// The most read units one `GET /api/streamers/{login}/events` may cost: a
/// page of 100 of the largest tracked type (measured 12).
const EVENTS_PAGE_WORST_RCU: f64 = 13.0;

/// The exports and the events page at their worst: a window of 10,000 events
/// of the largest type the feed stores, read as the routes read them.
#[tokio::test]
async fn exports_at_their_worst_read_at_most_10000_events() {
    let meter = CapacityMeter::default();
    let client = meter.local_client(&support::endpoint());
    let run = uuid::Uuid::new_v4().simple().to_string();
    let tables = support::create_event_tables(&client, &run).await;
    let events = DynamoStore::new(client.clone(), tables, Retention::default());
    let kind = catalog::tracked().max_by_key(|k| k.sample.len()).unwrap();
    let start = now_ms() - 86_400_000;
    let mut writes = tokio::task::JoinSet::new();
    for n in 0..10_050 {
        // Without its semantic key: the same sample 10,050 times is not
        // one repeated event here.
        let (mut event, _) = delivery(kind, n, "1337");
        event.received_at_ms = start + n as i64;
        let events = events.clone();
        writes.spawn(async move { events.append_once(&event, None).await.unwrap() });
        if writes.len() >= 16 {
            writes.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(done) = writes.join_next().await {
        done.unwrap();
    }
    meter.take();

    let page = events
        .recent("1337", shared::store::MAX_PAGE, None)
        .await
        .unwrap();
    let p = meter.take();
    println!("events page of {}: {:.1} RCU", page.events.len(), p.read);
    assert_eq!(page.events.len(), 100);
    assert!(p.read <= EVENTS_PAGE_WORST_RCU, "{:.1}", p.read);

    // As the export reads: pages of 100 after a cursor until 10,000.
    let mut cursor = shared::store::Cursor::at_time(start);
    let mut rows = 0;
    while rows < 10_000 {
        let page = events
            .after("1337", &cursor, shared::store::MAX_PAGE)
            .await
            .unwrap();
        let Some(last) = page.events.last() else {
            break;
        };
        cursor = last.cursor.clone();
        rows += page.events.len();
    }
    let u = meter.take();
    println!(
        "export of 10,000 `{}` ({} payload bytes): {rows} rows, {:.1} RCU (~{:.1} MB), {:?}",
        kind.name,
        kind.sample.len(),
        u.read,
        u.read * 8.0 / 1024.0,
        u.calls
    );
    assert_eq!(rows, 10_000);
    assert!(
        u.read <= EXPORT_WORST_RCU,
        "the worst export read {:.1} units (at most {EXPORT_WORST_RCU})",
        u.read
    );
}
