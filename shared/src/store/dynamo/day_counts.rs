//! Exact day counts kept from the events table's stream (the counting
//! consumer's work; `functions/fanout`'s `day-counts` binary is its Lambda).
//!
//! The keyed put stores an event without touching its counter; this consumer
//! counts every new-shape event `INSERT` into today's counter items
//! (`CNT#<broadcaster>` / `<day>#<type>`, unchanged, so reads are unchanged).
//! Pre-switch inserts (pk `EV#…`, no `feed`) were counted by their own
//! transaction and are skipped, as is every other item.
//!
//! Exactly once per stream record: a batch is counted in chunks of
//! consecutive records, each chunk one transaction of a *chunk mark*
//! (`CNTB#<eventID of its first record>`, `last` = its last sequence number,
//! put only if absent) and the `ADD` to each counter it touches. A chunk is
//! counted whole or not at all. A replay (Lambda retries a failed batch from
//! its first record, the event source mapping having no bisect and no
//! partial-batch response) finds the mark of its first record, skips the
//! records up to `last`, and goes on from the next one, whose own mark (if a
//! later chunk was counted before the crash) does the same. The stream keeps
//! records 24 hours, so marks expire after two days.

use std::collections::BTreeMap;

use aws_lambda_events::dynamodb::EventRecord;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

use super::{n, number, s, sdk_error, stream_item, text, unavailable, DynamoStore};
use crate::store::{day_of, StoreError};

/// Counters one transaction may touch beside its chunk mark (DynamoDB's
/// limit is 100 items per transaction).
const COUNTERS_PER_CHUNK: usize = 99;

/// How long a chunk mark outlives its batch: twice the stream's retention.
const MARK_SECONDS: i64 = 2 * 24 * 3600;

/// Attempts of one chunk's transaction while other chunks (other shards)
/// hold its counters; then the batch fails and Lambda retries it.
const CONFLICT_ATTEMPTS: u32 = 5;

/// What one batch did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// New-shape event inserts counted now.
    pub counted: usize,
    /// Inserts a previous attempt of this batch counted already.
    pub already: usize,
    /// Records that are not new-shape event inserts (or could not be read:
    /// logged as errors).
    pub skipped: usize,
}

/// One record to count: where it is in its shard and which counter it adds to.
struct Insert {
    event_id: String,
    sequence: String,
    counter: (String, String),
    expires_at: i64,
}

/// The counter a record adds to, if it is a new-shape event insert.
fn insert_of(record: &EventRecord) -> Result<Option<Insert>, StoreError> {
    if record.event_name != "INSERT" {
        return Ok(None);
    }
    let item = stream_item(&record.change.new_image);
    if text(&item, "kind").as_deref() != Some("event") || !item.contains_key("feed") {
        return Ok(None);
    }
    let field = |key: &str| {
        text(&item, key)
            .ok_or_else(|| StoreError::Corrupt(format!("event image lacks string {key}")))
    };
    let received = number(&item, "received_at")
        .ok_or_else(|| StoreError::Corrupt("event image lacks received_at".into()))?;
    let sequence = record
        .change
        .sequence_number
        .clone()
        .ok_or_else(|| StoreError::Corrupt("stream record lacks a sequence number".into()))?;
    Ok(Some(Insert {
        event_id: record.event_id.clone(),
        sequence,
        counter: (
            format!("CNT#{}", field("broadcaster_id")?),
            format!("{}#{}", day_of(received), field("event_type")?),
        ),
        expires_at: number(&item, "expires_at").unwrap_or(0),
    }))
}

