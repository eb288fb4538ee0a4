//! `SnapshotStore` on DynamoDB (`SNAPSHOTS_TABLE`).
//!
//! | item | pk | sk | other |
//! |---|---|---|---|
//! | snapshot | `SNAP#<broadcaster>` | `<13-digit poll ms>#<stream id>` | `body` (JSON), `expires_at` |
//! | live state | `LIVE#<broadcaster>` | `STATE` | `body` (JSON), `live` = `L` while live (sparse GSI `live_now`) |
//! | lease | `POLLER` | `LEASE` | `owner`, `until`, `expires_at` (`leases.rs`) |
//! | status | `POLLER` | `STATUS` | `body` (JSON) |
//! | pause flag | `POLLER` | `PAUSED` | `paused` |
//! | viewers roll-up | `VIEW#<broadcaster>` | `<13-digit hour start ms>` | one attribute per poll: its ms within the hour (decimal) = viewers; `expires_at` |
//!
//! A roll-up holds an hour of one streamer's counts (60 polls are ~700
//! bytes: one write unit per poll, and a 31-day series is ~744 small items
//! instead of ~44,640 snapshots), each poll under its own attribute so
//! writing it again overwrites it.
//!
//! One snapshot per item keeps a streamer's history a single `Query` (see the
//! poller's snapshots in docs/costs.md for the trade-off against packed pages).
//! The roll-ups are written and read in `snapshots/rollups.rs`.

mod rollups;

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;

use super::{batch_write, leases, n, s, sdk_error, unavailable, Item};
use crate::store::snapshots::{LivePage, LiveState, PollerStatus, Snapshot, SnapshotStore};
use crate::store::StoreError;

/// The snapshots table.
#[derive(Clone, Debug)]
pub struct DynamoSnapshotStore {
    client: Client,
    table: String,
}

