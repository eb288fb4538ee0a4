//! One poller run.
//!
//! Overlapping runs (a slow `all` poll and the next scheduled one) must not
//! double-write or fight: a run first takes a lease (a conditional write with
//! an expiry a little past Lambda's 15 minutes); a run that cannot take it
//! records "skipped" and stops. Pages of Get Streams are read one after the
//! other (cursors are sequential) at the pace the `Ratelimit-*` headers allow,
//! while earlier pages are written in the background with bounded
//! concurrency. The list moves while it is read (it is sorted by viewers), so
//! streams are deduped by id within a run: a stream can still be missed when
//! it moves up across a page boundary while we read (see docs/poller.md).
//!
//! The run itself is here; `run/feed.rs` puts its transitions in the feed,
//! `run/metrics.rs` turns its status into CloudWatch metrics.

mod feed;
mod metrics;

use shared::clock::now_ms;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use futures_util::{StreamExt, TryStreamExt};
use shared::helix::streams::LiveStream;
use shared::helix::{Helix, HelixError};
use shared::store::snapshots::{LiveState, PollerStatus, Snapshot, SnapshotStore};
use shared::store::streamers::StreamerStore;
use shared::store::{EventStore, StoreError};
use tokio::sync::mpsc;

use crate::live::{decide, Context};
use crate::mode::Mode;
use metrics::emit_metrics;
pub use metrics::run_metrics;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("Twitch: {0}")]
    Twitch(#[from] HelixError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// Snapshot batches written at once, by default.
pub const WRITE_CONCURRENCY: usize = 8;
/// Polls in a row without a live streamer before it is offline, by default.
pub const OFFLINE_AFTER: u32 = 2;
/// How long a run may hold the lease, by default: Lambda's hard limit is 15
/// minutes, and the lease outlives it a little so a killed run's lease cannot
/// be taken while it might still write.
pub const LEASE_MS: i64 = 16 * 60 * 1000;
/// A stream first seen that started longer ago than this gets no "went live"
/// event, by default.
pub const FRESH_FOR_MS: i64 = 10 * 60 * 1000;

/// Everything a run needs.
pub struct Poller {
    pub helix: Arc<Helix>,
    pub snapshots: Arc<dyn SnapshotStore>,
    pub streamers: Arc<dyn StreamerStore>,
    pub events: Arc<dyn EventStore>,
    /// Snapshot batches written at once.
    pub write_concurrency: usize,
    /// Polls in a row without a live streamer before it is offline.
    pub offline_after: u32,
    /// How long a run may hold the lease.
    pub lease_ms: i64,
    /// A stream first seen that started longer ago than this gets no
    /// "went live" event (it was live before we watched).
    pub fresh_for_ms: i64,
}

fn snapshot(s: LiveStream, polled_at_ms: i64) -> Snapshot {
    Snapshot {
        stream_id: s.id,
        broadcaster_id: s.user_id,
        broadcaster_login: s.user_login,
        game_id: s.game_id,
        game_name: s.game_name,
        title: s.title,
        language: s.language,
        viewer_count: s.viewer_count,
        started_at: s.started_at,
        tags: s.tags.unwrap_or_default(),
        polled_at_ms,
    }
}

impl Poller {
    /// A poller over these parts with the default settings
    /// ([`WRITE_CONCURRENCY`], [`OFFLINE_AFTER`], [`LEASE_MS`], [`FRESH_FOR_MS`]).
    pub fn new(
        helix: Arc<Helix>,
        snapshots: Arc<dyn SnapshotStore>,
        streamers: Arc<dyn StreamerStore>,
        events: Arc<dyn EventStore>,
    ) -> Self {
        Self {
            helix,
            snapshots,
            streamers,
            events,
            write_concurrency: WRITE_CONCURRENCY,
            offline_after: OFFLINE_AFTER,
            lease_ms: LEASE_MS,
            fresh_for_ms: FRESH_FOR_MS,
        }
    }

    /// The same poller, writing `n` snapshot batches at once.
    pub fn write_concurrency(mut self, n: usize) -> Self {
        self.write_concurrency = n;
        self
    }

    /// The same poller, holding the lease for `ms` at most.
    pub fn lease_ms(mut self, ms: i64) -> Self {
        self.lease_ms = ms;
        self
    }

    /// The same poller, with a "went live" event only for streams that
    /// started less than `ms` before they were first seen.
    pub fn fresh_for_ms(mut self, ms: i64) -> Self {
        self.fresh_for_ms = ms;
        self
    }

    /// Every tracked streamer id.
    async fn tracked(&self) -> Result<Vec<String>, StoreError> {
        let mut ids = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.streamers.tracked(after.as_deref(), 1000).await?;
            ids.extend(page.ids);
            match page.next {
                Some(n) => after = Some(n),
                None => return Ok(ids),
            }
        }
    }

    /// One run in `mode`. Returns the status it recorded.
    pub async fn run(&self, mode: Mode) -> Result<PollerStatus, PollError> {
        let started = now_ms();
        let clock = Instant::now();
        let mut status = PollerStatus {
            mode: mode.to_string(),
            started_at_ms: started,
            ..Default::default()
        };
        if self.snapshots.poller_status().await?.paused {
            status.outcome = "skipped (paused)".into();
            status.paused = true;
            status.finished_at_ms = now_ms();
            emit_metrics(&status);
            self.snapshots.set_poller_status(&status).await?;
            return Ok(status);
        }
        let owner = uuid::Uuid::new_v4().to_string();
        if !self
            .snapshots
            .acquire_lease(&owner, started, started + self.lease_ms)
            .await?
        {
            // Not recorded as the status: the run holding the lease owns it.
            status.outcome = "skipped (another run holds the lease)".into();
            emit_metrics(&status);
            return Ok(status);
        }
        let waits_before = self.helix.rate_limit_waits();
        let result = self.poll(mode, started, &mut status).await;
        status.duration_ms = clock.elapsed().as_millis() as u64;
        status.throttled_waits = self.helix.rate_limit_waits() - waits_before;
        status.finished_at_ms = now_ms();
        status.outcome = match &result {
            Ok(()) => "ok".into(),
            Err(e) => {
                status.errors.push(e.to_string());
                "failed".into()
            }
        };
        emit_metrics(&status);
        let recorded = self.snapshots.set_poller_status(&status).await;
        self.snapshots.release_lease(&owner).await?;
        recorded?;
        result.map(|()| status)
    }

    async fn poll(
        &self,
        mode: Mode,
        polled_at: i64,
        status: &mut PollerStatus,
    ) -> Result<(), PollError> {
        let tracked = self.tracked().await?;
        let tracked_set: HashSet<&str> = tracked.iter().map(String::as_str).collect();
        // Pages go to a writer while the next ones are fetched.
        // Each page comes with its tracked streamers' snapshots, whose
        // viewer counts are also rolled up (what the viewers route reads).
        let (pages_tx, pages_rx) = mpsc::channel::<(Vec<Snapshot>, Vec<Snapshot>)>(8);
        let store = Arc::clone(&self.snapshots);
        let concurrency = self.write_concurrency.max(1);
        let writer = tokio::spawn(async move {
            tokio_stream_from(pages_rx)
                .map(|(batch, tracked): (Vec<Snapshot>, Vec<Snapshot>)| {
                    let store = Arc::clone(&store);
                    async move {
                        store.put_snapshots(&batch).await?;
                        store.put_viewer_rollups(&tracked).await?;
                        Ok::<u64, StoreError>(batch.len() as u64)
                    }
                })
                .buffer_unordered(concurrency)
                .try_fold(0u64, |n, written| async move { Ok(n + written) })
                .await
        });

        let mut seen_ids: HashSet<String> = HashSet::new();
        let mut seen_tracked: HashMap<String, Snapshot> = HashMap::new();
        let fetched: Result<(), PollError> = async {
            let mut send = |page: Vec<LiveStream>, status: &mut PollerStatus| {
                status.pages += 1;
                let mut batch = Vec::with_capacity(page.len());
                let mut tracked_batch = Vec::new();
                for s in page {
                    if !seen_ids.insert(s.id.clone()) {
                        continue; // drift: seen on an earlier page
                    }
                    let snap = snapshot(s, polled_at);
                    if tracked_set.contains(snap.broadcaster_id.as_str()) {
                        seen_tracked.insert(snap.broadcaster_id.clone(), snap.clone());
                        tracked_batch.push(snap.clone());
                    }
                    batch.push(snap);
                }
                status.streams += batch.len() as u64;
                (batch, tracked_batch)
            };
            match mode {
                Mode::Tracked => {
                    let ids: Vec<&str> = tracked.iter().map(String::as_str).collect();
                    for chunk in ids.chunks(shared::helix::streams::PER_CALL) {
                        let page = self.helix.streams_of(chunk).await?;
                        let batches = send(page, status);
                        if pages_tx.send(batches).await.is_err() {
                            break;
                        }
                    }
                }
                Mode::Top(_) | Mode::All => {
                    let limit = match mode {
                        Mode::Top(n) => n,
                        _ => usize::MAX,
                    };
                    let mut pages = std::pin::pin!(self.helix.all_streams(100));
                    while let Some(page) = pages.next().await {
                        let (mut batch, mut tracked) = send(page?, status);
                        let over = (status.streams as usize).saturating_sub(limit);
                        batch.truncate(batch.len() - over.min(batch.len()));
                        tracked.retain(|t| {
                            batch.iter().any(|s| {
                                s.polled_at_ms == t.polled_at_ms && s.stream_id == t.stream_id
                            })
                        });
                        status.streams -= over as u64;
                        let done = status.streams as usize >= limit;
                        if pages_tx.send((batch, tracked)).await.is_err() || done {
                            break;
                        }
                    }
                }
            }
            Ok(())
        }
        .await;
        drop(pages_tx);
        let written = writer
            .await
            .map_err(|e| StoreError::Unavailable(format!("snapshot writer: {e}")))??;
        status.snapshots_written = written;
        fetched?;

        // Who is live, for the tracked streamers only.
        let previous: HashMap<String, LiveState> = self
            .snapshots
            .live_states(&tracked)
            .await?
            .into_iter()
            .map(|s| (s.broadcaster_id.clone(), s))
            .collect();
        // EventSub's stream.offline is authoritative: a live streamer this
        // poll did not see goes offline now, in every mode and without the
        // debounce, when Twitch said so since it went live.
        let mut told_offline = HashSet::new();
        for p in previous.values() {
            if p.live
                && !seen_tracked.contains_key(&p.broadcaster_id)
                && self
                    .eventsub_said_offline(&p.broadcaster_id, p.changed_at_ms)
                    .await?
            {
                told_offline.insert(p.broadcaster_id.clone());
            }
        }
        let ctx = Context {
            absence_is_offline: mode.sees_everyone(),
            offline_after: self.offline_after,
            told_offline,
            fresh_for_ms: self.fresh_for_ms,
        };
        let (mut states, transitions) = decide(&tracked, &seen_tracked, &previous, &ctx, polled_at);
        // Streamers released while live would stay "live" for ever.
        let mut after: Option<String> = None;
        loop {
            let page = self.snapshots.live_now(after.as_deref(), 1000).await?;
            for s in page.states {
                if !tracked_set.contains(s.broadcaster_id.as_str()) {
                    states.push(LiveState {
                        live: false,
                        changed_at_ms: polled_at,
                        ..s
                    });
                }
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        self.snapshots.put_live_states(&states).await?;
        for t in transitions {
            if self.record(&t, polled_at).await? {
                status.transitions += 1;
            }
        }
        Ok(())
    }
}

/// A stream over an mpsc receiver.
fn tokio_stream_from<T: Send + 'static>(
    rx: mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> {
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) })
}
