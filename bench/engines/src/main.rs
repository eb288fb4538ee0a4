//! Storage engine benchmark: what storing the ingest path's events costs in
//! each embedded engine, on one core, with an fsync per commit.
//!
//! Every case writes the same rows: the realistic mix of notifications over
//! 5,000 broadcasters (the fixtures the ingest benchmark sends), each turned
//! into the event row the webhook stores (payload, summary, semantic key) and
//! a per-broadcaster feed entry, `BATCH` events to a commit (the local
//! stack's group commit carried about 30 under the ingest benchmark's 64
//! connections). Cases:
//!
//! - `sqlite`: the local store's database as its writer opens it (pragmas,
//!   schema), written with plain `rusqlite` inserts: what the store's writer
//!   thread spends on SQLite itself.
//! - `fjall`: an LSM tree, the row and the feed entry in two partitions of one
//!   keyspace, one write batch and one `SyncAll` persist per `BATCH`.
//! - `redb`: a copy-on-write B-tree, two tables, one durable write
//!   transaction per `BATCH`.
//!
//! `engines CASE [events=150000] [batch=32]` prints a table row: CPU-µs,
//! wall-µs and bytes written per event (the process's own CPU, background
//! threads included), and the mean encoded row.

use std::time::Instant;

use serde_json::Value;
use shared::eventsub::fixtures::{self, Channel};
use shared::eventsub::catalog::{semantic_key, summarize};
use shared::store::sqlite::{open_connection, Durability};
use shared::store::{Cursor, Event};

const BROADCASTERS: usize = 5000;

/// One event as the webhook stores it.
struct Row {
    event: Event,
    semantic: Option<String>,
    sort_key: String,
    summary_json: Option<String>,
}

fn rows(n: usize) -> Vec<Row> {
    let now = time::OffsetDateTime::now_utc();
    let start_ms = now.unix_timestamp() * 1000;
    (0..n)
        .map(|i| {
            let kind = fixtures::mix_kind(i);
            let broadcaster = (1000 + i % BROADCASTERS).to_string();
            let body =
                fixtures::notification(kind, &Channel::new(&broadcaster), i as u64, now).body;
            let parsed: Value = serde_json::from_str(&body).expect("fixture is JSON");
            let fields = &parsed["event"];
            let summary = summarize(kind, fields);
            let event = Event {
                message_id: uuid::Uuid::new_v4().to_string(),
                broadcaster_id: broadcaster.clone(),
                event_type: kind.to_owned(),
                event_version: fixtures::version_of(kind).to_owned(),
                subscription_id: fixtures::subscription_id(kind, &broadcaster),
                // 20,000 events a second.
                received_at_ms: start_ms + i as i64 / 20,
                summary,
                payload: fields.to_string(),
                recovery: None,
            };
            Row {
                semantic: semantic_key(kind, &broadcaster, fields),
                sort_key: Cursor::of(&event).sort_key().to_owned(),
                summary_json: event
                    .summary
                    .as_ref()
                    .and_then(|s| serde_json::to_string(s).ok()),
                event,
            }
        })
        .collect()
}

fn sqlite(dir: &str, rows: &[Row], batch: usize) {
    // The store's own pragmas and schema, as its writer opens the file.
    let c = open_connection(&format!("{dir}/raw.db"), Durability::PowerLoss).expect("open");
    for chunk in rows.chunks(batch) {
        c.execute_batch("BEGIN IMMEDIATE").expect("begin");
        {
            let mut insert = c
                .prepare_cached(
                    "INSERT INTO events (sort_key, message_id, broadcaster_id, event_type, \
                     event_version, subscription_id, received_at_ms, summary, payload, \
                     expires_at, semantic_key) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
                )
                .expect("prepare");
            for r in chunk {
                let e = &r.event;
                insert
                    .execute(rusqlite::params![
                        r.sort_key,
                        e.message_id,
                        e.broadcaster_id,
                        e.event_type,
                        e.event_version,
                        e.subscription_id,
                        e.received_at_ms,
                        r.summary_json,
                        e.payload,
                        e.received_at_ms / 1000 + 90 * 86_400,
                        r.semantic
                    ])
                    .expect("insert");
            }
        }
        c.execute_batch("COMMIT").expect("commit");
    }
}