impl DynamoSnapshotStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn body<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    match item.get("body") {
        Some(AttributeValue::S(text)) => {
            serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
        }
        _ => Err(StoreError::Corrupt("item lacks body".into())),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<AttributeValue, StoreError> {
    serde_json::to_string(v)
        .map(AttributeValue::S)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn snap_sk(ms: i64, stream_id: &str) -> String {
    format!("{ms:013}#{stream_id}")
}

/// The poller's lease item (kept where it always was, so a deployment that
/// changes this code does not run two pollers at once).
fn poller_lease() -> Item {
    Item::from([
        ("pk".to_owned(), s("POLLER")),
        ("sk".to_owned(), s("LEASE")),
    ])
}

fn live_pk(broadcaster: &str) -> String {
    format!("LIVE#{broadcaster}")
}

#[async_trait]
impl SnapshotStore for DynamoSnapshotStore {
    async fn put_snapshots(&self, snapshots: &[Snapshot]) -> Result<(), StoreError> {
        let keep_s = crate::config::snapshot_retention_s();
        let mut requests = Vec::with_capacity(snapshots.len());
        for snap in snapshots {
            let put = PutRequest::builder()
                .item("pk", s(format!("SNAP#{}", snap.broadcaster_id)))
                .item("sk", s(snap_sk(snap.polled_at_ms, &snap.stream_id)))
                .item("body", json(snap)?)
                .item("expires_at", n(snap.polled_at_ms / 1000 + keep_s))
                .build()
                .map_err(unavailable)?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        batch_write(&self.client, &self.table, requests).await
    }

    async fn put_viewer_rollups(&self, snapshots: &[Snapshot]) -> Result<(), StoreError> {
        self.write_rollups(snapshots).await
    }

    async fn rolled_up_viewers(
        &self,
        broadcaster_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, u64)>, StoreError> {
        self.read_rollups(broadcaster_id, from_ms, to_ms).await
    }

    async fn snapshots(
        &self,
        broadcaster_id: &str,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Snapshot>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        let now_s = time::OffsetDateTime::now_utc().unix_timestamp();
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(format!("SNAP#{broadcaster_id}")))
                .expression_attribute_values(":from", s(format!("{from_ms:013}#")))
                // '~' sorts after every stream id character.
                .expression_attribute_values(":to", s(format!("{to_ms:013}#~")))
                .limit(crate::store::read_size(limit - out.len()) as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            for item in page.items() {
                // TTL deletes lazily: expired items may still be returned.
                let expired = matches!(item.get("expires_at"), Some(AttributeValue::N(v))
                    if v.parse::<i64>().is_ok_and(|e| e < now_s));
                if !expired {
                    out.push(body(item)?);
                }
            }
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() && out.len() < limit => start = Some(k.clone()),
                _ => return Ok(out),
            }
        }
    }

    async fn live_state(&self, broadcaster_id: &str) -> Result<Option<LiveState>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(live_pk(broadcaster_id)))
            .key("sk", s("STATE"))
            .send()
            .await
            .map_err(sdk_error)?;
        out.item().map(body).transpose()
    }

    async fn live_states(&self, broadcaster_ids: &[String]) -> Result<Vec<LiveState>, StoreError> {
        let mut out = Vec::new();
        for chunk in broadcaster_ids.chunks(100) {
            let mut keys = KeysAndAttributes::builder();
            for id in chunk {
                keys = keys.keys(HashMap::from([
                    ("pk".to_string(), s(live_pk(id))),
                    ("sk".to_string(), s("STATE")),
                ]));
            }
            let mut request: Option<HashMap<String, KeysAndAttributes>> = Some(HashMap::from([(
                self.table.clone(),
                keys.build().map_err(unavailable)?,
            )]));
            for attempt in 0..8u32 {
                let Some(items) = request.take().filter(|r| !r.is_empty()) else {
                    break;
                };
                let got = self
                    .client
                    .batch_get_item()
                    .set_request_items(Some(items))
                    .send()
                    .await
                    .map_err(sdk_error)?;
                if let Some(items) = got.responses().and_then(|r| r.get(&self.table)) {
                    for item in items {
                        out.push(body(item)?);
                    }
                }
                request = got.unprocessed_keys().cloned();
                if request.as_ref().is_some_and(|r| !r.is_empty()) {
                    tokio::time::sleep(std::time::Duration::from_millis(25 << attempt)).await;
                }
            }
            if request.is_some_and(|r| !r.is_empty()) {
                return Err(StoreError::Unavailable(
                    "live states still unprocessed".into(),
                ));
            }
        }
        Ok(out)
    }

    async fn put_live_states(&self, states: &[LiveState]) -> Result<(), StoreError> {
        let mut requests = Vec::with_capacity(states.len());
        for state in states {
            let mut put = PutRequest::builder()
                .item("pk", s(live_pk(&state.broadcaster_id)))
                .item("sk", s("STATE"))
                .item("body", json(state)?);
            if state.live {
                put = put.item("live", s("L"));
            }
            requests.push(
                WriteRequest::builder()
                    .put_request(put.build().map_err(unavailable)?)
                    .build(),
            );
        }
        batch_write(&self.client, &self.table, requests).await
    }

    async fn live_now(&self, after: Option<&str>, limit: usize) -> Result<LivePage, StoreError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("live_now")
            .limit(crate::store::read_size(limit) as i32)
            .expression_attribute_values(":l", s("L"));
        query = match after {
            Some(a) => query
                .key_condition_expression("live = :l AND pk > :after")
                .expression_attribute_values(":after", s(live_pk(a))),
            None => query.key_condition_expression("live = :l"),
        };
        let out = query.send().await.map_err(sdk_error)?;
        let states: Vec<LiveState> = out.items().iter().map(body).collect::<Result<_, _>>()?;
        let more = out.last_evaluated_key().is_some_and(|k| !k.is_empty());
        let next = if more {
            states.last().map(|s| s.broadcaster_id.clone())
        } else {
            None
        };
        Ok(LivePage { states, next })
    }

    async fn acquire_lease(
        &self,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        leases::take(
            &self.client,
            &self.table,
            poller_lease(),
            owner,
            now_ms,
            until_ms,
        )
        .await
    }

    async fn release_lease(&self, owner: &str) -> Result<(), StoreError> {
        leases::give_back(&self.client, &self.table, poller_lease(), owner).await
    }

    async fn poller_status(&self) -> Result<PollerStatus, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s("POLLER"))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        let mut status = PollerStatus::default();
        for item in out.items() {
            match item.get("sk") {
                Some(AttributeValue::S(sk)) if sk == "STATUS" => {
                    let paused = status.paused;
                    status = body(item)?;
                    status.paused = paused;
                }
                Some(AttributeValue::S(sk)) if sk == "PAUSED" => {
                    status.paused = matches!(item.get("paused"), Some(AttributeValue::Bool(true)));
                }
                _ => {}
            }
        }
        Ok(status)
    }

    async fn set_poller_status(&self, status: &PollerStatus) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s("POLLER"))
            .item("sk", s("STATUS"))
            .item("body", json(status)?)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn set_paused(&self, paused: bool) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s("POLLER"))
            .item("sk", s("PAUSED"))
            .item("paused", AttributeValue::Bool(paused))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }
}
