//! `ConnectionStore` on SQLite.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use super::SqliteStore;
use crate::store::connections::{
    Connection, ConnectionStore, NewConnection, Subscribed, SubscriberPage, CONNECTION_TTL_MS,
};
use crate::store::StoreError;

#[async_trait]
impl ConnectionStore for SqliteStore {
    async fn connect(&self, connection: &NewConnection) -> Result<(), StoreError> {
        let c = connection.clone();
        self.write(move |db| {
            db.prepare_cached(
                "INSERT OR REPLACE INTO connections \
                 (id, principal, connected_at_ms, expires_at_ms, session) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                c.id,
                c.principal,
                c.connected_at_ms,
                c.connected_at_ms + CONNECTION_TTL_MS,
                c.session
            ])?;
            Ok(())
        })
        .await
    }

    async fn subscribe(
        &self,
        connection_id: &str,
        broadcaster_id: &str,
        max_topics: u32,
        now_ms: i64,
    ) -> Result<Subscribed, StoreError> {
        let (id, b) = (connection_id.to_owned(), broadcaster_id.to_owned());
        let topics = self.topics();
        self.write(move |db| {
            let expires: Option<i64> = db
                .prepare_cached("SELECT expires_at_ms FROM connections WHERE id = ?1 AND expires_at_ms > ?2")?
                .query_row(params![id, now_ms], |r| r.get(0))
                .optional()?;
            let Some(expires) = expires else {
                return Ok(Subscribed::UnknownConnection);
            };
            let already = db
                .prepare_cached(
                    "SELECT 1 FROM connection_topics WHERE connection_id = ?1 AND broadcaster_id = ?2",
                )?
                .query_row(params![id, b], |_| Ok(()))
                .optional()?;
            if already.is_some() {
                return Ok(Subscribed::Already);
            }
            let count: i64 = db
                .prepare_cached("SELECT COUNT(*) FROM connection_topics WHERE connection_id = ?1")?
                .query_row([&id], |r| r.get(0))?;
            if count >= i64::from(max_topics) {
                return Ok(Subscribed::TooManyTopics);
            }
            db.prepare_cached(
                "INSERT INTO connection_topics (connection_id, broadcaster_id, expires_at_ms) \
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id, b, expires])?;
            if let Ok(mut t) = topics.lock() {
                t.add(&id, &b, expires);
            }
            Ok(Subscribed::Added)
        })
        .await
    }

    async fn unsubscribe(
        &self,
        connection_id: &str,
        broadcaster_id: &str,
    ) -> Result<bool, StoreError> {
        let (id, b) = (connection_id.to_owned(), broadcaster_id.to_owned());
        let topics = self.topics();
        self.write(move |db| {
            let n = db
                .prepare_cached(
                    "DELETE FROM connection_topics WHERE connection_id = ?1 AND broadcaster_id = ?2",
                )?
                .execute(params![id, b])?;
            if let Ok(mut t) = topics.lock() {
                t.remove(&id, &b);
            }
            Ok(n == 1)
        })
        .await
    }

    async fn topics(&self, connection_id: &str, now_ms: i64) -> Result<Vec<String>, StoreError> {
        let id = connection_id.to_owned();
        self.read(move |db| {
            db.prepare_cached(
                "SELECT broadcaster_id FROM connection_topics \
                 WHERE connection_id = ?1 AND expires_at_ms > ?2 ORDER BY broadcaster_id",
            )?
            .query_map(params![id, now_ms], |r| r.get(0))?
            .collect()
        })
        .await
    }

    async fn connection(
        &self,
        connection_id: &str,
        now_ms: i64,
    ) -> Result<Option<Connection>, StoreError> {
        let id = connection_id.to_owned();
        self.read(move |db| {
            let found: Option<(String, Option<String>)> = db
                .prepare_cached(
                    "SELECT principal, session FROM connections \
                     WHERE id = ?1 AND expires_at_ms > ?2",
                )?
                .query_row(params![id, now_ms], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((principal, session)) = found else {
                return Ok(None);
            };
            let topics = db
                .prepare_cached(
                    "SELECT broadcaster_id FROM connection_topics \
                     WHERE connection_id = ?1 AND expires_at_ms > ?2 ORDER BY broadcaster_id",
                )?
                .query_map(params![id, now_ms], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(Some(Connection {
                principal,
                session,
                topics,
            }))
        })
        .await
    }

    async fn subscribers(
        &self,
        broadcaster_id: &str,
        after: Option<&str>,
        limit: usize,
        now_ms: i64,
    ) -> Result<SubscriberPage, StoreError> {
        // From memory (see `topics`): the table says the same, in the same order.
        let topics = self.topics();
        let page = topics
            .lock()
            .map_err(|_| StoreError::Unavailable("subscriptions lock poisoned".into()))?
            .page(broadcaster_id, after, limit, now_ms);
        Ok(page)
    }

    async fn connections_of(
        &self,
        principal: &str,
        now_ms: i64,
    ) -> Result<Vec<String>, StoreError> {
        if principal == "anonymous" {
            return Ok(Vec::new());
        }
        let principal = principal.to_owned();
        self.read(move |db| {
            db.prepare_cached(
                "SELECT id FROM connections \
                 WHERE principal = ?1 AND expires_at_ms > ?2 ORDER BY id",
            )?
            .query_map(params![principal, now_ms], |r| r.get(0))?
            .collect()
        })
        .await
    }

    async fn disconnect(&self, connection_id: &str) -> Result<(), StoreError> {
        let id = connection_id.to_owned();
        let topics = self.topics();
        self.write(move |db| {
            db.prepare_cached("DELETE FROM connection_topics WHERE connection_id = ?1")?
                .execute([&id])?;
            db.prepare_cached("DELETE FROM connections WHERE id = ?1")?
                .execute([&id])?;
            if let Ok(mut t) = topics.lock() {
                t.remove_connection(&id);
            }
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Retention;
    use crate::store::sqlite::Durability;

    #[tokio::test]
    async fn subscriptions_on_disk_are_found_again_after_a_reopen() {
        let dir = std::env::temp_dir().join(format!("se-topics-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite").to_string_lossy().into_owned();
        let open = || SqliteStore::open(&path, Durability::Process, Retention::default()).unwrap();
        {
            let store = open();
            let c = NewConnection {
                id: "c1".into(),
                principal: "anonymous".into(),
                session: None,
                connected_at_ms: 1_000,
            };
            store.connect(&c).await.unwrap();
            assert_eq!(
                store.subscribe("c1", "s1", 20, 1_000).await.unwrap(),
                Subscribed::Added
            );
        }
        let store = open();
        let page = store.subscribers("s1", None, 10, 2_000).await.unwrap();
        assert_eq!(page.connection_ids, vec!["c1".to_owned()]);
        store.disconnect("c1").await.unwrap();
        let page = store.subscribers("s1", None, 10, 2_000).await.unwrap();
        assert!(page.connection_ids.is_empty());
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }
}
