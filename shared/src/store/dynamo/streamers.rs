//! `StreamerStore` on DynamoDB (`STREAMERS_TABLE`).
//!
//! | item | pk | sk | other |
//! |---|---|---|---|
//! | streamer | `STREAMER#<id>` | `META` | `id`, `login`, `wanted`, `wanted_since`, `last_watched`, `requested_by`, `scopes` (JSON), `tracked` = `T` while wanted (sparse GSI `tracked`) |
//! | type state | `STREAMER#<id>` | `TYPE#<type>` | `state` (JSON), `recreated`, `updated_at` |
//! | login | `LOGIN#<login>` | `META` | `id` |
//!
//! Its coverage gaps live under the same `pk` (`gaps.rs`).
//!
//! A streamer with its types: `Query pk` with `sk >= META`. Login → id: `GetItem`. The sweep:
//! `Query tracked` (`tracked = T`, by `pk`), paged.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, PutRequest, TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;

use super::conditions::written;
use super::{
    batch_write, n, number, query_all, s, sdk_error, stream_item, text, unavailable, Item,
};
use crate::store::streamers::{Streamer, StreamerStore, TrackedPage, TypeRecord, Wish};
use crate::store::StoreError;

/// The streamers table.
#[derive(Clone, Debug)]
pub struct DynamoStreamerStore {
    pub(super) client: Client,
    pub(super) table: String,
}

impl DynamoStreamerStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

/// The partition key prefix of every item about a streamer.
pub(super) const PREFIX: &str = "STREAMER#";

/// The sort key prefix of a coverage gap's open marker (`gaps.rs`): the one
/// item besides `META` whose stream records reach the manager.
pub(super) const OPEN_MARKER_PREFIX: &str = "GAPOPEN#";

/// The partition key of a streamer's items (its record, types and gaps).
pub(super) fn pk(id: &str) -> String {
    format!("{PREFIX}{id}")
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("streamer item lacks {what}"))
}

