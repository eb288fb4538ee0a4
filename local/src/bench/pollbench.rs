//! The poller benchmark: `local sim` serves a large simulated Twitch in one
//! process, `local bench-poll` runs one poller run against it in another and
//! reports its own CPU time and peak memory (Linux `/proc/self`).

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use poller::{Mode, Poller};
use serde::Serialize;
use shared::config::Retention;
use shared::helix::config::ClientSecret;
use shared::helix::{Helix, HelixConfig};
use shared::store::snapshots::{LivePage, LiveState, PollerStatus, Snapshot, SnapshotStore};
use shared::store::sqlite::{Durability, SqliteStore};
use shared::store::StoreError;

use super::report::rounded;
use crate::cli::BenchPollArgs;

/// What one run cost.
#[derive(Debug)]
pub struct PollCost {
    pub status: PollerStatus,
    pub wall_s: f64,
    pub cpu_s: f64,
    pub peak_rss_mib: u64,
}

/// What `local bench-poll` prints: one JSON line.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub mode: String,
    pub outcome: String,
    pub pages: u64,
    pub streams: u64,
    pub written: u64,
    pub throttled_waits: u64,
    pub wall_s: f64,
    pub cpu_s: f64,
    pub peak_rss_mib: u64,
}

impl From<&PollCost> for Summary {
    fn from(cost: &PollCost) -> Self {
        let s = &cost.status;
        Self {
            mode: s.mode.clone(),
            outcome: s.outcome.clone(),
            pages: s.pages,
            streams: s.streams,
            written: s.snapshots_written,
            throttled_waits: s.throttled_waits,
            wall_s: rounded(cost.wall_s, 1),
            cpu_s: rounded(cost.cpu_s, 2),
            peak_rss_mib: cost.peak_rss_mib,
        }
    }
}

/// `local bench-poll`: one run against the simulator at `args.twitch`, its
/// snapshots to a fresh SQLite file at `args.db` (or serialized and dropped).
pub async fn command(args: BenchPollArgs) -> anyhow::Result<Summary> {
    let mode: Mode = args.mode.parse()?;
    let sink = if args.db == "-" {
        Sink::Serialize
    } else {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", args.db));
        }
        if let Some(dir) = std::path::Path::new(&args.db).parent() {
            std::fs::create_dir_all(dir)?;
        }
        Sink::Sqlite(args.db.clone())
    };
    Ok(Summary::from(&run(&args.twitch, mode, sink).await?))
}

/// CPU seconds (user + system) this process used so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 here.
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident memory of this process, in MiB.
fn peak_rss_mib() -> u64 {
    super::report::status_kb("self", "VmHWM").unwrap_or(0) / 1024
}

/// Where a benchmark run's snapshots go.
pub enum Sink {
    /// A fresh SQLite file (the local stack's store, with its page cache).
    Sqlite(String),
    /// Serialized as the DynamoDB adapter would, then dropped: the poller's
    /// own cost, as a Lambda writing to DynamoDB pays it.
    Serialize,
}

/// Snapshots are serialized and counted; the rest of the store is an
/// in-memory SQLite (streamers, live states, status are tiny).
struct SerializingSink {
    rest: SqliteStore,
    bytes: std::sync::atomic::AtomicU64,
}

#[async_trait::async_trait]
impl SnapshotStore for SerializingSink {
    async fn put_snapshots(&self, snapshots: &[Snapshot]) -> Result<(), StoreError> {
        for s in snapshots {
            let body = serde_json::to_string(s).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            self.bytes
                .fetch_add(body.len() as u64, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }
    async fn snapshots(
        &self,
        b: &str,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Vec<Snapshot>, StoreError> {
        self.rest.snapshots(b, from, to, limit).await
    }
    async fn live_state(&self, b: &str) -> Result<Option<LiveState>, StoreError> {
        self.rest.live_state(b).await
    }
    async fn live_states(&self, ids: &[String]) -> Result<Vec<LiveState>, StoreError> {
        self.rest.live_states(ids).await
    }
    async fn put_live_states(&self, states: &[LiveState]) -> Result<(), StoreError> {
        self.rest.put_live_states(states).await
    }
    async fn live_now(&self, after: Option<&str>, limit: usize) -> Result<LivePage, StoreError> {
        self.rest.live_now(after, limit).await
    }
    async fn acquire_lease(&self, owner: &str, now: i64, until: i64) -> Result<bool, StoreError> {
        self.rest.acquire_lease(owner, now, until).await
    }
    async fn release_lease(&self, owner: &str) -> Result<(), StoreError> {
        self.rest.release_lease(owner).await
    }
    async fn poller_status(&self) -> Result<PollerStatus, StoreError> {
        self.rest.poller_status().await
    }
    async fn set_poller_status(&self, status: &PollerStatus) -> Result<(), StoreError> {
        self.rest.set_poller_status(status).await
    }
    async fn set_paused(&self, paused: bool) -> Result<(), StoreError> {
        self.rest.set_paused(paused).await
    }
}

/// One run of `mode` against the simulator at `base`.
pub async fn run(base: &str, mode: Mode, sink: Sink) -> anyhow::Result<PollCost> {
    let defaults = twitch_sim::SimConfig::default();
    let helix = Helix::new(HelixConfig::at(
        &format!("{base}/helix"),
        &format!("{base}/oauth2"),
        &defaults.client_id,
        ClientSecret::new(defaults.client_secret),
    ))?;
    let (store, snapshots): (Arc<SqliteStore>, Arc<dyn SnapshotStore>) = match sink {
        Sink::Sqlite(db) => {
            let store = Arc::new(
                SqliteStore::open(&db, Durability::Process, Retention::default())
                    .with_context(|| format!("open {db}"))?,
            );
            (store.clone(), store)
        }
        Sink::Serialize => {
            let rest = SqliteStore::open(":memory:", Durability::Process, Retention::default())?;
            let sink = SerializingSink {
                rest: rest.clone(),
                bytes: Default::default(),
            };
            (Arc::new(rest), Arc::new(sink))
        }
    };
    let poller = Poller::new(Arc::new(helix), snapshots, store.clone(), store).write_concurrency(4);
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let status = poller.run(mode).await?;
    Ok(PollCost {
        status,
        wall_s: started.elapsed().as_secs_f64(),
        cpu_s: cpu_seconds() - cpu_before,
        peak_rss_mib: peak_rss_mib(),
    })
}
