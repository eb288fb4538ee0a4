//! `EventStore` on DynamoDB: item mapping, the once-only keyed put, queries.
//!
//! An event item is keyed by its dedupe id (`SEM#<key>` or `MSG#<id>`, sk
//! `-`): the very key a dedupe mark had before, so one `attribute_not_exists`
//! refuses a duplicate of a new event and of one stored before the switch
//! (whose mark lives for the retention period). The feed is the index
//! [`FEED_INDEX`] (`feed` = `EV#<broadcaster>`, `pos` = the cursor's sort
//! key); events stored before the switch stay in the base table's `EV#`
//! partition (see [`super::legacy_events`]) and are read beside the index
//! until they expire. Day counts are kept by the stream's counting consumer
//! ([`super::day_counts`]), not by the write.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{n, number, query_all, s, sdk_error, stream_item, text, DynamoStore, Item};
use crate::eventsub::summary::Summary;
use crate::store::{
    page_size, Appended, Cursor, DailyCount, Event, EventStore, Page, Recovery, StoreError,
    StoredEvent,
};

/// The global secondary index that holds the feed of new-shape event items.
pub const FEED_INDEX: &str = "feed";

/// A streamer's feed partition: the base-table pk of pre-switch events, the
/// index's `feed` of new ones.
pub(super) fn feed_pk(broadcaster_id: &str) -> String {
    format!("EV#{broadcaster_id}")
}

/// The primary key of an event's dedupe id: a semantic key when the type has
/// one (computed from the payload, which a retry repeats, so it catches
/// retries as the message id would, and other message ids of the same
/// happening too), else the message id.
pub(super) fn dedupe_pk(event: &Event, semantic_key: Option<&str>) -> String {
    match semantic_key {
        Some(key) => format!("SEM#{key}"),
        None => format!("MSG#{}", event.message_id),
    }
}

/// The sort key of a dedupe-keyed item (event, or a pre-switch mark).
pub(super) const DEDUPE_SK: &str = "-";

/// An event's attributes with its feed position (`feed`, `pos`); the caller
/// adds the primary key.
pub(super) fn event_item(event: &Event, cursor: &Cursor, expires_at: i64) -> Item {
    let mut item = Item::from([
        ("feed".into(), s(feed_pk(&event.broadcaster_id))),
        ("pos".into(), s(cursor.sort_key())),
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

pub(super) fn from_item(item: &Item) -> Result<StoredEvent, StoreError> {
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
    // New-shape items hold their position in `pos`; pre-switch ones in `sk`.
    let position = match text(item, "pos") {
        Some(pos) => pos,
        None => required(item, "sk")?,
    };
    Ok(StoredEvent {
        cursor: Cursor::from_sort_key(position),
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

impl DynamoStore {
    /// One conditional put keyed by the dedupe id: stored, or refused as a
    /// duplicate (of a new event, or of a pre-switch event by its mark).
    async fn put_once(
        &self,
        event: &Event,
        semantic_key: Option<&str>,
    ) -> Result<Appended, StoreError> {
        let expires_at = event.received_at_ms / 1000 + self.retention.seconds();
        let cursor = Cursor::of(event);
        let mut item = event_item(event, &cursor, expires_at);
        item.insert("pk".into(), s(dedupe_pk(event, semantic_key)));
        item.insert("sk".into(), s(DEDUPE_SK));
        match self
            .client
            .put_item()
            .table_name(&self.events_table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
        {
            Ok(_) => Ok(Appended::Stored(cursor)),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(_)) => Ok(Appended::Duplicate),
                _ => Err(sdk_error(e)),
            },
        }
    }

    /// One page of a streamer's feed beyond `bound` (`op` is `<` newest
    /// first, `>` oldest first): the index's new-shape events and the base
    /// table's pre-switch ones, merged in feed order.
    async fn feed_page(
        &self,
        broadcaster_id: &str,
        op: &str,
        bound: &str,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let forward = op == ">";
        let (new, old) = tokio::try_join!(
            self.query_feed(broadcaster_id, Some(FEED_INDEX), op, bound, forward, limit),
            self.query_feed(broadcaster_id, None, op, bound, forward, limit),
        )?;
        Ok(merge_pages(new, old, forward, limit))
    }

    /// One page of the feed index (`index`), or of the base table's
    /// pre-switch `EV#` partition (`None`).
    async fn query_feed(
        &self,
        broadcaster_id: &str,
        index: Option<&str>,
        op: &str,
        bound: &str,
        forward: bool,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let (pk, sk) = if index.is_some() {
            ("feed", "pos")
        } else {
            ("pk", "sk")
        };
        let out = self
            .client
            .query()
            .table_name(&self.events_table)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression(format!("{pk} = :pk AND {sk} {op} :bound"))
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
        // Concurrent deliveries of one message race for one key: one put
        // wins, the other's condition refuses it.
        self.put_once(event, semantic_key).await
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
        self.feed_page(broadcaster_id, "<", bound, limit).await
    }

    async fn after(
        &self,
        broadcaster_id: &str,
        after: &Cursor,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let limit = page_size(limit);
        self.feed_page(broadcaster_id, ">", after.sort_key(), limit)
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

/// Two pages of one feed beyond the same bound, each in feed order, as one:
/// the first `limit` of both in order (an event is in one shape only, but a
/// position seen twice is kept once), and a next cursor when either source
/// may hold more or the merge left some out.
fn merge_pages(a: Page, b: Page, forward: bool, limit: usize) -> Page {
    let more = a.next.is_some() || b.next.is_some();
    let mut events: Vec<StoredEvent> = a.events.into_iter().chain(b.events).collect();
    events.sort_by(|x, y| {
        let order = x.cursor.cmp(&y.cursor);
        if forward {
            order
        } else {
            order.reverse()
        }
    });
    events.dedup_by(|x, y| x.cursor == y.cursor);
    let cut = events.len() > limit;
    events.truncate(limit);
    let next = (more || cut)
        .then(|| events.last().map(|e| e.cursor.clone()))
        .flatten();
    Page { events, next }
}