fn streamer_from(meta: &Item) -> Result<Streamer, StoreError> {
    let scopes = text(meta, "scopes").unwrap_or_else(|| "[]".into());
    Ok(Streamer {
        id: text(meta, "id").ok_or_else(|| corrupt("id"))?,
        login: text(meta, "login"),
        wanted: matches!(meta.get("wanted"), Some(AttributeValue::Bool(true))),
        wanted_since_ms: number(meta, "wanted_since").unwrap_or_default(),
        last_watched_ms: number(meta, "last_watched").ok_or_else(|| corrupt("last_watched"))?,
        requested_by: text(meta, "requested_by").unwrap_or_default(),
        scopes: serde_json::from_str(&scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        types: BTreeMap::new(),
    })
}

/// The streamer a streamers-table stream record is about, when its change
/// needs a reconcile: a streamer created or removed, or its `wanted` or
/// `scopes` changed (a refreshed "last watched" alone costs no Twitch call),
/// or a coverage gap of one of its types opened (`gaps.rs`).
pub fn changed_streamer(record: &aws_lambda_events::dynamodb::EventRecord) -> Option<String> {
    let change = &record.change;
    let keys = stream_item(&change.keys);
    let sk = text(&keys, "sk")?;
    let id = text(&keys, "pk")?.strip_prefix(PREFIX)?.to_owned();
    let same = |field: &str| change.new_image.get(field) == change.old_image.get(field);
    if sk.starts_with(OPEN_MARKER_PREFIX) {
        // A gap just opened: replace what failed now, not at the sweep.
        let opened = change.new_image.contains_key("open_from") && !same("open_from");
        return opened.then_some(id);
    }
    if sk != "META" {
        return None;
    }
    match record.event_name.as_str() {
        "INSERT" | "REMOVE" => Some(id),
        "MODIFY" if !(same("wanted") && same("scopes")) => Some(id),
        _ => None,
    }
}

fn type_from(item: &Item) -> Result<(String, TypeRecord), StoreError> {
    let kind = text(item, "sk")
        .and_then(|sk| sk.strip_prefix("TYPE#").map(str::to_owned))
        .ok_or_else(|| corrupt("a type sort key"))?;
    let state = text(item, "state").ok_or_else(|| corrupt("state"))?;
    Ok((
        kind,
        TypeRecord {
            state: serde_json::from_str(&state).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            recreated: number(item, "recreated").unwrap_or_default() as u32,
            updated_at_ms: number(item, "updated_at").unwrap_or_default(),
        },
    ))
}

#[async_trait]
impl StreamerStore for DynamoStreamerStore {
    async fn want(&self, wish: &Wish) -> Result<(), StoreError> {
        let mut set = vec![
            "id = :id",
            "requested_by = :by",
            "wanted = :yes",
            "tracked = :t",
            "last_watched = :at",
            // Released streamers lose `wanted_since`, so this restarts it.
            "wanted_since = if_not_exists(wanted_since, :at)",
        ];
        let login = wish.login.as_ref().map(|l| l.to_ascii_lowercase());
        if login.is_some() {
            set.push("login = :login");
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk(&wish.broadcaster_id)))
            .key("sk", s("META"))
            .update_expression(format!("SET {}", set.join(", ")))
            .expression_attribute_values(":id", s(&wish.broadcaster_id))
            .expression_attribute_values(":by", s(&wish.by))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":t", s("T"))
            .expression_attribute_values(":at", n(wish.at_ms));
        if let Some(l) = &login {
            update = update.expression_attribute_values(":login", s(l));
        }
        let mut items = vec![TransactWriteItem::builder()
            .update(update.build().map_err(unavailable)?)
            .build()];
        if let Some(l) = &login {
            let put = Put::builder()
                .table_name(&self.table)
                .item("pk", s(format!("LOGIN#{l}")))
                .item("sk", s("META"))
                .item("id", s(&wish.broadcaster_id))
                .build()
                .map_err(unavailable)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn streamer(&self, id: &str) -> Result<Option<Streamer>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                // From `META` on: its record and types, not its gaps
                // (`gaps.rs`: their keys sort before it).
                .key_condition_expression("pk = :pk AND sk >= :meta")
                .expression_attribute_values(":pk", s(pk(id)))
                .expression_attribute_values(":meta", s("META"))
                .consistent_read(true),
        )
        .await?;
        let Some(meta) = items
            .iter()
            .find(|i| text(i, "sk").as_deref() == Some("META"))
        else {
            return Ok(None);
        };
        let mut streamer = streamer_from(meta)?;
        for item in &items {
            if text(item, "sk").is_some_and(|sk| sk.starts_with("TYPE#")) {
                let (kind, record) = type_from(item)?;
                streamer.types.insert(kind, record);
            }
        }
        Ok(Some(streamer))
    }

    async fn id_of_login(&self, login: &str) -> Result<Option<String>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("LOGIN#{}", login.to_ascii_lowercase())))
            .key("sk", s("META"))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.item().and_then(|i| text(i, "id")))
    }

    async fn tracked(&self, after: Option<&str>, limit: usize) -> Result<TrackedPage, StoreError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("tracked")
            .limit(crate::store::read_size(limit) as i32)
            .expression_attribute_values(":t", s("T"));
        query = match after {
            Some(a) => query
                .key_condition_expression("tracked = :t AND pk > :after")
                .expression_attribute_values(":after", s(pk(a))),
            None => query.key_condition_expression("tracked = :t"),
        };
        let out = query.send().await.map_err(sdk_error)?;
        let ids: Vec<String> = out
            .items()
            .iter()
            .filter_map(|i| text(i, "pk")?.strip_prefix(PREFIX).map(str::to_owned))
            .collect();
        let more = out.last_evaluated_key().is_some_and(|k| !k.is_empty());
        let next = if more { ids.last().cloned() } else { None };
        Ok(TrackedPage { ids, next })
    }

    async fn set_types(
        &self,
        id: &str,
        types: &BTreeMap<String, TypeRecord>,
    ) -> Result<(), StoreError> {
        let mut requests = Vec::with_capacity(types.len());
        for (kind, record) in types {
            let state = serde_json::to_string(&record.state)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let put = PutRequest::builder()
                .item("pk", s(pk(id)))
                .item("sk", s(format!("TYPE#{kind}")))
                .item("state", s(state))
                .item("recreated", n(i64::from(record.recreated)))
                .item("updated_at", n(record.updated_at_ms))
                .build()
                .map_err(unavailable)?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        batch_write(&self.client, &self.table, requests).await
    }

    async fn set_scopes(&self, id: &str, scopes: &[String], _at_ms: i64) -> Result<(), StoreError> {
        let scopes =
            serde_json::to_string(scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk(id)))
            .key("sk", s("META"))
            .update_expression("SET scopes = :s")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":s", s(scopes))
            .send()
            .await;
        written(result).map(|_| ())
    }

    async fn release(&self, id: &str, _at_ms: i64) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk(id)))
            .key("sk", s("META"))
            .update_expression("SET wanted = :no REMOVE tracked, wanted_since")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .send()
            .await;
        // A streamer that is not stored: a no-op, as in SQLite.
        written(result).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::dynamodb::EventRecord;
    use serde_json::{json, Value};

    fn record(event: &str, sk: &str, old: Value, new: Value) -> EventRecord {
        serde_json::from_value(json!({
            "eventID": "1", "eventName": event, "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"pk": {"S": "STREAMER#7"}, "sk": {"S": sk}},
                "OldImage": old, "NewImage": new, "SequenceNumber": "1", "SizeBytes": 1,
            }
        }))
        .unwrap()
    }

    #[test]
    fn only_wanted_or_scope_changes_cost_a_reconcile() {
        let wanted = json!({"wanted": {"BOOL": true}, "last_watched": {"N": "1"}});
        let watched = json!({"wanted": {"BOOL": true}, "last_watched": {"N": "2"}});
        let released = json!({"wanted": {"BOOL": false}, "last_watched": {"N": "2"}});
        let scoped = json!({"wanted": {"BOOL": false}, "last_watched": {"N": "2"},
            "scopes": {"S": "[\"bits:read\"]"}});
        assert_eq!(
            changed_streamer(&record("INSERT", "META", Value::Null, wanted.clone())).as_deref(),
            Some("7")
        );
        assert_eq!(
            changed_streamer(&record("MODIFY", "META", wanted.clone(), watched.clone())),
            None
        );
        assert_eq!(
            changed_streamer(&record("MODIFY", "META", watched, released.clone())).as_deref(),
            Some("7")
        );
        assert_eq!(
            changed_streamer(&record("MODIFY", "META", released, scoped)).as_deref(),
            Some("7")
        );
        assert_eq!(
            changed_streamer(&record("INSERT", "TYPE#stream.online", Value::Null, wanted)),
            None
        );
    }

    #[test]
    fn an_opened_gap_costs_a_reconcile_and_its_end_does_not() {
        let marker = "GAPOPEN#channel.follow";
        let open = json!({"open_from": {"N": "1000"}});
        assert_eq!(
            changed_streamer(&record("INSERT", marker, Value::Null, open.clone())).as_deref(),
            Some("7")
        );
        assert_eq!(
            changed_streamer(&record("MODIFY", marker, json!({}), open.clone())).as_deref(),
            Some("7"),
            "opened again after an earlier gap ended"
        );
        assert_eq!(
            changed_streamer(&record("MODIFY", marker, open, json!({}))),
            None
        );
        assert_eq!(
            changed_streamer(&record(
                "INSERT",
                "GAP#0000000001000#channel.follow",
                Value::Null,
                json!({})
            )),
            None
        );
    }
}
