//! Live streams as the poller sees them: snapshots per stream per poll, who
//! is live now, and the poller's own control records (lease, pause, status).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::StoreError;

/// One live stream at one poll.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub stream_id: String,
    pub broadcaster_id: String,
    pub broadcaster_login: String,
    pub game_id: String,
    pub game_name: String,
    pub title: String,
    pub language: String,
    pub viewer_count: u64,
    /// RFC 3339, as Helix gives it.
    pub started_at: String,
    pub tags: Vec<String>,
    pub polled_at_ms: i64,
}

/// Whether a streamer is live, as last decided (poller or EventSub).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveState {
    pub broadcaster_id: String,
    pub login: String,
    pub live: bool,
    /// The current (or last) stream.
    pub stream_id: String,
    pub started_at: String,
    pub viewer_count: u64,
    pub game_name: String,
    pub title: String,
    /// When `live` last flipped.
    pub changed_at_ms: i64,
    /// Last poll that saw it live.
    pub last_seen_ms: i64,
    /// Polls in a row that did not see it while it was live (debounce).
    pub misses: u32,
}

/// What the last poller run did, and whether polling is paused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollerStatus {
    pub paused: bool,
    pub mode: String,
    pub started_at_ms: i64,
    pub finished_at_ms: i64,
    pub pages: u64,
    pub streams: u64,
    pub snapshots_written: u64,
    pub duration_ms: u64,
    pub throttled_waits: u64,
    pub transitions: u64,
    pub errors: Vec<String>,
    /// `ok`, `skipped (paused)`, `skipped (another run holds the lease)`, `failed`.
    pub outcome: String,
}

/// A streamer's viewers in one bucket of time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerPoint {
    /// Where the bucket starts (Unix ms).
    pub at_ms: i64,
    /// The highest viewer count polled in the bucket: a raid's jump shows
    /// even when the bucket spans many polls.
    pub viewers: u64,
    /// Polls in the bucket.
    pub polls: u32,
}

/// Snapshots read at once while a series is built.
const SERIES_PAGE: usize = 1000;

/// Polls (`polled_at_ms`, viewers, oldest first) as one point per bucket
/// of `bucket_ms` starting at `from_ms`: the highest count and how many polls.
fn buckets(polls: &[(i64, u64)], from_ms: i64, bucket_ms: i64) -> Vec<ViewerPoint> {
    let bucket_ms = bucket_ms.max(1);
    let mut out: Vec<ViewerPoint> = Vec::new();
    for &(polled_at_ms, viewers) in polls {
        let at_ms = from_ms + (polled_at_ms - from_ms).div_euclid(bucket_ms) * bucket_ms;
        match out.last_mut() {
            Some(p) if p.at_ms == at_ms => {
                p.viewers = p.viewers.max(viewers);
                p.polls += 1;
            }
            _ => out.push(ViewerPoint {
                at_ms,
                viewers,
                polls: 1,
            }),
        }
    }
    out
}

/// A roll-up's span: one record per streamer per hour (60 polls at the
/// default schedule, under 1 KB in DynamoDB: one write unit per poll).
pub const ROLLUP_MS: i64 = 3_600_000;

/// One page of live streamers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LivePage {
    pub states: Vec<LiveState>,
    /// Pass back for the next page; `None` after the last.
    pub next: Option<String>,
}

/// Snapshots, live states and the poller's control records.
#[async_trait]
pub trait SnapshotStore: Send + Sync {
    /// Stores snapshots; writing the same (streamer, poll, stream) again
    /// overwrites it. Returns only once every one is stored.
    async fn put_snapshots(&self, snapshots: &[Snapshot]) -> Result<(), StoreError>;

    /// Adds each snapshot's viewer count to its streamer's roll-up: one
    /// record per streamer per hour holding every poll's count, which
    /// `viewer_series` reads instead of the snapshots (the poller calls it
    /// for tracked streamers). Writing the same poll again overwrites it.
    /// A store without roll-ups records nothing.
    async fn put_viewer_rollups(&self, _snapshots: &[Snapshot]) -> Result<(), StoreError> {
        Ok(())
    }

    /// The polls rolled up for a streamer in `[from_ms, to_ms]`, as
    /// (`polled_at_ms`, viewers), oldest first.
    async fn rolled_up_viewers(
        &self,
        _broadcaster_id: &str,
        _from_ms: i64,
        _to_ms: i64,
    ) -> Result<Vec<(i64, u64)>, StoreError> {
        Ok(Vec::new())
    }

    /// A streamer's snapshots polled in `[from_ms, to_ms]`, oldest first.
    async fn snapshots(
        &self,
        broadcaster_id: &str,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Snapshot>, StoreError>;

    /// A streamer's viewers in `[from_ms, to_ms]`, one point per bucket of
    /// `bucket_ms` (buckets start at `from_ms`), oldest first; buckets
    /// without a poll (offline) are left out. Read from the roll-ups, and
    /// from the snapshots only before the first rolled-up poll of the window
    /// (a streamer not tracked then, or polls older than the roll-ups).
    async fn viewer_series(
        &self,
        broadcaster_id: &str,
        from_ms: i64,
        to_ms: i64,
        bucket_ms: i64,
    ) -> Result<Vec<ViewerPoint>, StoreError> {
        let rolled = self
            .rolled_up_viewers(broadcaster_id, from_ms, to_ms)
            .await?;
        let raw_to = rolled.first().map_or(to_ms, |(at, _)| at - 1);
        let mut polls: Vec<(i64, u64)> = Vec::new();
        // Snapshots past retention may linger until TTL deletes them: the
        // store skips them, but reading them would still be billed.
        let keep_ms = crate::config::snapshot_retention_s() * 1000;
        let now_ms = crate::clock::now_ms();
        let mut from = from_ms.max(now_ms - keep_ms);
        while from <= raw_to {
            let page = self
                .snapshots(broadcaster_id, from, raw_to, SERIES_PAGE)
                .await?;
            polls.extend(page.iter().map(|s| (s.polled_at_ms, s.viewer_count)));
            match page.last() {
                Some(last) if page.len() == SERIES_PAGE => from = last.polled_at_ms + 1,
                _ => break,
            }
        }
        polls.extend(rolled);
        Ok(buckets(&polls, from_ms, bucket_ms))
    }

    /// The live state of one streamer.
    async fn live_state(&self, broadcaster_id: &str) -> Result<Option<LiveState>, StoreError>;

    /// The live states of several streamers (absent ones are left out).
    async fn live_states(&self, broadcaster_ids: &[String]) -> Result<Vec<LiveState>, StoreError>;

    /// Stores live states.
    async fn put_live_states(&self, states: &[LiveState]) -> Result<(), StoreError>;

    /// Streamers live now, by id, a page at a time.
    async fn live_now(&self, after: Option<&str>, limit: usize) -> Result<LivePage, StoreError>;

    /// Takes the poller's lease for `owner` until `until_ms`, unless someone
    /// else holds an unexpired one. True when taken.
    async fn acquire_lease(
        &self,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Gives the lease back (only if `owner` holds it).
    async fn release_lease(&self, owner: &str) -> Result<(), StoreError>;

    /// The poller's status (a default one before the first run).
    async fn poller_status(&self) -> Result<PollerStatus, StoreError>;

    /// Records a run's status (keeps the pause flag as it is).
    async fn set_poller_status(&self, status: &PollerStatus) -> Result<(), StoreError>;

    /// Pauses or resumes polling.
    async fn set_paused(&self, paused: bool) -> Result<(), StoreError>;
}
