//! `EventStore` on DynamoDB: item mapping, the once-only transaction, queries.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};

use super::{
    n, number, query_all, s, sdk_error, stream_item, text, unavailable, DynamoStore, Item,
};
use crate::eventsub::summary::Summary;
use crate::store::{
    day_of, page_size, Appended, Cursor, DailyCount, Event, EventStore, Page, Recovery, StoreError,
    StoredEvent,
};

fn feed_pk(broadcaster_id: &str) -> String {
    format!("EV#{broadcaster_id}")
}

fn event_item(event: &Event, cursor: &Cursor, expires_at: i64) -> Item {
    let mut item = Item::from([
        ("pk".into(), s(feed_pk(&event.broadcaster_id))),
        ("sk".into(), s(cursor.sort_key())),
        ("kind".into(), s("event")),
        ("message_id".into(), s(&event.message_id)),
        ("broadcaster_id".into(), s(&event.broadcaster_id)),
        ("event_type".into(), s(&event.event_type)),
        ("event_version".into(), s(&event.event_version)),
        ("subscription_id".into(), s(&event.subscription_id)),
        ("received_at".into(), n(event.received_at_ms)),
        ("payload".into(), s(&event.payload)),
        ("expires_at".into(), n(expires_at)),
    ]);
    if let Some(recovery) = &event.recovery {
        item.insert("recovered_from".into(), s(&recovery.source));
        item.insert(
            "time_exact".into(),
            AttributeValue::Bool(recovery.time_exact),
        );
    }
    if let Some(summary) = &event.summary {
        item.insert("action".into(), s(&summary.action));
        item.insert("text".into(), s(&summary.text));
        if let Some(actor) = &summary.actor {
            item.insert("actor".into(), s(actor));
        }
        if let Some(amount) = summary.amount {
            item.insert("amount".into(), n(amount));
        }
    }
    item
}

/// A string every event item has.
fn required(item: &Item, key: &str) -> Result<String, StoreError> {
    text(item, key).ok_or_else(|| StoreError::Corrupt(format!("event item lacks string {key}")))
}

fn from_item(item: &Item) -> Result<StoredEvent, StoreError> {
    let summary = match item.get("action") {
        None => None,
        Some(_) => Some(Summary {
            actor: text(item, "actor"),
            action: required(item, "action")?,
            amount: number(item, "amount"),
            text: required(item, "text")?,
        }),
    };
    // A delivered event's item has neither attribute.
    let recovery = text(item, "recovered_from").map(|source| Recovery {
        source,
        time_exact: matches!(item.get("time_exact"), Some(AttributeValue::Bool(true))),
    });
    Ok(StoredEvent {
        cursor: Cursor::from_sort_key(required(item, "sk")?),
        event: Event {
            message_id: required(item, "message_id")?,
            broadcaster_id: required(item, "broadcaster_id")?,
            event_type: required(item, "event_type")?,
            event_version: required(item, "event_version")?,
            subscription_id: required(item, "subscription_id")?,
            received_at_ms: number(item, "received_at")
                .ok_or_else(|| StoreError::Corrupt("event item lacks received_at".into()))?,
            summary,
            payload: required(item, "payload")?,
            recovery,
        },
    })
}

/// The event in a DynamoDB stream record's new image (as the broadcast
/// Lambda receives it); other items (marks, counters) are refused.
pub fn event_from_stream_image(image: &serde_dynamo::Item) -> Result<StoredEvent, StoreError> {
    let item = stream_item(image);
    if text(&item, "kind").as_deref() != Some("event") {
        return Err(StoreError::Corrupt(
            "stream image is not an event item".into(),
        ));
    }
    from_item(&item)
}

/// A conditional put of a dedupe mark: fails the transaction if it exists.
fn mark(table: &str, pk: String, expires_at: i64) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .item("pk", s(pk))
        .item("sk", s("-"))
        .item("kind", s("dedupe"))
        .item("expires_at", n(expires_at))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(unavailable)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// Outcome of one transaction attempt.
enum Attempt {
    Done(Appended),
    Conflict,
}

