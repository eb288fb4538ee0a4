//! `LeaseStore` on SQLite: one row per lease in `leases (name)`.

use async_trait::async_trait;
use rusqlite::params;

use super::SqliteStore;
use crate::store::leases::LeaseStore;
use crate::store::StoreError;

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn take_lease(
        &self,
        name: &str,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let (name, owner) = (name.to_owned(), owner.to_owned());
        self.write(move |c| {
            // Taken when nobody holds it, it expired, or we hold it already.
            let n = c
                .prepare_cached(
                    "INSERT INTO leases (name, owner, until_ms) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms \
                     WHERE leases.until_ms < ?4 OR leases.owner = excluded.owner",
                )?
                .execute(params![name, owner, until_ms, now_ms])?;
            Ok(n > 0)
        })
        .await
    }

    async fn return_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        let (name, owner) = (name.to_owned(), owner.to_owned());
        self.write(move |c| {
            c.prepare_cached("DELETE FROM leases WHERE name = ?1 AND owner = ?2")?
                .execute(params![name, owner])?;
            Ok(())
        })
        .await
    }
}
