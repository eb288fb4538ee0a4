//! Sessions and their sealed tokens ([`SessionStore`]) on SQLite.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row};

use crate::store::sqlite::SqliteStore;
use crate::store::users::{SealedTokens, Session, SessionStore};
use crate::store::StoreError;

const SESSION_COLUMNS: &str =
    "hash, user_id, created_at, expires_at, access, refresh, token_expires_at, validated_at";

fn session_row(r: &Row<'_>) -> rusqlite::Result<Session> {
    let access: Option<String> = r.get(4)?;
    Ok(Session {
        hash: r.get(0)?,
        user_id: r.get(1)?,
        created_at_s: r.get(2)?,
        expires_at_s: r.get(3)?,
        tokens: match access {
            Some(access) => Some(SealedTokens {
                access,
                refresh: r.get(5)?,
                expires_at_s: r.get(6)?,
            }),
            None => None,
        },
        validated_at_s: r.get(7)?,
    })
}

/// A session's token columns: access, refresh, expiry.
fn token_columns(t: Option<&SealedTokens>) -> (Option<String>, Option<String>, i64) {
    match t {
        Some(t) => (Some(t.access.clone()), t.refresh.clone(), t.expires_at_s),
        None => (None, None, 0),
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        let s = session.clone();
        self.write(move |c| {
            let (access, refresh, exp) = token_columns(s.tokens.as_ref());
            c.prepare_cached(&format!(
                "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ))?
            .execute(params![
                s.hash,
                s.user_id,
                s.created_at_s,
                s.expires_at_s,
                access,
                refresh,
                exp,
                s.validated_at_s
            ])?;
            Ok(())
        })
        .await
    }

    async fn session(&self, hash: &str, now_s: i64) -> Result<Option<Session>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE hash = ?1 AND expires_at >= ?2"
            ))?
            .query_row(params![hash, now_s], session_row)
            .optional()
        })
        .await
    }

    async fn slide_session(&self, hash: &str, expires_at_s: i64) -> Result<(), StoreError> {
        let hash = hash.to_owned();
        self.write(move |c| {
            c.prepare_cached("UPDATE sessions SET expires_at = ?2 WHERE hash = ?1")?
                .execute(params![hash, expires_at_s])?;
            Ok(())
        })
        .await
    }

    async fn set_session_tokens(
        &self,
        hash: &str,
        tokens: Option<&SealedTokens>,
        validated_at_s: i64,
    ) -> Result<(), StoreError> {
        let hash = hash.to_owned();
        let (access, refresh, exp) = token_columns(tokens);
        self.write(move |c| {
            c.prepare_cached(
                "UPDATE sessions SET access = ?2, refresh = ?3, token_expires_at = ?4, \
                 validated_at = ?5 WHERE hash = ?1",
            )?
            .execute(params![hash, access, refresh, exp, validated_at_s])?;
            Ok(())
        })
        .await
    }

    async fn sessions_to_validate(
        &self,
        before_s: i64,
        limit: usize,
    ) -> Result<Vec<Session>, StoreError> {
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE access IS NOT NULL AND validated_at < ?1 \
                 ORDER BY validated_at LIMIT ?2"
            ))?
            .query_map(params![before_s, limit as i64], session_row)?
            .collect()
        })
        .await
    }

    async fn end_session(&self, hash: &str) -> Result<(), StoreError> {
        let hash = hash.to_owned();
        self.write(move |c| {
            c.prepare_cached("DELETE FROM sessions WHERE hash = ?1")?
                .execute([hash])?;
            Ok(())
        })
        .await
    }

    async fn end_sessions_of(&self, user_id: &str) -> Result<usize, StoreError> {
        let user = user_id.to_owned();
        self.write(move |c| {
            c.prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
                .execute([user])
        })
        .await
    }
}
