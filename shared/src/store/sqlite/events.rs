//! `EventStore` on SQLite: the row mapping and the SQL.

use async_trait::async_trait;
use rusqlite::{params, Connection, Row};

use super::marks::{self, Marks};
use super::SqliteStore;
use crate::store::{
    day_start_ms, page_size, Appended, Cursor, DailyCount, Event, EventStore, Page, Recovery,
    StoreError, StoredEvent, DAY_MS,
};

const COLUMNS: &str = "sort_key, message_id, broadcaster_id, event_type, event_version, \
                       subscription_id, received_at_ms, summary, payload, recovered_from, \
                       time_exact";

fn from_row(row: &Row<'_>) -> rusqlite::Result<StoredEvent> {
    let summary: Option<String> = row.get(7)?;
    let summary = match summary {
        None => None,
        Some(json) => Some(serde_json::from_str(&json).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e))
        })?),
    };
    // Both columns are NULL for a delivered event.
    let time_exact: Option<bool> = row.get(10)?;
    let recovery = row.get::<_, Option<String>>(9)?.map(|source| Recovery {
        source,
        time_exact: time_exact == Some(true),
    });
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
            recovery,
        },
    })
}

fn append(
    c: &Connection,
    marks: &mut Marks,
    event: &Event,
    semantic_key: Option<&str>,
    expires_at: i64,
) -> rusqlite::Result<Appended> {
    let message_mark = marks::message(&event.message_id);
    let semantic_mark = semantic_key.map(marks::semantic);
    if marks.contains(&message_mark) || semantic_mark.as_deref().is_some_and(|m| marks.contains(m))
    {
        return Ok(Appended::Duplicate);
    }
    let cursor = Cursor::of(event);
    let summary = event
        .summary
        .as_ref()
        .map(|s| serde_json::to_string(s).unwrap_or_default());
    c.prepare_cached(
        "INSERT INTO events (sort_key, message_id, broadcaster_id, event_type, event_version, \
         subscription_id, received_at_ms, summary, payload, expires_at, semantic_key, \
         recovered_from, time_exact) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
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
        expires_at,
        semantic_key,
        event.recovery.as_ref().map(|r| r.source.as_str()),
        event.recovery.as_ref().map(|r| r.time_exact),
    ])?;
    marks.stage(message_mark, expires_at);
    if let Some(mark) = semantic_mark {
        marks.stage(mark, expires_at);
    }
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
            // One INSERT: atomic by itself, no savepoint needed.
            .write_one_statement(move |c, marks| {
                append(c, marks, &record, semantic_key.as_deref(), expires_at).map(|o| (o, record))
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
        let limit = page_size(limit);
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
        let limit = page_size(limit);
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
        // The sort keys of the window, so the index is read only there; the
        // day filter keeps the answer exact whatever the bounds are.
        let first = day_start_ms(&from).map_or(String::new(), |ms| {
            Cursor::at_time(ms).sort_key().to_owned()
        });
        let last = day_start_ms(&to).map_or("\u{10FFFF}".to_owned(), |ms| {
            Cursor::at_time(ms + DAY_MS).sort_key().to_owned()
        });
        self.read(move |c| {
            c.prepare_cached(
                "SELECT date(CAST(substr(sort_key, 1, 13) AS INTEGER) / 1000, 'unixepoch') AS day, \
                 event_type, COUNT(*) FROM events \
                 WHERE broadcaster_id = ?1 AND sort_key >= ?2 AND sort_key < ?3 \
                 GROUP BY day, event_type HAVING day >= ?4 AND day <= ?5 \
                 ORDER BY day, event_type",
            )?
            .query_map(params![b, first, last, from, to], |r| {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Retention;
    use crate::store::sqlite::Durability;

    fn event(id: &str) -> Event {
        Event {
            message_id: id.into(),
            broadcaster_id: "1337".into(),
            event_type: "stream.online".into(),
            event_version: "1".into(),
            subscription_id: "sub".into(),
            received_at_ms: crate::clock::now_ms(),
            summary: None,
            payload: "{}".into(),
            recovery: None,
        }
    }

    fn open(path: &std::path::Path) -> SqliteStore {
        SqliteStore::open(
            path.to_str().unwrap(),
            Durability::PowerLoss,
            Retention::default(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn duplicates_are_recognised_after_the_store_is_reopened() {
        let dir = std::env::temp_dir().join(format!("se-marks-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.db");
        let first = open(&path);
        let stored = first.append_once(&event("m-1"), Some("online#1")).await;
        assert!(matches!(stored, Ok(Appended::Stored(_))));
        drop(first);

        let again = open(&path);
        let same_id = again.append_once(&event("m-1"), None).await.unwrap();
        let same_happening = again.append_once(&event("m-2"), Some("online#1")).await;
        let new_one = again.append_once(&event("m-3"), Some("online#2")).await;
        assert_eq!(same_id, Appended::Duplicate);
        assert_eq!(same_happening.unwrap(), Appended::Duplicate);
        assert!(matches!(new_one, Ok(Appended::Stored(_))));
        let feed = again.recent("1337", 10, None).await.unwrap();
        assert_eq!(feed.events.len(), 2, "one row per happening");
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_database_of_the_earlier_schema_keeps_its_dedupe_marks_and_counts() {
        let dir = std::env::temp_dir().join(format!("se-legacy-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.db");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        {
            // What the earlier version wrote: no semantic_key column, marks
            // in `dedupe`, counters in `daily_counts`.
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "CREATE TABLE events (seq INTEGER PRIMARY KEY, broadcaster_id TEXT NOT NULL, \
                 sort_key TEXT NOT NULL, message_id TEXT NOT NULL, event_type TEXT NOT NULL, \
                 event_version TEXT NOT NULL, subscription_id TEXT NOT NULL, \
                 received_at_ms INTEGER NOT NULL, summary TEXT, payload TEXT NOT NULL, \
                 expires_at INTEGER NOT NULL);
                 CREATE UNIQUE INDEX events_feed ON events (broadcaster_id, sort_key);
                 CREATE TABLE dedupe (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
                 CREATE TABLE daily_counts (broadcaster_id TEXT NOT NULL, day TEXT NOT NULL, \
                 event_type TEXT NOT NULL, count INTEGER NOT NULL, expires_at INTEGER NOT NULL, \
                 PRIMARY KEY (broadcaster_id, day, event_type)) WITHOUT ROWID;",
            )
            .unwrap();
            let old = event("old-1");
            c.execute(
                "INSERT INTO events (broadcaster_id, sort_key, message_id, event_type, \
                 event_version, subscription_id, received_at_ms, payload, expires_at) \
                 VALUES ('1337', ?1, 'old-1', 'stream.online', '1', 'sub', ?2, '{}', ?3)",
                params![Cursor::of(&old).sort_key(), old.received_at_ms, now + 3600],
            )
            .unwrap();
            c.execute(
                "INSERT INTO dedupe VALUES ('m#old-1', ?1), ('s#online#old', ?1)",
                [now + 3600],
            )
            .unwrap();
        }
        let store = open(&path);
        let again = store.append_once(&event("old-1"), None).await.unwrap();
        let same_happening = store
            .append_once(&event("new-1"), Some("online#old"))
            .await
            .unwrap();
        assert_eq!(again, Appended::Duplicate);
        assert_eq!(same_happening, Appended::Duplicate);
        let day = crate::store::day_of(event("x").received_at_ms);
        let counts = store.daily_counts("1337", &day, &day).await.unwrap();
        assert_eq!(
            counts,
            vec![DailyCount {
                day,
                event_type: "stream.online".into(),
                count: 1
            }]
        );
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
