//! The poller benchmark: `local sim` serves a large simulated Twitch in one
//! process, `local bench-poll` runs one poller run against it in another and
//! reports its own CPU time and peak memory (Linux `/proc/self`).

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use poller::{Mode, Poller};
use shared::config::Retention;
use shared::helix::config::ClientSecret;
use shared::helix::{Helix, HelixConfig};
use shared::store::snapshots::PollerStatus;
use shared::store::sqlite::{Durability, SqliteStore};

/// What one run cost.
#[derive(Debug)]
pub struct PollCost {
    pub status: PollerStatus,
    pub wall_s: f64,
    pub cpu_s: f64,
    pub peak_rss_mib: u64,
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
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

/// One run of `mode` against the simulator at `base`, storing into a fresh
/// SQLite file at `db`.
pub async fn run(base: &str, mode: Mode, db: &str) -> anyhow::Result<PollCost> {
    let defaults = crate::twitch_sim::SimConfig::default();
    let helix = Helix::new(HelixConfig::at(
        &format!("{base}/helix"),
        &format!("{base}/oauth2"),
        &defaults.client_id,
        ClientSecret::new(defaults.client_secret),
    ))?;
    let store = Arc::new(
        SqliteStore::open(db, Durability::Process, Retention::default())
            .with_context(|| format!("open {db}"))?,
    );
    let poller = Poller {
        helix: Arc::new(helix),
        snapshots: store.clone(),
        streamers: store.clone(),
        events: store,
        write_concurrency: 4,
        offline_after: 2,
        lease_ms: 16 * 60 * 1000,
    };
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
