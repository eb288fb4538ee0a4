//! `UserStore` on SQLite.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row};

use super::SqliteStore;
use crate::store::users::{
    allowance_window, AllowanceStore, Favourite, FavouriteAdded, FavouriteStore, LoginState,
    LoginStore, OverlayStore, SealedTokens, Session, SessionStore, User,
};
use crate::store::{Cursor, StoreError};

const USER_COLUMNS: &str = "id, login, display_name, picture, scopes, created_at";

const SESSION_COLUMNS: &str =
    "hash, user_id, created_at, expires_at, access, refresh, token_expires_at, validated_at";

fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let scopes: String = r.get(4)?;
    Ok(User {
        id: r.get(0)?,
        login: r.get(1)?,
        display_name: r.get(2)?,
        picture: r.get(3)?,
        scopes: serde_json::from_str(&scopes).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
        })?,
        created_at_s: r.get(5)?,
    })
}

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
impl LoginStore for SqliteStore {
    async fn begin_login(&self, login: &LoginState) -> Result<(), StoreError> {
        let l = login.clone();
        self.write(move |c| {
            c.prepare_cached(
                "INSERT OR REPLACE INTO login_states (state_hash, nonce, return_to, channel, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![l.state_hash, l.nonce, l.return_to, l.channel, l.expires_at_s])?;
            Ok(())
        })
        .await
    }

    async fn take_login(
        &self,
        state_hash: &str,
        now_s: i64,
    ) -> Result<Option<LoginState>, StoreError> {
        let hash = state_hash.to_owned();
        // Read and delete in one write transaction: two callbacks racing with
        // the same state cannot both get it.
        self.write(move |c| {
            let found = c
                .prepare_cached(
                    "DELETE FROM login_states WHERE state_hash = ?1 \
                     RETURNING state_hash, nonce, return_to, channel, expires_at",
                )?
                .query_row([&hash], |r| {
                    Ok(LoginState {
                        state_hash: r.get(0)?,
                        nonce: r.get(1)?,
                        return_to: r.get(2)?,
                        channel: r.get(3)?,
                        expires_at_s: r.get(4)?,
                    })
                })
                .optional()?;
            Ok(found.filter(|l| l.expires_at_s >= now_s))
        })
        .await
    }

    async fn put_user(&self, user: &User) -> Result<(), StoreError> {
        let u = user.clone();
        let scopes =
            serde_json::to_string(&u.scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(move |c| {
            c.prepare_cached(&format!(
                "INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (id) DO UPDATE SET login = excluded.login, \
                   display_name = excluded.display_name, picture = excluded.picture, \
                   scopes = excluded.scopes, overlays_suspended_at = NULL"
            ))?
            .execute(params![
                u.id,
                u.login,
                u.display_name,
                u.picture,
                scopes,
                u.created_at_s
            ])?;
            Ok(())
        })
        .await
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            c.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
                .query_row([id], user_row)
                .optional()
        })
        .await
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

#[async_trait]
impl FavouriteStore for SqliteStore {
    async fn favourites(&self, user_id: &str) -> Result<Vec<Favourite>, StoreError> {
        let user = user_id.to_owned();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT streamer_id, login, added_at_ms, read_cursor, overlay_hash IS NOT NULL FROM favourites \
                 WHERE user_id = ?1 ORDER BY added_at_ms, streamer_id",
            )?
            .query_map([user], |r| {
                Ok(Favourite {
                    streamer_id: r.get(0)?,
                    login: r.get(1)?,
                    added_at_ms: r.get(2)?,
                    read_cursor: r.get(3)?,
                    overlay: r.get(4)?,
                })
            })?
            .collect()
        })
        .await
    }

    async fn add_favourite(
        &self,
        user_id: &str,
        favourite: &Favourite,
        cap: usize,
    ) -> Result<FavouriteAdded, StoreError> {
        let (user, f) = (user_id.to_owned(), favourite.clone());
        self.write(move |c| {
            let there: Option<i64> = c
                .prepare_cached("SELECT 1 FROM favourites WHERE user_id = ?1 AND streamer_id = ?2")?
                .query_row([&user, &f.streamer_id], |r| r.get(0))
                .optional()?;
            if there.is_some() {
                return Ok(FavouriteAdded::AlreadyThere);
            }
            let count: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM favourites WHERE user_id = ?1")?
                .query_row([&user], |r| r.get(0))?;
            if count as usize >= cap {
                return Ok(FavouriteAdded::OverCap);
            }
            c.prepare_cached(
                "INSERT INTO favourites (user_id, streamer_id, login, added_at_ms) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![user, f.streamer_id, f.login, f.added_at_ms])?;
            Ok(FavouriteAdded::Added)
        })
        .await
    }

    async fn mark_read(
        &self,
        user_id: &str,
        streamer_id: &str,
        cursor: &str,
    ) -> Result<bool, StoreError> {
        let (user, streamer, cursor) = (
            user_id.to_owned(),
            streamer_id.to_owned(),
            cursor.to_owned(),
        );
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE favourites SET read_cursor = ?3 WHERE user_id = ?1 AND streamer_id = ?2",
                )?
                .execute([user, streamer, cursor])?;
            Ok(n == 1)
        })
        .await
    }

    async fn remove_favourite(&self, user_id: &str, streamer_id: &str) -> Result<bool, StoreError> {
        let (user, streamer) = (user_id.to_owned(), streamer_id.to_owned());
        self.write(move |c| {
            let n = c
                .prepare_cached("DELETE FROM favourites WHERE user_id = ?1 AND streamer_id = ?2")?
                .execute([user, streamer])?;
            Ok(n == 1)
        })
        .await
    }

    async fn fans(&self, streamer_id: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let streamer = streamer_id.to_owned();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT user_id FROM favourites WHERE streamer_id = ?1 ORDER BY user_id LIMIT ?2",
            )?
            .query_map(params![streamer, limit as i64], |r| r.get(0))?
            .collect()
        })
        .await
    }
}