impl DynamoStore {
    async fn try_append(
        &self,
        event: &Event,
        semantic_key: Option<&str>,
    ) -> Result<Attempt, StoreError> {
        let table = &self.events_table;
        let expires_at = event.received_at_ms / 1000 + self.retention.seconds();
        let cursor = Cursor::of(event);
        // One mark: a semantic key is computed from the payload, which a
        // retry repeats, so it catches retries as the message id would (and
        // other message ids of the same happening too); a second mark would
        // cost 2 more write units and catch nothing more.
        let dedupe = match semantic_key {
            Some(key) => format!("SEM#{key}"),
            None => format!("MSG#{}", event.message_id),
        };
        let mut items = vec![mark(table, dedupe, expires_at)?];
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(event_item(event, &cursor, expires_at)))
            .build()
            .map_err(unavailable)?;
        items.push(TransactWriteItem::builder().put(put).build());
        let count = Update::builder()
            .table_name(table)
            .key("pk", s(format!("CNT#{}", event.broadcaster_id)))
            .key(
                "sk",
                s(format!(
                    "{}#{}",
                    day_of(event.received_at_ms),
                    event.event_type
                )),
            )
            .update_expression("ADD #count :one SET expires_at = :exp, kind = :kind")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(expires_at))
            .expression_attribute_values(":kind", s("counter"))
            .build()
            .map_err(unavailable)?;
        items.push(TransactWriteItem::builder().update(count).build());

        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Attempt::Done(Appended::Stored(cursor))),
            Err(e) => {
                if let Some(TransactWriteItemsError::TransactionCanceledException(c)) =
                    e.as_service_error()
                {
                    let codes: Vec<&str> = c
                        .cancellation_reasons()
                        .iter()
                        .filter_map(|r| r.code())
                        .collect();
                    if codes.contains(&"ConditionalCheckFailed") {
                        return Ok(Attempt::Done(Appended::Duplicate));
                    }
                    if codes.contains(&"TransactionConflict") {
                        return Ok(Attempt::Conflict);
                    }
                }
                Err(sdk_error(e))
            }
        }
    }

    async fn query_feed(
        &self,
        broadcaster_id: &str,
        condition: &str,
        bound: &str,
        forward: bool,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.events_table)
            .key_condition_expression(format!("pk = :pk AND {condition}"))
            .expression_attribute_values(":pk", s(feed_pk(broadcaster_id)))
            .expression_attribute_values(":bound", s(bound))
            .scan_index_forward(forward)
            .limit(limit as i32)
            .send()
            .await
            .map_err(sdk_error)?;
        let events = out
            .items()
            .iter()
            .map(from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let next = out
            .last_evaluated_key()
            .and_then(|_| events.last().map(|e| e.cursor.clone()));
        Ok(Page { events, next })
    }
}

#[async_trait]
impl EventStore for DynamoStore {
    async fn append_once(
        &self,
        event: &Event,
        semantic_key: Option<&str>,
    ) -> Result<Appended, StoreError> {
        // Concurrent deliveries of one message conflict in the transaction;
        // one wins, and a retry of the other then sees its dedupe mark.
        for _ in 0..5 {
            if let Attempt::Done(outcome) = self.try_append(event, semantic_key).await? {
                return Ok(outcome);
            }
        }
        Err(StoreError::Unavailable(
            "transaction kept conflicting; retry later".into(),
        ))
    }

    async fn recent(
        &self,
        broadcaster_id: &str,
        limit: usize,
        before: Option<&Cursor>,
    ) -> Result<Page, StoreError> {
        let limit = page_size(limit);
        // "~" sorts after every digit, so "before the end" is everything.
        let bound = before.map_or("~", |c| c.sort_key());
        self.query_feed(broadcaster_id, "sk < :bound", bound, false, limit)
            .await
    }

    async fn after(
        &self,
        broadcaster_id: &str,
        after: &Cursor,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let limit = page_size(limit);
        self.query_feed(broadcaster_id, "sk > :bound", after.sort_key(), true, limit)
            .await
    }

    async fn daily_counts(
        &self,
        broadcaster_id: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<DailyCount>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.events_table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(format!("CNT#{broadcaster_id}")))
                .expression_attribute_values(":from", s(from))
                // "~" sorts after "#<type>", so the whole `to` day is included.
                .expression_attribute_values(":to", s(format!("{to}~"))),
        )
        .await?;
        let mut counts = Vec::with_capacity(items.len());
        for item in &items {
            let sk = required(item, "sk")?;
            let (day, event_type) = sk
                .split_once('#')
                .ok_or_else(|| StoreError::Corrupt(format!("counter key {sk:?}")))?;
            counts.push(DailyCount {
                day: day.to_owned(),
                event_type: event_type.to_owned(),
                count: number(item, "count").unwrap_or(0).max(0) as u64,
            });
        }
        Ok(counts)
    }
}
