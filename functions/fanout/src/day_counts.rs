//! The counting consumer's Lambda wiring: the events table's stream, second
//! reader after the fan-out, counting new events into the day counters
//! exactly once (`shared::store::dynamo::day_counts`). Its event source
//! mapping has no age limit, unlimited retries, no bisect and no partial
//! response: a failed batch is retried whole, from its first record, until it
//! is counted, so a count is late at worst.

use aws_lambda_events::dynamodb::Event as StreamBatch;
use shared::config::{ConfigError, Retention};
use shared::store::dynamo::day_counts::Tally;
use shared::store::dynamo::{DynamoStore, Tables};
use shared::store::StoreError;

/// The consumer's store: `EVENTS_TABLE`, `SUBSCRIPTIONS_TABLE`, `EVENT_RETENTION_DAYS`.
pub async fn store_from_env() -> Result<DynamoStore, ConfigError> {
    Ok(DynamoStore::new(
        DynamoStore::client_from_env().await?,
        Tables::from_env()?,
        Retention::from_env()?,
    ))
}

/// Counts one batch; an error fails the invocation, and Lambda retries the
/// whole batch (what was counted stays counted once).
pub async fn handle(store: &DynamoStore, batch: StreamBatch) -> Result<Tally, StoreError> {
    let tally = store.count_stream_batch(&batch.records).await?;
    tracing::info!(
        counted = tally.counted,
        already = tally.already,
        skipped = tally.skipped,
        "day counts"
    );
    Ok(tally)
}
