//! Favourites, read marks and fans ([`FavouriteStore`]) on the users table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

use super::{corrupt, DynamoUserStore};
use crate::store::dynamo::conditions::{
    delete_and_decrement, transact, written, CountedDelete, Transacted,
};
use crate::store::dynamo::{n, number, query_all, query_first, s, text, unavailable};
use crate::store::users::{Favourite, FavouriteAdded, FavouriteStore};
use crate::store::StoreError;

#[async_trait]
impl FavouriteStore for DynamoUserStore {
    async fn favourites(&self, user_id: &str) -> Result<Vec<Favourite>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :fav)")
                .expression_attribute_values(":pk", s(format!("USER#{user_id}")))
                .expression_attribute_values(":fav", s("FAV#")),
        )
        .await?;
        let mut favourites = items
            .iter()
            .map(|i| {
                Ok(Favourite {
                    streamer_id: text(i, "fan_of").ok_or_else(|| corrupt("favourite"))?,
                    login: text(i, "login").unwrap_or_default(),
                    added_at_ms: number(i, "added_at_ms").unwrap_or_default(),
                    read_cursor: text(i, "read_cursor"),
                    overlay: text(i, "overlay_hash").is_some(),
                    overlay_sealed: text(i, "overlay_sealed"),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        favourites
            .sort_by(|a, b| (a.added_at_ms, &a.streamer_id).cmp(&(b.added_at_ms, &b.streamer_id)));
        Ok(favourites)
    }

    async fn add_favourite(
        &self,
        user_id: &str,
        favourite: &Favourite,
        cap: usize,
    ) -> Result<FavouriteAdded, StoreError> {
        let pk = format!("USER#{user_id}");
        let mut item = Self::key(pk.clone(), &format!("FAV#{}", favourite.streamer_id));
        item.insert("fan_of".into(), s(&favourite.streamer_id));
        item.insert("login".into(), s(&favourite.login));
        item.insert("added_at_ms".into(), n(favourite.added_at_ms));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(unavailable)?;
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, "PROFILE")))
            .update_expression("ADD fav_count :one")
            .condition_expression("attribute_not_exists(fav_count) OR fav_count < :cap")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":cap", n(cap as i64))
            .build()
            .map_err(unavailable)?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(count).build(),
        ];
        match transact(&self.client, items).await? {
            Transacted::Done => Ok(FavouriteAdded::Added),
            Transacted::Cancelled { failed, .. } if failed.first() == Some(&true) => {
                Ok(FavouriteAdded::AlreadyThere)
            }
            Transacted::Cancelled { failed, .. } if failed.get(1) == Some(&true) => {
                Ok(FavouriteAdded::OverCap)
            }
            Transacted::Cancelled { error, .. } => Err(error),
        }
    }

    async fn mark_read(
        &self,
        user_id: &str,
        streamer_id: &str,
        cursor: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .update(Self::key(
                format!("USER#{user_id}"),
                &format!("FAV#{streamer_id}"),
            ))
            .update_expression("SET read_cursor = :c")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":c", s(cursor))
            .send()
            .await;
        written(result)
    }

    async fn remove_favourite(&self, user_id: &str, streamer_id: &str) -> Result<bool, StoreError> {
        let pk = format!("USER#{user_id}");
        let write = CountedDelete {
            table: &self.table,
            item: Self::key(pk.clone(), &format!("FAV#{streamer_id}")),
            counter: Self::key(pk, "PROFILE"),
            count: "fav_count",
            counter_condition: None,
        };
        // Only the favourite's absence is an answer; any other refusal fails.
        match delete_and_decrement(&self.client, write).await? {
            Transacted::Done => Ok(true),
            Transacted::Cancelled { failed, .. } if failed.first() == Some(&true) => Ok(false),
            Transacted::Cancelled { error, .. } => Err(error),
        }
    }

    async fn fans(&self, streamer_id: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("fans")
            .key_condition_expression("fan_of = :s")
            .expression_attribute_values(":s", s(streamer_id));
        let items = query_first(query, limit).await?;
        Ok(items
            .iter()
            .filter_map(|i| text(i, "pk"))
            .filter_map(|pk| pk.strip_prefix("USER#").map(str::to_owned))
            .collect())
    }
}
