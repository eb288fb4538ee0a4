//! `SnapshotStore` on SQLite. Rows keep the JSON of each record (`body`) next
//! to the columns that are queried. The viewers roll-up is a row per poll
//! without the snapshot (`viewer_polls`): SQLite reads rows, not items, so
//! DynamoDB's hourly packing would not save it anything.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use super::SqliteStore;
use crate::store::leases::{LeaseStore, POLLER};
use crate::store::snapshots::{LivePage, LiveState, PollerStatus, Snapshot, SnapshotStore};
use crate::store::StoreError;

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

#[async_trait]
impl SnapshotStore for SqliteStore {
    async fn put_snapshots(&self, snapshots: &[Snapshot]) -> Result<(), StoreError> {
        let keep_s = crate::config::snapshot_retention_s();
        let mut rows = Vec::with_capacity(snapshots.len());
        for s in snapshots {
            rows.push((
                s.broadcaster_id.clone(),
                s.polled_at_ms,
                s.stream_id.clone(),
                to_json(s)?,
                s.polled_at_ms / 1000 + keep_s,
            ));
        }
        self.write(move |c| {
            let mut stmt = c.prepare_cached(
                "INSERT OR REPLACE INTO snapshots (broadcaster_id, polled_at_ms, stream_id, body, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (b, at, id, body, exp) in &rows {
                stmt.execute(params![b, at, id, body, exp])?;
            }
            Ok(())
        })
        .await
    }

    async fn put_viewer_rollups(&self, snapshots: &[Snapshot]) -> Result<(), StoreError> {
        let keep_s = crate::config::snapshot_retention_s();
        let rows: Vec<(String, i64, i64)> = snapshots
            .iter()
            .map(|s| {
                (
                    s.broadcaster_id.clone(),
                    s.polled_at_ms,
                    i64::try_from(s.viewer_count).unwrap_or(i64::MAX),
                )
            })
            .collect();
        self.write(move |c| {
            let mut stmt = c.prepare_cached(
                "INSERT OR REPLACE INTO viewer_polls (broadcaster_id, polled_at_ms, viewers, expires_at) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (b, at, viewers) in &rows {
                stmt.execute(params![b, at, viewers, at / 1000 + keep_s])?;
            }
            Ok(())
        })
        .await
    }

    async fn rolled_up_viewers(
        &self,
        broadcaster_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, u64)>, StoreError> {
        let b = broadcaster_id.to_owned();
        let now_s = time::OffsetDateTime::now_utc().unix_timestamp();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT polled_at_ms, viewers FROM viewer_polls WHERE broadcaster_id = ?1 \
                 AND polled_at_ms BETWEEN ?2 AND ?3 AND expires_at >= ?4 ORDER BY polled_at_ms",
            )?;
            let rows = stmt.query_map(params![b, from_ms, to_ms, now_s], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })?;
            rows.collect()
        })
        .await
    }

    async fn snapshots(
        &self,
        broadcaster_id: &str,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Snapshot>, StoreError> {
        let b = broadcaster_id.to_owned();
        let now_s = time::OffsetDateTime::now_utc().unix_timestamp();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT body FROM snapshots WHERE broadcaster_id = ?1 AND polled_at_ms BETWEEN ?2 AND ?3 \
                 AND expires_at >= ?4 ORDER BY polled_at_ms, stream_id LIMIT ?5",
            )?;
            let rows = stmt.query_map(params![b, from_ms, to_ms, now_s, limit as i64], |r| {
                from_json::<Snapshot>(&r.get::<_, String>(0)?)
            })?;
            rows.collect()
        })
        .await
    }

    async fn live_state(&self, broadcaster_id: &str) -> Result<Option<LiveState>, StoreError> {
        let b = broadcaster_id.to_owned();
        self.read(move |c| {
            c.prepare_cached("SELECT body FROM live_states WHERE broadcaster_id = ?1")?
                .query_row([b], |r| from_json::<LiveState>(&r.get::<_, String>(0)?))
                .optional()
        })
        .await
    }

    async fn live_states(&self, broadcaster_ids: &[String]) -> Result<Vec<LiveState>, StoreError> {
        let ids = broadcaster_ids.to_vec();
        self.read(move |c| {
            let mut stmt =
                c.prepare_cached("SELECT body FROM live_states WHERE broadcaster_id = ?1")?;
            let mut out = Vec::new();
            for id in &ids {
                if let Some(s) = stmt
                    .query_row([id], |r| from_json::<LiveState>(&r.get::<_, String>(0)?))
                    .optional()?
                {
                    out.push(s);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn put_live_states(&self, states: &[LiveState]) -> Result<(), StoreError> {
        let mut rows = Vec::with_capacity(states.len());
        for s in states {
            rows.push((s.broadcaster_id.clone(), s.live, to_json(s)?));
        }
        self.write(move |c| {
            let mut stmt = c.prepare_cached(
                "INSERT OR REPLACE INTO live_states (broadcaster_id, live, body) VALUES (?1, ?2, ?3)",
            )?;
            for (b, live, body) in &rows {
                stmt.execute(params![b, live, body])?;
            }
            Ok(())
        })
        .await
    }

    async fn live_now(&self, after: Option<&str>, limit: usize) -> Result<LivePage, StoreError> {
        let after = after.unwrap_or_default().to_owned();
        let limit = crate::store::read_size(limit);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT body FROM live_states WHERE live = 1 AND broadcaster_id > ?1 \
                 ORDER BY broadcaster_id LIMIT ?2",
            )?;
            let mut states = stmt
                .query_map(params![after, limit as i64 + 1], |r| {
                    from_json::<LiveState>(&r.get::<_, String>(0)?)
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let next = if states.len() > limit {
                states.truncate(limit);
                states.last().map(|s| s.broadcaster_id.clone())
            } else {
                None
            };
            Ok(LivePage { states, next })
        })
        .await
    }

    async fn acquire_lease(
        &self,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        self.take_lease(POLLER, owner, now_ms, until_ms).await
    }

    async fn release_lease(&self, owner: &str) -> Result<(), StoreError> {
        self.return_lease(POLLER, owner).await
    }

    async fn poller_status(&self) -> Result<PollerStatus, StoreError> {
        self.read(move |c| {
            let status: Option<String> = c
                .prepare_cached("SELECT body FROM poller WHERE key = 'status'")?
                .query_row([], |r| r.get(0))
                .optional()?
                .flatten();
            let paused: Option<String> = c
                .prepare_cached("SELECT body FROM poller WHERE key = 'paused'")?
                .query_row([], |r| r.get(0))
                .optional()?
                .flatten();
            let mut s = match status {
                Some(text) => from_json::<PollerStatus>(&text)?,
                None => PollerStatus::default(),
            };
            s.paused = paused.as_deref() == Some("true");
            Ok(s)
        })
        .await
    }

    async fn set_poller_status(&self, status: &PollerStatus) -> Result<(), StoreError> {
        let body = to_json(status)?;
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO poller (key, body) VALUES ('status', ?1) \
                 ON CONFLICT (key) DO UPDATE SET body = excluded.body",
            )?
            .execute([body])?;
            Ok(())
        })
        .await
    }

    async fn set_paused(&self, paused: bool) -> Result<(), StoreError> {
        let body = if paused { "true" } else { "false" };
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO poller (key, body) VALUES ('paused', ?1) \
                 ON CONFLICT (key) DO UPDATE SET body = excluded.body",
            )?
            .execute([body])?;
            Ok(())
        })
        .await
    }
}
