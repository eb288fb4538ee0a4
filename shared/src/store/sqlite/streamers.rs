//! `StreamerStore` on SQLite.

use std::collections::BTreeMap;

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use super::SqliteStore;
use crate::store::streamers::{Streamer, StreamerStore, TrackedPage, TypeRecord, Wish};
use crate::store::StoreError;

/// A JSON column that does not parse, as a row error.
pub(super) fn corrupt(what: &str, e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        Box::new(StoreError::Corrupt(format!("{what}: {e}"))),
    )
}

#[async_trait]
impl StreamerStore for SqliteStore {
    async fn want(&self, wish: &Wish) -> Result<(), StoreError> {
        let mut w = wish.clone();
        // Twitch logins are case-insensitive; stored and looked up lowercase.
        w.login = w.login.map(|l| l.to_ascii_lowercase());
        let id = w.broadcaster_id.clone();
        let changed = self
            .write(move |c| {
                let was_wanted: Option<i64> = c
                    .prepare_cached("SELECT wanted FROM streamers WHERE id = ?1")?
                    .query_row([&w.broadcaster_id], |r| r.get(0))
                    .optional()?;
                // A wish for a released streamer tracks it again from now.
                c.prepare_cached(
                    "INSERT INTO streamers (id, login, wanted, wanted_since_ms, last_watched_ms, requested_by) \
                     VALUES (?1, ?2, 1, ?3, ?3, ?4) \
                     ON CONFLICT (id) DO UPDATE SET \
                       login = COALESCE(excluded.login, login), \
                       wanted_since_ms = CASE WHEN wanted = 1 THEN wanted_since_ms ELSE excluded.wanted_since_ms END, \
                       wanted = 1, \
                       last_watched_ms = MAX(last_watched_ms, excluded.last_watched_ms), \
                       requested_by = excluded.requested_by",
                )?
                .execute(params![w.broadcaster_id, w.login, w.at_ms, w.by])?;
                Ok(was_wanted != Some(1))
            })
            .await?;
        if changed {
            self.streamer_changed(&id);
        }
        Ok(())
    }

    async fn streamer(&self, id: &str) -> Result<Option<Streamer>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            let row = c
                .prepare_cached(
                    "SELECT id, login, wanted, wanted_since_ms, last_watched_ms, requested_by, scopes \
                     FROM streamers WHERE id = ?1",
                )?
                .query_row([&id], |r| {
                    let scopes: String = r.get(6)?;
                    Ok(Streamer {
                        id: r.get(0)?,
                        login: r.get(1)?,
                        wanted: r.get::<_, i64>(2)? != 0,
                        wanted_since_ms: r.get(3)?,
                        last_watched_ms: r.get(4)?,
                        requested_by: r.get(5)?,
                        scopes: serde_json::from_str(&scopes).map_err(|e| corrupt("scopes", e))?,
                        types: BTreeMap::new(),
                    })
                })
                .optional()?;
            let Some(mut streamer) = row else {
                return Ok(None);
            };
            let mut stmt = c.prepare_cached(
                "SELECT kind, state, recreated, updated_at_ms FROM streamer_types WHERE streamer_id = ?1",
            )?;
            let rows = stmt.query_map([&id], |r| {
                let state: String = r.get(1)?;
                Ok((
                    r.get::<_, String>(0)?,
                    TypeRecord {
                        state: serde_json::from_str(&state).map_err(|e| corrupt("type state", e))?,
                        recreated: r.get(2)?,
                        updated_at_ms: r.get(3)?,
                    },
                ))
            })?;
            for row in rows {
                let (kind, record) = row?;
                streamer.types.insert(kind, record);
            }
            Ok(Some(streamer))
        })
        .await
    }

    async fn id_of_login(&self, login: &str) -> Result<Option<String>, StoreError> {
        let login = login.to_ascii_lowercase();
        self.read(move |c| {
            c.prepare_cached("SELECT id FROM streamers WHERE login = ?1 LIMIT 1")?
                .query_row([login], |r| r.get(0))
                .optional()
        })
        .await
    }

    async fn tracked(&self, after: Option<&str>, limit: usize) -> Result<TrackedPage, StoreError> {
        let after = after.unwrap_or_default().to_owned();
        let limit = crate::store::read_size(limit);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id FROM streamers WHERE wanted = 1 AND id > ?1 ORDER BY id LIMIT ?2",
            )?;
            let ids = stmt
                .query_map(params![after, limit as i64 + 1], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(page(ids, limit))
        })
        .await
    }

    async fn set_types(
        &self,
        id: &str,
        types: &BTreeMap<String, TypeRecord>,
    ) -> Result<(), StoreError> {
        let id = id.to_owned();
        let mut rows = Vec::with_capacity(types.len());
        for (kind, record) in types {
            let state = serde_json::to_string(&record.state)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            rows.push((kind.clone(), state, record.recreated, record.updated_at_ms));
        }
        self.write(move |c| {
            let mut stmt = c.prepare_cached(
                "INSERT INTO streamer_types (streamer_id, kind, state, recreated, updated_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (streamer_id, kind) DO UPDATE SET \
                   state = excluded.state, recreated = excluded.recreated, updated_at_ms = excluded.updated_at_ms",
            )?;
            for (kind, state, recreated, at) in &rows {
                stmt.execute(params![id, kind, state, recreated, at])?;
            }
            Ok(())
        })
        .await
    }

    async fn set_scopes(&self, id: &str, scopes: &[String], _at_ms: i64) -> Result<(), StoreError> {
        let owned = id.to_owned();
        let scopes =
            serde_json::to_string(scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let changed = self
            .write(move |c| {
                c.prepare_cached("UPDATE streamers SET scopes = ?2 WHERE id = ?1 AND scopes <> ?2")?
                    .execute(params![owned, scopes])
            })
            .await?;
        if changed > 0 {
            self.streamer_changed(id);
        }
        Ok(())
    }

    async fn release(&self, id: &str, _at_ms: i64) -> Result<(), StoreError> {
        let owned = id.to_owned();
        let changed = self
            .write(move |c| {
                c.prepare_cached("UPDATE streamers SET wanted = 0 WHERE id = ?1 AND wanted = 1")?
                    .execute([owned])
            })
            .await?;
        if changed > 0 {
            self.streamer_changed(id);
        }
        Ok(())
    }
}

/// The first `limit` ids, and a cursor when there were more.
fn page(mut ids: Vec<String>, limit: usize) -> TrackedPage {
    let next = if ids.len() > limit {
        ids.truncate(limit);
        ids.last().cloned()
    } else {
        None
    };
    TrackedPage { ids, next }
}
