//! `SubscriberListStore` on DynamoDB, in the streamers table beside the
//! streamer's gaps (`STREAMERS_TABLE`):
//!
//! | item | pk | sk | other |
//! |---|---|---|---|
//! | list head | `STREAMER#<id>` | `KNOWNSUBS#` | `taken_at`, `chunks` |
//! | chunk | `STREAMER#<id>` | `KNOWNSUBS#<3-digit n>` | `taken_at`, `subscribers` (JSON array of ≤ [`CHUNK`]) |
//!
//! DynamoDB's 400 KB item limit: a subscriber is under 100 bytes of JSON,
//! so a chunk of [`CHUNK`] is about 100 KB, and [`MAX_KEPT`] makes at most
//! 100 chunks. Keeping writes the chunks (`PutItem` each), then the head
//! last, so a reader never sees a head whose chunks are not all written;
//! chunks past a shorter new list stay behind, ignored (the head's `chunks`
//! says how many count). Reading: `Query pk` with `sk` beginning
//! `KNOWNSUBS#`, consistent; a chunk whose `taken_at` is not the head's
//! (two takers at once) reads as unavailable, to be read again.
//!
//! Every `KNOWNSUBS…` key sorts before `META`, so reading a streamer
//! (`sk >= META`) never reads it, and the table's stream filter (`META`
//! and open markers) sends none of it to the manager. The actions are the
//! manager's existing `PutItem` and `Query` on the streamers table.

use async_trait::async_trait;

use super::streamers::{pk, DynamoStreamerStore};
use super::{n, number, query_all, s, sdk_error, text};
use crate::store::subscribers::{
    KeepError, KnownSubscriber, SubscriberList, SubscriberListStore, MAX_KEPT,
};
use crate::store::StoreError;

/// Subscribers per chunk item.
pub const CHUNK: usize = 1_000;

const HEAD: &str = "KNOWNSUBS#";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("kept subscriber list: {what}"))
}

#[async_trait]
impl SubscriberListStore for DynamoStreamerStore {
    async fn keep_subscribers(&self, list: &SubscriberList) -> Result<(), KeepError> {
        if list.subscribers.len() > MAX_KEPT {
            return Err(KeepError::TooMany(list.subscribers.len()));
        }
        let key = pk(&list.broadcaster_id);
        let chunks: Vec<&[KnownSubscriber]> = list.subscribers.chunks(CHUNK).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let body = serde_json::to_string(chunk).map_err(|e| corrupt(&e.to_string()))?;
            self.client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(&key))
                .item("sk", s(format!("{HEAD}{i:03}")))
                .item("taken_at", n(list.taken_at_ms))
                .item("subscribers", s(body))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(&key))
            .item("sk", s(HEAD))
            .item("taken_at", n(list.taken_at_ms))
            .item("chunks", n(chunks.len() as i64))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn kept_subscribers(
        &self,
        broadcaster_id: &str,
    ) -> Result<Option<SubscriberList>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :head)")
            .expression_attribute_values(":pk", s(pk(broadcaster_id)))
            .expression_attribute_values(":head", s(HEAD))
            .consistent_read(true);
        let items = query_all(query).await?;
        let Some(head) = items
            .iter()
            .find(|i| text(i, "sk").as_deref() == Some(HEAD))
        else {
            return Ok(None);
        };
        let taken_at_ms = number(head, "taken_at").ok_or_else(|| corrupt("no taken_at"))?;
        let count = number(head, "chunks").ok_or_else(|| corrupt("no chunks"))?;
        let mut subscribers = Vec::new();
        for i in 0..count {
            let sk = format!("{HEAD}{i:03}");
            let chunk = items
                .iter()
                .find(|item| text(item, "sk").as_deref() == Some(sk.as_str()))
                .ok_or_else(|| corrupt(&format!("chunk {i} missing")))?;
            if number(chunk, "taken_at") != Some(taken_at_ms) {
                return Err(StoreError::Unavailable(
                    "the kept subscriber list is being replaced: read it again".into(),
                ));
            }
            let body = text(chunk, "subscribers").ok_or_else(|| corrupt("a chunk's body"))?;
            let part: Vec<KnownSubscriber> =
                serde_json::from_str(&body).map_err(|e| corrupt(&e.to_string()))?;
            subscribers.extend(part);
        }
        Ok(Some(SubscriberList {
            broadcaster_id: broadcaster_id.to_owned(),
            taken_at_ms,
            subscribers,
        }))
    }
}
