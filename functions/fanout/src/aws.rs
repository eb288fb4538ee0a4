//! The Lambda's wiring: its state from the environment (DynamoDB and the
//! `@connections` client) and its entry, a DynamoDB stream batch.

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event as StreamBatch;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use shared::config::{env, ConfigError};
use shared::push::Pusher;
use shared::store::dynamo::{event_from_stream_image, DynamoConnectionStore, DynamoStore};

use crate::{concurrency_from_env, fan_out, start, FanOut, FanoutState, SentBeforeRetry};

/// The Lambda's state: `CONNECTIONS_TABLE`, `WEBSOCKET_ENDPOINT` and
/// `BROADCAST_CONCURRENCY`.
pub async fn state_from_env() -> Result<FanoutState, ConfigError> {
    let table = env::required("CONNECTIONS_TABLE")?;
    let endpoint = env::required("WEBSOCKET_ENDPOINT")?;
    Ok(FanoutState {
        connections: Arc::new(DynamoConnectionStore::new(
            DynamoStore::client_from_env().await?,
            table,
        )),
        pusher: Arc::new(Pusher::new(shared::aws::sdk_config().await?, &endpoint)),
        concurrency: concurrency_from_env()?,
        served: SentBeforeRetry::default(),
    })
}

/// Fans out every new event in a stream batch. A record whose fan-out failed
/// transiently is reported, and processing stops there: Lambda retries from
/// the first reported record, so the ones after it come again anyway (clients
/// drop what they already have by message id). Items that are not events are
/// skipped, never retried.
pub async fn handle(state: &FanoutState, batch: StreamBatch) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    let mut batch_tally = BatchTally::default();
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
        let (now, lag) = start(event.event.received_at_ms);
        let retry = match fan_out(state, &event, now).await {
            Ok(report) => {
                batch_tally.add(&report, lag);
                report.failed > 0
            }
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
    batch_tally.emit();
    response
}

/// What a batch did, for one metrics line.
#[derive(Default)]
struct BatchTally {
    events: u64,
    sum: FanOut,
    /// Of the events fanned out, the oldest when its last frame went out.
    max_age_ms: i64,
}

impl BatchTally {
    fn add(&mut self, r: &FanOut, age_ms: i64) {
        self.events += 1;
        self.sum += r;
        self.max_age_ms = self.max_age_ms.max(age_ms);
    }

    fn emit(&self) {
        use shared::metrics::{count, emit, Metric, Unit};
        if self.events == 0 {
            return;
        }
        let s = &self.sum;
        emit(
            "fanout",
            &[],
            &[
                count("Events", self.events),
                count("Posts", s.delivered as u64),
                count("Gone", s.gone as u64),
                count("TransientFailures", s.transient as u64),
                count("PostsFailed", s.failed as u64),
                Metric {
                    name: "EventAge",
                    value: self.max_age_ms.max(0) as f64,
                    unit: Unit::Milliseconds,
                },
            ],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_tally_sums_posts_and_keeps_the_oldest_age() {
        let mut t = BatchTally::default();
        let r = |delivered, gone, failed, transient| FanOut {
            delivered,
            gone,
            failed,
            transient,
        };
        t.add(&r(3, 1, 0, 2), 40);
        t.add(&r(5, 0, 1, 1), 900);
        t.add(&r(0, 0, 0, 0), 10);
        assert_eq!((t.events, t.max_age_ms), (3, 900));
        assert_eq!(t.sum, r(8, 1, 1, 3));
    }
}
