//! `EventStore` on SQLite: the row mapping and the SQL.

use async_trait::async_trait;
use rusqlite::{params, Connection, Row};

use super::SqliteStore;
use crate::store::{
    day_of, Appended, Cursor, DailyCount, Event, EventStore, Page, StoreError, StoredEvent,
    MAX_PAGE,
};

const COLUMNS: &str = "sort_key, message_id, broadcaster_id, event_type, event_version, \
                       subscription_id, received_at_ms, summary, payload";

fn from_row(row: &Row<'_>) -> rusqlite::Result<StoredEvent> {
    let summary: Option<String> = row.get(7)?;
    let summary = match summary {
        None => None,
        Some(json) => Some(serde_json::from_str(&json).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e))
        })?),
    };
    Ok(StoredEvent {
        cursor: Cursor::from_sort_key(row.get(0)?),
        event: Event {
            message_id: row.get(1)?,
            broadcaster_id: row.get(2)?,
            event_type: row.get(3)?,
            event_version: row.get(4)?,
            subscription_id: row.get(5)?,
            received_at_ms: row.get(6)?,
            summary,
            payload: row.get(8)?,
        },
    })
}

/// Inserts a dedupe key; false when it was already there.
fn claim(c: &Connection, key: &str, expires_at: i64) -> rusqlite::Result<bool> {
    let n = c
        .prepare_cached(
            "INSERT INTO dedupe (key, expires_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?
        .execute(params![key, expires_at])?;
    Ok(n == 1)
}

fn append(
    c: &Connection,
    event: &Event,
    semantic_key: Option<&str>,
    expires_at: i64,
) -> rusqlite::Result<Appended> {
    if !claim(c, &format!("m#{}", event.message_id), expires_at)? {
        return Ok(Appended::Duplicate);
    }
    if let Some(key) = semantic_key {
        if !claim(c, &format!("s#{key}"), expires_at)? {
            // The same happening under a new message id: keep neither mark's
            // effect partial (the savepoint is released, so undo by hand).
            c.prepare_cached("DELETE FROM dedupe WHERE key = ?1")?
                .execute([format!("m#{}", event.message_id)])?;
            return Ok(Appended::Duplicate);
        }
    }
    let cursor = Cursor::of(event);
    let summary = event
        .summary
        .as_ref()
        .map(|s| serde_json::to_string(s).unwrap_or_default());
    c.prepare_cached(
        "INSERT INTO events (sort_key, message_id, broadcaster_id, event_type, event_version, \
         subscription_id, received_at_ms, summary, payload, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        cursor.sort_key(),
        event.message_id,
        event.broadcaster_id,
        event.event_type,
        event.event_version,
        event.subscription_id,
        event.received_at_ms,
        summary,
        event.payload,
        expires_at
    ])?;
    c.prepare_cached(
        "INSERT INTO daily_counts (broadcaster_id, day, event_type, count, expires_at) \
         VALUES (?1, ?2, ?3, 1, ?4) \
         ON CONFLICT (broadcaster_id, day, event_type) DO UPDATE SET count = count + 1, \
         expires_at = excluded.expires_at",
    )?
    .execute(params![
        event.broadcaster_id,
        day_of(event.received_at_ms),
        event.event_type,
        expires_at
    ])?;
    Ok(Appended::Stored(cursor))
}

fn page(events: Vec<StoredEvent>, limit: usize) -> Page {
    let next = (events.len() == limit)
        .then(|| events.last().map(|e| e.cursor.clone()))
        .flatten();
    Page { events, next }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn append_once(
        &self,
        event: &Event,
        semantic_key: Option<&str>,
    ) -> Result<Appended, StoreError> {
        let expires_at = event.received_at_ms / 1000 + self.retention().seconds();
        let record = event.clone();
        let semantic_key = semantic_key.map(str::to_owned);
        // The record comes back out of the writer, so the commit feed reuses
        // it instead of cloning the payload a second time on the hot path.
        let (outcome, record) = self
            .write(move |c| {
                append(c, &record, semantic_key.as_deref(), expires_at).map(|o| (o, record))
            })
            .await?;
        if let Appended::Stored(cursor) = &outcome {
            self.announce(StoredEvent {
                cursor: cursor.clone(),
                event: record,
            });
        }
        Ok(outcome)
    }

    async fn recent(
        &self,
        broadcaster_id: &str,
        limit: usize,
        before: Option<&Cursor>,
    ) -> Result<Page, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let b = broadcaster_id.to_owned();
        // U+10FFFF sorts after every sort key, so "before the end" is everything.
        let before = before
            .map(|c| c.sort_key().to_owned())
            .unwrap_or_else(|| "\u{10FFFF}".into());
        let events = self
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM events WHERE broadcaster_id = ?1 AND sort_key < ?2 \
                     ORDER BY sort_key DESC LIMIT ?3"
                ))?
                .query_map(params![b, before, limit as i64], from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        Ok(page(events, limit))
    }

    async fn after(
        &self,
        broadcaster_id: &str,
        after: &Cursor,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let b = broadcaster_id.to_owned();
        let after = after.sort_key().to_owned();
        let events = self
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM events WHERE broadcaster_id = ?1 AND sort_key > ?2 \
                     ORDER BY sort_key ASC LIMIT ?3"
                ))?
                .query_map(params![b, after, limit as i64], from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        Ok(page(events, limit))
    }

    async fn daily_counts(
        &self,
        broadcaster_id: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<DailyCount>, StoreError> {
        let (b, from, to) = (broadcaster_id.to_owned(), from.to_owned(), to.to_owned());
        self.read(move |c| {
            c.prepare_cached(
                "SELECT day, event_type, count FROM daily_counts \
                 WHERE broadcaster_id = ?1 AND day >= ?2 AND day <= ?3 \
                 ORDER BY day, event_type",
            )?
            .query_map(params![b, from, to], |r| {
                Ok(DailyCount {
                    day: r.get(0)?,
                    event_type: r.get(1)?,
                    count: r.get::<_, i64>(2)?.max(0) as u64,
                })
            })?
            .collect()
        })
        .await
    }
}
