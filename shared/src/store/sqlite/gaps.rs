//! `GapStore` on SQLite: one row per gap in `gaps (streamer_id, from_ms,
//! event_type)`. The partial unique index `gaps_open (streamer_id,
//! event_type) WHERE state = 'open'` makes "one open gap per type" the
//! table's own rule, so a second open is a conflict that does nothing; the
//! partial index `gaps_unsettled` lists what is not closed without reading
//! closed history.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row};

use super::streamers::corrupt;
use super::SqliteStore;
use crate::store::coverage::{Gap, GapKey, GapState, GapStore, Recovered};
use crate::store::{read_size, StoreError};

const COLUMNS: &str =
    "streamer_id, event_type, from_ms, to_ms, cause, state, recovered, updated_at_ms";

fn gap_from(r: &Row<'_>) -> rusqlite::Result<Gap> {
    let state: String = r.get(5)?;
    let recovered: String = r.get(6)?;
    Ok(Gap {
        key: GapKey {
            streamer_id: r.get(0)?,
            event_type: r.get(1)?,
            from_ms: r.get(2)?,
        },
        to_ms: r.get(3)?,
        cause: r.get(4)?,
        state: GapState::parse(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                5,
                rusqlite::types::Type::Text,
                Box::new(StoreError::Corrupt(format!("gap state {state:?}"))),
            )
        })?,
        recovered: serde_json::from_str(&recovered).map_err(|e| corrupt("recovered", e))?,
        updated_at_ms: r.get(7)?,
    })
}

#[async_trait]
impl GapStore for SqliteStore {
    async fn open_gap(&self, key: &GapKey, cause: &str, at_ms: i64) -> Result<bool, StoreError> {
        let (key, cause) = (key.clone(), cause.to_owned());
        let none = Recovered::default().to_json()?;
        let streamer = key.streamer_id.clone();
        let opened = self
            .write(move |c| {
                let n = c
                    .prepare_cached(
                        "INSERT INTO gaps (streamer_id, event_type, from_ms, cause, state, recovered, updated_at_ms) \
                         VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6) ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![key.streamer_id, key.event_type, key.from_ms, cause, none, at_ms])?;
                Ok(n > 0)
            })
            .await?;
        if opened {
            // The manager reacts at once (in AWS, the marker item's stream
            // record does the same): a failed subscription is replaced now.
            self.streamer_changed(&streamer);
        }
        Ok(opened)
    }

    async fn end_gap(
        &self,
        streamer_id: &str,
        event_type: &str,
        to_ms: i64,
    ) -> Result<Option<Gap>, StoreError> {
        let (streamer, kind) = (streamer_id.to_owned(), event_type.to_owned());
        self.write(move |c| {
            c.prepare_cached(&format!(
                "UPDATE gaps SET to_ms = MAX(?3, from_ms), state = 'recovering', updated_at_ms = ?3 \
                 WHERE streamer_id = ?1 AND event_type = ?2 AND state = 'open' RETURNING {COLUMNS}"
            ))?
            .query_row(params![streamer, kind, to_ms], gap_from)
            .optional()
        })
        .await
    }

    async fn settle_gap(
        &self,
        key: &GapKey,
        state: GapState,
        recovered: &Recovered,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let key = key.clone();
        let recovered = recovered.to_json()?;
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE gaps SET state = ?4, recovered = ?5, updated_at_ms = ?6 \
                     WHERE streamer_id = ?1 AND from_ms = ?2 AND event_type = ?3 AND state = 'recovering'",
                )?
                .execute(params![
                    key.streamer_id,
                    key.from_ms,
                    key.event_type,
                    state.as_str(),
                    recovered,
                    at_ms
                ])?;
            Ok(n > 0)
        })
        .await
    }

    async fn gaps(
        &self,
        streamer_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Gap>, StoreError> {
        let streamer = streamer_id.to_owned();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM gaps WHERE streamer_id = ?1 AND from_ms <= ?3 \
                 AND (to_ms IS NULL OR to_ms >= ?2) ORDER BY from_ms, event_type"
            ))?
            .query_map(params![streamer, from_ms, to_ms], gap_from)?
            .collect()
        })
        .await
    }

    async fn unsettled_gaps(&self, limit: usize) -> Result<Vec<Gap>, StoreError> {
        let limit = read_size(limit) as i64;
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM gaps WHERE state != 'closed' \
                 ORDER BY streamer_id, from_ms LIMIT ?1"
            ))?
            .query_map([limit], gap_from)?
            .collect()
        })
        .await
    }
}