/// The row's columns, length-prefixed: what a key-value engine stores.
fn encoded(r: &Row) -> Vec<u8> {
    let e = &r.event;
    let mut v = Vec::with_capacity(e.payload.len() + 256);
    for field in [
        r.sort_key.as_str(),
        &e.message_id,
        &e.broadcaster_id,
        &e.event_type,
        &e.event_version,
        &e.subscription_id,
        r.summary_json.as_deref().unwrap_or(""),
        &e.payload,
        r.semantic.as_deref().unwrap_or(""),
    ] {
        v.extend_from_slice(&(field.len() as u32).to_le_bytes());
        v.extend_from_slice(field.as_bytes());
    }
    v.extend_from_slice(&e.received_at_ms.to_le_bytes());
    v
}

/// The feed index's key: broadcaster, sort key, type.
fn feed_key(r: &Row) -> Vec<u8> {
    let e = &r.event;
    let mut k = Vec::with_capacity(96);
    k.extend_from_slice(e.broadcaster_id.as_bytes());
    k.push(0);
    k.extend_from_slice(r.sort_key.as_bytes());
    k.push(0);
    k.extend_from_slice(e.event_type.as_bytes());
    k
}

fn fjall(dir: &str, rows: &[Row], batch: usize) {
    let keyspace = fjall::Config::new(format!("{dir}/fjall"))
        .open()
        .expect("open");
    let events = keyspace
        .open_partition("events", Default::default())
        .expect("events");
    let feed = keyspace
        .open_partition("feed", Default::default())
        .expect("feed");
    let mut seq: u64 = 0;
    for chunk in rows.chunks(batch) {
        let mut b = keyspace.batch();
        for r in chunk {
            seq += 1;
            b.insert(&events, seq.to_be_bytes(), encoded(r));
            b.insert(&feed, feed_key(r), seq.to_be_bytes());
        }
        b.commit().expect("commit");
        keyspace
            .persist(fjall::PersistMode::SyncAll)
            .expect("fsync");
    }
}

fn redb(dir: &str, rows: &[Row], batch: usize) {
    const EVENTS: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("events");
    const FEED: redb::TableDefinition<&[u8], u64> = redb::TableDefinition::new("feed");
    let db = redb::Database::create(format!("{dir}/events.redb")).expect("open");
    let mut seq: u64 = 0;
    for chunk in rows.chunks(batch) {
        // Durability::Immediate, redb's default: fsync at commit.
        let tx = db.begin_write().expect("begin");
        {
            let mut events = tx.open_table(EVENTS).expect("events");
            let mut feed = tx.open_table(FEED).expect("feed");
            for r in chunk {
                seq += 1;
                events.insert(seq, encoded(r).as_slice()).expect("insert");
                feed.insert(feed_key(r).as_slice(), seq).expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
}

/// This process's CPU seconds so far, every thread included.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct it is given and nothing else.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Bytes this process has passed to write calls so far.
fn written() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|l| l.strip_prefix("wchar: ")?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map_or("sqlite", String::as_str).to_owned();
    let n: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(150_000);
    let batch: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(32);
    let dir = std::env::var("ENGINES_DIR").unwrap_or_else(|_| "/tmp/bench-engines".into());
    let dir = format!("{dir}/{case}");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("data directory");
    let rows = rows(n);
    let mean_row = rows.iter().map(|r| encoded(r).len()).sum::<usize>() / n.max(1);

    let (cpu_before, written_before, started) = (cpu_seconds(), written(), Instant::now());
    match case.as_str() {
        "sqlite" => sqlite(&dir, &rows, batch),
        "fjall" => fjall(&dir, &rows, batch),
        "redb" => redb(&dir, &rows, batch),
        other => {
            eprintln!("unknown case {other}: sqlite, fjall or redb");
            std::process::exit(2);
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let bytes = written() - written_before;
    println!(
        "| {case} | {batch} | {:.2} | {:.2} | {:.2} | {mean_row} |",
        cpu * 1e6 / n as f64,
        wall * 1e6 / n as f64,
        bytes as f64 / 1024.0 / n as f64,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
