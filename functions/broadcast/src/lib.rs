//! Fan-out: one new event to every connection watching its streamer.
//!
//! The subscribers come from an index query, a page at a time (never a scan);
//! each page is posted with bounded concurrency through the `@connections`
//! client; a connection that answers 410 Gone is removed with its topics.
//! The Lambda entry (DynamoDB stream batches with partial-batch responses) is
//! the next step; the local stack already calls [`fan_out`] on every commit.

use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use shared::frames;
use shared::push::{PushError, Pusher};
use shared::store::connections::ConnectionStore;
use shared::store::{StoreError, StoredEvent};

/// Posts in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 64;
/// Subscribers read per index query.
pub const PAGE: usize = 1000;

/// What fan-out needs.
pub struct BroadcastState {
    pub connections: Arc<dyn ConnectionStore>,
    pub pusher: Pusher,
    pub concurrency: usize,
}

/// What one fan-out did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FanOut {
    pub delivered: usize,
    /// Connections found gone (410) and removed.
    pub gone: usize,
    /// Posts that failed transiently (worth a retry of the record).
    pub failed: usize,
}

/// Sends `event` to every live connection watching its streamer.
pub async fn fan_out(
    state: &BroadcastState,
    event: &StoredEvent,
    now_ms: i64,
) -> Result<FanOut, StoreError> {
    let frame = frames::event(event, false);
    let mut report = FanOut::default();
    let mut after: Option<String> = None;
    loop {
        let page = state
            .connections
            .subscribers(&event.event.broadcaster_id, after.as_deref(), PAGE, now_ms)
            .await?;
        let results: Vec<(String, Result<(), PushError>)> = stream::iter(page.connection_ids)
            .map(|id| {
                let frame = frame.as_bytes();
                async move {
                    let r = state.pusher.post(&id, frame).await;
                    (id, r)
                }
            })
            .buffer_unordered(state.concurrency.max(1))
            .collect()
            .await;
        for (id, result) in results {
            match result {
                Ok(()) => report.delivered += 1,
                Err(PushError::Gone) => {
                    report.gone += 1;
                    // The stale connection, not the event's sender, goes.
                    if let Err(e) = state.connections.disconnect(&id).await {
                        tracing::warn!(error = %e, connection = %id, "could not remove a gone connection");
                    }
                }
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(error = %e, connection = %id, "post failed");
                }
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(report),
        }
    }
}
