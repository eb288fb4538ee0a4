//! `ConnectionStore` on DynamoDB (`CONNECTIONS_TABLE`).
//!
//! | item | pk | sk | other |
//! |---|---|---|---|
//! | connection | `CONN#<id>` | `META` | `principal`, `connected_at`, `topic_count`, `expires_at` |
//! | topic | `CONN#<id>` | `TOPIC#<broadcaster>` | `topic` = broadcaster (GSI `by_topic` hash), `expires_at` |
//! | opened by | `OPENED#<principal>` | `<id>` | `expires_at` (not for `anonymous`) |
//!
//! The connection item also holds `session`, the hash of the session its
//! ticket came from. A connection's items: `Query pk`. A user's sockets
//! (to close them on a revocation): `Query pk = OPENED#<user>`. Who watches a streamer: `Query by_topic`
//! on `topic`, sorted by `pk`, paged. The topic cap is a conditional counter
//! on the connection item, updated in the same transaction as the topic item.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, Put, TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;

use super::conditions::{delete_and_decrement, transact, CountedDelete, Transacted};
use super::{n, query_all, s, sdk_error, text, unavailable};
use crate::store::connections::{
    Connection, ConnectionStore, NewConnection, Subscribed, SubscriberPage, CONNECTION_TTL_MS,
};
use crate::store::StoreError;

/// The connections table.
#[derive(Clone, Debug)]
pub struct DynamoConnectionStore {
    client: Client,
    table: String,
}

impl DynamoConnectionStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn conn_pk(id: &str) -> String {
    format!("CONN#{id}")
}

/// The partition listing what `principal` opened; `None` for anonymous
/// visitors, who are many and never closed by name.
fn opened_pk(principal: &str) -> Option<String> {
    (principal != "anonymous").then(|| format!("OPENED#{principal}"))
}

/// DynamoDB TTL wants epoch seconds.
fn ttl(expires_at_ms: i64) -> AttributeValue {
    n(expires_at_ms / 1000)
}

/// True while an item's `expires_at` (TTL, epoch seconds) is in the future:
/// TTL deletes lazily, so readers must not trust presence alone.
fn unexpired(item: &HashMap<String, AttributeValue>, now_ms: i64) -> bool {
    matches!(item.get("expires_at"), Some(AttributeValue::N(v))
        if v.parse::<i64>().is_ok_and(|e| e > now_ms / 1000))
}

impl DynamoConnectionStore {
    /// Every item of one connection (its record and its topics): one
    /// partition, read with `Query`, page after page.
    async fn connection_items(
        &self,
        connection_id: &str,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
        query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(conn_pk(connection_id))),
        )
        .await
    }

    async fn meta(&self, id: &str) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(conn_pk(id)))
            .key("sk", s("META"))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.item)
    }
}

