//! Favourites, read marks and fans ([`FavouriteStore`]) on SQLite.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use crate::store::sqlite::SqliteStore;
use crate::store::users::{Favourite, FavouriteAdded, FavouriteStore};
use crate::store::StoreError;

#[async_trait]
impl FavouriteStore for SqliteStore {
    async fn favourites(&self, user_id: &str) -> Result<Vec<Favourite>, StoreError> {
        let user = user_id.to_owned();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT streamer_id, login, added_at_ms, read_cursor, overlay_hash IS NOT NULL, overlay_sealed FROM favourites \
                 WHERE user_id = ?1 ORDER BY added_at_ms, streamer_id",
            )?
            .query_map([user], |r| {
                Ok(Favourite {
                    streamer_id: r.get(0)?,
                    login: r.get(1)?,
                    added_at_ms: r.get(2)?,
                    read_cursor: r.get(3)?,
                    overlay: r.get(4)?,
                    overlay_sealed: r.get(5)?,
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
