//! Fan-out: one new event to every connection watching its streamer.
//!
//! The subscribers come from an index query, a page at a time (never a scan);
//! each page is posted with bounded concurrency through the `@connections`
//! port ([`Push`]); a connection that answers 410 Gone is removed with its
//! topics. `aws::handle` (feature `aws`) is the Lambda entry: a DynamoDB
//! stream batch of new event items (the event source mapping filters on
//! `INSERT` and `kind = event`), answered with a partial-batch response. The
//! local stack calls [`fan_out`] on every commit of its SQLite store.
//! `day_counts` (feature `aws`) is the stream's second reader, the counting
//! consumer (binary `day_counts`): exact day counts for the keyed put.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "aws")]
pub mod day_counts;

use futures_util::stream::{self, StreamExt};
use shared::config::ConfigError;
use shared::frames;
use shared::push::{Push, PushError};
use shared::store::connections::ConnectionStore;
use shared::store::{StoreError, StoredEvent};

/// Posts in flight at once, unless `BROADCAST_CONCURRENCY` says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// `BROADCAST_CONCURRENCY` (1 to 1024), else [`DEFAULT_CONCURRENCY`].
pub fn concurrency_from_env() -> Result<usize, ConfigError> {
    shared::config::env::optional_parsed(
        "BROADCAST_CONCURRENCY",
        DEFAULT_CONCURRENCY,
        |n| (1..=1024).contains(n),
        "a number from 1 to 1024",
    )
}

/// Subscribers read per index query.
pub const PAGE: usize = 1000;

/// What fan-out needs.
pub struct FanoutState {
    pub connections: Arc<dyn ConnectionStore>,
    pub pusher: Arc<dyn Push>,
    pub concurrency: usize,
    /// Who already got the events whose records await a retry.
    pub served: SentBeforeRetry,
}

/// What one fan-out did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FanOut {
    pub delivered: usize,
    /// Connections found gone (410) and removed.
    pub gone: usize,
    /// Posts that still failed transiently after the in-process retries
    /// (worth a retry of the record).
    pub failed: usize,
    /// Transient failures (throttles, 5xx) met on the way, retried or not.
    pub transient: usize,
}

impl std::ops::AddAssign<&FanOut> for FanOut {
    fn add_assign(&mut self, other: &FanOut) {
        self.delivered += other.delivered;
        self.gone += other.gone;
        self.failed += other.failed;
        self.transient += other.transient;
    }
}

/// The instant a fan-out starts (Unix ms, from the one clock: connections'
/// expiry is measured against it) and how long before it an event received
/// at `received_at_ms` was stored: the lag figure, to the millisecond.
pub fn start(received_at_ms: i64) -> (i64, i64) {
    let now = shared::clock::now_ms();
    (now, now - received_at_ms)
}

/// Sends `event` to every live connection watching its streamer.
///
/// Transient failures (throttled, 5xx) get [`RETRY_BACKOFF_MS`] more tries of
/// just those connections before the record is reported for a retry. When it
/// is reported, the connections already served are remembered, so a retry of
/// the record in this process skips them; a retry elsewhere (a cold Lambda)
/// sends again, and clients drop the duplicate by message id.
pub async fn fan_out(
    state: &FanoutState,
    event: &StoredEvent,
    now_ms: i64,
) -> Result<FanOut, StoreError> {
    // Built when the first subscriber shows up: most events of most streamers
    // have nobody watching, and then the frame is never needed.
    let mut frame: Option<String> = None;
    let key = &event.event.message_id;
    let already = state.served.take(key);
    let mut posted = Posted::default();
    let mut after: Option<String> = None;
    let listed = loop {
        let page = match state
            .connections
            .subscribers(&event.event.broadcaster_id, after.as_deref(), PAGE, now_ms)
            .await
        {
            Ok(page) => page,
            Err(e) => break Err(e),
        };
        if !page.connection_ids.is_empty() {
            let frame = frame.get_or_insert_with(|| frames::event(event, false));
            let fresh = page
                .connection_ids
                .into_iter()
                .filter(|id| !already.contains(id));
            post_all(state, fresh, frame, &mut posted).await;
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break Ok(()),
        }
    };
    for wait in RETRY_BACKOFF_MS {
        if posted.retry.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        let again = std::mem::take(&mut posted.retry);
        let frame = frame.get_or_insert_with(|| frames::event(event, false));
        post_all(state, again.into_iter(), frame, &mut posted).await;
    }
    posted.report.failed = posted.retry.len();
    if listed.is_err() || posted.report.failed > 0 {
        let mut served = already;
        served.extend(posted.served);
        state.served.remember(key, served);
    }
    listed.map(|()| posted.report)
}

