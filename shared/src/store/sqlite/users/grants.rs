//! Broadcasters' grants ([`GrantStore`]) on SQLite: `grants`, one row per
//! broadcaster (`refreshing_until`: a refresh claimed), `grants_to_validate`
//! for the hourly sweep.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row};

use crate::store::grants::{BroadcasterGrant, GrantStore};
use crate::store::sealed::SealedTokens;
use crate::store::sqlite::SqliteStore;
use crate::store::StoreError;

const GRANT_COLUMNS: &str =
    "broadcaster_id, access, refresh, token_expires_at, scopes, granted_at, validated_at";

fn grant_row(r: &Row<'_>) -> rusqlite::Result<BroadcasterGrant> {
    let scopes: String = r.get(4)?;
    Ok(BroadcasterGrant {
        broadcaster_id: r.get(0)?,
        tokens: SealedTokens {
            access: r.get(1)?,
            refresh: r.get(2)?,
            expires_at_s: r.get(3)?,
        },
        scopes: serde_json::from_str(&scopes).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
        })?,
        granted_at_s: r.get(5)?,
        validated_at_s: r.get(6)?,
    })
}

#[async_trait]
impl GrantStore for SqliteStore {
    async fn put_grant(&self, grant: &BroadcasterGrant) -> Result<(), StoreError> {
        let g = grant.clone();
        let scopes =
            serde_json::to_string(&g.scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(move |c| {
            c.prepare_cached(&format!(
                "INSERT OR REPLACE INTO grants ({GRANT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ))?
            .execute(params![
                g.broadcaster_id,
                g.tokens.access,
                g.tokens.refresh,
                g.tokens.expires_at_s,
                scopes,
                g.granted_at_s,
                g.validated_at_s
            ])?;
            Ok(())
        })
        .await
    }

    async fn grant(&self, broadcaster_id: &str) -> Result<Option<BroadcasterGrant>, StoreError> {
        let id = broadcaster_id.to_owned();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {GRANT_COLUMNS} FROM grants WHERE broadcaster_id = ?1"
            ))?
            .query_row([id], grant_row)
            .optional()
        })
        .await
    }

    async fn renew_grant(
        &self,
        broadcaster_id: &str,
        held: &str,
        tokens: &SealedTokens,
        validated_at_s: i64,
    ) -> Result<bool, StoreError> {
        let (id, held, t) = (broadcaster_id.to_owned(), held.to_owned(), tokens.clone());
        self.write(move |c| {
            let changed = c
                .prepare_cached(
                    "UPDATE grants SET access = ?3, refresh = ?4, token_expires_at = ?5, \
                     validated_at = ?6, refreshing_until = NULL \
                     WHERE broadcaster_id = ?1 AND access = ?2",
                )?
                .execute(params![
                    id,
                    held,
                    t.access,
                    t.refresh,
                    t.expires_at_s,
                    validated_at_s
                ])?;
            Ok(changed > 0)
        })
        .await
    }

    async fn claim_refresh(
        &self,
        broadcaster_id: &str,
        held: &str,
        until_s: i64,
        now_s: i64,
    ) -> Result<bool, StoreError> {
        let (id, held) = (broadcaster_id.to_owned(), held.to_owned());
        self.write(move |c| {
            let claimed = c
                .prepare_cached(
                    "UPDATE grants SET refreshing_until = ?3 WHERE broadcaster_id = ?1 \
                     AND access = ?2 AND (refreshing_until IS NULL OR refreshing_until < ?4)",
                )?
                .execute(params![id, held, until_s, now_s])?;
            Ok(claimed > 0)
        })
        .await
    }

    async fn grants_to_validate(
        &self,
        before_s: i64,
        limit: usize,
    ) -> Result<Vec<BroadcasterGrant>, StoreError> {
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {GRANT_COLUMNS} FROM grants WHERE validated_at < ?1 \
                 ORDER BY validated_at LIMIT ?2"
            ))?
            .query_map(params![before_s, limit as i64], grant_row)?
            .collect()
        })
        .await
    }

    async fn delete_grant(
        &self,
        broadcaster_id: &str,
        held: Option<&str>,
    ) -> Result<bool, StoreError> {
        let (id, held) = (broadcaster_id.to_owned(), held.map(str::to_owned));
        self.write(move |c| {
            let deleted = c
                .prepare_cached(
                    "DELETE FROM grants WHERE broadcaster_id = ?1 AND (?2 IS NULL OR access = ?2)",
                )?
                .execute(params![id, held])?;
            Ok(deleted > 0)
        })
        .await
    }
}
