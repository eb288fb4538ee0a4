//! Used tickets and allowances ([`AllowanceStore`]) on SQLite.

use async_trait::async_trait;
use rusqlite::params;

use crate::store::sqlite::SqliteStore;
use crate::store::users::{AllowanceStore, AllowanceWindow};
use crate::store::StoreError;

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

    async fn count_use(&self, key: &str, window: &AllowanceWindow) -> Result<bool, StoreError> {
        let AllowanceWindow {
            start_s: start,
            end_s: expires_at,
            limit,
        } = *window;
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