#[async_trait]
impl ConnectionStore for DynamoConnectionStore {
    async fn connect(&self, c: &NewConnection) -> Result<(), StoreError> {
        let expires_at = ttl(c.connected_at_ms + CONNECTION_TTL_MS);
        // The listing first: one without its connection is a socket already
        // gone, which closing answers 410 to; never a socket nobody can find.
        if let Some(pk) = opened_pk(&c.principal) {
            self.client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(pk))
                .item("sk", s(&c.id))
                .item("expires_at", expires_at.clone())
                .send()
                .await
                .map_err(sdk_error)?;
        }
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(conn_pk(&c.id)))
            .item("sk", s("META"))
            .item("principal", s(&c.principal))
            .item("connected_at", n(c.connected_at_ms))
            .item("topic_count", n(0))
            .item("expires_at", expires_at);
        if let Some(session) = &c.session {
            put = put.item("session", s(session));
        }
        put.send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn subscribe(
        &self,
        connection_id: &str,
        broadcaster_id: &str,
        max_topics: u32,
        now_ms: i64,
    ) -> Result<Subscribed, StoreError> {
        let pk = conn_pk(connection_id);
        let count = Update::builder()
            .table_name(&self.table)
            .key("pk", s(&pk))
            .key("sk", s("META"))
            .update_expression("ADD topic_count :one")
            .condition_expression(
                "attribute_exists(pk) AND expires_at > :now AND topic_count < :max",
            )
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now_ms / 1000))
            .expression_attribute_values(":max", n(i64::from(max_topics)))
            .build()
            .map_err(unavailable)?;
        let topic = Put::builder()
            .table_name(&self.table)
            .item("pk", s(&pk))
            .item("sk", s(format!("TOPIC#{broadcaster_id}")))
            .item("topic", s(broadcaster_id))
            .item("expires_at", ttl(now_ms + CONNECTION_TTL_MS))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(unavailable)?;
        let items = vec![
            TransactWriteItem::builder().update(count).build(),
            TransactWriteItem::builder().put(topic).build(),
        ];
        let (failed, error) = match transact(&self.client, items).await? {
            Transacted::Done => return Ok(Subscribed::Added),
            Transacted::Cancelled { failed, error } => (failed, error),
        };
        if failed.get(1) == Some(&true) {
            return Ok(Subscribed::Already);
        }
        if failed.first() == Some(&true) {
            // Either no live connection or at the cap: look which.
            let live = self
                .meta(connection_id)
                .await?
                .is_some_and(|m| unexpired(&m, now_ms));
            return Ok(if live {
                Subscribed::TooManyTopics
            } else {
                Subscribed::UnknownConnection
            });
        }
        Err(error)
    }

    async fn unsubscribe(
        &self,
        connection_id: &str,
        broadcaster_id: &str,
    ) -> Result<bool, StoreError> {
        let pk = conn_pk(connection_id);
        let key = |sk: String| HashMap::from([("pk".to_owned(), s(&pk)), ("sk".to_owned(), s(sk))]);
        let write = CountedDelete {
            table: &self.table,
            item: key(format!("TOPIC#{broadcaster_id}")),
            counter: key("META".to_owned()),
            count: "topic_count",
            counter_condition: Some("attribute_exists(pk)"),
        };
        // Any cancellation means "not subscribed" (the topic or the
        // connection is gone): nothing to undo.
        match delete_and_decrement(&self.client, write).await? {
            Transacted::Done => Ok(true),
            Transacted::Cancelled { .. } => Ok(false),
        }
    }

    async fn topics(&self, connection_id: &str, now_ms: i64) -> Result<Vec<String>, StoreError> {
        let mut topics: Vec<String> = self
            .connection_items(connection_id)
            .await?
            .iter()
            .filter(|i| unexpired(i, now_ms))
            .filter_map(|i| match i.get("topic") {
                Some(AttributeValue::S(t)) => Some(t.clone()),
                _ => None,
            })
            .collect();
        topics.sort();
        Ok(topics)
    }

    async fn connection(
        &self,
        connection_id: &str,
        now_ms: i64,
    ) -> Result<Option<Connection>, StoreError> {
        let items = self.connection_items(connection_id).await?;
        let live: Vec<_> = items.iter().filter(|i| unexpired(i, now_ms)).collect();
        let Some(principal) = live
            .iter()
            .find(|i| text(i, "sk").as_deref() == Some("META"))
            .and_then(|i| text(i, "principal"))
        else {
            return Ok(None);
        };
        let session = live
            .iter()
            .find(|i| text(i, "sk").as_deref() == Some("META"))
            .and_then(|i| text(i, "session"));
        let mut topics: Vec<String> = live.iter().filter_map(|i| text(i, "topic")).collect();
        topics.sort();
        Ok(Some(Connection {
            principal,
            session,
            topics,
        }))
    }

    async fn subscribers(
        &self,
        broadcaster_id: &str,
        after: Option<&str>,
        limit: usize,
        now_ms: i64,
    ) -> Result<SubscriberPage, StoreError> {
        let limit = limit.max(1);
        let start = after.map(|id| {
            HashMap::from([
                ("topic".to_owned(), s(broadcaster_id)),
                ("pk".to_owned(), s(conn_pk(id))),
                ("sk".to_owned(), s(format!("TOPIC#{broadcaster_id}"))),
            ])
        });
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("by_topic")
            .key_condition_expression("topic = :t")
            .filter_expression("expires_at > :now")
            .expression_attribute_values(":t", s(broadcaster_id))
            .expression_attribute_values(":now", n(now_ms / 1000))
            .set_exclusive_start_key(start)
            .limit(limit as i32)
            .send()
            .await
            .map_err(sdk_error)?;
        let connection_ids: Vec<String> = out
            .items()
            .iter()
            .filter_map(|i| match i.get("pk") {
                Some(AttributeValue::S(pk)) => pk.strip_prefix("CONN#").map(str::to_owned),
                _ => None,
            })
            .collect();
        // The page boundary is where DynamoDB stopped reading, which may be
        // past items the expiry filter dropped.
        let next = out.last_evaluated_key().and_then(|k| match k.get("pk") {
            Some(AttributeValue::S(pk)) => pk.strip_prefix("CONN#").map(str::to_owned),
            _ => None,
        });
        Ok(SubscriberPage {
            connection_ids,
            next,
        })
    }

    async fn connections_of(
        &self,
        principal: &str,
        now_ms: i64,
    ) -> Result<Vec<String>, StoreError> {
        let Some(pk) = opened_pk(principal) else {
            return Ok(Vec::new());
        };
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(pk)),
        )
        .await?;
        Ok(items
            .iter()
            .filter(|i| unexpired(i, now_ms))
            .filter_map(|i| text(i, "sk"))
            .collect())
    }

    async fn disconnect(&self, connection_id: &str) -> Result<(), StoreError> {
        let items = self.connection_items(connection_id).await?;
        let opened = items
            .iter()
            .find(|i| text(i, "sk").as_deref() == Some("META"))
            .and_then(|i| text(i, "principal"))
            .and_then(|p| opened_pk(&p))
            .map(|pk| {
                HashMap::from([
                    ("pk".to_owned(), s(pk)),
                    ("sk".to_owned(), s(connection_id)),
                ])
            });
        let keys: Vec<_> = items
            .into_iter()
            .map(|mut i| {
                i.retain(|k, _| k == "pk" || k == "sk");
                i
            })
            .chain(opened)
            .collect();
        for chunk in keys.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|key| {
                    DeleteRequest::builder()
                        .set_key(Some(key.clone()))
                        .build()
                        .map(|d| WriteRequest::builder().delete_request(d).build())
                        .map_err(unavailable)
                })
                .collect::<Result<_, _>>()?;
            // Throttled deletes come back as unprocessed: retry them, bounded.
            for attempt in 0..8u32 {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                requests = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(&self.table))
                    .unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25 << attempt)).await;
            }
            if !requests.is_empty() {
                return Err(unavailable(
                    "connection items still unprocessed after retries",
                ));
            }
        }
        Ok(())
    }
}
