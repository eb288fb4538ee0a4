//! `local history`: writes days of viewer snapshots for one streamer into a
//! stack's database, as the poller would have recorded them (a stream each
//! evening, every few minutes), so the 7-day chart has something to show on
//! a stack that just started. The running stack may have the file open.

use anyhow::Context;
use shared::config::Retention;
use shared::store::snapshots::{Snapshot, SnapshotStore};
use shared::store::sqlite::{Durability, SqliteStore};

use crate::cli::HistoryArgs;

const HOUR_MS: i64 = 3_600_000;
/// Each day's stream: this long, starting this long after that day's start.
const STREAM_MS: i64 = 5 * HOUR_MS;
const STREAM_START_MS: i64 = 17 * HOUR_MS;

/// Writes the snapshots; returns how many.
pub async fn command(args: HistoryArgs) -> anyhow::Result<usize> {
    let store = SqliteStore::open(&args.db, Durability::Process, Retention::default())
        .with_context(|| format!("open {}", args.db))?;
    let now = shared::clock::now_ms();
    let every = i64::from(args.every_mins.max(1)) * 60_000;
    let snapshots = history(&args.broadcaster, now, args.days, every);
    for batch in snapshots.chunks(500) {
        store.put_snapshots(batch).await?;
    }
    Ok(snapshots.len())
}

/// `days` evenings of one stream each, ending before `now_ms`; the viewers
/// climb through a stream and from one day to the next.
pub fn history(broadcaster: &str, now_ms: i64, days: u32, every_ms: i64) -> Vec<Snapshot> {
    let days = i64::from(days);
    let day_ms = 24 * HOUR_MS;
    let first_day = now_ms - now_ms.rem_euclid(day_ms) - days * day_ms;
    let mut out = Vec::new();
    for d in 0..=days {
        let start = first_day + d * day_ms + STREAM_START_MS;
        let stream_id = format!("history-{broadcaster}-{d}");
        let mut at = start;
        while at < start + STREAM_MS && at < now_ms {
            let into = (at - start) as f64 / STREAM_MS as f64;
            let viewers = 200.0 + 30.0 * d as f64 + 250.0 * (into * std::f64::consts::PI).sin();
            out.push(Snapshot {
                stream_id: stream_id.clone(),
                broadcaster_id: broadcaster.to_owned(),
                broadcaster_login: format!("user{broadcaster}"),
                game_id: "509658".into(),
                game_name: "Just Chatting".into(),
                title: "Evening stream".into(),
                language: "en".into(),
                viewer_count: viewers.round() as u64,
                started_at: String::new(),
                tags: vec![],
                polled_at_ms: at,
            });
            at += every_ms;
        }
    }
    out.retain(|s| s.polled_at_ms > now_ms - days * day_ms);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_of_evening_streams_before_now() {
        let now = 1_800_000_000_000;
        let week = history("7", now, 7, 600_000);
        assert!(week
            .iter()
            .all(|s| s.polled_at_ms <= now && s.polled_at_ms > now - 7 * 24 * HOUR_MS));
        let streams: std::collections::BTreeSet<_> = week.iter().map(|s| &s.stream_id).collect();
        assert!(streams.len() >= 7, "{streams:?}");
        assert!(week.len() >= 7 * 25, "{}", week.len());
    }
}
