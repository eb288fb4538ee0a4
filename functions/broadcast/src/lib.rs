//! Fan-out: one new event to every connection watching its streamer.
//!
//! The subscribers come from an index query, a page at a time (never a scan);
//! each page is posted with bounded concurrency through the `@connections`
//! client; a connection that answers 410 Gone is removed with its topics.
//! [`handle`] is the Lambda entry: a DynamoDB stream batch of new event items
//! (the event source mapping filters on `INSERT` and `kind = event`), answered
//! with a partial-batch response. The local stack calls [`fan_out`] on every
//! commit of its SQLite store.

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event as StreamBatch;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use shared::config::ConfigError;
use shared::store::dynamo::{event_from_stream_image, DynamoConnectionStore, DynamoStore};

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

impl BroadcastState {
    /// The Lambda's state: `CONNECTIONS_TABLE` and `WEBSOCKET_ENDPOINT`.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let var = |name: &'static str| std::env::var(name).map_err(|_| ConfigError::Missing(name));
        let table = var("CONNECTIONS_TABLE")?;
        let endpoint = var("WEBSOCKET_ENDPOINT")?;
        Ok(Self {
            connections: Arc::new(DynamoConnectionStore::new(
                DynamoStore::client_from_env().await,
                table,
            )),
            pusher: Pusher::new(&endpoint).await,
            concurrency: DEFAULT_CONCURRENCY,
        })
    }
}

/// Fans out every new event in a stream batch. A record whose fan-out failed
/// transiently is reported, and processing stops there: Lambda retries from
/// the first reported record, so the ones after it come again anyway (clients
/// drop what they already have by message id). Items that are not events are
/// skipped, never retried.
pub async fn handle(state: &BroadcastState, batch: StreamBatch) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in batch.records {
        if record.event_name != "INSERT" {
            continue;
        }
        let image = serde_json::to_value(&record.change.new_image).unwrap_or_default();
        let event = match event_from_stream_image(&image) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "skipped a stream record that is not an event");
                continue;
            }
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let retry = match fan_out(state, &event, now).await {
            Ok(report) => report.failed > 0,
            Err(e) => {
                tracing::error!(error = %e, "could not read subscribers");
                true
            }
        };
        if retry {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
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
