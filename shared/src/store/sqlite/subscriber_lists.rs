//! `SubscriberListStore` on SQLite: one row per broadcaster in
//! `subscriber_lists`, the list as one JSON array (read and written whole,
//! never queried by subscriber).

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use super::streamers::corrupt;
use super::SqliteStore;
use crate::store::subscribers::{
    KeepError, KnownSubscriber, SubscriberList, SubscriberListStore, MAX_KEPT,
};
use crate::store::StoreError;

#[async_trait]
impl SubscriberListStore for SqliteStore {
    async fn keep_subscribers(&self, list: &SubscriberList) -> Result<(), KeepError> {
        if list.subscribers.len() > MAX_KEPT {
            return Err(KeepError::TooMany(list.subscribers.len()));
        }
        let body = serde_json::to_string(&list.subscribers)
            .map_err(|e| StoreError::Corrupt(format!("subscriber list: {e}")))?;
        let (broadcaster, taken) = (list.broadcaster_id.clone(), list.taken_at_ms);
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO subscriber_lists (broadcaster_id, taken_at_ms, subscribers) \
                 VALUES (?1, ?2, ?3) ON CONFLICT (broadcaster_id) DO UPDATE SET \
                 taken_at_ms = excluded.taken_at_ms, subscribers = excluded.subscribers",
            )?
            .execute(params![broadcaster, taken, body])
            .map(drop)
        })
        .await?;
        Ok(())
    }

    async fn kept_subscribers(
        &self,
        broadcaster_id: &str,
    ) -> Result<Option<SubscriberList>, StoreError> {
        let broadcaster = broadcaster_id.to_owned();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT taken_at_ms, subscribers FROM subscriber_lists WHERE broadcaster_id = ?1",
            )?
            .query_row(params![broadcaster], |r| {
                let body: String = r.get(1)?;
                let subscribers: Vec<KnownSubscriber> =
                    serde_json::from_str(&body).map_err(|e| corrupt("subscribers", e))?;
                Ok(SubscriberList {
                    broadcaster_id: broadcaster.clone(),
                    taken_at_ms: r.get(0)?,
                    subscribers,
                })
            })
            .optional()
        })
        .await
    }
}
