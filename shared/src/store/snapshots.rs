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

    /// Adds each snapshot's viewer count to its streamer's roll-up (the
    /// poller calls it for tracked streamers), which `viewer_series` reads
    /// instead of the snapshots. Not built yet: nothing is recorded.
    async fn put_viewer_rollups(&self, _snapshots: &[Snapshot]) -> Result<(), StoreError> {
        Ok(())
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
    /// without a poll (offline) are left out.
    async fn viewer_series(
        &self,
        broadcaster_id: &str,
        from_ms: i64,
        to_ms: i64,
        bucket_ms: i64,
    ) -> Result<Vec<ViewerPoint>, StoreError> {
        let bucket_ms = bucket_ms.max(1);
        let mut out: Vec<ViewerPoint> = Vec::new();
        let mut from = from_ms;
        loop {
            let page = self
                .snapshots(broadcaster_id, from, to_ms, SERIES_PAGE)
                .await?;
            for s in &page {
                let at_ms = from_ms + (s.polled_at_ms - from_ms).div_euclid(bucket_ms) * bucket_ms;
                match out.last_mut() {
                    Some(p) if p.at_ms == at_ms => {
                        p.viewers = p.viewers.max(s.viewer_count);
                        p.polls += 1;
                    }
                    _ => out.push(ViewerPoint {
                        at_ms,
                        viewers: s.viewer_count,
                        polls: 1,
                    }),
                }
            }
            match page.last() {
                Some(last) if page.len() == SERIES_PAGE && last.polled_at_ms < to_ms => {
                    from = last.polled_at_ms + 1;
                }
                _ => return Ok(out),
            }
        }
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
