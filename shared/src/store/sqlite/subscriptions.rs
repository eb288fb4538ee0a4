//! `SubscriptionStore` on SQLite.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use super::SqliteStore;
use crate::store::{
    StoreError, SubscriptionChange, SubscriptionState, SubscriptionStore, SubscriptionUpdate,
};

#[async_trait]
impl SubscriptionStore for SqliteStore {
    async fn record(&self, update: &SubscriptionUpdate) -> Result<(), StoreError> {
        let u = update.clone();
        self.write(move |c| {
            let (verified, revoked, reason) = match u.change {
                SubscriptionChange::CallbackVerified => (Some(u.at_ms), None, None),
                SubscriptionChange::Revoked => (None, Some(u.at_ms), Some(u.status.clone())),
            };
            // The WHERE keeps an older, late-arriving observation from
            // overwriting a newer one; verification and revocation times are
            // kept side by side.
            c.prepare_cached(
                "INSERT INTO subscriptions (id, kind, version, broadcaster_id, condition, status, \
                 callback_verified_at_ms, revoked_at_ms, revocation_reason, updated_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                 ON CONFLICT (id) DO UPDATE SET \
                   kind = excluded.kind, version = excluded.version, \
                   broadcaster_id = excluded.broadcaster_id, condition = excluded.condition, \
                   status = excluded.status, \
                   callback_verified_at_ms = COALESCE(excluded.callback_verified_at_ms, callback_verified_at_ms), \
                   revoked_at_ms = COALESCE(excluded.revoked_at_ms, revoked_at_ms), \
                   revocation_reason = COALESCE(excluded.revocation_reason, revocation_reason), \
                   updated_at_ms = excluded.updated_at_ms \
                 WHERE excluded.updated_at_ms >= subscriptions.updated_at_ms",
            )?
            .execute(params![
                u.id,
                u.kind,
                u.version,
                u.broadcaster_id,
                u.condition,
                u.status,
                verified,
                revoked,
                reason,
                u.at_ms
            ])?;
            Ok(())
        })
        .await
    }

    async fn subscription(&self, id: &str) -> Result<Option<SubscriptionState>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT id, kind, version, broadcaster_id, condition, status, \
                 callback_verified_at_ms, revoked_at_ms, revocation_reason, updated_at_ms \
                 FROM subscriptions WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok(SubscriptionState {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    version: r.get(2)?,
                    broadcaster_id: r.get(3)?,
                    condition: r.get(4)?,
                    status: r.get(5)?,
                    callback_verified_at_ms: r.get(6)?,
                    revoked_at_ms: r.get(7)?,
                    revocation_reason: r.get(8)?,
                    updated_at_ms: r.get(9)?,
                })
            })
            .optional()
        })
        .await
    }
}
