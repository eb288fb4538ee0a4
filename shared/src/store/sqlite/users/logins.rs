//! Logins in flight and users ([`LoginStore`]) on SQLite.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row};

use crate::store::sqlite::SqliteStore;
use crate::store::users::{LoginState, LoginStore, User};
use crate::store::StoreError;

const USER_COLUMNS: &str = "id, login, display_name, picture, scopes, created_at";

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