#[async_trait]
impl OverlayStore for SqliteStore {
    async fn suspend_overlays(&self, user_id: &str, at_s: i64) -> Result<(), StoreError> {
        let user = user_id.to_owned();
        self.write(move |c| {
            c.prepare_cached("UPDATE users SET overlays_suspended_at = ?2 WHERE id = ?1")?
                .execute(params![user, at_s])?;
            Ok(())
        })
        .await
    }

    async fn overlays_suspended(&self, user_id: &str) -> Result<bool, StoreError> {
        let user = user_id.to_owned();
        self.read(move |c| {
            let at: Option<Option<i64>> = c
                .prepare_cached("SELECT overlays_suspended_at FROM users WHERE id = ?1")?
                .query_row([user], |r| r.get(0))
                .optional()?;
            Ok(at.flatten().is_some())
        })
        .await
    }

    async fn set_overlay(
        &self,
        user_id: &str,
        streamer_id: &str,
        key_hash: Option<&str>,
    ) -> Result<bool, StoreError> {
        let (user, streamer) = (user_id.to_owned(), streamer_id.to_owned());
        let hash = key_hash.map(str::to_owned);
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE favourites SET overlay_hash = ?3, overlay_shown = NULL \
                     WHERE user_id = ?1 AND streamer_id = ?2",
                )?
                .execute(params![user, streamer, hash])?;
            Ok(n == 1)
        })
        .await
    }

    async fn overlay(&self, key_hash: &str) -> Result<Option<(String, String)>, StoreError> {
        let hash = key_hash.to_owned();
        self.read(move |c| {
            c.prepare_cached("SELECT user_id, streamer_id FROM favourites WHERE overlay_hash = ?1")?
                .query_row([hash], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .await
    }

    async fn overlay_position(
        &self,
        key_hash: &str,
        start: &Cursor,
    ) -> Result<Option<Cursor>, StoreError> {
        let (hash, start) = (key_hash.to_owned(), start.sort_key().to_owned());
        self.write(move |c| {
            c.prepare_cached(
                "UPDATE favourites SET overlay_shown = ?2 WHERE overlay_hash = ?1 AND overlay_shown IS NULL",
            )?
            .execute([&hash, &start])?;
            shown_by(c, &hash)
        })
        .await
    }

    async fn advance_overlay(
        &self,
        key_hash: &str,
        shown: &Cursor,
    ) -> Result<Option<Cursor>, StoreError> {
        let (hash, shown) = (key_hash.to_owned(), shown.sort_key().to_owned());
        self.write(move |c| {
            c.prepare_cached(
                "UPDATE favourites SET overlay_shown = ?2 WHERE overlay_hash = ?1 \
                 AND (overlay_shown IS NULL OR overlay_shown < ?2)",
            )?
            .execute([&hash, &shown])?;
            shown_by(c, &hash)
        })
        .await
    }
}

#[async_trait]
impl AllowanceStore for SqliteStore {
    async fn use_ticket(&self, ticket_hash: &str, expires_at_s: i64) -> Result<bool, StoreError> {
        let hash = ticket_hash.to_owned();
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "INSERT INTO used_tickets (hash, expires_at) VALUES (?1, ?2) \
                     ON CONFLICT (hash) DO NOTHING",
                )?
                .execute(params![hash, expires_at_s])?;
            Ok(n == 1)
        })
        .await
    }

    async fn spend(
        &self,
        key: &str,
        limit: u32,
        window_s: i64,
        now_s: i64,
    ) -> Result<bool, StoreError> {
        if limit == 0 {
            return Ok(false);
        }
        let (start, expires_at) = allowance_window(now_s, window_s);
        let key = format!("{key}#{start}");
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "INSERT INTO allowances (key, used, expires_at) VALUES (?1, 1, ?3) \
                     ON CONFLICT (key) DO UPDATE SET used = used + 1 WHERE used < ?2",
                )?
                .execute(params![key, limit, expires_at])?;
            Ok(n == 1)
        })
        .await
    }
}

/// The position an overlay key's favourite keeps (`None`: no such key).
fn shown_by(c: &rusqlite::Connection, key_hash: &str) -> rusqlite::Result<Option<Cursor>> {
    let kept: Option<Option<String>> = c
        .prepare_cached("SELECT overlay_shown FROM favourites WHERE overlay_hash = ?1")?
        .query_row([key_hash], |r| r.get(0))
        .optional()?;
    Ok(kept.flatten().map(Cursor::from_sort_key))
}