/// Pauses before each in-process retry of the connections that failed.
pub const RETRY_BACKOFF_MS: [u64; 2] = [100, 400];

#[derive(Default)]
struct Posted {
    report: FanOut,
    served: Vec<String>,
    retry: Vec<String>,
}

async fn post_all(
    state: &FanoutState,
    ids: impl Iterator<Item = String>,
    frame: &str,
    posted: &mut Posted,
) {
    let results: Vec<(String, Result<(), PushError>)> = stream::iter(ids)
        .map(|id| async move {
            let r = state.pusher.post(&id, frame.as_bytes()).await;
            (id, r)
        })
        .buffer_unordered(state.concurrency.max(1))
        .collect()
        .await;
    for (id, result) in results {
        match result {
            Ok(()) => {
                posted.report.delivered += 1;
                posted.served.push(id);
            }
            Err(PushError::Gone) => {
                posted.report.gone += 1;
                // The stale connection, not the event's sender, goes.
                if let Err(e) = state.connections.disconnect(&id).await {
                    tracing::warn!(error = %e, connection = %id, "could not remove a gone connection");
                }
            }
            // Too large for API Gateway: retrying cannot help.
            Err(e @ PushError::TooLarge(_)) => {
                tracing::warn!(error = %e, connection = %id, "frame refused")
            }
            Err(e) => {
                tracing::warn!(error = %e, connection = %id, "post failed");
                posted.report.transient += 1;
                posted.retry.push(id);
            }
        }
    }
}

/// Connections already served an event whose record was reported for retry,
/// by message id (bounded: the oldest entry goes first).
#[derive(Default)]
pub struct SentBeforeRetry {
    inner: Mutex<SentBeforeRetryInner>,
}

#[derive(Default)]
struct SentBeforeRetryInner {
    by_event: HashMap<String, HashSet<String>>,
    order: VecDeque<String>,
}

/// Events remembered in [`SentBeforeRetry`] at most.
const SERVED_CAP: usize = 256;

impl SentBeforeRetry {
    fn take(&self, message_id: &str) -> HashSet<String> {
        let Ok(mut g) = self.inner.lock() else {
            return HashSet::new();
        };
        let taken = g.by_event.remove(message_id);
        if taken.is_some() {
            g.order.retain(|m| m != message_id);
        }
        taken.unwrap_or_default()
    }

    fn remember(&self, message_id: &str, served: HashSet<String>) {
        let Ok(mut g) = self.inner.lock() else {
            return;
        };
        let SentBeforeRetryInner { by_event, order } = &mut *g;
        if by_event.insert(message_id.to_owned(), served).is_none() {
            order.push_back(message_id.to_owned());
        }
        while order.len() > SERVED_CAP {
            if let Some(old) = order.pop_front() {
                by_event.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_lag_is_in_milliseconds_not_rounded_to_a_second() {
        let before = shared::clock::now_ms();
        let (now, lag) = super::start(before - 1);
        let after = shared::clock::now_ms();
        assert!(
            (before..=after).contains(&now),
            "{before} <= {now} <= {after}"
        );
        assert!((1..=1 + after - before).contains(&lag), "lag {lag} ms");
    }
}
