//! The events table's write before the keyed put: one transaction of the
//! event (pk `EV#<broadcaster>`, sk = its position), its dedupe mark and its
//! day counter. Production no longer writes this shape; it stays as the
//! fixture of the migration tests (`shared/tests/events_migration.rs`): what
//! a deployed stack holds on the day it switches. Delete it, with the base
//! table half of `events::feed_page`, one `EventRetentionDays` after the
//! switch, when the last item of this shape has expired.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

use super::events::{dedupe_pk, event_item, DEDUPE_SK};
use super::{n, s, sdk_error, unavailable, DynamoStore};
use crate::store::{day_of, Appended, Cursor, Event, StoreError};

impl DynamoStore {
    /// Stores `event` the pre-switch way (see the module doc); a duplicate
    /// (its mark exists, or a new-shape event holds that key) is refused.
    pub async fn append_before_switch(
        &self,
        event: &Event,
        semantic_key: Option<&str>,
    ) -> Result<Appended, StoreError> {
        let table = &self.events_table;
        let expires_at = event.received_at_ms / 1000 + self.retention.seconds();
        let cursor = Cursor::of(event);
        let mark = Put::builder()
            .table_name(table)
            .item("pk", s(dedupe_pk(event, semantic_key)))
            .item("sk", s(DEDUPE_SK))
            .item("kind", s("dedupe"))
            .item("expires_at", n(expires_at))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(unavailable)?;
        // The old shape: keyed by the feed, no index attributes.
        let mut item = event_item(event, &cursor, expires_at);
        let feed = item.remove("feed");
        let pos = item.remove("pos");
        item.extend(
            [("pk".into(), feed), ("sk".into(), pos)]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v))),
        );
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .build()
            .map_err(unavailable)?;
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
        let items = vec![
            TransactWriteItem::builder().put(mark).build(),
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(count).build(),
        ];
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Appended::Stored(cursor)),
            Err(e) => match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(c))
                    if c.cancellation_reasons()
                        .iter()
                        .any(|r| r.code() == Some("ConditionalCheckFailed")) =>
                {
                    Ok(Appended::Duplicate)
                }
                _ => Err(sdk_error(e)),
            },
        }
    }
}
