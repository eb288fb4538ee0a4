//! The Lambda's wiring: its state from the environment (DynamoDB and the
//! `@connections` client) and its entry, a DynamoDB stream batch.

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event as StreamBatch;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use shared::config::{env, ConfigError};
use shared::push::Pusher;
use shared::store::dynamo::{event_from_stream_image, DynamoConnectionStore, DynamoStore};

use crate::{concurrency_from_env, fan_out, FanoutState, Served};

/// The Lambda's state: `CONNECTIONS_TABLE`, `WEBSOCKET_ENDPOINT` and
/// `BROADCAST_CONCURRENCY`.
pub async fn state_from_env() -> Result<FanoutState, ConfigError> {
    let table = env::required("CONNECTIONS_TABLE")?;
    let endpoint = env::required("WEBSOCKET_ENDPOINT")?;
    Ok(FanoutState {
        connections: Arc::new(DynamoConnectionStore::new(
            DynamoStore::client_from_env().await,
            table,
        )),
        pusher: Arc::new(Pusher::new(&endpoint).await),
        concurrency: concurrency_from_env()?,
        served: Served::default(),
    })
}

/// Fans out every new event in a stream batch. A record whose fan-out failed
/// transiently is reported, and processing stops there: Lambda retries from
/// the first reported record, so the ones after it come again anyway (clients
/// drop what they already have by message id). Items that are not events are
/// skipped, never retried.
pub async fn handle(state: &FanoutState, batch: StreamBatch) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in batch.records {
        if record.event_name != "INSERT" {
            continue;
        }
        let event = match event_from_stream_image(&record.change.new_image) {
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
