//! Alert-overlay keys ([`OverlayStore`]) on SQLite: columns of the
//! favourite each key is for.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use crate::store::sqlite::SqliteStore;
use crate::store::users::{OverlayKey, OverlayStore};
use crate::store::{Cursor, StoreError};

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
        key: Option<OverlayKey>,
    ) -> Result<bool, StoreError> {
        let (user, streamer) = (user_id.to_owned(), streamer_id.to_owned());
        let (hash, sealed) = key.map(|k| (k.hash, k.sealed)).unzip();
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE favourites SET overlay_hash = ?3, overlay_sealed = ?4, overlay_shown = NULL \
                     WHERE user_id = ?1 AND streamer_id = ?2",
                )?
                .execute(params![user, streamer, hash, sealed])?;
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

    async fn set_overlay_settings(
        &self,
        user_id: &str,
        streamer_id: &str,
        settings: &str,
    ) -> Result<bool, StoreError> {
        let (user, streamer, settings) = (
            user_id.to_owned(),
            streamer_id.to_owned(),
            settings.to_owned(),
        );
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE favourites SET overlay_settings = ?3 WHERE user_id = ?1 AND streamer_id = ?2",
                )?
                .execute(params![user, streamer, settings])?;
            Ok(n == 1)
        })
        .await
    }

    async fn overlay_settings(
        &self,
        user_id: &str,
        streamer_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let (user, streamer) = (user_id.to_owned(), streamer_id.to_owned());
        self.read(move |c| {
            let kept: Option<Option<String>> = c
                .prepare_cached(
                    "SELECT overlay_settings FROM favourites WHERE user_id = ?1 AND streamer_id = ?2",
                )?
                .query_row([user, streamer], |r| r.get(0))
                .optional()?;
            Ok(kept.flatten())
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

/// The position an overlay key's favourite keeps (`None`: no such key).
fn shown_by(c: &rusqlite::Connection, key_hash: &str) -> rusqlite::Result<Option<Cursor>> {
    let kept: Option<Option<String>> = c
        .prepare_cached("SELECT overlay_shown FROM favourites WHERE overlay_hash = ?1")?
        .query_row([key_hash], |r| r.get(0))
        .optional()?;
    Ok(kept.flatten().map(Cursor::from_sort_key))
}