/// Whether stream sequence number `a` comes after `b` (decimal strings of
/// varying length, so compared as numbers).
fn after(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

/// Per counter key (pk, sk) of a chunk: how many to add, and the expiry.
type ChunkCounts<'a> = BTreeMap<&'a (String, String), (i64, i64)>;

/// The longest run from the front of `inserts` that touches at most
/// [`COUNTERS_PER_CHUNK`] counters: its length and its counts.
fn chunk(inserts: &[Insert]) -> (usize, ChunkCounts<'_>) {
    let mut counters = ChunkCounts::new();
    let mut len = 0;
    for insert in inserts {
        if !counters.contains_key(&insert.counter) && counters.len() == COUNTERS_PER_CHUNK {
            break;
        }
        let entry = counters.entry(&insert.counter).or_default();
        entry.0 += 1;
        entry.1 = entry.1.max(insert.expires_at);
        len += 1;
    }
    (len, counters)
}

/// What one chunk's transaction did.
enum Outcome {
    Counted,
    /// Its mark exists: counted before, up to this sequence number.
    Marked,
    Conflict,
}

impl DynamoStore {
    /// Counts a stream batch's new-shape event inserts exactly once, however
    /// often the batch is replayed (see the module doc). An error means
    /// "retry the batch": what was counted stays counted, once.
    pub async fn count_stream_batch(&self, records: &[EventRecord]) -> Result<Tally, StoreError> {
        let mut tally = Tally::default();
        let mut inserts = Vec::with_capacity(records.len());
        for record in records {
            match insert_of(record) {
                Ok(Some(insert)) => inserts.push(insert),
                Ok(None) => tally.skipped += 1,
                // A record no retry can count must not hold up the ones
                // after it (the mapping retries without end): said, skipped.
                Err(e) => {
                    tracing::error!(error = %e, event_id = %record.event_id, "uncountable stream record skipped");
                    tally.skipped += 1;
                }
            }
        }
        let mut rest = &inserts[..];
        let mut conflicts = 0;
        while let Some(first) = rest.first() {
            let (len, counters) = chunk(rest);
            let last = &rest[len - 1].sequence;
            match self.count_chunk(&first.event_id, last, &counters).await? {
                Outcome::Counted => {
                    tally.counted += len;
                    rest = &rest[len..];
                }
                Outcome::Marked => {
                    let done = self.chunk_last(&first.event_id).await?;
                    let skip = rest
                        .iter()
                        .take_while(|i| !after(&i.sequence, &done))
                        .count();
                    if skip == 0 {
                        return Err(StoreError::Corrupt(format!(
                            "chunk mark of {} ends before its first record",
                            first.event_id
                        )));
                    }
                    tally.already += skip;
                    rest = &rest[skip..];
                }
                Outcome::Conflict => {
                    conflicts += 1;
                    if conflicts >= CONFLICT_ATTEMPTS {
                        return Err(StoreError::Unavailable(
                            "day counters kept conflicting; retry the batch".into(),
                        ));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20 << conflicts)).await;
                }
            }
        }
        Ok(tally)
    }

    /// One transaction: the chunk mark (only if absent) and each counter's ADD.
    async fn count_chunk(
        &self,
        first_event_id: &str,
        last_sequence: &str,
        counters: &ChunkCounts<'_>,
    ) -> Result<Outcome, StoreError> {
        let table = &self.events_table;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mark = Put::builder()
            .table_name(table)
            .item("pk", s(format!("CNTB#{first_event_id}")))
            .item("sk", s("-"))
            .item("kind", s("count-chunk"))
            .item("last", s(last_sequence))
            .item("expires_at", n(now + MARK_SECONDS))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(unavailable)?;
        let mut items = vec![TransactWriteItem::builder().put(mark).build()];
        for ((pk, sk), (count, expires_at)) in counters {
            let update = Update::builder()
                .table_name(table)
                .key("pk", s(pk))
                .key("sk", s(sk))
                .update_expression("ADD #count :n SET expires_at = :exp, kind = :kind")
                .expression_attribute_names("#count", "count")
                .expression_attribute_values(":n", n(*count))
                .expression_attribute_values(":exp", n(*expires_at))
                .expression_attribute_values(":kind", s("counter"))
                .build()
                .map_err(unavailable)?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Outcome::Counted),
            Err(e) => {
                if let Some(TransactWriteItemsError::TransactionCanceledException(c)) =
                    e.as_service_error()
                {
                    let codes: Vec<&str> = c
                        .cancellation_reasons()
                        .iter()
                        .filter_map(|r| r.code())
                        .collect();
                    if codes.first() == Some(&"ConditionalCheckFailed") {
                        return Ok(Outcome::Marked);
                    }
                    if codes.contains(&"TransactionConflict") {
                        return Ok(Outcome::Conflict);
                    }
                }
                Err(sdk_error(e))
            }
        }
    }

    /// The last sequence number the chunk starting at `first_event_id` counted.
    async fn chunk_last(&self, first_event_id: &str) -> Result<String, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.events_table)
            .key("pk", s(format!("CNTB#{first_event_id}")))
            .key("sk", s("-"))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        out.item()
            .and_then(|item| text(item, "last"))
            .ok_or_else(|| {
                StoreError::Corrupt(format!("chunk mark of {first_event_id} lacks last"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::{after, insert_of};
    use aws_lambda_events::dynamodb::EventRecord;
    use serde_json::json;

    fn record(name: &str, image: serde_json::Value) -> EventRecord {
        serde_json::from_value(json!({
            "eventID": "e1", "awsRegion": "us-east-1", "eventSource": "aws:dynamodb",
            "eventName": name,
            "dynamodb": {"NewImage": image, "SequenceNumber": "100", "SizeBytes": 1},
        }))
        .unwrap()
    }

    #[test]
    fn only_new_shape_event_inserts_are_counted() {
        let new = json!({
            "kind": {"S": "event"}, "feed": {"S": "EV#1"}, "broadcaster_id": {"S": "1"},
            "event_type": {"S": "channel.follow"}, "received_at": {"N": "0"},
        });
        let counted = insert_of(&record("INSERT", new.clone())).unwrap().unwrap();
        assert_eq!(
            counted.counter,
            ("CNT#1".into(), "1970-01-01#channel.follow".into())
        );
        assert!(insert_of(&record("MODIFY", new)).unwrap().is_none());
        // Pre-switch: counted by its transaction; a mark; a counter.
        let old = json!({"kind": {"S": "event"}, "pk": {"S": "EV#1"}});
        assert!(insert_of(&record("INSERT", old)).unwrap().is_none());
        let mark = json!({"kind": {"S": "dedupe"}});
        assert!(insert_of(&record("INSERT", mark)).unwrap().is_none());
    }

    #[test]
    fn an_event_insert_without_its_fields_is_an_error_not_a_guess() {
        let broken = json!({"kind": {"S": "event"}, "feed": {"S": "EV#1"}});
        assert!(insert_of(&record("INSERT", broken)).is_err());
    }

    #[test]
    fn sequence_numbers_compare_as_numbers_not_text() {
        assert!(after("1000", "999"));
        assert!(!after("999", "1000"));
        assert!(!after("111", "111"));
        assert!(after("300000000000000499660", "300000000000000499659"));
    }
}
